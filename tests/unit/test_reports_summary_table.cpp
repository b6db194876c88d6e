// Summary table: endpoint rows fitted to a width (columns shrunk, then dropped in their order; cells
// cut by display columns, never inside a UTF-8 sequence or an escape) or at full width, the totals,
// the audit tables (devices by vendor x signature x provenance, findings by code, the inventory
// check), the devices per vendor and site, and that no certificate text reaches the terminal raw.

#include "reports/sinks/summary_table.hpp"

#include "reports/encoding/text_safety.hpp"

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

// Runs `records` through a table `width` columns wide, with a fleet view over `inventory` when `with_view`.
std::string table_of(const std::vector<Record>& records, const Inventory* inventory, bool with_view,
                     std::optional<std::size_t> width = std::nullopt)
{
  std::ostringstream out;
  SummaryTable table(out, width);
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

std::vector<std::string> titles_of(const std::vector<TableColumn>& columns)
{
  std::vector<std::string> titles;
  for (const TableColumn& column : columns) {
    titles.emplace_back(column.title);
  }
  return titles;
}

// Display columns of a laid-out line: every column's width and a separator of two between them.
std::size_t layout_width(const std::vector<TableColumn>& columns)
{
  std::size_t total = 0;
  for (const TableColumn& column : columns) {
    total += (total == 0 ? 0 : 2) + column.width;
  }
  return total;
}

// The endpoint rows (the header and one line per record): the lines before the first empty one.
std::vector<std::string> rows_of(const std::string& text)
{
  std::vector<std::string> rows;
  for (const std::string& line : lines_of(text)) {
    if (line.empty()) {
      break;
    }
    rows.push_back(line);
  }
  return rows;
}

// Records whose every text is long, wide or hostile: CJK and emoji, escape sequences, bidi
// overrides, invalid UTF-8, and a long IPv6 endpoint.
std::vector<Record> hostile_records()
{
  Record wide = ok_record("127.0.0.1", 443, 'a', "RSA+SHA256", ProvenanceKind::factory, "\xE5\xA4\xA7\xE5\x8E\x82\xF0\x9F\x93\x9E Vendor Co.");
  wide.chain.front().cn = "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"; // 日本語
  for (int i = 0; i < 5; ++i) {
    wide.chain.front().cn += wide.chain.front().cn;
  }
  InventoryRow row;
  row.mac = "000B82A1B2C3";
  row.site = "M\xC3\xBCnchen-Olympiapark-Geb\xC3\xA4ude-7";
  wide.assessment.inventory = row;
  Record escape = ok_record("127.0.0.2", 5061, 'b', "RSA\x1b[2J", ProvenanceKind::factory, "Evil\x1b]0;pwned\x07");
  escape.chain.front().cn = "\xE2\x80\xAE" "evil\x1b[31mred\x1b[0m\xC2\x9B" + std::string(80, 'x');
  Record latin1 = ok_record("127.0.0.3", 443, 'c', "RSA+SHA1", ProvenanceKind::self_signed, "");
  latin1.chain.front().cn = std::string("Caf\xE9 ") + std::string(60, '\xE9');
  Record v6 = ok_record("2001:db8:1234:5678:9abc:def0:1234:5678", 65535, 'd', "ECDSA+SHA384", ProvenanceKind::custom_ca,
                        "Yealink");
  Record refused;
  refused.observation.endpoint = {"127.0.0.4", 443, "", ""};
  refused.observation.error = ErrorClass::refused;
  refused.observation.error_stage = "connect";
  return {wide, escape, latin1, v6, refused};
}

// No raw escape character, C1 control or bidi override, and valid UTF-8.
void check_terminal_safe(const std::string& line)
{
  INFO(line);
  CHECK(is_valid_utf8(line));
  CHECK(line.find('\x1b') == std::string::npos);
  CHECK(line.find('\x07') == std::string::npos);
  CHECK(line.find("\xC2\x9B") == std::string::npos);
  CHECK(line.find("\xE2\x80\xAE") == std::string::npos);
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

  TEST_CASE("full width: every column in order, no cell cut")
  {
    const std::vector<TableColumn> columns = fit_table_columns(std::nullopt);
    CHECK(titles_of(columns) == std::vector<std::string>{"ENDPOINT", "STATUS", "SITE", "VENDOR", "MAC", "TLS",
                                                         "SIGNATURE", "VERDICT", "VALIDITY", "NOT AFTER", "MODEL",
                                                         "FIRMWARE", "CN"});
    for (const TableColumn& column : columns) {
      CHECK_FALSE(column.cut);
    }
    CHECK(layout_width(columns) == 208);
    // 208 columns hold the whole layout; cells are then cut to their columns.
    const std::vector<TableColumn> fitted = fit_table_columns(208);
    CHECK(titles_of(fitted) == titles_of(columns));
    CHECK(layout_width(fitted) == 208);
    CHECK(fitted.back().cut);
    CHECK_FALSE(fitted.front().cut); // an endpoint is never cut
  }

  TEST_CASE("MODEL and FIRMWARE only with room to spare: every other column at its full width first")
  {
    const std::vector<std::string> base = {"ENDPOINT", "STATUS", "SITE", "VENDOR", "MAC", "TLS",
                                           "SIGNATURE", "VERDICT", "VALIDITY", "NOT AFTER", "CN"};
    CHECK(titles_of(fit_table_columns(176)) == base);
    CHECK(titles_of(fit_table_columns(191)) == base);
    std::vector<std::string> with_model = base;
    with_model.insert(with_model.end() - 1, "MODEL");
    CHECK(titles_of(fit_table_columns(192)) == with_model);
    CHECK(titles_of(fit_table_columns(207)) == with_model);
    CHECK(layout_width(fit_table_columns(192)) == 192);
  }

  TEST_CASE("the model and firmware cells: the inventory's, else announced")
  {
    Record record = ok_record("127.0.0.1", 5061, 'a', "RSA+SHA256", ProvenanceKind::factory, "Gigaset");
    AnnouncedIdentity identity;
    identity.model = "N870 IP PRO";
    identity.firmware = "83.V2.43.0";
    identity.source = IdentitySource::sip_user_agent;
    record.identity = identity;
    const std::string text = table_of({record}, nullptr, true);
    CHECK(text.find("N870 IP PRO") != std::string::npos);
    CHECK(text.find("83.V2.43.0") != std::string::npos);
  }

  TEST_CASE("narrower: CN, VENDOR and SITE shrink, then columns are dropped in their order")
  {
    SUBCASE("one column less: SITE gives it, CN and VENDOR get their room first")
    {
      const std::vector<TableColumn> columns = fit_table_columns(175);
      CHECK(columns.size() == 11);
      CHECK(columns.back().title == "CN");
      CHECK(columns.back().width == 32);
      CHECK(columns[3].width == 16);
      CHECK(columns[2].title == "SITE");
      CHECK(columns[2].width == 11);
    }
    SUBCASE("100: TLS, NOT AFTER, SIGNATURE and MAC dropped, CN gets what is left")
    {
      const std::vector<TableColumn> columns = fit_table_columns(100);
      CHECK(titles_of(columns) ==
            std::vector<std::string>{"ENDPOINT", "STATUS", "SITE", "VENDOR", "VERDICT", "VALIDITY", "CN"});
      CHECK(columns.back().width == 21);
      CHECK(columns[2].width == 6);
      CHECK(columns[3].width == 8);
      CHECK(layout_width(columns) == 100);
    }
    SUBCASE("80: CN dropped too, VENDOR grows back")
    {
      const std::vector<TableColumn> columns = fit_table_columns(80);
      CHECK(titles_of(columns) == std::vector<std::string>{"ENDPOINT", "STATUS", "SITE", "VENDOR", "VERDICT", "VALIDITY"});
      CHECK(columns[3].width == 11);
      CHECK(layout_width(columns) == 80);
    }
    SUBCASE("60: SITE and VENDOR dropped")
    {
      CHECK(titles_of(fit_table_columns(60)) == std::vector<std::string>{"ENDPOINT", "STATUS", "VERDICT", "VALIDITY"});
    }
    SUBCASE("too narrow for anything: ENDPOINT and STATUS stay")
    {
      CHECK(titles_of(fit_table_columns(10)) == std::vector<std::string>{"ENDPOINT", "STATUS"});
      CHECK(titles_of(fit_table_columns(0)) == std::vector<std::string>{"ENDPOINT", "STATUS"});
    }
    SUBCASE("every width from 34 up: never over, and a wider one never shows less")
    {
      std::size_t columns = 2;
      std::size_t used = 34;
      for (std::size_t width = 34; width <= 220; ++width) {
        INFO(width);
        const std::vector<TableColumn> fitted = fit_table_columns(width);
        CHECK(layout_width(fitted) <= width);
        CHECK(fitted.size() >= columns);
        CHECK(layout_width(fitted) >= used);
        columns = fitted.size();
        used = layout_width(fitted);
      }
      CHECK(columns == 13); // MODEL and FIRMWARE too, from 208
    }
  }

  TEST_CASE("the width: --wide, the terminal's, COLUMNS, 80 on a terminal, full width off one")
  {
    CHECK(choose_table_width(true, true, 120, 90) == std::nullopt);
    CHECK(choose_table_width(false, true, 120, 90) == std::optional<std::size_t>(120));
    CHECK(choose_table_width(false, true, std::nullopt, 90) == std::optional<std::size_t>(90));
    CHECK(choose_table_width(false, true, std::nullopt, std::nullopt) == std::optional<std::size_t>(80));
    CHECK(choose_table_width(false, false, std::nullopt, 60) == std::optional<std::size_t>(60));
    CHECK(choose_table_width(false, false, std::nullopt, std::nullopt) == std::nullopt);
  }

  TEST_CASE("fitted rows never exceed the width, cut by display columns and still escaped")
  {
    const std::vector<Record> records = hostile_records();
    for (const std::size_t width : {34, 40, 60, 61, 80, 100, 120, 150, 176}) {
      INFO("width " << width);
      const std::vector<std::string> rows = rows_of(table_of(records, nullptr, true, width));
      REQUIRE(rows.size() == records.size() + 1);
      for (std::size_t i = 0; i < rows.size(); ++i) {
        INFO(rows[i]);
        check_terminal_safe(rows[i]);
        if (i != 4) {
          CHECK(display_width(rows[i]) <= width);
        }
      }
      // The IPv6 endpoint (46 columns in a column of 21) is whole however narrow, with its status;
      // the padding of the cells after it, and the last cell, take back what they can.
      CHECK(rows[4].rfind("[2001:db8:1234:5678:9abc:def0:1234:5678]:65535  ok", 0) == 0);
      CHECK(display_width(rows[4]) <= width + 46 - 21);
      if (width >= 100) {
        CHECK(display_width(rows[4]) <= width);
      }
    }
    // At 176 the CN column is 32 wide: the Japanese CN is cut after 15 characters (30 columns) and "…".
    const std::vector<std::string> rows = rows_of(table_of(records, nullptr, true, 176));
    const std::string fifteen = [] {
      std::string text;
      for (int i = 0; i < 5; ++i) {
        text += "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E";
      }
      return text;
    }();
    CHECK(rows[1].size() >= fifteen.size() + 3);
    CHECK(rows[1].substr(rows[1].size() - fifteen.size() - 3) == fifteen + "\u2026");
    // The escapes are shown, not sent, even when cut.
    CHECK(rows[2].find("\\x1b") != std::string::npos);
    CHECK(rows[2].find("\\u{202e}evil") != std::string::npos);
  }

  TEST_CASE("full width keeps every cell whole, escaped")
  {
    const std::vector<Record> records = hostile_records();
    const std::string text = table_of(records, nullptr, true);
    for (const std::string& row : rows_of(text)) {
      check_terminal_safe(row);
    }
    CHECK(text.find(terminal_safe(records[0].chain.front().cn)) != std::string::npos);
    CHECK(text.find(terminal_safe(records[1].chain.front().cn)) != std::string::npos);
    CHECK(text.find(terminal_safe(records[2].chain.front().cn)) != std::string::npos);
    CHECK(text.find(terminal_safe(records[0].assessment.inventory->site)) != std::string::npos);
    for (const std::string& row : rows_of(text)) {
      CHECK(row.find("\u2026") == std::string::npos);
    }
  }

  TEST_CASE("MAC, vendor and site: the inventory's, else what the certificate said")
  {
    InventoryRow row;
    row.ip = "127.0.0.1";
    row.mac = "000B82000001";
    row.vendor = "Grandstream";
    row.site = "berlin-hq";
    Record answered = ok_record("127.0.0.1", 443, 'a', "RSA+SHA256", ProvenanceKind::factory, "Grandstream");
    answered.assessment.inventory = row;
    answered.assessment.mac = "000B82FFFFFF"; // the CN's: the inventory's wins
    Record silent;
    silent.observation.endpoint = {"127.0.0.1", 5061, "", ""};
    silent.observation.error = ErrorClass::timeout;
    silent.assessment.inventory = row;
    Record unknown = ok_record("127.0.0.2", 443, 'b', "RSA+SHA1", ProvenanceKind::unknown, "");
    unknown.assessment.mac = "0004F2000002";

    const std::vector<std::string> rows = rows_of(table_of({answered, silent, unknown}, nullptr, true));
    REQUIRE(rows.size() == 4);
    CHECK(rows[0].rfind("ENDPOINT               STATUS       SITE          VENDOR            MAC           TLS", 0) == 0);
    CHECK(rows[1].rfind("127.0.0.1:443          ok           berlin-hq     Grandstream       000B82000001  TLSv1.2", 0) == 0);
    CHECK(rows[2].rfind("127.0.0.1:5061         timeout      berlin-hq     Grandstream       000B82000001  -", 0) == 0);
    CHECK(rows[3].rfind("127.0.0.2:443          ok           -             -                 0004F2000002  TLSv1.2", 0) == 0);
    CHECK(rows[1].size() == rows[1].find_last_not_of(' ') + 1); // no trailing blanks
  }

  TEST_CASE("devices overall, per vendor and per site, counted by their worst finding")
  {
    Inventory inventory;
    for (const char* ip : {"127.0.0.1", "127.0.0.2", "127.0.0.3"}) {
      InventoryRow row;
      row.line = inventory.rows.size() + 2;
      row.ip = ip;
      row.site = std::string(ip) == "127.0.0.3" ? "paris" : "berlin";
      inventory.rows.push_back(row);
    }
    inventory.index();
    Record a = ok_record("127.0.0.1", 443, 'a', "RSA+SHA1", ProvenanceKind::factory, "Grandstream");
    a.assessment.inventory = inventory.rows[0];
    a.assessment.findings = {{"sha1-rejected", Severity::high, "m", "r"}};
    Record b = ok_record("127.0.0.2", 443, 'b', "RSA+SHA256", ProvenanceKind::factory, "Grandstream");
    b.assessment.inventory = inventory.rows[1];

    const std::vector<std::string> lines = lines_of(table_of({a, b}, &inventory, true));
    const std::string title = "Devices (crit to info: by the severity of their worst finding):";
    CHECK(line_after(lines, title, 1) == "Totals                   devices  reachable  answering  crit high med low info");
    CHECK(line_after(lines, title, 2) == "Overall");
    CHECK(line_after(lines, title, 3) == "  all                    3        2          2          0    1    1   0   0");
    CHECK(line_after(lines, title, 4) == "By vendor");
    CHECK(line_after(lines, title, 5) == "  (none)                 1        0          0          0    0    1   0   0");
    CHECK(line_after(lines, title, 6) == "  Grandstream            2        2          2          0    1    0   0   0");
    CHECK(line_after(lines, title, 7) == "By site");
    CHECK(line_after(lines, title, 8) == "  berlin                 2        2          2          0    1    0   0   0");
    CHECK(line_after(lines, title, 9) == "  paris                  1        0          0          0    0    1   0   0");
    for (std::size_t i = 0; i < 10; ++i) {
      CHECK(display_width(line_after(lines, title, i)) <= 80);
    }

    // Without sites or vendors, only the overall line.
    const std::string plain = table_of({ok_record("127.0.0.1", 443, 'a', "RSA+SHA256", ProvenanceKind::unknown, "")},
                                       nullptr, true);
    CHECK(plain.find("Overall") != std::string::npos);
    CHECK(plain.find("By vendor") == std::string::npos);
    CHECK(plain.find("By site") == std::string::npos);
    // Without a device view, none.
    CHECK(table_of({a}, nullptr, false).find("Totals") == std::string::npos);
  }
}
