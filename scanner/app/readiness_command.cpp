// `fleetcert readiness`: checks the inputs (bundle, date, policy, outputs) before anything else,
// gets a scan report (the one given, or a live scan written to a temporary JSON document),
// evaluates every device against the after-bundle and writes the text, JSON and CSV outcomes.

#include "scanner/app/readiness_command.hpp"
#include "scanner/app/cli_common.hpp"
#include "scanner/app/merge_command.hpp"

#include "reports/workflows/readiness_report.hpp"
#include "reports/workflows/report_reader.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace fleetcert {
namespace {

constexpr int k_exit_not_ready = k_exit_findings;


// A directory for the live scan's report, removed with what it holds.
class ScratchDirectory
{
public:
  ScratchDirectory()
  {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/fleetcert-readiness-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("cannot create a temporary directory in " + pattern.substr(0, pattern.rfind('/')));
    }
    m_path = pattern;
  }
  ~ScratchDirectory()
  {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  std::string file(const std::string& name) const { return m_path + "/" + name; }

private:
  std::string m_path;
};

bool live_options_given(const ScanOptions& scan)
{
  return !scan.targets.empty() || !scan.targets_files.empty() || !scan.inventory_path.empty()
         || !scan.excludes.empty() || !scan.exclude_files.empty() || !scan.vendor_cas.empty()
         || !scan.trust_files.empty() || !scan.shard.empty() || !scan.site.empty();
}

ReadinessDeviceInput device_input(const ReportDevice& device)
{
  ReadinessDeviceInput input;
  input.identity() = device.identity();
  input.in_inventory = device.inventory.has_value();
  for (const ReportEndpoint* endpoint : device.endpoints) {
    input.in_inventory = input.in_inventory || endpoint->inventory.has_value();
    ReadinessEndpoint e;
    e.port = endpoint->port;
    e.certificate_received = endpoint->ok;
    e.chain = endpoint->chain;
    e.cn_class = endpoint->cn_class;
    e.error_class = endpoint->error_class;
    e.provenance_kind = endpoint->provenance_kind;
    e.provenance_vendor = endpoint->provenance_vendor;
    if (endpoint->identity) {
      e.identity_request = endpoint->identity->request;
    }
    input.endpoints.push_back(std::move(e));
  }
  return input;
}

int readiness(const ReadinessOptions& options)
{
  // Outputs, then inputs: the bundle, the date, the policy and the outputs are checked before any scan.
  check_distinct_outputs({{"--json", options.json_path}, {"--csv", options.csv_path}, {"--html", options.html_path},
                          {"--scan-json", options.scan_json_path}});
  if (options.trust_after_path.empty()) {
    throw UsageError("--trust-after FILE is required: the PEM bundle the server will trust after the swap");
  }
  auto trust = TrustAfter::from_pem(read_text_file(options.trust_after_path, "--trust-after file"),
                                    options.trust_after_path);
  if (!trust) {
    throw UsageError("invalid --trust-after: " + trust.error());
  }
  ReadinessOutcome outcome;
  outcome.at = static_cast<std::int64_t>(std::time(nullptr));
  if (!options.at.empty()) {
    const auto at = parse_iso8601(options.at);
    if (!at) {
      throw UsageError("invalid --at '" + options.at + "' (2026-11-23 or 2026-11-23T15:50:00Z, UTC)");
    }
    outcome.at = *at;
  }
  outcome.policy.at = outcome.at;
  auto hashes = parse_rejected_hashes(options.reject);
  if (!hashes) {
    throw UsageError("invalid --reject: " + hashes.error());
  }
  outcome.policy.rejected_hashes = std::move(*hashes);
  outcome.policy.min_rsa_bits = options.min_rsa_bits;
  outcome.trust_after_path = options.trust_after_path;
  outcome.trust_after_subjects = trust->subjects();
  outcome.trust_after_fingerprints = trust->fingerprints();

  const bool live = options.report_paths.empty();
  if (!live && live_options_given(options.scan)) {
    throw UsageError("--report reads a saved scan: targets, --targets-file, --exclude, --inventory, --vendor-ca, "
                     "--trust, --site and --shard only apply to a live scan");
  }
  if (!live && !options.scan_json_path.empty()) {
    throw UsageError("--scan-json keeps the report of a live scan; with --report there is none");
  }
  if (live && options.scan.targets.empty() && options.scan.targets_files.empty()
      && options.scan.inventory_path.empty()) {
    throw UsageError("nothing to evaluate: give --report FILE (a saved scan) or targets to scan (as for `fleetcert "
                     "scan`)");
  }
  VendorProfiles profiles = VendorProfiles::builtin();
  if (!options.scan.profiles_dir.empty()) {
    auto loaded = profiles.load_directory(options.scan.profiles_dir);
    if (!loaded) {
      throw UsageError(loaded.error());
    }
  }
  std::vector<std::string> inputs = options.report_paths;
  inputs.push_back(options.scan_json_path);
  for (const std::string& input : inputs) {
    if (!input.empty() && (input == options.json_path || input == options.csv_path || input == options.html_path)) {
      throw UsageError("'" + input + "' is both a scan report and an output of readiness; give another path");
    }
  }
  std::unique_ptr<ReplacingFile> json_file;
  std::unique_ptr<CsvFile> csv_file;
  std::unique_ptr<ReplacingFile> html_file;
  try {
    if (!options.html_path.empty()) {
      html_file = std::make_unique<ReplacingFile>(options.html_path);
    }
    if (!options.json_path.empty()) {
      json_file = std::make_unique<ReplacingFile>(options.json_path);
    }
    if (!options.csv_path.empty()) {
      csv_file = std::make_unique<CsvFile>(options.csv_path, readiness_csv_columns());
    }
  } catch (const std::exception& e) {
    throw UsageError(e.what());
  }

  // The report: the one given, or a live scan's.
  std::optional<ScratchDirectory> scratch;
  std::string report_path;
  if (live) {
    ScanOptions scan = options.scan;
    if (options.scan_json_path.empty()) {
      scratch.emplace();
      report_path = scratch->file("scan.json");
    } else {
      report_path = options.scan_json_path;
    }
    scan.json_path = report_path;
    scan.quiet = options.quiet;
    scan.no_progress = options.scan.no_progress || options.quiet;
    const int status = run_scan(scan); // prints its own errors
    if (status != k_exit_ok) {
      return status;
    }
    outcome.source_kind = "scan";
    outcome.source_path = options.scan_json_path;
  } else {
    outcome.source_kind = "report";
  }
  std::optional<ScanReport> report;
  if (live) {
    auto scanned = load_scan_report(report_path);
    if (!scanned) {
      throw std::runtime_error("cannot read back the scan's report: " + scanned.error());
    }
    print_warnings(scanned->path, scanned->warnings);
    report = std::move(*scanned);
  } else {
    report = load_reports(options.report_paths); // merged when several; prints its warnings
    outcome.source_path = report->path;
  }
  outcome.source_interrupted = report->interrupted;

  // Evaluation: the report's device view (what `export devices` lists), then the addresses it
  // leaves out (no certificate, not in the inventory) that still count here: a device that
  // accepted the connection and then went silent is unknown, not absent.
  std::vector<ReportDevice> devices = report->fleet_devices();
  std::set<std::string> in_view;
  for (const ReportDevice& device : devices) {
    in_view.insert(device.address());
  }
  for (ReportDevice& device : report->devices()) {
    if (in_view.count(device.address()) == 0) {
      devices.push_back(std::move(device));
    }
  }
  std::stable_sort(devices.begin(), devices.end(), [](const ReportDevice& a, const ReportDevice& b) {
    return address_order(a) < address_order(b);
  });
  for (const ReportDevice& device : devices) {
    const ReadinessDeviceInput input = device_input(device);
    if (!counts_as_device(input)) {
      ++outcome.totals.addresses_skipped;
      continue;
    }
    outcome.devices.push_back(evaluate_device(input, *trust, outcome.policy, profiles));
  }
  const std::size_t skipped = outcome.totals.addresses_skipped;
  outcome.totals = tally_readiness(outcome.devices);
  outcome.totals.addresses_skipped = skipped;

  // Outputs.
  if (json_file) {
    write_readiness_json(*json_file, outcome);
    json_file->commit();
  }
  if (csv_file) {
    write_readiness_csv(*csv_file, outcome);
    csv_file->commit();
  }
  if (html_file) {
    write_readiness_html(*html_file, outcome);
    html_file->commit();
  }
  if (!options.quiet && options.json_path != "-" && options.csv_path != "-") {
    print_readiness(std::cout, outcome);
    std::cout.flush();
  }
  if (outcome.totals.overall.not_ready > 0 || (options.unknown_fails && outcome.totals.overall.unknown > 0)) {
    return k_exit_not_ready;
  }
  return k_exit_ok;
}

} // namespace

void setup_readiness(CLI::App& app, ReadinessOptions& options)
{
  CLI::App* cmd = app.add_subcommand("readiness", "Which devices would fail once the server trusts only a new CA bundle");
  cmd->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  cmd->add_option("--trust-after", options.trust_after_path,
                  "PEM bundle the server will trust after the swap (roots and possibly intermediates); required");
  cmd->add_option("--at", options.at, "Date of the swap, UTC: 2026-11-23 or 2026-11-23T15:50:00Z (default: now)");
  cmd->add_option("--reject", options.reject,
                  "Signature hashes rejected after the swap: md2, md4, md5, sha1, sha224, sha256, sha384, sha512, or none")
      ->capture_default_str();
  cmd->add_option("--min-rsa-bits", options.min_rsa_bits, "Smallest RSA (and DSA) key accepted after the swap")
      ->check(CLI::Range(512, 16384))
      ->capture_default_str();
  cmd->add_option("--report", options.report_paths,
                  "A saved scan report (JSON or JSONL) instead of scanning; repeatable: several are merged as by "
                  "fleetcert merge")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--json", options.json_path, "Write the outcome as one JSON document; - = stdout");
  cmd->add_option("--csv", options.csv_path, "Write one CSV row per device; - = stdout");
  cmd->add_option("--html", options.html_path, "Write one self-contained HTML page: readiness charts and a device table");
  cmd->add_option("--scan-json", options.scan_json_path, "Live scan: also keep its JSON report here");
  cmd->add_flag("--unknown-fails", options.unknown_fails,
                "Exit 1 also when a device is unknown (no certificate on any port, or no chain in the report)");
  cmd->add_flag("-q,--quiet", options.quiet, "Print nothing but errors");
  add_scan_target_options(cmd, options.scan);
  add_scan_audit_options(cmd, options.scan);
  cmd->add_flag("--allow-large", options.scan.allow_large, "Allow sweeps of more than 65,536 addresses");
  cmd->add_flag("--no-progress", options.scan.no_progress, "No progress line, even on a terminal");
}

int run_readiness(const ReadinessOptions& options)
{
  return run_guarded("readiness", [&options] { return readiness(options); });
}

} // namespace fleetcert
