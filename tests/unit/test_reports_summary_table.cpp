// Summary table: endpoint rows and totals, the audit tables (devices by vendor x signature x
// provenance, findings by code, the inventory check) and that no certificate text reaches the
// terminal raw.

#include "reports/sinks/summary_table.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

using namespace fleetcert;

namespace {

Record ok_record(const std::string& ip, std::uint16_t port, char digit, const std::string& label,
                 ProvenanceKind provenance, const std::string& vendor)
{
  Record record;
  record.observation.endpoint = {ip, port, "", ""};
  record.observation.tls_version = "TLSv1.2";
  record.observation.handshake_complete = true;
  CertificateInfo leaf;
  leaf.parsed = true;
  leaf.subject = "CN=x";
  leaf.issuer = "CN=y";
  leaf.has_cn = true;
  leaf.cn = "x";
  leaf.sha256 = std::string(64, digit);
  leaf.sha1 = std::string(40, digit);
  leaf.md5 = std::string(32, digit);
  leaf.signature.algorithm = "x";
  leaf.signature.label = label;
  record.chain = {leaf};
  record.assessment.signature_verdict = SignatureVerdict::current;
  record.assessment.cn_class = CnClass::other;
  record.assessment.provenance.kind = provenance;
  record.assessment.vendor = vendor;
  record.assessment.vendor_source = vendor.empty() ? "" : "mac-prefix";
  return record;
}

// Runs `records` through a table, with a fleet view over `inventory` when `with_view`.
std::string table_of(const std::vector<Record>& records, const Inventory* inventory, bool with_view)
{
  std::ostringstream out;
  SummaryTable table(out);
  FleetView view(inventory);
  ScanSummary summary;
  table.begin(ScanInfo{});
  for (const Record& record : records) {
    summary.add(record);
    view.add(record);
    table.write(record);
  }
  view.finish();
  if (with_view) {
    table.fleet(view);
  }
  table.finish(ScanInfo{}, summary);
  return out.str();
}

std::vector<std::string> lines_of(const std::string& text)
{
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
  }
  return lines;
}

// The line after the one that starts with `title`, `offset` lines further.
std::string line_after(const std::vector<std::string>& lines, const std::string& title, std::size_t offset)
{
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].rfind(title, 0) == 0) {
      REQUIRE(i + offset < lines.size());
      return lines[i + offset];
    }
  }
  FAIL("no line " << title);
  return {};
}

} // namespace

TEST_SUITE("reports.summary_table")
{
  TEST_CASE("without vendors or findings only the totals are written")
  {
    const std::string text = table_of({ok_record("127.0.0.1", 443, 'a', "RSA+SHA256", ProvenanceKind::unknown, "")},
                                      nullptr, true);
    CHECK(text.find("Endpoints:   1   ok: 1   errors: 0") != std::string::npos);
    CHECK(text.find("Devices by vendor") == std::string::npos);
    CHECK(text.find("Findings by code") == std::string::npos);
    CHECK(text.find("Inventory:") == std::string::npos);
  }

  TEST_CASE("devices by vendor x signature x provenance, findings by code, inventory check")
  {
    Inventory inventory;
    for (const char* ip : {"127.0.0.1", "127.0.0.2", "127.0.0.9"}) {
      InventoryRow row;
      row.line = inventory.rows.size() + 2;
      row.ip = ip;
      inventory.rows.push_back(row);
    }
    inventory.index();

    // Three Grandstream devices with RSA+SHA256 factory certificates (the first on both ports: it
    // counts once), one Gigaset self-signed RSA+SHA1 that shares its certificate with an unknown one.
    std::vector<Record> records = {
      ok_record("127.0.0.1", 443, 'a', "RSA+SHA256", ProvenanceKind::factory, "Grandstream"),
      ok_record("127.0.0.1", 5061, 'b', "RSA+SHA256", ProvenanceKind::factory, "Grandstream"),
      ok_record("127.0.0.4", 443, 'd', "RSA+SHA256", ProvenanceKind::factory, "Grandstream"),
      ok_record("127.0.0.5", 443, 'e', "RSA+SHA256", ProvenanceKind::factory, "Grandstream"),
      ok_record("127.0.0.2", 443, 'c', "RSA+SHA1", ProvenanceKind::self_signed, "Gigaset"),
      ok_record("127.0.0.3", 443, 'c', "RSA+SHA1", ProvenanceKind::self_signed, ""),
    };
    records[0].assessment.inventory = inventory.rows[0];
    records[1].assessment.inventory = inventory.rows[0];
    records[4].assessment.inventory = inventory.rows[1];
    records[4].assessment.findings = {{"sha1-rejected", Severity::high, "m", "r"},
                                      {"self-signed", Severity::high, "m", "r"}};
    records[5].assessment.findings = {{"sha1-rejected", Severity::high, "m", "r"}};
    records[1].assessment.findings = {{"expiring", Severity::medium, "m", "r"}};

    const std::vector<std::string> lines = lines_of(table_of(records, &inventory, true));
    const std::string title = "Devices by vendor x signature x provenance:";
    CHECK(line_after(lines, title, 1) == "  VENDOR                        SIGNATURE       PROVENANCE   DEVICES");
    CHECK(line_after(lines, title, 2) == "  Grandstream                   RSA+SHA256      factory      3");
    CHECK(line_after(lines, title, 3) == "  Gigaset                       RSA+SHA1        self-signed  1");
    CHECK(line_after(lines, title, 4) == "  unknown                       RSA+SHA1        self-signed  1");

    // Severity first, then endpoints: shared-certificate (the fleet's) counts each ok port.
    const std::string findings = "Findings by code:";
    CHECK(line_after(lines, findings, 1) == "  CODE                      SEVERITY  ENDPOINTS");
    CHECK(line_after(lines, findings, 2) == "  sha1-rejected             high      2");
    CHECK(line_after(lines, findings, 3) == "  shared-certificate        high      2");
    CHECK(line_after(lines, findings, 4) == "  self-signed               high      1");
    CHECK(line_after(lines, findings, 5) == "  expiring                  medium    1");
    CHECK(line_after(lines, findings, 6) == "  not-in-inventory          low       3");

    CHECK(line_after(lines, "Inventory:", 0) == "Inventory:   not answering 1, not in inventory 3");
  }

  TEST_CASE("without a view only the findings table is written")
  {
    Record record = ok_record("127.0.0.1", 443, 'a', "RSA+SHA1", ProvenanceKind::unknown, "Yealink");
    record.assessment.findings = {{"sha1-rejected", Severity::high, "m", "r"}};
    const std::string text = table_of({record}, nullptr, false);
    CHECK(text.find("Devices by vendor") == std::string::npos);
    CHECK(text.find("  sha1-rejected             high      1") != std::string::npos);
    CHECK(text.find("Inventory:") == std::string::npos);
  }

  TEST_CASE("a code found at two severities gets a row for each, with the findings' own severity")
  {
    // unknown-issuer is medium for a CA nobody can verify, high when it claims to be a factory CA.
    Record plain = ok_record("127.0.0.1", 443, 'a', "RSA+SHA256", ProvenanceKind::custom_ca, "Polycom");
    plain.assessment.findings = {{"unknown-issuer", Severity::medium, "m", "r"}};
    Record claims = ok_record("127.0.0.2", 443, 'b', "RSA+SHA256", ProvenanceKind::custom_ca, "Polycom");
    claims.assessment.findings = {{"unknown-issuer", Severity::high, "m", "r"}};
    Record again = ok_record("127.0.0.3", 443, 'c', "RSA+SHA256", ProvenanceKind::custom_ca, "Polycom");
    again.assessment.findings = {{"unknown-issuer", Severity::high, "m", "r"}};
    const std::string text = table_of({plain, claims, again}, nullptr, false);
    const auto high = text.find("  unknown-issuer            high      2");
    const auto medium = text.find("  unknown-issuer            medium    1");
    CHECK(high != std::string::npos);
    CHECK(medium != std::string::npos);
    CHECK(high < medium); // worst first
  }

  TEST_CASE("provenances resting on unverified issuer names are counted with the hint to give --vendor-ca")
  {
    Record unverified = ok_record("127.0.0.1", 443, 'a', "RSA+SHA256", ProvenanceKind::factory, "Grandstream");
    unverified.assessment.provenance.basis = ProvenanceBasis::issuer_name;
    unverified.assessment.provenance.vendor = "Grandstream";
    unverified.assessment.provenance.issuer_verified = false;
    Record again = unverified;
    again.observation.endpoint.ip = "127.0.0.2";
    Record documented = unverified;
    documented.observation.endpoint.ip = "127.0.0.3";
    documented.assessment.provenance.vendor = "Gigaset";
    documented.assessment.provenance.issuer_verified = true;

    const std::string text = table_of({unverified, again, documented}, nullptr, true);
    CHECK(text.find("Unverified:  2 endpoints are factory only by an issuer name nobody has verified (Grandstream 2); "
                    "names can be forged or be placeholders: give --vendor-ca VENDOR=FILE")
          != std::string::npos);
    CHECK(table_of({documented}, nullptr, true).find("Unverified:") == std::string::npos);
  }

  TEST_CASE("each bundle's counts follow the totals")
  {
    std::ostringstream out;
    SummaryTable table(out);
    ScanInfo info;
    BundleUse vendor_ca;
    vendor_ca.option = "--vendor-ca";
    vendor_ca.vendor = "Grandstream";
    vendor_ca.files = {"old.pem"};
    vendor_ca.certificates = 12;
    BundleUse trust;
    trust.option = "--trust";
    trust.files = {"corp.pem", "corp2.pem"};
    trust.certificates = 3;
    trust.verified = 2;
    info.bundles = {vendor_ca, trust};
    table.begin(info);
    table.finish(info, ScanSummary{});
    const std::vector<std::string> lines = lines_of(out.str());
    CHECK(line_after(lines, "Bundles (certificates verified of those claiming each):", 1).rfind("  BUNDLE", 0) == 0);
    CHECK(line_after(lines, "Bundles (", 2) == "  --vendor-ca Grandstream       0         12        old.pem");
    CHECK(line_after(lines, "Bundles (", 3) == "  --trust                       2         3         corp.pem, corp2.pem");

    std::ostringstream none;
    SummaryTable plain(none);
    plain.finish(ScanInfo{}, ScanSummary{});
    CHECK(none.str().find("Bundles") == std::string::npos);
  }

  TEST_CASE("vendor and label text from certificates cannot reach the terminal raw")
  {
    Record record = ok_record("127.0.0.1", 443, 'a', "RSA\x1b[2J", ProvenanceKind::factory, "Evil\x1b]0;pwned\x07");
    const std::string text = table_of({record}, nullptr, true);
    CHECK(text.find('\x1b') == std::string::npos);
    CHECK(text.find('\x07') == std::string::npos);
    CHECK(text.find("Evil\\x1b]0;pwned\\x07") != std::string::npos);
  }
}
