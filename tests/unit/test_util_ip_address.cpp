// IP addresses as text: parsed in every form a user or an older report may write, written in one
// form (dotted quad, RFC 5952).

#include "scanner/util/ip_address.hpp"

#include <doctest/doctest.h>

#include <array>
#include <string>

using namespace fleetcert;

TEST_SUITE("util.ip_address")
{
  TEST_CASE("IPv4: strict dotted quads")
  {
    const auto address = parse_address("192.0.2.7");
    REQUIRE(address);
    CHECK_FALSE(address->first);
    CHECK(address->second == ((uint128{192} << 24) | (uint128{0} << 16) | (uint128{2} << 8) | 7));
    CHECK(format_address(false, address->second) == "192.0.2.7");
    CHECK(format_address(false, 0) == "0.0.0.0");
    CHECK(format_address(false, k_v4_max) == "255.255.255.255");
    for (const char* bad : {"1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", "", "1..2.3"}) {
      CAPTURE(bad);
      CHECK_FALSE(parse_address(bad));
    }
    CHECK(parse_octet("0") == 0u);
    CHECK(parse_octet("255") == 255u);
    CHECK_FALSE(parse_octet("256"));
    CHECK_FALSE(parse_octet("010"));
    CHECK_FALSE(parse_octet("1a"));
  }

  TEST_CASE("IPv6: every textual form is written in RFC 5952 form")
  {
    const std::pair<const char*, const char*> cases[] = {
        {"::1", "::1"},
        {"::", "::"},
        {"2001:db8::7", "2001:db8::7"},
        {"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},                       // lower case, compressed
        {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},    // leading zeros dropped
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},                 // the first of two equal runs
        {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},                       // the longest run
        {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},              // one zero field: no "::"
        {"2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::"},
        {"1::", "1::"},
        {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},                      // RFC 5952 section 5
        {"::ffff:c000:201", "::ffff:192.0.2.1"},
        {"0:0:0:0:0:FFFF:C000:0201", "::ffff:192.0.2.1"},
        {"::102:304", "::102:304"},                                    // deprecated IPv4-compatible: hex
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
    };
    for (const auto& [written, canonical] : cases) {
      CAPTURE(written);
      const auto address = parse_address(written);
      REQUIRE(address);
      CHECK(address->first);
      CHECK(format_address(true, address->second) == canonical);
      CHECK(canonical_address(written) == canonical);
      CHECK(canonical_address(canonical) == canonical);
    }
    for (const char* bad : {"2001:db8:::1", "2001:db8::g", "fe80::1%eth0", "1:2:3:4:5:6:7:8:9", ":1"}) {
      CAPTURE(bad);
      CHECK_FALSE(parse_address(bad));
    }
  }

  TEST_CASE("canonical_address leaves names and broken text as they are")
  {
    CHECK(canonical_address("phone-12.example.net") == "phone-12.example.net");
    CHECK(canonical_address("") == "");
    CHECK(canonical_address("01.2.3.4") == "01.2.3.4");
    CHECK(canonical_address("fe80::1%eth0") == "fe80::1%eth0");
  }

  TEST_CASE("format_address_bytes: addresses in network byte order, as certificates hold them")
  {
    const std::array<unsigned char, 4> v4{192, 0, 2, 1};
    CHECK(format_address_bytes(v4) == "192.0.2.1");
    const std::array<unsigned char, 16> v6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1};
    CHECK(format_address_bytes(v6) == "2001:db8::1:0:0:1");
    const std::array<unsigned char, 16> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
    CHECK(format_address_bytes(mapped) == "::ffff:192.0.2.1");
    const std::array<unsigned char, 5> odd{1, 2, 3, 4, 5};
    CHECK_FALSE(format_address_bytes(odd));
    CHECK_FALSE(format_address_bytes({}));
  }
}
