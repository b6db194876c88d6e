// Tests for scanner/fleet_view: both ports of an address joined into one device, and what only the
// whole fleet shows (shared certificates and keys, inventory devices that never answered, devices
// missing from the inventory), on records made with make_record from certificates built here.

#include "scanner/assessment/audit.hpp"
#include "scanner/assessment/fleet_view.hpp"
#include "scanner/inputs/inventory.hpp"
#include "scanner/assessment/record.hpp"
#include "scanner/assessment/vendor_profiles.hpp"
#include "support/cert_factory.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

using namespace fleetcert;
using namespace fleetcert::testing;

namespace {

constexpr std::int64_t k_now = 1'800'000'000; // 2027-01-15T08:00:00Z

constexpr const char* k_gigaset_ca_subject =
    "/C=DE/ST=Germany/L=Bocholt/O=Gigaset Communications GmbH/OU=Certificate Authority/CN=Gigaset.net";

const KeySpec k_ec{"ec", 0, "P-256"};

// A Gigaset factory CA (by name: no bundle is given, so its leaves are factory / issuer-name and,
// valid, EC and SHA256, have no endpoint finding at all).
struct Factory
{
  PkeyPtr ca_key = generate_key(k_ec);
  X509Ptr ca;

  Factory()
  {
    CertSpec spec;
    spec.subject = parse_subject(k_gigaset_ca_subject);
    spec.ca = true;
    ca = make_certificate(spec, ca_key.get(), nullptr, ca_key.get());
  }

  // A leaf for `cn` valid 2025-01-01 .. `not_after`, with `key` (a new EC key when null).
  Der leaf(const std::string& cn, EVP_PKEY* key = nullptr, const std::string& hash = "sha256",
           const std::string& not_after = "20300101000000Z") const
  {
    PkeyPtr own;
    if (key == nullptr) {
      own = generate_key(k_ec);
      key = own.get();
    }
    CertSpec spec;
    spec.subject = parse_subject("/CN=" + cn);
    spec.hash = hash;
    spec.not_before_text = "20250101000000Z";
    spec.not_after_text = not_after;
    const X509Ptr cert = make_certificate(spec, key, ca.get(), ca_key.get());
    return to_der(cert.get());
  }
};

Der self_signed(const std::string& cn, const KeySpec& key_spec = k_ec, const std::string& hash = "sha256")
{
  const PkeyPtr key = generate_key(key_spec);
  CertSpec spec;
  spec.subject = parse_subject("/CN=" + cn);
  spec.hash = hash;
  spec.not_before_text = "20250101000000Z";
  spec.not_after_text = "20300101000000Z";
  const X509Ptr cert = make_certificate(spec, key.get(), nullptr, key.get());
  return to_der(cert.get());
}

// The audit's inputs; records are audited as the scanner does (the inventory row comes from it).
struct Fleet
{
  VendorProfiles profiles = VendorProfiles::builtin();
  Inventory inventory;
  bool use_inventory = false;
  std::string site; // --site

  void add_row(const std::string& ip, const std::string& mac, const std::string& vendor = "Gigaset",
               const std::string& hostname = {})
  {
    use_inventory = true;
    InventoryRow row;
    row.line = inventory.rows.size() + 2;
    row.ip = ip;
    row.mac = mac;
    row.vendor = vendor;
    row.hostname = hostname;
    row.model = vendor + " N670";
    row.site = "site of " + mac;
    inventory.rows.push_back(row);
    inventory.index();
  }

  const Inventory* inventory_or_null() const { return use_inventory ? &inventory : nullptr; }

  Record make(Observation observation) const
  {
    const AuditContext context{&profiles, nullptr, inventory_or_null(), nullptr, site};
    AssessmentSettings settings;
    settings.now = k_now;
    settings.audit = &context;
    return make_record(std::move(observation), settings);
  }

  Record ok(const std::string& ip, std::uint16_t port, const Der& leaf, const std::string& host = {}) const
  {
    Observation observation;
    observation.endpoint = Endpoint{ip, port, host, ""};
    observation.chain = {leaf};
    observation.handshake_complete = true;
    return make(std::move(observation));
  }

  Record error(const std::string& ip, std::uint16_t port, ErrorClass error_class) const
  {
    Observation observation;
    observation.endpoint = Endpoint{ip, port, "", ""};
    observation.error = error_class;
    return make(std::move(observation));
  }
};

const Device* device(const FleetView& view, const std::string& key)
{
  for (const auto& d : view.devices()) {
    if ((d.ip.empty() ? d.host : d.ip) == key) {
      return &d;
    }
  }
  return nullptr;
}

std::vector<std::string> codes(const std::vector<Finding>& findings)
{
  std::vector<std::string> out;
  for (const auto& finding : findings) {
    out.push_back(finding.code);
  }
  return out;
}

std::vector<std::string> codes(const Device* d)
{
  REQUIRE(d != nullptr);
  return codes(d->findings);
}

const Finding* find(const Device* d, std::string_view code)
{
  REQUIRE(d != nullptr);
  for (const auto& finding : d->findings) {
    if (finding.code == code) {
      return &finding;
    }
  }
  return nullptr;
}

bool has(const Device* d, std::string_view code)
{
  return find(d, code) != nullptr;
}

std::vector<std::uint16_t> ports(const Device* d)
{
  REQUIRE(d != nullptr);
  std::vector<std::uint16_t> out;
  for (const auto& port : d->ports) {
    out.push_back(port.port);
  }
  return out;
}

std::set<std::string> as_set(const std::vector<std::string>& list)
{
  return {list.begin(), list.end()};
}

bool contains(const std::string& text, const std::string& part)
{
  return text.find(part) != std::string::npos;
}

using Codes = std::vector<std::string>;
using Ports = std::vector<std::uint16_t>;

} // namespace

TEST_SUITE("scanner.fleet_view")
{
  TEST_CASE("shared-certificate: the same leaf on two addresses")
  {
    const Factory factory;
    Fleet fleet;
    const Der shared = factory.leaf("7C2F80000001");
    const Der own = factory.leaf("7C2F80000003");

    FleetView view;
    view.add(fleet.ok("127.0.2.1", 5061, shared));
    view.add(fleet.ok("127.0.2.2", 443, shared));
    view.add(fleet.ok("127.0.2.2", 5061, shared));
    view.add(fleet.ok("127.0.2.3", 5061, own));
    view.finish();

    REQUIRE(view.devices().size() == 3);
    for (const char* ip : {"127.0.2.1", "127.0.2.2"}) {
      CAPTURE(ip);
      const Device* d = device(view, ip);
      CHECK(codes(d) == Codes{"shared-certificate"});
      const Finding* finding = find(d, "shared-certificate");
      REQUIRE(finding != nullptr);
      CHECK(finding->severity == Severity::high);
      CHECK(contains(finding->message, "2 devices"));
      CHECK(contains(finding->message, std::string(ip) == "127.0.2.1" ? "127.0.2.2" : "127.0.2.1"));
      CHECK_FALSE(contains(finding->message, "also " + std::string(ip)));
      const std::vector<Finding>* fleet_findings = view.fleet_findings(ip);
      REQUIRE(fleet_findings != nullptr);
      CHECK(codes(*fleet_findings) == Codes{"shared-certificate"});
    }
    CHECK(codes(device(view, "127.0.2.3")).empty());
    CHECK(view.fleet_findings("127.0.2.3") == nullptr);
    CHECK(view.not_in_inventory().empty()); // no inventory given
    CHECK(view.not_answering().empty());
  }

  TEST_CASE("the same certificate on both ports of one address is not shared")
  {
    const Factory factory;
    Fleet fleet;
    const Der leaf = factory.leaf("7C2F80000001");
    FleetView view;
    view.add(fleet.ok("127.0.2.1", 443, leaf));
    view.add(fleet.ok("127.0.2.1", 5061, leaf));
    view.finish();
    REQUIRE(view.devices().size() == 1);
    CHECK(codes(device(view, "127.0.2.1")).empty());
    CHECK(view.fleet_findings("127.0.2.1") == nullptr);
  }

  TEST_CASE("shared-key: one key in different certificates on several addresses")
  {
    const Factory factory;
    Fleet fleet;
    const PkeyPtr key = generate_key(k_ec);

    SUBCASE("two certificates, two addresses")
    {
      FleetView view;
      view.add(fleet.ok("127.0.2.1", 5061, factory.leaf("7C2F80000001", key.get())));
      view.add(fleet.ok("127.0.2.2", 5061, factory.leaf("7C2F80000002", key.get())));
      view.add(fleet.ok("127.0.2.3", 5061, factory.leaf("7C2F80000003")));
      view.finish();
      for (const char* ip : {"127.0.2.1", "127.0.2.2"}) {
        CAPTURE(ip);
        const Device* d = device(view, ip);
        CHECK(codes(d) == Codes{"shared-key"});
        const Finding* finding = find(d, "shared-key");
        REQUIRE(finding != nullptr);
        CHECK(finding->severity == Severity::critical);
        CHECK(contains(finding->message, "2 different certificates"));
        CHECK(contains(finding->message, std::string(ip) == "127.0.2.1" ? "127.0.2.2" : "127.0.2.1"));
        REQUIRE(view.fleet_findings(ip) != nullptr);
        CHECK(codes(*view.fleet_findings(ip)) == Codes{"shared-key"});
      }
      CHECK(codes(device(view, "127.0.2.3")).empty());
    }
    SUBCASE("not for one address with two certificates on its two ports")
    {
      FleetView view;
      view.add(fleet.ok("127.0.2.1", 443, factory.leaf("7C2F80000001", key.get())));
      view.add(fleet.ok("127.0.2.1", 5061, factory.leaf("7C2F80000001", key.get())));
      view.finish();
      const Device* d = device(view, "127.0.2.1");
      REQUIRE(d != nullptr);
      REQUIRE(d->ports.size() == 2);
      REQUIRE(d->ports[0].sha256 != d->ports[1].sha256);
      CHECK(codes(d).empty());
      CHECK(view.fleet_findings("127.0.2.1") == nullptr);
    }
    SUBCASE("not for the same certificate on two addresses (that is shared-certificate)")
    {
      const Der leaf = factory.leaf("7C2F80000001", key.get());
      FleetView view;
      view.add(fleet.ok("127.0.2.1", 5061, leaf));
      view.add(fleet.ok("127.0.2.2", 5061, leaf));
      view.finish();
      for (const char* ip : {"127.0.2.1", "127.0.2.2"}) {
        CAPTURE(ip);
        CHECK(codes(device(view, ip)) == Codes{"shared-certificate"});
      }
    }
    SUBCASE("the verdict does not depend on the order records complete in")
    {
      // 127.0.2.1 carries certificates A (443) and B (5061), both with the key; 127.0.2.2 carries A.
      // The key is on two devices under two different certificates.
      const Der a = factory.leaf("7C2F80000001", key.get());
      const Der b = factory.leaf("7C2F80000001", key.get(), "sha384");
      REQUIRE(a != b);
      // The addresses with a shared-key finding, space-separated.
      auto shared_key_on = [&](const std::vector<Record>& records) {
        FleetView view;
        for (const auto& record : records) {
          view.add(record);
        }
        view.finish();
        std::string out;
        for (const char* ip : {"127.0.2.1", "127.0.2.2"}) {
          if (has(device(view, ip), "shared-key")) {
            out += (out.empty() ? "" : " ") + std::string(ip);
          }
        }
        return out;
      };
      const std::string a_first = shared_key_on(
          {fleet.ok("127.0.2.1", 443, a), fleet.ok("127.0.2.1", 5061, b), fleet.ok("127.0.2.2", 443, a)});
      const std::string b_first = shared_key_on(
          {fleet.ok("127.0.2.1", 5061, b), fleet.ok("127.0.2.1", 443, a), fleet.ok("127.0.2.2", 443, a)});
      CHECK(a_first == b_first);
      CHECK(a_first == "127.0.2.1 127.0.2.2");
      CHECK(b_first == "127.0.2.1 127.0.2.2");
    }
  }

  TEST_CASE("not-answering: inventory devices that presented no certificate")
  {
    const Factory factory;
    Fleet fleet;
    fleet.add_row("127.0.2.1", "7C2F80000001");
    fleet.add_row("127.0.2.2", "7C2F80000002");
    fleet.add_row("127.0.2.3", "7C2F80000003");
    fleet.add_row("", "7C2F80000004", "Gigaset", "lobby");
    fleet.add_row("", "7C2F80000005", "Gigaset", "kitchen");

    FleetView view(&fleet.inventory);
    view.add(fleet.ok("127.0.2.1", 5061, factory.leaf("7C2F80000001")));
    view.add(fleet.error("127.0.2.1", 443, ErrorClass::refused)); // answered on its other port
    view.add(fleet.error("127.0.2.2", 5061, ErrorClass::refused));
    view.add(fleet.error("127.0.2.2", 443, ErrorClass::timeout));
    // 127.0.2.3 is never scanned; "lobby" answers under the address its name resolved to.
    view.add(fleet.ok("127.0.2.5", 5061, factory.leaf("7C2F80000004"), "lobby"));
    view.finish();

    CHECK(as_set(view.not_answering()) == std::set<std::string>{"127.0.2.2", "127.0.2.3", "kitchen"});
    CHECK(view.not_in_inventory().empty());

    SUBCASE("only error records")
    {
      const Device* d = device(view, "127.0.2.2");
      CHECK(codes(d) == Codes{"not-answering"});
      CHECK(find(d, "not-answering")->severity == Severity::medium);
      CHECK_FALSE(d->answered());
      REQUIRE(d->inventory.has_value());
      CHECK(d->mac == "7C2F80000002");
      REQUIRE(d->ports.size() == 2);
      CHECK(d->ports[0].port == 443);
      CHECK(d->ports[0].status == "timeout");
      CHECK(d->ports[0].sha256.empty());
      CHECK(d->ports[1].port == 5061);
      CHECK(d->ports[1].status == "refused");
    }
    SUBCASE("never scanned")
    {
      const Device* d = device(view, "127.0.2.3");
      CHECK(codes(d) == Codes{"not-answering"});
      CHECK(d->ports.empty());
      REQUIRE(d->inventory.has_value());
      CHECK(d->mac == "7C2F80000003");
      CHECK(d->vendor == "Gigaset");
      CHECK(d->vendor_source == "inventory");
      CHECK(d->model == "Gigaset N670"); // the identity takes model and site from the row
      CHECK(d->site == "site of 7C2F80000003");
    }
    SUBCASE("a row known by name only")
    {
      const Device* kitchen = device(view, "kitchen");
      CHECK(codes(kitchen) == Codes{"not-answering"});
      CHECK(kitchen->host == "kitchen");
      const Device* lobby = device(view, "127.0.2.5");
      REQUIRE(lobby != nullptr);
      REQUIRE(lobby->inventory.has_value());
      CHECK(lobby->inventory->hostname == "lobby");
      CHECK(codes(lobby).empty());
      CHECK(device(view, "lobby") == nullptr);
    }
    SUBCASE("an answering inventory device")
    {
      const Device* d = device(view, "127.0.2.1");
      CHECK(d->answered());
      CHECK(codes(d).empty());
      CHECK(ports(d) == Ports{443, 5061});
      CHECK(d->model == "Gigaset N670");
      CHECK(d->site == "site of 7C2F80000001");
    }
  }

  TEST_CASE("not-in-inventory: only when an inventory is given")
  {
    const Factory factory;
    Fleet fleet;
    const Der listed = factory.leaf("7C2F80000001");
    const Der stray = factory.leaf("7C2F80000009");

    SUBCASE("with an inventory")
    {
      fleet.add_row("127.0.2.1", "7C2F80000001");
      FleetView view(&fleet.inventory);
      view.add(fleet.ok("127.0.2.1", 5061, listed));
      view.add(fleet.ok("127.0.2.9", 5061, stray));
      view.add(fleet.error("127.0.2.8", 5061, ErrorClass::refused)); // not a device: no certificate
      view.finish();

      CHECK(view.not_in_inventory() == std::vector<std::string>{"127.0.2.9"});
      const Device* d = device(view, "127.0.2.9");
      CHECK(codes(d) == Codes{"not-in-inventory"});
      CHECK(find(d, "not-in-inventory")->severity == Severity::low);
      REQUIRE(view.fleet_findings("127.0.2.9") != nullptr);
      CHECK(codes(*view.fleet_findings("127.0.2.9")) == Codes{"not-in-inventory"});
      CHECK(codes(device(view, "127.0.2.1")).empty());
      CHECK(device(view, "127.0.2.8") == nullptr);
      CHECK(view.devices().size() == 2);
    }
    SUBCASE("without one")
    {
      FleetView view;
      view.add(fleet.ok("127.0.2.1", 5061, listed));
      view.add(fleet.ok("127.0.2.9", 5061, stray));
      view.finish();
      CHECK(view.not_in_inventory().empty());
      CHECK(view.not_answering().empty());
      CHECK(codes(device(view, "127.0.2.9")).empty());
      CHECK(view.fleet_findings("127.0.2.9") == nullptr);
    }
  }

  TEST_CASE("both ports of an address are joined, in port order")
  {
    const Factory factory;
    Fleet fleet;
    const Der sip = factory.leaf("7C2F80000001");
    const Der https = factory.leaf("7C2F80000001", nullptr, "sha384");

    FleetView view;
    view.add(fleet.ok("127.0.2.1", 5061, sip));
    view.add(fleet.error("127.0.2.1", 8443, ErrorClass::timeout));
    view.add(fleet.ok("127.0.2.1", 443, https));
    view.finish();

    REQUIRE(view.devices().size() == 1);
    const Device* d = device(view, "127.0.2.1");
    CHECK(ports(d) == Ports{443, 5061, 8443});
    CHECK(d->ip == "127.0.2.1");
    CHECK(d->mac == "7C2F80000001");
    CHECK(d->vendor == "Gigaset");
    CHECK(d->vendor_source == "mac-prefix");
    CHECK_FALSE(d->inventory.has_value());
    CHECK(d->answered());
    CHECK_FALSE(d->worst().has_value());

    const DevicePort& first = d->ports[0];
    CHECK(first.status == "ok");
    CHECK(first.sha256 == decode_certificate(https).sha256);
    CHECK(first.signature_label == "ECDSA+SHA384");
    CHECK(first.provenance == "factory");
    CHECK(first.not_after == "2030-01-01T00:00:00Z");
    CHECK(first.cn == "7C2F80000001");
    CHECK(first.validity == "valid");
    REQUIRE(first.days_left.has_value());
    CHECK(*first.days_left == (1'893'456'000 - k_now) / 86400); // 2030-01-01T00:00:00Z, whole days
    CHECK(d->ports[1].sha256 == decode_certificate(sip).sha256);
    CHECK(d->ports[1].signature_label == "ECDSA+SHA256");
    CHECK(d->ports[2].status == "timeout");
    CHECK(d->ports[2].sha256.empty());
    CHECK(d->ports[2].provenance.empty());
    CHECK(d->ports[2].not_after.empty());
    CHECK(d->ports[2].cn.empty());
    CHECK(d->ports[2].validity.empty());
    CHECK_FALSE(d->ports[2].days_left.has_value());
  }

  TEST_CASE("a name that did not resolve is a device under its name, a skipped record is no device, a dead address is none")
  {
    Fleet fleet;
    FleetView view;
    for (const std::uint16_t port : {443, 5061}) {
      Observation unresolved;
      unresolved.endpoint = Endpoint{"", port, "nonexistent.invalid", ""};
      unresolved.error = ErrorClass::dns;
      unresolved.error_stage = "resolve";
      view.add(fleet.make(std::move(unresolved)));
      Observation skipped;
      skipped.endpoint = Endpoint{"127.0.0.1", port, "localhost", ""};
      skipped.skipped = SkipReason::excluded;
      view.add(fleet.make(std::move(skipped)));
      view.add(fleet.error("127.0.2.9", port, ErrorClass::refused));
    }
    view.finish();
    REQUIRE(view.devices().size() == 1);
    const Device* d = device(view, "nonexistent.invalid");
    REQUIRE(d != nullptr);
    CHECK(d->ip.empty());
    CHECK(d->host == "nonexistent.invalid");
    CHECK(d->address() == "nonexistent.invalid");
    CHECK(ports(d) == Ports{443, 5061});
    CHECK(d->ports[0].status == "dns");
    CHECK_FALSE(d->answered());
  }

  TEST_CASE("an error record that arrives before the ok record of its address is among the device's ports")
  {
    const Factory factory;
    Fleet fleet;
    const Der leaf = factory.leaf("7C2F80000001");

    SUBCASE("without an inventory")
    {
      FleetView view;
      view.add(fleet.error("127.0.2.1", 443, ErrorClass::refused));
      view.add(fleet.error("127.0.2.2", 443, ErrorClass::refused)); // never answers: not a device
      view.add(fleet.ok("127.0.2.1", 5061, leaf));
      view.finish();
      REQUIRE(view.devices().size() == 1);
      const Device* d = device(view, "127.0.2.1");
      REQUIRE(ports(d) == Ports{443, 5061});
      CHECK(d->ports[0].status == "refused");
      CHECK(d->ports[1].status == "ok");
      CHECK(d->answered());
      CHECK(device(view, "127.0.2.2") == nullptr);
    }
    SUBCASE("with an inventory that does not list the address")
    {
      fleet.add_row("127.0.2.7", "7C2F80000007");
      FleetView view(&fleet.inventory);
      view.add(fleet.error("127.0.2.1", 5061, ErrorClass::tls_alert));
      view.add(fleet.ok("127.0.2.1", 443, leaf));
      view.finish();
      const Device* d = device(view, "127.0.2.1");
      REQUIRE(ports(d) == Ports{443, 5061});
      CHECK(d->ports[1].status == "tls-alert");
      CHECK(codes(d) == Codes{"not-in-inventory"});
    }
    SUBCASE("a handshake that ended without a certificate or an error is a protocol problem")
    {
      FleetView view;
      view.add(fleet.error("127.0.2.1", 443, ErrorClass::none));
      view.add(fleet.ok("127.0.2.1", 5061, leaf));
      view.finish();
      const Device* d = device(view, "127.0.2.1");
      REQUIRE(ports(d) == Ports{443, 5061});
      CHECK(d->ports[0].status == "protocol");
    }
  }

  TEST_CASE("devices are sorted worst first, then by address")
  {
    const Factory factory;
    Fleet fleet;
    FleetView view;
    view.add(fleet.ok("127.0.2.1", 5061, factory.leaf("7C2F80000001")));                     // none
    view.add(fleet.ok("127.0.2.2", 5061, factory.leaf("7C2F80000002", nullptr, "sha256",
                                                      "20270125000000Z")));                  // medium
    view.add(fleet.ok("127.0.2.3", 5061, self_signed("7C2F80000003", {"rsa", 1024, ""}, "md5"))); // critical
    view.add(fleet.ok("127.0.2.4", 5061, self_signed("7C2F80000004")));                      // high
    view.add(fleet.ok("127.0.2.6", 5061, factory.leaf("7C2F80000006")));                     // none
    view.add(fleet.ok("127.0.2.5", 5061, factory.leaf("7C2F80000005")));                     // none
    view.finish();

    std::vector<std::string> order;
    for (const auto& d : view.devices()) {
      order.push_back(d.ip);
    }
    CHECK(order == std::vector<std::string>{"127.0.2.3", "127.0.2.4", "127.0.2.2", "127.0.2.1", "127.0.2.5", "127.0.2.6"});
    CHECK(device(view, "127.0.2.3")->worst() == Severity::critical);
    CHECK(device(view, "127.0.2.4")->worst() == Severity::high);
    CHECK(device(view, "127.0.2.2")->worst() == Severity::medium);
    CHECK_FALSE(device(view, "127.0.2.1")->worst().has_value());

    // Within a device too: worst first, then by code.
    CHECK(codes(device(view, "127.0.2.3")) == Codes{"weak-signature", "self-signed", "weak-key"});
  }

  TEST_CASE("fleet_findings(ip): only the fleet-wide findings of an address")
  {
    Fleet fleet;
    const Der shared = self_signed("7C2F80000001");
    FleetView view;
    view.add(fleet.ok("127.0.2.1", 5061, shared));
    view.add(fleet.ok("127.0.2.2", 5061, shared));
    view.add(fleet.ok("127.0.2.3", 5061, self_signed("7C2F80000003")));
    view.finish();

    // The device shows its endpoint findings and the fleet-wide ones, worst first then by code.
    CHECK(codes(device(view, "127.0.2.1")) == Codes{"self-signed", "shared-certificate"});
    const std::vector<Finding>* fleet_findings = view.fleet_findings("127.0.2.1");
    REQUIRE(fleet_findings != nullptr);
    CHECK(codes(*fleet_findings) == Codes{"shared-certificate"});
    // Endpoint findings alone are not fleet-wide; an unknown address has none.
    CHECK(codes(device(view, "127.0.2.3")) == Codes{"self-signed"});
    CHECK(view.fleet_findings("127.0.2.3") == nullptr);
    CHECK(view.fleet_findings("198.51.100.1") == nullptr);
  }

  TEST_CASE("one finding per code and device")
  {
    const Factory factory;
    Fleet fleet;

    SUBCASE("the same endpoint finding on both ports")
    {
      const Der sha1 = factory.leaf("7C2F80000001", nullptr, "sha1");
      FleetView view;
      view.add(fleet.ok("127.0.2.1", 443, sha1));
      view.add(fleet.ok("127.0.2.1", 5061, sha1));
      view.finish();
      const Device* d = device(view, "127.0.2.1");
      CHECK(codes(d) == Codes{"sha1-rejected"});
      const Finding* finding = find(d, "sha1-rejected");
      REQUIRE(finding != nullptr);
      CHECK(finding->message.rfind("port 443: ", 0) == 0);
      CHECK(contains(finding->message, "also on port 5061"));
    }
    SUBCASE("two certificates each shared with another device")
    {
      const Der x = factory.leaf("7C2F80000001");
      const Der y = factory.leaf("7C2F80000001", nullptr, "sha384");
      FleetView view;
      view.add(fleet.ok("127.0.2.1", 443, x));
      view.add(fleet.ok("127.0.2.1", 5061, y));
      view.add(fleet.ok("127.0.2.2", 443, x));
      view.add(fleet.ok("127.0.2.3", 5061, y));
      view.finish();
      const Device* d = device(view, "127.0.2.1");
      CHECK(codes(d) == Codes{"shared-certificate"});
      const Finding* finding = find(d, "shared-certificate");
      REQUIRE(finding != nullptr);
      CHECK(contains(finding->message, "127.0.2.2"));
      CHECK(contains(finding->message, "127.0.2.3"));
      const std::vector<Finding>* fleet_findings = view.fleet_findings("127.0.2.1");
      REQUIRE(fleet_findings != nullptr);
      REQUIRE(fleet_findings->size() == 1);
      CHECK(fleet_findings->front().message == finding->message);
      CHECK(codes(device(view, "127.0.2.2")) == Codes{"shared-certificate"});
      CHECK(codes(device(view, "127.0.2.3")) == Codes{"shared-certificate"});
    }
  }

  TEST_CASE("--site: every device gets the scan's site unless its inventory row names one")
  {
    const Factory factory;
    Fleet fleet;
    fleet.site = "branch-7";
    fleet.add_row("127.0.3.1", "7C2F80000011"); // its row names "site of 7C2F80000011"
    fleet.add_row("127.0.3.2", "7C2F80000012");
    fleet.inventory.rows.back().site.clear(); // a row without a site
    fleet.add_row("127.0.3.3", "7C2F80000013"); // never scanned, its row names a site
    fleet.add_row("127.0.3.4", "7C2F80000014"); // never scanned, no site
    fleet.inventory.rows.back().site.clear();
    fleet.inventory.index();

    const Record listed = fleet.ok("127.0.3.1", 5061, factory.leaf("7C2F80000011"));
    const Record unsited = fleet.ok("127.0.3.2", 5061, factory.leaf("7C2F80000012"));
    const Record stranger = fleet.ok("127.0.3.9", 5061, factory.leaf("7C2F80000019"));
    const Record dead = fleet.error("127.0.3.2", 443, ErrorClass::refused);
    CHECK(listed.site == "branch-7"); // stamped on every record
    CHECK(record_identity(listed).site == "site of 7C2F80000011"); // the inventory's wins
    CHECK(record_identity(unsited).site == "branch-7");
    CHECK(record_identity(stranger).site == "branch-7");
    CHECK(record_identity(dead).site == "branch-7");

    FleetView view(&fleet.inventory);
    view.set_site(fleet.site);
    for (const Record* record : {&listed, &unsited, &stranger, &dead}) {
      view.add(*record);
    }
    view.finish();
    CHECK(device(view, "127.0.3.1")->site == "site of 7C2F80000011");
    CHECK(device(view, "127.0.3.2")->site == "branch-7");
    CHECK(device(view, "127.0.3.9")->site == "branch-7");
    CHECK(device(view, "127.0.3.3")->site == "site of 7C2F80000013");
    CHECK(device(view, "127.0.3.4")->site == "branch-7");

    SUBCASE("without --site nothing is stamped")
    {
      fleet.site.clear();
      const Record plain = fleet.ok("127.0.3.9", 5061, factory.leaf("7C2F80000019"));
      CHECK(plain.site.empty());
      CHECK(record_identity(plain).site.empty());
    }
  }

  TEST_CASE("--shard: the inventory check covers this shard's rows only")
  {
    const Factory factory;
    Fleet fleet;
    fleet.add_row("127.0.4.1", "7C2F80000021");
    fleet.add_row("127.0.4.2", "7C2F80000022");
    fleet.add_row("127.0.4.3", "7C2F80000023");
    FleetView view(&fleet.inventory);
    view.set_inventory_scope([](const InventoryRow& row) { return row.ip != "127.0.4.3"; }); // another shard's
    view.add(fleet.ok("127.0.4.1", 5061, factory.leaf("7C2F80000021")));
    view.finish();
    CHECK(view.not_answering() == std::vector<std::string>{"127.0.4.2"});
    CHECK(device(view, "127.0.4.3") == nullptr);
  }
}

namespace {

AnnouncedIdentity said(IdentitySource source, std::string model, std::string firmware)
{
  AnnouncedIdentity identity;
  identity.vendor = "Gigaset";
  identity.model = std::move(model);
  identity.firmware = std::move(firmware);
  identity.source = source;
  return identity;
}

} // namespace

TEST_SUITE("scanner.fleet_view")
{
  TEST_CASE("the device merges both ports' identities: SIP first, field by field")
  {
    Fleet fleet;
    const Der leaf = self_signed("7C2F80C6E5C2");
    Record sip = fleet.ok("127.0.3.1", 5061, leaf);
    sip.identity = said(IdentitySource::sip_user_agent, "N870 IP PRO", "");
    Record http = fleet.ok("127.0.3.1", 443, leaf);
    http.identity = said(IdentitySource::http_title, "N870", "2.61.3");
    for (const bool http_first : {false, true}) {
      CAPTURE(http_first);
      FleetView view;
      view.add(http_first ? http : sip);
      view.add(http_first ? sip : http);
      view.finish();
      const Device* d = device(view, "127.0.3.1");
      REQUIRE(d != nullptr);
      CHECK(d->model == "N870 IP PRO");
      CHECK(d->model_source == "sip-user-agent");
      CHECK(d->firmware == "2.61.3");
      CHECK(d->firmware_source == "http-title");
    }
  }

  TEST_CASE("the inventory's model wins, its firmware column too, else the announced firmware")
  {
    Fleet fleet;
    fleet.add_row("127.0.3.2", "7C2F80C6E5C3");
    Record sip = fleet.ok("127.0.3.2", 5061, self_signed("7C2F80C6E5C3"));
    sip.identity = said(IdentitySource::sip_user_agent, "N870 IP PRO", "83.V2.58.0");
    SUBCASE("no firmware column")
    {
      FleetView view(&fleet.inventory);
      view.add(sip);
      view.finish();
      const Device* d = device(view, "127.0.3.2");
      REQUIRE(d != nullptr);
      CHECK(d->model == "Gigaset N670");
      CHECK(d->model_source == "inventory");
      CHECK(d->firmware == "83.V2.58.0");
      CHECK(d->firmware_source == "sip-user-agent");
    }
    SUBCASE("a firmware column")
    {
      fleet.inventory.rows[0].extra.emplace_back("Firmware", "2.43");
      sip.assessment.inventory = fleet.inventory.rows[0];
      FleetView view(&fleet.inventory);
      view.add(sip);
      view.finish();
      const Device* d = device(view, "127.0.3.2");
      REQUIRE(d != nullptr);
      CHECK(d->firmware == "2.43");
      CHECK(d->firmware_source == "inventory");
    }
  }

  TEST_CASE("no identity and no inventory: no model, no firmware")
  {
    Fleet fleet;
    FleetView view;
    view.add(fleet.ok("127.0.3.3", 5061, self_signed("7C2F80C6E5C4")));
    view.finish();
    const Device* d = device(view, "127.0.3.3");
    REQUIRE(d != nullptr);
    CHECK(d->model.empty());
    CHECK(d->model_source.empty());
    CHECK(d->firmware.empty());
  }
}
