// Export lists on hand-built reports: Grandstream update batches (selection, MAC choice,
// deduplication, batch sizes, skipped devices, order) and the device filter and CSV rows.

#include "reports/workflows/export_batches.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

using namespace fleetcert;

namespace {

ReportEndpoint endpoint(const std::string& ip, std::uint16_t port, const std::string& vendor, const std::string& cn_mac,
                        std::vector<std::string> codes)
{
  ReportEndpoint e;
  e.ip = ip;
  e.port = port;
  e.ok = true;
  e.vendor = vendor;
  e.cn = cn_mac.empty() ? "device" : cn_mac;
  e.cn_mac = cn_mac;
  e.signature_label = "RSA+SHA256";
  e.signature_verdict = SignatureVerdict::current;
  e.provenance_kind = ProvenanceKind::factory;
  e.provenance_basis = ProvenanceBasis::chain;
  e.provenance_vendor = vendor;
  e.validity = Validity::valid;
  for (const std::string& code : codes) {
    e.findings.push_back({code, code == "generic-cn" || code == "sha1-rejected" ? Severity::high : Severity::medium,
                          "", ""});
  }
  return e;
}

ReportEndpoint legacy_grandstream(const std::string& ip, const std::string& mac)
{
  return endpoint(ip, 443, "Grandstream", mac, {"legacy-generation"});
}

InventoryRow inventory_row(const std::string& ip, const std::string& mac)
{
  InventoryRow row;
  row.ip = ip;
  row.mac = mac;
  return row;
}

std::string mac_of(unsigned n)
{
  char text[16];
  std::snprintf(text, sizeof text, "000B82%06X", n);
  return text;
}

std::string ip_of(unsigned n)
{
  return "10.1." + std::to_string(n / 250) + "." + std::to_string(n % 250 + 1);
}

} // namespace

TEST_SUITE("reports.export_batches")
{
  TEST_CASE("batch file names")
  {
    CHECK(batch_file_name("grandstream-update", 1) == "grandstream-update-001.txt");
    CHECK(batch_file_name("grandstream-update", 42) == "grandstream-update-042.txt");
    CHECK(batch_file_name("grandstream-update", 1234) == "grandstream-update-1234.txt");
  }

  TEST_CASE("2501 legacy devices: batches of 1000, every MAC once, sorted")
  {
    ScanReport report;
    for (unsigned n = 2501; n >= 1; --n) { // reverse order: the export sorts
      report.endpoints.push_back(legacy_grandstream(ip_of(n), mac_of(n)));
    }
    const UpdateBatches batches = grandstream_update_batches(report, k_grandstream_portal_limit);
    REQUIRE(batches.batches.size() == 3);
    CHECK(batches.batches[0].size() == 1000);
    CHECK(batches.batches[1].size() == 1000);
    CHECK(batches.batches[2].size() == 501);
    CHECK(batches.batches[0].front() == mac_of(1));
    CHECK(batches.batches[2].back() == mac_of(2501));
    std::set<std::string> seen;
    std::string previous;
    for (const auto& batch : batches.batches) {
      for (const std::string& mac : batch) {
        CHECK(mac > previous);
        previous = mac;
        seen.insert(mac);
      }
    }
    CHECK(seen.size() == 2501);
    REQUIRE(batches.entries.size() == 2501);
    CHECK(batches.entries[1000].batch == 2);
    CHECK(batches.entries[1000].line == 1);
    CHECK(batches.entries[1000].mac == mac_of(1001));
    CHECK(batches.skipped() == 0);

    const UpdateBatches small = grandstream_update_batches(report, 400);
    CHECK(small.batches.size() == 7);
    CHECK(small.batches.back().size() == 101);
    // Over the portal's limit: clamped.
    CHECK(grandstream_update_batches(report, 5000).batches.size() == 3);
  }

  TEST_CASE("only Grandstream devices, the device's own MAC (inventory, else the certificate's), duplicates, skipped")
  {
    ScanReport report;
    report.endpoints.push_back(legacy_grandstream("10.0.0.1", "000B82000001"));
    report.endpoints.push_back(legacy_grandstream("10.0.0.1", "000B82000001")); // same device, second port
    report.endpoints.back().port = 5061;
    report.endpoints.push_back(endpoint("10.0.0.2", 443, "Grandstream", "C074AD000002", {})); // current generation
    report.endpoints.push_back(endpoint("10.0.0.3", 443, "Gigaset", "7C2F80000003", {"legacy-generation"}));
    ReportEndpoint from_inventory = legacy_grandstream("10.0.0.4", "");
    InventoryRow row = inventory_row("10.0.0.4", "EC74D7000004");
    row.model = "GRP2614";
    row.site = "HQ";
    from_inventory.inventory = row;
    report.endpoints.push_back(from_inventory);
    report.endpoints.push_back(legacy_grandstream("10.0.0.5", "")); // no MAC anywhere
    report.endpoints.push_back(legacy_grandstream("10.0.0.6", "000B82000001")); // a copy of .1's certificate
    ReportEndpoint copied = legacy_grandstream("10.0.0.7", "000B82000007"); // issued to another device's MAC
    row.ip = "10.0.0.7";
    row.mac = "000B82FFFFFF";
    copied.inventory = row;
    copied.findings.push_back({"mac-mismatch", Severity::high, "", ""});
    report.endpoints.push_back(copied);
    ReportEndpoint lower_case_vendor = legacy_grandstream("10.0.0.8", "000B82000008");
    lower_case_vendor.vendor = "grandstream";
    lower_case_vendor.provenance_vendor = "GRANDSTREAM";
    report.endpoints.push_back(lower_case_vendor);

    const UpdateBatches batches = grandstream_update_batches(report, 1000);
    REQUIRE(batches.batches.size() == 1);
    CHECK(batches.batches[0] == std::vector<std::string>{"000B82000001", "000B82000008", "000B82FFFFFF", "EC74D7000004"});
    REQUIRE(batches.entries.size() == 6);
    CHECK(batches.entries[0].ip == "10.0.0.1");
    CHECK(batches.entries[0].status == "batched");
    CHECK(batches.entries[0].reason == "legacy-generation");
    CHECK(batches.entries[0].mac_source == "certificate");
    CHECK(batches.entries[0].note.find("own MAC is unknown") != std::string::npos);
    CHECK(batches.entries[1].ip == "10.0.0.6");
    CHECK(batches.entries[1].status == "duplicate");
    CHECK(batches.entries[1].line == 1);
    CHECK(batches.entries[1].note.find("10.0.0.1") != std::string::npos);
    CHECK(batches.entries[2].ip == "10.0.0.8");
    // The copied certificate: the device's own MAC is listed, never the one its certificate names.
    CHECK(batches.entries[3].ip == "10.0.0.7");
    CHECK(batches.entries[3].mac == "000B82FFFFFF");
    CHECK(batches.entries[3].mac_source == "inventory");
    CHECK(batches.entries[3].note.find("issued to MAC 000B82000007") != std::string::npos);
    CHECK(batches.entries[3].note.find("mac-mismatch") != std::string::npos);
    CHECK(batches.entries[4].mac == "EC74D7000004");
    CHECK(batches.entries[4].mac_source == "inventory");
    CHECK(batches.entries[4].note.empty());
    CHECK(batches.entries[4].model == "GRP2614");
    CHECK(batches.entries[4].line == 4);
    CHECK(batches.entries[5].ip == "10.0.0.5");
    CHECK(batches.entries[5].status == "skipped");
    CHECK(batches.entries[5].batch == 0);
    CHECK(batches.entries[5].mac_source.empty());
    CHECK_FALSE(batches.entries[5].note.empty());
    CHECK(batches.skipped() == 1);
  }

  TEST_CASE("every generation the portal fixes, on Grandstream factory certificates only, with the reasons")
  {
    ScanReport report;
    // SHA1 and MD5 factory certificates: the portal replaces them too.
    ReportEndpoint sha1 = endpoint("10.0.1.1", 443, "Grandstream", "000B82000101", {"sha1-rejected"});
    sha1.signature_label = "RSA+SHA1";
    sha1.inventory = inventory_row("10.0.1.1", "000B82000101");
    report.endpoints.push_back(sha1);
    ReportEndpoint md5 = endpoint("10.0.1.2", 443, "Grandstream", "000B82000102", {"weak-signature"});
    md5.signature_label = "RSA+MD5";
    report.endpoints.push_back(md5);
    // Two ports, two reasons: both named, in a fixed order.
    report.endpoints.push_back(endpoint("10.0.1.3", 5061, "Grandstream", "000B82000103", {"sha1-rejected"}));
    report.endpoints.push_back(legacy_grandstream("10.0.1.3", "000B82000103"));
    // Not factory, or not Grandstream's factory CA, or not a Grandstream device: never listed.
    ReportEndpoint self_signed = endpoint("10.0.1.4", 443, "Grandstream", "000B82000104", {"sha1-rejected"});
    self_signed.provenance_kind = ProvenanceKind::self_signed;
    self_signed.provenance_vendor.clear();
    report.endpoints.push_back(self_signed);
    ReportEndpoint enterprise = endpoint("10.0.1.5", 443, "Grandstream", "000B82000105", {"weak-signature"});
    enterprise.provenance_kind = ProvenanceKind::custom_ca;
    enterprise.provenance_vendor.clear();
    report.endpoints.push_back(enterprise);
    ReportEndpoint other_factory = endpoint("10.0.1.6", 443, "Grandstream", "000B82000106", {"sha1-rejected"});
    other_factory.provenance_vendor = "Polycom";
    report.endpoints.push_back(other_factory);
    ReportEndpoint polycom_device = endpoint("10.0.1.7", 443, "Polycom", "000B82000107",
                                             {"legacy-generation", "vendor-mismatch"});
    polycom_device.provenance_vendor = "Grandstream";
    report.endpoints.push_back(polycom_device);
    // Other findings on a Grandstream factory certificate: not the portal's business.
    report.endpoints.push_back(endpoint("10.0.1.8", 443, "Grandstream", "000B82000108", {"expired", "generic-cn"}));

    const UpdateBatches batches = grandstream_update_batches(report, 1000);
    REQUIRE(batches.batches.size() == 1);
    CHECK(batches.batches[0] == std::vector<std::string>{"000B82000101", "000B82000102", "000B82000103"});
    REQUIRE(batches.entries.size() == 3);
    CHECK(batches.entries[0].reason == "sha1-rejected");
    CHECK(batches.entries[0].mac_source == "inventory");
    // No model known: batched, and the note says its eligibility was not checked.
    CHECK(batches.entries[0].note.find("model unknown") == 0);
    CHECK(batches.entries[0].note.find("eligibility not checked") != std::string::npos);
    CHECK(batches.entries[1].reason == "weak-signature");
    CHECK(batches.entries[1].mac_source == "certificate");
    CHECK(batches.entries[2].reason == "legacy-generation sha1-rejected");
    CHECK(grandstream_update_reasons() == std::vector<std::string>{"legacy-generation", "sha1-rejected", "weak-signature"});
  }

  TEST_CASE("portal eligibility by model: not-eligible rows stay out of the batches, unknown models are said")
  {
    ScanReport report;
    ReportEndpoint old_ata = legacy_grandstream("10.0.1.1", "000B82000101");
    InventoryRow row = inventory_row("10.0.1.1", "000B82000101");
    row.model = "HT502";
    old_ata.inventory = row;
    report.endpoints.push_back(old_ata);
    ReportEndpoint announced = legacy_grandstream("10.0.1.2", "000B82000102"); // no inventory: the announced model
    announced.identity = AnnouncedIdentity{"Grandstream", "GXP2170", "1.0.11.23", "000B82000102",
                                           IdentitySource::sip_user_agent, "Grandstream GXP2170 1.0.11.23", "",
                                           IdentityProtocol::sip};
    report.endpoints.push_back(announced);
    report.endpoints.push_back(legacy_grandstream("10.0.1.3", "000B82000103")); // no model anywhere
    const UpdateBatches batches = grandstream_update_batches(report, 1000);
    REQUIRE(batches.batches.size() == 1);
    CHECK(batches.batches[0] == std::vector<std::string>{"000B82000102", "000B82000103"});
    REQUIRE(batches.entries.size() == 3);
    CHECK(batches.not_eligible() == 1);
    CHECK(batches.skipped() == 0);
    const UpdateEntry& listed = batches.entries[0];
    CHECK(listed.mac == "000B82000102");
    CHECK(listed.status == "batched");
    CHECK(listed.model == "GXP2170");
    CHECK(listed.note.find("eligibility") == std::string::npos);
    const UpdateEntry& unknown = batches.entries[1];
    CHECK(unknown.mac == "000B82000103");
    CHECK(unknown.status == "batched");
    CHECK(unknown.note.find("model unknown") != std::string::npos);
    CHECK(unknown.note.find("eligibility not checked") != std::string::npos);
    const UpdateEntry& refused = batches.entries[2];
    CHECK(refused.ip == "10.0.1.1");
    CHECK(refused.status == "not-eligible");
    CHECK(refused.mac == "000B82000101");
    CHECK(refused.batch == 0);
    CHECK(refused.reason == "legacy-generation");
    CHECK(refused.note.find("model 'HT502' (inventory)") != std::string::npos);
    CHECK(refused.note.find("Not eligible for update") != std::string::npos);

    SUBCASE("a profile that lists the model makes it eligible")
    {
      VendorProfile grandstream;
      grandstream.name = "Grandstream";
      grandstream.portal_models = {"HT502"};
      const UpdateBatches own = grandstream_update_batches(report, 1000, &grandstream);
      CHECK(own.not_eligible() == 1);
      CHECK(own.batches[0].size() == 2); // GXP2170 is not in this list: not eligible now
      CHECK(own.entries.back().ip == "10.0.1.2");
      CHECK(own.entries.back().status == "not-eligible");
    }
  }

  TEST_CASE("no legacy device: no batch")
  {
    ScanReport report;
    report.endpoints.push_back(endpoint("10.0.0.2", 443, "Grandstream", "C074AD000002", {}));
    const UpdateBatches batches = grandstream_update_batches(report, 1000);
    CHECK(batches.batches.empty());
    CHECK(batches.entries.empty());
  }

  TEST_CASE("--where: parsing")
  {
    CHECK(parse_device_filter({"vendor=Gigaset", "finding=generic-cn"}).ok());
    CHECK(parse_device_filter({"Vendor=Gigaset"}).ok());
    const auto unknown = parse_device_filter({"colour=red"});
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().find("colour=red") != std::string::npos);
    CHECK(unknown.error().find("unknown key") != std::string::npos);
    CHECK_FALSE(parse_device_filter({"vendor"}).ok());
    CHECK_FALSE(parse_device_filter({"vendor="}).ok());
    CHECK_FALSE(parse_device_filter({"severity=bad"}).ok());
    // A misspelt finding code would match nothing and export an empty list that looks like "none".
    const auto code = parse_device_filter({"finding=generic-cm"});
    REQUIRE_FALSE(code.ok());
    CHECK(code.error().find("unknown finding code 'generic-cm'") != std::string::npos);
    CHECK(code.error().find("legacy-generation") != std::string::npos);
    CHECK(parse_device_filter({"finding=Generic-CN"}).ok());
    CHECK_FALSE(parse_device_filter({"answered=maybe"}).ok());
  }

  TEST_CASE("--where: same key is OR, different keys AND, values case-insensitive")
  {
    ScanReport report;
    report.endpoints.push_back(endpoint("10.0.0.1", 5061, "Gigaset", "", {"generic-cn"}));
    report.endpoints.push_back(endpoint("10.0.0.2", 443, "Grandstream", "000B82000002", {"legacy-generation"}));
    report.endpoints.push_back(endpoint("10.0.0.3", 443, "Gigaset", "7C2F80000003", {}));
    ReportEndpoint at_branch = endpoint("10.0.0.4", 443, "Yealink", "805EC0000004", {});
    InventoryRow row;
    row.ip = "10.0.0.4";
    row.site = "Branch";
    at_branch.inventory = row;
    at_branch.provenance_kind = ProvenanceKind::self_signed;
    at_branch.signature_verdict = SignatureVerdict::rejected;
    at_branch.validity = Validity::expired;
    report.endpoints.push_back(at_branch);
    const auto devices = report.devices();
    auto ips = [&](const std::vector<std::string>& where) {
      auto filter = parse_device_filter(where);
      REQUIRE(filter.ok());
      std::vector<std::string> out;
      for (const ReportDevice* device : select_devices(devices, *filter)) {
        out.push_back(device->ip);
      }
      return out;
    };
    CHECK(ips({}).size() == 4);
    CHECK(ips({"vendor=gigaset"}) == std::vector<std::string>{"10.0.0.1", "10.0.0.3"}); // worst first
    CHECK(ips({"vendor=Gigaset", "finding=generic-cn"}) == std::vector<std::string>{"10.0.0.1"});
    CHECK(ips({"vendor=Gigaset", "vendor=Yealink"}).size() == 3);
    CHECK(ips({"site=branch"}) == std::vector<std::string>{"10.0.0.4"});
    CHECK(ips({"provenance=self-signed"}) == std::vector<std::string>{"10.0.0.4"});
    CHECK(ips({"provenance=factory/chain"}).size() == 3);
    CHECK(ips({"severity=high"}) == std::vector<std::string>{"10.0.0.1"});
    CHECK(ips({"severity=medium"}) == std::vector<std::string>{"10.0.0.1", "10.0.0.2"});
    CHECK(ips({"signature=rsa+sha256", "finding=legacy-generation"}) == std::vector<std::string>{"10.0.0.2"});
    CHECK(ips({"answered=false"}).empty());
    CHECK(ips({"verdict=REJECTED"}) == std::vector<std::string>{"10.0.0.4"});
    CHECK(ips({"verdict=current"}).size() == 3);
    CHECK(ips({"validity=expired", "validity=not-yet-valid"}) == std::vector<std::string>{"10.0.0.4"});
    CHECK(ips({"provenance=Factory/Issuer-Name"}).empty());
    CHECK(ips({"provenance=unknown"}).empty());
  }

  TEST_CASE("--where: words of the report vocabulary are checked, not matched blindly")
  {
    for (const std::string bad : {"verdict=weak", "validity=revoked", "provenance=vendor", "provenance=factory/x",
                                  "provenance=/chain"}) {
      CAPTURE(bad);
      const auto filter = parse_device_filter({bad});
      REQUIRE_FALSE(filter.ok());
      CHECK(filter.error().rfind("--where '" + bad + "': ", 0) == 0);
    }
    CHECK(parse_device_filter({"verdict=legacy", "validity=not-yet-valid", "provenance=custom-ca/none"}).ok());
  }

  TEST_CASE("device CSV rows: columns, joined ports, formula neutralisation")
  {
    ScanReport report;
    ReportEndpoint hostile = endpoint("10.0.0.1", 443, "=HYPERLINK(\"x\")", "", {"generic-cn"});
    hostile.cn = "Einstein2";
    report.endpoints.push_back(hostile);
    ReportEndpoint refused;
    refused.ip = "10.0.0.1";
    refused.port = 5061;
    refused.error_class = ErrorClass::refused;
    report.endpoints.push_back(refused);
    const auto devices = report.devices();
    REQUIRE(devices.size() == 1);
    const auto row = device_export_row(devices[0]);
    REQUIRE(row.size() == device_export_columns().size());
    const auto column = [&](const std::string& name) {
      const auto& columns = device_export_columns();
      return row.at(static_cast<std::size_t>(std::find(columns.begin(), columns.end(), name) - columns.begin()));
    };
    CHECK(column("ip") == "10.0.0.1");
    CHECK(column("vendor") == "\"'=HYPERLINK(\"\"x\"\")\"");
    CHECK(column("ports") == "443:ok;5061:refused");
    CHECK(column("cn") == "Einstein2");
    CHECK(column("signature_labels") == "RSA+SHA256");
    CHECK(column("provenance") == "factory/chain");
    CHECK(column("worst_severity") == "high");
    CHECK(column("findings") == "generic-cn");
    CHECK(column("answered") == "true");
  }
}
