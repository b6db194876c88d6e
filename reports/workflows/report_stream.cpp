// Reads a saved report record by record (see report_stream.hpp):
//
//   file ──> InputBuffer (hashes, counts lines, shows the first bytes) ─┬─ JSONL: one line, one record
//                                                                       └─ JSON document: nlohmann's
//       parser with a callback that converts each record as its object ends and drops it, keeps the
//       scan section (read into ScanInfo at the end) and drops the devices

#include "reports/workflows/report_stream.hpp"

#include "reports/encoding/audit_settings_json.hpp"
#include "reports/encoding/record_json.hpp"
#include "reports/workflows/report_reader.hpp"

#include "scanner/assessment/fleet_view.hpp"
#include "scanner/util/digest.hpp"
#include "scanner/util/json_error.hpp"
#include "scanner/util/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <istream>
#include <set>
#include <stdexcept>
#include <streambuf>

#include <sys/stat.h>

namespace fleetcert {
namespace {

using json = nlohmann::json;

constexpr std::string_view k_schema = "fleetcert-scan/1";

// Bad input found while reading; read_report_records turns it into an Error.
struct BadInput : std::runtime_error
{
  using std::runtime_error::runtime_error;
};

// Reads `source` through a buffer, hashing every byte, counting the lines handed out, and showing
// the first bytes before anything is consumed (to tell a JSON document from JSONL).
class InputBuffer : public std::streambuf
{
public:
  explicit InputBuffer(std::streambuf& source) : m_source(source) {}

  // Up to a buffer's worth of the input's first bytes; call before reading.
  std::string_view head()
  {
    if (gptr() == egptr()) {
      underflow();
    }
    return {gptr(), static_cast<std::size_t>(egptr() - gptr())};
  }
  // The line the next byte is on (1-based).
  std::size_t line() const
  {
    return m_lines_before + static_cast<std::size_t>(std::count(eback(), gptr(), '\n')) + 1;
  }
  // Reads the rest, for the digest of the whole input.
  void drain()
  {
    while (underflow() != traits_type::eof()) {
      setg(egptr(), egptr(), egptr());
    }
  }
  std::string hex() const { return m_hash.hex(); }

protected:
  int_type underflow() override
  {
    if (gptr() < egptr()) {
      return traits_type::to_int_type(*gptr());
    }
    m_lines_before += static_cast<std::size_t>(std::count(eback(), egptr(), '\n'));
    const std::streamsize count = m_source.sgetn(m_buffer.data(), static_cast<std::streamsize>(m_buffer.size()));
    if (count <= 0) {
      setg(m_buffer.data(), m_buffer.data(), m_buffer.data());
      return traits_type::eof();
    }
    m_hash.update(std::string_view(m_buffer.data(), static_cast<std::size_t>(count)));
    setg(m_buffer.data(), m_buffer.data(), m_buffer.data() + count);
    return traits_type::to_int_type(*gptr());
  }

private:
  std::streambuf& m_source;
  Sha256 m_hash;
  std::size_t m_lines_before = 0;
  std::array<char, 64 * 1024> m_buffer{};
};

// Warnings capped at k_report_warnings lines, then one that counts the rest.
class Warnings
{
public:
  explicit Warnings(std::vector<std::string>& out) : m_out(out) {}
  void add(const std::string& warning)
  {
    if (m_out.size() < k_report_warnings) {
      m_out.push_back(warning);
    } else {
      ++m_more;
    }
  }
  void finish()
  {
    if (m_more > 0) {
      m_out.push_back("and " + std::to_string(m_more) + " more keys unknown to this fleetcert");
    }
  }

private:
  std::vector<std::string>& m_out;
  std::size_t m_more = 0;
};

// The record of one JSON object, as the scan's sinks received it; warnings name the keys left out.
Record convert_record(const json& object, const std::string& where, Warnings& warnings)
{
  std::vector<std::string> unknown;
  Result<Record> record = record_from_json(object, &unknown);
  if (!record) {
    throw BadInput(where + ": " + record.error());
  }
  for (const std::string& key : unknown) {
    warnings.add(where + ": key " + quote_for_message(key)
                 + " is unknown to this fleetcert (a newer version's report?): left out");
  }
  std::vector<Finding>& findings = record->assessment.findings;
  findings.erase(std::remove_if(findings.begin(), findings.end(),
                                [](const Finding& finding) { return is_fleet_wide_code(finding.code); }),
                 findings.end());
  return std::move(*record);
}

// ---- The scan section of a JSON document ----

[[noreturn]] void bad_scan(const std::string& key, const char* what)
{
  throw BadInput("scan." + key + " is not " + what);
}

std::string scan_text(const json& value, const std::string& key)
{
  if (!value.is_string()) {
    bad_scan(key, "a string");
  }
  return value.get<std::string>();
}

std::uint64_t scan_count(const json& value, const std::string& key)
{
  if (!value.is_number_unsigned()) {
    bad_scan(key, "a count");
  }
  return value.get<std::uint64_t>();
}

std::vector<std::string> scan_texts(const json& value, const std::string& key)
{
  if (!value.is_array()) {
    bad_scan(key, "an array of strings");
  }
  std::vector<std::string> out;
  for (const json& item : value) {
    out.push_back(scan_text(item, key + "[]"));
  }
  return out;
}

BundleUse bundle_from_json(const json& value)
{
  if (!value.is_object()) {
    bad_scan("bundles[]", "an object");
  }
  BundleUse use;
  use.option = scan_text(value.value("option", json()), "bundles[].option");
  if (value.contains("vendor")) {
    use.vendor = scan_text(value["vendor"], "bundles[].vendor");
  }
  use.files = scan_texts(value.value("files", json()), "bundles[].files");
  use.ca_certificates = scan_count(value.value("ca_certificates", json()), "bundles[].ca_certificates");
  use.certificates = scan_count(value.value("certificates", json()), "bundles[].certificates");
  use.verified = scan_count(value.value("verified", json()), "bundles[].verified");
  const json issuers = value.value("unverified_issuers", json::array());
  if (!issuers.is_array()) {
    bad_scan("bundles[].unverified_issuers", "an array");
  }
  for (const json& issuer : issuers) {
    if (!issuer.is_object()) {
      bad_scan("bundles[].unverified_issuers[]", "an object");
    }
    use.unverified_issuers.emplace_back(scan_text(issuer.value("issuer", json()), "bundles[].unverified_issuers[].issuer"),
                                        scan_count(issuer.value("certificates", json()),
                                                   "bundles[].unverified_issuers[].certificates"));
  }
  use.unverified_other = scan_count(value.value("unverified_other", json()), "bundles[].unverified_other");
  return use;
}

// The JSON document's scan section as ScanInfo: what it lacks goes to info.unknown.
void read_scan_section(const json& scan, ScanInfo& info, Warnings& warnings)
{
  static const std::set<std::string> k_known = {
      "tool",  "version",           "started_at",     "finished_at", "duration_s", "arguments", "ports",
      "endpoints_planned", "endpoints_done", "interrupted", "failed", "failure",    "audit_settings",
      "bundles", "warnings", "rebuilt_from", "merged_from", "site", "shard"};
  for (const auto& [key, value] : scan.items()) {
    if (k_known.count(key) == 0) {
      warnings.add("scan." + key + " is unknown to this fleetcert (a newer version's report?): left out");
    }
  }
  auto known = [&](ScanFact fact, std::initializer_list<const char*> keys) {
    const bool all = std::all_of(keys.begin(), keys.end(), [&](const char* key) { return scan.contains(key); });
    if (!all) {
      info.unknown.insert(fact);
    }
    return all;
  };
  if (known(ScanFact::version, {"version"})) {
    info.tool_version = scan_text(scan["version"], "version");
  }
  if (known(ScanFact::times, {"started_at", "finished_at"})) {
    for (const char* key : {"started_at", "finished_at"}) {
      const std::optional<std::int64_t> at = parse_iso8601(scan_text(scan[key], key));
      if (!at) {
        bad_scan(key, "an ISO 8601 time");
      }
      (std::string_view(key) == "started_at" ? info.started_at : info.finished_at) = *at;
    }
  }
  if (known(ScanFact::arguments, {"arguments"})) {
    info.arguments = scan_texts(scan["arguments"], "arguments");
  }
  if (known(ScanFact::ports, {"ports"})) {
    if (!scan["ports"].is_array()) {
      bad_scan("ports", "an array of port numbers");
    }
    for (const json& port : scan["ports"]) {
      if (!port.is_number_unsigned() || port.get<std::uint64_t>() > 65535) {
        bad_scan("ports", "an array of port numbers");
      }
      info.ports.push_back(port.get<std::uint16_t>());
    }
  }
  if (known(ScanFact::endpoints_planned, {"endpoints_planned"})) {
    info.endpoints_planned = scan_count(scan["endpoints_planned"], "endpoints_planned");
  }
  if (known(ScanFact::outcome, {"interrupted", "failed"})) {
    if (!scan["interrupted"].is_boolean() || !scan["failed"].is_boolean()) {
      bad_scan("interrupted and scan.failed", "true or false");
    }
    info.interrupted = scan["interrupted"].get<bool>();
    info.failed = scan["failed"].get<bool>();
    if (scan.contains("failure")) {
      info.failure = scan_text(scan["failure"], "failure");
    }
  }
  if (scan.contains("audit_settings")) {
    Result<AuditSettings> settings = audit_settings_from_json(scan["audit_settings"]);
    if (!settings) {
      throw BadInput("scan.audit_settings: " + settings.error());
    }
    info.audit_settings = std::move(*settings);
  }
  if (scan.contains("site")) {
    info.site = scan_text(scan["site"], "site");
  }
  if (scan.contains("shard")) {
    const json& shard = scan["shard"];
    if (!shard.is_object()) {
      bad_scan("shard", "an object {index, count}");
    }
    const std::uint64_t index = scan_count(shard.value("index", json()), "shard.index");
    const std::uint64_t count = scan_count(shard.value("count", json()), "shard.count");
    if (count < 1 || count > k_max_shards || index >= count) {
      bad_scan("shard", "{index, count} with 0 <= index < count <= 65536");
    }
    info.shard = Shard{static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(count)};
  }
  if (known(ScanFact::bundles, {"bundles"})) {
    if (!scan["bundles"].is_array()) {
      bad_scan("bundles", "an array");
    }
    for (const json& bundle : scan["bundles"]) {
      info.bundles.push_back(bundle_from_json(bundle));
    }
  }
  if (known(ScanFact::warnings, {"warnings"})) {
    if (!scan["warnings"].is_array()) {
      bad_scan("warnings", "an array");
    }
    for (const json& warning : scan["warnings"]) {
      if (!warning.is_object()) {
        bad_scan("warnings[]", "an object");
      }
      info.warnings.push_back(ScanWarning{scan_text(warning.value("code", json()), "warnings[].code"),
                                          scan_text(warning.value("message", json()), "warnings[].message")});
    }
  }
}

// Every fact unknown: what a JSONL report (records only) says of its scan.
ScanInfo unknown_scan()
{
  ScanInfo info;
  info.unknown = {ScanFact::version,           ScanFact::times,   ScanFact::arguments, ScanFact::ports,
                  ScanFact::endpoints_planned, ScanFact::outcome, ScanFact::bundles,   ScanFact::warnings};
  return info;
}

void read_lines(InputBuffer& buffer, ReportStream& stream, const std::function<void(Record&)>& on_record,
                const ReportStreamOptions& options, Warnings& warnings)
{
  stream.format = "jsonl";
  stream.scan = unknown_scan();
  std::istream in(&buffer);
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    const bool last_without_newline = in.eof();
    if (trim_blanks(line).empty()) {
      continue;
    }
    const std::string where = stream.path + ":" + std::to_string(number);
    json object;
    try {
      object = json::parse(line);
    } catch (const json::exception& e) {
      if (last_without_newline) {
        if (!options.allow_partial_last_line) {
          throw BadInput(where + ": the last line is cut off (no newline, not JSON: the scan writing it was killed); "
                         "complete the scan with `fleetcert scan --resume " + stream.path
                         + "` (same targets), or give --allow-partial to rebuild from the complete lines");
        }
        stream.partial_last_line = number;
        break;
      }
      throw BadInput(where + ": not a fleetcert record: " + json_error_text(e));
    }
    Record record = convert_record(object, where, warnings);
    ++stream.records;
    on_record(record);
  }
  if (in.bad()) {
    throw BadInput(stream.path + ": read error");
  }
}

// Stops the parse from inside its callback.
struct StopParsing
{
  std::string message;
};

void read_document(InputBuffer& buffer, ReportStream& stream, const std::function<void(Record&)>& on_record,
                   Warnings& warnings)
{
  stream.format = "json";
  static const std::set<std::string> k_top_keys = {"schema", "records", "scan", "summary", "devices", "inventory_check"};
  std::string top_key;
  std::size_t record_number = 0;
  std::string schema;
  json::parser_callback_t callback = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth == 1 && event == json::parse_event_t::key) {
      top_key = parsed.get<std::string>();
      if (k_top_keys.count(top_key) == 0) {
        warnings.add(stream.path + ": key " + quote_for_message(top_key)
                     + " is unknown to this fleetcert (a newer version's report?): left out");
      }
      return true;
    }
    if (depth == 1 && event == json::parse_event_t::value && top_key == "schema") {
      schema = parsed.is_string() ? parsed.get<std::string>() : std::string("?");
      if (schema != k_schema) {
        throw StopParsing{stream.path + ": not a fleetcert scan report this version can read (schema "
                          + quote_for_message(schema) + ", expected \"" + std::string(k_schema) + "\")"};
      }
      return true;
    }
    if (depth == 2 && event == json::parse_event_t::object_end && top_key == "records") {
      ++record_number;
      const std::string where =
          stream.path + ":" + std::to_string(buffer.line()) + ": record " + std::to_string(record_number);
      try {
        Record record = convert_record(parsed, where, warnings);
        ++stream.records;
        on_record(record);
      } catch (const BadInput& e) {
        throw StopParsing{e.what()};
      }
      return false; // handed on: drop the tree
    }
    if (depth == 1 && (event == json::parse_event_t::object_start || event == json::parse_event_t::array_start)
        && (top_key == "devices" || top_key == "summary" || top_key == "inventory_check")) {
      return false; // rebuilt from the records: not kept
    }
    return true;
  };
  std::istream in(&buffer);
  json document;
  try {
    document = json::parse(in, callback);
  } catch (const StopParsing& stop) {
    throw BadInput(stop.message);
  } catch (const json::exception& e) {
    throw BadInput(stream.path + ": not a fleetcert report: " + json_error_text(e));
  }
  if (!document.is_object() || schema.empty()) {
    throw BadInput(stream.path + ": not a fleetcert report (no \"schema\": \"" + std::string(k_schema) + "\")");
  }
  if (!document.contains("records") || !document["records"].is_array() || !document["records"].empty()) {
    throw BadInput(stream.path + ": \"records\" is " + (document.contains("records") ? "not an array of records" : "missing"));
  }
  stream.scan = ScanInfo{};
  if (document.contains("scan")) {
    if (!document["scan"].is_object()) {
      throw BadInput(stream.path + ": \"scan\" is not an object");
    }
    try {
      read_scan_section(document["scan"], stream.scan, warnings);
    } catch (const BadInput& e) {
      throw BadInput(stream.path + ": " + e.what());
    }
  } else {
    stream.scan = unknown_scan();
  }
}

} // namespace

Result<ReportStream> read_report_records(const std::string& path, const std::function<void(Record&)>& on_record,
                                         const ReportStreamOptions& options)
{
  ReportStream stream;
  stream.path = path;
  std::filebuf file;
  std::streambuf* source = std::cin.rdbuf();
  if (path != "-") {
    struct stat status{};
    if (::stat(path.c_str(), &status) != 0) {
      return Error{"cannot read report " + quote_for_message(path) + ": " + std::strerror(errno)};
    }
    if (S_ISDIR(status.st_mode)) {
      return Error{"cannot read report " + quote_for_message(path) + ": " + std::strerror(EISDIR)};
    }
    if (file.open(path, std::ios::in | std::ios::binary) == nullptr) {
      return Error{"cannot read report " + quote_for_message(path) + ": " + std::strerror(errno)};
    }
    source = &file;
  }
  InputBuffer buffer(*source);
  Warnings warnings(stream.warnings);
  try {
    // JSONL starts with a record's first key (record_to_json sorts them); anything else is read as
    // a JSON document, whose parser says what is wrong with it.
    const std::string_view head = buffer.head();
    const std::size_t start = head.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos) {
      throw BadInput(path + ": empty: not a fleetcert report");
    }
    static const std::array<std::string_view, 5> k_record_starts = {"{\"assessment\":", "{\"chain\":", "{\"error\":",
                                                                    "{\"inventory\":", "{\"leaf\":"};
    const bool jsonl = std::any_of(k_record_starts.begin(), k_record_starts.end(),
                                   [&](std::string_view start_text) { return head.substr(start).starts_with(start_text); });
    if (jsonl) {
      read_lines(buffer, stream, on_record, options, warnings);
    } else {
      read_document(buffer, stream, on_record, warnings);
    }
  } catch (const BadInput& e) {
    return Error{e.what()};
  } catch (const nlohmann::json::exception& e) { // a shape no check above foresaw: still bad input
    return Error{path + ": not a fleetcert report: " + json_error_text(e)};
  }
  buffer.drain();
  stream.sha256 = buffer.hex();
  warnings.finish();
  return stream;
}

void RecordInventory::add(const Record& record)
{
  const Endpoint& endpoint = record.observation.endpoint;
  if (!record.assessment.inventory || record.skipped()) {
    return;
  }
  if (m_rows.emplace(device_address(endpoint.ip, endpoint.host), m_inventory.rows.size()).second) {
    InventoryRow row = *record.assessment.inventory;
    row.ip = endpoint.ip;
    row.line = m_inventory.rows.size() + 1; // FleetView matches a row without an address by its line
    m_inventory.rows.push_back(std::move(row));
  }
}

} // namespace fleetcert
