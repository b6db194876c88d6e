#pragma once
// `fleetcert readiness`: which devices would fail once the server trusts only the new bundle.
// Reads a saved scan report (--report), or scans live with the options of `scan` into a
// temporary JSON report, then evaluates every device (scanner/readiness) and writes the outcome.

#include "scanner/app/scan_command.hpp"

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace fleetcert {

struct ReadinessOptions
{
  ScanOptions scan;              // live scan: targets, ports, timeouts, inventory, profiles, CAs
  std::vector<std::string> report_paths; // --report (repeatable): saved scan reports instead of a scan, merged when several
  std::string trust_after_path;  // the bundle the server holds after the swap
  std::string at;                // the swap instant; empty: now
  std::string reject = "sha1,md5";
  int min_rsa_bits = 2048;
  std::string json_path;         // "-" = stdout (the text summary is then not printed)
  std::string csv_path;
  std::string html_path;         // --html: one self-contained HTML page
  std::string scan_json_path;    // keep the live scan's report here
  bool unknown_fails = false;    // exit 1 when a device is unknown, too
  bool quiet = false;
};

void setup_readiness(CLI::App& app, ReadinessOptions& options);

// Runs it; returns the exit status: 0 every device ready (or unknown, without --unknown-fails),
// 1 a device is not ready, 2 bad usage or input, 3 runtime failure; 128+N interrupted scan.
int run_readiness(const ReadinessOptions& options);

} // namespace fleetcert
