#pragma once
// Report sinks: each output format receives records as endpoints complete and finishes once.
// The engine calls a sink from one thread at a time.

#include "scanner/assessment/bundle_check.hpp"
#include "scanner/assessment/record.hpp"
#include "scanner/model/audit_settings.hpp"
#include "scanner/targets/shard.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace fleetcert {

class FleetView;

// Facts about the scan that a report rebuilt from a saved one (`fleetcert report`) may not know: a
// JSONL report carries only records. A fact the input did not carry is left out of the outputs,
// never guessed (ScanInfo::unknown).
enum class ScanFact
{
  version,           // scan.version
  times,             // scan.started_at, finished_at, duration_s
  arguments,         // scan.arguments
  ports,             // scan.ports
  endpoints_planned, // scan.endpoints_planned
  outcome,           // scan.interrupted, failed, failure
  bundles,           // scan.bundles
  warnings,          // scan.warnings
};

// The JSON document's key(s) for a fact, for messages and scan.rebuilt_from.unknown: "started_at", ...
std::vector<std::string> scan_fact_keys(ScanFact fact);

// Where a rebuilt report came from (scan.rebuilt_from).
struct RebuiltFrom
{
  std::string path;         // the saved report as given ("-": standard input)
  std::string sha256;       // of its bytes
  std::string format;       // "json" or "jsonl"
  std::string tool_version; // the fleetcert that rebuilt it
  std::int64_t rebuilt_at = 0;
  // Where the inventory cross-check's inventory came from: "inventory-option" (--inventory FILE,
  // with its path and sha256), "records" (the rows the records carry), "none" (no record carries one).
  std::string inventory_source;
  std::string inventory_path;
  std::string inventory_sha256;
  std::optional<std::size_t> partial_last_line; // a cut-off last JSONL line that was skipped
};

// One input of a merged document (scan.merged_from.inputs[]).
struct MergedInput
{
  std::string path;   // as given
  std::string sha256; // of its bytes
  std::string format; // "json" or "jsonl"
  std::optional<std::int64_t> started_at; // its scan.started_at / finished_at, when it carries them
  std::optional<std::int64_t> finished_at;
  std::string tool_version;            // its scan.version, when it carries one
  std::vector<std::string> arguments;  // its scan.arguments, when it carries them
  std::uint64_t records = 0;  // records read
  std::uint64_t replaced = 0; // of those, left out: a newer input has the same endpoint
};

// Where a merged document came from (scan.merged_from, `fleetcert merge`).
struct MergedFrom
{
  std::vector<MergedInput> inputs; // in command-line order
  std::string tool_version;        // the fleetcert that merged them
  std::int64_t merged_at = 0;
  // "same" (every input carries audit settings and they agree), "mixed" (they differ: --force),
  // "unknown" (an input carries none: a JSONL report, an older fleetcert's).
  std::string audit_settings;
  std::uint64_t duplicate_endpoints = 0; // endpoints found in several inputs (the newest kept)
  // As RebuiltFrom: "inventory-option", "records" or "none", and the --inventory file.
  std::string inventory_source;
  std::string inventory_path;
  std::string inventory_sha256;
};

// Facts about the scan itself, for report headers.
struct ScanInfo
{
  std::string tool_version;
  std::int64_t started_at = 0;  // seconds since the epoch
  std::int64_t finished_at = 0; // set before finish()
  std::vector<std::string> arguments; // the command line as given
  std::vector<std::uint16_t> ports;
  std::uint64_t endpoints_planned = 0;
  bool interrupted = false;    // stopped before every planned endpoint was probed (a signal or a failure)
  bool failed = false;         // stopped by a failure (an exception in the engine), not by a signal
  std::string failure;         // why, when failed
  std::optional<AuditSettings> audit_settings; // the inputs the verdicts depend on (scan.audit_settings)
  std::string site;            // --site: the site of devices whose inventory row names none (scan.site)
  std::optional<Shard> shard;  // --shard K/N: this report holds only shard K's devices (scan.shard)
  std::vector<BundleUse> bundles;     // set before finish(): what each --vendor-ca and --trust bundle verified
  std::vector<ScanWarning> warnings;  // set before finish(): inputs that could not support a verdict
  std::optional<RebuiltFrom> rebuilt_from; // set by `fleetcert report`: rebuilt from a saved report
  std::optional<MergedFrom> merged_from;   // set by `fleetcert merge`: merged from saved reports
  std::set<ScanFact> unknown;              // facts the rebuilt report's input did not carry: left out

  bool knows(ScanFact fact) const { return unknown.count(fact) == 0; }
};

// Running counts over the records, kept by the engine and written by the sinks at the end.
struct ScanSummary
{
  std::uint64_t endpoints = 0;
  std::uint64_t ok = 0;
  std::uint64_t errors = 0;
  std::uint64_t skipped = 0; // records of endpoints not connected to on purpose (status skipped)
  std::map<std::string, std::uint64_t> error_classes;      // "timeout" -> n
  std::map<std::string, std::uint64_t> signature_labels;   // "RSA+SHA256" -> n (leaf)
  std::map<std::string, std::uint64_t> signature_verdicts; // "rejected" -> n
  std::map<std::string, std::uint64_t> validity;           // "expired" -> n
  std::map<std::string, std::uint64_t> cn_classes;         // "mac" -> n
  std::map<std::string, std::uint64_t> tls_versions;       // "TLSv1.2" -> n
  std::uint64_t self_signed = 0;
  // Over ok records, parsed or not; fleet-wide findings (FleetView) are not counted here.
  std::map<std::string, std::uint64_t> findings;   // finding code -> endpoints with it
  // (code, severity) -> endpoints: one code may come at several severities (unknown-issuer).
  std::map<std::pair<std::string, Severity>, std::uint64_t> finding_severities;
  std::map<std::string, std::uint64_t> severities; // worst severity -> endpoints (with a finding)
  std::map<std::string, std::uint64_t> provenance; // "factory" -> n
  // Vendor -> ok records that are factory only by a profile's issuer name that nobody has verified.
  std::map<std::string, std::uint64_t> unverified_issuer_names;
  std::map<std::string, std::uint64_t> vendors;    // vendor -> n (when known)

  void add(const Record& record);
};

class RecordSink
{
public:
  virtual ~RecordSink() = default;
  virtual void begin(const ScanInfo& info) = 0;
  virtual void write(const Record& record) = 0;
  // The device view of the whole scan, once, after the last record and before finish(). The view
  // outlives finish(). Default: not interested.
  virtual void fleet(const FleetView& /*view*/) {}
  // Completes the report (for files: writes the temporary file out and renames it into place).
  virtual void finish(const ScanInfo& info, const ScanSummary& summary) = 0;
};

} // namespace fleetcert
