// `fleetcert merge`: the saved reports merged into the scan's sinks (reports/workflows/report_merge),
// and load_reports, the one merging reader of the commands that take several reports.

#include "scanner/app/merge_command.hpp"

#include "scanner/app/cli_common.hpp"

#include "reports/sinks/json_report.hpp"
#include "reports/workflows/report_merge.hpp"
#include "reports/workflows/report_reader.hpp"
#include "scanner/inputs/inventory.hpp"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>

#include <stdlib.h>

namespace fleetcert {
namespace {

// A directory for the merged document, removed with what it holds.
class MergeScratch
{
public:
  MergeScratch()
  {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/fleetcert-merge-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("cannot create a temporary directory in " + pattern.substr(0, pattern.rfind('/')));
    }
    m_path = pattern;
  }
  ~MergeScratch()
  {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
  }
  MergeScratch(const MergeScratch&) = delete;
  MergeScratch& operator=(const MergeScratch&) = delete;
  std::string file(const std::string& name) const { return m_path + "/" + name; }

private:
  std::string m_path;
};

// Merges `options.inputs` into `sinks`, its warnings on stderr; throws UsageError for bad input.
void merge_into(MergeOptions options, const std::vector<std::unique_ptr<RecordSink>>& sinks)
{
  options.tool_version = FLEETCERT_VERSION;
  options.merged_at = static_cast<std::int64_t>(std::time(nullptr));
  std::vector<RecordSink*> pointers;
  for (const auto& sink : sinks) {
    pointers.push_back(sink.get());
  }
  Result<MergeOutcome> outcome = merge_reports(options, pointers);
  if (!outcome) {
    throw UsageError(outcome.error());
  }
  print_warnings("merge", outcome->warnings);
}

int merge(const MergeCommandOptions& options)
{
  if (options.json_path.empty() && options.jsonl_path.empty() && options.csv_path.empty()
      && options.csv_devices_path.empty() && options.prometheus_path.empty() && options.html_path.empty()) {
    throw UsageError("merge: nothing to write: give --json, --jsonl, --csv, --csv-devices, --prometheus and/or --html");
  }
  check_prometheus_output(options.prometheus_path);
  // An output over a report being read would destroy it.
  std::vector<NamedOutput> outputs = {{"--json", options.json_path},
                                      {"--jsonl", options.jsonl_path},
                                      {"--csv", options.csv_path},
                                      {"--csv-devices", options.csv_devices_path},
                                      {"--prometheus", options.prometheus_path},
                                      {"--html", options.html_path}};
  for (const std::string& report : options.reports) {
    outputs.push_back({"REPORT", report == "-" ? std::string() : report});
  }
  check_distinct_outputs(outputs);

  std::optional<Inventory> inventory;
  MergeOptions merge_options;
  merge_options.inputs = options.reports;
  merge_options.force = options.force;
  merge_options.allow_partial = options.allow_partial;
  if (!options.inventory_path.empty()) {
    inventory = load_inventory_option(options.inventory_path, options.lenient);
    merge_options.inventory = &*inventory;
    merge_options.inventory_path = options.inventory_path;
  }

  ReportPaths paths;
  paths.json = options.json_path;
  paths.jsonl = options.jsonl_path;
  paths.csv = options.csv_path;
  paths.csv_devices = options.csv_devices_path;
  paths.prometheus = options.prometheus_path;
  paths.html = options.html_path;
  merge_into(std::move(merge_options), open_report_sinks(paths, std::nullopt));
  return k_exit_ok;
}

} // namespace

ScanReport load_reports(const std::vector<std::string>& paths)
{
  if (paths.size() == 1) {
    return load_report(paths.front());
  }
  MergeScratch scratch;
  const std::string merged = scratch.file("merged.json");
  std::vector<std::unique_ptr<RecordSink>> sinks;
  sinks.push_back(std::make_unique<JsonReport>(merged));
  MergeOptions options;
  options.inputs = paths;
  merge_into(std::move(options), sinks);
  ScanReport report = load_report(merged);
  report.path = paths.front() + " (merged with " + std::to_string(paths.size() - 1) + " more)";
  return report;
}

void setup_merge(CLI::App& app, MergeCommandOptions& options)
{
  CLI::App* cmd = app.add_subcommand(
      "merge", "Merge saved scan reports (one per site or shard; JSON or JSONL) into one scan's reports: one device "
               "view, fleet-wide findings, summary and totals over all of them");
  cmd->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  cmd->add_option("reports", options.reports, "The saved reports (JSON documents and/or JSONL)")
      ->required()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--json", options.json_path, "Write the JSON document (records, scan, summary, devices)");
  cmd->add_option("--jsonl", options.jsonl_path, "Write one JSON record per line; - = stdout");
  cmd->add_option("--csv", options.csv_path, "Write one CSV row per endpoint");
  cmd->add_option("--csv-devices", options.csv_devices_path, "Write one CSV row per device, worst finding first");
  cmd->add_option("--html", options.html_path, "Write one self-contained HTML page: charts and a device table");
  cmd->add_option("--prometheus", options.prometheus_path, "Write Prometheus metrics (node_exporter textfile collector)");
  cmd->add_option("--inventory", options.inventory_path,
                  "The fleet's inventory, for the inventory cross-check (default: the rows the records carry)");
  cmd->add_flag("--lenient", options.lenient, "Skip and count bad inventory rows instead of stopping");
  cmd->add_flag("--force", options.force,
                "Merge reports made with different audit settings (bundles, profiles) anyway, with a warning");
  cmd->add_flag("--allow-partial", options.allow_partial,
                "Skip a cut-off last JSONL line of an input (a killed scan) with a warning instead of refusing it");
}

int run_merge(const MergeCommandOptions& options)
{
  return run_guarded("merge", [&options] { return merge(options); });
}

} // namespace fleetcert
