// JSON and JSONL reports: a complete, parseable document renamed into place only by finish(),
// the scan facts and summary counts, early refusal of unwritable paths, and one JSON per line.

#include "reports/sinks/json_report.hpp"
#include "reports/encoding/record_json.hpp"
#include "reports/sinks/summary.hpp"
#include "scanner/assessment/fleet_view.hpp"

#include "support/process.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace fleetcert;
using nlohmann::json;
namespace fs = std::filesystem;
using fleetcert::testing::read_file;
using fleetcert::testing::TempDir;

namespace {

Record ok_record(const std::string& cn, const std::string& label, SignatureVerdict verdict, bool self_signed)
{
  Record record;
  record.observation.endpoint = {"127.0.0.10", 443, "", ""};
  record.observation.tls_version = "TLSv1.2";
  record.observation.handshake_complete = true;
  CertificateInfo leaf;
  leaf.parsed = true;
  leaf.subject = "CN=" + cn;
  leaf.issuer = leaf.subject;
  leaf.cn = cn;
  leaf.has_cn = true;
  leaf.sha256 = std::string(64, 'a');
  leaf.sha1 = std::string(40, 'a');
  leaf.md5 = std::string(32, 'a');
  leaf.signature.algorithm = "x";
  leaf.signature.label = label;
  leaf.self_signed = self_signed;
  record.chain = {leaf};
  record.assessment.signature_verdict = verdict;
  record.assessment.cn_class = CnClass::other;
  record.assessment.validity = Validity::valid;
  return record;
}

Record error_record(ErrorClass error_class)
{
  Record record;
  record.observation.endpoint = {"127.0.0.11", 5061, "", ""};
  record.observation.error = error_class;
  record.observation.error_stage = "connect";
  return record;
}

std::vector<Record> sample_records()
{
  return {
    ok_record("Caf\xE9", "RSA+SHA256", SignatureVerdict::current, false),
    ok_record("Einstein2", "RSA+SHA1", SignatureVerdict::rejected, true),
    error_record(ErrorClass::timeout),
    error_record(ErrorClass::refused),
    error_record(ErrorClass::timeout),
  };
}

// A small audited fleet: .10 and .20 share a certificate; .20 is not in the inventory; .30 is;
// .40 is in the inventory but never answered; .11 is an address nobody knows that timed out.
struct AuditedFleet
{
  Inventory inventory;
  std::vector<Record> records;

  AuditedFleet()
  {
    for (const char* ip : {"127.0.0.10", "127.0.0.30", "127.0.0.40"}) {
      InventoryRow row;
      row.line = inventory.rows.size() + 2;
      row.ip = ip;
      row.vendor = "Grandstream";
      inventory.rows.push_back(row);
    }
    inventory.index();

    Record a = ok_record("000B82000010", "RSA+SHA256", SignatureVerdict::current, false);
    a.assessment.inventory = inventory.rows[0];
    a.assessment.vendor = "Grandstream";
    a.assessment.vendor_source = "inventory";
    a.assessment.findings = {{"expiring", Severity::medium, "ends in 10 days", "Renew it."}};
    Record a_sip = error_record(ErrorClass::refused);
    a_sip.observation.endpoint.ip = "127.0.0.10";
    a_sip.assessment.inventory = inventory.rows[0];

    Record b = ok_record("Einstein2", "RSA+SHA1", SignatureVerdict::rejected, false);
    b.observation.endpoint.ip = "127.0.0.20";
    b.assessment.findings = {{"sha1-rejected", Severity::high, "RSA+SHA1", "Replace it."}};

    Record c = ok_record("000B82000030", "ECDSA+SHA384", SignatureVerdict::current, false);
    c.observation.endpoint.ip = "127.0.0.30";
    c.chain.front().sha256 = std::string(64, 'c');
    c.assessment.inventory = inventory.rows[1];

    records = {a, error_record(ErrorClass::timeout), b, a_sip, c};
  }
};

// The lines between "records":[ and ], without their separators.
std::vector<std::string> record_lines(const std::string& document)
{
  const std::size_t begin = document.find("\"records\":[\n");
  const std::size_t end = document.find("\n],\"scan\":");
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  std::vector<std::string> lines;
  std::istringstream in(document.substr(begin + 12, end - begin - 12));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == ',') {
      line.pop_back();
    }
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> codes_of(const json& findings)
{
  std::vector<std::string> codes;
  for (const json& finding : findings) {
    codes.push_back(finding["code"].get<std::string>());
  }
  return codes;
}

ScanInfo sample_info()
{
  ScanInfo info;
  info.tool_version = "0.1.0";
  info.started_at = 1795392000;
  info.finished_at = 1795392042;
  info.arguments = {"fleetcert", "scan", "127.0.0.0/28", "--json", "x\xE9.json"};
  info.ports = {443, 5061};
  info.endpoints_planned = 32;
  info.interrupted = true;
  return info;
}

} // namespace

TEST_SUITE("reports.summary")
{
  TEST_CASE("ScanSummary counts records")
  {
    ScanSummary summary;
    for (const Record& record : sample_records()) {
      summary.add(record);
    }
    CHECK(summary.endpoints == 5);
    CHECK(summary.ok == 2);
    CHECK(summary.errors == 3);
    CHECK(summary.error_classes == std::map<std::string, std::uint64_t>{{"timeout", 2}, {"refused", 1}});
    CHECK(summary.signature_labels == std::map<std::string, std::uint64_t>{{"RSA+SHA256", 1}, {"RSA+SHA1", 1}});
    CHECK(summary.signature_verdicts == std::map<std::string, std::uint64_t>{{"current", 1}, {"rejected", 1}});
    CHECK(summary.validity == std::map<std::string, std::uint64_t>{{"valid", 2}});
    CHECK(summary.cn_classes == std::map<std::string, std::uint64_t>{{"other", 2}});
    CHECK(summary.tls_versions == std::map<std::string, std::uint64_t>{{"TLSv1.2", 2}});
    CHECK(summary.self_signed == 1);
    CHECK(summary.findings.empty());
    CHECK(summary.severities.empty());
    CHECK(summary.provenance == std::map<std::string, std::uint64_t>{{"unknown", 2}});
    CHECK(summary.vendors.empty());

    const json j = summary_to_json(summary);
    CHECK(j["endpoints"] == 5);
    CHECK(j["error_classes"]["timeout"] == 2);
    CHECK(j["self_signed"] == 1);
  }

  TEST_CASE("ScanSummary counts findings, worst severities, provenance and vendors of ok records")
  {
    const AuditedFleet fleet;
    ScanSummary summary;
    for (const Record& record : fleet.records) {
      summary.add(record);
    }
    Record unparsed = fleet.records[2];
    unparsed.chain.front().parsed = false;
    unparsed.assessment.findings.push_back({"certificate-unparseable", Severity::high, "x", "y"});
    unparsed.assessment.findings.push_back({"sha1-rejected", Severity::high, "again", "y"}); // counted once
    unparsed.assessment.vendor = "Gigaset";
    unparsed.assessment.provenance.kind = ProvenanceKind::self_signed;
    summary.add(unparsed);

    CHECK(summary.findings ==
          std::map<std::string, std::uint64_t>{{"expiring", 1}, {"sha1-rejected", 2}, {"certificate-unparseable", 1}});
    CHECK(summary.severities == std::map<std::string, std::uint64_t>{{"medium", 1}, {"high", 2}});
    CHECK(summary.provenance == std::map<std::string, std::uint64_t>{{"unknown", 3}, {"self-signed", 1}});
    CHECK(summary.vendors == std::map<std::string, std::uint64_t>{{"Grandstream", 1}, {"Gigaset", 1}});

    const json j = summary_to_json(summary);
    CHECK(j["findings"]["sha1-rejected"] == 2);
    CHECK(j["severities"]["high"] == 2);
    CHECK(j["provenance"]["self-signed"] == 1);
    CHECK(j["vendors"]["Gigaset"] == 1);
  }

  TEST_CASE("ScanSummary counts, per vendor, the factory provenances that rest on an unverified issuer name")
  {
    ScanSummary summary;
    const auto add = [&](std::optional<bool> issuer_verified, const std::string& vendor) {
      Record record = ok_record("000B82A1B2C3", "RSA+SHA256", SignatureVerdict::current, false);
      record.assessment.provenance.kind = ProvenanceKind::factory;
      record.assessment.provenance.basis =
          issuer_verified ? ProvenanceBasis::issuer_name : ProvenanceBasis::chain;
      record.assessment.provenance.vendor = vendor;
      record.assessment.provenance.issuer_verified = issuer_verified;
      summary.add(record);
    };
    add(false, "Grandstream");
    add(false, "Grandstream");
    add(false, "Polycom");
    add(true, "Gigaset");          // a documented name: not counted
    add(std::nullopt, "Grandstream"); // by chain: not counted
    summary.add(error_record(ErrorClass::timeout));

    CHECK(summary.unverified_issuer_names == std::map<std::string, std::uint64_t>{{"Grandstream", 2}, {"Polycom", 1}});
    const json j = summary_to_json(summary);
    CHECK(j["unverified_issuer_names"] == json{{"Grandstream", 2}, {"Polycom", 1}});
    CHECK(summary_to_json(ScanSummary{})["unverified_issuer_names"] == json::object());
  }

  TEST_CASE("devices per site and per vendor: reachable, answering, findings by severity")
  {
    AuditedFleet fleet;
    // .10 and .30 in berlin, .40 (never answered) in paris; .20 is in no inventory.
    const std::map<std::string, std::string> sites = {
      {"127.0.0.10", "berlin"}, {"127.0.0.30", "berlin"}, {"127.0.0.40", "paris"}};
    for (InventoryRow& row : fleet.inventory.rows) {
      row.site = sites.at(row.ip);
    }
    for (Record& record : fleet.records) {
      if (record.assessment.inventory) {
        record.assessment.inventory->site = sites.at(record.assessment.inventory->ip);
      }
    }
    FleetView view(&fleet.inventory);
    for (const Record& record : fleet.records) {
      view.add(record);
    }
    view.finish();
    REQUIRE(view.devices().size() == 4); // .11 timed out and is nobody's: no device

    const DeviceGroups groups = device_groups(view);
    CHECK(groups.overall.devices == 4);
    CHECK(groups.overall.reachable == 3);
    CHECK(groups.overall.answering == 3);
    REQUIRE(groups.by_site.size() == 3);
    const DeviceGroupCount& berlin = groups.by_site.at("berlin");
    CHECK(berlin.devices == 2);
    CHECK(berlin.reachable == 2);
    CHECK(berlin.answering == 2);
    const DeviceGroupCount& paris = groups.by_site.at("paris");
    CHECK(paris.devices == 1);
    CHECK(paris.reachable == 0);
    CHECK(paris.answering == 0);
    CHECK(groups.by_site.at("(none)").devices == 1);
    REQUIRE(groups.by_vendor.size() == 2);
    CHECK(groups.by_vendor.at("Grandstream").devices == 3);
    CHECK(groups.by_vendor.at("Grandstream").answering == 2);
    CHECK(groups.by_vendor.at("(none)").devices == 1);

    // .10: expiring (medium) and shared-certificate (high); .20: sha1-rejected and shared-certificate
    // (high), not-in-inventory (low); .30: none; .40: not-answering (medium).
    const json j = summary_to_json(ScanSummary{}, &view);
    const json zero = {{"info", 0}, {"low", 0}, {"medium", 0}, {"high", 0}, {"critical", 0}};
    auto with = [&zero](std::initializer_list<std::pair<const char*, int>> counts) {
      json out = zero;
      for (const auto& [severity, n] : counts) {
        out[severity] = n;
      }
      return out;
    };
    CHECK(j["by_site"]["berlin"] == json{{"devices", 2}, {"reachable", 2}, {"answering", 2},
                                         {"findings_by_severity", with({{"high", 1}, {"medium", 1}})},
                                         {"devices_by_worst_severity", with({{"high", 1}})}});
    CHECK(j["by_site"]["paris"] == json{{"devices", 1}, {"reachable", 0}, {"answering", 0},
                                        {"findings_by_severity", with({{"medium", 1}})},
                                        {"devices_by_worst_severity", with({{"medium", 1}})}});
    CHECK(j["by_site"]["(none)"] == json{{"devices", 1}, {"reachable", 1}, {"answering", 1},
                                         {"findings_by_severity", with({{"high", 2}, {"low", 1}})},
                                         {"devices_by_worst_severity", with({{"high", 1}})}});
    CHECK(j["by_vendor"]["Grandstream"] == json{{"devices", 3}, {"reachable", 2}, {"answering", 2},
                                                {"findings_by_severity", with({{"high", 1}, {"medium", 2}})},
                                                {"devices_by_worst_severity", with({{"high", 1}, {"medium", 1}})}});
    CHECK(j["by_vendor"]["(none)"] == j["by_site"]["(none)"]);
    CHECK_FALSE(summary_to_json(ScanSummary{}).contains("by_site"));
    CHECK_FALSE(summary_to_json(ScanSummary{}).contains("by_vendor"));
  }

  TEST_CASE("a device that answered without a certificate is reachable, a refused one is not")
  {
    Inventory inventory;
    for (const char* ip : {"127.0.0.1", "127.0.0.2"}) {
      InventoryRow row;
      row.line = inventory.rows.size() + 2;
      row.ip = ip;
      row.site = "Caf\xE9"; // invalid UTF-8: the key is made valid
      inventory.rows.push_back(row);
    }
    inventory.index();
    Record not_tls = error_record(ErrorClass::not_tls);
    not_tls.observation.endpoint.ip = "127.0.0.1";
    not_tls.assessment.inventory = inventory.rows[0];
    Record refused = error_record(ErrorClass::refused);
    refused.observation.endpoint.ip = "127.0.0.2";
    refused.assessment.inventory = inventory.rows[1];
    FleetView view(&inventory);
    view.add(not_tls);
    view.add(refused);
    view.finish();
    const json j = summary_to_json(ScanSummary{}, &view);
    REQUIRE(j["by_site"].size() == 1);
    const json& site = j["by_site"]["Caf\xEF\xBF\xBD"];
    CHECK(site["devices"] == 2);
    CHECK(site["reachable"] == 1);
    CHECK(site["answering"] == 0);
    CHECK(site["devices_by_worst_severity"]["medium"] == 2); // not-answering, both
  }

  TEST_CASE("an unparsed leaf counts as ok and nothing else")
  {
    Record record = ok_record("x", "RSA+SHA256", SignatureVerdict::current, false);
    record.chain.front().parsed = false;
    ScanSummary summary;
    summary.add(record);
    CHECK(summary.ok == 1);
    CHECK(summary.signature_labels.empty());
  }
}

TEST_SUITE("reports.json_report")
{
  TEST_CASE("the document is complete, parseable and renamed into place by finish")
  {
    TempDir dir;
    const fs::path path = fs::path(dir.file("scan.json"));
    const ScanInfo info = sample_info();
    JsonReport report(path.string());
    const fs::path temporary = report.temporary_path();
    CHECK(temporary.parent_path() == path.parent_path());
    CHECK(fs::exists(temporary));

    report.begin(info);
    ScanSummary summary;
    for (const Record& record : sample_records()) {
      summary.add(record);
      report.write(record);
    }
    CHECK_FALSE(fs::exists(path));
    report.finish(info, summary);
    CHECK(fs::exists(path));
    CHECK_FALSE(fs::exists(temporary));

    const std::string text = read_file(path);
    json document;
    REQUIRE_NOTHROW(document = json::parse(text));
    CHECK(document["schema"] == "fleetcert-scan/1");
    REQUIRE(document["records"].size() == 5);
    CHECK(document["records"][0]["leaf"]["cn_hex"] == "436166e9");
    CHECK(document["records"][2]["error"]["class"] == "timeout");

    const json& scan = document["scan"];
    CHECK(scan["tool"] == "fleetcert");
    CHECK(scan["version"] == "0.1.0");
    CHECK(scan["started_at"] == "2026-11-23T00:00:00Z");
    CHECK(scan["finished_at"] == "2026-11-23T00:00:42Z");
    CHECK(scan["duration_s"] == 42);
    CHECK(scan["arguments"].size() == 5);
    CHECK(scan["ports"] == json{443, 5061});
    CHECK(scan["endpoints_planned"] == 32);
    CHECK(scan["endpoints_done"] == 5);
    CHECK(scan["interrupted"] == true);

    CHECK_FALSE(document.contains("devices"));
    CHECK_FALSE(document.contains("inventory_check"));

    const json& counts = document["summary"];
    CHECK(counts["endpoints"] == 5);
    CHECK(counts["ok"] == 2);
    CHECK(counts["errors"] == 3);
    CHECK(counts["error_classes"] == json{{"timeout", 2}, {"refused", 1}});
    CHECK(counts["signature_verdicts"]["rejected"] == 1);
    CHECK(counts["self_signed"] == 1);

    // One record per line, for people reading the file.
    std::istringstream lines(text);
    std::string line;
    int record_lines = 0;
    while (std::getline(lines, line)) {
      record_lines += line.rfind("{\"assessment\"", 0) == 0 || line.rfind("{\"chain\"", 0) == 0 ? 1 : 0;
    }
    CHECK(record_lines == 5);
  }

  TEST_CASE("records get their address's fleet-wide findings, the devices and the inventory check follow")
  {
    TempDir dir;
    const fs::path path = fs::path(dir.file("audit.json"));
    const AuditedFleet fleet;
    FleetView view(&fleet.inventory);
    ScanSummary summary;
    JsonReport report(path.string());
    report.begin(ScanInfo{});
    for (const Record& record : fleet.records) {
      view.add(record);
      summary.add(record);
      report.write(record);
    }
    // Only the document's temporary file is visible: the spooled records are unlinked.
    CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
    view.finish();
    REQUIRE(view.fleet_findings("127.0.0.10") != nullptr);
    REQUIRE(view.fleet_findings("127.0.0.30") == nullptr);
    report.fleet(view);
    report.finish(ScanInfo{}, summary);
    CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);

    const std::string text = read_file(path);
    json document;
    REQUIRE_NOTHROW(document = json::parse(text));
    const std::vector<std::string> lines = record_lines(text);
    REQUIRE(lines.size() == fleet.records.size());

    // Untouched records are copied byte for byte: error records, and .30 (no fleet finding).
    for (std::size_t i : {1, 3, 4}) {
      INFO(i);
      CHECK(lines[i] == dump_json(record_to_json(fleet.records[i])));
    }
    const json& records = document["records"];
    CHECK(codes_of(records[0]["assessment"]["findings"]) == std::vector<std::string>{"shared-certificate", "expiring"});
    CHECK(codes_of(records[2]["assessment"]["findings"]) ==
          std::vector<std::string>{"sha1-rejected", "shared-certificate", "not-in-inventory"});
    CHECK(records[2]["assessment"]["findings"][1]["severity"] == "high");
    CHECK(records[2]["assessment"]["findings"][2]["severity"] == "low");
    CHECK_FALSE(records[2]["assessment"]["findings"][1]["remediation"].get<std::string>().empty());
    CHECK(records[3]["status"] == "error");
    CHECK_FALSE(records[3].contains("assessment"));
    // Everything else of a patched record is unchanged.
    json a = records[0];
    a["assessment"]["findings"].erase(0);
    CHECK(a == record_to_json(fleet.records[0]));

    // The summary counts what the records carry.
    const json& counts = document["summary"];
    CHECK(counts["findings"] ==
          json{{"expiring", 1}, {"sha1-rejected", 1}, {"shared-certificate", 2}, {"not-in-inventory", 1}});
    CHECK(counts["severities"] == json{{"high", 2}});
    CHECK(counts["by_site"] == json{{"(none)", device_group_to_json(device_groups(view).overall)}});
    CHECK(counts["by_vendor"].size() == 2);
    CHECK(counts["by_vendor"]["Grandstream"]["devices"] == 3);

    const json& devices = document["devices"];
    REQUIRE(devices.size() == view.devices().size());
    for (std::size_t i = 0; i < devices.size(); ++i) {
      CHECK(devices[i] == device_to_json(view.devices()[i]));
    }
    const auto device = std::find_if(devices.begin(), devices.end(),
                                     [](const json& d) { return d["ip"] == "127.0.0.10"; });
    REQUIRE(device != devices.end());
    CHECK((*device)["ports"].size() == 2);
    CHECK((*device)["answered"] == true);
    CHECK(document["inventory_check"] ==
          json{{"not_answering", json{"127.0.0.40"}}, {"not_in_inventory", json{"127.0.0.20"}}});
  }

  TEST_CASE("a view without fleet-wide findings copies every record as spooled")
  {
    TempDir dir;
    const fs::path path = fs::path(dir.file("scan.json"));
    FleetView view;
    JsonReport report(path.string());
    const std::vector<Record> records = sample_records();
    for (const Record& record : records) {
      view.add(record);
      report.write(record);
    }
    view.finish();
    report.fleet(view);
    report.finish(ScanInfo{}, ScanSummary{});
    const std::string text = read_file(path);
    const std::vector<std::string> lines = record_lines(text);
    REQUIRE(lines.size() == records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
      CHECK(lines[i] == dump_json(record_to_json(records[i])));
    }
    const json document = json::parse(text);
    CHECK(document["inventory_check"] == json{{"not_answering", json::array()}, {"not_in_inventory", json::array()}});
    CHECK(document["devices"].is_array());
  }

  TEST_CASE("an empty scan is still a valid document")
  {
    TempDir dir;
    const fs::path path = fs::path(dir.file("empty.json"));
    JsonReport report(path.string());
    report.begin(ScanInfo{});
    report.finish(ScanInfo{}, ScanSummary{});
    const json document = json::parse(read_file(path));
    CHECK(document["records"] == json::array());
    CHECK(document["scan"]["endpoints_done"] == 0);
    CHECK(document["scan"]["interrupted"] == false);
    CHECK(document["scan"]["failed"] == false);
    CHECK_FALSE(document["scan"].contains("failure"));
  }

  TEST_CASE("the scan object lists each bundle's counts and the warnings about the inputs")
  {
    TempDir dir;
    const fs::path path = fs::path(dir.file("bundles.json"));
    JsonReport report(path.string());
    ScanInfo info = sample_info();
    BundleUse vendor_ca;
    vendor_ca.option = "--vendor-ca";
    vendor_ca.vendor = "Grandstream";
    vendor_ca.files = {"old.pem", "caf\xE9.pem"};
    vendor_ca.ca_certificates = 2;
    vendor_ca.certificates = 5;
    vendor_ca.unverified_issuers = {{"O=Grandstream Networks\\, Inc., CN=Grandstream ECC Device CA", 4},
                                    {"CN=caf\xE9", 1}};
    BundleUse trust;
    trust.option = "--trust";
    trust.files = {"corp.pem"};
    trust.ca_certificates = 1;
    trust.certificates = 3;
    trust.verified = 3;
    info.bundles = {vendor_ca, trust};
    info.warnings = {ScanWarning{"vendor-ca-verified-none", "--vendor-ca Grandstream ('old.pem') verified none"}};
    report.begin(info);
    report.finish(info, ScanSummary{});

    const json document = json::parse(read_file(path));
    const json& scan = document["scan"];
    REQUIRE(scan["bundles"].size() == 2);
    const json& first = scan["bundles"][0];
    CHECK(first["option"] == "--vendor-ca");
    CHECK(first["vendor"] == "Grandstream");
    CHECK(first["files"] == json{"old.pem", "caf\uFFFD.pem"});
    CHECK(first["ca_certificates"] == 2);
    CHECK(first["certificates"] == 5);
    CHECK(first["verified"] == 0);
    CHECK(first["unverified_issuers"]
          == json{{{"issuer", "O=Grandstream Networks\\, Inc., CN=Grandstream ECC Device CA"}, {"certificates", 4}},
                  {{"issuer", "CN=caf\uFFFD"}, {"certificates", 1}}});
    CHECK(first["unverified_other"] == 0);
    const json& second = scan["bundles"][1];
    CHECK(second["option"] == "--trust");
    CHECK_FALSE(second.contains("vendor"));
    CHECK(second["verified"] == 3);
    CHECK(scan["warnings"]
          == json{{{"code", "vendor-ca-verified-none"}, {"message", "--vendor-ca Grandstream ('old.pem') verified none"}}});

    // Without bundles both are empty arrays, never missing.
    const fs::path plain = fs::path(dir.file("plain.json"));
    JsonReport plain_report(plain.string());
    plain_report.finish(sample_info(), ScanSummary{});
    const json plain_document = json::parse(read_file(plain));
    CHECK(plain_document["scan"]["bundles"] == json::array());
    CHECK(plain_document["scan"]["warnings"] == json::array());
  }

  TEST_CASE("a failed scan says so and why, in valid UTF-8")
  {
    TempDir dir;
    const fs::path path = fs::path(dir.file("failed.json"));
    JsonReport report(path.string());
    ScanInfo info = sample_info();
    info.failed = true;
    info.failure = "SSL_new failed for caf\xE9";
    report.begin(info);
    report.finish(info, ScanSummary{});
    const json document = json::parse(read_file(path));
    CHECK(document["scan"]["interrupted"] == true);
    CHECK(document["scan"]["failed"] == true);
    CHECK(document["scan"]["failure"] == "SSL_new failed for caf\uFFFD");
  }

  TEST_CASE("without finish nothing is left behind and an old report is kept")
  {
    TempDir dir;
    const fs::path path = fs::path(dir.file("scan.json"));
    {
      std::ofstream old(path);
      old << "{\"old\":true}";
    }
    std::string temporary;
    {
      JsonReport report(path.string());
      temporary = report.temporary_path();
      report.begin(ScanInfo{});
      report.write(error_record(ErrorClass::reset));
    }
    CHECK_FALSE(fs::exists(temporary));
    CHECK(read_file(path) == "{\"old\":true}");
  }

  TEST_CASE("a device is written straight to, never renamed over")
  {
    {
      JsonReport report("/dev/null");
      CHECK(report.temporary_path().empty());
      report.begin(ScanInfo{});
      report.write(error_record(ErrorClass::dns));
      CHECK_NOTHROW(report.finish(ScanInfo{}, ScanSummary{}));
    }
    CHECK(fs::is_character_file("/dev/null"));
  }

  TEST_CASE("an unwritable path is refused before scanning")
  {
    CHECK_THROWS_WITH_AS(JsonReport("/nonexistent-fleetcert-dir/scan.json"),
                         "cannot write '/nonexistent-fleetcert-dir/scan.json': No such file or directory",
                         std::runtime_error);
    TempDir dir;
    CHECK_THROWS_AS(JsonReport(dir.path()), std::runtime_error);
  }
}

TEST_SUITE("reports.jsonl_report")
{
  TEST_CASE("every line is one record: the first at once, a burst within a quarter of a second, all at finish")
  {
    TempDir dir;
    const fs::path path = fs::path(dir.file("scan.jsonl"));
    const std::vector<Record> records = sample_records();
    const auto count_lines = [&path] {
      const std::string text = read_file(path);
      return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    };
    JsonlReport report(path.string());
    report.begin(ScanInfo{});
    report.write(records[0]);
    // Written at once (nothing was written for 250 ms): a scan killed now leaves this line intact.
    CHECK(count_lines() == 1);
    for (std::size_t i = 1; i < records.size(); ++i) {
      report.write(records[i]);
    }
    // The burst reaches the file by the flusher, without a further write() or finish().
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::size_t flushed = 0;
    while ((flushed = count_lines()) < records.size() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(flushed == records.size());
    report.finish(ScanInfo{}, ScanSummary{});

    const std::string text = read_file(path);
    REQUIRE_FALSE(text.empty());
    CHECK(text.back() == '\n');
    std::istringstream lines(text);
    std::string line;
    std::vector<json> parsed;
    while (std::getline(lines, line)) {
      json record;
      REQUIRE_NOTHROW(record = json::parse(line));
      parsed.push_back(record);
    }
    REQUIRE(parsed.size() == records.size());
    CHECK(parsed[0]["leaf"]["cn_hex"] == "436166e9");
    CHECK(parsed[4]["status"] == "error");
  }

  TEST_CASE("an unwritable path is refused")
  {
    CHECK_THROWS_AS(JsonlReport("/nonexistent-fleetcert-dir/scan.jsonl"), std::runtime_error);
  }
}

TEST_SUITE("reports.json_report.rebuilt")
{
  TEST_CASE("a rebuilt document leaves out the scan facts it does not know and says where it came from")
  {
    TempDir dir;
    const fs::path path = fs::path(dir.file("rebuilt.json"));
    ScanInfo info = sample_info();
    info.unknown = {ScanFact::version, ScanFact::times, ScanFact::arguments, ScanFact::ports,
                    ScanFact::endpoints_planned, ScanFact::outcome, ScanFact::bundles, ScanFact::warnings};
    RebuiltFrom& from = info.rebuilt_from.emplace();
    from.path = "scan\xE9.jsonl";
    from.sha256 = std::string(64, 'a');
    from.format = "jsonl";
    from.tool_version = "0.2.0";
    from.rebuilt_at = 1795392100;
    from.inventory_source = "inventory-option";
    from.inventory_path = "inventory.csv";
    from.inventory_sha256 = std::string(64, 'b');
    from.partial_last_line = 7;
    JsonReport report(path.string());
    report.begin(info);
    ScanSummary summary;
    for (const Record& record : sample_records()) {
      summary.add(record);
      report.write(record);
    }
    report.finish(info, summary);

    const json scan = json::parse(read_file(path))["scan"];
    std::set<std::string> keys;
    for (const auto& [key, value] : scan.items()) {
      keys.insert(key);
    }
    CHECK(keys == std::set<std::string>{"tool", "endpoints_done", "rebuilt_from"});
    CHECK(scan["endpoints_done"] == 5);
    const json& rebuilt = scan["rebuilt_from"];
    CHECK(rebuilt["path"] == "scan\xEF\xBF\xBD.jsonl");
    CHECK(rebuilt["sha256"] == std::string(64, 'a'));
    CHECK(rebuilt["format"] == "jsonl");
    CHECK(rebuilt["version"] == "0.2.0");
    CHECK(rebuilt["rebuilt_at"] == "2026-11-23T00:01:40Z");
    CHECK(rebuilt["inventory"] == json{{"source", "inventory-option"}, {"file", "inventory.csv"},
                                       {"sha256", std::string(64, 'b')}});
    CHECK(rebuilt["unknown"] == json{"version", "started_at", "finished_at", "duration_s", "arguments", "ports",
                                     "endpoints_planned", "interrupted", "failed", "bundles", "warnings",
                                     "audit_settings"});
    CHECK(rebuilt["partial_last_line"] == 7);
  }

  TEST_CASE("a document rebuilt from one that knows every fact keeps them all")
  {
    TempDir dir;
    ScanInfo info = sample_info();
    info.audit_settings.emplace();
    info.rebuilt_from.emplace().format = "json";
    JsonReport report(dir.file("rebuilt.json"));
    report.begin(info);
    report.finish(info, ScanSummary{});
    const json scan = json::parse(read_file(fs::path(dir.file("rebuilt.json"))))["scan"];
    for (const char* key : {"version", "started_at", "finished_at", "duration_s", "arguments", "ports",
                            "endpoints_planned", "interrupted", "failed", "audit_settings", "bundles", "warnings"}) {
      CAPTURE(key);
      CHECK(scan.contains(key));
    }
    CHECK(scan["rebuilt_from"]["unknown"] == json::array());
    CHECK_FALSE(scan["rebuilt_from"].contains("partial_last_line"));
  }
}
