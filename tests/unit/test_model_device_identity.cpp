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

namespace {

AnnouncedIdentity said(IdentitySource source, std::string model, std::string firmware)
{
  AnnouncedIdentity identity;
  identity.model = std::move(model);
  identity.firmware = std::move(firmware);
  identity.source = source;
  return identity;
}

} // namespace

TEST_SUITE("model.device_identity")
{
  TEST_CASE("merge_announced_identity: SIP first, field by field, whatever the order")
  {
    const AnnouncedIdentity sip = said(IdentitySource::sip_user_agent, "GXP2170", "");
    const AnnouncedIdentity http = said(IdentitySource::http_server, "GXP2170-HTTP", "1.0.11.23");
    for (const bool sip_first : {true, false}) {
      CAPTURE(sip_first);
      DeviceIdentity device = at("192.0.2.7");
      merge_announced_identity(device, sip_first ? sip : http);
      merge_announced_identity(device, sip_first ? http : sip);
      CHECK(device.model == "GXP2170");
      CHECK(device.model_source == "sip-user-agent");
      CHECK(device.firmware == "1.0.11.23"); // SIP has none: HTTP's
      CHECK(device.firmware_source == "http-server");
    }
    SUBCASE("the order of the sources: user agent, server, HTTP server, title")
    {
      DeviceIdentity device = at("192.0.2.7");
      merge_announced_identity(device, said(IdentitySource::http_title, "title", "4"));
      CHECK(device.model_source == "http-title");
      merge_announced_identity(device, said(IdentitySource::http_server, "server", "3"));
      CHECK(device.model_source == "http-server");
      merge_announced_identity(device, said(IdentitySource::sip_server, "sip server", "2"));
      CHECK(device.model_source == "sip-server");
      merge_announced_identity(device, said(IdentitySource::http_title, "title again", "9"));
      CHECK(device.model == "sip server");
      CHECK(device.firmware == "2");
    }
    SUBCASE("the inventory's model and firmware stay")
    {
      DeviceIdentity device = at("192.0.2.7");
      device.model = "GXP2160";
      device.model_source = std::string(k_inventory_source);
      merge_announced_identity(device, sip);
      CHECK(device.model == "GXP2160");
      CHECK(device.model_source == "inventory");
    }
    SUBCASE("an identity that matched nothing changes nothing")
    {
      DeviceIdentity device = at("192.0.2.7");
      AnnouncedIdentity failed;
      failed.model = "X";
      failed.error = "no pattern matched";
      merge_announced_identity(device, failed);
      CHECK(device.model.empty());
      CHECK(device.model_source.empty());
    }
  }
}
