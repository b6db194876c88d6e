// merge_reports (reports/workflows/report_merge): fleet-wide findings that only two reports together
// show, the same endpoint in two reports (the newer kept, with a warning), audit settings that
// differ (refused, or merged with --force and marked mixed), the merged scan section, bad inputs.

#include "reports/sinks/json_report.hpp"
#include "reports/workflows/report_merge.hpp"
#include "scanner/assessment/audit.hpp"
#include "scanner/assessment/fleet_view.hpp"

#include "support/cert_factory.hpp"
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace fleetcert;
using fleetcert::testing::read_file;
using fleetcert::testing::TempDir;

namespace {

// What a sink saw of a merge.
struct Seen
{
  int begun = 0;
  std::vector<std::string> records; // "ip:port status"
  std::map<std::string, std::set<std::string>> fleet_codes; // ip -> fleet-wide codes of its device
  std::optional<ScanInfo> info;
};

class CollectingSink : public RecordSink
{
public:
  explicit CollectingSink(Seen& seen) : m_seen(seen) {}
  void begin(const ScanInfo&) override { ++m_seen.begun; }
  void write(const Record& record) override
  {
    m_seen.records.push_back(record.observation.endpoint.ip + ":" + std::to_string(record.observation.endpoint.port)
                             + (record.ok() ? " ok" : " error"));
  }
  void fleet(const FleetView& view) override
  {
    for (const Device& device : view.devices()) {
      for (const Finding& finding : device.findings) {
        if (is_fleet_wide_code(finding.code)) {
          m_seen.fleet_codes[device.ip].insert(finding.code);
        }
      }
    }
  }
  void finish(const ScanInfo& info, const ScanSummary&) override { m_seen.info = info; }

private:
  Seen& m_seen;
};

AuditSettings settings_with(const std::string& vendor_ca_sha256)
{
  AuditSettings settings;
  settings.vendor_cas = {{"Grandstream", "gs.pem", vendor_ca_sha256}};
  settings.trust = {{"", "enterprise.pem", std::string(64, 'b')}};
  settings.builtin_profiles_sha256 = std::string(64, 'f');
  return settings;
}

// Certificates: a and b share one key (shared-key between their devices); a is also the certificate
// of two devices when two reports list it (shared-certificate).
struct Certificates
{
  Der a;
  Der b;
  Der other;
};

const Certificates& certificates()
{
  static const Certificates made = [] {
    namespace t = fleetcert::testing;
    auto key = t::generate_key({"ec", 0, "P-256"});
    t::CertSpec spec;
    spec.subject = t::parse_subject("/CN=shared");
    Certificates out;
    out.a = t::to_der(t::make_certificate(spec, key.get(), nullptr, key.get()).get());
    spec.subject = t::parse_subject("/CN=same-key");
    out.b = t::to_der(t::make_certificate(spec, key.get(), nullptr, key.get()).get());
    auto other_key = t::generate_key({"ec", 0, "P-256"});
    spec.subject = t::parse_subject("/CN=alone");
    out.other = t::to_der(t::make_certificate(spec, other_key.get(), nullptr, other_key.get()).get());
    return out;
  }();
  return made;
}

// One endpoint of a report to write: a certificate, or refused.
struct Entry
{
  std::string ip;
  std::uint16_t port = 443;
  const Der* certificate = nullptr;
};

// A saved report of `entries`: a JSON document with scan facts (started at `started_at`, with
// `settings`) or, with `jsonl`, records only.
std::string write_report(const TempDir& dir, const std::string& name, const std::vector<Entry>& entries,
                         std::int64_t started_at, const std::optional<AuditSettings>& settings, bool jsonl = false)
{
  AssessmentSettings assessment;
  assessment.now = 1'800'000'000;
  const std::string path = dir.file(name);
  std::unique_ptr<RecordSink> sink;
  if (jsonl) {
    sink = std::make_unique<JsonlReport>(path);
  } else {
    sink = std::make_unique<JsonReport>(path);
  }
  ScanInfo info;
  info.tool_version = "test";
  info.started_at = started_at;
  info.finished_at = started_at + 60;
  info.arguments = {"fleetcert", "scan", name};
  info.ports = {443};
  info.endpoints_planned = entries.size();
  info.audit_settings = settings;
  sink->begin(info);
  ScanSummary summary;
  for (const Entry& entry : entries) {
    Observation observation;
    observation.endpoint = {entry.ip, entry.port, "", ""};
    if (entry.certificate != nullptr) {
      observation.chain = {*entry.certificate};
    } else {
      observation.error = ErrorClass::refused;
      observation.error_stage = "connect";
    }
    const Record record = make_record(observation, assessment);
    summary.add(record);
    sink->write(record);
  }
  sink->finish(info, summary);
  return path;
}

MergeOptions options_for(std::vector<std::string> inputs)
{
  MergeOptions options;
  options.inputs = std::move(inputs);
  options.tool_version = "test";
  options.merged_at = 1'800'000'500;
  return options;
}

Result<MergeOutcome> merge_into(const MergeOptions& options, Seen& seen)
{
  CollectingSink sink(seen);
  return merge_reports(options, {&sink});
}

bool has_warning(const std::vector<std::string>& warnings, const std::string& part)
{
  return std::any_of(warnings.begin(), warnings.end(),
                     [&](const std::string& warning) { return warning.find(part) != std::string::npos; });
}

} // namespace

TEST_SUITE("reports.report_merge")
{
  TEST_CASE("a key and a certificate shared across reports are fleet-wide findings only once merged")
  {
    TempDir dir;
    const Certificates& certs = certificates();
    const std::string site_a = write_report(dir, "site-a.json", {{"127.0.0.10", 443, &certs.a}, {"127.0.0.12", 443, &certs.other}},
                                            1000, settings_with(std::string(64, 'a')));
    const std::string site_b = write_report(dir, "site-b.json", {{"127.0.0.11", 443, &certs.a}}, 1500,
                                            settings_with(std::string(64, 'a')));
    const std::string site_c = write_report(dir, "site-c.jsonl", {{"127.0.0.15", 443, &certs.b}}, 2000, std::nullopt, true);
    SUBCASE("each report alone shows none")
    {
      for (const std::string& path : {site_a, site_b, site_c}) {
        CAPTURE(path);
        Seen seen;
        REQUIRE(merge_into(options_for({path}), seen));
        CHECK(seen.fleet_codes.empty());
      }
    }
    SUBCASE("merged, JSON documents with a JSONL report")
    {
      Seen seen;
      const Result<MergeOutcome> outcome = merge_into(options_for({site_a, site_b, site_c}), seen);
      REQUIRE(outcome);
      CHECK(seen.records.size() == 4);
      CHECK(seen.fleet_codes["127.0.0.10"] == std::set<std::string>{"shared-certificate", "shared-key"});
      CHECK(seen.fleet_codes["127.0.0.11"] == std::set<std::string>{"shared-certificate", "shared-key"});
      CHECK(seen.fleet_codes["127.0.0.15"] == std::set<std::string>{"shared-key"});
      CHECK(seen.fleet_codes.count("127.0.0.12") == 0);
      // The JSONL report carries no audit settings: said, and the merged ones are unknown.
      REQUIRE(seen.info);
      CHECK(has_warning(outcome->warnings, "carries no audit settings"));
      CHECK(seen.info->merged_from->audit_settings == "unknown");
      CHECK_FALSE(seen.info->audit_settings);
      CHECK(seen.info->unknown.count(ScanFact::times) == 1); // the JSONL has no times
    }
  }

  TEST_CASE("the same endpoint in two reports: the newer scan's record is kept, with a warning")
  {
    TempDir dir;
    const Certificates& certs = certificates();
    const AuditSettings settings = settings_with(std::string(64, 'a'));
    const std::string older = write_report(dir, "older.json", {{"127.0.0.10", 443, &certs.a}, {"127.0.0.11", 443, &certs.other}},
                                           1000, settings);
    const std::string newer = write_report(dir, "newer.json", {{"127.0.0.10", 443, nullptr}, {"127.0.0.20", 443, &certs.b}},
                                           2000, settings);
    for (const std::vector<std::string>& inputs : {std::vector<std::string>{older, newer}, std::vector<std::string>{newer, older}}) {
      CAPTURE(inputs.front());
      Seen seen;
      const Result<MergeOutcome> outcome = merge_into(options_for(inputs), seen);
      REQUIRE(outcome);
      std::vector<std::string> records = seen.records;
      std::sort(records.begin(), records.end());
      CHECK(records == std::vector<std::string>{"127.0.0.10:443 error", "127.0.0.11:443 ok", "127.0.0.20:443 ok"});
      CHECK(outcome->records == 3);
      CHECK(outcome->summary.endpoints == 3);
      REQUIRE(seen.info);
      REQUIRE(seen.info->merged_from);
      const MergedFrom& from = *seen.info->merged_from;
      CHECK(from.duplicate_endpoints == 1);
      REQUIRE(from.inputs.size() == 2);
      const MergedInput& old_input = from.inputs[inputs.front() == older ? 0 : 1];
      CHECK(old_input.path == older);
      CHECK(old_input.records == 2);
      CHECK(old_input.replaced == 1);
      CHECK(has_warning(outcome->warnings, "1 endpoint of '" + older + "' also in the newer '" + newer + "'"));
      CHECK(std::count_if(seen.info->warnings.begin(), seen.info->warnings.end(),
                          [](const ScanWarning& w) { return w.code == "merge-duplicate-endpoints"; })
            == 1);
      // The scan section: the span of both, the settings they share.
      CHECK(seen.info->started_at == 1000);
      CHECK(seen.info->finished_at == 2060);
      CHECK(seen.info->endpoints_planned == 4);
      CHECK(from.audit_settings == "same");
      REQUIRE(seen.info->audit_settings);
      CHECK(*seen.info->audit_settings == settings);
    }
  }

  TEST_CASE("reports made with different audit settings are refused, or merged as mixed with --force")
  {
    TempDir dir;
    const Certificates& certs = certificates();
    const std::string a = write_report(dir, "a.json", {{"127.0.0.10", 443, &certs.a}}, 1000, settings_with(std::string(64, 'a')));
    AuditSettings other_inventory = settings_with(std::string(64, 'a'));
    other_inventory.inventory = {{"", "site-b.csv", std::string(64, 'c')}};
    other_inventory.vendor_cas.front().file = "elsewhere/gs.pem"; // another path, the same content
    const std::string b = write_report(dir, "b.json", {{"127.0.0.11", 443, &certs.b}}, 1000, other_inventory);
    const std::string c = write_report(dir, "c.json", {{"127.0.0.12", 443, &certs.other}}, 1000,
                                       settings_with(std::string(64, '9')));
    SUBCASE("another inventory or path is no difference: its inventory joins the merged settings")
    {
      Seen seen;
      REQUIRE(merge_into(options_for({a, b}), seen));
      REQUIRE(seen.info->audit_settings);
      CHECK(seen.info->audit_settings->inventory == other_inventory.inventory);
      CHECK(seen.info->merged_from->audit_settings == "same");
    }
    SUBCASE("another --vendor-ca bundle is refused before anything is written")
    {
      Seen seen;
      const Result<MergeOutcome> outcome = merge_into(options_for({a, b, c}), seen);
      REQUIRE_FALSE(outcome);
      CHECK(outcome.error().find("'" + a + "' and '" + c + "' were made with different audit settings") != std::string::npos);
      CHECK(outcome.error().find("--vendor-ca") != std::string::npos);
      CHECK(outcome.error().find("--force") != std::string::npos);
      CHECK(seen.begun == 0);
      CHECK(seen.records.empty());
    }
    SUBCASE("--force merges them, says so, and leaves the settings out")
    {
      Seen seen;
      MergeOptions options = options_for({a, b, c});
      options.force = true;
      const Result<MergeOutcome> outcome = merge_into(options, seen);
      REQUIRE(outcome);
      CHECK(seen.records.size() == 3);
      CHECK(has_warning(outcome->warnings, "merged anyway (--force)"));
      CHECK(seen.info->merged_from->audit_settings == "mixed");
      CHECK_FALSE(seen.info->audit_settings);
      CHECK(std::any_of(seen.info->warnings.begin(), seen.info->warnings.end(),
                        [](const ScanWarning& w) { return w.code == "merge-audit-settings-mixed"; }));
    }
  }

  TEST_CASE("audit_settings_difference compares by content, each setting by name")
  {
    const AuditSettings base = settings_with(std::string(64, 'a'));
    AuditSettings same = base;
    same.vendor_cas.front().file = "other/path.pem";
    same.inventory = {{"", "inv.csv", std::string(64, 'c')}};
    same.dhcp_leases = {{"", "leases", std::string(64, 'd')}};
    CHECK_FALSE(audit_settings_difference(base, same));
    AuditSettings two = base;
    two.vendor_cas.push_back({"Yealink", "yl.pem", std::string(64, '1')});
    AuditSettings two_reordered = two;
    std::reverse(two_reordered.vendor_cas.begin(), two_reordered.vendor_cas.end());
    CHECK_FALSE(audit_settings_difference(two, two_reordered));
    CHECK(audit_settings_difference(base, two).value_or("").find("--vendor-ca") != std::string::npos);
    AuditSettings trust = base;
    trust.trust.front().sha256 = std::string(64, '2');
    CHECK(audit_settings_difference(base, trust).value_or("").find("--trust") != std::string::npos);
    AuditSettings builtin = base;
    builtin.builtin_profiles_sha256 = std::string(64, '3');
    CHECK(audit_settings_difference(base, builtin).value_or("").find("built-in") != std::string::npos);
    AuditSettings profiles = base;
    profiles.profile_files = {{"", "profiles/x.json", std::string(64, '4')}};
    CHECK(audit_settings_difference(base, profiles).value_or("").find("--profiles") != std::string::npos);
  }

  TEST_CASE("the merged JSON document says what it was merged from")
  {
    TempDir dir;
    const Certificates& certs = certificates();
    const AuditSettings settings = settings_with(std::string(64, 'a'));
    const std::string a = write_report(dir, "a.json", {{"127.0.0.10", 443, &certs.a}}, 1000, settings);
    const std::string b = write_report(dir, "b.json", {{"127.0.0.11", 443, &certs.a}}, 1500, settings);
    JsonReport json_report(dir.file("merged.json"));
    REQUIRE(merge_reports(options_for({a, b}), {&json_report}));
    const nlohmann::json document = nlohmann::json::parse(read_file(dir.file("merged.json")));
    const nlohmann::json& scan = document.at("scan");
    CHECK(scan.at("started_at") == "1970-01-01T00:16:40Z");
    CHECK(scan.at("finished_at") == "1970-01-01T00:26:00Z");
    CHECK_FALSE(scan.contains("arguments"));
    const nlohmann::json& from = scan.at("merged_from");
    REQUIRE(from.at("inputs").size() == 2);
    CHECK(from.at("inputs")[0].at("path") == a);
    CHECK(from.at("inputs")[0].at("sha256").get<std::string>().size() == 64);
    CHECK(from.at("inputs")[1].at("arguments") == nlohmann::json{"fleetcert", "scan", "b.json"});
    CHECK(from.at("unknown") == nlohmann::json{"arguments"});
    CHECK(from.at("inventory").at("source") == "none");
    CHECK(document.at("records").size() == 2);
    std::set<std::string> codes;
    for (const nlohmann::json& device : document.at("devices")) {
      for (const nlohmann::json& finding : device.at("findings")) {
        codes.insert(finding.at("code").get<std::string>());
      }
    }
    CHECK(codes.count("shared-certificate") == 1);
  }

  TEST_CASE("bad inputs: standard input, one report twice, an unreadable report")
  {
    TempDir dir;
    const Certificates& certs = certificates();
    const std::string a = write_report(dir, "a.json", {{"127.0.0.10", 443, &certs.a}}, 1000, std::nullopt);
    const std::string copy = dir.file("copy.json");
    fleetcert::testing::write_file(copy, read_file(a));
    Seen seen;
    const auto from_stdin = merge_into(options_for({a, "-"}), seen);
    REQUIRE_FALSE(from_stdin);
    CHECK(from_stdin.error().find("standard input") != std::string::npos);
    const auto twice = merge_into(options_for({a, copy}), seen);
    REQUIRE_FALSE(twice);
    CHECK(twice.error().find("are the same report") != std::string::npos);
    const auto missing = merge_into(options_for({a, dir.file("missing.json")}), seen);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().find("missing.json") != std::string::npos);
    CHECK(seen.begun == 0);
  }

  TEST_CASE("a JSONL input whose last line is cut off: refused, or its complete lines merged with allow_partial")
  {
    TempDir dir;
    const Certificates& certs = certificates();
    const std::string a = write_report(dir, "a.json", {{"127.0.0.10", 443, &certs.a}}, 1000, std::nullopt);
    const std::string b = write_report(dir, "b.jsonl", {{"127.0.0.11", 443, &certs.a}, {"127.0.0.12", 443, &certs.b}}, 2000,
                                       std::nullopt, true);
    std::string text = read_file(b);
    REQUIRE(text.size() > 40);
    text.resize(text.size() - 30); // the second record cut, no newline: a killed scan
    fleetcert::testing::write_file(b, text);
    Seen refused;
    const auto strict = merge_into(options_for({a, b}), refused);
    REQUIRE_FALSE(strict);
    CHECK(strict.error().find("b.jsonl:2: the last line is cut off") != std::string::npos);
    CHECK(refused.begun == 0);

    MergeOptions lenient = options_for({a, b});
    lenient.allow_partial = true;
    Seen seen;
    const auto merged = merge_into(lenient, seen);
    REQUIRE(merged);
    CHECK(seen.records.size() == 2); // a's record and b's first
    CHECK(std::any_of(merged->warnings.begin(), merged->warnings.end(), [](const std::string& warning) {
      return warning.find("b.jsonl:2: the last line is cut off") != std::string::npos && warning.find("skipped") != std::string::npos;
    }));
  }
}
