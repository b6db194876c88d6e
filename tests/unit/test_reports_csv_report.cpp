// CSV report: RFC 4180 quoting checked by parsing the file back, formula neutralisation of
// certificate text, our own values untouched, and the temporary-file-then-rename write.

#include "reports/sinks/csv_report.hpp"

#include "scanner/assessment/assessment.hpp"
#include "scanner/inputs/dhcp_leases.hpp"

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
    REQUIRE(columns.size() == 60);
    CHECK(columns.front() == "ip");
    CHECK(columns[2] == "host");
    CHECK(columns[13] == "subject");
    CHECK(columns[15] == "cn");
    CHECK(columns[19] == "not_after");
    CHECK(columns[30] == "chain_length");
    CHECK(columns[34] == "validity");
    CHECK(columns[35] == "days_left");
    CHECK(std::vector<std::string>(columns.begin() + 36, columns.begin() + 48) ==
          std::vector<std::string>{"vendor", "vendor_source", "provenance", "provenance_basis", "provenance_vendor",
                                   "chain_incomplete", "issuer_verified", "findings", "worst_severity", "inventory_mac",
                                   "model", "site"});
    // The columns added later come after the earlier ones, whose positions stay.
    CHECK(std::vector<std::string>(columns.begin() + 48, columns.end()) ==
          std::vector<std::string>{"host_name", "worst_finding", "worst_message", "worst_remediation", "tls_hello",
                                   "tls_cipher_suite", "identity_vendor", "identity_model", "identity_firmware",
                                   "identity_mac", "identity_source", "identity_error"});
  }

  TEST_CASE("the announced identity: vendor, model, firmware, MAC, source, error, escaped as device text")
  {
    Record record = ok_record("7C2F80C6E5C2");
    AnnouncedIdentity identity;
    identity.vendor = "Gigaset";
    identity.model = "=N870 IP PRO";
    identity.firmware = "83.V2.43.0";
    identity.mac = "7C2F80C6E5C2";
    identity.source = IdentitySource::sip_user_agent;
    record.identity = identity;
    const auto cells = by_column(csv_columns(), csv_row(record));
    CHECK(cells.at("identity_vendor") == "Gigaset");
    CHECK(cells.at("identity_model") == "'=N870 IP PRO"); // a formula neutralised like other device text
    CHECK(cells.at("identity_firmware") == "83.V2.43.0");
    CHECK(cells.at("identity_mac") == "7C2F80C6E5C2");
    CHECK(cells.at("identity_source") == "sip-user-agent");
    CHECK(cells.at("identity_error") == "");

    AnnouncedIdentity failed;
    failed.error = "timeout after the handshake";
    record.identity = failed;
    const auto failed_cells = by_column(csv_columns(), csv_row(record));
    CHECK(failed_cells.at("identity_source") == "");
    CHECK(failed_cells.at("identity_model") == "");
    CHECK(failed_cells.at("identity_error") == "timeout after the handshake");

    const auto none = by_column(csv_columns(), csv_row(error_record()));
    for (const char* column : {"identity_vendor", "identity_model", "identity_firmware", "identity_mac", "identity_source",
                               "identity_error"}) {
      CHECK(none.at(column) == "");
    }
  }

  TEST_CASE("the hello the device answered and its cipher suite by IANA name")
  {
    Record record = ok_record("0004F2ABCDEF");
    record.observation.cipher.clear(); // a raw hello: OpenSSL never saw the suite
    record.observation.cipher_suite = "TLS_RSA_WITH_3DES_EDE_CBC_SHA";
    record.observation.hello = HelloKind::raw;
    const auto cells = by_column(csv_columns(), csv_row(record));
    CHECK(cells.at("tls_cipher") == "");
    CHECK(cells.at("tls_hello") == "raw");
    CHECK(cells.at("tls_cipher_suite") == "TLS_RSA_WITH_3DES_EDE_CBC_SHA");

    record.observation.hello = HelloKind::raw_sslv3;
    CHECK(by_column(csv_columns(), csv_row(record)).at("tls_hello") == "raw-sslv3");

    // No ServerHello and no certificate: no hello to name.
    const auto error_cells = by_column(csv_columns(), csv_row(error_record()));
    CHECK(error_cells.at("tls_hello") == "");
    CHECK(error_cells.at("tls_cipher_suite") == "");
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
    CHECK(cells.at("findings") == "weak-signature;expired;legacy-generation");
    CHECK(cells.at("worst_severity") == "critical");
    CHECK(cells.at("worst_finding") == "weak-signature");
    CHECK(cells.at("worst_message") == "m");
    CHECK(cells.at("worst_remediation") == "r");
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
    CHECK(error_cells.at("worst_finding") == "");
    CHECK(error_cells.at("worst_message") == "");
    CHECK(error_cells.at("worst_remediation") == "");
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

  TEST_CASE("the worst finding: highest severity, ties to the smallest code, then message")
  {
    const auto worst_of = [](std::vector<Finding> findings) {
      Record record = ok_record("x");
      record.assessment.findings = std::move(findings);
      return by_column(csv_columns(), csv_row(record));
    };

    SUBCASE("the highest severity wins wherever it stands")
    {
      const auto cells = worst_of({{"self-signed", Severity::low, "low one", "ignore"},
                                   {"weak-key", Severity::medium, "medium one", "fix later"},
                                   {"expired", Severity::high, "=cmd|' /C calc'!A0", "-renew now"},
                                   {"generic-cn", Severity::info, "info", "none"}});
      CHECK(cells.at("worst_severity") == "high");
      CHECK(cells.at("worst_finding") == "expired");
      // Messages and remediations are untrusted text: neutralised like certificate text.
      CHECK(cells.at("worst_message") == "'=cmd|' /C calc'!A0");
      CHECK(cells.at("worst_remediation") == "'-renew now");
      CHECK(cells.at("findings") == "expired;weak-key;self-signed;generic-cn");
    }

    SUBCASE("equal severities: the smallest code, whatever the order given")
    {
      const std::vector<Finding> a = {{"weak-key", Severity::high, "k", "rk"},
                                      {"sha1-rejected", Severity::high, "s", "rs"},
                                      {"expired", Severity::high, "e", "re"}};
      std::vector<Finding> b(a.rbegin(), a.rend());
      for (const auto& findings : {a, b}) {
        const auto cells = worst_of(findings);
        CHECK(cells.at("worst_finding") == "expired");
        CHECK(cells.at("worst_message") == "e");
        CHECK(cells.at("worst_remediation") == "re");
        CHECK(cells.at("findings") == "expired;sha1-rejected;weak-key");
      }
    }

    SUBCASE("one code twice at one severity: the smaller message, then remediation; the code listed once")
    {
      const std::vector<Finding> a = {{"unknown-issuer", Severity::medium, "port 5061: b", "r2"},
                                      {"unknown-issuer", Severity::medium, "port 443: a", "r2"},
                                      {"unknown-issuer", Severity::medium, "port 443: a", "r1"}};
      std::vector<Finding> b(a.rbegin(), a.rend());
      for (const auto& findings : {a, b}) {
        const auto cells = worst_of(findings);
        CHECK(cells.at("worst_message") == "port 443: a");
        CHECK(cells.at("worst_remediation") == "r1");
        CHECK(cells.at("findings") == "unknown-issuer");
      }
    }

    SUBCASE("one code at two severities: the higher one")
    {
      const auto cells = worst_of({{"unknown-issuer", Severity::low, "lo", "r"},
                                   {"unknown-issuer", Severity::medium, "hi", "r"}});
      CHECK(cells.at("worst_severity") == "medium");
      CHECK(cells.at("worst_message") == "hi");
    }

    SUBCASE("no finding: empty cells")
    {
      const auto cells = worst_of({});
      for (const char* column : {"findings", "worst_severity", "worst_finding", "worst_message", "worst_remediation"}) {
        CHECK(cells.at(column) == "");
      }
    }
  }

  TEST_CASE("days left across expiry: whole days from the scan's now, negative once expired")
  {
    constexpr std::int64_t k_not_after = 1'795'392'000; // 2026-11-23T00:00:00Z
    constexpr std::int64_t k_day = 86'400;
    struct Case
    {
      std::int64_t now;
      const char* days_left;
      const char* validity;
    };
    const Case cases[] = {
      {k_not_after - 40 * k_day, "40", "valid"},
      {k_not_after - 30 * k_day, "30", "valid"},      // the warning window is 30 days
      {k_not_after - 30 * k_day + 1, "29", "expiring"},
      {k_not_after - k_day - 1, "1", "expiring"},
      {k_not_after - 1, "0", "expiring"},
      {k_not_after, "0", "expiring"},                 // not_after itself is still valid (RFC 5280)
      {k_not_after + 1, "-1", "expired"},             // one second later: a day overdue, not zero
      {k_not_after + k_day, "-1", "expired"},
      {k_not_after + k_day + 1, "-2", "expired"},
      {k_not_after + 400 * k_day, "-400", "expired"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.now);
      Record record = ok_record("0004F2ABCDEF");
      CertificateInfo& leaf = record.chain.front();
      leaf.not_before = k_not_after - 500 * k_day;
      leaf.not_after = k_not_after;
      AssessmentSettings settings;
      settings.now = c.now;
      record.assessment = assess(leaf, settings);
      const auto cells = by_column(csv_columns(), csv_row(record));
      CHECK(cells.at("days_left") == c.days_left);
      CHECK(cells.at("validity") == c.validity);
      CHECK(cells.at("not_after") == "2026-11-23T00:00:00Z");
    }
  }

  TEST_CASE("host name: the inventory's, else the DHCP lease's, else the name scanned")
  {
    Inventory inventory;
    for (const auto& [ip, hostname] : {std::pair{"127.0.0.1", "phone-inventory"}, std::pair{"127.0.0.2", ""}}) {
      InventoryRow row;
      row.line = inventory.rows.size() + 2;
      row.ip = ip;
      row.hostname = hostname;
      inventory.rows.push_back(row);
    }
    inventory.index();
    DhcpLeases leases;
    for (const auto& [ip, hostname] :
         {std::pair{"127.0.0.1", "phone-lease"}, std::pair{"127.0.0.2", "lease-only-name"}, std::pair{"127.0.0.3", "@lease"}}) {
      DhcpLease lease;
      lease.line = leases.leases.size() + 1;
      lease.ip = ip;
      lease.hostname = hostname;
      leases.leases.push_back(lease);
    }
    merge_dhcp_leases(inventory, leases, "dnsmasq.leases");

    const auto host_name = [&](const std::string& ip, const std::string& scanned) {
      Record record = ok_record("x");
      record.observation.endpoint = {ip, 443, scanned, ""};
      if (const InventoryRow* row = inventory.find_by_ip(ip)) {
        record.assessment.inventory = *row;
      }
      const auto cells = by_column(csv_columns(), csv_row(record));
      CHECK(cells.at("host") == scanned); // the name scanned stays in its own column
      return cells.at("host_name");
    };
    CHECK(host_name("127.0.0.1", "scanned.example") == "phone-inventory"); // the inventory's over the lease's
    CHECK(host_name("127.0.0.2", "scanned.example") == "lease-only-name"); // the lease fills the inventory's gap
    CHECK(host_name("127.0.0.3", "scanned.example") == "'@lease");         // a lease-only row; untrusted text
    CHECK(host_name("127.0.0.4", "scanned.example") == "scanned.example"); // no row: the name scanned
    CHECK(host_name("127.0.0.4", "") == "");
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
    ansi.identity = AnnouncedIdentity{"Yealink", "SIP-T54W\x1b[2J", "+96.86.0.70", "", IdentitySource::sip_user_agent,
                                      "Yealink SIP-T54W", "", IdentityProtocol::sip};
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
    CHECK(ansi_cells.at("identity_model") == "SIP-T54W\\x1b[2J"); // announced text is device text too
    CHECK(ansi_cells.at("identity_firmware") == "'+96.86.0.70");

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
