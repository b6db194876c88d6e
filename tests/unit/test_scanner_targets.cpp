// Tests for scanner/targets: spec parsing, spec files, TargetSet merging and exclusion, and the
// lazy TargetCursor.

#include "scanner/targets/targets.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace fleetcert;

namespace {

constexpr uint128 v4(unsigned a, unsigned b, unsigned c, unsigned d)
{
  return (uint128{a} << 24) | (uint128{b} << 16) | (uint128{c} << 8) | d;
}

TargetSpec spec(std::string_view text)
{
  auto parsed = parse_target_spec(text);
  const std::string why = std::string(text) + ": " + (parsed.ok() ? "" : parsed.error());
  REQUIRE_MESSAGE(parsed.ok(), why);
  return *parsed;
}

std::string spec_error(std::string_view text)
{
  auto parsed = parse_target_spec(text);
  const std::string why = std::string(text) + " should not parse";
  REQUIRE_MESSAGE(!parsed.ok(), why);
  return parsed.error();
}

TargetSet set_of(std::initializer_list<std::string_view> adds, std::initializer_list<std::string_view> excludes = {})
{
  TargetSet set;
  for (auto text : adds) {
    set.add(spec(text));
  }
  for (auto text : excludes) {
    set.exclude(spec(text));
  }
  return set;
}

// Every target the cursor yields, as "ip" or "host:name"; bounded so a bug cannot run away.
std::vector<std::string> walk(const TargetSet& set, std::size_t limit = 100000)
{
  std::vector<std::string> out;
  TargetCursor cursor(set);
  while (auto target = cursor.next()) {
    out.push_back(target->ip.empty() ? "host:" + target->host : target->ip);
    if (out.size() > limit) {
      FAIL("the cursor yielded more targets than expected");
    }
  }
  return out;
}

std::vector<std::string> range_texts(const TargetSet& set)
{
  std::vector<std::string> out;
  for (const IpRange& range : set.ranges()) {
    out.push_back(format_address(range.v6, range.first) + "-" + format_address(range.v6, range.last));
  }
  return out;
}

bool contains(const std::string& text, std::string_view part)
{
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_SUITE("scanner.targets")
{
  TEST_CASE("every spec form")
  {
    SUBCASE("IPv4 address, whitespace trimmed")
    {
      const TargetSpec s = spec("  192.0.2.7\t");
      CHECK(s.text == "192.0.2.7");
      REQUIRE(s.range);
      CHECK_FALSE(s.range->v6);
      CHECK(s.range->first == v4(192, 0, 2, 7));
      CHECK(s.range->last == v4(192, 0, 2, 7));
      CHECK(s.hostname.empty());
    }
    SUBCASE("IPv6 addresses")
    {
      for (const char* text : {"::1", "2001:db8::1", "::ffff:1.2.3.4", "2001:DB8:0:0:0:0:0:1"}) {
        const TargetSpec s = spec(text);
        REQUIRE(s.range);
        CHECK(s.range->v6);
        CHECK(s.range->first == s.range->last);
      }
    }
    SUBCASE("hostnames: lower-cased, trailing dot dropped")
    {
      const TargetSpec s = spec("Phone-12.Example.NET.");
      CHECK_FALSE(s.range);
      CHECK(s.hostname == "phone-12.example.net");
      CHECK(s.text == "Phone-12.Example.NET.");
      CHECK(spec("localhost").hostname == "localhost");
      CHECK(spec("a").hostname == "a");
      CHECK(spec("1phone.example").hostname == "1phone.example");
      CHECK(spec(std::string(63, 'a') + ".example").hostname.size() == 71);
      // 253 characters in all: three labels of 63, one of 59 and one of 1, plus four dots.
      const std::string longest = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c')
                                  + "." + std::string(59, 'd') + ".e";
      REQUIRE(longest.size() == 253);
      CHECK(spec(longest).hostname == longest);
      CHECK(spec(longest + ".").hostname == longest);
    }
    SUBCASE("IPv4 CIDR")
    {
      const TargetSpec s = spec("192.0.2.0/24");
      REQUIRE(s.range);
      CHECK(s.range->first == v4(192, 0, 2, 0));
      CHECK(s.range->last == v4(192, 0, 2, 255));
      CHECK(spec("10.0.0.0/8").range->size() == 16777216);
      CHECK(spec("0.0.0.0/0").range->size() == uint128{1} << 32);
      CHECK(spec("192.0.2.9/32").range->size() == 1);
    }
    SUBCASE("IPv4 CIDR with host bits set means the enclosing block")
    {
      const TargetSpec s = spec("192.0.2.77/30");
      REQUIRE(s.range);
      CHECK(s.range->first == v4(192, 0, 2, 76));
      CHECK(s.range->last == v4(192, 0, 2, 79));
    }
    SUBCASE("IPv6 CIDR")
    {
      const TargetSpec s = spec("2001:db8::1234/112");
      REQUIRE(s.range);
      CHECK(s.range->v6);
      CHECK(s.range->size() == 65536);
      CHECK(format_address(true, s.range->first) == "2001:db8::");
      CHECK(format_address(true, s.range->last) == "2001:db8::ffff");
      CHECK(spec("2001:db8::1/128").range->size() == 1);
      CHECK(spec("::1/127").range->size() == 2);
    }
    SUBCASE("last-octet range")
    {
      const TargetSpec s = spec("192.0.2.10-20");
      REQUIRE(s.range);
      CHECK(s.range->first == v4(192, 0, 2, 10));
      CHECK(s.range->last == v4(192, 0, 2, 20));
      CHECK(spec("192.0.2.10-10").range->size() == 1);
      CHECK(spec("192.0.2.0-255").range->size() == 256);
    }
    SUBCASE("full-address ranges")
    {
      const TargetSpec s = spec("192.0.2.250-192.0.3.5");
      REQUIRE(s.range);
      CHECK(s.range->first == v4(192, 0, 2, 250));
      CHECK(s.range->last == v4(192, 0, 3, 5));
      const TargetSpec s6 = spec("2001:db8::1-2001:db8::ff");
      REQUIRE(s6.range);
      CHECK(s6.range->v6);
      CHECK(s6.range->size() == 255);
      CHECK(spec("2001:db8::-2001:db8::ffff").range->size() == 65536);
    }
  }

  TEST_CASE("every spec error names the offending text")
  {
    CHECK(spec_error("") == "empty target");
    CHECK(spec_error(" \t ") == "empty target");

    CHECK(contains(spec_error("1.2.3"), "invalid IPv4 address '1.2.3'"));
    CHECK(contains(spec_error("300.1.1.1"), "invalid IPv4 address '300.1.1.1'"));
    CHECK(contains(spec_error("1.2.3.4.5"), "invalid IPv4 address '1.2.3.4.5'"));
    CHECK(contains(spec_error("1.2.3."), "invalid IPv4 address '1.2.3.'"));
    CHECK(contains(spec_error("12345"), "invalid IPv4 address '12345'"));
    CHECK(contains(spec_error("010.0.0.1"), "leading zeros"));

    CHECK(contains(spec_error("2001:db8:::1"), "invalid IPv6 address '2001:db8:::1'"));
    CHECK(contains(spec_error("fe80::1%eth0"), "zone ids are not supported: 'fe80::1%eth0'"));
    CHECK(contains(spec_error("192.0.2.1:443"), "'192.0.2.1:443': a port cannot be part of a target"));

    CHECK(spec_error("10.0.0.0/33") == "invalid CIDR prefix '33' in '10.0.0.0/33' (0 to 32)");
    CHECK(contains(spec_error("10.0.0.0/"), "invalid CIDR prefix '' in '10.0.0.0/'"));
    CHECK(contains(spec_error("10.0.0.0/-1"), "invalid CIDR prefix '-1'"));
    CHECK(contains(spec_error("10.0.0.0/8/8"), "invalid CIDR prefix '8/8'"));
    CHECK(contains(spec_error("2001:db8::/129"), "invalid CIDR prefix '129' in '2001:db8::/129' (0 to 128)"));
    CHECK(spec_error("2001:db8::/64") == "IPv6 blocks larger than /112 are not supported: '2001:db8::/64'");
    CHECK(contains(spec_error("2001:db8::/111"), "IPv6 blocks larger than /112 are not supported"));
    CHECK(contains(spec_error("300.0.0.0/8"), "invalid IPv4 address '300.0.0.0' in '300.0.0.0/8'"));
    CHECK(contains(spec_error("example.com/24"), "invalid address 'example.com' in 'example.com/24'"));

    CHECK(spec_error("192.0.2.20-10") == "range start is after its end in '192.0.2.20-10'");
    CHECK(contains(spec_error("192.0.3.1-192.0.2.1"), "range start is after its end in '192.0.3.1-192.0.2.1'"));
    CHECK(contains(spec_error("2001:db8::ff-2001:db8::1"), "range start is after its end"));
    CHECK(contains(spec_error("192.0.2.10-256"), "invalid range end '256' in '192.0.2.10-256'"));
    CHECK(contains(spec_error("192.0.2.10-x"), "invalid range end 'x' in '192.0.2.10-x'"));
    CHECK(contains(spec_error("192.0.2.10-"), "missing range end in '192.0.2.10-'"));
    CHECK(contains(spec_error("192.0.2.1-::1"), "range mixes IPv4 and IPv6 in '192.0.2.1-::1'"));
    CHECK(contains(spec_error("2001:db8::1-20"), "invalid range end '20' in '2001:db8::1-20'"));
    CHECK(spec_error("2001:db8::-2001:db8::1:0")
          == "IPv6 ranges larger than 65536 addresses are not supported: '2001:db8::-2001:db8::1:0'");

    CHECK(contains(spec_error("bad_name.example"), "invalid hostname 'bad_name.example': unexpected character '_'"));
    CHECK(contains(spec_error("a b"), "invalid hostname 'a b': unexpected character ' '"));
    CHECK(contains(spec_error("a..b"), "invalid hostname 'a..b': empty label"));
    CHECK(contains(spec_error("."), "invalid hostname '.'"));
    CHECK(contains(spec_error("-phone.example"), "label '-phone' starts or ends with '-'"));
    CHECK(contains(spec_error("phone-.example"), "label 'phone-' starts or ends with '-'"));
    CHECK(contains(spec_error(std::string(64, 'a') + ".example"), "is longer than 63 characters"));
    CHECK(contains(spec_error(std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "."
                              + std::string(62, 'd') + ".e"),
                   "longer than 253 characters"));
    CHECK(contains(spec_error("m\xc3\xbcnchen.example"), "non-ASCII"));
    CHECK(contains(spec_error("m\xc3\xbcnchen.example"), "'m\xc3\xbcnchen.example'")); // readable, it is UTF-8
    CHECK(contains(spec_error("m\xfcnchen.example"), "'m\\xfcnchen.example'"));          // Latin-1: escaped
    CHECK(contains(spec_error("10.0.0-1.5"), "the last label is all digits"));
  }

  TEST_CASE("spec files")
  {
    SUBCASE("comments, blank lines and CRLF")
    {
      std::istringstream in("# fleet A\r\n"
                            "192.0.2.1\r\n"
                            "\r\n"
                            "   \n"
                            "  phone-1.example  # the lobby phone\r\n"
                            "192.0.2.0/30#no space before the comment\n"
                            "\t2001:db8::1-2001:db8::3");
      const auto specs = read_target_specs(in, "fleet.txt");
      const std::string why = specs.ok() ? "" : specs.error();
      REQUIRE_MESSAGE(specs.ok(), why);
      REQUIRE(specs->size() == 4);
      CHECK((*specs)[0].text == "192.0.2.1");
      CHECK((*specs)[1].hostname == "phone-1.example");
      CHECK((*specs)[2].range->size() == 4);
      CHECK((*specs)[3].range->size() == 3);
    }
    SUBCASE("empty input")
    {
      std::istringstream in("");
      const auto specs = read_target_specs(in, "empty.txt");
      REQUIRE(specs.ok());
      CHECK(specs->empty());
    }
    SUBCASE("a UTF-8 byte order mark is ignored")
    {
      std::istringstream in("\xef\xbb\xbf" "192.0.2.1\n");
      const auto specs = read_target_specs(in, "bom.txt");
      REQUIRE(specs.ok());
      CHECK(specs->size() == 1);
    }
    SUBCASE("errors name the source and the line")
    {
      std::istringstream in("192.0.2.1\n# comment\n\nphone.example\r\n300.1.1.1 # typo\r\n192.0.2.2\n");
      const auto specs = read_target_specs(in, "targets.txt");
      REQUIRE_FALSE(specs.ok());
      CHECK(specs.error().rfind("targets.txt:5: invalid IPv4 address '300.1.1.1'", 0) == 0);
    }
    SUBCASE("an error on the first line")
    {
      std::istringstream in("10.0.0.0/33\n");
      const auto specs = read_target_specs(in, "<stdin>");
      REQUIRE_FALSE(specs.ok());
      CHECK(specs.error() == "<stdin>:1: invalid CIDR prefix '33' in '10.0.0.0/33' (0 to 32)");
    }
  }

  TEST_CASE("TargetSet merges overlapping and adjacent ranges")
  {
    const TargetSet set = set_of({"192.0.2.10-20", "192.0.2.15-30", "192.0.2.31", "192.0.2.40", "192.0.2.0/28",
                                  "2001:db8::5", "2001:db8::1-2001:db8::4", "10.0.0.1"});
    CHECK(range_texts(set)
          == std::vector<std::string>{"10.0.0.1-10.0.0.1", "192.0.2.0-192.0.2.31", "192.0.2.40-192.0.2.40",
                                      "2001:db8::1-2001:db8::5"});
    CHECK(set.size() == 1 + 32 + 1 + 5);

    SUBCASE("a block inside another adds nothing")
    {
      const TargetSet nested = set_of({"10.0.0.0/8", "10.1.2.0/24", "10.255.255.255"});
      CHECK(range_texts(nested) == std::vector<std::string>{"10.0.0.0-10.255.255.255"});
      CHECK(nested.size() == 16777216);
    }
    SUBCASE("the same address in v4 and v4-mapped form stays two targets")
    {
      const TargetSet both = set_of({"192.0.2.1", "::ffff:192.0.2.1"});
      CHECK(range_texts(both) == std::vector<std::string>{"192.0.2.1-192.0.2.1", "::ffff:192.0.2.1-::ffff:192.0.2.1"});
    }
    SUBCASE("the top of the address spaces")
    {
      const TargetSet top = set_of({"255.255.255.254-255.255.255.255", "255.255.255.255",
                                    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120",
                                    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"});
      CHECK(top.size() == 2 + 256);
      CHECK(walk(top).back() == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    }
  }

  TEST_CASE("TargetSet subtracts exclusions")
  {
    SUBCASE("inside")
    {
      const TargetSet set = set_of({"192.0.2.0/24"}, {"192.0.2.10-20"});
      CHECK(range_texts(set) == std::vector<std::string>{"192.0.2.0-192.0.2.9", "192.0.2.21-192.0.2.255"});
      CHECK(set.size() == 256 - 11);
    }
    SUBCASE("at the edges")
    {
      const TargetSet set = set_of({"192.0.2.0/24"}, {"192.0.2.0", "192.0.2.255", "192.0.1.250-192.0.2.5"});
      CHECK(range_texts(set) == std::vector<std::string>{"192.0.2.6-192.0.2.254"});
    }
    SUBCASE("covering everything")
    {
      const TargetSet set = set_of({"192.0.2.0/24", "192.0.2.10"}, {"192.0.0.0/16"});
      CHECK(set.ranges().empty());
      CHECK(set.size() == 0);
      CHECK(walk(set).empty());
    }
    SUBCASE("one exclusion spanning several included ranges, several in one range")
    {
      const TargetSet set = set_of({"10.0.0.1-5", "10.0.0.10-15", "10.0.0.20-25"},
                                   {"10.0.0.4-10.0.0.21", "10.0.0.23", "10.0.0.1"});
      CHECK(range_texts(set)
            == std::vector<std::string>{"10.0.0.2-10.0.0.3", "10.0.0.22-10.0.0.22", "10.0.0.24-10.0.0.25"});
    }
    SUBCASE("exclusions win whatever the order")
    {
      TargetSet set;
      set.exclude(spec("192.0.2.5"));
      set.add(spec("192.0.2.4-6"));
      CHECK(walk(set) == std::vector<std::string>{"192.0.2.4", "192.0.2.6"});
    }
    SUBCASE("IPv6, and a v4 exclusion removes the v4-mapped form too")
    {
      const TargetSet set = set_of({"2001:db8::/126", "::ffff:192.0.2.0/126"}, {"2001:db8::2", "192.0.2.1"});
      CHECK(walk(set)
            == std::vector<std::string>{"::ffff:192.0.2.0", "::ffff:192.0.2.2", "::ffff:192.0.2.3", "2001:db8::",
                                        "2001:db8::1", "2001:db8::3"});
    }
  }

  TEST_CASE("is_excluded")
  {
    const TargetSet set = set_of({"192.0.2.0/24"}, {"10.0.0.0/8", "192.0.2.128/25", "2001:db8::10-2001:db8::20",
                                                    "10.255.255.255", "172.16.0.1"});
    SUBCASE("IPv4, inside and at the edges")
    {
      CHECK(set.is_excluded("10.0.0.0"));
      CHECK(set.is_excluded("10.200.3.4"));
      CHECK(set.is_excluded("10.255.255.255"));
      CHECK_FALSE(set.is_excluded("9.255.255.255"));
      CHECK_FALSE(set.is_excluded("11.0.0.0"));
      CHECK(set.is_excluded("172.16.0.1"));
      CHECK_FALSE(set.is_excluded("172.16.0.2"));
      CHECK_FALSE(set.is_excluded("192.0.2.127"));
      CHECK(set.is_excluded("192.0.2.128"));
      CHECK(set.is_excluded(false, v4(192, 0, 2, 255)));
      CHECK_FALSE(set.is_excluded(false, 0));
    }
    SUBCASE("IPv6")
    {
      CHECK(set.is_excluded("2001:db8::10"));
      CHECK(set.is_excluded("2001:DB8:0::0:0:0:20"));
      CHECK_FALSE(set.is_excluded("2001:db8::f"));
      CHECK_FALSE(set.is_excluded("2001:db8::21"));
      CHECK_FALSE(set.is_excluded("::1"));
      // The same low bits in the other family are not the same address.
      CHECK_FALSE(set.is_excluded(false, 0x10));
      CHECK_FALSE(set.is_excluded(true, v4(10, 0, 0, 1)));
    }
    SUBCASE("v4-mapped forms of excluded v4 addresses")
    {
      CHECK(set.is_excluded("::ffff:10.1.2.3"));
      CHECK(set.is_excluded("::ffff:a01:203"));
      CHECK(set.is_excluded("::ffff:172.16.0.1"));
      CHECK_FALSE(set.is_excluded("::ffff:172.16.0.2"));
      CHECK_FALSE(set.is_excluded("::ffff:192.0.2.1"));
    }
    SUBCASE("an excluded v4-mapped block excludes its v4 addresses")
    {
      const TargetSet mapped = set_of({"198.51.100.0/24"}, {"::ffff:198.51.100.0/120"});
      CHECK(mapped.is_excluded("198.51.100.7"));
      CHECK_FALSE(mapped.is_excluded("198.51.101.0"));
      CHECK(mapped.ranges().empty());
    }
    SUBCASE("text that is not an address")
    {
      CHECK_FALSE(set.is_excluded(""));
      CHECK_FALSE(set.is_excluded("phone.example"));
    }
    SUBCASE("nothing excluded")
    {
      const TargetSet empty;
      CHECK_FALSE(empty.is_excluded("10.0.0.1"));
      CHECK_FALSE(empty.is_excluded("::1"));
    }
  }

  TEST_CASE("hostnames keep their order, lose duplicates and honour exclusions")
  {
    TargetSet set = set_of({"b.example", "a.example", "B.Example.", "192.0.2.1", "c.example", "a.example"});
    CHECK(set.hostnames() == std::vector<std::string>{"b.example", "a.example", "c.example"});
    CHECK(set.size() == 4);
    CHECK(walk(set) == std::vector<std::string>{"192.0.2.1", "host:b.example", "host:a.example", "host:c.example"});

    set.exclude(spec("A.EXAMPLE"));
    CHECK(set.hostnames() == std::vector<std::string>{"b.example", "c.example"});
    set.add(spec("a.example")); // still excluded
    set.exclude(spec("unknown.example"));
    CHECK(set.hostnames() == std::vector<std::string>{"b.example", "c.example"});
    CHECK(set.size() == 3);
  }

  TEST_CASE("TargetCursor")
  {
    SUBCASE("a full walk of a small set, ascending, v4 then v6 then hostnames")
    {
      const TargetSet set = set_of({"phone.example", "2001:db8::ffff", "192.0.2.0/30", "10.0.0.1", "2001:db8::1:0"});
      CHECK(walk(set)
            == std::vector<std::string>{"10.0.0.1", "192.0.2.0", "192.0.2.1", "192.0.2.2", "192.0.2.3",
                                        "2001:db8::ffff", "2001:db8::1:0", "host:phone.example"});
    }
    SUBCASE("a /8 is instant to construct and yields its first and last addresses")
    {
      const TargetSet set = set_of({"10.0.0.0/8"}, {"10.0.0.1"});
      CHECK(set.size() == 16777216 - 1);
      // The quickest of five constructions, so that a loaded machine's pause in one of them does
      // not count: microseconds when lazy; walking or listing 16 million addresses takes longer.
      auto quickest = std::chrono::steady_clock::duration::max();
      for (int i = 0; i < 5; ++i) {
        const auto start = std::chrono::steady_clock::now();
        const TargetCursor constructed(set);
        quickest = std::min(quickest, std::chrono::steady_clock::now() - start);
      }
      CHECK(quickest < std::chrono::milliseconds(50));
      TargetCursor cursor(set);
      CHECK(cursor.next()->ip == "10.0.0.0");
      CHECK(cursor.next()->ip == "10.0.0.2");
      CHECK(cursor.next()->ip == "10.0.0.3");

      const auto ranges = set.ranges();
      REQUIRE(ranges.size() == 2);
      CHECK(format_address(false, ranges.back().last) == "10.255.255.255");
      // The end of the walk: start a cursor on the last few addresses of the same block.
      const TargetSet tail = set_of({"10.0.0.0/8"}, {"10.0.0.0-10.255.255.253"});
      CHECK(walk(tail) == std::vector<std::string>{"10.255.255.254", "10.255.255.255"});
    }
    SUBCASE("an IPv6 /112 has 65536 addresses, first and last formatted canonically")
    {
      const TargetSet set = set_of({"2001:db8::1:0:0/112"});
      CHECK(set.size() == 65536);
      TargetCursor cursor(set);
      CHECK(cursor.next()->ip == "2001:db8::1:0:0");
      CHECK(cursor.next()->ip == "2001:db8::1:0:1");
      const auto all = walk(set);
      REQUIRE(all.size() == 65536);
      CHECK(all.back() == "2001:db8::1:0:ffff");
    }
    SUBCASE("an empty set yields nothing, repeatedly")
    {
      const TargetSet set;
      TargetCursor cursor(set);
      CHECK_FALSE(cursor.next());
      CHECK_FALSE(cursor.next());
    }
    SUBCASE("the cursor ends after the last target")
    {
      const TargetSet set = set_of({"192.0.2.1"});
      TargetCursor cursor(set);
      CHECK(cursor.next()->ip == "192.0.2.1");
      CHECK_FALSE(cursor.next());
      CHECK_FALSE(cursor.next());
    }
  }
}

TEST_SUITE("scanner.targets")
{
  TEST_CASE("TargetIndex gives the cursor's targets by index")
  {
    const TargetSet set = [] {
      TargetSet s = set_of({"10.0.0.0/30", "10.0.1.5-7", "2001:db8::ff-2001:db8::101", "phone-1.example", "10.0.0.2"},
                           {"10.0.1.6"});
      return s;
    }();
    const TargetIndex index(set);
    REQUIRE(index.size() == set.size());
    TargetCursor cursor(set);
    for (uint128 i = 0; i < index.size(); ++i) {
      const auto expected = cursor.next();
      REQUIRE(expected);
      const Target got = index.at(i);
      CAPTURE(expected->ip);
      CHECK(got.ip == expected->ip);
      CHECK(got.host == expected->host);
    }
    CHECK_FALSE(cursor.next());
    CHECK(index.at(0).ip == "10.0.0.0");
    CHECK(index.at(4).ip == "10.0.1.5");
    CHECK(index.at(5).ip == "10.0.1.7");
    CHECK(index.at(index.size() - 1).host == "phone-1.example");

    SUBCASE("a /8 costs its ranges, not its addresses")
    {
      const TargetIndex big(set_of({"10.0.0.0/8"}));
      CHECK(big.size() == 16777216);
      CHECK(big.at(16777215).ip == "10.255.255.255");
      CHECK(big.at(65536 + 258).ip == "10.1.1.2");
    }
  }

  TEST_CASE("TargetIndex: a name and the addresses it resolves to are one target each")
  {
    auto resolved = [](std::string host, std::vector<std::string> addresses) {
      return NameResolution{std::move(host), std::move(addresses), ErrorClass::none, {}};
    };
    auto all = [](const TargetIndex& index) {
      std::vector<Target> out;
      for (uint128 i = 0; i < index.size(); ++i) {
        out.push_back(index.at(i));
      }
      return out;
    };

    SUBCASE("a name and its address given both: one target, the address, carrying the name")
    {
      const TargetIndex index(set_of({"localhost", "127.0.0.1"}), {resolved("localhost", {"127.0.0.1"})});
      REQUIRE(index.size() == 1);
      const Target target = index.at(0);
      CHECK(target.ip == "127.0.0.1");
      CHECK(target.host == "localhost");
      CHECK(target.disposition == TargetDisposition::probe);
    }

    SUBCASE("several addresses: one inside a block given too, others after the addresses, each once")
    {
      const TargetIndex index(set_of({"10.0.0.0/30", "phone.example"}),
                              {resolved("phone.example", {"10.0.0.2", "10.9.9.9", "::1", "10.9.9.9", "0:0::1"})});
      const std::vector<Target> targets = all(index);
      REQUIRE(targets.size() == 6);
      CHECK(targets[0].ip == "10.0.0.0");
      CHECK(targets[0].host.empty());
      CHECK(targets[2].ip == "10.0.0.2");
      CHECK(targets[2].host == "phone.example");
      CHECK(targets[3].host.empty());
      CHECK(targets[4].ip == "10.9.9.9");
      CHECK(targets[4].host == "phone.example");
      CHECK(targets[5].ip == "::1");
      CHECK(targets[5].host == "phone.example");
      for (const Target& target : targets) {
        CHECK(target.disposition == TargetDisposition::probe);
      }
    }

    SUBCASE("two names for one address: one target, the first name given")
    {
      const TargetIndex index(set_of({"b.example", "a.example", "10.0.0.1"}),
                              {resolved("a.example", {"10.0.0.1", "10.0.0.7"}), resolved("b.example", {"10.0.0.7"})});
      const std::vector<Target> targets = all(index);
      REQUIRE(targets.size() == 2);
      CHECK(targets[0].ip == "10.0.0.1");
      CHECK(targets[0].host == "a.example");
      CHECK(targets[1].ip == "10.0.0.7");
      CHECK(targets[1].host == "b.example"); // b.example was given first
    }

    SUBCASE("an excluded address of a name is a target that says so; its other addresses are probed")
    {
      const TargetIndex index(set_of({"localhost"}, {"127.0.0.0/8"}), {resolved("localhost", {"127.0.0.1", "::1"})});
      const std::vector<Target> targets = all(index);
      REQUIRE(targets.size() == 2);
      CHECK(targets[0].ip == "127.0.0.1");
      CHECK(targets[0].host == "localhost");
      CHECK(targets[0].disposition == TargetDisposition::excluded);
      CHECK(targets[0].detail.find("127.0.0.1") != std::string::npos);
      CHECK(targets[1].ip == "::1");
      CHECK(targets[1].disposition == TargetDisposition::probe);
    }

    SUBCASE("a v4-mapped exclusion covers the name's v4 address")
    {
      const TargetIndex index(set_of({"phone.example"}, {"::ffff:10.0.0.0/120"}),
                              {resolved("phone.example", {"10.0.0.9"})});
      REQUIRE(index.size() == 1);
      CHECK(index.at(0).disposition == TargetDisposition::excluded);
    }

    SUBCASE("a name that did not resolve: one target without an address, with the resolver's error")
    {
      const TargetIndex index(
          set_of({"10.0.0.1", "nonexistent.invalid", "slow.example", "missing.example"}),
          {NameResolution{"nonexistent.invalid", {}, ErrorClass::dns, "never resolves"},
           NameResolution{"slow.example", {}, ErrorClass::timeout, "too slow"}});
      const std::vector<Target> targets = all(index);
      REQUIRE(targets.size() == 4);
      CHECK(targets[1].ip.empty());
      CHECK(targets[1].host == "nonexistent.invalid");
      CHECK(targets[1].disposition == TargetDisposition::unresolved);
      CHECK(targets[1].error == ErrorClass::dns);
      CHECK(targets[1].detail == "never resolves");
      CHECK(targets[2].error == ErrorClass::timeout);
      CHECK(targets[3].host == "missing.example"); // no resolution given: unresolved, dns
      CHECK(targets[3].disposition == TargetDisposition::unresolved);
      CHECK(targets[3].error == ErrorClass::dns);
    }

    SUBCASE("a /16 with names inside it costs its ranges and the names' addresses; every target once")
    {
      const TargetSet set = set_of({"10.1.0.0/16", "a.example", "b.example"}, {"10.1.2.0/24"});
      const TargetIndex index(set, {resolved("a.example", {"10.1.0.5", "10.1.255.255"}),
                                    resolved("b.example", {"10.1.2.3", "10.2.0.1"})});
      CHECK(index.size() == 65536 - 256 + 2); // b.example: its excluded address, and one outside
      std::set<std::string> seen;
      std::size_t named = 0;
      for (uint128 i = 0; i < index.size(); ++i) {
        const Target target = index.at(i);
        CHECK(seen.insert(target.ip).second);
        named += target.host.empty() ? 0 : 1;
      }
      CHECK(named == 4);
      CHECK(index.at(5).host == "a.example");
      CHECK(index.at(index.size() - 2).ip == "10.1.2.3");
      CHECK(index.at(index.size() - 2).disposition == TargetDisposition::excluded);
      CHECK(index.at(index.size() - 1).ip == "10.2.0.1");
    }
  }

  TEST_CASE("IndexPermutation visits every index exactly once")
  {
    std::vector<std::uint64_t> sizes{1, 2, 3, 4, 5, 7, 8, 13, 16, 17, 31, 97, 100, 127, 128, 251, 256, 1000, 4093, 65536};
    const std::uint64_t random_seed = std::random_device{}();
    CAPTURE(random_seed); // a failure names the seed that showed it
    for (const std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{0xdeadbeef}, random_seed}) {
      for (const std::uint64_t size : sizes) {
        CAPTURE(seed);
        CAPTURE(size);
        const IndexPermutation permutation(size, seed);
        std::vector<bool> seen(size, false);
        std::uint64_t in_place = 0;
        for (std::uint64_t position = 0; position < size; ++position) {
          const std::uint64_t index = permutation.at(position);
          REQUIRE(index < size);
          REQUIRE_FALSE(seen[index]);
          seen[index] = true;
          in_place += index == position ? 1 : 0;
        }
        if (size >= 100) {
          CHECK(in_place < size / 10); // it does move things
        }
      }
    }
  }

  TEST_CASE("IndexPermutation: the seed picks the order, the same seed repeats it, a /16 is spread out")
  {
    const IndexPermutation a(65536, 42);
    const IndexPermutation b(65536, 42);
    const IndexPermutation c(65536, 43);
    std::size_t same = 0;
    std::size_t differs_from_c = 0;
    for (std::uint64_t i = 0; i < 1000; ++i) {
      same += a.at(i) == b.at(i) ? 1 : 0;
      differs_from_c += a.at(i) != c.at(i) ? 1 : 0;
    }
    CHECK(same == 1000);
    CHECK(differs_from_c > 990);
    // The first 256 targets of a shuffled /16 fall in many different /24s.
    std::set<std::uint64_t> subnets;
    for (std::uint64_t i = 0; i < 256; ++i) {
      subnets.insert(a.at(i) >> 8);
    }
    CHECK(subnets.size() > 150);
    // A large index space: values stay inside it, and far apart positions differ.
    const IndexPermutation large(std::uint64_t{1} << 40, 7);
    CHECK(large.at(0) < (std::uint64_t{1} << 40));
    CHECK(large.at((std::uint64_t{1} << 40) - 1) < (std::uint64_t{1} << 40));
    CHECK(large.at(0) != large.at(1));
  }
}
