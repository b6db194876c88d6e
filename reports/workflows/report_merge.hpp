#pragma once
// `fleetcert merge`: several saved scan reports (JSON documents or JSONL, any mix; one per site or
// per shard) streamed into the scan's sinks as if one scan had produced every record: the device
// view, the fleet-wide findings (shared certificate, shared key, the inventory cross-check), the
// summary and the per-site and per-vendor totals are recomputed over all of them.
//
// Each input is read twice, record by record (report_stream): once for its scan section (the audit
// settings are checked before anything is written), once to hand its records on, newest scan
// first. An endpoint (address and port) found in several inputs keeps the newest input's record.
// Memory: the device view (FleetView: one entry per device that answered or is in the inventory)
// and 16 bytes per endpoint for the duplicate check, never a record or a JSON tree.

#include "reports/sinks/sink.hpp"
#include "scanner/inputs/inventory.hpp"
#include "scanner/model/audit_settings.hpp"
#include "scanner/model/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fleetcert {

struct MergeOptions
{
  std::vector<std::string> inputs;      // the saved reports as given; "-" is refused (each is read twice)
  const Inventory* inventory = nullptr; // --inventory for the cross-check; null: the rows the records carry
  std::string inventory_path;
  bool force = false;                   // merge reports whose audit settings differ (with a warning)
  bool allow_partial = false;           // skip an input's cut-off last JSONL line (with a warning)
  std::string tool_version;             // scan.merged_from.version
  std::int64_t merged_at = 0;           // scan.merged_from.merged_at
};

struct MergeOutcome
{
  ScanInfo info;             // the merged scan section, as the sinks were finished with
  ScanSummary summary;       // over the records handed on
  std::uint64_t records = 0; // handed on
  // For stderr, each one line without "fleetcert: warning: ": inputs' unknown keys, duplicate
  // endpoints, mixed or unknown audit settings, records without PEM chains.
  std::vector<std::string> warnings;
};

// Which setting makes `a` and `b` incompatible, by content (sha256), not by path: the --vendor-ca
// bundles (per vendor), the --trust bundles, the built-in profile set, the --profiles files; the
// inventory and lease files may differ (one per site). nullopt when compatible.
std::optional<std::string> audit_settings_difference(const AuditSettings& a, const AuditSettings& b);

// Merges `options.inputs` into `sinks` (each begun, written, given the device view, finished; one
// that fails to finish does not stop the others, and the first failure is thrown as
// std::runtime_error). Bad input, the same report twice, and audit settings that differ without
// `force` are an Error naming the inputs, returned before any sink is begun.
Result<MergeOutcome> merge_reports(const MergeOptions& options, const std::vector<RecordSink*>& sinks);

} // namespace fleetcert
