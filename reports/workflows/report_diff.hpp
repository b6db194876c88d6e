#pragma once
// `fleetcert diff`: what changed between two audits of the same fleet. Pure: takes two loaded
// reports (report_reader.hpp), returns the device changes; rendering as JSON ("fleetcert-diff/1")
// and as terminal text is here too, writing files is the command's job.
//
// Devices are matched first by MAC (when a MAC is known on both sides and names one address in
// each report), so a device that moved is one change, then by address. A device seen in both
// audits is ranked in each, and is worse when its rank drops, better when it rises (a mixed change
// is one or the other, never both). The rank compares, in this order, until one differs:
//   1. the signature verdicts of its ports audited in both (worst first):
//      current > legacy > rejected > unknown
//   2. its findings by severity: fewer critical, then fewer high, ... then fewer info
//   3. the provenance of those ports (worst first): factory/chain > factory/issuer-name
//      > custom-ca/chain > custom-ca/issuer-name > self-signed > unknown
//   4. their validity (worst first): valid > expiring > expired = not-yet-valid
//
// What a port announced of itself (issue 14: model, firmware and MAC read from its SIP or HTTP
// answer) is compared port by port, where that port announced an identity in both audits: a change
// is "changed", never worse or better (what a firmware changes in the verdicts shows in the
// findings, which are ranked). A port that announced one in only one audit (the other scanned with
// --identify none, by an older fleetcert, or its exchange failed) is not a change: a warning counts
// them.
//
// When both reports record their audit settings (scan.audit_settings) and these differ, a change
// of provenance, vendor or of the findings that follow from them (k_settings_findings) on a
// device whose certificates did not change is "audit-settings-changed", outside the rank.

#include "reports/workflows/report_reader.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fleetcert {

// The kinds of change, in the order a change's kind is chosen (and changes are listed).
enum class ChangeKind
{
  worse,          // seen in both audits and its rank dropped
  better,         // seen in both and its rank rose
  audit_settings, // "audit-settings-changed": provenance, vendor or findings that follow from the
                  // audit settings changed with them, on the same certificates
  rotated,        // a port presents another certificate, no better, no worse
  moved,    // matched by MAC at another address, nothing else of the above
  appeared, // presents a certificate now, did not before (or was not in the old audit)
  vanished, // presented a certificate before, does not now
  changed,  // anything else: a port started or stopped answering, MAC, vendor, model or site,
            // the model, firmware or MAC a port announced
};
std::string_view to_string(ChangeKind kind);

struct DiffOptions
{
  std::set<std::string> ignored_codes; // findings not compared (--ignore CODE)
  bool vanished_is_worse = false;      // a vanished device or port counts as worse (exit 1)
};

// Findings that follow from the audit settings (bundles, profiles, inventory) as much as from
// the device.
inline constexpr std::array<std::string_view, 5> k_settings_findings = {
    "unknown-issuer", "legacy-generation", "chain-incomplete", "issuer-pin-mismatch", "vendor-mismatch"};

// One difference found on a device; `effect` is the kind it contributes: worse or better only
// when it moved the rank the way the device's rank moved ("changed" when it went the other way).
struct ChangeReason
{
  ChangeKind effect = ChangeKind::changed;
  std::string field; // "finding", "signature_verdict", "provenance", "validity", "certificate",
                     // "address", "answering", "mac", "vendor", "model", "site", and per port
                     // "announced_model", "announced_firmware", "announced_mac"
  std::optional<std::uint16_t> port; // for per-port reasons
  std::string code;                  // for "finding"
  std::string before;
  std::string after;
  std::string text; // one sentence (may hold report text: escape it for a terminal)
};

// A device as one audit saw it (a copy, independent of the report's lifetime).
struct DeviceSnapshot : DeviceIdentity
{
  struct Port
  {
    std::uint16_t port = 0;
    std::string status; // "ok" or the error class ("error" when the report names none this version knows)
    std::string sha256, signature_label, not_after;
    std::optional<SignatureVerdict> signature_verdict;
    std::optional<ProvenanceKind> provenance_kind;
    std::optional<ProvenanceBasis> provenance_basis;
    std::optional<Validity> validity;
    std::optional<AnnouncedIdentity> identity; // the record's; nullopt: no identity exchange recorded
  };
  std::optional<Severity> worst;
  std::vector<Finding> findings;       // worst first
  std::vector<Port> ports;             // port order
};

struct DeviceChange
{
  ChangeKind kind = ChangeKind::changed;
  std::vector<ChangeKind> also; // the other kinds that apply (precedence order)
  std::optional<DeviceSnapshot> before; // absent: not in the old audit
  std::optional<DeviceSnapshot> after;  // absent: not in the new audit
  std::vector<ChangeReason> reasons;

  bool counts_as_worse = false; // kind worse, or vanished with vanished_is_worse
  // The device's address now (its old one when it vanished), and the other identifying facts.
  const DeviceSnapshot& current() const { return after ? *after : *before; }
};

// How many ports' announced identities were compared, and why others were not.
struct IdentityComparison
{
  std::size_t compared = 0; // presented a certificate and announced an identity in both audits
  // Presented a certificate in both audits but announced an identity in one only; by the audit
  // without it ([0] old, [1] new): no identity exchange there (--identify none, an older fleetcert)
  // and an exchange that failed or matched no identity pattern.
  std::array<std::size_t, 2> not_exchanged{};
  std::array<std::size_t, 2> not_read{};

  std::size_t not_compared() const { return not_exchanged[0] + not_exchanged[1] + not_read[0] + not_read[1]; }
};

struct ReportDiff
{
  std::vector<DeviceChange> changes; // by kind (enum order), then by address
  std::map<ChangeKind, std::size_t> totals; // by primary kind
  std::size_t unchanged = 0;                // devices seen in both audits with no change
  bool fleet_findings_compared = true;      // false when a report is JSONL (no fleet-wide findings)
  bool settings_compared = false;           // both reports record their audit settings
  std::vector<std::string> settings_differences; // when compared: what differs, one sentence each
  IdentityComparison identity;              // over the devices seen in both audits
  std::vector<std::string> warnings;        // the settings differ, or cannot be compared; identities
                                            // announced in one audit only
  bool worse() const;                       // anything counts as worse: exit 1
  bool settings_differ() const { return settings_compared && !settings_differences.empty(); }
};

// What differs between two audits' settings, one sentence each (files compared by content);
// empty when they are the same.
std::vector<std::string> audit_settings_differences(const AuditSettings& older, const AuditSettings& newer);

// Compares `older` with `newer`.
ReportDiff diff_reports(const ScanReport& older, const ScanReport& newer, const DiffOptions& options = {});

// The "fleetcert-diff/1" document (README "Comparing two audits").
nlohmann::json diff_to_json(const ReportDiff& diff, const ScanReport& older, const ScanReport& newer,
                            const DiffOptions& options);

// Human-readable text for a terminal: every report text passed through terminal_safe.
std::string diff_to_text(const ReportDiff& diff, const ScanReport& older, const ScanReport& newer);

// Rank in the orders above (higher is better); 0 when unknown (absent, or a word this version
// does not know).
int signature_verdict_rank(std::optional<SignatureVerdict> verdict);
int provenance_rank(std::optional<ProvenanceKind> kind, std::optional<ProvenanceBasis> basis);
int validity_rank(std::optional<Validity> validity);

} // namespace fleetcert
