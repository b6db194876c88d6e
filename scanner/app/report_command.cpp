// `fleetcert report`: streams the records of a saved report into the scan's sinks (JSON document,
// JSONL, CSV, device CSV, Prometheus), with the summary and the device view recomputed as the
// scan computes them, and the scan facts the input carries (none for JSONL: left out, never guessed).

#include "scanner/app/report_command.hpp"

#include "scanner/app/cli_common.hpp"

#include "reports/sinks/csv_report.hpp"
#include "reports/sinks/device_csv.hpp"
#include "reports/sinks/html_report.hpp"
#include "reports/sinks/json_report.hpp"
#include "reports/sinks/prometheus_report.hpp"
#include "reports/workflows/report_stream.hpp"
#include "scanner/assessment/fleet_view.hpp"
#include "scanner/inputs/inventory.hpp"
#include "scanner/util/text.hpp"

#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

namespace fleetcert {
namespace {

int report(const ReportOptions& options)
{
  if (options.json_path.empty() && options.jsonl_path.empty() && options.csv_path.empty()
      && options.csv_devices_path.empty() && options.prometheus_path.empty() && options.html_path.empty()) {
    throw UsageError("report: nothing to write: give --json, --jsonl, --csv, --csv-devices, --prometheus and/or --html");
  }
  check_prometheus_output(options.prometheus_path);
  // An output over the report being read would destroy it (--jsonl truncates at once).
  check_distinct_outputs({{"--json", options.json_path},
                          {"--jsonl", options.jsonl_path},
                          {"--csv", options.csv_path},
                          {"--csv-devices", options.csv_devices_path},
                          {"--prometheus", options.prometheus_path},
                          {"--html", options.html_path},
                          {"REPORT", options.report == "-" ? std::string() : options.report}});

  std::optional<Inventory> given;
  if (!options.inventory_path.empty()) {
    given = load_inventory_option(options.inventory_path, options.lenient);
  }

  ReportPaths paths;
  paths.json = options.json_path;
  paths.jsonl = options.jsonl_path;
  paths.csv = options.csv_path;
  paths.csv_devices = options.csv_devices_path;
  paths.prometheus = options.prometheus_path;
  paths.html = options.html_path;
  std::vector<std::unique_ptr<RecordSink>> sinks = open_report_sinks(paths, std::nullopt);
  for (auto& sink : sinks) {
    sink->begin(ScanInfo{});
  }

  ScanSummary summary;
  FleetView fleet;
  RecordInventory from_records;
  std::uint64_t without_pem = 0; // ok records whose chain has no PEM (an older fleetcert's)
  ReportStreamOptions stream_options;
  stream_options.allow_partial_last_line = options.allow_partial;
  Result<ReportStream> stream = read_report_records(
      options.report,
      [&](Record& record) {
        summary.add(record);
        from_records.add(record);
        without_pem += record.ok() && record.observation.chain.empty() ? 1 : 0;
        fleet.add(record);
        for (auto& sink : sinks) {
          sink->write(record);
        }
      },
      stream_options);
  if (!stream) {
    throw UsageError(stream.error());
  }
  print_warnings(options.report, stream->warnings);
  if (without_pem > 0) {
    print_error("warning: " + options.report + ": " + std::to_string(without_pem)
                + " records carry no PEM chain: shared-key (the same key in different certificates) cannot be "
                  "recomputed for them");
  }
  if (stream->partial_last_line) {
    print_error("warning: " + options.report + ":" + std::to_string(*stream->partial_last_line)
                + ": the last line is cut off (the scan writing it was killed): skipped; the reports lack that endpoint");
  }

  ScanInfo info = stream->scan;
  RebuiltFrom& from = info.rebuilt_from.emplace();
  from.path = options.report;
  from.sha256 = stream->sha256;
  from.format = stream->format;
  from.tool_version = FLEETCERT_VERSION;
  from.rebuilt_at = static_cast<std::int64_t>(std::time(nullptr));
  from.partial_last_line = stream->partial_last_line;
  if (given) {
    fleet.set_inventory(&*given);
    from.inventory_source = "inventory-option";
    from.inventory_path = options.inventory_path;
    from.inventory_sha256 = given->sha256;
    const std::optional<AuditSettings>& settings = info.audit_settings;
    if (settings && !settings->inventory.empty() && settings->inventory.front().sha256 != given->sha256) {
      print_error("warning: --inventory " + quote_for_message(options.inventory_path)
                  + " is not the inventory the scan used (" + quote_for_message(settings->inventory.front().file)
                  + ", another sha256): the inventory check follows the file given");
    }
  } else {
    fleet.set_inventory(from_records.inventory());
    from.inventory_source = from_records.inventory() != nullptr ? "records" : "none";
  }
  fleet.finish();

  // Every sink is finished, even after one fails: each output is whole or absent.
  std::optional<std::string> error;
  for (auto& sink : sinks) {
    try {
      sink->fleet(fleet);
      sink->finish(info, summary);
    } catch (const std::exception& e) {
      if (!error) {
        error = e.what();
      }
    }
  }
  if (error) {
    throw std::runtime_error(*error);
  }
  return k_exit_ok;
}

} // namespace

void setup_report(CLI::App& app, ReportOptions& options)
{
  CLI::App* cmd = app.add_subcommand(
      "report", "Rebuild a scan's reports (JSON document, JSONL, CSV, device CSV, Prometheus) from its saved JSONL "
                "or JSON report, e.g. after --resume");
  cmd->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  cmd->add_option("report", options.report, "The saved report (JSONL or JSON document); - = stdin")->required();
  cmd->add_option("--json", options.json_path, "Write the JSON document (records, scan, summary, devices)");
  cmd->add_option("--jsonl", options.jsonl_path, "Write one JSON record per line; - = stdout");
  cmd->add_option("--csv", options.csv_path, "Write one CSV row per endpoint");
  cmd->add_option("--csv-devices", options.csv_devices_path, "Write one CSV row per device, worst finding first");
  cmd->add_option("--html", options.html_path, "Write one self-contained HTML page: charts and a device table");
  cmd->add_option("--prometheus", options.prometheus_path, "Write Prometheus metrics (node_exporter textfile collector)");
  cmd->add_option("--inventory", options.inventory_path,
                  "The scan's inventory, for the inventory cross-check (default: the rows the records carry)");
  cmd->add_flag("--lenient", options.lenient, "Skip and count bad inventory rows instead of stopping");
  cmd->add_flag("--allow-partial", options.allow_partial,
                "Skip a cut-off last JSONL line (a killed scan) with a warning instead of refusing the report");
}

int run_report(const ReportOptions& options)
{
  return run_guarded("report", [&options] { return report(options); });
}

} // namespace fleetcert
