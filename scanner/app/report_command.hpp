#pragma once
// `fleetcert report REPORT --json OUT [--jsonl OUT] [--csv OUT] [--csv-devices OUT] [--prometheus OUT] [--html OUT]`:
// the outputs of a scan rebuilt from its saved report (a JSONL report, e.g. one a --resume'd scan
// appended to, or a JSON document), by the scan's own sinks (reports/workflows/report_stream).

#include <CLI/CLI.hpp>

#include <string>

namespace fleetcert {

struct ReportOptions
{
  std::string report; // the saved report read (JSON document or JSONL; "-": standard input)
  std::string json_path;
  std::string jsonl_path;
  std::string csv_path;
  std::string csv_devices_path;
  std::string prometheus_path;
  std::string html_path;
  std::string inventory_path; // the scan's inventory, for the inventory cross-check
  bool lenient = false;       // skip bad inventory rows, as `scan --lenient`
  bool allow_partial = false; // skip a cut-off last JSONL line instead of refusing the report
};

void setup_report(CLI::App& app, ReportOptions& options);

// Returns the exit status: 0 written, 2 bad usage or input (nothing written: an unreadable or
// malformed report, a word of a newer fleetcert, a cut-off last line without --allow-partial),
// 3 an output could not be written.
int run_report(const ReportOptions& options);

} // namespace fleetcert
