#pragma once
// `fleetcert export grandstream-update | generic-cn | devices REPORT`: lists made from a report
// (reports/workflows/export_batches.hpp), written atomically.

#include <CLI/CLI.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace fleetcert {

struct ExportOptions
{
  std::string kind;   // the export chosen: "grandstream-update", "generic-cn", "devices"
  std::vector<std::string> reports; // the reports read (JSON document or JSONL), merged when several
  std::string out;    // grandstream-update: a directory; the others: a CSV file or - (stdout)
  std::size_t batch_size = 1000;   // grandstream-update: MACs per file (the portal takes 1000)
  bool force = false;              // grandstream-update: replace earlier batch files in `out`
  std::string profiles_dir;        // grandstream-update: --profiles DIR (portal_models)
  std::vector<std::string> where;  // devices: KEY=VALUE conditions
  bool quiet = false;
};

void setup_export(CLI::App& app, ExportOptions& options);

// Returns the exit status: 0 written, 2 bad input or usage (nothing written), 3 write failure.
int run_export(const ExportOptions& options);

} // namespace fleetcert
