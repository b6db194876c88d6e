// Terminal width: the kernel's word on a pseudo-terminal, nothing for a pipe, and the COLUMNS
// variable's strict parsing.

#include "scanner/util/terminal.hpp"

#include <doctest/doctest.h>

#include <pty.h>
#include <unistd.h>

using namespace fleetcert;

TEST_SUITE("util.terminal")
{
  TEST_CASE("terminal_columns reads a terminal's width and nothing else")
  {
    SUBCASE("a pseudo-terminal of 123 columns")
    {
      int master = -1;
      int slave = -1;
      winsize size{};
      size.ws_row = 40;
      size.ws_col = 123;
      REQUIRE(openpty(&master, &slave, nullptr, nullptr, &size) == 0);
      CHECK(terminal_columns(slave) == std::optional<std::size_t>(123));
      size.ws_col = 0; // a terminal that does not know its size
      REQUIRE(ioctl(slave, TIOCSWINSZ, &size) == 0);
      CHECK(terminal_columns(slave) == std::nullopt);
      close(slave);
      close(master);
    }
    SUBCASE("a pipe")
    {
      int fds[2];
      REQUIRE(pipe(fds) == 0);
      CHECK(terminal_columns(fds[1]) == std::nullopt);
      close(fds[0]);
      close(fds[1]);
    }
    SUBCASE("a closed descriptor")
    {
      CHECK(terminal_columns(-1) == std::nullopt);
    }
  }

  TEST_CASE("parse_columns takes a whole number from 1 to 100000 and nothing around it")
  {
    CHECK(parse_columns("80") == std::optional<std::size_t>(80));
    CHECK(parse_columns("1") == std::optional<std::size_t>(1));
    CHECK(parse_columns("100000") == std::optional<std::size_t>(100000));
    for (const char* bad : {"", "0", "100001", "-1", "+80", " 80", "80 ", "80x", "x", "8.0", "99999999999999999999999"}) {
      INFO(bad);
      CHECK(parse_columns(bad) == std::nullopt);
    }
    CHECK(parse_columns(nullptr) == std::nullopt);
  }
}
