// What changed between two audits (see report_diff.hpp).
//
//   older.devices() ──┐                    ┌─> pairs ──> compare ──> DeviceChange (kind, reasons)
//                     ├─ match: MAC, then ─┤
//   newer.devices() ──┘   address          └─> unpaired: appeared / vanished

#include "reports/workflows/report_diff.hpp"

#include "reports/encoding/record_json.hpp"
#include "reports/encoding/text_safety.hpp"
#include "scanner/util/port_status.hpp"
#include "scanner/util/ascii.hpp"
#include "scanner/util/text.hpp"
#include "scanner/util/version.hpp"
#include "scanner/certificate/certificate.hpp"

#include <algorithm>
#include <array>
#include <compare>
#include <set>
#include <tuple>

namespace fleetcert {
namespace {

using json = nlohmann::json;

constexpr std::array k_kinds = {ChangeKind::worse,    ChangeKind::better,   ChangeKind::audit_settings,
                                ChangeKind::rotated,  ChangeKind::moved,    ChangeKind::appeared,
                                ChangeKind::vanished, ChangeKind::changed};

// Findings only the JSON document carries (added when the whole scan is known).
bool is_fleet_wide(const std::string& code)
{
  return code == "shared-certificate" || code == "shared-key" || code == "not-in-inventory" ||
         code == "not-answering";
}

std::string short_hash(const std::string& sha256)
{
  return sha256.size() > 16 ? sha256.substr(0, 16) + "..." : sha256;
}

DeviceSnapshot snapshot(const ReportDevice& device)
{
  DeviceSnapshot out;
  out.identity() = device.identity();
  out.worst = device.worst();
  out.findings = device.findings;
  for (const ReportEndpoint* endpoint : device.endpoints) {
    DeviceSnapshot::Port port;
    port.port = endpoint->port;
    port.status = endpoint->ok ? "ok" : endpoint->error_word();
    if (endpoint->ok) {
      port.sha256 = endpoint->sha256;
      port.signature_label = endpoint->signature_label;
      port.signature_verdict = endpoint->signature_verdict;
      port.provenance_kind = endpoint->provenance_kind;
      port.provenance_basis = endpoint->provenance_basis;
      port.validity = endpoint->validity;
      port.not_after = endpoint->not_after ? format_iso8601(*endpoint->not_after) : std::string();
    }
    port.identity = endpoint->identity;
    out.ports.push_back(std::move(port));
  }
  return out;
}

const ReportEndpoint* find_port(const ReportDevice& device, std::uint16_t port)
{
  for (const ReportEndpoint* endpoint : device.endpoints) {
    if (endpoint->port == port) {
      return endpoint;
    }
  }
  return nullptr;
}

std::string error_word(const ReportEndpoint* endpoint)
{
  return endpoint == nullptr ? std::string("not scanned") : endpoint->error_word();
}

std::string port_prefix(std::uint16_t port)
{
  return "port " + std::to_string(port) + ": ";
}

// Which way a reason moves the device's rank.
enum class Direction
{
  none, // not ranked: its effect is set already
  down,
  up,
};

// A reason before the device is classified.
struct Draft
{
  ChangeReason reason;
  Direction direction = Direction::none;
  bool settings = false; // follows from the audit settings (they differ, the certificates did not)
};

// A device's rank in one audit (see report_diff.hpp); greater is better.
struct DeviceRank
{
  std::vector<int> verdicts;     // ports audited in both, worst first
  std::array<int, 5> findings{}; // minus the count per severity, critical first
  std::vector<int> provenance;   // likewise
  std::vector<int> validity;

  auto operator<=>(const DeviceRank&) const = default;
};

// Everything compare_devices works out for a device seen in both audits.
struct Comparison
{
  std::vector<Draft> drafts;
  DeviceRank before, after;
  IdentityComparison identity; // its ports' announced identities
};

Direction direction_of(int before_rank, int after_rank)
{
  return after_rank < before_rank ? Direction::down : after_rank > before_rank ? Direction::up : Direction::none;
}

std::string or_unknown(const std::string& text)
{
  return text.empty() ? std::string("unknown") : text;
}

// A port's ranked field that differs between the audits: its draft, the direction from the ranks,
// and the field's words before and after (the caller writes the sentence).
Draft ranked_change(std::uint16_t port, const char* field, int rank_before, int rank_after, std::string before,
                    std::string after)
{
  Draft draft;
  draft.direction = direction_of(rank_before, rank_after);
  ChangeReason& reason = draft.reason;
  reason.field = field;
  reason.port = port;
  reason.before = std::move(before);
  reason.after = std::move(after);
  return draft;
}

bool is_settings_finding(const std::string& code)
{
  return std::find(k_settings_findings.begin(), k_settings_findings.end(), code) != k_settings_findings.end();
}

// A port that presented the same certificate in both audits.
bool same_certificate(const ReportDevice& older, const ReportDevice& newer, std::uint16_t port)
{
  const ReportEndpoint* before = find_port(older, port);
  const ReportEndpoint* after = find_port(newer, port);
  return before != nullptr && after != nullptr && before->ok && after->ok && before->sha256 == after->sha256;
}

struct FindingState
{
  Severity severity = Severity::info;
  std::string message;
  std::set<std::uint16_t> ports; // ports whose record carries it
};

std::map<std::string, FindingState> findings_of(const ReportDevice& device, const ReportDiff& diff,
                                                const DiffOptions& options)
{
  std::map<std::string, FindingState> out;
  for (const ReportEndpoint* endpoint : device.endpoints) {
    for (const Finding& finding : endpoint->findings) {
      if (options.ignored_codes.count(finding.code) != 0 ||
          (!diff.fleet_findings_compared && is_fleet_wide(finding.code))) {
        continue;
      }
      auto [it, inserted] = out.emplace(finding.code, FindingState{finding.severity, finding.message, {}});
      if (!inserted && static_cast<int>(finding.severity) > static_cast<int>(it->second.severity)) {
        it->second.severity = finding.severity;
        it->second.message = finding.message;
      }
      it->second.ports.insert(endpoint->port);
    }
  }
  return out;
}

void count_finding(DeviceRank& rank, Severity severity)
{
  --rank.findings[static_cast<std::size_t>(Severity::critical) - static_cast<std::size_t>(severity)];
}

// Findings added, gone (resolved only when every port that had it was audited again) or changed in
// severity; the findings compared make the rank's second part.
void compare_findings(Comparison& out, const ReportDevice& older, const ReportDevice& newer, const ReportDiff& diff,
                      const DiffOptions& options)
{
  const auto before = findings_of(older, diff, options);
  const auto after = findings_of(newer, diff, options);
  // With the settings differing, a finding that follows from them is theirs when every port that
  // had or has it kept its certificate.
  auto from_settings = [&](const std::string& code) {
    if (!diff.settings_differ() || !is_settings_finding(code)) {
      return false;
    }
    std::set<std::uint16_t> ports;
    for (const auto* side : {&before, &after}) {
      const auto it = side->find(code);
      if (it != side->end()) {
        ports.insert(it->second.ports.begin(), it->second.ports.end());
      }
    }
    return std::all_of(ports.begin(), ports.end(),
                       [&](std::uint16_t port) { return same_certificate(older, newer, port); });
  };
  for (const auto& [code, state] : after) {
    const bool settings = from_settings(code);
    if (!settings) {
      count_finding(out.after, state.severity);
    }
    const auto old = before.find(code);
    Draft draft;
    draft.settings = settings;
    ChangeReason& reason = draft.reason;
    reason.field = "finding";
    reason.code = code;
    reason.after = std::string(to_string(state.severity));
    if (old == before.end()) {
      draft.direction = Direction::down;
      reason.text = "new finding " + code + " (" + reason.after + "): " + state.message;
    } else if (old->second.severity != state.severity) {
      reason.before = std::string(to_string(old->second.severity));
      draft.direction = direction_of(-static_cast<int>(old->second.severity), -static_cast<int>(state.severity));
      reason.text = "finding " + code + " " + reason.before + " -> " + reason.after + ": " + state.message;
    } else {
      continue;
    }
    out.drafts.push_back(std::move(draft));
  }
  for (const auto& [code, state] : before) {
    const bool settings = from_settings(code);
    if (after.count(code) != 0) {
      if (!settings) {
        count_finding(out.before, state.severity);
      }
      continue;
    }
    const bool audited_again = std::all_of(state.ports.begin(), state.ports.end(), [&](std::uint16_t port) {
      const ReportEndpoint* endpoint = find_port(newer, port);
      return endpoint != nullptr && endpoint->ok;
    });
    if (!audited_again) {
      continue; // not known to be gone: neither a reason nor ranked
    }
    if (!settings) {
      count_finding(out.before, state.severity);
    }
    Draft draft;
    draft.settings = settings;
    draft.direction = Direction::up;
    ChangeReason& reason = draft.reason;
    reason.field = "finding";
    reason.code = code;
    reason.before = std::string(to_string(state.severity));
    reason.text = "resolved " + code + " (" + reason.before + ")";
    out.drafts.push_back(std::move(draft));
  }
}

Draft fact_draft(const char* field, const std::string& before, const std::string& after)
{
  Draft draft;
  draft.reason.effect = ChangeKind::changed;
  draft.reason.field = field;
  draft.reason.before = before;
  draft.reason.after = after;
  draft.reason.text = std::string(field) + " " + before + " -> " + after;
  return draft;
}

bool fact_changed(const std::string& before, const std::string& after)
{
  return !before.empty() && !after.empty() && before != after;
}

// The record announced an identity: an identity pattern matched its SIP or HTTP answer.
bool announced(const ReportEndpoint& endpoint)
{
  return endpoint.identity && endpoint.identity->source;
}

// "Gigaset N870", or the model alone when the report names no vendor.
std::string vendor_and_model(const AnnouncedIdentity& identity)
{
  return identity.vendor.empty() ? identity.model : identity.vendor + " " + identity.model;
}

// " (sip-user-agent)", or " (sip-user-agent, was sip-server)" when the port answered otherwise before.
std::string sources_note(const AnnouncedIdentity& before, const AnnouncedIdentity& after)
{
  std::string out = " (" + std::string(to_string(*after.source));
  if (*before.source != *after.source) {
    out += ", was " + std::string(to_string(*before.source));
  }
  return out + ")";
}

// What a port that presented a certificate in both audits announced of itself: its model (ASCII
// case ignored), firmware (compared as versions: "2.57" is "2.57.0") and MAC, each when known in
// both audits and different, as "changed" reasons. A port that announced an identity in one audit
// only is counted in `out.identity`, never a change.
void compare_announced(Comparison& out, std::uint16_t port, const ReportEndpoint& older, const ReportEndpoint& newer)
{
  if (!announced(older) && !announced(newer)) {
    return;
  }
  if (announced(older) != announced(newer)) {
    const std::size_t side = announced(older) ? 1 : 0; // the audit without one
    const ReportEndpoint& without = side == 0 ? older : newer;
    ++(without.identity ? out.identity.not_read : out.identity.not_exchanged)[side];
    return;
  }
  ++out.identity.compared;
  const AnnouncedIdentity& before = *older.identity;
  const AnnouncedIdentity& after = *newer.identity;
  const std::string note = sources_note(before, after);
  auto add = [&](const char* field, const std::string& was, const std::string& is, const std::string& text) {
    Draft draft = fact_draft(field, was, is);
    draft.reason.port = port;
    draft.reason.text = port_prefix(port) + text + note;
    out.drafts.push_back(std::move(draft));
  };
  if (!before.model.empty() && !after.model.empty() && !ascii_iequals(before.model, after.model)) {
    add("announced_model", before.model, after.model,
        "announced model " + vendor_and_model(before) + " -> " + vendor_and_model(after));
  }
  if (!before.firmware.empty() && !after.firmware.empty()) {
    const int order = compare_versions(before.firmware, after.firmware);
    if (order != 0) {
      add("announced_firmware", before.firmware, after.firmware,
          "announced firmware " + before.firmware + " -> " + after.firmware + (order < 0 ? ", newer" : ", older"));
    }
  }
  if (fact_changed(before.mac, after.mac)) {
    add("announced_mac", before.mac, after.mac, "announced MAC " + before.mac + " -> " + after.mac);
  }
}

Comparison compare_devices(const ReportDevice& older, const ReportDevice& newer, bool moved, const ReportDiff& diff,
                           const DiffOptions& options)
{
  Comparison out;
  if (moved) {
    Draft draft;
    ChangeReason& reason = draft.reason;
    reason.effect = ChangeKind::moved;
    reason.field = "address";
    reason.before = older.address();
    reason.after = newer.address();
    reason.text = "moved from " + reason.before + " to " + reason.after + " (same MAC " + newer.mac + ")";
    out.drafts.push_back(std::move(draft));
  }
  std::set<std::uint16_t> ports;
  for (const ReportEndpoint* endpoint : older.endpoints) {
    ports.insert(endpoint->port);
  }
  for (const ReportEndpoint* endpoint : newer.endpoints) {
    ports.insert(endpoint->port);
  }
  bool rotated = false;
  for (const std::uint16_t port : ports) {
    const ReportEndpoint* before = find_port(older, port);
    const ReportEndpoint* after = find_port(newer, port);
    const bool was_ok = before != nullptr && before->ok;
    const bool is_ok = after != nullptr && after->ok;
    if (was_ok && is_ok) {
      const bool same = before->sha256 == after->sha256;
      if (!same) {
        rotated = true;
        Draft draft;
        ChangeReason& reason = draft.reason;
        reason.effect = ChangeKind::rotated;
        reason.field = "certificate";
        reason.port = port;
        reason.before = before->sha256;
        reason.after = after->sha256;
        reason.text = port_prefix(port) + "new certificate " + short_hash(after->sha256) + " (was " +
                      short_hash(before->sha256) + ")";
        if (before->signature_label != after->signature_label) {
          reason.text += ", " + or_unknown(before->signature_label) + " -> " + or_unknown(after->signature_label);
        }
        out.drafts.push_back(std::move(draft));
      }
      const int verdict_before = signature_verdict_rank(before->signature_verdict);
      const int verdict_after = signature_verdict_rank(after->signature_verdict);
      out.before.verdicts.push_back(verdict_before);
      out.after.verdicts.push_back(verdict_after);
      if (verdict_before != verdict_after) {
        Draft draft = ranked_change(port, "signature_verdict", verdict_before, verdict_after,
                                    word_of(before->signature_verdict), word_of(after->signature_verdict));
        ChangeReason& reason = draft.reason;
        reason.text = port_prefix(port) + "signature " + or_unknown(before->signature_label) + " -> " +
                      or_unknown(after->signature_label) + " (" + or_unknown(reason.after) + ", was " +
                      or_unknown(reason.before) + ")";
        out.drafts.push_back(std::move(draft));
      }
      const int provenance_before = provenance_rank(before->provenance_kind, before->provenance_basis);
      const int provenance_after = provenance_rank(after->provenance_kind, after->provenance_basis);
      const bool settings = diff.settings_differ() && same;
      if (!settings) {
        out.before.provenance.push_back(provenance_before);
        out.after.provenance.push_back(provenance_after);
      }
      if (provenance_before != provenance_after) {
        Draft draft = ranked_change(port, "provenance", provenance_before, provenance_after, before->provenance(),
                                    after->provenance());
        draft.settings = settings;
        ChangeReason& reason = draft.reason;
        reason.text = port_prefix(port) + "provenance " + or_unknown(reason.before) + " -> " + or_unknown(reason.after);
        out.drafts.push_back(std::move(draft));
      }
      const int validity_before = validity_rank(before->validity);
      const int validity_after = validity_rank(after->validity);
      out.before.validity.push_back(validity_before);
      out.after.validity.push_back(validity_after);
      if (validity_before != validity_after) {
        Draft draft = ranked_change(port, "validity", validity_before, validity_after, word_of(before->validity),
                                    word_of(after->validity));
        ChangeReason& reason = draft.reason;
        reason.text = port_prefix(port) + "validity " + or_unknown(reason.before) + " -> " + or_unknown(reason.after) +
                      (after->not_after ? " (not after " + format_iso8601(*after->not_after) + ")" : "");
        out.drafts.push_back(std::move(draft));
      }
      compare_announced(out, port, *before, *after);
    } else if (was_ok && after != nullptr) { // absent: the port was not scanned this time
      Draft draft;
      ChangeReason& reason = draft.reason;
      reason.effect = options.vanished_is_worse ? ChangeKind::worse : ChangeKind::changed;
      reason.field = "answering";
      reason.port = port;
      reason.before = "ok";
      reason.after = error_word(after);
      reason.text = port_prefix(port) + "stopped answering (" + reason.after + ")";
      out.drafts.push_back(std::move(draft));
    } else if (is_ok && !was_ok) {
      Draft draft;
      ChangeReason& reason = draft.reason;
      reason.effect = ChangeKind::changed;
      reason.field = "answering";
      reason.port = port;
      reason.before = error_word(before);
      reason.after = "ok";
      reason.text = port_prefix(port) + "presents a certificate now (was " + reason.before + ")";
      out.drafts.push_back(std::move(draft));
    }
  }
  std::sort(out.before.verdicts.begin(), out.before.verdicts.end());
  std::sort(out.after.verdicts.begin(), out.after.verdicts.end());
  std::sort(out.before.provenance.begin(), out.before.provenance.end());
  std::sort(out.after.provenance.begin(), out.after.provenance.end());
  std::sort(out.before.validity.begin(), out.before.validity.end());
  std::sort(out.after.validity.begin(), out.after.validity.end());
  compare_findings(out, older, newer, diff, options);
  if (!moved && fact_changed(older.mac, newer.mac)) {
    out.drafts.push_back(fact_draft("mac", older.mac, newer.mac));
  }
  if (fact_changed(older.vendor, newer.vendor)) {
    out.drafts.push_back(fact_draft("vendor", older.vendor, newer.vendor));
    out.drafts.back().settings = diff.settings_differ() && !rotated;
  }
  // The inventory's model; an announced one is compared port by port (compare_announced), so that
  // a model read from another port's answer, or known on one side only, is no change.
  if (older.model_source == k_inventory_source && newer.model_source == k_inventory_source &&
      fact_changed(older.model, newer.model)) {
    out.drafts.push_back(fact_draft("model", older.model, newer.model));
  }
  if (fact_changed(older.site, newer.site)) {
    out.drafts.push_back(fact_draft("site", older.site, newer.site));
  }
  return out;
}

// The reasons' effects from the rank: worse or better the way the device's rank moved (a reason
// that went the other way is "changed", so a mixed change is never called better), "worse" too
// when a reason is worse by itself (--vanished-is-worse); audit-settings-changed for what follows
// from differing settings.
std::vector<ChangeReason> settle(Comparison comparison)
{
  const bool worse_by_itself = std::any_of(comparison.drafts.begin(), comparison.drafts.end(), [](const Draft& d) {
    return d.direction == Direction::none && d.reason.effect == ChangeKind::worse;
  });
  const Direction device = worse_by_itself || comparison.after < comparison.before ? Direction::down
                           : comparison.after > comparison.before               ? Direction::up
                                                                                : Direction::none;
  std::vector<ChangeReason> reasons;
  for (Draft& draft : comparison.drafts) {
    if (draft.settings) {
      draft.reason.effect = ChangeKind::audit_settings;
    } else if (draft.direction != Direction::none) {
      draft.reason.effect = draft.direction != device ? ChangeKind::changed
                            : device == Direction::down ? ChangeKind::worse
                                                        : ChangeKind::better;
    }
    reasons.push_back(std::move(draft.reason));
  }
  return reasons;
}

// Fills kind and `also` from the reasons' effects; false when there is none (unchanged).
bool classify(DeviceChange& change)
{
  std::set<ChangeKind> effects;
  for (const ChangeReason& reason : change.reasons) {
    effects.insert(reason.effect);
  }
  if (effects.empty()) {
    return false;
  }
  change.kind = *effects.begin(); // enum order is precedence order
  for (const ChangeKind kind : effects) {
    if (kind != change.kind) {
      change.also.push_back(kind);
    }
  }
  return true;
}

void describe_unanswered(std::vector<ChangeReason>& reasons, const ReportDevice* device, ChangeKind effect,
                         bool appearing)
{
  ChangeReason reason;
  reason.effect = effect;
  reason.field = "answering";
  if (device == nullptr) {
    reason.text = appearing ? "not in the old audit" : "not in the new audit";
  } else {
    std::vector<PortStatus> ports;
    for (const ReportEndpoint* endpoint : device->endpoints) {
      ports.push_back({endpoint->port, error_word(endpoint)});
    }
    const std::string errors = format_port_statuses(ports);
    reason.text = (appearing ? "presented no certificate before (" : "presents no certificate now (") + errors + ")";
  }
  (appearing ? reason.before : reason.after) = device == nullptr ? "absent" : "error";
  (appearing ? reason.after : reason.before) = "ok";
  reasons.push_back(std::move(reason));
}

json finding_list(const std::vector<Finding>& findings)
{
  json out = json::array();
  for (const Finding& finding : findings) {
    out.push_back({{"code", finding.code}, {"severity", std::string(to_string(finding.severity))}});
  }
  return out;
}

void put(json& object, const char* key, const std::string& value)
{
  if (!value.empty()) {
    object[key] = value;
  }
}

json snapshot_to_json(const std::optional<DeviceSnapshot>& device)
{
  if (!device) {
    return nullptr;
  }
  json out = json::object();
  put(out, "ip", device->ip);
  put(out, "host", device->host);
  put(out, "mac", device->mac);
  put(out, "vendor", device->vendor);
  put(out, "model", device->model);
  put(out, "site", device->site);
  if (device->worst) {
    out["worst_severity"] = std::string(to_string(*device->worst));
  }
  out["findings"] = finding_list(device->findings);
  out["ports"] = json::array();
  for (const DeviceSnapshot::Port& port : device->ports) {
    json item = {{"port", port.port}, {"status", port.status}};
    put(item, "sha256", port.sha256);
    put(item, "signature_label", port.signature_label);
    put(item, "signature_verdict", word_of(port.signature_verdict));
    put(item, "provenance", provenance_text(port.provenance_kind, port.provenance_basis));
    put(item, "validity", word_of(port.validity));
    put(item, "not_after", port.not_after);
    if (port.identity) {
      item["identity"] = identity_to_json(*port.identity);
    }
    out["ports"].push_back(std::move(item));
  }
  return out;
}

json report_facts(const ScanReport& report)
{
  json out = {{"path", report.path}, {"format", report.format}, {"interrupted", report.interrupted},
              {"endpoints", report.endpoints.size()}};
  put(out, "started_at", report.started_at);
  put(out, "finished_at", report.finished_at);
  return out;
}

// The kind as the text names it: "audit settings changed".
std::string text_label(ChangeKind kind)
{
  std::string out(to_string(kind));
  std::replace(out.begin(), out.end(), '-', ' ');
  return out;
}

std::string totals_line(const ReportDiff& diff)
{
  std::string out;
  for (const ChangeKind kind : k_kinds) {
    const auto it = diff.totals.find(kind);
    out += std::to_string(it == diff.totals.end() ? 0 : it->second) + " " + text_label(kind) + ", ";
  }
  return out + std::to_string(diff.unchanged) + " unchanged";
}

// "a.pem (sha256 0123456789ab...)", or "none".
std::string describe_files(const std::vector<const AuditInputFile*>& files)
{
  std::string out;
  for (const AuditInputFile* file : files) {
    out += (out.empty() ? "" : ", ") + quote_for_message(file->file) + " (sha256 " + short_hash(file->sha256) + ")";
  }
  return out.empty() ? std::string("none") : out;
}

// Compares two lists of files by content (the same content under another path is the same input).
void compare_files(std::vector<std::string>& out, const std::string& what,
                   const std::vector<const AuditInputFile*>& older, const std::vector<const AuditInputFile*>& newer)
{
  auto contents = [](const std::vector<const AuditInputFile*>& files) {
    std::multiset<std::string> hashes;
    for (const AuditInputFile* file : files) {
      hashes.insert(file->sha256);
    }
    return hashes;
  };
  if (contents(older) != contents(newer)) {
    out.push_back(what + ": old " + describe_files(older) + "; new " + describe_files(newer));
  }
}

std::vector<const AuditInputFile*> pointers(const std::vector<AuditInputFile>& files)
{
  std::vector<const AuditInputFile*> out;
  for (const AuditInputFile& file : files) {
    out.push_back(&file);
  }
  return out;
}

// The settings' differences or why they cannot be compared, as the diff's warnings.
void compare_settings(ReportDiff& diff, const ScanReport& older, const ScanReport& newer)
{
  diff.settings_compared = older.audit_settings.has_value() && newer.audit_settings.has_value();
  if (!diff.settings_compared) {
    std::string sides;
    for (const ScanReport* report : {&older, &newer}) {
      if (!report->audit_settings) {
        sides += (sides.empty() ? "the " : " and the ") + std::string(report == &older ? "old" : "new") + " report " +
                 quote_for_message(report->path) + (report->format == "jsonl" ? " (JSONL)" : "");
      }
    }
    const bool both = !older.audit_settings && !newer.audit_settings;
    diff.warnings.push_back("the audit settings (vendor and trust bundles, inventory, profiles) cannot be compared: " +
                            sides + (both ? " record" : " records") +
                            " none (a JSONL report, or one written by an older fleetcert); "
                            "a provenance that changed may follow from other settings");
    return;
  }
  diff.settings_differences = audit_settings_differences(*older.audit_settings, *newer.audit_settings);
  for (const std::string& difference : diff.settings_differences) {
    diff.warnings.push_back("the audit settings differ: " + difference);
  }
}

// One warning per audit in which ports that announced an identity in the other announced none.
void warn_identity(ReportDiff& diff, const ScanReport& older, const ScanReport& newer)
{
  for (const std::size_t side : {std::size_t{0}, std::size_t{1}}) {
    const std::size_t exchanged = diff.identity.not_exchanged[side];
    const std::size_t read = diff.identity.not_read[side];
    if (exchanged + read == 0) {
      continue;
    }
    auto ports = [](std::size_t n) { return std::to_string(n) + (n == 1 ? " port" : " ports"); };
    std::string why;
    if (exchanged != 0) {
      why = ports(exchanged) + " without an identity exchange (scanned with --identify none, or by an older fleetcert)";
    }
    if (read != 0) {
      why += (why.empty() ? "" : "; ") + ports(read) + " where the exchange failed or matched no identity pattern";
    }
    const ScanReport& without = side == 0 ? older : newer;
    diff.warnings.push_back("the announced identity (model, firmware, MAC) is not compared on " + ports(exchanged + read) +
                            " that announced one in the " + (side == 0 ? "new" : "old") + " audit only: the " +
                            (side == 0 ? "old" : "new") + " report " + quote_for_message(without.path) + " has " + why);
  }
}

} // namespace

std::string_view to_string(ChangeKind kind)
{
  switch (kind) {
  case ChangeKind::worse: return "worse";
  case ChangeKind::better: return "better";
  case ChangeKind::audit_settings: return "audit-settings-changed";
  case ChangeKind::rotated: return "rotated";
  case ChangeKind::moved: return "moved";
  case ChangeKind::appeared: return "appeared";
  case ChangeKind::vanished: return "vanished";
  case ChangeKind::changed: return "changed";
  }
  return "changed";
}

int signature_verdict_rank(std::optional<SignatureVerdict> verdict)
{
  if (!verdict) {
    return 0; // the certificate did not decode, or a verdict this version does not know
  }
  switch (*verdict) {
  case SignatureVerdict::current: return 3;
  case SignatureVerdict::legacy: return 2;
  case SignatureVerdict::rejected: return 1;
  }
  return 0;
}

int provenance_rank(std::optional<ProvenanceKind> kind, std::optional<ProvenanceBasis> basis)
{
  const bool chain = basis == ProvenanceBasis::chain;
  switch (kind.value_or(ProvenanceKind::unknown)) {
  case ProvenanceKind::factory: return chain ? 5 : 4;
  case ProvenanceKind::custom_ca: return chain ? 3 : 2;
  case ProvenanceKind::self_signed: return 1;
  case ProvenanceKind::unknown: return 0;
  }
  return 0;
}

int validity_rank(std::optional<Validity> validity)
{
  if (!validity) {
    return 0; // dates unknown
  }
  switch (*validity) {
  case Validity::valid: return 3;
  case Validity::expiring: return 2;
  case Validity::expired:
  case Validity::not_yet_valid: return 1;
  }
  return 0;
}

std::vector<std::string> audit_settings_differences(const AuditSettings& older, const AuditSettings& newer)
{
  std::vector<std::string> out;
  std::map<std::string, std::pair<std::vector<const AuditInputFile*>, std::vector<const AuditInputFile*>>> by_vendor;
  for (const AuditInputFile& file : older.vendor_cas) {
    by_vendor[ascii_lower(file.vendor)].first.push_back(&file);
  }
  for (const AuditInputFile& file : newer.vendor_cas) {
    by_vendor[ascii_lower(file.vendor)].second.push_back(&file);
  }
  for (const auto& [key, files] : by_vendor) {
    const std::string& vendor = (files.first.empty() ? files.second : files.first).front()->vendor;
    compare_files(out, "--vendor-ca " + quote_for_message(vendor), files.first, files.second);
  }
  compare_files(out, "--trust", pointers(older.trust), pointers(newer.trust));
  compare_files(out, "--inventory", pointers(older.inventory), pointers(newer.inventory));
  compare_files(out, "--dhcp-leases", pointers(older.dhcp_leases), pointers(newer.dhcp_leases));
  if (older.builtin_profiles_sha256 != newer.builtin_profiles_sha256) {
    out.push_back("the built-in vendor profiles differ (sha256 " + short_hash(older.builtin_profiles_sha256) + " -> " +
                  short_hash(newer.builtin_profiles_sha256) + "): another fleetcert version");
  }
  compare_files(out, "--profiles", pointers(older.profile_files), pointers(newer.profile_files));
  return out;
}

bool ReportDiff::worse() const
{
  return std::any_of(changes.begin(), changes.end(), [](const DeviceChange& c) { return c.counts_as_worse; });
}

ReportDiff diff_reports(const ScanReport& older, const ScanReport& newer, const DiffOptions& options)
{
  ReportDiff diff;
  diff.fleet_findings_compared = older.format != "jsonl" && newer.format != "jsonl";
  compare_settings(diff, older, newer);
  for (const ChangeKind kind : k_kinds) {
    diff.totals[kind] = 0;
  }
  const std::vector<ReportDevice> old_devices = older.devices();
  const std::vector<ReportDevice> new_devices = newer.devices();

  // A MAC that names exactly one device in a report identifies it; one on several addresses does not.
  auto unique_macs = [](const std::vector<ReportDevice>& devices) {
    std::map<std::string, std::optional<std::size_t>> out;
    for (std::size_t i = 0; i < devices.size(); ++i) {
      if (devices[i].mac.empty()) {
        continue;
      }
      auto [it, inserted] = out.emplace(devices[i].mac, i);
      if (!inserted) {
        it->second.reset();
      }
    }
    return out;
  };
  struct Pair
  {
    const ReportDevice* older = nullptr;
    const ReportDevice* newer = nullptr;
    bool moved = false;
  };
  std::vector<Pair> pairs;
  std::vector<bool> old_used(old_devices.size()), new_used(new_devices.size());
  const auto old_macs = unique_macs(old_devices);
  const auto new_macs = unique_macs(new_devices);
  for (const auto& [mac, old_index] : old_macs) {
    const auto it = new_macs.find(mac);
    if (!old_index || it == new_macs.end() || !it->second) {
      continue;
    }
    const ReportDevice& a = old_devices[*old_index];
    const ReportDevice& b = new_devices[*it->second];
    pairs.push_back({&a, &b, a.address() != b.address()});
    old_used[*old_index] = true;
    new_used[*it->second] = true;
  }
  std::map<std::string, std::size_t> new_by_address;
  for (std::size_t i = 0; i < new_devices.size(); ++i) {
    if (!new_used[i]) {
      new_by_address.emplace(new_devices[i].address(), i);
    }
  }
  for (std::size_t i = 0; i < old_devices.size(); ++i) {
    if (old_used[i]) {
      continue;
    }
    const auto it = new_by_address.find(old_devices[i].address());
    if (it != new_by_address.end()) {
      pairs.push_back({&old_devices[i], &new_devices[it->second], false});
      new_used[it->second] = true;
    } else {
      pairs.push_back({&old_devices[i], nullptr, false});
    }
  }
  for (std::size_t i = 0; i < new_devices.size(); ++i) {
    if (!new_used[i]) {
      pairs.push_back({nullptr, &new_devices[i], false});
    }
  }

  for (const Pair& pair : pairs) {
    const bool was_answering = pair.older != nullptr && pair.older->answered();
    const bool is_answering = pair.newer != nullptr && pair.newer->answered();
    if (!was_answering && !is_answering) {
      continue; // errors (or absent) in both audits: not a change
    }
    DeviceChange change;
    if (pair.older != nullptr) {
      change.before = snapshot(*pair.older);
    }
    if (pair.newer != nullptr) {
      change.after = snapshot(*pair.newer);
    }
    if (was_answering && is_answering) {
      Comparison comparison = compare_devices(*pair.older, *pair.newer, pair.moved, diff, options);
      diff.identity.compared += comparison.identity.compared;
      for (const std::size_t side : {std::size_t{0}, std::size_t{1}}) {
        diff.identity.not_exchanged[side] += comparison.identity.not_exchanged[side];
        diff.identity.not_read[side] += comparison.identity.not_read[side];
      }
      change.reasons = settle(std::move(comparison));
      if (!classify(change)) {
        ++diff.unchanged;
        continue;
      }
    } else {
      const ChangeKind kind = is_answering ? ChangeKind::appeared : ChangeKind::vanished;
      describe_unanswered(change.reasons, is_answering ? pair.older : pair.newer, kind, is_answering);
      if (pair.moved) {
        change.reasons.push_back({ChangeKind::moved, "address", std::nullopt, "", pair.older->address(),
                                  pair.newer->address(),
                                  "moved from " + pair.older->address() + " to " + pair.newer->address()});
      }
      classify(change);
      change.kind = kind;
      change.also.erase(std::remove(change.also.begin(), change.also.end(), kind), change.also.end());
    }
    change.counts_as_worse =
        change.kind == ChangeKind::worse || (change.kind == ChangeKind::vanished && options.vanished_is_worse);
    ++diff.totals[change.kind];
    diff.changes.push_back(std::move(change));
  }
  warn_identity(diff, older, newer);
  std::stable_sort(diff.changes.begin(), diff.changes.end(), [](const DeviceChange& a, const DeviceChange& b) {
    return std::tuple(static_cast<int>(a.kind), address_order(a.current())) <
           std::tuple(static_cast<int>(b.kind), address_order(b.current()));
  });
  return diff;
}

json diff_to_json(const ReportDiff& diff, const ScanReport& older, const ScanReport& newer, const DiffOptions& options)
{
  json out;
  out["schema"] = "fleetcert-diff/1";
  out["old"] = report_facts(older);
  out["new"] = report_facts(newer);
  out["ignored"] = json(std::vector<std::string>(options.ignored_codes.begin(), options.ignored_codes.end()));
  out["fleet_findings_compared"] = diff.fleet_findings_compared;
  out["vanished_is_worse"] = options.vanished_is_worse;
  out["audit_settings"] = {{"compared", diff.settings_compared},
                           {"differ", diff.settings_differ()},
                           {"differences", diff.settings_differences}};
  out["identity"] = {{"compared", diff.identity.compared}, {"not_compared", diff.identity.not_compared()}};
  out["warnings"] = diff.warnings;
  out["worse"] = diff.worse();
  json totals = json::object();
  for (const ChangeKind kind : k_kinds) {
    totals[std::string(to_string(kind))] = diff.totals.at(kind);
  }
  totals["unchanged"] = diff.unchanged;
  out["totals"] = totals;
  out["changes"] = json::array();
  for (const DeviceChange& change : diff.changes) {
    const DeviceSnapshot& now = change.current();
    json item = {{"kind", std::string(to_string(change.kind))}, {"worse", change.counts_as_worse}};
    item["also"] = json::array();
    for (const ChangeKind kind : change.also) {
      item["also"].push_back(std::string(to_string(kind)));
    }
    put(item, "ip", now.ip);
    put(item, "host", now.host);
    if (change.before && change.after && change.before->ip != change.after->ip) {
      put(item, "old_ip", change.before->ip);
    }
    put(item, "mac", now.mac);
    put(item, "vendor", now.vendor);
    put(item, "model", now.model);
    put(item, "site", now.site);
    item["before"] = snapshot_to_json(change.before);
    item["after"] = snapshot_to_json(change.after);
    item["reasons"] = json::array();
    for (const ChangeReason& reason : change.reasons) {
      json r = {{"effect", std::string(to_string(reason.effect))}, {"field", reason.field}, {"text", reason.text}};
      if (reason.port) {
        r["port"] = *reason.port;
      }
      put(r, "code", reason.code);
      put(r, "before", reason.before);
      put(r, "after", reason.after);
      item["reasons"].push_back(std::move(r));
    }
    out["changes"].push_back(std::move(item));
  }
  return out;
}

std::string diff_to_text(const ReportDiff& diff, const ScanReport& older, const ScanReport& newer)
{
  auto describe = [](const ScanReport& report) {
    std::string out = terminal_safe(report.path);
    if (!report.started_at.empty()) {
      out += " (" + terminal_safe(report.started_at) + ")";
    }
    out += ", " + std::to_string(report.endpoints.size()) + " endpoints";
    if (report.interrupted) {
      out += ", INTERRUPTED";
    }
    return out;
  };
  std::string out = "old: " + describe(older) + "\nnew: " + describe(newer) + "\n";
  if (!diff.fleet_findings_compared) {
    out += "(a JSONL report has no fleet-wide findings: shared-certificate, shared-key and not-in-inventory are not compared)\n";
  }
  for (const std::string& warning : diff.warnings) {
    out += "warning: " + terminal_safe(warning) + "\n";
  }
  if (diff.settings_differ()) {
    out += "(provenance, vendor and the findings that follow from them, changed on unchanged certificates, are "
           "listed as audit settings changed, neither worse nor better)\n";
  }
  for (const DeviceChange& change : diff.changes) {
    const DeviceSnapshot& now = change.current();
    const std::string kind = ascii_upper(text_label(change.kind));
    std::string line = "\n" + kind + std::string(kind.size() < 9 ? 9 - kind.size() : 1, ' ');
    line += terminal_safe(now.address());
    for (const std::string* fact : {&now.mac, &now.vendor, &now.model, &now.site}) {
      if (!fact->empty()) {
        line += "  " + terminal_safe_fit(*fact, 32);
      }
    }
    if (!change.also.empty()) {
      line += "  [also";
      for (const ChangeKind kind_also : change.also) {
        line += (kind_also == change.also.front() ? " " : ", ") + text_label(kind_also);
      }
      line += "]";
    }
    out += line + "\n";
    for (const ChangeReason& reason : change.reasons) {
      out += "    " + text_label(reason.effect) + ": " + terminal_safe(reason.text) + "\n";
    }
  }
  if (!diff.changes.empty()) {
    out += "\n";
  }
  out += "totals: " + totals_line(diff) + "\n";
  return out;
}

} // namespace fleetcert
