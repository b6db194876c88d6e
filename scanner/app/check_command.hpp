#pragma once
// `fleetcert check REPORT --fail-on EXPR [--min-answering N|N%]`: a policy applied to a saved report
// (JSON document or JSONL) without scanning again; the same status and stderr line as the scan that
// wrote the report gave (scanner/assessment/scan_verdict).

#include <CLI/CLI.hpp>

#include <string>

namespace fleetcert {

struct CheckOptions
{
  std::string report;        // the report read (JSON document or JSONL)
  std::string fail_on;       // as `scan --fail-on`
  std::string min_answering; // as `scan --min-answering`
};

void setup_check(CLI::App& app, CheckOptions& options);

// Returns the exit status: 0 nothing matched and enough answered, 1 --fail-on matched, 2 bad usage
// or input (an unreadable report, neither --fail-on nor --min-answering), 4 too few devices answered.
int run_check(const CheckOptions& options);

} // namespace fleetcert
