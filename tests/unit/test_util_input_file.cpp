// Tests for scanner/util/input_file: the reason an input cannot be read, a directory included
// (which std::ifstream opens and reads as empty).

#include "scanner/util/input_file.hpp"

#include "support/process.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace fleetcert;
using fleetcert::testing::TempDir;
using fleetcert::testing::write_file;

TEST_SUITE("util.input_file")
{
  TEST_CASE("open_input_file opens a file and says why it cannot")
  {
    TempDir dir;
    write_file(dir.file("targets.txt"), "127.0.0.1\n");
    std::ifstream in;
    REQUIRE(open_input_file(in, dir.file("targets.txt")).empty());
    std::string line;
    CHECK(std::getline(in, line));
    CHECK(line == "127.0.0.1");

    std::ifstream directory;
    CHECK(open_input_file(directory, dir.path()) == "Is a directory");
    CHECK_FALSE(directory.is_open());
    std::ifstream missing;
    CHECK(open_input_file(missing, dir.file("none.txt")) == "No such file or directory");
    std::ifstream below_a_file;
    CHECK(open_input_file(below_a_file, dir.file("targets.txt") + "/x") == "Not a directory");
  }
}
