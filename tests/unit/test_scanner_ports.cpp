#include "scanner/targets/ports.hpp"

#include <doctest/doctest.h>

using namespace fleetcert;

TEST_SUITE("scanner.ports")
{
  TEST_CASE("lists and ranges")
  {
    auto ports = parse_ports("443,5061");
    REQUIRE(ports.ok());
    CHECK(*ports == std::vector<std::uint16_t>{443, 5061});
    ports = parse_ports(" 8440-8442 , 443,8441");
    REQUIRE(ports.ok());
    CHECK(*ports == std::vector<std::uint16_t>{8440, 8441, 8442, 443});
    CHECK(parse_ports("65535")->front() == 65535);
  }

  TEST_CASE("errors name the bad item")
  {
    CHECK(parse_ports("0").error().find("'0'") != std::string::npos);
    CHECK(parse_ports("65536").error().find("'65536'") != std::string::npos);
    CHECK(parse_ports("443,,5061").error().find("empty") != std::string::npos);
    CHECK(parse_ports("").error().find("empty") != std::string::npos);
    CHECK(parse_ports("https").error().find("'https'") != std::string::npos);
    CHECK(parse_ports("500-400").error().find("first port above last") != std::string::npos);
    CHECK_FALSE(parse_ports("443x").ok());
    CHECK_FALSE(parse_ports("-5").ok());
  }
}
