// Device CSV report: one row per device of a fleet view built from hand-made records (both ports
// joined, inventory columns, fleet-wide findings included), safe cells, and the rename at finish.

#include "reports/sinks/device_csv.hpp"

#include "support/csv_parse.hpp"

#include "support/process.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

using namespace fleetcert;
namespace fs = std::filesystem;
using fleetcert::testing::read_file;
using fleetcert::testing::TempDir;

namespace {

std::vector<std::vector<std::string>> simple_rows(const std::string& text)
{
  fleetcert::testing::CsvRows rows;
  REQUIRE(fleetcert::testing::parse_csv_strict(text, rows));
  return rows;
}

std::map<std::string, std::string> by_column(const std::vector<std::string>& row)
{
  const std::vector<std::string> header = csv_device_columns();
  REQUIRE(header.size() == row.size());
  std::map<std::string, std::string> cells;
  for (std::size_t i = 0; i < header.size(); ++i) {
    cells[header[i]] = row[i];
  }
  return cells;
}

Record ok_record(const std::string& ip, std::uint16_t port, char digit, const std::string& label,
                 ProvenanceKind provenance)
{
  Record record;
  record.observation.endpoint = {ip, port, "", ""};
  record.observation.handshake_complete = true;
  CertificateInfo leaf;
  leaf.parsed = true;
  leaf.subject = "CN=x";
  leaf.issuer = "CN=y";
  leaf.sha256 = std::string(64, digit);
  leaf.sha1 = std::string(40, digit);
  leaf.md5 = std::string(32, digit);
  leaf.not_after = 1795392000;
  leaf.signature.algorithm = "x";
  leaf.signature.label = label;
  leaf.key.spki_sha256 = std::string(64, digit);
  record.chain = {leaf};
  record.assessment.signature_verdict = SignatureVerdict::current;
  record.assessment.provenance.kind = provenance;
  return record;
}

Record error_record(const std::string& ip, std::uint16_t port, ErrorClass error)
{
  Record record;
  record.observation.endpoint = {ip, port, "", ""};
  record.observation.error = error;
  return record;
}

// .1: both ports, two labels, an endpoint finding; .2 and .3 share one certificate; .3 is not in
// the inventory; .9 is in the inventory and never answered.
struct Fleet
{
  Inventory inventory;
  FleetView view{&inventory};

  Fleet()
  {
    for (const char* ip : {"127.0.0.1", "127.0.0.2", "127.0.0.9"}) {
      InventoryRow row;
      row.line = inventory.rows.size() + 2;
      row.ip = ip;
      row.mac = "000B8200000" + std::string(1, ip[8]);
      row.vendor = "Grandstream";
      row.model = "=GXP2170";
      row.site = "HQ";
      row.extra = {{"room", "12"}};
      inventory.rows.push_back(row);
    }
    inventory.index();

    Record a443 = ok_record("127.0.0.1", 443, 'a', "RSA+SHA256", ProvenanceKind::factory);
    Record a5061 = ok_record("127.0.0.1", 5061, 'b', "ECDSA+SHA384", ProvenanceKind::factory);
    for (Record* record : {&a443, &a5061}) {
      record->assessment.inventory = inventory.rows[0];
      record->assessment.vendor = "Grandstream";
      record->assessment.vendor_source = "inventory";
    }
    a443.assessment.findings = {{"legacy-generation", Severity::medium, "RSA+SHA256", "Update."}};
    Record b = ok_record("127.0.0.2", 443, 'c', "RSA+SHA1", ProvenanceKind::self_signed);
    b.assessment.inventory = inventory.rows[1];
    b.assessment.findings = {{"sha1-rejected", Severity::high, "RSA+SHA1", "Replace."}};
    Record c = ok_record("127.0.0.3", 443, 'c', "RSA+SHA1", ProvenanceKind::self_signed);
    c.assessment.vendor = "Gigaset";
    c.assessment.vendor_source = "issuer-name";
    for (const Record& record : {a443, a5061, b, error_record("127.0.0.2", 5061, ErrorClass::refused), c,
                                 error_record("127.0.0.3", 5061, ErrorClass::timeout)}) {
      view.add(record);
    }
    view.finish();
  }

  const Device& device(const std::string& ip) const
  {
    for (const Device& device : view.devices()) {
      if (device.ip == ip) {
        return device;
      }
    }
    FAIL("no device " << ip);
    return view.devices().front();
  }
};

} // namespace

TEST_SUITE("reports.device_csv")
{
  TEST_CASE("columns are the documented ones, in order")
  {
    // The first 15 as before issue 12, so that their positions stay; the added ones after them.
    CHECK(csv_device_columns() == std::vector<std::string>{"ip", "host", "mac", "vendor", "vendor_source", "model",
                                                           "site", "answered", "worst_severity", "worst_finding",
                                                           "findings", "ports", "signature_labels", "provenance",
                                                           "sha256", "host_name", "cn", "not_after", "days_left",
                                                           "validity", "worst_message", "worst_remediation",
                                                           "model_source", "firmware", "firmware_source"});
  }

  TEST_CASE("one row per device: ports joined, distinct labels and fingerprints, fleet findings")
  {
    const Fleet fleet;
    const auto a = by_column(csv_device_row(fleet.device("127.0.0.1")));
    CHECK(a.at("ip") == "127.0.0.1");
    CHECK(a.at("host") == "");
    CHECK(a.at("mac") == "000B82000001");
    CHECK(a.at("vendor") == "Grandstream");
    CHECK(a.at("vendor_source") == "inventory");
    CHECK(a.at("model") == "'=GXP2170");
    CHECK(a.at("site") == "HQ");
    CHECK(a.at("answered") == "true");
    CHECK(a.at("worst_severity") == "medium");
    CHECK(a.at("worst_finding") == "legacy-generation");
    CHECK(a.at("findings") == "legacy-generation");
    CHECK(a.at("worst_message") == "port 443: RSA+SHA256");
    CHECK(a.at("worst_remediation") == "Update.");
    CHECK(a.at("ports") == "443:ok;5061:ok");
    CHECK(a.at("signature_labels") == "RSA+SHA256 ECDSA+SHA384");
    CHECK(a.at("provenance") == "factory");
    CHECK(a.at("sha256") == std::string(64, 'a') + " " + std::string(64, 'b'));

    const auto b = by_column(csv_device_row(fleet.device("127.0.0.2")));
    CHECK(b.at("ports") == "443:ok;5061:refused");
    CHECK(b.at("findings") == "sha1-rejected;shared-certificate");
    CHECK(b.at("worst_severity") == "high");
    CHECK(b.at("worst_finding") == "sha1-rejected");
    CHECK(b.at("sha256") == std::string(64, 'c'));

    const auto c = by_column(csv_device_row(fleet.device("127.0.0.3")));
    CHECK(c.at("vendor") == "Gigaset");
    CHECK(c.at("vendor_source") == "issuer-name");
    CHECK(c.at("model") == "");
    CHECK(c.at("findings") == "shared-certificate;not-in-inventory");
    // Only fleet-wide findings: the worst of them is the device's worst.
    CHECK(c.at("worst_severity") == "high");
    CHECK(c.at("worst_finding") == "shared-certificate");
    CHECK(c.at("worst_message").find("the same certificate") != std::string::npos);
    CHECK_FALSE(c.at("worst_remediation").empty());
    CHECK(c.at("provenance") == "self-signed");

    const auto silent = by_column(csv_device_row(fleet.device("127.0.0.9")));
    CHECK(silent.at("answered") == "false");
    CHECK(silent.at("findings") == "not-answering");
    CHECK(silent.at("worst_finding") == "not-answering");
    CHECK(silent.at("worst_severity") == "medium");
    CHECK(silent.at("ports") == "");
    CHECK(silent.at("sha256") == "");
    for (const char* column : {"cn", "not_after", "days_left", "validity"}) {
      CHECK(silent.at(column) == "");
    }
  }

  TEST_CASE("the certificate columns describe the port whose certificate expires first")
  {
    constexpr std::int64_t k_day = 86'400;
    auto record = [](std::uint16_t port, char digit, const std::string& cn, std::int64_t not_after, Validity validity,
                     std::int64_t days_left) {
      Record r = ok_record("127.0.0.7", port, digit, "RSA+SHA256", ProvenanceKind::unknown);
      CertificateInfo& leaf = r.chain.front();
      leaf.cn = cn;
      leaf.has_cn = true;
      leaf.not_after = not_after;
      r.assessment.validity = validity;
      r.assessment.days_left = days_left;
      return r;
    };
    const std::int64_t later = 1'795'392'000;     // 2026-11-23T00:00:00Z
    const std::int64_t sooner = later - 40 * k_day; // 2026-10-14T00:00:00Z

    SUBCASE("the higher port's certificate expires first")
    {
      FleetView view;
      view.add(record(443, 'a', "later-cn", later, Validity::valid, 37));
      view.add(record(5061, 'b', "=sooner-cn", sooner, Validity::expired, -3));
      view.finish();
      const auto cells = by_column(csv_device_row(view.devices().front()));
      CHECK(cells.at("cn") == "'=sooner-cn");
      CHECK(cells.at("not_after") == "2026-10-14T00:00:00Z");
      CHECK(cells.at("days_left") == "-3");
      CHECK(cells.at("validity") == "expired");
      CHECK(cells.at("sha256") == std::string(64, 'a') + " " + std::string(64, 'b')); // every certificate still listed
    }

    SUBCASE("the same date: the lower port; an error port is passed over")
    {
      FleetView view;
      view.add(error_record("127.0.0.7", 80, ErrorClass::refused));
      view.add(record(5061, 'b', "five", later, Validity::valid, 7));
      view.add(record(443, 'a', "four", later, Validity::valid, 7));
      view.finish();
      const auto cells = by_column(csv_device_row(view.devices().front()));
      CHECK(cells.at("ports") == "80:refused;443:ok;5061:ok");
      CHECK(cells.at("cn") == "four");
      CHECK(cells.at("days_left") == "7");
    }

    SUBCASE("no date known (an unparsed leaf): the first port that presented a certificate")
    {
      FleetView view;
      Record unparsed = ok_record("127.0.0.7", 5061, 'b', "", ProvenanceKind::unknown);
      unparsed.chain.front().parsed = false;
      unparsed.chain.front().not_after.reset();
      view.add(unparsed);
      view.finish();
      const auto cells = by_column(csv_device_row(view.devices().front()));
      CHECK(cells.at("cn") == "");
      CHECK(cells.at("not_after") == "");
      CHECK(cells.at("days_left") == "");
      CHECK(cells.at("answered") == "true");
    }
  }

  TEST_CASE("host name: the inventory row's, else the name the device was scanned as")
  {
    Inventory inventory;
    InventoryRow named;
    named.line = 2;
    named.ip = "127.0.0.1";
    named.hostname = "sip-phone-12";
    InventoryRow unnamed;
    unnamed.line = 3;
    unnamed.ip = "127.0.0.2";
    inventory.rows = {named, unnamed};
    inventory.index();
    FleetView view{&inventory};
    using Entry = std::pair<const char*, const InventoryRow*>;
    for (const auto& [ip, row] : {Entry{"127.0.0.1", &inventory.rows[0]}, Entry{"127.0.0.2", &inventory.rows[1]},
                                  Entry{"127.0.0.3", nullptr}}) {
      Record r = ok_record(ip, 443, ip[8], "RSA+SHA256", ProvenanceKind::unknown);
      r.observation.endpoint.host = std::string("scanned-") + ip[8] + ".example";
      if (row != nullptr) {
        r.assessment.inventory = *row;
      }
      view.add(r);
    }
    view.finish();
    std::map<std::string, std::map<std::string, std::string>> rows;
    for (const Device& device : view.devices()) {
      rows[device.ip] = by_column(csv_device_row(device));
    }
    CHECK(rows.at("127.0.0.1").at("host_name") == "sip-phone-12");
    CHECK(rows.at("127.0.0.1").at("host") == "scanned-1.example");
    CHECK(rows.at("127.0.0.2").at("host_name") == "scanned-2.example");
    CHECK(rows.at("127.0.0.3").at("host_name") == "scanned-3.example");
  }

  TEST_CASE("the report holds the header and the view's devices in order, renamed by finish")
  {
    TempDir dir;
    const fs::path path = fs::path(dir.file("devices.csv"));
    const Fleet fleet;
    DeviceCsvReport report(path.string());
    REQUIRE(fs::exists(report.temporary_path()));
    report.begin(ScanInfo{});
    report.write(error_record("127.0.0.5", 443, ErrorClass::timeout)); // ignored
    report.fleet(fleet.view);
    CHECK_FALSE(fs::exists(path));
    report.finish(ScanInfo{}, ScanSummary{});
    CHECK(fs::exists(path));
    CHECK_FALSE(fs::exists(report.temporary_path()));

    const auto rows = simple_rows(read_file(path));
    REQUIRE(rows.size() == 1 + fleet.view.devices().size());
    CHECK(rows[0] == csv_device_columns());
    for (std::size_t i = 0; i < fleet.view.devices().size(); ++i) {
      // The row's encoded cells, read back as a CSV reader reads them (quotes removed).
      std::string line;
      for (const std::string& cell : csv_device_row(fleet.view.devices()[i])) {
        line += (line.empty() ? "" : ",") + cell;
      }
      const auto expected = simple_rows(line + "\r\n");
      REQUIRE(expected.size() == 1);
      CHECK(rows[1 + i] == expected.front());
    }
    CHECK(rows[1][0] == "127.0.0.2"); // worst first: high before medium and low
  }

  TEST_CASE("without a view the report is the header, without finish nothing is left")
  {
    TempDir dir;
    const fs::path path = fs::path(dir.file("devices.csv"));
    {
      DeviceCsvReport report(path.string());
      report.finish(ScanInfo{}, ScanSummary{});
    }
    CHECK(simple_rows(read_file(path)) == std::vector<std::vector<std::string>>{csv_device_columns()});

    const fs::path other = fs::path(dir.file("other.csv"));
    std::string temporary;
    {
      DeviceCsvReport report(other.string());
      temporary = report.temporary_path();
      report.begin(ScanInfo{});
    }
    CHECK_FALSE(fs::exists(temporary));
    CHECK_FALSE(fs::exists(other));
    CHECK_THROWS_AS(DeviceCsvReport("/nonexistent-fleetcert-dir/devices.csv"), std::runtime_error);
  }
}
