// ISO 8601 instants and the calendar: exact forms only, impossible dates refused.

#include "scanner/util/time.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <limits>
#include <random>
#include <string>

using namespace fleetcert;

TEST_SUITE("util.time")
{
  TEST_CASE("format and parse ISO 8601 round trip")
  {
    CHECK(format_iso8601(0) == "1970-01-01T00:00:00Z");
    CHECK(format_iso8601(-86400) == "1969-12-31T00:00:00Z");
    CHECK(format_iso8601(-1) == "1969-12-31T23:59:59Z");
    CHECK(format_iso8601(1795392000) == "2026-11-23T00:00:00Z");
    CHECK(format_iso8601(253402300799) == "9999-12-31T23:59:59Z");
    CHECK(format_iso8601(-631152000) == "1950-01-01T00:00:00Z");
    CHECK(parse_iso8601("2026-11-23") == 1795392000);
    CHECK(parse_iso8601("2026-11-23T00:00:01Z") == 1795392001);
    CHECK(parse_iso8601("2026-11-23T00:00:01") == 1795392001);
    CHECK(parse_iso8601("2024-02-29") == 1709164800); // leap day
    for (std::int64_t t : {std::int64_t{-631152000}, std::int64_t{0}, std::int64_t{951782400}, std::int64_t{1795392001},
                           std::int64_t{253402300799}}) {
      CHECK(parse_iso8601(format_iso8601(t)) == t);
    }
  }

  TEST_CASE("format_iso8601 writes what gmtime and strftime write, from year 0 to 9999, and clamps beyond")
  {
    std::mt19937_64 rng(1128);
    constexpr std::int64_t k_first = -62167219200; // 0000-01-01T00:00:00Z
    constexpr std::int64_t k_last = 253402300799;  // 9999-12-31T23:59:59Z
    std::uniform_int_distribution<std::int64_t> any(k_first, k_last);
    for (int i = 0; i < 20000; ++i) {
      const std::int64_t t = i < 4 ? std::array<std::int64_t, 4>{k_first, k_last, -1, 0}[static_cast<std::size_t>(i)] : any(rng);
      const std::time_t as_time = static_cast<std::time_t>(t);
      std::tm parts{};
      REQUIRE(gmtime_r(&as_time, &parts) != nullptr);
      std::array<char, 64> text{};
      // strftime's %Y does not pad years below 1000; write the year apart.
      const std::size_t written = std::strftime(text.data(), text.size(), "-%m-%dT%H:%M:%SZ", &parts);
      REQUIRE(written > 0);
      std::array<char, 16> year{};
      std::snprintf(year.data(), year.size(), "%04d", parts.tm_year + 1900);
      REQUIRE(format_iso8601(t) == std::string(year.data()) + text.data());
    }
    CHECK(format_iso8601(k_first - 1) == "0000-01-01T00:00:00Z");
    CHECK(format_iso8601(k_last + 1) == "9999-12-31T23:59:59Z");
    CHECK(format_iso8601(std::numeric_limits<std::int64_t>::min()) == "0000-01-01T00:00:00Z");
  }

  TEST_CASE("impossible dates are refused, not rolled over")
  {
    CHECK_FALSE(parse_iso8601("2026-02-31").has_value());
    CHECK_FALSE(parse_iso8601("2026-02-29").has_value()); // 2026 is no leap year
    CHECK_FALSE(parse_iso8601("1900-02-29").has_value()); // nor is 1900
    CHECK_FALSE(parse_iso8601("2026-04-31").has_value());
    CHECK_FALSE(parse_iso8601("2026-13-01").has_value());
    CHECK_FALSE(parse_iso8601("2026-00-10").has_value());
    CHECK_FALSE(parse_iso8601("2026-11-00").has_value());
    CHECK_FALSE(parse_iso8601("2026-11-23T24:00:00Z").has_value());
    CHECK_FALSE(parse_iso8601("2026-11-23T23:60:00Z").has_value());
    CHECK_FALSE(epoch_of(2026, 2, 31).has_value());
    CHECK(epoch_of(2026, 11, 23) == 1795392000);
  }

  TEST_CASE("only the exact forms are read")
  {
    CHECK_FALSE(parse_iso8601(" 026-11-23").has_value()); // was read as year 26
    CHECK_FALSE(parse_iso8601("026-11-23").has_value());
    CHECK_FALSE(parse_iso8601("2026-1-23").has_value());
    CHECK_FALSE(parse_iso8601("2026-11-23 ").has_value());
    CHECK_FALSE(parse_iso8601("2026-11-23T1:00:00Z").has_value());
    CHECK_FALSE(parse_iso8601("2026-11-23T10:00:00+02").has_value());
    CHECK_FALSE(parse_iso8601("2026-11-23T10:00:00z").has_value());
    CHECK_FALSE(parse_iso8601("2026/11/23").has_value());
    CHECK_FALSE(parse_iso8601("+026-11-23").has_value());
    CHECK_FALSE(parse_iso8601("yesterday").has_value());
    CHECK_FALSE(parse_iso8601("").has_value());
  }
}
