#include "command_status.hpp"

#include "reports/text_safety.hpp"

#include <cstdio>

namespace fleetcert {

void print_error(const std::string& message)
{
  std::fprintf(stderr, "fleetcert: %s\n", terminal_safe(message).c_str());
}

} // namespace fleetcert
