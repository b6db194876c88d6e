// The device identity every device view shares: its address, its place in address order, and the
// group name totals count it under.

#include "scanner/model/device_identity.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace fleetcert;

namespace {

DeviceIdentity at(std::string ip, std::string host = {})
{
  DeviceIdentity identity;
  identity.ip = std::move(ip);
  identity.host = std::move(host);
  return identity;
}

} // namespace

TEST_SUITE("model.device_identity")
{
  TEST_CASE("the address is the IP, else the host name")
  {
    CHECK(at("192.0.2.7", "phone.example").address() == "192.0.2.7");
    CHECK(at("", "phone.example").address() == "phone.example");
    CHECK(device_address("", "") == "");
  }

  TEST_CASE("address order: IPv4 numerically, then IPv6, then names")
  {
    std::vector<DeviceIdentity> devices = {at("", "b.example"), at("2001:db8::10"), at("127.0.0.10"),
                                           at("", "a.example"), at("::1"),          at("127.0.0.9"),
                                           at("2001:db8::9")};
    std::sort(devices.begin(), devices.end(),
              [](const DeviceIdentity& a, const DeviceIdentity& b) { return address_order(a) < address_order(b); });
    std::vector<std::string> order;
    for (const DeviceIdentity& device : devices) {
      order.push_back(device.address());
    }
    CHECK(order == std::vector<std::string>{"127.0.0.9", "127.0.0.10", "::1", "2001:db8::9", "2001:db8::10",
                                            "a.example", "b.example"});
  }

  TEST_CASE("identity() copies the identity part of one view into another")
  {
    struct View : DeviceIdentity
    {
      int ports = 0;
    };
    View source;
    source.identity() = at("192.0.2.7", "phone.example");
    source.mac = "000B82000001";
    source.site = "Berlin";
    source.ports = 2;
    View copy;
    copy.identity() = source.identity();
    CHECK(copy.ip == "192.0.2.7");
    CHECK(copy.host == "phone.example");
    CHECK(copy.mac == "000B82000001");
    CHECK(copy.site == "Berlin");
    CHECK(copy.ports == 0);
  }

  TEST_CASE("group_name: the name, or (none) for devices without one")
  {
    CHECK(group_name("") == "(none)");
    CHECK(group_name("berlin-hq") == "berlin-hq");
    CHECK(group_name(" ") == " ");
    CHECK(k_no_group == "(none)");
  }
}
