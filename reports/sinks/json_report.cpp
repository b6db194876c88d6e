#include "reports/sinks/json_report.hpp"

#include "reports/encoding/audit_settings_json.hpp"
#include "reports/encoding/record_json.hpp"
#include "reports/sinks/summary.hpp"
#include "reports/encoding/text_safety.hpp"

#include "scanner/assessment/fleet_view.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fleetcert {

namespace {

constexpr std::string_view k_schema = "fleetcert-scan/1";

// An unlinked scratch file for the records of `report`: beside its temporary file (the file system
// the user chose for the report), or in $TMPDIR (else /tmp) when the report is written straight
// to standard output or a device. Unlinked at once, so it disappears with the process.
std::FILE* open_spool(const ReplacingFile& report)
{
  std::string name;
  if (!report.temporary_path().empty()) {
    name = report.temporary_path() + ".records-XXXXXX";
  } else {
    const char* directory = std::getenv("TMPDIR");
    name = std::string(directory != nullptr && directory[0] != '\0' ? directory : "/tmp") +
           "/fleetcert-records-XXXXXX";
  }
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) {
    throw cannot_write(report.path(), errno);
  }
  ::unlink(name.c_str());
  std::FILE* file = ::fdopen(fd, "w+");
  if (file == nullptr) {
    const int error = errno;
    ::close(fd);
    throw cannot_write(report.path(), error);
  }
  static_cast<void>(std::setvbuf(file, nullptr, _IOFBF, 64 * 1024));
  return file;
}

// A line read by getline(), freed at the end of the scope.
struct LineBuffer
{
  char* data = nullptr;
  std::size_t capacity = 0;

  LineBuffer() = default;
  LineBuffer(const LineBuffer&) = delete;
  LineBuffer& operator=(const LineBuffer&) = delete;
  ~LineBuffer() { std::free(data); }
};

// The record's JSON and a newline, from the text rendered in the worker when there is one (no copy).
bool write_line(std::FILE* file, const Record& record)
{
  std::string rendered;
  const std::string& line = record.rendered_json.empty() ? (rendered = dump_json(record_to_json(record))) : record.rendered_json;
  return std::fwrite(line.data(), 1, line.size(), file) == line.size() && std::fputc('\n', file) != EOF;
}

// True when some address of the view has fleet-wide findings (else no record needs them).
bool has_fleet_findings(const FleetView& view)
{
  for (const Device& device : view.devices()) {
    const std::vector<Finding>* findings = view.fleet_findings(device.ip);
    if (findings != nullptr && !findings->empty()) {
      return true;
    }
  }
  return false;
}

// The target address of a record line without parsing it. Keys are written in sorted order and
// every quote inside a string is escaped, so `"target":{` and the first `"ip":"` after it can
// only be the record's own. nullopt when the line does not have that shape.
std::optional<std::string_view> target_ip(std::string_view line)
{
  constexpr std::string_view k_target = "\"target\":{";
  constexpr std::string_view k_ip = "\"ip\":\"";
  const std::size_t target = line.find(k_target);
  if (target == std::string_view::npos) {
    return std::nullopt;
  }
  const std::size_t ip = line.find(k_ip, target + k_target.size());
  if (ip == std::string_view::npos) {
    return std::nullopt;
  }
  const std::size_t begin = ip + k_ip.size();
  const std::size_t end = line.find('"', begin);
  if (end == std::string_view::npos || line.substr(begin, end - begin).find('\\') != std::string_view::npos) {
    return std::nullopt;
  }
  return line.substr(begin, end - begin);
}

// The severity of a finding object as a number (Severity's order); -1 when it has none.
int severity_rank(const nlohmann::json& finding)
{
  const auto severity = finding.is_object() && finding.contains("severity") && finding["severity"].is_string()
                          ? parse_severity(finding["severity"].get_ref<const std::string&>())
                          : std::nullopt;
  return severity ? static_cast<int>(*severity) : -1;
}

// The code of a finding object; empty when it has none.
std::string code_of(const nlohmann::json& finding)
{
  return finding.is_object() && finding.contains("code") && finding["code"].is_string()
           ? finding["code"].get<std::string>()
           : std::string();
}

// `line` (one record) with its address's fleet-wide findings added to assessment.findings, worst
// first; nullopt when nothing is to be added (the line is then copied byte for byte). Only ok
// records are parsed, and only those of an address with fleet-wide findings. `summary` counts
// what was added, like ScanSummary::add counts a record's own findings.
std::optional<std::string> with_fleet_findings(std::string_view line, const FleetView& view, ScanSummary& summary)
{
  if (line.find("\"status\":\"ok\"") == std::string_view::npos) {
    return std::nullopt;
  }
  const std::optional<std::string_view> fast_ip = target_ip(line);
  const std::vector<Finding>* fleet = fast_ip ? view.fleet_findings(std::string(*fast_ip)) : nullptr;
  if (fast_ip && (fleet == nullptr || fleet->empty())) {
    return std::nullopt;
  }
  nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
  if (record.is_discarded() || !record.is_object() || record.value("status", std::string()) != "ok" ||
      !record.contains("assessment") || !record["assessment"].is_object()) {
    return std::nullopt;
  }
  if (!fast_ip) {
    const nlohmann::json& target = record["target"];
    if (!target.is_object() || !target.contains("ip") || !target["ip"].is_string()) {
      return std::nullopt;
    }
    fleet = view.fleet_findings(target["ip"].get<std::string>());
    if (fleet == nullptr || fleet->empty()) {
      return std::nullopt;
    }
  }

  nlohmann::json& findings = record["assessment"]["findings"];
  if (!findings.is_array()) {
    findings = nlohmann::json::array();
  }
  std::vector<nlohmann::json> sorted;
  std::set<std::string> codes;
  int old_worst = -1;
  for (nlohmann::json& finding : findings) {
    codes.insert(code_of(finding));
    old_worst = std::max(old_worst, severity_rank(finding));
    sorted.push_back(std::move(finding));
  }
  bool added = false;
  for (const Finding& finding : *fleet) {
    if (codes.insert(finding.code).second) {
      sorted.push_back(finding_to_json(finding));
      ++summary.findings[finding.code];
      added = true;
    }
  }
  if (!added) {
    return std::nullopt;
  }
  std::stable_sort(sorted.begin(), sorted.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    const int rank_a = severity_rank(a);
    const int rank_b = severity_rank(b);
    return rank_a != rank_b ? rank_a > rank_b : code_of(a) < code_of(b);
  });
  const int new_worst = severity_rank(sorted.front());
  if (new_worst != old_worst && new_worst >= 0) {
    if (old_worst >= 0) {
      const std::string old_name(to_string(static_cast<Severity>(old_worst)));
      auto slot = summary.severities.find(old_name);
      if (slot != summary.severities.end() && --slot->second == 0) {
        summary.severities.erase(slot);
      }
    }
    ++summary.severities[std::string(to_string(static_cast<Severity>(new_worst)))];
  }
  findings = nlohmann::json(std::move(sorted));
  return dump_json(record);
}

// The strings as a JSON array, each made valid UTF-8.
nlohmann::json valid_strings(const std::vector<std::string>& items)
{
  nlohmann::json array = nlohmann::json::array();
  for (const std::string& item : items) {
    array.push_back(to_valid_utf8(item));
  }
  return array;
}

// scan.bundles: [{"option", "vendor" (--vendor-ca only), "files", "ca_certificates", "certificates",
// "verified", "unverified_issuers": [{"issuer", "certificates"}], "unverified_other"}].
nlohmann::ordered_json bundles_to_json(const std::vector<BundleUse>& uses)
{
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  for (const BundleUse& use : uses) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    object["option"] = use.option;
    if (!use.vendor.empty()) {
      object["vendor"] = to_valid_utf8(use.vendor);
    }
    nlohmann::ordered_json files = nlohmann::ordered_json::array();
    for (const std::string& file : use.files) {
      files.push_back(to_valid_utf8(file));
    }
    object["files"] = std::move(files);
    object["ca_certificates"] = use.ca_certificates;
    object["certificates"] = use.certificates;
    object["verified"] = use.verified;
    nlohmann::ordered_json issuers = nlohmann::ordered_json::array();
    for (const auto& [issuer, count] : use.unverified_issuers) {
      issuers.push_back({{"issuer", to_valid_utf8(issuer)}, {"certificates", count}});
    }
    object["unverified_issuers"] = std::move(issuers);
    object["unverified_other"] = use.unverified_other;
    array.push_back(std::move(object));
  }
  return array;
}

// scan.warnings: [{"code", "message"}].
nlohmann::ordered_json warnings_to_json(const std::vector<ScanWarning>& warnings)
{
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  for (const ScanWarning& warning : warnings) {
    array.push_back({{"code", warning.code}, {"message", to_valid_utf8(warning.message)}});
  }
  return array;
}

// The keys of the scan facts `info` leaves out (rebuilt_from.unknown, merged_from.unknown).
nlohmann::ordered_json unknown_scan_keys(const ScanInfo& info)
{
  nlohmann::ordered_json unknown = nlohmann::ordered_json::array();
  for (const ScanFact fact : info.unknown) {
    for (const std::string& key : scan_fact_keys(fact)) {
      unknown.push_back(key);
    }
  }
  if (!info.audit_settings) {
    unknown.push_back("audit_settings");
  }
  return unknown;
}

// scan.rebuilt_from: {"path", "sha256", "format", "version", "rebuilt_at", "inventory": {"source",
// "file", "sha256"}, "unknown": [keys of the scan facts the input did not carry], "partial_last_line"}.
nlohmann::ordered_json rebuilt_from_to_json(const RebuiltFrom& from, const ScanInfo& info)
{
  nlohmann::ordered_json object = nlohmann::ordered_json::object();
  object["path"] = to_valid_utf8(from.path);
  object["sha256"] = from.sha256;
  object["format"] = from.format;
  object["version"] = to_valid_utf8(from.tool_version);
  object["rebuilt_at"] = format_iso8601(from.rebuilt_at);
  nlohmann::ordered_json inventory = nlohmann::ordered_json::object();
  inventory["source"] = from.inventory_source;
  if (!from.inventory_path.empty()) {
    inventory["file"] = to_valid_utf8(from.inventory_path);
    inventory["sha256"] = from.inventory_sha256;
  }
  object["inventory"] = std::move(inventory);
  object["unknown"] = unknown_scan_keys(info);
  if (from.partial_last_line) {
    object["partial_last_line"] = *from.partial_last_line;
  }
  return object;
}

// scan.merged_from: {"version", "merged_at", "inputs": [{"path", "sha256", "format", "started_at",
// "finished_at", "version", "arguments" (each when the input carries it), "records", "replaced"}],
// "audit_settings", "duplicate_endpoints", "inventory": {"source", "file", "sha256"}, "unknown"}.
nlohmann::ordered_json merged_from_to_json(const MergedFrom& from, const ScanInfo& info)
{
  nlohmann::ordered_json object = nlohmann::ordered_json::object();
  object["version"] = to_valid_utf8(from.tool_version);
  object["merged_at"] = format_iso8601(from.merged_at);
  nlohmann::ordered_json inputs = nlohmann::ordered_json::array();
  for (const MergedInput& input : from.inputs) {
    nlohmann::ordered_json item = nlohmann::ordered_json::object();
    item["path"] = to_valid_utf8(input.path);
    item["sha256"] = input.sha256;
    item["format"] = input.format;
    if (input.started_at && input.finished_at) {
      item["started_at"] = format_iso8601(*input.started_at);
      item["finished_at"] = format_iso8601(*input.finished_at);
    }
    if (!input.tool_version.empty()) {
      item["version"] = to_valid_utf8(input.tool_version);
    }
    if (!input.arguments.empty()) {
      item["arguments"] = valid_strings(input.arguments);
    }
    item["records"] = input.records;
    item["replaced"] = input.replaced;
    inputs.push_back(std::move(item));
  }
  object["inputs"] = std::move(inputs);
  object["audit_settings"] = from.audit_settings;
  object["duplicate_endpoints"] = from.duplicate_endpoints;
  nlohmann::ordered_json inventory = nlohmann::ordered_json::object();
  inventory["source"] = from.inventory_source;
  if (!from.inventory_path.empty()) {
    inventory["file"] = to_valid_utf8(from.inventory_path);
    inventory["sha256"] = from.inventory_sha256;
  }
  object["inventory"] = std::move(inventory);
  object["unknown"] = unknown_scan_keys(info);
  return object;
}

} // namespace

std::vector<std::string> scan_fact_keys(ScanFact fact)
{
  switch (fact) {
  case ScanFact::version: return {"version"};
  case ScanFact::times: return {"started_at", "finished_at", "duration_s"};
  case ScanFact::arguments: return {"arguments"};
  case ScanFact::ports: return {"ports"};
  case ScanFact::endpoints_planned: return {"endpoints_planned"};
  case ScanFact::outcome: return {"interrupted", "failed"};
  case ScanFact::bundles: return {"bundles"};
  case ScanFact::warnings: return {"warnings"};
  }
  return {};
}

nlohmann::ordered_json scan_section_to_json(const ScanInfo& info, std::uint64_t records)
{
  nlohmann::ordered_json scan = nlohmann::ordered_json::object();
  scan["tool"] = "fleetcert";
  if (info.knows(ScanFact::version)) {
    scan["version"] = to_valid_utf8(info.tool_version);
  }
  if (info.knows(ScanFact::times)) {
    scan["started_at"] = format_iso8601(info.started_at);
    scan["finished_at"] = format_iso8601(info.finished_at);
    scan["duration_s"] = info.finished_at >= info.started_at ? info.finished_at - info.started_at : 0;
  }
  if (info.knows(ScanFact::arguments)) {
    nlohmann::ordered_json arguments = nlohmann::ordered_json::array();
    for (const std::string& argument : info.arguments) {
      arguments.push_back(to_valid_utf8(argument));
    }
    scan["arguments"] = std::move(arguments);
  }
  if (info.knows(ScanFact::ports)) {
    scan["ports"] = info.ports;
  }
  if (info.knows(ScanFact::endpoints_planned)) {
    scan["endpoints_planned"] = info.endpoints_planned;
  }
  scan["endpoints_done"] = records;
  if (info.knows(ScanFact::outcome)) {
    scan["interrupted"] = info.interrupted;
    scan["failed"] = info.failed;
    if (info.failed) {
      scan["failure"] = to_valid_utf8(info.failure);
    }
  }
  if (info.audit_settings) {
    scan["audit_settings"] = audit_settings_to_json(*info.audit_settings);
  }
  if (!info.site.empty()) {
    scan["site"] = to_valid_utf8(info.site);
  }
  if (info.shard) {
    scan["shard"] = {{"index", info.shard->index}, {"count", info.shard->count}};
  }
  if (info.knows(ScanFact::bundles)) {
    scan["bundles"] = bundles_to_json(info.bundles);
  }
  if (info.knows(ScanFact::warnings)) {
    scan["warnings"] = warnings_to_json(info.warnings);
  }
  if (info.rebuilt_from) {
    scan["rebuilt_from"] = rebuilt_from_to_json(*info.rebuilt_from, info);
  }
  if (info.merged_from) {
    scan["merged_from"] = merged_from_to_json(*info.merged_from, info);
  }
  return scan;
}

JsonReport::JsonReport(std::string path) : m_file(std::move(path))
{
  m_spool = open_spool(m_file);
}

JsonReport::~JsonReport()
{
  if (m_spool != nullptr) {
    std::fclose(m_spool);
  }
}

void JsonReport::begin(const ScanInfo& /*info*/)
{
  if (m_begun) {
    return;
  }
  m_begun = true;
  m_file.write("{\"schema\":\"");
  m_file.write(k_schema);
  m_file.write("\",\"records\":[");
}

void JsonReport::write(const Record& record)
{
  begin(ScanInfo{});
  ++m_records;
  if (m_spool == nullptr || m_spool_errno != 0) {
    return;
  }
  if (!write_line(m_spool, record)) {
    m_spool_errno = errno != 0 ? errno : EIO;
  }
}

void JsonReport::fleet(const FleetView& view) { m_view = &view; }

void JsonReport::copy_records(ScanSummary& summary)
{
  if (m_spool_errno == 0 && (std::fflush(m_spool) != 0 || std::fseek(m_spool, 0, SEEK_SET) != 0)) {
    m_spool_errno = errno != 0 ? errno : EIO;
  }
  if (m_spool_errno != 0) {
    throw cannot_write(m_file.path(), m_spool_errno);
  }
  const bool patch = m_view != nullptr && has_fleet_findings(*m_view);
  LineBuffer line;
  std::uint64_t copied = 0;
  ssize_t length = 0;
  while ((length = ::getline(&line.data, &line.capacity, m_spool)) > 0) {
    std::string_view text(line.data, static_cast<std::size_t>(length));
    if (text.back() == '\n') {
      text.remove_suffix(1);
    }
    m_file.write(copied == 0 ? "\n" : ",\n");
    const std::optional<std::string> patched = patch ? with_fleet_findings(text, *m_view, summary) : std::nullopt;
    m_file.write(patched ? std::string_view(*patched) : text);
    ++copied;
  }
  if (std::ferror(m_spool) != 0 || copied != m_records) {
    throw std::runtime_error("cannot write '" + m_file.path() + "': the spooled records could not be read back");
  }
}

void JsonReport::finish(const ScanInfo& info, const ScanSummary& summary)
{
  if (m_finished) {
    return;
  }
  begin(info);
  ScanSummary counts = summary;
  copy_records(counts);

  const nlohmann::ordered_json scan = scan_section_to_json(info, m_records);

  m_file.write("\n],\"scan\":");
  m_file.write(scan.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  m_file.write(",\"summary\":");
  m_file.write(dump_json(summary_to_json(counts, m_view)));
  if (m_view != nullptr) {
    // One device per line, like the records.
    m_file.write(",\"devices\":[");
    bool first = true;
    for (const Device& device : m_view->devices()) {
      m_file.write(first ? "\n" : ",\n");
      m_file.write(dump_json(device_to_json(device)));
      first = false;
    }
    m_file.write(first ? "]" : "\n]");
    nlohmann::json check = nlohmann::json::object();
    check["not_answering"] = valid_strings(m_view->not_answering());
    check["not_in_inventory"] = valid_strings(m_view->not_in_inventory());
    m_file.write(",\"inventory_check\":");
    m_file.write(dump_json(check));
  }
  m_file.write("}\n");
  m_finished = true;
  m_file.commit();
  std::fclose(m_spool);
  m_spool = nullptr;
}

JsonlReport::JsonlReport(std::string path, bool append) : m_path(std::move(path))
{
  if (m_path == "-") {
    m_file = stdout;
    return;
  }
  m_file = std::fopen(m_path.c_str(), append ? "ae" : "we");
  if (m_file == nullptr) {
    throw cannot_write(m_path, errno);
  }
  std::setvbuf(m_file, nullptr, _IOFBF, 1 << 16); // a batch of records is one write(2)
  m_flusher = std::thread([this] {
    std::unique_lock<std::mutex> lock(m_mutex);
    while (!m_closing) {
      m_wake.wait_for(lock, k_flush_interval);
      if (m_pending) {
        flush_locked();
      }
    }
  });
}

JsonlReport::~JsonlReport()
{
  stop_flusher();
  if (m_file != nullptr && m_file != stdout) {
    std::fclose(m_file);
  }
}

void JsonlReport::stop_flusher()
{
  {
    const std::lock_guard<std::mutex> lock(m_mutex);
    m_closing = true;
  }
  m_wake.notify_all();
  if (m_flusher.joinable()) {
    m_flusher.join();
  }
}

void JsonlReport::flush_locked()
{
  m_pending = false;
  m_last_flush = std::chrono::steady_clock::now();
  if (std::fflush(m_file) != 0 && m_write_errno == 0) {
    m_write_errno = errno != 0 ? errno : EIO;
  }
}

void JsonlReport::begin(const ScanInfo& /*info*/) {}

void JsonlReport::write(const Record& record)
{
  const std::lock_guard<std::mutex> lock(m_mutex);
  if (m_file == nullptr || m_write_errno != 0) {
    return;
  }
  if (!write_line(m_file, record)) {
    m_write_errno = errno != 0 ? errno : EIO;
    return;
  }
  m_pending = true;
  if (m_file == stdout || std::chrono::steady_clock::now() - m_last_flush >= k_flush_interval) {
    flush_locked(); // the first record after a quiet spell is written at once
  }
}

void JsonlReport::finish(const ScanInfo& /*info*/, const ScanSummary& /*summary*/)
{
  stop_flusher();
  if (m_file == nullptr) {
    return;
  }
  int error = m_write_errno;
  if (std::fflush(m_file) != 0 && error == 0) {
    error = errno;
  }
  if (m_file != stdout && std::fclose(m_file) != 0 && error == 0) {
    error = errno;
  }
  m_file = nullptr;
  if (error != 0) {
    throw cannot_write(m_path, error);
  }
}

} // namespace fleetcert
