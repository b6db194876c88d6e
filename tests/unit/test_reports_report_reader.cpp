// Reading reports back: a JSON document and a JSONL file written by the report writers give the
// same endpoints and devices; the certificates come back byte for byte from their PEM; bad files
// are refused with the file (and line) named.

#include "reports/encoding/record_json.hpp"
#include "reports/sinks/json_report.hpp"
#include "reports/workflows/report_reader.hpp"
#include "reports/sinks/summary.hpp"
#include "scanner/assessment/fleet_view.hpp"

#include "support/cert_factory.hpp"
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

using namespace fleetcert;
using fleetcert::testing::TempDir;
using fleetcert::testing::write_file;

namespace {

struct Written
{
  std::vector<Der> leaf_ders;
  std::string json_path;
  std::string jsonl_path;
};

// Two devices: .10 with a SHA1 certificate on 443 and a refused 5061 (in the inventory), .20 with
// an ECDSA certificate issued by a CA (leaf + CA sent) and a timeout.
AuditSettings sample_settings()
{
  AuditSettings settings;
  settings.vendor_cas = {{"Grandstream", "gs.pem", std::string(64, 'a')}};
  settings.trust = {{"", "enterprise.pem", std::string(64, 'b')}};
  settings.inventory = {{"", "inventory.csv", std::string(64, 'c')}};
  settings.dhcp_leases = {{"", "dnsmasq.leases", std::string(64, 'd')}, {"", "kea.csv", std::string(64, 'e')}};
  settings.builtin_profiles_sha256 = std::string(64, 'f');
  settings.profile_files = {{"", "profiles/polycom.json", std::string(64, '0')}};
  return settings;
}

Written write_reports(const TempDir& dir)
{
  namespace t = fleetcert::testing;
  auto ca_key = t::generate_key({"ec", 0, "P-384"});
  t::CertSpec ca_spec;
  ca_spec.subject = t::parse_subject("/O=Example/CN=Example CA");
  ca_spec.ca = true;
  auto ca = t::make_certificate(ca_spec, ca_key.get(), nullptr, ca_key.get());
  auto leaf_key = t::generate_key({"ec", 0, "P-256"});
  t::CertSpec leaf_spec;
  leaf_spec.subject = t::parse_subject("/CN=000B82123456");
  leaf_spec.hash = "sha384";
  auto leaf = t::make_certificate(leaf_spec, leaf_key.get(), ca.get(), ca_key.get());
  auto old_key = t::generate_key({"rsa", 1024, ""});
  t::CertSpec old_spec;
  old_spec.subject = t::parse_subject("/CN=Einstein2");
  old_spec.hash = "sha1";
  auto old = t::make_certificate(old_spec, old_key.get(), nullptr, old_key.get());

  AssessmentSettings settings;
  settings.now = 1'800'000'000;
  std::vector<Record> records;
  Observation sha1;
  sha1.endpoint = {"127.0.0.10", 443, "", ""};
  sha1.chain = {t::to_der(old.get())};
  sha1.client_certificate_requested = true;
  records.push_back(make_record(sha1, settings));
  InventoryRow row;
  row.ip = "127.0.0.10";
  row.mac = "7C2F80000001";
  row.vendor = "Gigaset";
  row.model = "N870";
  row.site = "HQ";
  records.back().assessment.inventory = row;
  records.back().assessment.findings.push_back({"sha1-rejected", Severity::high, "SHA1", "Replace it."});
  records.back().assessment.findings.push_back({"generic-cn", Severity::medium, "Einstein2", "Ask."});
  Observation refused;
  refused.endpoint = {"127.0.0.10", 5061, "", ""};
  refused.error = ErrorClass::refused;
  refused.error_stage = "connect";
  records.push_back(make_record(refused, settings));
  records.back().assessment.inventory = row;
  Observation chained;
  chained.endpoint = {"127.0.0.20", 5061, "", ""};
  chained.chain = {t::to_der(leaf.get()), t::to_der(ca.get())};
  chained.client_certificate_requested = false;
  records.push_back(make_record(chained, settings));
  Observation timeout;
  timeout.endpoint = {"127.0.0.20", 443, "", ""};
  timeout.error = ErrorClass::timeout;
  records.push_back(make_record(timeout, settings));

  Written written{{sha1.chain.front(), chained.chain.front()}, dir.path() + "/scan.json", dir.path() + "/scan.jsonl"};
  JsonReport json_report(written.json_path);
  JsonlReport jsonl_report(written.jsonl_path);
  ScanInfo info;
  info.started_at = 1'800'000'000;
  info.audit_settings = sample_settings();
  json_report.begin(info);
  jsonl_report.begin(info);
  ScanSummary summary;
  for (const Record& record : records) {
    summary.add(record);
    json_report.write(record);
    jsonl_report.write(record);
  }
  info.finished_at = info.started_at + 3;
  json_report.finish(info, summary);
  jsonl_report.finish(info, summary);
  return written;
}

void check_report(const ScanReport& report, const Written& written)
{
  REQUIRE(report.endpoints.size() == 4);
  const ReportEndpoint& sha1 = report.endpoints[0];
  CHECK(sha1.ok);
  CHECK(sha1.ip == "127.0.0.10");
  CHECK(sha1.port == 443);
  CHECK(sha1.cn == "Einstein2");
  CHECK(sha1.signature_label == "RSA+SHA1");
  CHECK(sha1.key_type == "RSA");
  CHECK(sha1.key_bits == 1024);
  CHECK(sha1.self_signed);
  CHECK(sha1.cn_class == CnClass::generic);
  CHECK(sha1.signature_verdict == SignatureVerdict::rejected);
  REQUIRE(sha1.chain.size() == 1);
  CHECK(sha1.chain.front() == written.leaf_ders[0]);
  REQUIRE(sha1.findings.size() == 2);
  CHECK(sha1.findings[0].code == "sha1-rejected");
  CHECK(sha1.findings[0].severity == Severity::high);
  REQUIRE(sha1.inventory);
  CHECK(sha1.inventory->site == "HQ");
  CHECK(sha1.not_after.has_value());
  CHECK(sha1.client_certificate_requested == true);

  const ReportEndpoint& refused = report.endpoints[1];
  CHECK_FALSE(refused.ok);
  CHECK(refused.error_class == ErrorClass::refused);
  CHECK(refused.error_word() == "refused");
  CHECK_FALSE(refused.client_certificate_requested); // the record does not say

  const ReportEndpoint& chained = report.endpoints[2];
  CHECK(chained.signature_label == "ECDSA+SHA384");
  CHECK(chained.key_curve == "P-256");
  CHECK(chained.client_certificate_requested == false);
  CHECK(chained.cn_mac == "000B82123456");
  REQUIRE(chained.chain.size() == 2);
  CHECK(chained.chain.front() == written.leaf_ders[1]);

  const auto devices = report.devices();
  REQUIRE(devices.size() == 2);
  CHECK(devices[0].ip == "127.0.0.10");
  CHECK(devices[0].mac == "7C2F80000001"); // the inventory's, not the CN's
  CHECK(devices[0].model == "N870");
  CHECK(devices[0].answered());
  REQUIRE(devices[0].endpoints.size() == 2);
  CHECK(devices[0].endpoints[0]->port == 443);
  CHECK(devices[0].worst() == Severity::high);
  CHECK(devices[1].mac == "000B82123456"); // from the CN
  CHECK(devices[1].endpoints[0]->port == 443);
  CHECK(devices[1].endpoints[1]->port == 5061);
}

// A fleet with what only the whole fleet shows, written as a JSON document (with its devices
// section) and as JSONL (without):
//   .10  inventory; certificate A on 443, 5061 refused          shared-certificate, shared-key
//   .11  not in the inventory; certificate A                    shared-certificate, shared-key, not-in-inventory
//   .12  inventory; 443 refused only                            not-answering
//   .14  not in the inventory; timeouts only                    no device
//   .15  not in the inventory; certificate B, A's key           shared-key, not-in-inventory
//   .13  inventory, never scanned (`never_scanned`)             not-answering (the document only)
struct FleetReports
{
  std::string json_path;
  std::string jsonl_path;
  std::vector<nlohmann::json> devices; // device_to_json of the scan's own FleetView
};

FleetReports write_fleet_reports(const TempDir& dir, bool never_scanned)
{
  namespace t = fleetcert::testing;
  auto key = t::generate_key({"ec", 0, "P-256"});
  t::CertSpec spec;
  spec.subject = t::parse_subject("/CN=shared");
  const Der cert_a = t::to_der(t::make_certificate(spec, key.get(), nullptr, key.get()).get());
  spec.subject = t::parse_subject("/CN=same-key");
  const Der cert_b = t::to_der(t::make_certificate(spec, key.get(), nullptr, key.get()).get());

  Inventory inventory;
  for (const std::string last : {"10", "12", "13"}) {
    if (last == "13" && !never_scanned) {
      continue;
    }
    InventoryRow row;
    row.line = inventory.rows.size() + 2;
    row.ip = "127.0.0." + last;
    row.mac = "7C2F800000" + last;
    row.vendor = "Gigaset";
    row.model = "N870";
    row.site = "HQ";
    row.hostname = "phone-" + last;
    inventory.rows.push_back(row);
  }
  inventory.index();
  AuditContext audit;
  audit.inventory = &inventory;
  AssessmentSettings settings;
  settings.now = 1'800'000'000;
  settings.audit = &audit;
  std::vector<Record> records;
  auto add = [&](const std::string& ip, std::uint16_t port, const Der* der, ErrorClass error) {
    Observation observation;
    observation.endpoint = {ip, port, "", ""};
    if (der != nullptr) {
      observation.chain = {*der};
    } else {
      observation.error = error;
    }
    records.push_back(make_record(observation, settings));
  };
  add("127.0.0.10", 443, &cert_a, ErrorClass::none);
  add("127.0.0.14", 443, nullptr, ErrorClass::timeout);
  add("127.0.0.10", 5061, nullptr, ErrorClass::refused);
  add("127.0.0.11", 443, &cert_a, ErrorClass::none);
  add("127.0.0.12", 443, nullptr, ErrorClass::refused);
  add("127.0.0.15", 443, &cert_b, ErrorClass::none);
  add("127.0.0.14", 5061, nullptr, ErrorClass::timeout);

  FleetReports out{dir.path() + "/fleet.json", dir.path() + "/fleet.jsonl", {}};
  JsonReport json_report(out.json_path);
  JsonlReport jsonl_report(out.jsonl_path);
  ScanInfo info;
  info.started_at = 1'800'000'000;
  json_report.begin(info);
  jsonl_report.begin(info);
  ScanSummary summary;
  FleetView view(&inventory);
  for (const Record& record : records) {
    summary.add(record);
    view.add(record);
    json_report.write(record);
    jsonl_report.write(record);
  }
  view.finish();
  for (const Device& device : view.devices()) {
    out.devices.push_back(device_to_json(device));
  }
  json_report.fleet(view);
  info.finished_at = info.started_at + 3;
  json_report.finish(info, summary);
  jsonl_report.finish(info, summary);
  return out;
}

std::vector<nlohmann::json> fleet_json(const ScanReport& report)
{
  std::vector<nlohmann::json> out;
  REQUIRE(report.fleet);
  for (const Device& device : *report.fleet) {
    out.push_back(device_to_json(device));
  }
  return out;
}

// "127.0.0.10 shared-certificate shared-key": the fleet-wide codes of each device of
// fleet_devices(), in address order.
std::vector<std::string> device_codes(const ScanReport& report)
{
  std::vector<std::string> out;
  for (const ReportDevice& device : report.fleet_devices()) {
    std::string line = device.address();
    std::vector<std::string> codes;
    for (const Finding& finding : device.findings) {
      if (is_fleet_wide_code(finding.code)) {
        codes.push_back(finding.code);
      }
    }
    std::sort(codes.begin(), codes.end());
    for (const std::string& code : codes) {
      line += " " + code;
    }
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST_SUITE("report_reader")
{
  TEST_CASE("the device view: the document's devices section, recomputed alike from JSONL")
  {
    TempDir dir;
    const FleetReports written = write_fleet_reports(dir, false);
    const std::vector<std::string> expected = {
        "127.0.0.10 shared-certificate shared-key", "127.0.0.11 not-in-inventory shared-certificate shared-key",
        "127.0.0.12 not-answering", "127.0.0.15 not-in-inventory shared-key"};

    SUBCASE("the JSON document: read from its devices section")
    {
      const auto report = load_scan_report(written.json_path);
      REQUIRE_MESSAGE(report, report.error());
      REQUIRE(report->fleet_from_document);
      CHECK(report->fleet_source() == "the JSON document's devices section");
      CHECK(fleet_json(*report) == written.devices);
      CHECK(device_codes(*report) == expected);
      CHECK(report->fleet_warnings.empty());
      const auto devices = report->fleet_devices();
      REQUIRE(devices.size() == 4);
      auto find = [&](const char* ip) {
        const auto it = std::find_if(devices.begin(), devices.end(), [&](const ReportDevice& d) { return d.ip == ip; });
        REQUIRE(it != devices.end());
        return *it;
      };
      const ReportDevice ten = find("127.0.0.10");
      CHECK(ten.mac == "7C2F80000010");
      CHECK(ten.model == "N870");
      CHECK(ten.site == "HQ");
      REQUIRE(ten.inventory);
      CHECK(ten.inventory->hostname == "phone-10");
      REQUIRE(ten.endpoints.size() == 2);
      CHECK(ten.endpoints[0]->port == 443);
      CHECK(ten.endpoints[1]->port == 5061);
      const ReportDevice twelve = find("127.0.0.12");
      CHECK_FALSE(twelve.answered());
      REQUIRE(twelve.endpoints.size() == 1);
      CHECK(twelve.inventory);
      // The regrouping of every address still has the silent .14 (diff wants it); the view does not.
      CHECK(report->devices().size() == 5);
    }
    SUBCASE("JSONL: the same view, recomputed by FleetView from the records")
    {
      const auto report = load_scan_report(written.jsonl_path);
      REQUIRE_MESSAGE(report, report.error());
      CHECK_FALSE(report->fleet_from_document);
      CHECK(report->fleet_source() == "recomputed from the JSONL records");
      CHECK(fleet_json(*report) == written.devices);
      CHECK(device_codes(*report) == expected);
      CHECK(report->fleet_warnings.empty());
    }
    SUBCASE("JSONL without PEM chains: the view says shared-key cannot be recomputed")
    {
      std::ifstream in(written.jsonl_path);
      std::string line;
      std::string stripped;
      while (std::getline(in, line)) {
        nlohmann::json record = nlohmann::json::parse(line);
        for (auto& item : record["chain"]) {
          item.erase("pem");
        }
        stripped += record.dump() + "\n";
      }
      const std::string path = dir.path() + "/no-pem.jsonl";
      write_file(path, stripped);
      const auto report = load_scan_report(path);
      REQUIRE_MESSAGE(report, report.error());
      REQUIRE(report->fleet_warnings.size() == 1);
      CHECK(report->fleet_warnings[0].find("shared-key") != std::string::npos);
      CHECK(device_codes(*report) == std::vector<std::string>{"127.0.0.10 shared-certificate",
                                                              "127.0.0.11 not-in-inventory shared-certificate",
                                                              "127.0.0.12 not-answering",
                                                              "127.0.0.15 not-in-inventory"});
      CHECK(report->devices().size() == 5);
    }
  }

  TEST_CASE("an inventory device never scanned is in the document's view, which JSONL cannot know")
  {
    TempDir dir;
    const FleetReports written = write_fleet_reports(dir, true);
    const auto document = load_scan_report(written.json_path);
    REQUIRE_MESSAGE(document, document.error());
    CHECK(fleet_json(*document) == written.devices);
    const auto devices = document->fleet_devices();
    const auto never = std::find_if(devices.begin(), devices.end(), [](const ReportDevice& d) { return d.ip == "127.0.0.13"; });
    REQUIRE(never != devices.end());
    CHECK(never->endpoints.empty());
    REQUIRE(never->findings.size() == 1);
    CHECK(never->findings[0].code == "not-answering");
    CHECK(never->mac == "7C2F80000013");
    const auto lines = load_scan_report(written.jsonl_path);
    REQUIRE_MESSAGE(lines, lines.error());
    REQUIRE(lines->fleet);
    REQUIRE(document->fleet);
    CHECK(lines->fleet->size() == document->fleet->size() - 1);
  }

  TEST_CASE("a bad devices section is refused, naming the device")
  {
    TempDir dir;
    const std::string path = dir.path() + "/bad.json";
    const std::string head = R"({"schema":"fleetcert-scan/1","records":[],"devices":)";
    write_file(path, head + R"([{"ip":"127.0.0.1","findings":[{"code":"x"}]}]})");
    CHECK(load_scan_report(path).error() == path + ": devices[0]: a finding without a code or a known severity");
    write_file(path, head + R"([{"ip":"127.0.0.1"},{"ip":"127.0.0.1"}]})");
    CHECK(load_scan_report(path).error() == path + ": devices[1]: address '127.0.0.1' is listed twice");
    write_file(path, head + R"([{"ports":[]}]})");
    CHECK(load_scan_report(path).error() == path + ": devices[0]: a device without ip or host");
    write_file(path, head + R"([{"ip":"127.0.0.1","ports":[{"port":70000}]}]})");
    CHECK(load_scan_report(path).error().find("devices[0]: ports[].port") != std::string::npos);
    write_file(path, head + R"({}})");
    CHECK(load_scan_report(path).error() == path + ": \"devices\" is not an array");
    write_file(path, head + "[]}");
    const auto empty = load_scan_report(path);
    REQUIRE_MESSAGE(empty, empty.error());
    CHECK(empty->fleet_from_document);
    REQUIRE(empty->fleet);
    CHECK(empty->fleet->empty());
  }

  TEST_CASE("a JSON document and a JSONL file read back to the same endpoints and devices")
  {
    TempDir dir;
    const Written written = write_reports(dir);
    auto document = load_scan_report(written.json_path);
    REQUIRE_MESSAGE(document, document.error());
    CHECK(document->format == "json");
    CHECK(document->started_at == "2027-01-15T08:00:00Z");
    CHECK_FALSE(document->interrupted);
    check_report(*document, written);
    auto lines = load_scan_report(written.jsonl_path);
    REQUIRE_MESSAGE(lines, lines.error());
    CHECK(lines->format == "jsonl");
    check_report(*lines, written);
    // The audit settings: in the document's scan object; a JSONL report has none.
    REQUIRE(document->audit_settings.has_value());
    CHECK(*document->audit_settings == sample_settings());
    CHECK_FALSE(lines->audit_settings.has_value());
  }

  TEST_CASE("audit settings that do not read are unknown, with a warning")
  {
    TempDir dir;
    const std::string path = dir.path() + "/scan.json";
    const std::string prefix = "{\"schema\":\"fleetcert-scan/1\",\"records\":[],\"scan\":{\"audit_settings\":";
    for (const std::string& bad : {std::string("[]"), std::string("{\"trust\":[{\"file\":\"a.pem\"}]}"),
                                   std::string("{\"vendor_ca\":[{\"file\":\"a\",\"sha256\":\"") +
                                       std::string(64, 'a') + "\"}],\"profiles\":{\"builtin_sha256\":\"" +
                                       std::string(64, 'a') + "\"}}",
                                   std::string("{\"profiles\":{\"builtin_sha256\":\"ABC\"}}")}) {
      CAPTURE(bad);
      write_file(path, prefix + bad + "}}");
      auto report = load_scan_report(path);
      REQUIRE_MESSAGE(report, report.error());
      CHECK_FALSE(report->audit_settings.has_value());
      REQUIRE(report->warnings.size() == 1);
      CHECK(report->warnings[0].find("scan.audit_settings") != std::string::npos);
    }
    write_file(path, prefix + "{\"profiles\":{\"builtin_sha256\":\"" + std::string(64, 'a') + "\"}}}}");
    auto minimal = load_scan_report(path);
    REQUIRE_MESSAGE(minimal, minimal.error());
    REQUIRE(minimal->audit_settings.has_value());
    CHECK(minimal->audit_settings->builtin_profiles_sha256 == std::string(64, 'a'));
    CHECK(minimal->audit_settings->vendor_cas.empty());
  }

  TEST_CASE("bad reports are refused, naming the file and line")
  {
    TempDir dir;
    const std::string path = dir.path() + "/bad.jsonl";
    CHECK(load_scan_report(dir.path() + "/missing.json").error().find("cannot read report") != std::string::npos);
    write_file(path, R"({"target":{"ip":"127.0.0.1","port":443},"status":"error","chain":[]})" "\n{\"x\":1}\n");
    CHECK(load_scan_report(path).error() == path + ":2: not a fleetcert record (no target or status)");
    write_file(path, R"({"target":{"ip":"127.0.0.1","port":99999},"status":"ok","chain":[]})" "\n");
    CHECK(load_scan_report(path).error().find(":1: target.port") != std::string::npos);
    write_file(path, R"({"schema":"something-else","records":[]})");
    CHECK(load_scan_report(path).error()
          == path + ": not a fleetcert report: \"schema\" is 'something-else'; a scan report has \"schema\": \"fleetcert-scan/1\"");
    write_file(path, R"({"schema":"fleetcert-scan/1","records":[{"target":{"ip":"x","port":1},"status":"maybe"}]})");
    CHECK(load_scan_report(path).error() == path + ": record 1: status is not ok, error or skipped");
    write_file(path, R"({"target":{"ip":"127.0.0.1","port":443},"status":"error","error":{"class":"reset"},)"
                     R"("tls":{"client_certificate_requested":"yes"},"chain":[]})" "\n");
    CHECK(load_scan_report(path).error() == path + ":1: 'client_certificate_requested' is not a boolean");
    write_file(path, R"({"target":{"port":443},"status":"error","error":{"class":"dns"}})" "\n");
    CHECK(load_scan_report(path).error() == path + ":1: target has neither ip nor host");
    write_file(path, "{\"schema\":\"fleetcert-scan/1\",\"records\":[");
    CHECK(load_scan_report(path).error().starts_with(path + ": not a fleetcert report: parse error at byte 41 (line 1, column 41): "));
  }

  TEST_CASE("a file that is no scan report says why")
  {
    TempDir dir;
    const std::string path = dir.file("r.json");
    const auto error_of = [&path](const std::string& text) {
      write_file(path, text);
      const auto report = load_scan_report(path);
      REQUIRE_FALSE(report.ok());
      return report.error();
    };
    CHECK(error_of("{\"schema\": \"fleetcert-scan/1\", \"records\": [}")
          == path + ": not a fleetcert report: parse error at byte 44 (line 1, column 44): syntax error while parsing "
                    "value - unexpected '}'; expected '[', '{', or a literal");
    CHECK(error_of("scan finished\n")
          == path + ": not a fleetcert report: parse error at byte 1 (line 1, column 1): syntax error while parsing "
                    "value - invalid literal; last read: 's'");
    CHECK(error_of("") == path + ": not a fleetcert report: the file is empty");
    CHECK(error_of("[1, 2]") == path + ": not a fleetcert report: the JSON is an array; a scan report has "
                                       "\"schema\": \"fleetcert-scan/1\"");
    CHECK(error_of("{\"records\": []}") == path + ": not a fleetcert report: no \"schema\" (a scan report has "
                                                "\"schema\": \"fleetcert-scan/1\")");
    CHECK(error_of("{\"schema\": \"fleetcert-diff/1\"}")
          == path + ": not a fleetcert report: \"schema\" is 'fleetcert-diff/1' (written by fleetcert diff); a scan "
                    "report has \"schema\": \"fleetcert-scan/1\"");
    CHECK(error_of("{\"schema\": 1}") == path + ": not a fleetcert report: \"schema\" is not a string (a scan report "
                                              "has \"schema\": \"fleetcert-scan/1\")");
    // JSONL: the line, and the byte within it.
    CHECK(error_of(R"({"target":{"ip":"127.0.0.1","port":443},"status":"error","chain":[]})" "\n{\"target\": x}\n")
          == path + ":2: not a fleetcert report line: parse error at byte 12 (line 1, column 12): syntax error while "
                    "parsing value - invalid literal; last read: '\"target\": x'");
    // A directory.
    const auto directory = load_scan_report(dir.path());
    REQUIRE_FALSE(directory.ok());
    CHECK(directory.error() == "cannot read report '" + dir.path() + "': Is a directory");
  }

  TEST_CASE("addresses are read back in the form fleetcert writes them, so old reports still pair")
  {
    TempDir dir;
    const std::string path = dir.path() + "/old.jsonl";
    write_file(path, R"({"target":{"ip":"2001:DB8:0:0:0:0:0:1","port":443},"status":"error","error":{"class":"refused"}})"
                     "\n"
                     R"({"target":{"ip":"2001:db8::1","port":5061},"status":"error","error":{"class":"timeout"}})"
                     "\n"
                     R"({"target":{"ip":"0:0:0:0:0:ffff:c000:201","port":443},"status":"error","error":{"class":"reset"}})"
                     "\n");
    const auto report = load_scan_report(path);
    REQUIRE_MESSAGE(report, report.error());
    REQUIRE(report->endpoints.size() == 3);
    CHECK(report->endpoints[0].ip == "2001:db8::1");
    CHECK(report->endpoints[2].ip == "::ffff:192.0.2.1");
    const auto devices = report->devices();
    REQUIRE(devices.size() == 2); // both ports of 2001:db8::1 are one device
    const auto v6 = std::find_if(devices.begin(), devices.end(), [](const ReportDevice& d) { return d.ip == "2001:db8::1"; });
    REQUIRE(v6 != devices.end());
    CHECK(v6->endpoints.size() == 2);
  }

  TEST_CASE("a name that did not resolve (no target.ip) is a device under its name, skipped endpoints are no device")
  {
    TempDir dir;
    const std::string path = dir.path() + "/names.jsonl";
    write_file(path,
               R"({"target":{"host":"nonexistent.invalid","port":443},"status":"error","error":{"class":"dns","stage":"resolve"},"tls":{"handshake_complete":false,"legacy_retry":false,"handshake_mode":"certificate-only"},"chain":[]})"
               "\n"
               R"({"target":{"host":"nonexistent.invalid","port":5061},"status":"error","error":{"class":"dns","stage":"resolve"},"chain":[]})"
               "\n"
               R"({"target":{"ip":"127.0.0.1","host":"localhost","port":443},"status":"skipped","skipped":{"reason":"excluded","detail":"excluded"},"chain":[]})"
               "\n"
               R"({"target":{"ip":"127.0.0.2","host":"other.example","port":443},"status":"skipped","skipped":{"reason":"rainy-day"},"chain":[]})"
               "\n");
    const auto report = load_scan_report(path);
    REQUIRE_MESSAGE(report, report.error());
    REQUIRE(report->endpoints.size() == 4);
    CHECK(report->endpoints[0].ip.empty());
    CHECK(report->endpoints[0].host == "nonexistent.invalid");
    CHECK(report->endpoints[0].error_class == ErrorClass::dns);
    CHECK_FALSE(report->endpoints[0].skipped);
    CHECK(report->endpoints[2].skipped);
    CHECK_FALSE(report->endpoints[2].ok);
    CHECK(report->endpoints[2].skip_reason == SkipReason::excluded);
    CHECK_FALSE(report->endpoints[2].error_class.has_value());
    CHECK_FALSE(report->endpoints[3].skip_reason.has_value());
    REQUIRE(report->warnings.size() == 1);
    CHECK(report->warnings[0].find("skipped.reason 'rainy-day'") != std::string::npos);
    const auto devices = report->devices();
    REQUIRE(devices.size() == 1);
    CHECK(devices[0].ip.empty());
    CHECK(devices[0].host == "nonexistent.invalid");
    CHECK(devices[0].address() == "nonexistent.invalid");
    CHECK(devices[0].endpoints.size() == 2);
  }

  TEST_CASE("words this version does not know read as unknown, and the report says where")
  {
    TempDir dir;
    const std::string path = dir.path() + "/newer.jsonl";
    write_file(path,
               R"({"target":{"ip":"127.0.0.1","port":443},"status":"ok","leaf":{"signature":{"label":"ML-DSA-65",)"
               R"("verdict":"post-quantum"}},"assessment":{"cn_class":"serial","validity":"revoked","provenance":)"
               R"({"kind":"factory","basis":"ct-log"},"findings":[]}})"
               "\n"
               R"({"target":{"ip":"127.0.0.2","port":443},"status":"error","error":{"class":"quic-only"}})"
               "\n"
               R"({"target":{"ip":"127.0.0.3","port":443},"status":"ok","leaf":{"signature":{"verdict":"legacy"}},)"
               R"("assessment":{"cn_class":"mac","validity":"expiring","provenance":{"kind":"self-signed","basis":"chain"}}})"
               "\n");
    const auto report = load_scan_report(path);
    REQUIRE_MESSAGE(report, report.error());
    REQUIRE(report->endpoints.size() == 3);
    const ReportEndpoint& newer = report->endpoints[0];
    CHECK_FALSE(newer.signature_verdict);
    CHECK_FALSE(newer.cn_class);
    CHECK_FALSE(newer.validity);
    CHECK(newer.provenance_kind == ProvenanceKind::factory);
    CHECK_FALSE(newer.provenance_basis);
    CHECK(newer.provenance() == "factory");
    CHECK_FALSE(report->endpoints[1].error_class);
    CHECK(report->endpoints[1].error_word() == "error");
    const ReportEndpoint& known = report->endpoints[2];
    CHECK(known.signature_verdict == SignatureVerdict::legacy);
    CHECK(known.cn_class == CnClass::mac);
    CHECK(known.validity == Validity::expiring);
    CHECK(known.provenance() == "self-signed/chain");
    CHECK(report->warnings == std::vector<std::string>{
                                  "line 1: leaf.signature.verdict 'post-quantum' is unknown to this fleetcert (a newer "
                                  "version's report?): read as unknown",
                                  "line 1: assessment.cn_class 'serial' is unknown to this fleetcert (a newer version's "
                                  "report?): read as unknown",
                                  "line 1: assessment.validity 'revoked' is unknown to this fleetcert (a newer version's "
                                  "report?): read as unknown",
                                  "line 1: assessment.provenance.basis 'ct-log' is unknown to this fleetcert (a newer "
                                  "version's report?): read as unknown",
                                  "line 2: error.class 'quic-only' is unknown to this fleetcert (a newer version's "
                                  "report?): read as unknown"});
  }

  TEST_CASE("provenance.issuer_verified is read back when present, and refused when not a boolean")
  {
    TempDir dir;
    const std::string path = dir.path() + "/named.jsonl";
    const std::string prefix = R"({"target":{"ip":"127.0.0.1","port":443},"status":"ok","assessment":{"cn_class":"mac",)"
                               R"("provenance":{"kind":"factory","basis":"issuer-name","vendor":"Grandstream")";
    write_file(path, prefix + R"(,"issuer_verified":false}}})" "\n" + prefix + R"(}}})" "\n");
    const auto report = load_scan_report(path);
    REQUIRE_MESSAGE(report, report.error());
    REQUIRE(report->endpoints.size() == 2);
    REQUIRE(report->endpoints[0].provenance_issuer_verified.has_value());
    CHECK_FALSE(*report->endpoints[0].provenance_issuer_verified);
    CHECK_FALSE(report->endpoints[1].provenance_issuer_verified.has_value());
    write_file(path, prefix + R"(,"issuer_verified":"no"}}})" "\n");
    CHECK(load_scan_report(path).error() == path + ":1: 'issuer_verified' is not true or false");
  }

  TEST_CASE("warnings about unknown words are capped, the rest counted")
  {
    TempDir dir;
    const std::string path = dir.path() + "/many.json";
    std::string records;
    for (std::size_t i = 0; i < k_report_warnings + 5; ++i) {
      records += std::string(i == 0 ? "" : ",") + R"({"target":{"ip":"127.0.0.)" + std::to_string(i + 1)
                 + R"(","port":443},"status":"error","error":{"class":"new-class"}})";
    }
    write_file(path, R"({"schema":"fleetcert-scan/1","records":[)" + records + "]}");
    const auto report = load_scan_report(path);
    REQUIRE_MESSAGE(report, report.error());
    REQUIRE(report->warnings.size() == k_report_warnings + 1);
    CHECK(report->warnings.front().rfind("record 1: error.class 'new-class' is unknown", 0) == 0);
    CHECK(report->warnings.back() == "and 5 more values unknown to this fleetcert");
  }

  TEST_CASE("the announced identity reads back per endpoint and merges per device, SIP first")
  {
    namespace t = fleetcert::testing;
    TempDir dir;
    auto key = t::generate_key({"ec", 0, "P-256"});
    t::CertSpec spec;
    spec.subject = t::parse_subject("/CN=000B82123456");
    auto cert = t::make_certificate(spec, key.get(), nullptr, key.get());
    AssessmentSettings settings;
    settings.now = 1'800'000'000;
    std::vector<Record> records;
    for (const std::uint16_t port : {443, 5061}) {
      Observation observation;
      observation.endpoint = {"127.0.0.30", port, "", ""};
      observation.chain = {t::to_der(cert.get())};
      records.push_back(make_record(observation, settings));
      AnnouncedIdentity identity;
      identity.vendor = "Grandstream";
      identity.model = port == 443 ? "GXP2170-web" : "GXP2170";
      identity.firmware = port == 443 ? "1.0.11.23" : "";
      identity.source = port == 443 ? IdentitySource::http_server : IdentitySource::sip_user_agent;
      identity.raw = port == 443 ? "Grandstream GXP2170 1.0.11.23" : "Grandstream GXP2170";
      records.back().identity = identity;
    }
    const std::string path = dir.path() + "/identity.jsonl";
    {
      JsonlReport jsonl(path);
      jsonl.begin(ScanInfo{});
      for (const Record& record : records) {
        jsonl.write(record);
      }
      jsonl.finish(ScanInfo{}, ScanSummary{});
    }
    const auto report = load_scan_report(path);
    REQUIRE_MESSAGE(report, report.error());
    REQUIRE(report->endpoints.size() == 2);
    REQUIRE(report->endpoints[1].identity.has_value());
    CHECK(report->endpoints[1].identity->source == IdentitySource::sip_user_agent);
    CHECK(report->endpoints[0].identity->raw == "Grandstream GXP2170 1.0.11.23");
    for (const auto& devices : {report->fleet_devices(), report->devices()}) {
      REQUIRE(devices.size() == 1);
      CHECK(devices[0].model == "GXP2170"); // SIP's model
      CHECK(devices[0].model_source == "sip-user-agent");
      CHECK(devices[0].firmware == "1.0.11.23"); // HTTP's firmware: SIP gave none
      CHECK(devices[0].firmware_source == "http-server");
    }
  }
}
