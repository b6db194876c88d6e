// JSON and JSONL reports: a complete, parseable document renamed into place only by finish(),
// the scan facts and summary counts, early refusal of unwritable paths, and one JSON per line.

#include "reports/json_report.hpp"
#include "reports/summary.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace fleetcert;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct TempDir
{
  fs::path path;
  TempDir()
  {
    std::string templ = (fs::temp_directory_path() / "fleetcert-json-XXXXXX").string();
    REQUIRE(::mkdtemp(templ.data()) != nullptr);
    path = templ;
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string read_file(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

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
  leaf.signature = {"x", label, verdict};
  leaf.self_signed = self_signed;
  record.chain = {leaf};
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

    const json j = summary_to_json(summary);
    CHECK(j["endpoints"] == 5);
    CHECK(j["error_classes"]["timeout"] == 2);
    CHECK(j["self_signed"] == 1);
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
    const fs::path path = dir.path / "scan.json";
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

  TEST_CASE("an empty scan is still a valid document")
  {
    TempDir dir;
    const fs::path path = dir.path / "empty.json";
    JsonReport report(path.string());
    report.begin(ScanInfo{});
    report.finish(ScanInfo{}, ScanSummary{});
    const json document = json::parse(read_file(path));
    CHECK(document["records"] == json::array());
    CHECK(document["scan"]["endpoints_done"] == 0);
    CHECK(document["scan"]["interrupted"] == false);
  }

  TEST_CASE("without finish nothing is left behind and an old report is kept")
  {
    TempDir dir;
    const fs::path path = dir.path / "scan.json";
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
    CHECK_THROWS_AS(JsonReport(dir.path.string()), std::runtime_error);
  }
}

TEST_SUITE("reports.jsonl_report")
{
  TEST_CASE("every line is one record, flushed as written")
  {
    TempDir dir;
    const fs::path path = dir.path / "scan.jsonl";
    const std::vector<Record> records = sample_records();
    JsonlReport report(path.string());
    report.begin(ScanInfo{});
    report.write(records[0]);
    // Flushed: a scan killed now leaves this line intact.
    CHECK(read_file(path).find('\n') != std::string::npos);
    for (std::size_t i = 1; i < records.size(); ++i) {
      report.write(records[i]);
    }
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
