// Tests for scanner/assessment/scan_verdict: the --fail-on expression, the --min-answering
// threshold and the verdict over a device view that `scan` and `check` share.

#include "scanner/assessment/scan_verdict.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace fleetcert;

namespace {

Finding finding(const std::string& code, Severity severity)
{
  return Finding{code, severity, "", ""};
}

FailOnPolicy policy(const std::string& text)
{
  auto parsed = parse_fail_on(text);
  REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.error()));
  return *parsed;
}

MinAnswering minimum(const std::string& text)
{
  auto parsed = parse_min_answering(text);
  REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.error()));
  return *parsed;
}

} // namespace

TEST_SUITE("scan_verdict")
{
  TEST_CASE("parse_fail_on reads codes and a minimum severity and names what is wrong")
  {
    SUBCASE("codes and severity")
    {
      const FailOnPolicy p = policy(" sha1-rejected , expired,severity>=high");
      CHECK(p.codes == std::set<std::string>{"sha1-rejected", "expired"});
      REQUIRE(p.minimum.has_value());
      CHECK(*p.minimum == Severity::high);
      CHECK(p.matches(finding("expired", Severity::info)));
      CHECK(p.matches(finding("weak-signature", Severity::critical)));
      CHECK_FALSE(p.matches(finding("generic-cn", Severity::medium)));
    }
    SUBCASE("empty is no policy")
    {
      CHECK(policy("").empty());
      CHECK(policy("  ").empty());
    }
    SUBCASE("an unknown code lists the valid ones")
    {
      auto parsed = parse_fail_on("sha1-rejected,not-a-code");
      REQUIRE_FALSE(parsed.ok());
      CHECK(parsed.error().find("'not-a-code'") != std::string::npos);
      CHECK(parsed.error().find("sha1-rejected") != std::string::npos);
      CHECK(parsed.error().find("expired") != std::string::npos);
    }
    SUBCASE("an unknown severity")
    {
      auto parsed = parse_fail_on("severity>=urgent");
      REQUIRE_FALSE(parsed.ok());
      CHECK(parsed.error().find("info, low, medium, high, critical") != std::string::npos);
    }
  }

  TEST_CASE("parse_min_answering takes N or N% and refuses the rest")
  {
    SUBCASE("a count")
    {
      const MinAnswering m = minimum("3");
      CHECK_FALSE(m.is_percent);
      CHECK(m.count == 3);
      CHECK(m.required(16) == 3);
      CHECK(m.required(0) == 3);
    }
    SUBCASE("a percentage rounds the devices needed up")
    {
      const MinAnswering m = minimum("50%");
      REQUIRE(m.is_percent);
      CHECK(m.basis_points == 5000);
      CHECK(m.required(16) == 8);
      CHECK(m.required(15) == 8);
      CHECK(minimum("100%").required(7) == 7);
      CHECK(minimum("99.5%").basis_points == 9950);
      CHECK(minimum("99.5%").required(1000) == 995);
      CHECK(minimum("0.01%").required(1) == 1);
      CHECK(minimum("12.25%").required(400) == 49);
      CHECK(minimum("100%").required(UINT64_MAX) == UINT64_MAX);
    }
    SUBCASE("bad input")
    {
      for (const char* text : {"", "abc", "-1", "0", "0%", "0.00%", "101%", "100.01%", "1000%", "%", ".5%", "5.%",
                               "1.234%", "5 %", "1e3", "3.5", "99999999999999999999999"}) {
        CAPTURE(text);
        auto parsed = parse_min_answering(text);
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().rfind("invalid --min-answering '", 0) == 0);
      }
    }
  }

  TEST_CASE("the --fail-on line counts devices, and per code the devices that have it")
  {
    ScanVerdict verdict(policy("sha1-rejected,expired,generic-cn"), std::nullopt);
    for (int i = 0; i < 9; ++i) {
      verdict.add_device({finding("sha1-rejected", Severity::high)}, true, false);
    }
    verdict.add_device({finding("expired", Severity::high), finding("sha1-rejected", Severity::high)}, true, false);
    verdict.add_device({finding("expired", Severity::high)}, true, false);
    verdict.add_device({finding("expired", Severity::high), finding("self-signed", Severity::medium)}, true, false);
    verdict.add_device({finding("self-signed", Severity::medium)}, true, false);
    verdict.add_device({}, true, false);
    REQUIRE(verdict.fail_on_matched());
    CHECK(verdict.fail_on_line() == "--fail-on matched 12 devices: sha1-rejected 10, expired 3");
    CHECK_FALSE(verdict.too_few_answering());

    SUBCASE("one device, codes of equal count by name")
    {
      ScanVerdict one(policy("severity>=medium"), std::nullopt);
      one.add_device({finding("weak-key", Severity::high), finding("expired", Severity::high),
                      finding("expiring", Severity::low)},
                     true, false);
      CHECK(one.fail_on_line() == "--fail-on matched 1 device: expired 1, weak-key 1");
    }
    SUBCASE("nothing matched")
    {
      ScanVerdict none(policy("weak-signature"), std::nullopt);
      none.add_device({finding("expired", Severity::high)}, true, false);
      CHECK_FALSE(none.fail_on_matched());
      ScanVerdict no_policy(policy(""), std::nullopt);
      no_policy.add_device({finding("expired", Severity::high)}, true, false);
      CHECK_FALSE(no_policy.fail_on_matched());
    }
  }

  TEST_CASE("--min-answering counts addresses scanned, or the inventory's devices when there are some")
  {
    SUBCASE("addresses scanned")
    {
      ScanVerdict verdict(policy(""), minimum("50%"));
      verdict.add_device({}, true, false);
      verdict.add_device({}, true, false);
      verdict.add_device({}, false, false); // a name that did not resolve: a device, not answering
      verdict.set_addresses_scanned(16);
      CHECK(verdict.answering() == 2);
      CHECK(verdict.population() == 16);
      CHECK(verdict.too_few_answering());
      CHECK(verdict.answering_line()
            == "--min-answering 50%: 2 of 16 addresses scanned answered (a certificate on at least one port), 8 needed");
      verdict.set_addresses_scanned(4);
      CHECK_FALSE(verdict.too_few_answering());
    }
    SUBCASE("a count")
    {
      ScanVerdict verdict(policy(""), minimum("2"));
      verdict.add_device({}, true, false);
      verdict.set_addresses_scanned(16);
      CHECK(verdict.too_few_answering());
      verdict.add_device({}, true, false);
      CHECK_FALSE(verdict.too_few_answering());
    }
    SUBCASE("the inventory: devices outside it do not make up for missing ones")
    {
      ScanVerdict verdict(policy(""), minimum("75%"));
      verdict.add_device({}, true, true);
      verdict.add_device({}, true, true);
      verdict.add_device({finding("not-answering", Severity::medium)}, false, true);
      verdict.add_device({finding("not-answering", Severity::medium)}, false, true);
      for (int i = 0; i < 10; ++i) {
        verdict.add_device({finding("not-in-inventory", Severity::low)}, true, false);
      }
      verdict.set_addresses_scanned(20);
      CHECK(verdict.by_inventory());
      CHECK(verdict.answering() == 2);
      CHECK(verdict.population() == 4);
      CHECK(verdict.too_few_answering());
      CHECK(verdict.answering_line()
            == "--min-answering 75%: 2 of 4 inventory devices answered (a certificate on at least one port), 3 needed");
    }
    SUBCASE("without --min-answering nothing is too few")
    {
      ScanVerdict verdict(policy("expired"), std::nullopt);
      verdict.set_addresses_scanned(16);
      CHECK_FALSE(verdict.too_few_answering());
      CHECK(verdict.answering_line().empty());
    }
  }
}
