// CSV report: RFC 4180 quoting checked by parsing the file back, formula neutralisation of
// certificate text, our own values untouched, and the temporary-file-then-rename write.

#include "reports/sinks/csv_report.hpp"

#include "support/csv_parse.hpp"

#include "support/process.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace fleetcert;
namespace fs = std::filesystem;
using fleetcert::testing::read_file;
using fleetcert::testing::TempDir;

namespace {

using Rows = std::vector<std::vector<std::string>>;

// A strict RFC 4180 parser: CRLF between records, quoted fields with doubled quotes.
Rows parse_csv(const std::string& text)
{
  Rows rows;
  REQUIRE(fleetcert::testing::parse_csv_strict(text, rows));
  return rows;
}

CertificateInfo certificate(const std::string& cn, char digit)
{
  CertificateInfo cert;
  cert.parsed = true;
  cert.subject = "CN=" + cn + ",O=Acme, Inc.";
  cert.issuer = "CN=\"Quoted\" CA";
  cert.cn = cn;
  cert.has_cn = true;
  cert.san = {"DNS:a.example", "DNS:line\nbreak"};
  cert.serial = "-01";
  cert.not_before = 1795392000 - 86400 * 30;
  cert.not_after = 1795392000 - 86400 * 5;
  cert.sha256 = std::string(64, digit);
  cert.sha1 = std::string(40, digit);
  cert.md5 = std::string(32, digit);
  cert.signature = {"sha1WithRSAEncryption", "RSA+SHA1", "RSA", "SHA1"};
  cert.key = {"RSA", 1024, "", ""};
  cert.self_signed = true;
  return cert;
}

Record ok_record(const std::string& cn)
{
  Record record;
  record.observation.endpoint = {"127.0.0.9", 5061, "", ""};
  record.observation.tls_version = "TLSv1.0";
  record.observation.cipher = "AES128-SHA";
  record.observation.connect_ms = 0.5;
  record.observation.handshake_ms = 12.3456;
  record.observation.handshake_complete = true;
  record.chain = {certificate(cn, 'a'), certificate("CA", 'b')};
  record.assessment.signature_verdict = SignatureVerdict::rejected;
  record.assessment.cn_class = CnClass::other;
  record.assessment.validity = Validity::expired;
  record.assessment.days_left = -5;
  return record;
}

Record error_record()
{
  Record record;
  record.observation.endpoint = {"::1", 443, "phone.example", ""};
  record.observation.error = ErrorClass::refused;
  record.observation.error_stage = "connect";
  record.observation.error_detail = "Connection refused";
  return record;
}

std::map<std::string, std::string> by_column(const std::vector<std::string>& header,
                                             const std::vector<std::string>& row)
{
  REQUIRE(header.size() == row.size());
  std::map<std::string, std::string> cells;
  for (std::size_t i = 0; i < header.size(); ++i) {
    cells[header[i]] = row[i];
  }
  return cells;
}

} // namespace

TEST_SUITE("reports.csv_report")
{
  TEST_CASE("columns are the documented ones, in order")
  {
    const std::vector<std::string> columns = csv_columns();
    REQUIRE(columns.size() == 48);
    CHECK(columns.front() == "ip");
    CHECK(columns[13] == "subject");
    CHECK(columns[30] == "chain_length");
    CHECK(columns[35] == "days_left");
    CHECK(std::vector<std::string>(columns.begin() + 36, columns.end()) ==
          std::vector<std::string>{"vendor", "vendor_source", "provenance", "provenance_basis", "provenance_vendor",
                                   "chain_incomplete", "issuer_verified", "findings", "worst_severity", "inventory_mac",
                                   "model", "site"});
  }

  TEST_CASE("the audit columns: vendor, provenance, findings worst first, inventory")
  {
    Record record = ok_record("0004F2ABCDEF");
    Assessment& assessment = record.assessment;
    assessment.vendor = "=Polycom";
    assessment.vendor_source = "issuer-name";
    assessment.provenance.kind = ProvenanceKind::custom_ca;
    assessment.provenance.basis = ProvenanceBasis::issuer_name;
    assessment.provenance.vendor = "@Acme";
    assessment.findings = {
      {"expired", Severity::high, "m", "r"},
      {"weak-signature", Severity::critical, "m", "r"},
      {"legacy-generation", Severity::medium, "m", "r"},
    };
    InventoryRow row;
    row.mac = "0004F2ABCDEF";
    row.model = "VVX 411";
    row.site = "-3rd floor";
    row.extra = {{"room", "=1+1"}};
    assessment.inventory = row;

    const auto cells = by_column(csv_columns(), csv_row(record));
    CHECK(cells.at("vendor") == "'=Polycom");
    CHECK(cells.at("vendor_source") == "issuer-name");
    CHECK(cells.at("provenance") == "custom-ca");
    CHECK(cells.at("provenance_basis") == "issuer-name");
    CHECK(cells.at("provenance_vendor") == "'@Acme");
    CHECK(cells.at("chain_incomplete") == "false");
    CHECK(cells.at("issuer_verified") == ""); // only for factory by issuer name
    CHECK(cells.at("findings") == "weak-signature expired legacy-generation");
    CHECK(cells.at("worst_severity") == "critical");
    CHECK(cells.at("inventory_mac") == "0004F2ABCDEF");
    CHECK(cells.at("model") == "VVX 411");
    CHECK(cells.at("site") == "'-3rd floor");

    // An error record of an inventory device: its row and vendor, no provenance, no findings.
    Record error = error_record();
    error.assessment.vendor = "Polycom";
    error.assessment.vendor_source = "inventory";
    error.assessment.inventory = row;
    const auto error_cells = by_column(csv_columns(), csv_row(error));
    CHECK(error_cells.at("vendor") == "Polycom");
    CHECK(error_cells.at("vendor_source") == "inventory");
    CHECK(error_cells.at("provenance") == "");
    CHECK(error_cells.at("provenance_basis") == "");
    CHECK(error_cells.at("chain_incomplete") == "");
    CHECK(error_cells.at("findings") == "");
    CHECK(error_cells.at("worst_severity") == "");
    CHECK(error_cells.at("model") == "VVX 411");

    // Factory by an issuer name: whether that name is verified.
    Record named = ok_record("000B82ABCDEF");
    named.assessment.provenance.kind = ProvenanceKind::factory;
    named.assessment.provenance.basis = ProvenanceBasis::issuer_name;
    named.assessment.provenance.issuer_verified = false;
    CHECK(by_column(csv_columns(), csv_row(named)).at("issuer_verified") == "false");
    named.assessment.provenance.issuer_verified = true;
    CHECK(by_column(csv_columns(), csv_row(named)).at("issuer_verified") == "true");

    // Before the audit: provenance unknown, nothing else.
    const auto plain = by_column(csv_columns(), csv_row(ok_record("x")));
    CHECK(plain.at("vendor") == "");
    CHECK(plain.at("vendor_source") == "");
    CHECK(plain.at("provenance") == "unknown");
    CHECK(plain.at("provenance_basis") == "none");
    CHECK(plain.at("findings") == "");
    CHECK(plain.at("inventory_mac") == "");
  }

  TEST_CASE("a report parses back cell for cell, written via rename")
  {
    TempDir dir;
    const fs::path path = fs::path(dir.file("scan.csv"));
    CsvReport report(path.string());
    REQUIRE(fs::exists(report.temporary_path()));
    report.begin(ScanInfo{});

    const std::vector<std::string> hostile = {"=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\tx", "\rx"};
    for (const std::string& cn : hostile) {
      report.write(ok_record(cn));
    }
    Record ansi = ok_record("\x1b[31mred");
    ansi.observation.alert = "=alert";
    report.write(ansi);
    report.write(error_record());
    Record failed = ok_record("0004F2ABCDEF");
    failed.observation.handshake_complete = false;
    failed.observation.error = ErrorClass::tls_alert;
    failed.observation.error_stage = "handshake";
    failed.observation.error_detail = "alert, \"certificate required\"";
    failed.observation.alert = "certificate_required";
    report.write(failed);
    CHECK_FALSE(fs::exists(path));

    report.finish(ScanInfo{}, ScanSummary{});
    CHECK(fs::exists(path));
    CHECK_FALSE(fs::exists(report.temporary_path()));

    const Rows rows = parse_csv(read_file(path));
    REQUIRE(rows.size() == 1 + hostile.size() + 3);
    CHECK(rows[0] == csv_columns());

    for (std::size_t i = 0; i < hostile.size(); ++i) {
      INFO(hostile[i]);
      const auto cells = by_column(rows[0], rows[1 + i]);
      CHECK(cells.at("cn") == "'" + hostile[i]);
      CHECK(cells.at("status") == "ok");
      CHECK(cells.at("subject") == "CN=" + hostile[i] + ",O=Acme, Inc.");
      CHECK(cells.at("issuer") == "CN=\"Quoted\" CA");
      CHECK(cells.at("san") == "DNS:a.example | DNS:line\nbreak");
      CHECK(cells.at("serial") == "'-01");             // certificate text: neutralised
      CHECK(cells.at("days_left") == "-5");            // our own number: untouched
      CHECK(cells.at("validity") == "expired");
      CHECK(cells.at("handshake_ms") == "12.346");
      CHECK(cells.at("connect_ms") == "0.500");
      CHECK(cells.at("port") == "5061");
      CHECK(cells.at("sig_label") == "RSA+SHA1");
      CHECK(cells.at("sig_verdict") == "rejected");
      CHECK(cells.at("key_bits") == "1024");
      CHECK(cells.at("self_signed") == "true");
      CHECK(cells.at("chain_length") == "2");
      CHECK(cells.at("chain_sha256") == std::string(64, 'a') + " " + std::string(64, 'b'));
      CHECK(cells.at("error_class") == "");
      CHECK(cells.at("not_after") == "2026-11-18T00:00:00Z");
    }

    const auto ansi_cells = by_column(rows[0], rows[1 + hostile.size()]);
    CHECK(ansi_cells.at("cn") == "\\x1b[31mred");
    CHECK(ansi_cells.at("alert") == "'=alert");

    const auto error_cells = by_column(rows[0], rows[2 + hostile.size()]);
    CHECK(error_cells.at("status") == "error");
    CHECK(error_cells.at("ip") == "::1");
    CHECK(error_cells.at("host") == "phone.example");
    CHECK(error_cells.at("error_class") == "refused");
    CHECK(error_cells.at("error_stage") == "connect");
    CHECK(error_cells.at("error_detail") == "Connection refused");
    CHECK(error_cells.at("connect_ms") == "");
    CHECK(error_cells.at("chain_length") == "0");
    CHECK(error_cells.at("cn") == "");
    CHECK(error_cells.at("days_left") == "");

    const auto failed_cells = by_column(rows[0], rows[3 + hostile.size()]);
    CHECK(failed_cells.at("status") == "ok");
    CHECK(failed_cells.at("error_class") == "tls-alert");
    CHECK(failed_cells.at("error_detail") == "alert, \"certificate required\"");
    CHECK(failed_cells.at("alert") == "certificate_required");
    CHECK(failed_cells.at("handshake_complete") == "false");
  }

  TEST_CASE("an unparsed leaf still gives its fingerprints")
  {
    Record record = ok_record("x");
    CertificateInfo leaf;
    leaf.parse_error = "bad";
    leaf.sha256 = std::string(64, 'c');
    leaf.sha1 = std::string(40, 'c');
    leaf.md5 = std::string(32, 'c');
    record.chain = {leaf};
    const auto cells = by_column(csv_columns(), csv_row(record));
    CHECK(cells.at("sha256") == std::string(64, 'c'));
    CHECK(cells.at("subject") == "");
    CHECK(cells.at("sig_verdict") == "");
    CHECK(cells.at("self_signed") == "");
  }

  TEST_CASE("an unwritable path is refused up front")
  {
    CHECK_THROWS_WITH_AS(CsvReport("/nonexistent-fleetcert-dir/scan.csv"),
                         doctest::Contains("cannot write '/nonexistent-fleetcert-dir/scan.csv'"),
                         std::runtime_error);
  }

  TEST_CASE("without finish the temporary file is removed")
  {
    TempDir dir;
    const fs::path path = fs::path(dir.file("scan.csv"));
    std::string temporary;
    {
      CsvReport report(path.string());
      temporary = report.temporary_path();
      report.write(error_record());
      CHECK(fs::exists(temporary));
    }
    CHECK_FALSE(fs::exists(temporary));
    CHECK_FALSE(fs::exists(path));
  }
}
