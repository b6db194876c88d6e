// Tests for scanner/dhcp_leases: the dnsmasq, ISC dhcpd and Kea readers (good files, every kind of
// bad line with its line number, lenient skipping, duplicates, IPv6, expiry relative to "now"),
// format detection, the file loader and the merge into an inventory.

#include "scanner/inputs/dhcp_leases.hpp"
#include "scanner/util/digest.hpp"

#include "support/process.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string>

using namespace fleetcert;

namespace {

// 2026-11-23T12:00:00Z
constexpr std::int64_t k_now = 1795435200;

DhcpLeaseOptions options_at(std::int64_t now = k_now, bool lenient = false, bool include_expired = false)
{
  DhcpLeaseOptions options;
  options.now = now;
  options.lenient = lenient;
  options.include_expired = include_expired;
  return options;
}

DhcpLeases read_ok(const std::string& text, std::optional<DhcpFormat> format = std::nullopt,
                   const DhcpLeaseOptions& options = options_at())
{
  auto leases = read_dhcp_leases(text, "leases", format, options);
  REQUIRE_MESSAGE(leases.ok(), (leases.ok() ? "" : leases.error()));
  return std::move(*leases);
}

std::string read_error(const std::string& text, std::optional<DhcpFormat> format = std::nullopt,
                       const DhcpLeaseOptions& options = options_at())
{
  auto leases = read_dhcp_leases(text, "leases", format, options);
  REQUIRE_MESSAGE(!leases.ok(), "the leases should not load");
  return leases.error();
}

const DhcpLease* find(const DhcpLeases& leases, const std::string& ip)
{
  for (const DhcpLease& lease : leases.leases) {
    if (lease.ip == ip) {
      return &lease;
    }
  }
  return nullptr;
}

const std::string k_kea4_header =
    "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n";

// One Kea lease4 row: expire relative to k_now.
std::string kea4(const std::string& address, const std::string& mac, std::int64_t expire_offset,
                 const std::string& hostname, int state = 0, const std::string& lifetime = "3600")
{
  return address + "," + mac + ",01:" + mac + "," + lifetime + "," + std::to_string(k_now + expire_offset) +
         ",1,0,0," + hostname + "," + std::to_string(state) + ",\n";
}

} // namespace

TEST_SUITE("scanner.dhcp_leases")
{
  TEST_CASE("format detection")
  {
    CHECK(detect_dhcp_format("1795438800 00:0b:82:a1:b2:c3 192.0.2.7 gs * \n") == DhcpFormat::dnsmasq);
    CHECK(detect_dhcp_format("\n\nduid 00:01:00:01:2c:5b:9a:1e:52:54:00:12:34:56\n") == DhcpFormat::dnsmasq);
    CHECK(detect_dhcp_format("# The format of this file is documented in the dhcpd.leases(5) manual page.\n") ==
          DhcpFormat::isc);
    CHECK(detect_dhcp_format("lease 192.0.2.7 {\n}\n") == DhcpFormat::isc);
    CHECK(detect_dhcp_format("authoring-byte-order little-endian;\n") == DhcpFormat::isc);
    CHECK(detect_dhcp_format("ia-na \"x\" {\n}\n") == DhcpFormat::isc);
    CHECK(detect_dhcp_format(k_kea4_header) == DhcpFormat::kea);
    CHECK(detect_dhcp_format("address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type\n") ==
          DhcpFormat::kea);
    CHECK_FALSE(detect_dhcp_format("mac,ip,hostname\n").has_value());
    CHECK_FALSE(detect_dhcp_format("").has_value());
    CHECK(parse_dhcp_format("isc") == DhcpFormat::isc);
    CHECK_FALSE(parse_dhcp_format("ISC").has_value());

    const std::string error = read_error("mac,ip\n00:0b:82:a1:b2:c3,192.0.2.7\n");
    CHECK(error.find("leases: not a lease file") == 0);
    CHECK(error.find("--dhcp-format") != std::string::npos);
    CHECK(read_ok("\n \n").leases.empty()); // an empty file: nothing handed out yet
  }

  TEST_CASE("dnsmasq: IPv4 and IPv6 leases, '*' for none, infinite and expired leases")
  {
    const std::string text = "1795438800 00:0b:82:a1:b2:c3 192.0.2.7 reception 01:00:0b:82:a1:b2:c3\n"
                             "1795438800 00:04:F2:00:00:05 192.0.2.8 * *\n"
                             "0 7c:2f:80:00:00:04 192.0.2.9 dect-base *\n"
                             "1795000000 00:04:f2:00:00:06 192.0.2.10 gone *\n"
                             "1795438800 06-aa:bb:cc 192.0.2.11 token-ring *\n"
                             "duid 00:01:00:01:2c:5b:9a:1e:52:54:00:12:34:56\n"
                             "1795438800 1234567 2001:DB8::0010 phone6 00:01:00:01:2c:5b:9a:1e:00:0b:82:a1:b2:c3\n"
                             "1795438800 T99 2001:db8::11 * *\n";
    const DhcpLeases leases = read_ok(text);
    CHECK(leases.format == DhcpFormat::dnsmasq);
    REQUIRE(leases.leases.size() == 6);
    CHECK(leases.expired == 1);
    CHECK(find(leases, "192.0.2.10") == nullptr);

    const DhcpLease* first = find(leases, "192.0.2.7");
    REQUIRE(first != nullptr);
    CHECK(first->line == 1);
    CHECK(first->mac == "000B82A1B2C3");
    CHECK(first->hostname == "reception");
    CHECK(first->expires == 1795438800);
    CHECK_FALSE(first->expired);
    CHECK(find(leases, "192.0.2.8")->hostname.empty());
    CHECK(find(leases, "192.0.2.8")->mac == "0004F2000005");
    CHECK_FALSE(find(leases, "192.0.2.9")->expires.has_value()); // 0: infinite
    CHECK(find(leases, "192.0.2.11")->mac.empty());              // not Ethernet
    const DhcpLease* v6 = find(leases, "2001:db8::10");          // canonical text
    REQUIRE(v6 != nullptr);
    CHECK(v6->mac.empty());
    CHECK(v6->hostname == "phone6");
    CHECK(v6->line == 7);
    CHECK(find(leases, "2001:db8::11") != nullptr);

    // --dhcp-include-expired keeps it, marked.
    const DhcpLeases all = read_ok(text, std::nullopt, options_at(k_now, false, true));
    CHECK(all.leases.size() == 7);
    CHECK(all.expired == 0);
    REQUIRE(find(all, "192.0.2.10") != nullptr);
    CHECK(find(all, "192.0.2.10")->expired);
    // Later "now": more of them have expired.
    CHECK(read_ok(text, std::nullopt, options_at(1795438800)).leases.size() == 1); // only the infinite one
  }

  TEST_CASE("dnsmasq: bad lines name file and line, lenient skips and counts them")
  {
    const std::string good = "1795438800 00:0b:82:a1:b2:c3 192.0.2.7 reception *\n";
    CHECK(read_error(good + "1795438800 00:0b:82:zz:b2:c3 192.0.2.8 x *\n") ==
          "leases:2: invalid MAC '00:0b:82:zz:b2:c3'");
    CHECK(read_error(good + "1795438800 00:0b:82:a1:b2:c4 192.0.2.300 x *\n") ==
          "leases:2: invalid IP address '192.0.2.300'");
    CHECK(read_error(good + "soon 00:0b:82:a1:b2:c4 192.0.2.8 x *\n", DhcpFormat::dnsmasq) ==
          "leases:2: invalid expiry time 'soon'");
    CHECK(read_error(good + "1795438800 00:0b:82:a1:b2:c4 192.0.2.8\n") ==
          "leases:2: expected 'expiry MAC address hostname client-id', found 3 fields");
    CHECK(read_error(good + "1795438800 0b:82:a1:b2:c4 2001:db8::1 x *\n") ==
          "leases:2: invalid IAID '0b:82:a1:b2:c4'");
    CHECK(read_error(good + "\n1795438800 00:0b:82:a1:b2:c4 192.0.2.7 again *\n") ==
          "leases:3: duplicate address '192.0.2.7' (first on line 1)");
    // A line cut short by a crash of the writer.
    CHECK(read_error(good + "1795438800 00:0b:8") == "leases:2: expected 'expiry MAC address hostname client-id', "
                                                     "found 2 fields");

    const DhcpLeases lenient = read_ok(good + "1795438800 00:0b:82:zz:b2:c3 192.0.2.8 x *\n" +
                                           "1795438800 00:0b:82:a1:b2:c4 192.0.2.7 again *\n" +
                                           "1795438800 00:0b:82:a1:b2:c5 192.0.2.9 fine *\n",
                                       std::nullopt, options_at(k_now, true));
    CHECK(lenient.leases.size() == 2);
    CHECK(lenient.skipped == 2);
    REQUIRE(lenient.warnings.size() == 2);
    CHECK(lenient.warnings[0] == "leases:2: invalid MAC '00:0b:82:zz:b2:c3'");
    CHECK(lenient.warnings[1] == "leases:3: duplicate address '192.0.2.7' (first on line 1)");
    CHECK(find(lenient, "192.0.2.7")->hostname == "reception"); // the first one stays
  }

  TEST_CASE("ISC: the last block of an address wins, only active leases count")
  {
    const std::string text = R"(# The format of this file is documented in the dhcpd.leases(5) manual page.
# This lease file was written by isc-dhcp-4.4.3

# authoring-byte-order entry is generated, DO NOT DELETE
authoring-byte-order little-endian;

server-duid "\000\001\000\001+\233\230\021RT\000\0224V";

lease 192.0.2.7 {
  starts 1 2026/11/23 08:00:00;
  ends 1 2026/11/23 20:00:00;
  cltt 1 2026/11/23 08:00:00;
  binding state active;
  next binding state free;
  rewind binding state free;
  hardware ethernet 00:0b:82:a1:b2:c3;
  uid "\001\000\013\202\241\262\303";
  set vendor-class-identifier = "Grandstream GXP2170";
  client-hostname "old-name";
}
lease 192.0.2.8 {
  starts 1 2026/11/23 08:00:00;
  ends 1 2026/11/23 20:00:00;
  binding state free;
  hardware ethernet 00:04:f2:00:00:05;
}
lease 192.0.2.9 {
  starts 1 2026/11/23 08:00:00;
  ends epoch 1795464000; # Mon Nov 23 20:00:00 2026
  hardware ethernet 00:04:f2:00:00:06;
  client-hostname "no \"binding\" {state}; here";
  on commit { set x = "}"; }
}
lease 192.0.2.10 {
  starts 0 2026/11/22 08:00:00;
  ends 0 2026/11/22 20:00:00;
  hardware ethernet 00:04:f2:00:00:07;
}
lease 192.0.2.11 {
  starts 0 2026/11/22 08:00:00;
  ends 0 2026/11/22 20:00:00;
  binding state expired;
  hardware ethernet 00:04:f2:00:00:08;
}
lease 192.0.2.12 {
  starts 1 2026/11/23 08:00:00;
  ends never;
  binding state active;
  hardware token-ring 00:04:f2:00:00:09;
  client-hostname "caf\303\251\012";
}
host fixed-phone {
  dynamic;
  hardware ethernet 00:04:f2:00:00:99;
  fixed-address 192.0.2.99;
}
lease 192.0.2.7 {
  starts 1 2026/11/23 09:00:00;
  ends 1 2026/11/23 21:00:00;
  binding state active;
  hardware ethernet 00:0b:82:a1:b2:c3;
  client-hostname "reception";
}
lease 192.0.2.8 {
  starts 1 2026/11/23 09:00:00;
  ends 1 2026/11/23 21:00:00;
  binding state active;
  hardware ethernet 00:04:f2:00:00:05;
}
)";
    const DhcpLeases leases = read_ok(text);
    CHECK(leases.format == DhcpFormat::isc);
    REQUIRE(leases.leases.size() == 4);
    CHECK(leases.expired == 2);  // .10 ended yesterday, .11 says expired
    CHECK(leases.inactive == 0); // .8 was free, then active again (the last block wins)

    const DhcpLease* first = find(leases, "192.0.2.7");
    REQUIRE(first != nullptr);
    CHECK(first->hostname == "reception"); // the last block
    CHECK(first->line == 57);
    CHECK(first->mac == "000B82A1B2C3");
    CHECK(first->expires == k_now + 9 * 3600);
    REQUIRE(find(leases, "192.0.2.8") != nullptr);
    const DhcpLease* no_state = find(leases, "192.0.2.9");
    REQUIRE(no_state != nullptr);
    CHECK(no_state->hostname == "no \"binding\" {state}; here");
    CHECK(no_state->expires == 1795464000);
    const DhcpLease* never = find(leases, "192.0.2.12");
    REQUIRE(never != nullptr);
    CHECK_FALSE(never->expires.has_value());
    CHECK(never->mac.empty()); // not Ethernet
    CHECK(never->hostname == "caf\xC3\xA9\n");
    CHECK(find(leases, "192.0.2.99") == nullptr); // a host declaration is not a lease

    // Reversed: the free block last.
    const DhcpLeases freed = read_ok("lease 192.0.2.8 {\n  ends never;\n  binding state active;\n}\n"
                                     "lease 192.0.2.8 {\n  ends never;\n  binding state released;\n}\n");
    CHECK(freed.leases.empty());
    CHECK(freed.inactive == 1);

    const DhcpLeases expired = read_ok(text, std::nullopt, options_at(k_now, false, true));
    CHECK(expired.leases.size() == 6);
    CHECK(find(expired, "192.0.2.11")->expired);
  }

  TEST_CASE("ISC: IPv6 leases in ia-na blocks")
  {
    const DhcpLeases leases = read_ok(R"(ia-na "\001\002\003\004\000\001\000\001" {
  cltt 1 2026/11/23 08:00:00;
  iaaddr 2001:db8:0:0::20 {
    binding state active;
    preferred-life 375;
    max-life 600;
    ends 1 2026/11/23 20:00:00;
  }
  iaaddr 2001:db8::21 {
    binding state expired;
    ends 0 2026/11/22 20:00:00;
  }
}
ia-pd "\001\002\003\005" {
  iaprefix 2001:db8:1::/64 {
    binding state active;
    ends never;
  }
}
)",
                                      DhcpFormat::isc);
    REQUIRE(leases.leases.size() == 1);
    CHECK(leases.leases[0].ip == "2001:db8::20");
    CHECK(leases.leases[0].mac.empty());
    CHECK(leases.leases[0].line == 3);
    CHECK(leases.expired == 1);
  }

  TEST_CASE("ISC: truncated block, missing semicolon, bad MAC, bad IP, unterminated quote")
  {
    const std::string good = "lease 192.0.2.7 {\n  ends never;\n  hardware ethernet 00:0b:82:a1:b2:c3;\n}\n";
    // Truncated: the file ends inside the block (a crash while appending).
    CHECK(read_error(good + "lease 192.0.2.8 {\n  ends never;\n  hardware ethernet 00:0b") ==
          "leases:5: block 'lease 192.0.2.8' is not closed (the file ends first)");
    CHECK(read_error(good + "lease 192.0.2.8 {\n  ends never\n  hardware ethernet 00:0b:82:a1:b2:c4;\n}\n") ==
          "leases:6: missing ';' at the end of the line");
    CHECK(read_error(good + "lease 192.0.2.8 {\n  ends never;\n  binding state active\n}\n") ==
          "leases:7: missing ';' before '}'");
    CHECK(read_error(good + "lease 192.0.2.8 {\n  hardware ethernet 00:0b:82:a1:b2;\n}\n") ==
          "leases:5: lease 192.0.2.8: invalid MAC '00:0b:82:a1:b2' on line 6");
    CHECK(read_error(good + "lease 192.0.2.256 {\n  ends never;\n}\n") == "leases:5: invalid IP address '192.0.2.256'");
    CHECK(read_error(good + "lease 192.0.2.8 {\n  client-hostname \"open;\n}\nlease 192.0.2.9 {\n}\n") ==
          "leases:6: unterminated quoted string");
    CHECK(read_error(good + "lease 192.0.2.8 {\n  ends 1 2026/02/30 10:00:00;\n}\n") ==
          "leases:5: lease 192.0.2.8: invalid time in 'ends' on line 6 (expected 'W YYYY/MM/DD HH:MM:SS', "
          "'epoch N' or 'never')");
    CHECK(read_error(good + "lease 192.0.2.8 {\n  binding state confused;\n}\n") ==
          "leases:5: lease 192.0.2.8: unknown binding state 'confused' on line 6");
    CHECK(read_error(good + "}\n") == "leases:5: '}' without a block to close");
    CHECK(read_error(good + "lease 192.0.2.8;\n") == "leases:5: expected 'lease ADDRESS { ... }'");

    // Lenient: each bad block is skipped and named; reading resumes at the next top-level statement.
    const DhcpLeases lenient = read_ok(good +
                                           "lease 192.0.2.8 {\n  ends never\n  hardware ethernet 00:0b:82:a1:b2:c4;\n}\n"
                                           "lease 192.0.2.9 {\n  client-hostname \"open;\n}\n"
                                           "lease 192.0.2.10 {\n  ends never;\n}\n"
                                           "lease 192.0.2.11 {\n  ends never;\n",
                                       std::nullopt, options_at(k_now, true));
    CHECK(lenient.leases.size() == 2);
    CHECK(find(lenient, "192.0.2.7") != nullptr);
    CHECK(find(lenient, "192.0.2.10") != nullptr);
    CHECK(lenient.skipped == 3);
    REQUIRE(lenient.warnings.size() == 3);
    CHECK(lenient.warnings[0] == "leases:6: missing ';' at the end of the line");
    CHECK(lenient.warnings[1] == "leases:10: unterminated quoted string");
    CHECK(lenient.warnings[2] == "leases:15: block 'lease 192.0.2.11' is not closed (the file ends first)");

    // Nesting has a bound.
    std::string deep = "lease 192.0.2.8 {\n";
    for (int i = 0; i < 40; ++i) {
      deep += "on commit {\n";
    }
    CHECK(read_error(deep).find("blocks nested deeper than 16 levels") != std::string::npos);
  }

  TEST_CASE("Kea: lease4 and lease6 CSV, states, deletions, the last row wins")
  {
    const std::string text = k_kea4_header + kea4("192.0.2.7", "00:0b:82:a1:b2:c3", 3600, "old") +
                             kea4("192.0.2.8", "00:04:f2:00:00:05", 3600, "declined", 1) +
                             kea4("192.0.2.9", "00:04:f2:00:00:06", -3600, "reclaimed", 2) +
                             kea4("192.0.2.10", "00:04:f2:00:00:07", -60, "ended") +
                             kea4("192.0.2.11", "", 3600, "no&#x2cmac") +
                             kea4("192.0.2.12", "00:04:f2:00:00:08", 3600, "deleted") +
                             kea4("192.0.2.12", "00:04:f2:00:00:08", 3600, "deleted", 0, "0") +
                             kea4("192.0.2.13", "00:04:f2:00:00:09", -7200, "forever", 0, "4294967295") +
                             kea4("192.0.2.7", "00:0b:82:a1:b2:c3", 7200, "reception");
    const DhcpLeases leases = read_ok(text);
    CHECK(leases.format == DhcpFormat::kea);
    REQUIRE(leases.leases.size() == 3);
    CHECK(leases.expired == 2);  // .9 reclaimed, .10 ended
    CHECK(leases.inactive == 2); // .8 declined, .12 deleted
    const DhcpLease* first = find(leases, "192.0.2.7");
    REQUIRE(first != nullptr);
    CHECK(first->hostname == "reception");
    CHECK(first->line == 10);
    CHECK(first->expires == k_now + 7200);
    CHECK(first->mac == "000B82A1B2C3");
    CHECK(find(leases, "192.0.2.11")->mac.empty());
    CHECK(find(leases, "192.0.2.11")->hostname == "no,mac");
    CHECK_FALSE(find(leases, "192.0.2.13")->expires.has_value());

    // Kea 2.x lease6: delegated prefixes are not device addresses.
    const DhcpLeases v6 = read_ok(
        "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,"
        "hostname,hwaddr,state,user_context,hwtype,hwaddr_source,pool_id\n"
        "2001:db8::30,00:01:00:01:2c:5b:9a:1e:00:0b:82:a1:b2:c3,4000," +
        std::to_string(k_now + 4000) +
        ",1,3000,0,1,128,0,0,phone6,00:0b:82:a1:b2:c3,0,{ \"a\": 1&#x2c \"b\": 2 },1,2,0\n"
        "2001:db8:1::,00:01:00:01:2c:5b:9a:1e:00:0b:82:a1:b2:c4,4000," +
        std::to_string(k_now + 4000) + ",1,3000,2,1,64,0,0,,,0,,1,2,0\n");
    REQUIRE(v6.leases.size() == 1);
    CHECK(v6.leases[0].ip == "2001:db8::30");
    CHECK(v6.leases[0].mac == "000B82A1B2C3");
    CHECK(v6.leases[0].hostname == "phone6");
  }

  TEST_CASE("Kea: bad rows name file and line, lenient skips them")
  {
    CHECK(read_error(k_kea4_header + kea4("192.0.2.7", "00:0b:82:a1:b2", 3600, "x")) ==
          "leases:2: invalid MAC '00:0b:82:a1:b2'");
    CHECK(read_error(k_kea4_header + kea4("192.0.2.7.1", "00:0b:82:a1:b2:c3", 3600, "x")) ==
          "leases:2: invalid IP address '192.0.2.7.1'");
    CHECK(read_error(k_kea4_header + kea4("192.0.2.7", "00:0b:82:a1:b2:c3", 3600, "x", 7)) ==
          "leases:2: invalid state '7' (0 default, 1 declined, 2 expired-reclaimed, 3 released)");
    CHECK(read_error(k_kea4_header + kea4("192.0.2.7", "00:0b:82:a1:b2:c3", 3600, "x", 0, "-1")) ==
          "leases:2: invalid valid_lifetime '-1'");
    CHECK(read_error(k_kea4_header + "192.0.2.7,00:0b:82:a1:b2:c3,,3600,17954") ==
          "leases:2: row has 5 fields, header has 11");
    CHECK(read_error("address,hwaddr,hostname\n", DhcpFormat::kea) ==
          "leases:1: header has no 'expire' column (not a Kea lease file?)");
    CHECK(read_error("address,address,expire,valid_lifetime\n") == "leases:1: header: duplicate column 'address'");

    const DhcpLeases lenient =
        read_ok(k_kea4_header + kea4("192.0.2.7", "00:0b:82:a1:b2", 3600, "x") + "truncated,row\n" +
                    kea4("192.0.2.8", "00:0b:82:a1:b2:c3", 3600, "fine"),
                std::nullopt, options_at(k_now, true));
    CHECK(lenient.leases.size() == 1);
    CHECK(lenient.skipped == 2);
    REQUIRE(lenient.warnings.size() == 2);
    CHECK(lenient.warnings[1] == "leases:3: row has 2 fields, header has 11");
  }

  TEST_CASE("caps: leases and field sizes")
  {
    DhcpLeaseOptions options = options_at();
    options.max_leases = 2;
    const std::string three = "0 00:0b:82:a1:b2:c1 192.0.2.1 a *\n0 00:0b:82:a1:b2:c2 192.0.2.2 b *\n"
                              "0 00:0b:82:a1:b2:c3 192.0.2.3 c *\n";
    CHECK(read_error(three, std::nullopt, options) == "leases:3: more than 2 leases");
    options.lenient = true;
    CHECK(read_error(three, std::nullopt, options) == "leases:3: more than 2 leases"); // lenient or not
    options = options_at();
    options.max_field_bytes = 18; // a MAC (17) fits, "a-very-long-host-name" (21) does not
    CHECK(read_ok("0 00:0b:82:a1:b2:c1 192.0.2.1 a-very-long-host-name *\n").leases.size() == 1);
    CHECK(read_error("0 00:0b:82:a1:b2:c1 192.0.2.1 a-very-long-host-name *\n", std::nullopt, options) ==
          "leases:1: field longer than 18 bytes");
    CHECK(read_error("lease 192.0.2.1 {\n client-hostname \"a-very-long-host-name\";\n}\n", std::nullopt, options) ==
          "leases:2: quoted string longer than 18 bytes");
    CHECK(read_error(k_kea4_header + kea4("192.0.2.1", "00:0b:82:a1:b2:c1", 3600, "a-very-long-host-name"),
                     std::nullopt, options) == "leases:2: field longer than 18 bytes");
    // Kea's user_context is not read, so not capped.
    CHECK(read_ok(k_kea4_header + "192.0.2.1,00:0b:82:a1:b2:c1,,3600,1795438800,1,0,0,a,0,{ \"note\": \"" +
                      std::string(100, 'x') + "\" }\n",
                  std::nullopt, options)
              .leases.size() == 1);
    options.max_file_bytes = 10;
    CHECK(read_error(three, std::nullopt, options) == "leases: larger than 10 bytes");
  }

  TEST_CASE("the file loader")
  {
    fleetcert::testing::TempDir dir;
    fleetcert::testing::write_file(dir.file("dnsmasq.leases"), "0 00:0b:82:a1:b2:c3 192.0.2.7 reception *\n");
    auto leases = load_dhcp_leases_file(dir.file("dnsmasq.leases"), std::nullopt, options_at());
    REQUIRE(leases.ok());
    CHECK(leases->leases.size() == 1);
    // The content's SHA-256, for the report's audit settings (read() leaves it empty: no file).
    CHECK(leases->sha256 == sha256_hex_of("0 00:0b:82:a1:b2:c3 192.0.2.7 reception *\n"));
    // Forcing the wrong format gives that format's error.
    auto forced = load_dhcp_leases_file(dir.file("dnsmasq.leases"), DhcpFormat::kea, options_at());
    REQUIRE_FALSE(forced.ok());
    CHECK(forced.error() == dir.file("dnsmasq.leases") + ":1: header has no 'address' column (not a Kea lease file?)");
    auto missing = load_dhcp_leases_file(dir.file("none"), std::nullopt, options_at());
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error() == "cannot read DHCP leases '" + dir.file("none") + "': No such file or directory");
    auto directory = load_dhcp_leases_file(dir.path(), std::nullopt, options_at());
    REQUIRE_FALSE(directory.ok());
    CHECK(directory.error() == "cannot read DHCP leases '" + dir.path() + "': Is a directory");
  }

  TEST_CASE("merging into an inventory: inventory rows win, leases fill in, MAC conflicts are reported")
  {
    std::istringstream csv("mac,ip,hostname,vendor,model,site\n"
                           ",192.0.2.7,,Grandstream,GXP2170,HQ\n"
                           "0004F2000005,192.0.2.8,vvx-8,,VVX 450,Branch\n"
                           "0004F2000006,192.0.2.50,vvx-6,,VVX 450,Branch\n");
    auto inventory = read_inventory(csv, "inv.csv", false);
    REQUIRE(inventory.ok());
    const DhcpLeases leases = read_ok("0 00:0b:82:a1:b2:c3 192.0.2.7 reception *\n"
                                      "0 00:04:f2:00:00:99 192.0.2.8 lease-name *\n"
                                      "0 00:04:f2:00:00:06 192.0.2.9 vvx-moved *\n"
                                      "0 00:04:f2:00:00:10 192.0.2.10 * *\n");
    const LeaseMerge merge = merge_dhcp_leases(*inventory, leases, "dnsmasq.leases");
    CHECK(merge.filled == 1);
    REQUIRE(merge.added_rows.size() == 2);
    REQUIRE(merge.conflicts.size() == 2);
    CHECK(merge.conflicts[0] == "dnsmasq.leases:2: the lease of 192.0.2.8 is for MAC 0004F2000099, the inventory "
                                "lists 0004F2000005 (the inventory's is kept)");
    CHECK(merge.conflicts[1] == "dnsmasq.leases:3: MAC 0004F2000006 has a lease for 192.0.2.9, the inventory lists "
                                "it at 192.0.2.50");

    const InventoryRow* filled = inventory->find_by_ip("192.0.2.7");
    REQUIRE(filled != nullptr);
    CHECK(filled->mac == "000B82A1B2C3");
    CHECK(filled->hostname == "reception");
    CHECK(filled->vendor == "Grandstream"); // the inventory's
    CHECK(filled->site == "HQ");
    REQUIRE(filled->extra.size() == 1);
    CHECK(filled->extra[0] == std::make_pair(std::string("dhcp_lease"), std::string("dnsmasq.leases:1")));
    const InventoryRow* kept = inventory->find_by_ip("192.0.2.8");
    CHECK(kept->mac == "0004F2000005");
    CHECK(kept->hostname == "vvx-8");
    const InventoryRow* added = inventory->find_by_ip("192.0.2.10");
    REQUIRE(added != nullptr);
    CHECK(added->mac == "0004F2000010");
    CHECK(added->hostname.empty());
    CHECK(added->vendor.empty()); // the audit finds it from the MAC prefix
    CHECK(inventory->find_by_mac("0004F2000010") == added);
    CHECK(inventory->find_by_mac("0004F2000006")->ip == "192.0.2.50"); // the inventory's row stays first
    CHECK(inventory->rows.size() == 5);
  }
}
