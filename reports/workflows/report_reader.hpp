#pragma once
// Reads a fleetcert report back: the JSON document ("fleetcert-scan/1") or a JSONL file, as
// compact endpoint facts grouped into devices. `diff`, `readiness` and `export` start here.
//
// Records are converted one at a time while the file is parsed (a JSON document is never held
// whole as a JSON tree), so memory is what the compact facts need.

#include "scanner/certificate/certificate.hpp"
#include "scanner/assessment/findings.hpp"
#include "scanner/inputs/inventory.hpp"
#include "scanner/model/device_identity.hpp"
#include "scanner/model/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fleetcert {

struct ReportFinding
{
  std::string code;
  Severity severity = Severity::info;
  std::string message;
  std::string remediation;
};

// One endpoint of a report: what was seen and how it was assessed.
struct ReportEndpoint
{
  std::string ip;
  std::string host;
  std::uint16_t port = 0;
  bool ok = false;          // a certificate was received
  std::string error_class;  // when !ok: "refused", "timeout", ...
  std::string error_detail;

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
  std::string signature_verdict; // "current", "legacy", "rejected", ...
  std::string key_type;
  int key_bits = 0;
  std::string key_curve;
  bool self_signed = false;
  std::vector<Der> chain; // from chain[].pem, leaf first (empty in reports written without PEM)

  // The assessment, when ok.
  std::string cn_class;
  std::string cn_mac;  // MAC found in the CN, normalised
  std::string validity; // "valid", "expired", "not-yet-valid", ...
  std::string vendor;
  std::string provenance_kind;
  std::string provenance_basis;
  std::string provenance_vendor;
  std::vector<ReportFinding> findings;

  std::optional<InventoryRow> inventory;
};

// The endpoints of one address (or of one hostname that never resolved).
struct ReportDevice : DeviceIdentity
{
  std::vector<const ReportEndpoint*> endpoints; // in port order
  std::vector<ReportFinding> findings;          // one per code (the worst), worst first

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

  // Devices by address, in address order; pointers into `endpoints` (keep the report alive).
  std::vector<ReportDevice> devices() const;
};

// Reads `path` (JSON document or JSONL, told apart by content). Errors name the file and, for
// JSONL, the line: "scan.jsonl:12: not a fleetcert record".
Result<ScanReport> load_scan_report(const std::string& path);

} // namespace fleetcert
