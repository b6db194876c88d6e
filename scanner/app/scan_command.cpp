// `fleetcert scan`: reads targets, opens every output before the first connection, runs the
// engine, streams records into the sinks and finishes them (atomically, by rename).

#include "scanner/app/scan_command.hpp"

#include "scanner/app/cli_common.hpp"
#include "scanner/app/config_file.hpp"
#include "scanner/app/progress_line.hpp"

#include "scanner/engine/engine.hpp"
#include "scanner/engine/name_resolution.hpp"
#include "scanner/app/resume.hpp"
#include "reports/encoding/record_json.hpp"
#include "reports/sinks/csv_report.hpp"
#include "reports/sinks/device_csv.hpp"
#include "reports/sinks/html_report.hpp"
#include "reports/sinks/json_report.hpp"
#include "reports/sinks/prometheus_report.hpp"
#include "reports/sinks/summary_table.hpp"
#include "reports/encoding/text_safety.hpp"
#include "scanner/assessment/audit.hpp"
#include "scanner/assessment/bundle_check.hpp"
#include "scanner/inputs/dhcp_leases.hpp"
#include "scanner/assessment/fleet_view.hpp"
#include "scanner/targets/ports.hpp"
#include "scanner/targets/shard.hpp"
#include "scanner/targets/targets.hpp"
#include "scanner/util/digest.hpp"
#include "scanner/util/input_file.hpp"
#include "scanner/util/ip_address.hpp"
#include "scanner/util/terminal.hpp"
#include "scanner/util/text.hpp"

#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <sys/resource.h>
#include <unistd.h>

namespace fleetcert {
namespace {

// Sweeps larger than this many addresses need --allow-large: a typo in a CIDR prefix must not
// turn an audit of a phone VLAN into a scan of a whole network.
constexpr std::uint64_t k_large_sweep = 65536;
constexpr unsigned k_max_threads = 1024; // --threads: more network threads than this is a typo, not a plan


std::atomic<bool> g_stop{false};
// The first signal's number. Atomic, not a volatile sig_atomic_t: the two signals of a double
// Ctrl-C may run their handlers on two threads at once (TSan reported the plain one as a race).
std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free); // lock-free atomics are async-signal-safe

extern "C" void on_signal(int signal_number)
{
  int none = 0;
  if (!g_signal.compare_exchange_strong(none, signal_number)) {
    // Second signal: leave at once, without the reports, which are still temporary files.
    remove_temporary_files();
    _exit(128 + signal_number);
  }
  g_stop.store(true);
}

// SIGINT and SIGTERM stop the scan (on_signal) while this lives; the previous handlers come back after.
class StopOnSignals
{
public:
  StopOnSignals()
  {
    struct sigaction action{};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &m_previous_int);
    sigaction(SIGTERM, &action, &m_previous_term);
  }
  ~StopOnSignals()
  {
    sigaction(SIGINT, &m_previous_int, nullptr);
    sigaction(SIGTERM, &m_previous_term, nullptr);
  }
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

private:
  struct sigaction m_previous_int{};
  struct sigaction m_previous_term{};
};

// Finishes every sink (the device view, then the report), even after one of them fails: each
// report is whole or absent. Returns the first failure's message.
std::optional<std::string> finish_sinks(const std::vector<std::unique_ptr<RecordSink>>& sinks, const FleetView& fleet,
                                        const ScanInfo& info, const ScanSummary& summary)
{
  std::optional<std::string> error;
  for (const auto& sink : sinks) {
    try {
      sink->fleet(fleet);
      sink->finish(info, summary);
    } catch (const std::exception& e) {
      if (!error) {
        error = e.what();
      }
    }
  }
  return error;
}

// Adds (or excludes) the targets given as arguments and in files; returns the files that held no
// target (only comments or blank lines).
std::vector<std::string> add_specs(TargetSet& set, const std::vector<std::string>& specs,
                                   const std::vector<std::string>& files, bool exclude, const char* what)
{
  std::vector<std::string> empty_files;
  auto add = [&](const TargetSpec& spec) { exclude ? set.exclude(spec) : set.add(spec); };
  for (const auto& text : specs) {
    auto spec = parse_target_spec(text);
    if (!spec) {
      throw UsageError(std::string("invalid ") + what + ": " + spec.error());
    }
    add(*spec);
  }
  for (const auto& path : files) {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (path != "-") {
      const std::string problem = open_input_file(file, path);
      if (!problem.empty()) {
        throw UsageError(std::string("cannot read ") + (exclude ? "exclude" : "targets") + " file "
                         + quote_for_message(path) + ": " + problem);
      }
      in = &file;
    }
    auto read = read_target_specs(*in, path == "-" ? "<stdin>" : path);
    if (!read) {
      throw UsageError(read.error());
    }
    if (read->empty()) {
      empty_files.push_back(path == "-" ? "standard input" : quote_for_message(path));
    }
    for (const auto& spec : *read) {
      add(spec);
    }
  }
  return empty_files;
}

// Everything the vendor-aware audit needs, loaded before the first connection.
struct AuditInputs
{
  VendorProfiles profiles = VendorProfiles::builtin();
  TrustStores trust;
  std::optional<Inventory> inventory;
  AuditContext context;
  AuditSettings settings; // what the files held, for the reports (scan.audit_settings)
};

// --dhcp-leases: every lease that counts is a target, and an inventory row (or fills in the
// --inventory row of its address); see merge_dhcp_leases.
void load_dhcp_leases(const ScanOptions& options, AuditInputs& inputs, TargetSet& targets)
{
  const std::optional<DhcpFormat> format =
      options.dhcp_format.empty() ? std::nullopt : parse_dhcp_format(options.dhcp_format); // checked by CLI11
  if (options.dhcp_leases.empty()) {
    if (format || options.dhcp_include_expired) {
      throw UsageError("--dhcp-format and --dhcp-include-expired need --dhcp-leases FILE");
    }
    return;
  }
  DhcpLeaseOptions lease_options;
  lease_options.now = static_cast<std::int64_t>(std::time(nullptr));
  if (!options.now.empty()) {
    const auto now = parse_iso8601(options.now);
    if (!now) {
      throw UsageError("invalid --now '" + options.now + "' (2026-11-23 or 2026-11-23T15:50:00Z)");
    }
    lease_options.now = *now;
  }
  lease_options.include_expired = options.dhcp_include_expired;
  lease_options.lenient = options.lenient;
  if (!inputs.inventory) {
    inputs.inventory.emplace();
  }
  for (const auto& path : options.dhcp_leases) {
    auto leases = load_dhcp_leases_file(path, format, lease_options);
    if (!leases) {
      throw UsageError(leases.error());
    }
    for (const auto& warning : leases->warnings) {
      std::fprintf(stderr, "fleetcert: skipped %s\n", warning.c_str());
    }
    if (leases->leases.empty() && !options.quiet) {
      std::fprintf(stderr, "fleetcert: no lease to scan in %s (%s format; %zu expired, %zu not active)\n",
                   path.c_str(), std::string(to_string(leases->format)).c_str(), leases->expired, leases->inactive);
    }
    inputs.settings.dhcp_leases.push_back({"", path, leases->sha256});
    const LeaseMerge merge = merge_dhcp_leases(*inputs.inventory, *leases, path);
    if (!options.quiet) {
      for (const auto& conflict : merge.conflicts) {
        std::fprintf(stderr, "fleetcert: warning: %s\n", conflict.c_str());
      }
    }
    for (const std::size_t index : merge.added_rows) {
      const InventoryRow& row = inputs.inventory->rows[index];
      auto spec = parse_target_spec(row.ip);
      if (!spec) {
        throw UsageError(path + ":" + std::to_string(row.line) + ": " + spec.error());
      }
      targets.add(*spec);
    }
  }
}

void load_audit_inputs(const ScanOptions& options, AuditInputs& inputs, TargetSet& targets)
{
  if (!options.profiles_dir.empty()) {
    auto loaded = inputs.profiles.load_directory(options.profiles_dir);
    if (!loaded) {
      throw UsageError(loaded.error());
    }
  }
  inputs.settings.builtin_profiles_sha256 = VendorProfiles::builtin_sha256();
  for (const VendorProfiles::LoadedFile& file : inputs.profiles.loaded_files()) {
    inputs.settings.profile_files.push_back({"", file.path, file.sha256});
  }
  for (const auto& spec : options.vendor_cas) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      throw UsageError("invalid --vendor-ca '" + spec + "' (VENDOR=FILE)");
    }
    // The bundle's certificates are that vendor's factory CAs: only a vendor a profile names can have
    // them, or the provenance it decides would name a vendor nothing else knows.
    const VendorProfile* profile = inputs.profiles.find(spec.substr(0, eq));
    if (profile == nullptr) {
      std::string known;
      for (const VendorProfile& each : inputs.profiles.all()) {
        known += (known.empty() ? "" : ", ") + each.name;
      }
      throw UsageError("invalid --vendor-ca " + quote_for_message(spec) + ": no vendor profile named "
                       + quote_for_message(spec.substr(0, eq)) + " (known: " + known
                       + "; --profiles DIR adds others)");
    }
    const std::string vendor = profile->name;
    const std::string path = spec.substr(eq + 1);
    const std::string text = read_text_file(path, "--vendor-ca file");
    inputs.settings.vendor_cas.push_back({vendor, path, sha256_hex_of(text)});
    auto added = inputs.trust.add_vendor_bundle(vendor, text, path);
    if (!added) {
      throw UsageError("invalid --vendor-ca: " + added.error());
    }
  }
  for (const auto& path : options.trust_files) {
    const std::string text = read_text_file(path, "--trust file");
    inputs.settings.trust.push_back({"", path, sha256_hex_of(text)});
    auto added = inputs.trust.add_enterprise_bundle(text, path);
    if (!added) {
      throw UsageError("invalid --trust: " + added.error());
    }
  }
  if (!options.inventory_path.empty()) {
    Inventory inventory = load_inventory_option(options.inventory_path, options.lenient);
    inputs.settings.inventory.push_back({"", options.inventory_path, inventory.sha256});
    inputs.inventory = std::move(inventory);
    for (const auto& row : inputs.inventory->rows) {
      auto spec = parse_target_spec(row.ip.empty() ? row.hostname : row.ip);
      if (!spec) {
        throw UsageError(options.inventory_path + ":" + std::to_string(row.line) + ": " + spec.error());
      }
      targets.add(*spec);
    }
  }
  load_dhcp_leases(options, inputs, targets);
  inputs.context.profiles = &inputs.profiles;
  inputs.context.trust = &inputs.trust;
  inputs.context.inventory = inputs.inventory ? &*inputs.inventory : nullptr;
  inputs.context.registry = &OuiRegistry::system();
  inputs.context.site = options.site;
}

// The time-outs' check beside CLI::Range, which lets "nan" through (every comparison is false).
const CLI::Validator k_not_nan(
    [](std::string& text) { return std::isnan(std::strtod(text.c_str(), nullptr)) ? "not a number: " + text : ""; }, "");

std::chrono::milliseconds to_milliseconds(double seconds)
{
  return std::chrono::round<std::chrono::milliseconds>(std::chrono::duration<double>(seconds));
}

// --sni as sent: a DNS host name (RFC 6066 allows no address and no trailing dot), lower-cased;
// "" for none. Throws UsageError for an address or anything else that is not a host name.
std::string checked_sni(const std::string& text)
{
  if (text.empty()) {
    return text;
  }
  if (parse_address(text)) {
    throw UsageError("invalid --sni " + quote_for_message(text)
                     + ": an IP address is not a server name (RFC 6066: SNI names a DNS host); leave --sni out, "
                       "an address is sent no SNI");
  }
  auto spec = parse_target_spec(text);
  if (!spec) {
    throw UsageError("invalid --sni: " + spec.error());
  }
  if (spec->hostname.empty()) {
    throw UsageError("invalid --sni " + quote_for_message(text) + ": not a host name");
  }
  return spec->hostname;
}

// --connect-timeout inside --timeout: the endpoint's deadline would cut a longer connect short.
// --identify, --sip-ports and --http-ports into the engine's identity ports; a bad value is a usage error.
void apply_identify(const ScanOptions& options, EngineSettings& settings)
{
  bool sip = false;
  bool http = false;
  bool none = false;
  for (const std::string_view word : split(options.identify, ',')) {
    const std::string_view name = trim_blanks(word);
    if (name == "sip") {
      sip = true;
    } else if (name == "http") {
      http = true;
    } else if (name == "none") {
      none = true;
    } else {
      throw UsageError("invalid --identify " + quote_for_message(options.identify)
                       + ": a list of sip and http, or none");
    }
  }
  if (none && (sip || http)) {
    throw UsageError("invalid --identify " + quote_for_message(options.identify) + ": none goes alone");
  }
  const auto ports_of = [](const std::string& text, const char* option) {
    auto ports = parse_ports(text);
    if (!ports) {
      throw UsageError(std::string("invalid ") + option + ": " + ports.error());
    }
    return *ports;
  };
  const std::vector<std::uint16_t> sip_ports = ports_of(options.sip_ports, "--sip-ports");
  const std::vector<std::uint16_t> http_ports = ports_of(options.http_ports, "--http-ports");
  if (sip) {
    settings.identity_sip_ports = sip_ports;
  }
  if (http) {
    settings.identity_http_ports = http_ports;
  }
}

void check_timeouts(double timeout_s, double connect_timeout_s)
{
  if (connect_timeout_s > timeout_s) {
    const auto seconds = [](double value) {
      std::ostringstream text;
      text << value;
      return text.str();
    };
    throw UsageError("--connect-timeout " + seconds(connect_timeout_s) + " is longer than --timeout "
                     + seconds(timeout_s) + " (seconds for the whole endpoint, the connect included); give a "
                       "shorter --connect-timeout or a longer --timeout");
  }
}

std::uint64_t random_seed()
{
  std::random_device device;
  return (std::uint64_t{device()} << 32) ^ device();
}

std::uint64_t parse_seed(const std::string& text)
{
  std::uint64_t seed = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seed);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw UsageError("invalid --seed '" + text + "' (a whole number, 0 to 18446744073709551615)");
  }
  return seed;
}

// Makes room for the connections under RLIMIT_NOFILE (see plan_descriptors): raises the soft
// limit when needed, and lowers the concurrency, with a warning, when the hard limit is too low.
// Returns the concurrency to run with.
unsigned fit_descriptors(const EngineSettings& settings, bool quiet)
{
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return settings.concurrency;
  }
  const unsigned threads = effective_threads(settings.threads, settings.concurrency);
  DescriptorPlan plan = plan_descriptors(settings.concurrency, threads, limit.rlim_cur, limit.rlim_max);
  if (plan.raise) {
    rlimit raised = limit;
    raised.rlim_cur = plan.soft_limit;
    if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
      plan = plan_descriptors(settings.concurrency, threads, limit.rlim_cur, limit.rlim_cur);
    }
  }
  if (plan.lowered && !quiet) {
    std::fprintf(stderr,
                 "fleetcert: warning: --concurrency %u needs %llu file descriptors, but RLIMIT_NOFILE allows "
                 "%llu (hard limit); scanning with --concurrency %u (raise the limit with ulimit -n or "
                 "LimitNOFILE=)\n",
                 settings.concurrency,
                 static_cast<unsigned long long>(settings.concurrency + reserved_descriptors(threads)),
                 static_cast<unsigned long long>(plan.soft_limit), plan.concurrency);
  }
  return plan.concurrency;
}

// The terminal table is printed when asked for (--table, which wins over --quiet's silence: -q then
// still keeps the progress line and the notes off stderr) or when no report file is named.
bool prints_table(const ScanOptions& options)
{
  const bool any_report = !options.json_path.empty() || !options.jsonl_path.empty() || !options.resume_path.empty()
                          || !options.csv_path.empty() || !options.csv_devices_path.empty()
                          || !options.prometheus_path.empty() || !options.html_path.empty();
  return options.table || (!any_report && !options.quiet);
}

// Every output in its own place (check_distinct_outputs), and a Prometheus textfile named as
// node_exporter's textfile collector reads it. Throws UsageError before anything is scanned.
void check_scan_outputs(const ScanOptions& options)
{
  check_prometheus_output(options.prometheus_path);
  check_distinct_outputs({{"--json", options.json_path},
                          {options.resume_path.empty() ? "--jsonl" : "--resume",
                           options.resume_path.empty() ? options.jsonl_path : options.resume_path},
                          {"--csv", options.csv_path},
                          {"--csv-devices", options.csv_devices_path},
                          {"--prometheus", options.prometheus_path},
                          {"--html", options.html_path},
                          {options.table ? "--table" : "the table", prints_table(options) ? "-" : ""}});
}

// True when an inventory row's device is in `shard`: by its address, else by what its name resolved
// to (in the shard when one of its addresses is), else by its name, as TargetIndex::in_shard keys it.
bool inventory_row_in_shard(const InventoryRow& row, const Shard& shard, const std::vector<NameResolution>& names)
{
  if (!row.ip.empty()) {
    return in_shard(shard, row.ip);
  }
  const auto spec = parse_target_spec(row.hostname); // the name as TargetSet keeps it
  const std::string host = spec ? spec->hostname : row.hostname;
  for (const NameResolution& name : names) {
    if (name.host == host && !name.addresses.empty()) {
      return std::any_of(name.addresses.begin(), name.addresses.end(),
                         [&](const std::string& address) { return in_shard(shard, address); });
    }
  }
  return in_shard(shard, host);
}

int scan(const ScanOptions& options, const std::function<void(EngineSettings&)>& adjust_engine)
{
  // Outputs, then inputs: everything is checked before the first connection.
  check_scan_outputs(options);
  TargetSet targets;
  const std::vector<std::string> empty_files =
      add_specs(targets, options.targets, options.targets_files, false, "target");
  AuditInputs audit;
  load_audit_inputs(options, audit, targets);
  const bool any_target = targets.size() > 0;
  add_specs(targets, options.excludes, options.exclude_files, true, "exclude");
  if (!any_target && !empty_files.empty()) {
    throw UsageError("no targets in " + empty_files.front() + " (only comments or blank lines)");
  }
  for (const std::string& file : empty_files) {
    print_error("warning: --targets-file " + file + ": no targets in it");
  }
  if (targets.size() == 0) {
    throw UsageError(options.targets.empty() && options.targets_files.empty() && options.inventory_path.empty()
                             && options.dhcp_leases.empty()
                         ? "no targets: give addresses, CIDR blocks, ranges or names, or --targets-file"
                     : any_target ? "no targets left to scan after exclusions"
                                  : "no targets: the inventory and DHCP leases name no device");
  }
  if (targets.size() > k_large_sweep && !options.allow_large) {
    throw UsageError("the targets cover " + std::to_string(static_cast<unsigned long long>(targets.size()))
                     + " addresses after exclusions; more than " + std::to_string(k_large_sweep)
                     + " needs --allow-large");
  }
  auto ports = parse_ports(options.ports);
  if (!ports) {
    throw UsageError("invalid --ports: " + ports.error());
  }
  check_timeouts(options.timeout_s, options.connect_timeout_s);
  const std::string sni = checked_sni(options.sni);
  if (!options.seed.empty() && !options.shuffle) {
    throw UsageError("--seed only applies with --shuffle");
  }
  if (options.wide && !prints_table(options)) {
    throw UsageError("--wide only applies to the table: add --table");
  }
  if (options.shuffle && targets.size() > UINT64_MAX) {
    throw UsageError("--shuffle handles at most 2^64-1 targets");
  }
  std::optional<Shard> shard;
  if (!options.shard.empty()) {
    auto parsed = parse_shard(options.shard, std::getenv(k_job_completion_index));
    if (!parsed) {
      throw UsageError(parsed.error());
    }
    shard = *parsed;
  }
  if (!is_valid_utf8(options.site)) {
    throw UsageError("invalid --site " + quote_for_message(options.site) + ": not valid UTF-8");
  }

  EngineSettings settings;
  settings.ports = *ports;
  settings.concurrency = options.concurrency;
  settings.threads = options.threads;
  settings.timeout = to_milliseconds(options.timeout_s);
  settings.connect_timeout = to_milliseconds(options.connect_timeout_s);
  settings.sni = sni;
  settings.legacy_retry = !options.no_legacy_retry;
  settings.handshake_mode = options.full_handshake ? HandshakeMode::full : HandshakeMode::certificate_only;
  apply_identify(options, settings);
  settings.per_device = options.per_device;
  settings.rate = options.rate;
  settings.shuffle = options.shuffle;
  settings.shard = shard;
  if (options.shuffle) {
    settings.seed = options.seed.empty() ? random_seed() : parse_seed(options.seed);
  }
  settings.concurrency = fit_descriptors(settings, options.quiet);
  settings.assessment.expiry_warning_days = options.expiry_warning_days;
  settings.assessment.now = static_cast<std::int64_t>(std::time(nullptr));
  settings.assessment.audit = &audit.context;
  if (!options.now.empty()) {
    auto now = parse_iso8601(options.now);
    if (!now) {
      throw UsageError("invalid --now '" + options.now + "' (2026-11-23 or 2026-11-23T15:50:00Z)");
    }
    settings.assessment.now = *now;
  }

  const VerdictPolicy policy = parse_verdict_policy(options.fail_on, options.min_answering);

  // --resume: leave out what the JSONL report already holds, and append to it.
  ResumeState resume;
  if (!options.resume_path.empty()) {
    if (options.resume_path == "-") {
      throw UsageError("--resume needs the JSONL file of the scan to continue, not standard output");
    }
    if (!options.jsonl_path.empty() && options.jsonl_path != options.resume_path) {
      throw UsageError("--resume appends to its own file; drop --jsonl or give it the same path");
    }
    auto loaded = load_resume_state(options.resume_path);
    if (!loaded) {
      throw UsageError(loaded.error());
    }
    resume = std::move(*loaded);
    settings.skip = [&resume](const Target& target, std::uint16_t port) {
      return resume.done.count(endpoint_key(target.ip, target.host, port)) != 0;
    };
    if (!options.no_progress && !options.quiet) {
      std::fprintf(stderr, "fleetcert: resuming %s: %zu endpoints already done%s\n", options.resume_path.c_str(),
                   resume.done.size(), resume.truncated_bytes > 0 ? " (a partial last line was cut off)" : "");
    }
  }
  if (adjust_engine) {
    adjust_engine(settings);
  }

  // Outputs: opened (as temporary files) before scanning, so an unwritable path fails early.
  ReportPaths paths;
  paths.json = options.json_path;
  paths.jsonl = options.resume_path.empty() ? options.jsonl_path : options.resume_path;
  paths.append_jsonl = !options.resume_path.empty();
  paths.csv = options.csv_path;
  paths.csv_devices = options.csv_devices_path;
  paths.prometheus = options.prometheus_path;
  paths.html = options.html_path;
  std::vector<std::unique_ptr<RecordSink>> sinks = open_report_sinks(
      paths, HtmlClock{settings.assessment.now, options.now.empty() ? "scan start" : "--now",
                       settings.assessment.expiry_warning_days});
  // Each record is rendered to JSON once, on its network thread and outside the delivery lock, for
  // every JSON sink (the document and the JSONL stream write the same line).
  if (!paths.json.empty() || !paths.jsonl.empty()) {
    settings.prepare = [](Record& record) { record.rendered_json = dump_json(record_to_json(record)); };
  }
  if (prints_table(options)) {
    const bool terminal = isatty(STDOUT_FILENO) != 0;
    sinks.push_back(std::make_unique<SummaryTable>(
      std::cout, choose_table_width(options.wide, terminal, terminal_columns(STDOUT_FILENO),
                                    parse_columns(std::getenv("COLUMNS")))));
  }

  // Names are resolved once, before the first connection: a name and the address it resolves to
  // are one target (TargetIndex), probed once per port.
  const StopOnSignals stop_on_signals;
  const std::vector<NameResolution> names = resolve_names(targets.hostnames(), settings.timeout, g_stop);
  const TargetIndex index(targets, names);
  // With --shard, only this shard's targets are planned: the others are no part of this report.
  const uint128 planned = (shard ? index.count_in_shard(*shard) : index.size()) * settings.ports.size();
  ScanInfo info;
  info.tool_version = FLEETCERT_VERSION;
  info.started_at = static_cast<std::int64_t>(std::time(nullptr));
  info.arguments = options.command_line;
  info.ports = settings.ports;
  info.endpoints_planned = planned > UINT64_MAX ? UINT64_MAX : static_cast<std::uint64_t>(planned);
  info.audit_settings = audit.settings;
  info.site = options.site;
  info.shard = shard;
  for (auto& sink : sinks) {
    sink->begin(info);
  }

  ScanSummary summary;
  std::uint64_t addresses_scanned = 0; // one record per port of each: counted at the first port
  FleetView fleet(audit.context.inventory);
  fleet.set_site(options.site);
  if (shard) {
    // The inventory check covers this shard's devices: a row of another shard is that shard's to check.
    fleet.set_inventory_scope([&](const InventoryRow& row) { return inventory_row_in_shard(row, *shard, names); });
  }
  BundleCheck bundle_check(audit.trust, audit.profiles);
  ProgressLine::Settings progress_settings;
  progress_settings.enabled = !options.no_progress && !options.quiet && isatty(STDERR_FILENO) != 0;
  progress_settings.planned = info.endpoints_planned;
  ProgressLine progress(std::move(progress_settings));
  // Rows on a terminal (the table, JSONL on stdout) are written with the progress line out of the way.
  const bool rows_on_terminal = isatty(STDOUT_FILENO) != 0;
  const EngineResult result = run_engine(
      index, settings,
      [&](const Record& record) {
        summary.add(record);
        if (!record.skipped() && record.observation.endpoint.port == settings.ports.front()) {
          ++addresses_scanned;
        }
        fleet.add(record);
        bundle_check.add(record);
        const auto write = [&] {
          for (auto& sink : sinks) {
            sink->write(record);
          }
        };
        if (rows_on_terminal) {
          progress.around(write);
        } else {
          write();
        }
      },
      [&](const EngineProgress& p) { progress.update(p); }, g_stop);
  progress.clear();

  // A failure (an exception in the engine or a sink) stopped the scan like a signal: the reports
  // hold what completed and say why they are incomplete.
  info.finished_at = static_cast<std::int64_t>(std::time(nullptr));
  info.failed = result.failure.has_value();
  info.failure = result.failure.value_or("");
  info.interrupted = g_stop.load() || info.failed;
  fleet.finish();
  info.bundles = bundle_check.uses();
  info.warnings = bundle_check.warnings();
  const std::optional<std::string> finish_error = finish_sinks(sinks, fleet, info, summary);
  // Even under --quiet: a bundle that verified nothing leaves verdicts its user believes verified.
  for (const ScanWarning& warning : info.warnings) {
    std::fprintf(stderr, "fleetcert: warning: %s\n", warning.message.c_str());
  }
  if (info.failed) {
    print_error("scan failed: " + info.failure);
    if (finish_error) {
      print_error("a report could not be written either: " + *finish_error);
    }
    return k_exit_runtime;
  }
  if (finish_error) {
    throw std::runtime_error(*finish_error);
  }
  if (info.interrupted) {
    if (!options.quiet) {
      std::fprintf(stderr, "fleetcert: interrupted; the reports hold the %llu endpoints that completed\n",
                   static_cast<unsigned long long>(summary.endpoints));
    }
    return 128 + g_signal.load();
  }
  if (!options.resume_path.empty() && (!policy.fail_on.empty() || policy.min_answering)) {
    // A resumed scan's device view holds only this run's endpoints: judge the whole JSONL report,
    // as `fleetcert check` would.
    return verdict_exit_status(report_verdict(load_report(options.resume_path), policy.fail_on, policy.min_answering));
  }
  ScanVerdict verdict(policy.fail_on, policy.min_answering);
  for (const Device& device : fleet.devices()) {
    verdict.add_device(device.findings, device.answered(), device.inventory.has_value());
  }
  verdict.set_addresses_scanned(addresses_scanned);
  return verdict_exit_status(verdict);
}

} // namespace

void add_scan_target_options(CLI::App* cmd, ScanOptions& options)
{
  cmd->add_option("targets", options.targets,
                  "Addresses, names, CIDR blocks (v4; v6 up to /112), ranges a.b.c.d-e or a.b.c.d-a.b.c.e");
  cmd->add_option("--targets-file", options.targets_files, "File of targets, one per line, '#' comments; - = stdin");
  cmd->add_option("--exclude", options.excludes, "Targets never to connect to (same syntax); always wins");
  cmd->add_option("--exclude-file", options.exclude_files, "File of targets to exclude");
  cmd->add_option("-p,--ports", options.ports, "Ports, e.g. 443,5061 or 8440-8443")->capture_default_str();
  cmd->add_option("-c,--concurrency", options.concurrency, "Endpoints in flight at once")
      ->check(CLI::Range(1U, 100000U))
      ->capture_default_str();
  cmd->add_option("--threads", options.threads, "Network threads (0: one per core)")
      ->check(CLI::Range(0U, k_max_threads))
      ->capture_default_str();
  cmd->add_option("--per-device", options.per_device, "Connections in flight to one device at most")
      ->check(CLI::Range(1U, 65536U))
      ->capture_default_str();
  cmd->add_option("--rate", options.rate, "New connections per second at most, across all threads (0: unlimited)")
      ->check(CLI::Range(0U, 1000000U))
      ->capture_default_str();
  cmd->add_flag("--shuffle", options.shuffle,
                "Visit the targets in a pseudo-random order that spreads the sweep across subnets");
  cmd->add_option("--seed", options.seed, "Seed of the --shuffle order, to repeat it (default: random)");
  cmd->add_option("--shard", options.shard,
                  "Scan only shard K of N (K/N, 0 <= K < N): a fixed partition of the targets by device, so N "
                  "workers split one sweep; auto/N takes K from JOB_COMPLETION_INDEX (Kubernetes Indexed Job)");
  cmd->add_option("-t,--timeout", options.timeout_s, "Seconds for a whole endpoint: connect + TLS")
      ->check(CLI::Range(0.001, 86400.0))
      ->check(k_not_nan)
      ->capture_default_str();
  cmd->add_option("--connect-timeout", options.connect_timeout_s, "Seconds for the TCP connect (0: --timeout only)")
      ->check(CLI::Range(0.0, 86400.0))
      ->check(k_not_nan)
      ->capture_default_str();
  cmd->add_option("--sni", options.sni, "Server name to send to every endpoint (default: the hostname given)");
  cmd->add_flag("--no-legacy-retry", options.no_legacy_retry,
                "Do not retry with a legacy ClientHello, nor with fleetcert's own raw TLS and SSL 3.0 ClientHellos, "
                  "when the first attempt gets no certificate");
  cmd->add_flag("--full-handshake", options.full_handshake,
                "Complete every TLS handshake (key exchange and its signature check) instead of stopping "
                "once the certificate chain is in");
  cmd->add_option("--identify", options.identify,
                  "Ask each device what it is once the handshake is done: sip (an OPTIONS on --sip-ports), http "
                  "(GET / on --http-ports), both as sip,http, or none; the model, firmware and MAC it announces "
                  "go into the record's identity")
      ->capture_default_str();
  cmd->add_option("--sip-ports", options.sip_ports, "Ports --identify sip asks with a SIP OPTIONS")->capture_default_str();
  cmd->add_option("--http-ports", options.http_ports, "Ports --identify http asks with GET /")->capture_default_str();
}

void add_scan_audit_options(CLI::App* cmd, ScanOptions& options)
{
  cmd->add_option("--inventory", options.inventory_path,
                  "Inventory (CSV with a header, or a JSON array): mac, ip, hostname, vendor, model, site; its "
                  "addresses are scanned too");
  cmd->add_flag("--lenient", options.lenient, "Skip and count bad inventory rows and lease entries instead of stopping");
  cmd->add_option("--dhcp-leases", options.dhcp_leases,
                  "DHCP lease file (dnsmasq, ISC dhcpd.leases, Kea CSV): its active leases are scanned and fill "
                  "the inventory (MAC, hostname); repeatable");
  cmd->add_option("--dhcp-format", options.dhcp_format, "Lease file format (default: detected)")
      ->check(CLI::IsMember({std::string(to_string(DhcpFormat::dnsmasq)), std::string(to_string(DhcpFormat::isc)),
                             std::string(to_string(DhcpFormat::kea))}));
  cmd->add_flag("--dhcp-include-expired", options.dhcp_include_expired, "Keep expired leases too");
  cmd->add_option("--profiles", options.profiles_dir, "Directory of vendor profiles (*.json) that add to or replace the built-in ones");
  cmd->add_option("--vendor-ca", options.vendor_cas,
                  "VENDOR=FILE: PEM bundle of a vendor's roots and intermediates, to verify factory certificates");
  cmd->add_option("--trust", options.trust_files, "PEM bundle of your enterprise CAs (custom certificates)");
  cmd->add_option("--site", options.site,
                  "Site of every device scanned, in every report, when the inventory names none for it (the "
                  "inventory's site wins)");
}

void setup_scan(CLI::App& app, ScanOptions& options)
{
  CLI::App* cmd = app.add_subcommand("scan", "Pull and classify the certificate of every endpoint");
  // A later value wins: the command line overrides a --config file.
  cmd->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  add_scan_target_options(cmd, options);
  cmd->add_option("--json", options.json_path, "Write one JSON document (metadata, records, summary)");
  cmd->add_option("--jsonl", options.jsonl_path, "Write one JSON record per line as endpoints complete; - = stdout");
  cmd->add_option("--csv", options.csv_path, "Write one CSV row per endpoint");
  cmd->add_option("--csv-devices", options.csv_devices_path, "Write one CSV row per device, worst finding first");
  cmd->add_option("--html", options.html_path, "Write one self-contained HTML page: charts and a device table");
  cmd->add_option("--prometheus", options.prometheus_path,
                  "Write Prometheus metrics (node_exporter textfile collector): certificate dates, counts");
  add_scan_audit_options(cmd, options);
  cmd->add_option("--expiry-warning", options.expiry_warning_days, "Days before notAfter that count as expiring")
      ->check(CLI::Range(0, std::numeric_limits<int>::max(), "NONNEGATIVE"))
      ->capture_default_str();
  cmd->add_option("--now", options.now, "Assess as of this UTC instant (2026-11-23 or 2026-11-23T15:50:00Z)");
  cmd->add_flag("--table", options.table, "Print the endpoint table and totals on stdout (default when no file is named; wins over "
                "--quiet, which then only keeps the progress line and notes off stderr)");
  cmd->add_flag("--wide", options.wide,
                "Print the table at full width: every column, no cell cut (default: fitted to the terminal, "
                "else to COLUMNS; full width when stdout is not a terminal and COLUMNS is unset)");
  cmd->add_option("--resume", options.resume_path,
                  "Continue an interrupted or killed scan: skip the endpoints this JSONL report holds and "
                  "append to it");
  cmd->add_flag("--allow-large", options.allow_large, "Allow sweeps of more than 65,536 addresses");
  cmd->add_option("--fail-on", options.fail_on,
                  "Exit 1 when a finding matches: codes and/or severity>=LEVEL, e.g. sha1-rejected,expired or "
                  "severity>=high; one line on stderr says what matched, also under --quiet");
  cmd->add_option("--min-answering", options.min_answering,
                  "Exit 4 when fewer devices answered (a certificate on at least one port): N, or N% of the "
                  "addresses scanned (of the inventory's devices when there is one)");
  cmd->add_flag("-q,--quiet", options.quiet,
                "Print nothing but errors and warnings that an input cannot support a verdict (a --vendor-ca or "
                "--trust bundle that verified nothing)");
  add_config_option(cmd);
  cmd->add_flag("--no-progress", options.no_progress, "No progress line, even on a terminal");
}

int run_scan(const ScanOptions& options)
{
  return run_scan(options, nullptr);
}

int run_scan(const ScanOptions& options, const std::function<void(EngineSettings&)>& adjust_engine)
{
  return run_guarded("scan", [&] { return scan(options, adjust_engine); });
}

} // namespace fleetcert
