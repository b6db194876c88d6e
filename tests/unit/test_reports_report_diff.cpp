// The pure diff of two audits on hand-built reports: every kind of change, a device that moved
// (matched by MAC), ties in the orders, the same certificate on both sides, findings added,
// removed and ignored, ports that stopped or started answering, and the JSON and text renderings.

#include "reports/workflows/report_diff.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

using namespace fleetcert;
using nlohmann::json;

namespace {

Finding finding(const std::string& code, Severity severity)
{
  return {code, severity, code + " message", "fix it"};
}

// A port that presented a factory ECDSA+SHA384 certificate, valid, without findings.
ReportEndpoint ok(const std::string& ip, std::uint16_t port, const std::string& sha256, const std::string& mac = "")
{
  ReportEndpoint e;
  e.ip = ip;
  e.port = port;
  e.ok = true;
  e.sha256 = sha256;
  e.cn = mac.empty() ? "phone" : mac;
  e.cn_mac = mac;
  e.cn_class = mac.empty() ? CnClass::other : CnClass::mac;
  e.signature_label = "ECDSA+SHA384";
  e.signature_verdict = SignatureVerdict::current;
  e.provenance_kind = ProvenanceKind::factory;
  e.provenance_basis = ProvenanceBasis::chain;
  e.validity = Validity::valid;
  e.vendor = "Grandstream";
  return e;
}

ReportEndpoint error(const std::string& ip, std::uint16_t port, ErrorClass error_class = ErrorClass::refused)
{
  ReportEndpoint e;
  e.ip = ip;
  e.port = port;
  e.error_class = error_class;
  return e;
}

ScanReport report(std::vector<ReportEndpoint> endpoints, const std::string& format = "json")
{
  ScanReport r;
  r.path = format == "json" ? "audit.json" : "audit.jsonl";
  r.format = format;
  r.started_at = "2026-11-23T02:30:00Z";
  r.endpoints = std::move(endpoints);
  return r;
}

AuditSettings settings_with_bundle(const std::string& file, char content)
{
  AuditSettings settings;
  settings.vendor_cas = {{"Grandstream", file, std::string(64, content)}};
  settings.builtin_profiles_sha256 = std::string(64, '0');
  return settings;
}

// `endpoint` with the identity it announced on its port (a Gigaset over SIP unless told).
ReportEndpoint announcing(ReportEndpoint endpoint, const std::string& firmware, const std::string& model = "N870 IP PRO",
                          const std::string& mac = "7C2F80C6E5C2",
                          IdentitySource source = IdentitySource::sip_user_agent)
{
  AnnouncedIdentity identity;
  identity.vendor = "Gigaset";
  identity.model = model;
  identity.firmware = firmware;
  identity.mac = mac;
  identity.source = source;
  identity.raw = "Gigaset " + model + "/" + firmware + ";" + mac;
  endpoint.identity = identity;
  return endpoint;
}

// `endpoint` whose identity exchange ran and read nothing: `error` says why.
ReportEndpoint not_announcing(ReportEndpoint endpoint, const std::string& error)
{
  AnnouncedIdentity identity;
  identity.error = error;
  endpoint.identity = identity;
  return endpoint;
}

const ChangeReason* reason_of(const DeviceChange& change, const std::string& field)
{
  for (const ChangeReason& reason : change.reasons) {
    if (reason.field == field) {
      return &reason;
    }
  }
  return nullptr;
}

const DeviceChange* change_at(const ReportDiff& diff, const std::string& ip)
{
  for (const DeviceChange& change : diff.changes) {
    if (change.current().ip == ip) {
      return &change;
    }
  }
  return nullptr;
}

bool has_reason(const DeviceChange& change, ChangeKind effect, const std::string& field)
{
  for (const ChangeReason& reason : change.reasons) {
    if (reason.effect == effect && reason.field == field) {
      return true;
    }
  }
  return false;
}

} // namespace

TEST_SUITE("reports.report_diff")
{
  TEST_CASE("the orders: verdict, provenance, validity")
  {
    CHECK(signature_verdict_rank(SignatureVerdict::current) > signature_verdict_rank(SignatureVerdict::legacy));
    CHECK(signature_verdict_rank(SignatureVerdict::legacy) > signature_verdict_rank(SignatureVerdict::rejected));
    CHECK(signature_verdict_rank(SignatureVerdict::rejected) > signature_verdict_rank(std::nullopt));
    using K = ProvenanceKind;
    using B = ProvenanceBasis;
    CHECK(provenance_rank(K::factory, B::chain) > provenance_rank(K::factory, B::issuer_name));
    CHECK(provenance_rank(K::factory, B::issuer_name) > provenance_rank(K::custom_ca, B::chain));
    CHECK(provenance_rank(K::factory, std::nullopt) == provenance_rank(K::factory, B::issuer_name));
    CHECK(provenance_rank(K::custom_ca, B::chain) > provenance_rank(K::custom_ca, B::issuer_name));
    CHECK(provenance_rank(K::custom_ca, B::issuer_name) > provenance_rank(K::self_signed, B::chain));
    CHECK(provenance_rank(K::self_signed, B::chain) > provenance_rank(K::unknown, B::none));
    CHECK(provenance_rank(K::unknown, B::none) == provenance_rank(std::nullopt, std::nullopt));
    CHECK(validity_rank(Validity::valid) > validity_rank(Validity::expiring));
    CHECK(validity_rank(Validity::expiring) > validity_rank(Validity::expired));
    CHECK(validity_rank(Validity::expired) == validity_rank(Validity::not_yet_valid));
    CHECK(validity_rank(Validity::expired) > validity_rank(std::nullopt));
  }

  TEST_CASE("a report compared with itself has no change")
  {
    const ScanReport a = report({ok("10.0.0.1", 443, "aa", "000B82000001"), ok("10.0.0.1", 5061, "aa", "000B82000001"),
                                 ok("10.0.0.2", 443, "bb"), error("10.0.0.3", 443)});
    const ReportDiff diff = diff_reports(a, a);
    CHECK(diff.changes.empty());
    CHECK(diff.unchanged == 2); // the never-answering address is not a device to compare
    CHECK_FALSE(diff.worse());
  }

  TEST_CASE("rotated: another certificate, nothing better or worse")
  {
    const ReportDiff diff = diff_reports(report({ok("10.0.0.1", 443, "aa", "000B82000001")}),
                                         report({ok("10.0.0.1", 443, "cc", "000B82000001")}));
    REQUIRE(diff.changes.size() == 1);
    CHECK(diff.changes[0].kind == ChangeKind::rotated);
    CHECK(diff.changes[0].also.empty());
    CHECK(diff.totals.at(ChangeKind::rotated) == 1);
    CHECK_FALSE(diff.worse());
  }

  TEST_CASE("the same certificate with a finding added is worse, not rotated")
  {
    ReportEndpoint after = ok("10.0.0.1", 443, "aa");
    after.findings = {finding("not-in-inventory", Severity::low)};
    const ReportDiff diff = diff_reports(report({ok("10.0.0.1", 443, "aa")}), report({after}));
    REQUIRE(diff.changes.size() == 1);
    CHECK(diff.changes[0].kind == ChangeKind::worse);
    CHECK(diff.changes[0].also.empty());
    CHECK(has_reason(diff.changes[0], ChangeKind::worse, "finding"));
    CHECK(diff.worse());
  }

  TEST_CASE("worse: signature downgraded to SHA1, a new finding, expired")
  {
    ReportEndpoint sha1 = ok("10.0.0.1", 443, "dd", "000B82000001");
    sha1.signature_label = "RSA+SHA1";
    sha1.signature_verdict = SignatureVerdict::rejected;
    sha1.findings = {finding("sha1-rejected", Severity::high)};
    ReportEndpoint expired = ok("10.0.0.2", 443, "bb");
    expired.validity = Validity::expired;
    expired.findings = {finding("expired", Severity::high)};
    const ReportDiff diff = diff_reports(report({ok("10.0.0.1", 443, "aa", "000B82000001"), ok("10.0.0.2", 443, "bb")}),
                                         report({sha1, expired}));
    REQUIRE(diff.changes.size() == 2);
    const DeviceChange* downgraded = change_at(diff, "10.0.0.1");
    REQUIRE(downgraded != nullptr);
    CHECK(downgraded->kind == ChangeKind::worse);
    CHECK(downgraded->also == std::vector<ChangeKind>{ChangeKind::rotated});
    CHECK(has_reason(*downgraded, ChangeKind::worse, "signature_verdict"));
    CHECK(has_reason(*downgraded, ChangeKind::worse, "finding"));
    const DeviceChange* old = change_at(diff, "10.0.0.2");
    REQUIRE(old != nullptr);
    CHECK(old->kind == ChangeKind::worse);
    CHECK(has_reason(*old, ChangeKind::worse, "validity"));
    CHECK_FALSE(has_reason(*old, ChangeKind::rotated, "certificate")); // same certificate, time passed
    CHECK(diff.worse());
    CHECK(diff.totals.at(ChangeKind::worse) == 2);
  }

  TEST_CASE("better: self-signed replaced by a factory certificate, finding resolved")
  {
    ReportEndpoint before = ok("10.0.0.1", 443, "aa", "000B82000001");
    before.provenance_kind = ProvenanceKind::self_signed;
    before.findings = {finding("self-signed", Severity::high)};
    const ReportDiff diff =
        diff_reports(report({before}), report({ok("10.0.0.1", 443, "bb", "000B82000001")}));
    REQUIRE(diff.changes.size() == 1);
    CHECK(diff.changes[0].kind == ChangeKind::better);
    CHECK(diff.changes[0].also == std::vector<ChangeKind>{ChangeKind::rotated});
    CHECK(has_reason(diff.changes[0], ChangeKind::better, "provenance"));
    CHECK(has_reason(diff.changes[0], ChangeKind::better, "finding"));
    CHECK_FALSE(diff.worse());
  }

  TEST_CASE("RSA+SHA256 to RSA+SHA1 is worse, the legacy generation it leaves is not called better")
  {
    ReportEndpoint before = ok("10.0.0.1", 443, "aa", "000B82000001");
    before.signature_label = "RSA+SHA256";
    before.findings = {finding("legacy-generation", Severity::medium)};
    ReportEndpoint after = ok("10.0.0.1", 443, "bb", "000B82000001");
    after.signature_label = "RSA+SHA1";
    after.signature_verdict = SignatureVerdict::rejected;
    after.findings = {finding("sha1-rejected", Severity::high)};
    const ReportDiff diff = diff_reports(report({before}), report({after}));
    REQUIRE(diff.changes.size() == 1);
    const DeviceChange& change = diff.changes[0];
    CHECK(change.kind == ChangeKind::worse);
    CHECK(change.also == std::vector<ChangeKind>{ChangeKind::rotated, ChangeKind::changed});
    CHECK(diff.worse());
    CHECK(diff.totals.at(ChangeKind::better) == 0);
    std::vector<std::string> texts;
    for (const ChangeReason& reason : change.reasons) {
      CHECK(reason.effect != ChangeKind::better);
      texts.push_back(std::string(to_string(reason.effect)) + ": " + reason.text);
    }
    const std::vector<std::string> expected = {
        "rotated: port 443: new certificate bb (was aa), RSA+SHA256 -> RSA+SHA1",
        "worse: port 443: signature RSA+SHA256 -> RSA+SHA1 (rejected, was current)",
        "worse: new finding sha1-rejected (high): sha1-rejected message",
        "changed: resolved legacy-generation (medium)",
    };
    CHECK(texts == expected);
    const std::string text = diff_to_text(diff, report({before}), report({after}));
    CHECK(text.find("better:") == std::string::npos);
    CHECK(text.find("WORSE    10.0.0.1") != std::string::npos);
  }

  TEST_CASE("the verdict ranks before the findings")
  {
    // Fewer and milder findings, but the signature verdict dropped: worse.
    ReportEndpoint before = ok("10.0.0.1", 443, "aa");
    before.findings = {finding("self-signed", Severity::high), finding("expiring", Severity::medium)};
    ReportEndpoint after = ok("10.0.0.1", 443, "aa");
    after.signature_verdict = SignatureVerdict::legacy;
    const ReportDiff worse = diff_reports(report({before}), report({after}));
    REQUIRE(worse.changes.size() == 1);
    CHECK(worse.changes[0].kind == ChangeKind::worse);
    CHECK(has_reason(worse.changes[0], ChangeKind::worse, "signature_verdict"));
    CHECK(has_reason(worse.changes[0], ChangeKind::changed, "finding"));
    CHECK_FALSE(has_reason(worse.changes[0], ChangeKind::better, "finding"));
    // And the other way round: the verdict rose while a new finding came: better, the finding "changed".
    const ReportDiff better = diff_reports(report({after}), report({before}));
    REQUIRE(better.changes.size() == 1);
    CHECK(better.changes[0].kind == ChangeKind::better);
    CHECK(has_reason(better.changes[0], ChangeKind::better, "signature_verdict"));
    CHECK(has_reason(better.changes[0], ChangeKind::changed, "finding"));
    CHECK_FALSE(has_reason(better.changes[0], ChangeKind::worse, "finding"));
    CHECK_FALSE(better.worse());
  }

  TEST_CASE("a finding resolved while a worse one appeared is worse, never better")
  {
    ReportEndpoint before = ok("10.0.0.1", 443, "aa");
    before.findings = {finding("legacy-generation", Severity::medium)};
    ReportEndpoint after = ok("10.0.0.1", 443, "aa");
    after.findings = {finding("mac-mismatch", Severity::high)};
    const ReportDiff diff = diff_reports(report({before}), report({after}));
    REQUIRE(diff.changes.size() == 1);
    CHECK(diff.changes[0].kind == ChangeKind::worse);
    CHECK(diff.changes[0].also == std::vector<ChangeKind>{ChangeKind::changed});
    CHECK_FALSE(has_reason(diff.changes[0], ChangeKind::better, "finding"));
    // Two medium findings for one high: worse (severity first, then the count).
    ReportEndpoint two = ok("10.0.0.1", 443, "aa");
    two.findings = {finding("legacy-generation", Severity::medium), finding("expiring", Severity::medium)};
    CHECK(diff_reports(report({two}), report({after})).changes.at(0).kind == ChangeKind::worse);
    CHECK(diff_reports(report({after}), report({two})).changes.at(0).kind == ChangeKind::better);
    // One medium for two: worse by count.
    CHECK(diff_reports(report({before}), report({two})).changes.at(0).kind == ChangeKind::worse);
  }

  TEST_CASE("one finding traded for another of the same severity is neither worse nor better")
  {
    ReportEndpoint before = ok("10.0.0.1", 443, "aa");
    before.findings = {finding("expired", Severity::high)};
    ReportEndpoint after = ok("10.0.0.1", 443, "aa");
    after.findings = {finding("mac-mismatch", Severity::high)};
    const ReportDiff diff = diff_reports(report({before}), report({after}));
    REQUIRE(diff.changes.size() == 1);
    CHECK(diff.changes[0].kind == ChangeKind::changed);
    CHECK(diff.changes[0].also.empty());
    CHECK_FALSE(diff.worse());
    for (const ChangeReason& reason : diff.changes[0].reasons) {
      CHECK(reason.effect == ChangeKind::changed);
    }
  }

  TEST_CASE("--vanished-is-worse makes a device worse, and nothing of it better")
  {
    ReportEndpoint before = ok("10.0.0.1", 443, "aa");
    before.findings = {finding("expired", Severity::high)};
    DiffOptions strict;
    strict.vanished_is_worse = true;
    const ReportDiff diff = diff_reports(report({before, ok("10.0.0.1", 5061, "bb")}),
                                         report({ok("10.0.0.1", 443, "aa"), error("10.0.0.1", 5061)}), strict);
    REQUIRE(diff.changes.size() == 1);
    CHECK(diff.changes[0].kind == ChangeKind::worse);
    CHECK(has_reason(diff.changes[0], ChangeKind::changed, "finding")); // expired resolved, not "better"
    CHECK_FALSE(has_reason(diff.changes[0], ChangeKind::better, "finding"));
  }

  TEST_CASE("ties in an order are not changes")
  {
    ReportEndpoint before = ok("10.0.0.1", 443, "aa");
    before.validity = Validity::expired;
    ReportEndpoint after = before;
    after.validity = Validity::not_yet_valid;
    after.signature_label = "RSA+SHA256"; // another label, same verdict
    const ReportDiff diff = diff_reports(report({before}), report({after}));
    CHECK(diff.changes.empty());
    CHECK(diff.unchanged == 1);
  }

  TEST_CASE("a finding's severity going up is worse")
  {
    ReportEndpoint before = ok("10.0.0.1", 443, "aa");
    before.findings = {finding("unknown-issuer", Severity::medium)};
    ReportEndpoint after = before;
    after.findings = {finding("unknown-issuer", Severity::high)};
    const ReportDiff diff = diff_reports(report({before}), report({after}));
    REQUIRE(diff.changes.size() == 1);
    CHECK(diff.changes[0].kind == ChangeKind::worse);
  }

  TEST_CASE("moved: the same MAC at another address is one change, not vanished + appeared")
  {
    const ScanReport before = report({ok("10.0.0.1", 443, "aa", "000B82000001"), ok("10.0.0.2", 443, "bb", "000B82000002")});
    const ScanReport after = report({ok("10.0.0.9", 443, "aa", "000B82000001"), ok("10.0.0.2", 443, "bb", "000B82000002"),
                                     error("10.0.0.1", 443)});
    const ReportDiff diff = diff_reports(before, after);
    REQUIRE(diff.changes.size() == 1);
    const DeviceChange& moved = diff.changes[0];
    CHECK(moved.kind == ChangeKind::moved);
    REQUIRE(moved.before);
    REQUIRE(moved.after);
    CHECK(moved.before->ip == "10.0.0.1");
    CHECK(moved.after->ip == "10.0.0.9");
    CHECK(diff.totals.at(ChangeKind::vanished) == 0);
    CHECK(diff.totals.at(ChangeKind::appeared) == 0);
    CHECK(diff.unchanged == 1);

    // Moved with a new certificate: rotated first, moved as well.
    const ScanReport rotated = report({ok("10.0.0.9", 443, "cc", "000B82000001"), ok("10.0.0.2", 443, "bb", "000B82000002")});
    const ReportDiff diff2 = diff_reports(before, rotated);
    REQUIRE(diff2.changes.size() == 1);
    CHECK(diff2.changes[0].kind == ChangeKind::rotated);
    CHECK(diff2.changes[0].also == std::vector<ChangeKind>{ChangeKind::moved});
  }

  TEST_CASE("two devices that swapped addresses are two moves")
  {
    const ReportDiff diff =
        diff_reports(report({ok("10.0.0.1", 443, "aa", "000B82000001"), ok("10.0.0.2", 443, "bb", "000B82000002")}),
                     report({ok("10.0.0.2", 443, "aa", "000B82000001"), ok("10.0.0.1", 443, "bb", "000B82000002")}));
    REQUIRE(diff.changes.size() == 2);
    CHECK(diff.changes[0].kind == ChangeKind::moved);
    CHECK(diff.changes[1].kind == ChangeKind::moved);
  }

  TEST_CASE("a MAC on two addresses is not used for matching")
  {
    // The same certificate (same MAC CN) copied onto two devices: matched by address instead.
    const ReportDiff diff =
        diff_reports(report({ok("10.0.0.1", 443, "aa", "000B82000001"), ok("10.0.0.2", 443, "aa", "000B82000001")}),
                     report({ok("10.0.0.2", 443, "aa", "000B82000001"), ok("10.0.0.3", 443, "aa", "000B82000001")}));
    CHECK(diff.totals.at(ChangeKind::moved) == 0);
    CHECK(diff.totals.at(ChangeKind::vanished) == 1);
    CHECK(diff.totals.at(ChangeKind::appeared) == 1);
    CHECK(diff.unchanged == 1);
  }

  TEST_CASE("appeared and vanished, absent or not answering")
  {
    const ScanReport before = report({ok("10.0.0.1", 443, "aa"), ok("10.0.0.2", 443, "bb"), error("10.0.0.3", 443)});
    const ScanReport after = report({error("10.0.0.2", 443, ErrorClass::timeout), ok("10.0.0.3", 443, "cc"), ok("10.0.0.4", 443, "dd")});
    const ReportDiff diff = diff_reports(before, after);
    CHECK(diff.totals.at(ChangeKind::vanished) == 2); // .1 absent, .2 ok -> timeout
    CHECK(diff.totals.at(ChangeKind::appeared) == 2); // .3 error -> ok, .4 new
    CHECK_FALSE(diff.worse());
    const DeviceChange* gone = change_at(diff, "10.0.0.2");
    REQUIRE(gone != nullptr);
    CHECK(gone->kind == ChangeKind::vanished);
    REQUIRE(gone->after);
    CHECK(gone->after->ports.at(0).status == "timeout");
    const DeviceChange* absent = change_at(diff, "10.0.0.1");
    REQUIRE(absent != nullptr);
    CHECK_FALSE(absent->after.has_value());
    // In kind order: appeared before vanished, each by address.
    REQUIRE(diff.changes.size() == 4);
    CHECK(diff.changes[0].current().ip == "10.0.0.3");
    CHECK(diff.changes[1].current().ip == "10.0.0.4");
    CHECK(diff.changes[2].current().ip == "10.0.0.1");

    DiffOptions strict;
    strict.vanished_is_worse = true;
    CHECK(diff_reports(before, after, strict).worse());
  }

  TEST_CASE("errors in both audits are not changes")
  {
    const ReportDiff diff = diff_reports(report({error("10.0.0.1", 443, ErrorClass::refused), error("10.0.0.2", 443)}),
                                         report({error("10.0.0.1", 443, ErrorClass::timeout)}));
    CHECK(diff.changes.empty());
    CHECK(diff.unchanged == 0);
  }

  TEST_CASE("a port that stops or starts answering on a device that still answers")
  {
    const ScanReport before = report({ok("10.0.0.1", 443, "aa"), ok("10.0.0.1", 5061, "aa"), ok("10.0.0.2", 443, "bb"),
                                      error("10.0.0.2", 5061)});
    const ScanReport after = report({ok("10.0.0.1", 443, "aa"), error("10.0.0.1", 5061, ErrorClass::reset), ok("10.0.0.2", 443, "bb"),
                                     ok("10.0.0.2", 5061, "bb")});
    const ReportDiff diff = diff_reports(before, after);
    REQUIRE(diff.changes.size() == 2);
    CHECK(diff.changes[0].kind == ChangeKind::changed);
    CHECK(diff.changes[1].kind == ChangeKind::changed);
    CHECK(has_reason(diff.changes[0], ChangeKind::changed, "answering"));
    CHECK_FALSE(diff.worse());

    DiffOptions strict;
    strict.vanished_is_worse = true;
    const ReportDiff strict_diff = diff_reports(before, after, strict);
    REQUIRE(change_at(strict_diff, "10.0.0.1") != nullptr);
    CHECK(change_at(strict_diff, "10.0.0.1")->kind == ChangeKind::worse);
    CHECK(change_at(strict_diff, "10.0.0.2")->kind == ChangeKind::changed);
  }

  TEST_CASE("a finding is resolved only where the port was audited again")
  {
    ReportEndpoint sha1 = ok("10.0.0.1", 443, "aa");
    sha1.findings = {finding("sha1-rejected", Severity::high)};
    const ReportDiff diff = diff_reports(report({sha1, ok("10.0.0.1", 5061, "bb")}),
                                         report({error("10.0.0.1", 443), ok("10.0.0.1", 5061, "bb")}));
    REQUIRE(diff.changes.size() == 1);
    CHECK(diff.changes[0].kind == ChangeKind::changed); // port 443 stopped answering; not "better"
    CHECK_FALSE(has_reason(diff.changes[0], ChangeKind::better, "finding"));
  }

  TEST_CASE("a port that starts answering with a bad certificate is worse")
  {
    ReportEndpoint sha1 = ok("10.0.0.1", 5061, "bb");
    sha1.findings = {finding("sha1-rejected", Severity::high)};
    const ReportDiff diff = diff_reports(report({ok("10.0.0.1", 443, "aa"), error("10.0.0.1", 5061)}),
                                         report({ok("10.0.0.1", 443, "aa"), sha1}));
    REQUIRE(diff.changes.size() == 1);
    CHECK(diff.changes[0].kind == ChangeKind::worse);
    CHECK(diff.changes[0].also == std::vector<ChangeKind>{ChangeKind::changed});
  }

  TEST_CASE("--ignore and fleet-wide findings of JSONL reports")
  {
    ReportEndpoint after = ok("10.0.0.1", 443, "aa");
    after.findings = {finding("legacy-generation", Severity::medium), finding("shared-certificate", Severity::high)};
    DiffOptions options;
    options.ignored_codes = {"legacy-generation"};
    const ReportDiff json_diff = diff_reports(report({ok("10.0.0.1", 443, "aa")}), report({after}), options);
    REQUIRE(json_diff.changes.size() == 1);
    REQUIRE(json_diff.changes[0].reasons.size() == 1);
    CHECK(json_diff.changes[0].reasons[0].code == "shared-certificate");
    // A JSONL report has no fleet-wide findings: they are not compared.
    const ReportDiff mixed = diff_reports(report({ok("10.0.0.1", 443, "aa")}, "jsonl"), report({after}), options);
    CHECK_FALSE(mixed.fleet_findings_compared);
    CHECK(mixed.changes.empty());
  }

  TEST_CASE("MAC, vendor and site changes at the same address")
  {
    ReportEndpoint before = ok("10.0.0.1", 443, "aa", "000B82000001");
    InventoryRow row;
    row.ip = "10.0.0.1";
    row.site = "HQ";
    before.inventory = row;
    ReportEndpoint after = ok("10.0.0.1", 443, "aa", "000B82000001");
    row.site = "Branch";
    after.inventory = row;
    const ReportDiff diff = diff_reports(report({before}), report({after}));
    REQUIRE(diff.changes.size() == 1);
    CHECK(diff.changes[0].kind == ChangeKind::changed);
    CHECK(has_reason(diff.changes[0], ChangeKind::changed, "site"));
  }

  TEST_CASE("the JSON document and the text")
  {
    ReportEndpoint sha1 = ok("10.0.0.1", 443, "dd", "000B82000001");
    sha1.signature_verdict = SignatureVerdict::rejected;
    sha1.vendor = "Evil\x1b[31mCorp";
    const ScanReport before = report({ok("10.0.0.1", 443, "aa", "000B82000001")});
    const ScanReport after = report({sha1, ok("10.0.0.5", 443, "ee")});
    const DiffOptions options;
    const ReportDiff diff = diff_reports(before, after, options);
    const json document = diff_to_json(diff, before, after, options);
    CHECK(document.at("schema") == "fleetcert-diff/1");
    CHECK(document.at("old").at("path") == "audit.json");
    CHECK(document.at("old").at("started_at") == "2026-11-23T02:30:00Z");
    CHECK(document.at("worse") == true);
    CHECK(document.at("totals").at("worse") == 1);
    CHECK(document.at("totals").at("appeared") == 1);
    CHECK(document.at("totals").at("unchanged") == 0);
    const json& first = document.at("changes").at(0);
    CHECK(first.at("kind") == "worse");
    CHECK(first.at("worse") == true);
    CHECK(first.at("ip") == "10.0.0.1");
    CHECK(first.at("mac") == "000B82000001");
    CHECK(first.at("also") == json::array({"rotated", "changed"})); // and the vendor
    CHECK(first.at("before").at("ports").at(0).at("sha256") == "aa");
    CHECK(first.at("after").at("ports").at(0).at("signature_verdict") == "rejected");
    bool verdict_reason = false;
    for (const json& reason : first.at("reasons")) {
      if (reason.at("field") == "signature_verdict") {
        verdict_reason = true;
        CHECK(reason.at("port") == 443);
        CHECK(reason.at("before") == "current");
        CHECK(reason.at("after") == "rejected");
        CHECK(reason.at("effect") == "worse");
      }
    }
    CHECK(verdict_reason);
    CHECK(document.at("changes").at(1).at("before").is_null());

    const std::string text = diff_to_text(diff, before, after);
    CHECK(text.find('\x1b') == std::string::npos);
    CHECK(text.find("Evil\\x1b[31mCorp") != std::string::npos);
    CHECK(text.find("WORSE") != std::string::npos);
    CHECK(text.find("totals: 1 worse, 0 better, 0 audit settings changed, 0 rotated, 0 moved, 1 appeared, 0 vanished, "
                    "0 changed, 0 unchanged") != std::string::npos);
    // Neither report records its audit settings: they are not compared, and the diff says so.
    CHECK(document.at("totals").at("audit-settings-changed") == 0);
    CHECK(document.at("audit_settings").at("compared") == false);
    CHECK(document.at("audit_settings").at("differ") == false);
    REQUIRE(document.at("warnings").size() == 1);
    CHECK(document.at("warnings").at(0).get<std::string>().find("cannot be compared") != std::string::npos);
    CHECK(text.find("warning: the audit settings (vendor and trust bundles, inventory, profiles) cannot be compared") !=
          std::string::npos);
  }

  TEST_CASE("audit settings compared by content: what differs, named")
  {
    const AuditSettings a = settings_with_bundle("gs.pem", 'a');
    CHECK(audit_settings_differences(a, a).empty());
    CHECK(audit_settings_differences(a, settings_with_bundle("elsewhere/gs.pem", 'a')).empty()); // same content
    AuditSettings lower = a;
    lower.vendor_cas[0].vendor = "grandstream";
    CHECK(audit_settings_differences(a, lower).empty());

    const auto bundle = audit_settings_differences(a, settings_with_bundle("gs.pem", 'b'));
    REQUIRE(bundle.size() == 1);
    CHECK(bundle[0].rfind("--vendor-ca 'Grandstream': old 'gs.pem' (sha256 aaaaaaaaaaaaaaaa...); new 'gs.pem' "
                          "(sha256 bbbbbbbbbbbbbbbb...)",
                          0) == 0);
    AuditSettings more = a;
    more.vendor_cas.push_back({"Gigaset", "gigaset.pem", std::string(64, 'c')});
    more.trust = {{"", "enterprise.pem", std::string(64, 'd')}};
    more.inventory = {{"", "inventory.csv", std::string(64, 'e')}};
    more.dhcp_leases = {{"", "leases", std::string(64, 'f')}};
    more.profile_files = {{"", "profiles/polycom.json", std::string(64, '1')}};
    more.builtin_profiles_sha256 = std::string(64, '2');
    const auto all = audit_settings_differences(a, more);
    REQUIRE(all.size() == 6);
    CHECK(all[0].rfind("--vendor-ca 'Gigaset': old none; new 'gigaset.pem'", 0) == 0);
    CHECK(all[1].rfind("--trust: old none; new 'enterprise.pem'", 0) == 0);
    CHECK(all[2].rfind("--inventory: ", 0) == 0);
    CHECK(all[3].rfind("--dhcp-leases: ", 0) == 0);
    CHECK(all[4].rfind("the built-in vendor profiles differ", 0) == 0);
    CHECK(all[5].rfind("--profiles: ", 0) == 0);
  }

  TEST_CASE("another vendor bundle: provenance changes on the same certificate are audit-settings-changed")
  {
    ReportEndpoint before = ok("10.0.0.1", 443, "aa", "000B82000001");
    ReportEndpoint after = before; // the same certificate, no longer verified by the new bundle
    after.provenance_kind = ProvenanceKind::unknown;
    after.provenance_basis = ProvenanceBasis::none;
    after.findings = {finding("unknown-issuer", Severity::medium)};
    after.vendor = "";
    ReportEndpoint sha1_before = ok("10.0.0.2", 443, "bb", "000B82000002");
    ReportEndpoint sha1_after = ok("10.0.0.2", 443, "cc", "000B82000002"); // really got worse
    sha1_after.signature_label = "RSA+SHA1";
    sha1_after.signature_verdict = SignatureVerdict::rejected;
    sha1_after.provenance_basis = ProvenanceBasis::issuer_name;
    sha1_after.findings = {finding("sha1-rejected", Severity::high)};

    ScanReport old_report = report({before, sha1_before});
    ScanReport new_report = report({after, sha1_after});
    old_report.audit_settings = settings_with_bundle("gs.pem", 'a');
    new_report.audit_settings = settings_with_bundle("gs-other.pem", 'b');
    const ReportDiff diff = diff_reports(old_report, new_report);
    CHECK(diff.settings_compared);
    CHECK(diff.settings_differ());
    REQUIRE(diff.settings_differences.size() == 1);
    REQUIRE(diff.warnings.size() == 1);
    CHECK(diff.warnings[0].rfind("the audit settings differ: --vendor-ca 'Grandstream'", 0) == 0);
    const DeviceChange* same = change_at(diff, "10.0.0.1");
    REQUIRE(same != nullptr);
    CHECK(same->kind == ChangeKind::audit_settings);
    CHECK(same->also.empty());
    CHECK_FALSE(same->counts_as_worse);
    CHECK(has_reason(*same, ChangeKind::audit_settings, "provenance"));
    CHECK(has_reason(*same, ChangeKind::audit_settings, "finding"));
    // The rotated device: its new certificate's provenance is ranked as usual, and it is worse.
    const DeviceChange* rotated = change_at(diff, "10.0.0.2");
    REQUIRE(rotated != nullptr);
    CHECK(rotated->kind == ChangeKind::worse);
    CHECK(has_reason(*rotated, ChangeKind::worse, "provenance"));
    CHECK(diff.totals.at(ChangeKind::audit_settings) == 1);
    CHECK(diff.totals.at(ChangeKind::worse) == 1);

    const json document = diff_to_json(diff, old_report, new_report, DiffOptions{});
    CHECK(document.at("audit_settings").at("compared") == true);
    CHECK(document.at("audit_settings").at("differ") == true);
    CHECK(document.at("audit_settings").at("differences").size() == 1);
    CHECK(document.at("warnings") == json(diff.warnings));
    CHECK(document.at("totals").at("audit-settings-changed") == 1);
    const std::string text = diff_to_text(diff, old_report, new_report);
    CHECK(text.find("AUDIT SETTINGS CHANGED 10.0.0.1") != std::string::npos);
    CHECK(text.find("    audit settings changed: port 443: provenance factory/chain -> unknown/none") !=
          std::string::npos);
    CHECK(text.find("warning: the audit settings differ: --vendor-ca 'Grandstream'") != std::string::npos);

    // The same reports with the same settings: the same change is worse.
    new_report.audit_settings = old_report.audit_settings;
    const ReportDiff equal = diff_reports(old_report, new_report);
    CHECK(equal.settings_compared);
    CHECK(equal.warnings.empty());
    REQUIRE(change_at(equal, "10.0.0.1") != nullptr);
    CHECK(change_at(equal, "10.0.0.1")->kind == ChangeKind::worse);
    CHECK(equal.totals.at(ChangeKind::audit_settings) == 0);

    // One side without settings (JSONL, or an older fleetcert): not compared, the diff says so.
    new_report.audit_settings.reset();
    const ReportDiff unknown = diff_reports(old_report, new_report);
    CHECK_FALSE(unknown.settings_compared);
    REQUIRE(unknown.warnings.size() == 1);
    CHECK(unknown.warnings[0].find("cannot be compared: the new report 'audit.json' records none") != std::string::npos);
    CHECK(change_at(unknown, "10.0.0.1")->kind == ChangeKind::worse);
  }

  TEST_CASE("with other settings, a real change besides the settings' still counts")
  {
    ReportEndpoint before = ok("10.0.0.1", 443, "aa", "000B82000001");
    before.findings = {finding("legacy-generation", Severity::medium)};
    ReportEndpoint after = ok("10.0.0.1", 443, "aa", "000B82000001");
    after.validity = Validity::expired;
    after.findings = {finding("expired", Severity::high)};
    ScanReport old_report = report({before});
    ScanReport new_report = report({after});
    old_report.audit_settings = settings_with_bundle("gs.pem", 'a');
    new_report.audit_settings = settings_with_bundle("gs.pem", 'b');
    const ReportDiff diff = diff_reports(old_report, new_report);
    REQUIRE(diff.changes.size() == 1);
    CHECK(diff.changes[0].kind == ChangeKind::worse);
    CHECK(diff.changes[0].also == std::vector<ChangeKind>{ChangeKind::audit_settings});
    CHECK(has_reason(diff.changes[0], ChangeKind::audit_settings, "finding")); // legacy-generation gone
    CHECK(has_reason(diff.changes[0], ChangeKind::worse, "finding"));          // expired
  }

  TEST_CASE("the firmware, model and MAC a port announced: each a changed reason, never worse or better")
  {
    const ReportEndpoint gigaset = ok("10.0.0.1", 5061, "aa", "7C2F80C6E5C2");
    SUBCASE("firmware 2.56 -> 2.61")
    {
      const ReportDiff diff = diff_reports(report({announcing(gigaset, "2.56")}), report({announcing(gigaset, "2.61")}));
      REQUIRE(diff.changes.size() == 1);
      const DeviceChange& change = diff.changes[0];
      CHECK(change.kind == ChangeKind::changed);
      CHECK(change.also.empty());
      CHECK_FALSE(change.counts_as_worse);
      REQUIRE(change.reasons.size() == 1);
      const ChangeReason& reason = change.reasons[0];
      CHECK(reason.effect == ChangeKind::changed);
      CHECK(reason.field == "announced_firmware");
      CHECK(reason.port == std::optional<std::uint16_t>(5061));
      CHECK(reason.before == "2.56");
      CHECK(reason.after == "2.61");
      CHECK(reason.text == "port 5061: announced firmware 2.56 -> 2.61, newer (sip-user-agent)");
      CHECK(diff.identity.compared == 1);
      CHECK(diff.identity.not_compared() == 0);
      CHECK(diff.warnings.size() == 1); // only that the audit settings cannot be compared
    }
    SUBCASE("a downgrade, read from another header this time")
    {
      const ReportDiff diff =
          diff_reports(report({announcing(gigaset, "2.61", "N870 IP PRO", "7C2F80C6E5C2", IdentitySource::sip_server)}),
                       report({announcing(gigaset, "2.56")}));
      REQUIRE(diff.changes.size() == 1);
      const ChangeReason* reason = reason_of(diff.changes[0], "announced_firmware");
      REQUIRE(reason != nullptr);
      CHECK(reason->text == "port 5061: announced firmware 2.61 -> 2.56, older (sip-user-agent, was sip-server)");
    }
    SUBCASE("model")
    {
      const ReportDiff diff =
          diff_reports(report({announcing(gigaset, "2.61", "N670 IP PRO")}), report({announcing(gigaset, "2.61")}));
      REQUIRE(diff.changes.size() == 1);
      CHECK(diff.changes[0].kind == ChangeKind::changed);
      const ChangeReason* reason = reason_of(diff.changes[0], "announced_model");
      REQUIRE(reason != nullptr);
      CHECK(reason->before == "N670 IP PRO");
      CHECK(reason->after == "N870 IP PRO");
      CHECK(reason->text == "port 5061: announced model Gigaset N670 IP PRO -> Gigaset N870 IP PRO (sip-user-agent)");
      CHECK(reason_of(diff.changes[0], "model") == nullptr); // not the inventory's: said once, per port
    }
    SUBCASE("MAC: another device behind the same address and certificate")
    {
      const ReportDiff diff = diff_reports(report({announcing(gigaset, "2.61")}),
                                           report({announcing(gigaset, "2.61", "N870 IP PRO", "7C2F80000001")}));
      REQUIRE(diff.changes.size() == 1);
      CHECK(diff.changes[0].kind == ChangeKind::changed);
      const ChangeReason* reason = reason_of(diff.changes[0], "announced_mac");
      REQUIRE(reason != nullptr);
      CHECK(reason->before == "7C2F80C6E5C2");
      CHECK(reason->after == "7C2F80000001");
      CHECK(reason->port == std::optional<std::uint16_t>(5061));
    }
    SUBCASE("the same version spelled longer, the same model in other case: no change")
    {
      const ReportDiff diff = diff_reports(report({announcing(gigaset, "2.57", "N870 IP PRO")}),
                                           report({announcing(gigaset, "2.57.0", "n870 ip pro")}));
      CHECK(diff.changes.empty());
      CHECK(diff.unchanged == 1);
      CHECK(diff.identity.compared == 1);
    }
    SUBCASE("a field announced on one side only is no change")
    {
      const ReportDiff diff = diff_reports(report({announcing(gigaset, "2.56", "N870 IP PRO", "")}),
                                           report({announcing(gigaset, "", "N870 IP PRO", "7C2F80C6E5C2")}));
      CHECK(diff.changes.empty());
    }
    SUBCASE("with a worse certificate the device is worse, the firmware still only changed")
    {
      ReportEndpoint sha1 = announcing(ok("10.0.0.1", 5061, "bb", "7C2F80C6E5C2"), "2.61");
      sha1.signature_verdict = SignatureVerdict::rejected;
      const ReportDiff diff = diff_reports(report({announcing(gigaset, "2.56")}), report({sha1}));
      REQUIRE(diff.changes.size() == 1);
      CHECK(diff.changes[0].kind == ChangeKind::worse);
      CHECK(has_reason(diff.changes[0], ChangeKind::changed, "announced_firmware"));
      CHECK_FALSE(has_reason(diff.changes[0], ChangeKind::worse, "announced_firmware"));
    }
  }

  TEST_CASE("an identity announced in one audit only is never a change, and a warning counts it")
  {
    const ReportEndpoint gigaset = ok("10.0.0.1", 5061, "aa", "7C2F80C6E5C2");
    SUBCASE("the old audit ran without an identity exchange (--identify none)")
    {
      ScanReport old_report = report({gigaset, ok("10.0.0.2", 5061, "cc")});
      old_report.path = "old.json";
      const ReportDiff diff = diff_reports(
          old_report, report({announcing(gigaset, "2.61"), announcing(ok("10.0.0.2", 5061, "cc"), "2.56", "N670 IP PRO")}));
      CHECK(diff.changes.empty());
      CHECK(diff.unchanged == 2);
      CHECK(diff.identity.compared == 0);
      CHECK(diff.identity.not_exchanged[0] == 2);
      REQUIRE(diff.warnings.size() == 2);
      CHECK(diff.warnings[1] == "the announced identity (model, firmware, MAC) is not compared on 2 ports that "
                                "announced one in the new audit only: the old report 'old.json' has 2 ports without "
                                "an identity exchange (scanned with --identify none, or by an older fleetcert)");
    }
    SUBCASE("the new audit's exchange failed or matched nothing")
    {
      ScanReport new_report = report({not_announcing(gigaset, "no answer before the deadline"),
                                      not_announcing(ok("10.0.0.2", 5061, "cc"), "no pattern matched")});
      new_report.path = "new.json";
      const ReportDiff diff = diff_reports(
          report({announcing(gigaset, "2.56"), announcing(ok("10.0.0.2", 5061, "cc"), "2.56")}), new_report);
      CHECK(diff.changes.empty());
      CHECK(diff.identity.not_read[1] == 2);
      REQUIRE(diff.warnings.size() == 2);
      CHECK(diff.warnings[1].find("2 ports that announced one in the old audit only: the new report 'new.json' has "
                                  "2 ports where the exchange failed or matched no identity pattern") !=
            std::string::npos);
    }
    SUBCASE("a model read from the web page before and from SIP now is not compared across ports")
    {
      const ReportEndpoint web = ok("10.0.0.1", 443, "dd", "7C2F80C6E5C2");
      const ReportDiff diff = diff_reports(
          report({announcing(web, "2.56", "N870", "", IdentitySource::http_title), gigaset}),
          report({not_announcing(web, "the response was cut"), announcing(gigaset, "2.61", "N870 IP PRO")}));
      CHECK(diff.changes.empty());
      CHECK(diff.identity.not_read[1] == 1);
      CHECK(diff.identity.not_exchanged[0] == 1);
      CHECK(diff.warnings.size() == 3); // settings, and one per side
    }
    SUBCASE("a port that stopped answering is counted as that, not as an identity not compared")
    {
      const ReportDiff diff =
          diff_reports(report({announcing(gigaset, "2.56"), ok("10.0.0.1", 443, "dd")}),
                       report({not_announcing(error("10.0.0.1", 5061), "handshake did not complete: connection refused"),
                               ok("10.0.0.1", 443, "dd")}));
      REQUIRE(diff.changes.size() == 1);
      CHECK(has_reason(diff.changes[0], ChangeKind::changed, "answering"));
      CHECK(diff.identity.not_compared() == 0);
    }
    SUBCASE("the inventory's model is still compared")
    {
      InventoryRow row;
      row.ip = "10.0.0.1";
      row.model = "N670";
      ReportEndpoint before = gigaset;
      before.inventory = row;
      row.model = "N870";
      ReportEndpoint after = announcing(gigaset, "2.61");
      after.inventory = row;
      const ReportDiff diff = diff_reports(report({before}), report({after}));
      REQUIRE(diff.changes.size() == 1);
      const ChangeReason* reason = reason_of(diff.changes[0], "model");
      REQUIRE(reason != nullptr);
      CHECK(reason->before == "N670");
      CHECK(reason->after == "N870");
    }
  }

  TEST_CASE("the JSON document and the text carry what a port announced")
  {
    const ReportEndpoint gigaset = ok("10.0.0.1", 5061, "aa", "7C2F80C6E5C2");
    ReportEndpoint hostile = announcing(gigaset, "2.61\x1b[2J", "N870\x1b]0;owned\x07");
    hostile.identity->raw = "</script><img src=x onerror=alert(1)>\x1b[2J";
    const ScanReport before = report({announcing(gigaset, "2.56")});
    const ScanReport after = report({hostile});
    const DiffOptions options;
    const ReportDiff diff = diff_reports(before, after, options);
    const json document = diff_to_json(diff, before, after, options);
    CHECK(document.at("identity") == json{{"compared", 1}, {"not_compared", 0}});
    const json& change = document.at("changes").at(0);
    CHECK(change.at("kind") == "changed");
    const json& old_identity = change.at("before").at("ports").at(0).at("identity");
    CHECK(old_identity.at("firmware") == "2.56");
    CHECK(old_identity.at("source") == "sip-user-agent");
    CHECK(old_identity.at("mac") == "7C2F80C6E5C2");
    CHECK(change.at("after").at("ports").at(0).at("identity").at("raw") == "</script><img src=x onerror=alert(1)>\x1b[2J");
    std::set<std::string> fields;
    for (const json& reason : change.at("reasons")) {
      fields.insert(reason.at("field").get<std::string>());
      CHECK(reason.at("effect") == "changed");
      CHECK(reason.at("port") == 5061);
    }
    CHECK(fields == std::set<std::string>{"announced_firmware", "announced_model"});

    const std::string text = diff_to_text(diff, before, after);
    CHECK(text.find('\x1b') == std::string::npos);
    CHECK(text.find('\x07') == std::string::npos);
    CHECK(text.find("    changed: port 5061: announced firmware 2.56 -> 2.61\\x1b[2J") != std::string::npos);
    CHECK(text.find("announced model Gigaset N870 IP PRO -> Gigaset N870\\x1b]0;owned\\x07 (sip-user-agent)") !=
          std::string::npos);
  }
}
