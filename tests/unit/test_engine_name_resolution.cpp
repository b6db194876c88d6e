// Tests for scanner/engine/name_resolution (and probes/tls_probe's resolve_host under it): names
// under .invalid fail at once without a query (RFC 6761), localhost resolves from the hosts file to
// loopback addresses only. No other name is looked up: no test may reach a DNS server.

#include "scanner/engine/name_resolution.hpp"
#include "probes/tls_probe.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>

using namespace fleetcert;

TEST_SUITE("engine.name_resolution")
{
  TEST_CASE("is_never_resolving: invalid and every name under it, any case, trailing dot")
  {
    CHECK(is_never_resolving("invalid"));
    CHECK(is_never_resolving("nonexistent.invalid"));
    CHECK(is_never_resolving("a.b.INVALID."));
    CHECK_FALSE(is_never_resolving("notinvalid"));
    CHECK_FALSE(is_never_resolving("invalid.example"));
    CHECK_FALSE(is_never_resolving("localhost"));
    CHECK_FALSE(is_never_resolving(""));
  }

  TEST_CASE("resolve_names: .invalid fails at once with dns, localhost gives loopback addresses, order kept")
  {
    const std::atomic<bool> stop{false};
    const auto start = std::chrono::steady_clock::now();
    const std::vector<NameResolution> names =
        resolve_names({"nonexistent.invalid", "localhost", "x.y.invalid"}, std::chrono::seconds(5), stop);
    REQUIRE(names.size() == 3);
    CHECK(names[0].host == "nonexistent.invalid");
    CHECK(names[0].error == ErrorClass::dns);
    CHECK(names[0].addresses.empty());
    CHECK(names[0].detail.find("RFC 6761") != std::string::npos);
    CHECK(names[2].error == ErrorClass::dns);

    CHECK(names[1].host == "localhost");
    CHECK(names[1].error == ErrorClass::none);
    REQUIRE_FALSE(names[1].addresses.empty());
    for (const std::string& address : names[1].addresses) {
      CAPTURE(address);
      CHECK((address.rfind("127.", 0) == 0 || address == "::1"));
    }
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  }

  TEST_CASE("resolve_names: no names, nothing to do")
  {
    const std::atomic<bool> stop{false};
    CHECK(resolve_names({}, std::chrono::seconds(1), stop).empty());
  }
}
