#pragma once
// What every subcommand shares: its exit statuses, the exception that means bad usage or input,
// the guard that turns an exception into one line on stderr and a status, and reading an input file.

#include "reports/workflows/report_reader.hpp"
#include "scanner/assessment/scan_verdict.hpp"

#include <exception>
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

// "fleetcert: warning: <source>: <warning>" on stderr for each warning (print_error's escaping).
void print_warnings(const std::string& source, const std::vector<std::string>& warnings);

// A saved scan report (JSON or JSONL), its warnings printed; throws UsageError naming what is wrong.
ScanReport load_report(const std::string& path);

// The exit status a verdict gives, with its lines on stderr (also under --quiet): 4 when too few
// devices answered (it wins over 1: findings of a mostly dead range are no audit; the --fail-on
// line is printed too), 1 when --fail-on matched, else 0.
int verdict_exit_status(const ScanVerdict& verdict);

// The verdict over a saved report: its device view (fleet_devices, fleet-wide findings included)
// and its addresses (devices); the same as the scan that wrote it decided.
ScanVerdict report_verdict(const ScanReport& report, const FailOnPolicy& fail_on,
                           const std::optional<MinAnswering>& min_answering);

// The whole file; throws UsageError("cannot read <what> '<path>'").
std::string read_text_file(const std::string& path, const char* what);

// Runs `body` (which returns an exit status): UsageError prints its message and gives 2, any other
// exception prints "<command> failed: ..." and gives 3.
template <typename Body> int run_guarded(const char* command, Body&& body)
{
  try {
    return body();
  } catch (const UsageError& e) {
    print_error(e.what());
    return k_exit_usage;
  } catch (const std::exception& e) {
    print_error(std::string(command) + " failed: " + e.what());
    return k_exit_runtime;
  }
}

} // namespace fleetcert
