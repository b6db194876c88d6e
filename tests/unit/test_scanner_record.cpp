// record_identity: who a record's device is, as far as the one record tells.

#include "scanner/assessment/record.hpp"

#include <doctest/doctest.h>

using namespace fleetcert;

TEST_SUITE("scanner.record")
{
  TEST_CASE("record_identity: the inventory's MAC, else the CN's, and the assessed vendor, else the inventory's")
  {
    Record record;
    record.observation.endpoint = {"192.0.2.7", 443, "phone.example", ""};

    SUBCASE("nothing known but the address")
    {
      const DeviceIdentity identity = record_identity(record);
      CHECK(identity.ip == "192.0.2.7");
      CHECK(identity.host == "phone.example");
      CHECK(identity.mac.empty());
      CHECK(identity.vendor.empty());
      CHECK(identity.site.empty());
    }
    SUBCASE("the CN's MAC and the assessed vendor, without an inventory row")
    {
      record.assessment.mac = "000B82000001";
      record.assessment.vendor = "Grandstream";
      const DeviceIdentity identity = record_identity(record);
      CHECK(identity.mac == "000B82000001");
      CHECK(identity.vendor == "Grandstream");
    }
    SUBCASE("an inventory row: its MAC wins, its vendor only fills in, its model and site")
    {
      InventoryRow row;
      row.mac = "7C2F80000002";
      row.vendor = "Gigaset";
      row.model = "N670";
      row.site = "paris";
      record.assessment.inventory = row;
      record.assessment.mac = "000B82000001";
      DeviceIdentity identity = record_identity(record);
      CHECK(identity.mac == "7C2F80000002");
      CHECK(identity.vendor == "Gigaset"); // nothing assessed (no certificate)
      CHECK(identity.model == "N670");
      CHECK(identity.site == "paris");
      record.assessment.vendor = "Grandstream";
      identity = record_identity(record);
      CHECK(identity.vendor == "Grandstream");
      record.assessment.inventory->mac.clear();
      CHECK(record_identity(record).mac == "000B82000001");
    }
  }
}
