// Prometheus report: the text exposition format 0.0.4 checked by the strict parser of the test
// support (every line a comment, a blank line or a sample; every family typed before its samples;
// names and label names valid; label values escaped and valid UTF-8), label escaping round trips
// with hostile CN and site text, the metric values, and the temporary file renamed into place.

#include "reports/sinks/prometheus_report.hpp"

#include "reports/encoding/text_safety.hpp"
#include "scanner/assessment/fleet_view.hpp"
#include "support/process.hpp"
#include "support/prometheus_parse.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using namespace fleetcert;
namespace fs = std::filesystem;
using fleetcert::testing::read_file;
using fleetcert::testing::TempDir;
using fleetcert::testing::Exposition;
using fleetcert::testing::parse_exposition;

namespace {

Record ok_record(const std::string& ip, std::uint16_t port, const std::string& cn, const std::string& label,
                 ProvenanceKind provenance, std::int64_t not_after)
{
  Record record;
  record.observation.endpoint = {ip, port, "", ""};
  record.observation.handshake_complete = true;
  CertificateInfo leaf;
  leaf.parsed = true;
  leaf.subject = "CN=" + cn;
  leaf.cn = cn;
  leaf.has_cn = true;
  leaf.sha256 = std::string(64, static_cast<char>('a' + port % 6));
  leaf.not_before = not_after - 365 * 86400;
  leaf.not_after = not_after;
  leaf.signature.algorithm = "x";
  leaf.signature.label = label;
  record.chain = {leaf};
  record.assessment.signature_verdict = SignatureVerdict::current;
  record.assessment.provenance.kind = provenance;
  record.assessment.cn_class = CnClass::other;
  return record;
}

Record error_record(const std::string& ip, std::uint16_t port, ErrorClass error)
{
  Record record;
  record.observation.endpoint = {ip, port, "", ""};
  record.observation.error = error;
  return record;
}

const std::string k_hostile_cn = "evil\"} 1\nfleetcert_scan_interrupted 1 # \\\xFF\xFE\x1B[31m";
const std::string k_hostile_site = "Site \"A\"\\B\nC\xC3\x28";

// Writes a report of three endpoints (one hostile) and an error, through a fleet view.
std::string write_report(const std::string& path, ScanInfo& info)
{
  Inventory inventory;
  InventoryRow row;
  row.line = 2;
  row.ip = "127.0.0.1";
  row.mac = "000B82000001";
  row.vendor = "Grandstream";
  row.site = k_hostile_site;
  inventory.rows.push_back(row);
  InventoryRow silent; // in the inventory, never answers
  silent.line = 3;
  silent.ip = "127.0.0.9";
  inventory.rows.push_back(silent);
  inventory.index();

  std::vector<Record> records = {
      ok_record("127.0.0.1", 443, k_hostile_cn, "RSA+SHA256", ProvenanceKind::factory, 1795392000),
      ok_record("127.0.0.1", 5061, "000b82000001", "ECDSA+SHA384", ProvenanceKind::factory, 1895392000),
      ok_record("127.0.0.2", 443, "Einstein2", "RSA+SHA1", ProvenanceKind::self_signed, 1700000000),
      error_record("127.0.0.3", 443, ErrorClass::timeout),
  };
  records[0].assessment.inventory = row;
  records[0].assessment.vendor = "Grandstream";
  records[1].assessment.inventory = row;
  records[1].assessment.vendor = "Grandstream";
  records[2].assessment.findings = {{"sha1-rejected", Severity::high, "m", "r"}};

  PrometheusReport report(path);
  info.tool_version = "9.9.9";
  info.started_at = 1795435200;
  info.endpoints_planned = 6;
  ScanSummary summary;
  FleetView view(&inventory);
  report.begin(info);
  for (const Record& record : records) {
    summary.add(record);
    view.add(record);
    report.write(record);
  }
  view.finish();
  info.finished_at = info.started_at + 42;
  report.fleet(view);
  CHECK(fs::exists(report.temporary_path()));
  CHECK_FALSE(fs::exists(path));
  report.finish(info, summary);
  CHECK_FALSE(fs::exists(report.temporary_path()));
  return read_file(path);
}

} // namespace

TEST_SUITE("reports.prometheus_report")
{
  TEST_CASE("label values: valid UTF-8, escaped, capped")
  {
    CHECK(prometheus_label_value("plain") == "plain");
    CHECK(prometheus_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
    CHECK(prometheus_label_value("Caf\xE9") == "Caf\xEF\xBF\xBD");
    CHECK(prometheus_label_value("x\x1B[0m\ty\x7F") == "x\xEF\xBF\xBD[0m\xEF\xBF\xBDy\xEF\xBF\xBD");
    CHECK(prometheus_label_value("caf\xC3\xA9", 4) == "caf"); // never half a character
    CHECK(prometheus_label_value(std::string(1000, 'a')).size() == 256);
    CHECK(prometheus_label_value("\"\"", 1) == "\\\""); // the cap counts unescaped bytes
  }

  TEST_CASE("a report through a fleet view parses strictly, with the right values")
  {
    TempDir dir;
    ScanInfo info;
    const std::string text = write_report(dir.file("fleetcert.prom"), info);
    INFO(text);
    Exposition exposition;
    REQUIRE_NOTHROW(exposition = parse_exposition(text));
    for (const auto& [name, type] : exposition.types) {
      CHECK(type == "gauge");
      CHECK(exposition.help.count(name) == 1);
      CHECK(name.rfind("fleetcert_", 0) == 0);
    }

    CHECK(exposition.value("fleetcert_scan_info", {{"version", "9.9.9"}}) == 1);
    CHECK(exposition.value("fleetcert_scan_start_timestamp_seconds") == 1795435200);
    CHECK(exposition.value("fleetcert_scan_finish_timestamp_seconds") == 1795435242);
    CHECK(exposition.value("fleetcert_scan_duration_seconds") == 42);
    CHECK(exposition.value("fleetcert_scan_interrupted") == 0);
    CHECK(exposition.value("fleetcert_scan_endpoints_planned") == 6);
    CHECK(exposition.value("fleetcert_scan_endpoints") == 4);
    CHECK(exposition.value("fleetcert_scan_endpoints_ok") == 3);
    CHECK(exposition.value("fleetcert_scan_endpoint_errors", {{"class", "timeout"}}) == 1);
    CHECK(exposition.value("fleetcert_scan_endpoint_errors", {{"class", "refused"}}) == 0);
    CHECK(exposition.of("fleetcert_scan_endpoint_errors").size() == 8);
    CHECK(exposition.value("fleetcert_endpoints_by_signature", {{"signature", "RSA+SHA1"}}) == 1);
    CHECK(exposition.value("fleetcert_endpoints_by_signature", {{"signature", "ECDSA+SHA384"}}) == 1);
    CHECK(exposition.value("fleetcert_endpoints_by_provenance", {{"provenance", "factory"}}) == 2);
    CHECK(exposition.value("fleetcert_endpoints_by_provenance", {{"provenance", "custom-ca"}}) == 0);
    CHECK(exposition.value("fleetcert_devices") == 3);
    CHECK(exposition.value("fleetcert_devices_answering") == 2);
    CHECK(exposition.value("fleetcert_devices_with_finding", {{"code", "sha1-rejected"}, {"severity", "high"}}) == 1);
    CHECK(exposition.value("fleetcert_devices_with_finding", {{"code", "not-answering"}}) == 1); // 127.0.0.9
    CHECK(exposition.value("fleetcert_devices_with_finding", {{"code", "expired"}}) == 0);
    CHECK(exposition.value("fleetcert_devices_by_worst_severity", {{"severity", "critical"}}) == 0);

    // One not-after and one not-before series per certificate, with the device's labels.
    const auto not_after = exposition.of("fleetcert_certificate_not_after_seconds");
    REQUIRE(not_after.size() == 3);
    CHECK(exposition.of("fleetcert_certificate_not_before_seconds").size() == 3);
    const std::map<std::string, std::string> first = not_after[0].labels;
    CHECK(first.at("ip") == "127.0.0.1");
    CHECK(first.at("port") == "443");
    CHECK(first.at("mac") == "000B82000001");
    CHECK(first.at("vendor") == "Grandstream");
    CHECK(first.at("signature") == "RSA+SHA256");
    CHECK(first.at("provenance") == "factory");
    CHECK(first.at("cn_class") == "other");
    CHECK(not_after[0].value == 1795392000);
    // Hostile text: the label round-trips to the sanitised form (valid UTF-8, controls replaced,
    // quotes, backslashes and newlines kept), and no forged sample appears.
    CHECK(first.at("site") == "Site \"A\"\\B\nC\xEF\xBF\xBD(");
    CHECK(first.at("cn") == "evil\"} 1\nfleetcert_scan_interrupted 1 # \\\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD[31m");
    CHECK(exposition.of("fleetcert_scan_interrupted").size() == 1);
    CHECK(not_after[1].labels.at("port") == "5061");
    CHECK(not_after[1].labels.at("cn") == "000b82000001");
    CHECK(not_after[2].labels.at("ip") == "127.0.0.2");
    CHECK(not_after[2].labels.at("mac").empty());
    CHECK(not_after[2].labels.at("site").empty());
    CHECK(not_after[2].value == 1700000000);
    CHECK(exposition.value("fleetcert_certificate_not_before_seconds", {{"ip", "127.0.0.2"}}) ==
          1700000000 - 365 * 86400);
  }

  TEST_CASE("the strict parser rejects what the format forbids")
  {
    CHECK_NOTHROW(parse_exposition("# TYPE a gauge\na{b=\"x\\\\y\\\"z\\n\"} 1\n\n# free comment\n"));
    CHECK_THROWS(parse_exposition("a 1\n"));                                        // no TYPE
    CHECK_THROWS(parse_exposition("# TYPE a gauge\na{b=\"x\"y\"} 1\n"));           // raw quote
    CHECK_THROWS(parse_exposition("# TYPE a gauge\na{b=\"x\\ty\"} 1\n"));          // unknown escape
    CHECK_THROWS(parse_exposition("# TYPE a gauge\na{b=\"x\n\"} 1\n"));            // raw newline
    CHECK_THROWS(parse_exposition("# TYPE a gauge\na{b=\"\xFF\"} 1\n"));           // not UTF-8
    CHECK_THROWS(parse_exposition("# TYPE a gauge\na{b=\"x\",b=\"y\"} 1\n"));      // duplicate label
    CHECK_THROWS(parse_exposition("# TYPE a gauge\na 1\na 2\n"));                  // duplicate series
    CHECK_THROWS(parse_exposition("# TYPE 1a gauge\n1a 1\n"));                     // bad name
    CHECK_THROWS(parse_exposition("# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na 2\n")); // split family
    CHECK_THROWS(parse_exposition("# TYPE a gauge\na{b=\"x\"} 1"));                // no final LF
  }

  TEST_CASE("an interrupted scan says so, an unwritable path is refused at once")
  {
    TempDir dir;
    {
      PrometheusReport report(dir.file("partial.prom"));
      ScanInfo info;
      info.started_at = 100;
      info.finished_at = 101;
      info.interrupted = true;
      report.begin(info);
      report.finish(info, ScanSummary{});
    }
    const Exposition exposition = parse_exposition(read_file(dir.file("partial.prom")));
    CHECK(exposition.value("fleetcert_scan_interrupted") == 1);
    CHECK(exposition.value("fleetcert_scan_failed") == 0);
    CHECK(exposition.of("fleetcert_certificate_not_after_seconds").empty());
    CHECK(exposition.of("fleetcert_devices").empty()); // no view, no device families

    CHECK_THROWS_WITH_AS(PrometheusReport(dir.file("missing/dir/x.prom")),
                         doctest::Contains(("cannot write '" + dir.file("missing/dir/x.prom") + "'").c_str()),
                         std::runtime_error);
  }
}

TEST_SUITE("reports.prometheus_report.rebuilt")
{
  TEST_CASE("metrics rebuilt without the scan's facts leave their families out and say when they were rebuilt")
  {
    TempDir dir;
    {
      PrometheusReport report(dir.file("rebuilt.prom"));
      ScanInfo info;
      info.unknown = {ScanFact::version, ScanFact::times, ScanFact::outcome, ScanFact::endpoints_planned};
      info.rebuilt_from.emplace().rebuilt_at = 1795392100;
      report.begin(info);
      report.finish(info, ScanSummary{});
    }
    const Exposition exposition = parse_exposition(read_file(dir.file("rebuilt.prom")));
    for (const char* family : {"fleetcert_scan_info", "fleetcert_scan_start_timestamp_seconds",
                               "fleetcert_scan_finish_timestamp_seconds", "fleetcert_scan_duration_seconds",
                               "fleetcert_scan_interrupted", "fleetcert_scan_failed", "fleetcert_scan_endpoints_planned"}) {
      CAPTURE(family);
      CHECK(exposition.of(family).empty());
    }
    CHECK(exposition.value("fleetcert_report_rebuilt_timestamp_seconds") == 1795392100);
    CHECK(exposition.value("fleetcert_scan_endpoints") == 0);
  }
}
