#pragma once
// `fleetcert merge REPORT... --json OUT [--jsonl OUT] [--csv OUT] [--csv-devices OUT] [--html OUT]
// [--prometheus OUT] [--inventory FILE] [--force]`: several saved scan reports (one per site or per
// shard; JSON documents or JSONL, any mix) written as one scan's outputs by the scan's own sinks
// (reports/workflows/report_merge).

#include "reports/workflows/report_reader.hpp"

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace fleetcert {

struct MergeCommandOptions
{
  std::vector<std::string> reports; // the saved reports, in command-line order
  std::string json_path;
  std::string jsonl_path;
  std::string csv_path;
  std::string csv_devices_path;
  std::string prometheus_path;
  std::string html_path;
  std::string inventory_path; // the fleet's inventory, for the inventory cross-check
  bool lenient = false;       // skip bad inventory rows, as `scan --lenient`
  bool force = false;         // merge reports made with different audit settings
  bool allow_partial = false; // skip a cut-off last JSONL line of an input (a killed scan), with a warning
};

void setup_merge(CLI::App& app, MergeCommandOptions& options);

// Returns the exit status: 0 written, 2 bad usage or input (nothing written: an unreadable or
// malformed report, one given twice, audit settings that differ without --force), 3 an output
// could not be written.
int run_merge(const MergeCommandOptions& options);

// The reports of `paths` as one ScanReport, for `readiness`, `diff`, `export` and `issuers`: one
// path is read as it is (load_report); several are merged (merge_reports, the settings' check
// included, --force never: a verdict over reports whose settings differ is refused) into a
// temporary JSON document that is then read. Warnings go to stderr; throws UsageError.
ScanReport load_reports(const std::vector<std::string>& paths);

} // namespace fleetcert
