#pragma once
// Reads a fleetcert report back: the JSON document ("fleetcert-scan/1") or a JSONL file, as
// compact endpoint facts grouped into devices. `diff`, `readiness` and `export` start here.
//
// Records are converted one at a time while the file is parsed (a JSON document is never held
// whole as a JSON tree), so memory is what the compact facts need.

#include "scanner/assessment/assessment.hpp"
#include "scanner/assessment/findings.hpp"
#include "scanner/assessment/fleet_view.hpp"
#include "scanner/assessment/provenance.hpp"
#include "scanner/certificate/certificate.hpp"
#include "scanner/inputs/inventory.hpp"
#include "scanner/model/announced_identity.hpp"
#include "scanner/model/audit_settings.hpp"
#include "scanner/model/device_identity.hpp"
#include "scanner/model/result.hpp"

#include <nlohmann/json.hpp>

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
  // tls.client_certificate_requested: the device asked for a client certificate; nullopt when the
  // record does not say (the probe could not tell, or a report of an older fleetcert).
  std::optional<bool> client_certificate_requested;
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
  std::string vendor_source; // "inventory", "mac-prefix", ...
  std::optional<ProvenanceKind> provenance_kind;
  std::optional<ProvenanceBasis> provenance_basis;
  std::string provenance_vendor;
  std::optional<bool> provenance_issuer_verified; // factory by issuer name: whether that name is verified
  std::vector<Finding> findings;

  std::optional<InventoryRow> inventory;
  // What the device announced of itself on this port (the record's "identity"); nullopt when the
  // record has none (no identity exchange, or a report of an older fleetcert).
  std::optional<AnnouncedIdentity> identity;
  std::string site; // the record's "site": the scan's --site, for a device whose inventory row names none

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
  std::optional<InventoryRow> inventory;        // its inventory row (fleet devices only)

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
  // scan.audit_settings of a JSON document; absent in a JSONL report, in one of a fleetcert that did
  // not record them, and when they do not read (a warning then says why).
  std::optional<AuditSettings> audit_settings;
  std::vector<ReportEndpoint> endpoints; // in file order
  // Words this version does not know, each read as unknown: "record 12: assessment.validity
  // 'revoked' is unknown to this fleetcert (a newer version's report?): read as unknown"; at most
  // k_report_warnings of them, then one line that counts the rest.
  std::vector<std::string> warnings;

  // The scan's device view (FleetView, fleet_view.hpp), worst first, then by address: the JSON
  // document's `devices` section as the scan wrote it, or, for a JSONL report (which has none),
  // the same view recomputed from the records by FleetView. Fleet-wide findings included.
  // nullopt in a report not made by load_scan_report: fleet_devices() recomputes it then.
  std::optional<std::vector<Device>> fleet;
  bool fleet_from_document = false; // true: read from the `devices` section; false: recomputed
  // What the recomputed view cannot know ("records without a PEM chain: shared-key ... cannot be
  // recomputed"); for the commands that use `fleet` to print.
  std::vector<std::string> fleet_warnings;

  // Every address of the records (by name for a name that did not resolve), in address order; skipped
  // endpoints belong to no device; findings merged from its records (no
  // fleet-wide ones in a JSONL report); pointers into `endpoints` (keep the report alive). `diff`.
  std::vector<ReportDevice> devices() const;
  // The devices of `fleet`, in its order, each with the endpoints of its address (pointers into
  // `endpoints`): identity, inventory row and findings are the fleet view's. `export`,
  // `readiness`. An inventory device of an interrupted scan may have no endpoint.
  std::vector<ReportDevice> fleet_devices() const;
  // Where `fleet` came from, for messages: "the JSON document's devices section" or
  // "recomputed from the records (JSONL)".
  std::string fleet_source() const;
};

inline constexpr std::size_t k_report_warnings = 20;

// Reads `path` (JSON document or JSONL, told apart by content). Errors name the file and, for
// JSONL, the line: "scan.jsonl:12: not a fleetcert record"; a file that is no JSON scan report says
// "not a fleetcert report:" and why (the parse error and its byte, the "schema" it has instead).
Result<ScanReport> load_scan_report(const std::string& path);

} // namespace fleetcert
