#include "scanner/app/cli.hpp"

int main(int argc, char** argv)
{
  return fleetcert::run_cli(argc, argv);
}
