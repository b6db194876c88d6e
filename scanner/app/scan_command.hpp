#pragma once
// `fleetcert scan`: options, their set-up on the command line, and the run.

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace fleetcert {

struct EngineSettings;

struct ScanOptions
{
  std::vector<std::string> targets;
  std::vector<std::string> targets_files;
  std::vector<std::string> excludes;
  std::vector<std::string> exclude_files;
  std::string ports = "443,5061";
  unsigned concurrency = 256;
  unsigned threads = 0;
  double timeout_s = 5.0;
  double connect_timeout_s = 0.0;
  std::string sni;
  bool no_legacy_retry = false;
  bool full_handshake = false; // complete every handshake instead of stopping at the certificate
  std::string identify = "sip,http";  // --identify sip,http | sip | http | none: the identity exchange
  std::string sip_ports = "5061"; // --sip-ports: the ports --identify sip asks with a SIP OPTIONS
  std::string http_ports = "443"; // --http-ports: the ports --identify http asks with GET /
  unsigned rate = 0;           // new connections per second across all threads; 0: unlimited
  bool shuffle = false;        // spread the sweep: targets in a pseudo-random order
  std::string seed;            // the shuffle's seed (decimal); empty: a random one
  unsigned per_device = 1;     // connections in flight to one device at most
  std::string shard;           // --shard K/N or auto/N (K from JOB_COMPLETION_INDEX); empty: every target
  std::string site;            // --site: stamped on every device whose inventory row names no site
  std::string json_path;
  std::string jsonl_path;
  std::string csv_path;
  std::string csv_devices_path;
  std::string prometheus_path; // --prometheus: node_exporter textfile-collector metrics
  std::string html_path;       // --html: one self-contained HTML page (reports/sinks/html_report)
  std::string inventory_path;
  bool lenient = false;
  std::vector<std::string> dhcp_leases; // --dhcp-leases: dnsmasq, ISC or Kea lease files (targets + inventory)
  std::string dhcp_format;              // --dhcp-format dnsmasq|isc|kea; empty: told from the content
  bool dhcp_include_expired = false;    // --dhcp-include-expired
  std::string profiles_dir;
  std::vector<std::string> vendor_cas; // VENDOR=FILE
  std::vector<std::string> trust_files;
  int expiry_warning_days = 30;
  std::string now; // ISO 8601 instant used as "now" for assessment; empty: the clock
  bool no_progress = false;
  std::string resume_path; // continue the scan whose JSONL report this is
  bool allow_large = false; // more than k_large_sweep addresses
  std::string fail_on;      // "sha1-rejected,expired" and/or "severity>=high": exit 1 on a match
  std::string min_answering; // "N" or "N%": exit 4 when fewer devices answered
  bool quiet = false;       // nothing on stdout/stderr but errors
  bool table = false; // the per-endpoint table on stdout even when files are written
  bool wide = false;  // the table at full width: every column, no cell cut (else fitted to the terminal)
  std::vector<std::string> command_line; // as typed, for the report
};

void setup_scan(CLI::App& app, ScanOptions& options);

// The options of `scan` that say what to scan and how (targets, --targets-file, --exclude,
// --ports, --concurrency, --timeout, --sni, ...), and the audit inputs (--inventory, --lenient,
// --profiles, --vendor-ca, --trust): for subcommands that scan live into a report (`readiness`).
void add_scan_target_options(CLI::App* cmd, ScanOptions& options);
void add_scan_audit_options(CLI::App* cmd, ScanOptions& options);

// Runs the scan; returns the exit status (0 ran, 1 --fail-on matched, 2 bad input, 3 runtime
// failure: the reports then hold what completed and say that the scan failed; 4 fewer devices
// answered than --min-answering; 128+N a signal).
int run_scan(const ScanOptions& options);

// run_scan, with `adjust_engine` changing the engine's settings just before the scan starts: the
// seam through which tests put in a probe that fails. Null: none.
int run_scan(const ScanOptions& options, const std::function<void(EngineSettings&)>& adjust_engine);

} // namespace fleetcert
