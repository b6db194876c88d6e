#pragma once
// Reads a fleetcert report back: the JSON document ("fleetcert-scan/1") or a JSONL file, as
// compact endpoint facts grouped into devices. `diff`, `readiness` and `export` start here.
//
// Records are converted one at a time while the file is parsed (a JSON document is never held
// whole as a JSON tree), so memory is what the compact facts need.

#include "scanner/assessment/assessment.hpp"
#include "scanner/assessment/findings.hpp"
#include "scanner/assessment/provenance.hpp"
#include "scanner/certificate/certificate.hpp"
#include "scanner/inputs/inventory.hpp"
#include "scanner/model/device_identity.hpp"
#include "scanner/model/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fleetcert {

// One endpoint of a report: what was seen and how it was assessed, in the live model's vocabulary.
// A word this version does not know (a report of a newer fleetcert) reads as nullopt, "unknown",
// and ScanReport::warnings says so.
struct ReportEndpoint
{
  std::string ip; // as format_address writes it, whatever spelling the report used; empty for a name that did not resolve
  std::string host;
  std::uint16_t port = 0;
  bool ok = false;                       // a certificate was received
  std::optional<ErrorClass> error_class; // when !ok and not skipped
  std::string error_detail;
  bool skipped = false;                  // status skipped: not connected to on purpose
  std::optional<SkipReason> skip_reason; // when skipped (nullopt: a reason this version does not know)
  std::string skip_detail;

  // The leaf, when ok.
  std::string cn;
  std::string subject;
  std::string issuer;
  std::string serial;
  std::string sha256;
  std::optional<std::int64_t> not_before;
  std::optional<std::int64_t> not_after;
  std::string signature_algorithm;
  std::string signature_label;
  std::optional<SignatureVerdict> signature_verdict;
  std::string key_type;
  int key_bits = 0;
  std::string key_curve;
  bool self_signed = false;
  std::vector<Der> chain; // from chain[].pem, leaf first (empty in reports written without PEM)

  // The assessment, when ok.
  std::optional<CnClass> cn_class;
  std::string cn_mac; // MAC found in the CN, normalised
  std::optional<Validity> validity;
  std::string vendor;
  std::optional<ProvenanceKind> provenance_kind;
  std::optional<ProvenanceBasis> provenance_basis;
  std::string provenance_vendor;
  std::vector<Finding> findings;

  std::optional<InventoryRow> inventory;

  // "factory/chain"; the kind alone without a basis; "" without a kind.
  std::string provenance() const;
  // The error class as a report writes it; "error" when the report names none this version knows.
  std::string error_word() const;
};

// The endpoints of one address (or of one hostname that never resolved).
struct ReportDevice : DeviceIdentity
{
  std::vector<const ReportEndpoint*> endpoints; // in port order
  std::vector<Finding> findings;                // one per code (the worst), worst first

  bool answered() const; // a certificate on at least one port
  std::optional<Severity> worst() const;
};

struct ScanReport
{
  std::string path;
  std::string format; // "json" or "jsonl"
  std::string started_at; // ISO 8601, when the report says
  std::string finished_at;
  bool interrupted = false;
  std::vector<ReportEndpoint> endpoints; // in file order
  // Words this version does not know, each read as unknown: "record 12: assessment.validity
  // 'revoked' is unknown to this fleetcert (a newer version's report?): read as unknown"; at most
  // k_report_warnings of them, then one line that counts the rest.
  std::vector<std::string> warnings;

  // Devices by address (by name for a name that did not resolve), in address order; pointers
  // into `endpoints` (keep the report alive). Skipped endpoints belong to no device.
  std::vector<ReportDevice> devices() const;
};

inline constexpr std::size_t k_report_warnings = 20;

// Reads `path` (JSON document or JSONL, told apart by content). Errors name the file and, for
// JSONL, the line: "scan.jsonl:12: not a fleetcert record".
Result<ScanReport> load_scan_report(const std::string& path);

} // namespace fleetcert
