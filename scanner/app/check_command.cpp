// `fleetcert check`: reads a saved report and judges it as `scan` judged it when it finished.

#include "scanner/app/check_command.hpp"

#include "scanner/app/cli_common.hpp"

namespace fleetcert {
namespace {

int check(const CheckOptions& options)
{
  if (options.fail_on.empty() && options.min_answering.empty()) {
    throw UsageError("check: nothing to check: give --fail-on EXPR and/or --min-answering N|N%");
  }
  const VerdictPolicy policy = parse_verdict_policy(options.fail_on, options.min_answering);
  const ScanReport report = load_report(options.report);
  if (report.interrupted) {
    // The scan itself gave 130/143 (or 3) and judged nothing: say that this verdict covers less.
    print_error("warning: " + report.path
                + ": the scan was interrupted or failed; the verdict covers only the endpoints that completed");
  }
  if (!policy.fail_on.empty()) {
    print_warnings(report.path, report.fleet_warnings);
  }
  return verdict_exit_status(report_verdict(report, policy.fail_on, policy.min_answering));
}

} // namespace

void setup_check(CLI::App& app, CheckOptions& options)
{
  CLI::App* cmd = app.add_subcommand(
      "check", "Apply --fail-on and/or --min-answering to a saved report, without scanning again (the scan's exit status)");
  cmd->add_option("report", options.report, "The report (JSON document or JSONL)")->required();
  cmd->add_option("--fail-on", options.fail_on,
                  "Exit 1 when a device has a matching finding: codes and/or severity>=LEVEL (as scan --fail-on)");
  cmd->add_option("--min-answering", options.min_answering,
                  "Exit 4 when fewer devices answered: N, or N% of the addresses the report covers (of its inventory "
                  "devices when it has some)");
}

int run_check(const CheckOptions& options)
{
  return run_guarded("check", [&options] { return check(options); });
}

} // namespace fleetcert
