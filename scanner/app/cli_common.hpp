#pragma once
// What every subcommand shares: its exit statuses, the exception that means bad usage or input,
// the guard that turns an exception into one line on stderr and a status, and reading an input file.

#include "reports/sinks/html_report.hpp"
#include "reports/sinks/sink.hpp"
#include "reports/workflows/report_reader.hpp"
#include "scanner/assessment/scan_verdict.hpp"

#include <CLI/CLI.hpp>

#include <exception>
#include <memory>
#include <streambuf>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace fleetcert {

constexpr int k_exit_ok = 0;
constexpr int k_exit_findings = 1; // scan --fail-on matched, diff: worse, readiness: not ready
constexpr int k_exit_usage = 2;    // bad usage or input; nothing was scanned or written
constexpr int k_exit_runtime = 3;  // a failure while running (a write, the network stack)
constexpr int k_exit_too_few_answering = 4; // scan and check: fewer devices answered than --min-answering

// Thrown for bad usage or input: the message names the argument, file or line.
struct UsageError : std::runtime_error
{
  using std::runtime_error::runtime_error;
};

// "fleetcert: <message>" on stderr, escaped for a terminal (messages quote files and reports).
void print_error(const std::string& message);

// An error message of a subcommand in its one form, "<command>: <message>" ("scan: invalid --ports:
// ..."); `message` alone when it names the command already ("scan: ...", "export devices: ...") or
// `command` is empty. print_error adds the "fleetcert: " before it.
std::string command_message(const std::string& command, const std::string& message);

// "fleetcert: warning: <source>: <warning>" on stderr for each warning (print_error's escaping).
void print_warnings(const std::string& source, const std::vector<std::string>& warnings);

// A saved scan report (JSON or JSONL), its warnings printed; throws UsageError naming what is wrong.
ScanReport load_report(const std::string& path);

// The --inventory file (CSV or JSON), each row skipped under --lenient said on stderr ("fleetcert:
// skipped ..."); throws UsageError naming the file and what is wrong with it.
Inventory load_inventory_option(const std::string& path, bool lenient);

// Refuses an option that takes one value given twice on the command line (`--timeout 5 ...
// --timeout 10`): which one the user meant is a guess. `args` is argv as given (before --config
// is expanded, so a command-line value may still override a config file's); options that take a
// list (`--vendor-ca`, `--exclude`) may repeat. Throws UsageError naming the subcommand and option.
void reject_repeated_options(CLI::App& app, const std::vector<std::string>& args);

// One output a subcommand is asked to write: the option that names it and its path ("-": stdout).
struct NamedOutput
{
  std::string option; // "--json"
  std::string path;
};

// Refuses, before anything is read or scanned, two outputs that would land in one place: two on
// standard output, one path twice (compared as std::filesystem::weakly_canonical paths), or one
// existing file reached through two paths (same device and inode, a hard or symbolic link).
// Outputs with an empty path are not asked for. Throws UsageError naming both options.
void check_distinct_outputs(const std::vector<NamedOutput>& outputs);

// --prometheus PATH: "-", or a file named as node_exporter's textfile collector reads it (*.prom);
// throws UsageError otherwise. Empty: not asked for.
void check_prometheus_output(const std::string& path);

// --fail-on and --min-answering as given to scan and check, parsed; throws UsageError.
struct VerdictPolicy
{
  FailOnPolicy fail_on;
  std::optional<MinAnswering> min_answering;
};
VerdictPolicy parse_verdict_policy(const std::string& fail_on, const std::string& min_answering);

// The exit status a verdict gives, with its lines on stderr (also under --quiet): 4 when too few
// devices answered (it wins over 1: findings of a mostly dead range are no audit; the --fail-on
// line is printed too), 1 when --fail-on matched, else 0.
int verdict_exit_status(const ScanVerdict& verdict);

// The verdict over a saved report: its device view (fleet_devices, fleet-wide findings included)
// and its addresses (devices); the same as the scan that wrote it decided.
ScanVerdict report_verdict(const ScanReport& report, const FailOnPolicy& fail_on,
                           const std::optional<MinAnswering>& min_answering);

// The whole file; throws UsageError("cannot read <what> '<path>': <reason>"), the reason as
// open_input_file gives it ("No such file or directory", "Is a directory").
std::string read_text_file(const std::string& path, const char* what);

// Makes a write to standard output that fails (a full disk, a closed pipe: SIGPIPE is ignored, so
// EPIPE) fail the command: SIGPIPE ignored from now on, and std::cout's failures remembered with
// their errno for finish_standard_output.
void ignore_broken_pipes();

// Flushes standard output; when it or an earlier write to it failed, prints "<command>: cannot
// write to standard output: <errno text>" (unless `status` is already k_exit_runtime, whose message
// said so) and returns k_exit_runtime, or `status` when higher (a signal's). Otherwise returns `status`.
int finish_standard_output(int status, const std::string& command = {});

// Runs `body` (which returns an exit status): UsageError prints "<command>: <message>"
// (command_message) and gives 2, any other exception prints "<command> failed: ..." and gives 3;
// then a failed standard output gives 3 (finish_standard_output).
template <typename Body> int run_guarded(const char* command, Body&& body)
{
  ignore_broken_pipes();
  int status = k_exit_ok;
  try {
    status = body();
  } catch (const UsageError& e) {
    print_error(command_message(command, e.what()));
    status = k_exit_usage;
  } catch (const std::exception& e) {
    print_error(std::string(command) + " failed: " + e.what());
    status = k_exit_runtime;
  }
  return finish_standard_output(status, command);
}

// The report files a scan or `fleetcert report` writes; an empty path is not written.
struct ReportPaths
{
  std::string json;
  std::string jsonl;
  bool append_jsonl = false; // --resume: the JSONL report is continued, not replaced
  std::string csv;
  std::string csv_devices;
  std::string prometheus;
  std::string html;
};

// Opens every report of `paths` (as temporary files, so an unwritable path fails before anything
// is scanned or read), in one order; `clock` is the HTML page's assessment date when known.
// Throws UsageError naming the path that cannot be written.
std::vector<std::unique_ptr<RecordSink>> open_report_sinks(const ReportPaths& paths, std::optional<HtmlClock> clock);

} // namespace fleetcert
