#pragma once
// `fleetcert issuers REPORT`: the fleet's real PKI from a saved report, per device vendor
// (reports/workflows/issuer_inventory.hpp): the table or --json on stdout, --write-bundles DIR
// (one PEM bundle per vendor of the CA certificates devices sent), --profile-snippet VENDOR.

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace fleetcert {

struct IssuersOptions
{
  std::vector<std::string> reports; // the reports read (JSON document or JSONL), merged when several
  bool json = false;           // --json: the "fleetcert-issuers/1" document on stdout instead of the table
  std::string bundles_dir;     // --write-bundles DIR; empty: none
  std::string snippet_vendor;  // --profile-snippet VENDOR; empty: none
  std::string at;              // --at: judge CA validity at this instant instead of the scan's start
  bool quiet = false;          // no table (the outputs asked for and errors only)
};

void setup_issuers(CLI::App& app, IssuersOptions& options);

// Returns the exit status: 0 done, 2 bad usage or input (unreadable report, unknown vendor, DIR
// not writable, bundles from a report without PEM chains), 3 a write failed.
int run_issuers(const IssuersOptions& options);

} // namespace fleetcert
