// Reads fleetcert reports back (see report_reader.hpp).

#include "reports/workflows/report_reader.hpp"

#include "reports/encoding/audit_settings_json.hpp"

#include "scanner/util/input_file.hpp"
#include "scanner/util/ip_address.hpp"
#include "scanner/util/json_error.hpp"
#include "scanner/util/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

namespace fleetcert {
namespace {

using json = nlohmann::json;
constexpr std::string_view k_scan_schema = "fleetcert-scan/1"; // what a JSON scan report says it is

// Thrown while converting a record; caught by load_scan_report and turned into an Error.
struct BadRecord : std::runtime_error
{
  using std::runtime_error::runtime_error;
};

std::string text(const json& object, const char* key)
{
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    return {};
  }
  if (!it->is_string()) {
    throw BadRecord(std::string("'") + key + "' is not a string");
  }
  return it->get<std::string>();
}

const json& member(const json& object, const char* key)
{
  static const json empty = json::object();
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    return empty;
  }
  if (!it->is_object()) {
    throw BadRecord(std::string("'") + key + "' is not an object");
  }
  return *it;
}

// A boolean that may be absent (nullopt); any other type is a bad record.
std::optional<bool> flag(const json& object, const char* key)
{
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    return std::nullopt;
  }
  if (!it->is_boolean()) {
    throw BadRecord(std::string("'") + key + "' is not a boolean");
  }
  return it->get<bool>();
}

std::optional<std::int64_t> instant(const json& object, const char* key)
{
  const std::string value = text(object, key);
  if (value.empty()) {
    return std::nullopt;
  }
  auto parsed = parse_iso8601(value);
  if (!parsed) {
    throw BadRecord(std::string("'") + key + "' is not an ISO 8601 time: " + quote_for_message(value));
  }
  return parsed;
}

// A vocabulary word of the record at `path`: the value, nullopt when absent, and nullopt with a
// line in `unknown` when the word is one this version does not know.
template <typename Enum>
std::optional<Enum> word(const json& object, const char* key, std::string_view path,
                         std::optional<Enum> (*parse)(std::string_view), std::vector<std::string>& unknown)
{
  const std::string value = text(object, key);
  if (value.empty()) {
    return std::nullopt;
  }
  const std::optional<Enum> parsed = parse(value);
  if (!parsed) {
    unknown.push_back(std::string(path) + " " + quote_for_message(value)
                      + " is unknown to this fleetcert (a newer version's report?): read as unknown");
  }
  return parsed;
}

InventoryRow inventory_row(const json& object, const std::string& ip)
{
  InventoryRow row;
  row.ip = ip;
  row.mac = text(object, "mac");
  row.hostname = text(object, "hostname");
  row.vendor = text(object, "vendor");
  row.model = text(object, "model");
  row.site = text(object, "site");
  for (const auto& [column, value] : member(object, "extra").items()) {
    if (value.is_string()) {
      row.extra.emplace_back(column, value.get<std::string>());
    }
  }
  return row;
}

// The findings of `object`'s "findings" array (a record's assessment, a device of the devices section).
std::vector<Finding> findings_from_json(const json& object)
{
  std::vector<Finding> out;
  const auto findings = object.find("findings");
  if (findings == object.end() || !findings->is_array()) {
    return out;
  }
  for (const json& item : *findings) {
    if (!item.is_object()) {
      throw BadRecord("a finding that is not an object");
    }
    Finding finding;
    finding.code = text(item, "code");
    const auto severity = parse_severity(text(item, "severity"));
    if (finding.code.empty() || !severity) {
      throw BadRecord("a finding without a code or a known severity");
    }
    finding.severity = *severity;
    finding.message = text(item, "message");
    finding.remediation = text(item, "remediation");
    out.push_back(std::move(finding));
  }
  return out;
}

// One device of the JSON document's `devices` section (the inverse of device_to_json).
Device device_from_json(const json& object)
{
  if (!object.is_object()) {
    throw BadRecord("not a device object");
  }
  Device device;
  device.ip = canonical_address(text(object, "ip"));
  device.host = text(object, "host");
  if (device.ip.empty() && device.host.empty()) {
    throw BadRecord("a device without ip or host");
  }
  device.mac = text(object, "mac");
  const json& vendor = member(object, "vendor");
  device.vendor = text(vendor, "name");
  device.vendor_source = text(vendor, "source");
  if (object.contains("inventory")) {
    device.inventory = inventory_row(member(object, "inventory"), device.ip);
    apply_inventory_identity(device, *device.inventory);
  }
  if (object.contains("model")) { // written since issue 14; older reports: the inventory's
    const json& model = member(object, "model");
    device.model = text(model, "name");
    device.model_source = text(model, "source");
  }
  if (object.contains("firmware")) {
    const json& firmware = member(object, "firmware");
    device.firmware = text(firmware, "version");
    device.firmware_source = text(firmware, "source");
  }
  if (device.site.empty()) {
    device.site = text(object, "site"); // the scan's --site
  }
  if (const auto ports = object.find("ports"); ports != object.end() && ports->is_array()) {
    for (const json& item : *ports) {
      if (!item.is_object()) {
        throw BadRecord("a port that is not an object");
      }
      DevicePort port;
      const auto number = item.find("port");
      if (number == item.end() || !number->is_number_unsigned() || number->get<std::uint64_t>() > 65535) {
        throw BadRecord("ports[].port is missing or not a port number");
      }
      port.port = static_cast<std::uint16_t>(number->get<std::uint64_t>());
      port.status = text(item, "status");
      port.sha256 = text(item, "sha256");
      port.signature_label = text(item, "signature_label");
      port.provenance = text(item, "provenance");
      port.not_after = text(item, "not_after");
      device.ports.push_back(std::move(port));
    }
  }
  device.findings = findings_from_json(object);
  return device;
}

// The endpoint of one record; words this version does not know are described in `unknown`.
ReportEndpoint endpoint_from_json(const json& record, std::vector<std::string>& unknown)
{
  if (!record.is_object() || !record.contains("target") || !record.contains("status")) {
    throw BadRecord("not a fleetcert record (no target or status)");
  }
  ReportEndpoint endpoint;
  const json& target = member(record, "target");
  endpoint.ip = canonical_address(text(target, "ip")); // older reports may spell IPv6 otherwise
  endpoint.host = text(target, "host");
  const auto port = target.find("port");
  if (port == target.end() || !port->is_number_unsigned() || port->get<std::uint64_t>() > 65535) {
    throw BadRecord("target.port is missing or not a port number");
  }
  endpoint.port = static_cast<std::uint16_t>(port->get<std::uint64_t>());
  const std::string status = text(record, "status");
  if (status != "ok" && status != "error" && status != "skipped") {
    throw BadRecord("status is not ok, error or skipped");
  }
  if (endpoint.ip.empty() && endpoint.host.empty()) {
    throw BadRecord("target has neither ip nor host");
  }
  endpoint.ok = status == "ok";
  endpoint.skipped = status == "skipped";
  if (endpoint.skipped) {
    const json& skipped = member(record, "skipped");
    endpoint.skip_reason = word(skipped, "reason", "skipped.reason", parse_skip_reason, unknown);
    endpoint.skip_detail = text(skipped, "detail");
  } else if (!endpoint.ok) {
    const json& error = member(record, "error");
    endpoint.error_class = word(error, "class", "error.class", parse_error_class, unknown);
    endpoint.error_detail = text(error, "detail");
  }

  endpoint.client_certificate_requested = flag(member(record, "tls"), "client_certificate_requested");

  const json& leaf = member(record, "leaf");
  endpoint.cn = text(leaf, "cn");
  endpoint.subject = text(leaf, "subject");
  endpoint.issuer = text(leaf, "issuer");
  endpoint.serial = text(leaf, "serial");
  endpoint.sha256 = text(leaf, "sha256");
  endpoint.not_before = instant(leaf, "not_before");
  endpoint.not_after = instant(leaf, "not_after");
  const json& signature = member(leaf, "signature");
  endpoint.signature_algorithm = text(signature, "algorithm");
  endpoint.signature_label = text(signature, "label");
  endpoint.signature_verdict = word(signature, "verdict", "leaf.signature.verdict", parse_signature_verdict, unknown);
  const json& key = member(leaf, "key");
  endpoint.key_type = text(key, "type");
  endpoint.key_curve = text(key, "curve");
  if (const auto bits = key.find("bits"); bits != key.end() && bits->is_number_integer()) {
    endpoint.key_bits = bits->get<int>();
  }
  if (const auto self_signed = leaf.find("self_signed"); self_signed != leaf.end() && self_signed->is_boolean()) {
    endpoint.self_signed = self_signed->get<bool>();
  }
  if (const auto chain = record.find("chain"); chain != record.end() && chain->is_array()) {
    for (const json& item : *chain) {
      if (!item.is_object() || !item.contains("pem")) {
        endpoint.chain.clear(); // a report without PEM: no chain to re-verify
        break;
      }
      auto ders = pem_to_ders(text(item, "pem"));
      if (!ders) {
        throw BadRecord("chain[].pem: " + ders.error());
      }
      if (ders->size() != 1) {
        throw BadRecord("chain[].pem is not one PEM certificate");
      }
      endpoint.chain.push_back(std::move(ders->front()));
    }
  }

  const json& assessment = member(record, "assessment");
  endpoint.cn_class = word(assessment, "cn_class", "assessment.cn_class", parse_cn_class, unknown);
  endpoint.cn_mac = text(assessment, "mac");
  endpoint.validity = word(assessment, "validity", "assessment.validity", parse_validity, unknown);
  endpoint.vendor = text(member(assessment, "vendor"), "name");
  endpoint.vendor_source = text(member(assessment, "vendor"), "source");
  const json& provenance = member(assessment, "provenance");
  endpoint.provenance_kind =
      word(provenance, "kind", "assessment.provenance.kind", parse_provenance_kind, unknown);
  endpoint.provenance_basis =
      word(provenance, "basis", "assessment.provenance.basis", parse_provenance_basis, unknown);
  endpoint.provenance_vendor = text(provenance, "vendor");
  if (const auto verified = provenance.find("issuer_verified"); verified != provenance.end()) {
    if (!verified->is_boolean()) {
      throw BadRecord("'issuer_verified' is not true or false");
    }
    endpoint.provenance_issuer_verified = verified->get<bool>();
  }
  endpoint.findings = findings_from_json(assessment);
  if (record.contains("inventory")) {
    endpoint.inventory = inventory_row(member(record, "inventory"), endpoint.ip);
  }
  if (record.contains("identity")) {
    const json& identity = member(record, "identity");
    AnnouncedIdentity announced;
    announced.vendor = text(identity, "vendor");
    announced.model = text(identity, "model");
    announced.firmware = text(identity, "firmware");
    announced.mac = text(identity, "mac");
    announced.source = word(identity, "source", "identity.source", parse_identity_source, unknown);
    announced.raw = text(identity, "raw");
    announced.error = text(identity, "error");
    announced.request = word(identity, "request", "identity.request", parse_identity_protocol, unknown);
    endpoint.identity = std::move(announced);
  }
  endpoint.site = text(record, "site");
  return endpoint;
}

// The report's warnings about words this version does not know: the first k_report_warnings
// named with their record, then one line that counts the rest.
class UnknownWords
{
public:
  explicit UnknownWords(ScanReport& report) : m_report(report) {}
  void add(const std::string& where, const std::vector<std::string>& unknown)
  {
    for (const std::string& what : unknown) {
      if (m_report.warnings.size() < k_report_warnings) {
        m_report.warnings.push_back(where + ": " + what);
      } else {
        ++m_more;
      }
    }
  }
  void finish()
  {
    if (m_more > 0) {
      m_report.warnings.push_back("and " + std::to_string(m_more) + " more values unknown to this fleetcert");
    }
  }

private:
  ScanReport& m_report;
  std::size_t m_more = 0;
};

// A record of `endpoint` holding what FleetView reads: the target, the error, the leaf's
// fingerprints, signature label, expiry and key (from the chain's PEM, when the report has it)
// and the assessment without fleet-wide findings (FleetView adds those itself).
Record record_for_fleet(const ReportEndpoint& endpoint, const InventoryRow* inventory)
{
  Record record;
  record.observation.endpoint.ip = endpoint.ip;
  record.observation.endpoint.host = endpoint.host;
  record.observation.endpoint.port = endpoint.port;
  record.observation.error = endpoint.ok ? ErrorClass::none : endpoint.error_class.value_or(ErrorClass::protocol);
  if (inventory != nullptr) {
    record.assessment.inventory = *inventory;
  }
  record.identity = endpoint.identity;
  if (!endpoint.ok) {
    return record;
  }
  CertificateInfo leaf;
  if (!endpoint.chain.empty() && sha256_hex(endpoint.chain.front()) == endpoint.sha256) {
    leaf.key.spki_sha256 = decode_certificate(endpoint.chain.front()).key.spki_sha256;
  }
  leaf.parsed = true;
  leaf.sha256 = endpoint.sha256;
  leaf.signature.label = endpoint.signature_label;
  leaf.not_after = endpoint.not_after;
  record.chain.push_back(std::move(leaf));
  Assessment& assessment = record.assessment;
  assessment.mac = endpoint.cn_mac;
  assessment.vendor = endpoint.vendor;
  assessment.vendor_source = endpoint.vendor_source;
  assessment.provenance.kind = endpoint.provenance_kind.value_or(ProvenanceKind::unknown);
  for (const Finding& finding : endpoint.findings) {
    if (!is_fleet_wide_code(finding.code)) {
      assessment.findings.push_back(finding);
    }
  }
  return record;
}

// The device view of records without a `devices` section: replayed through FleetView in file
// order (the order they completed in). The inventory is the rows the records carry (each
// inventory row is a target, so each has records); records that carry none are read as a scan
// without an inventory. `warnings` gets what the records cannot tell.
std::vector<Device> recompute_fleet(const std::vector<ReportEndpoint>& endpoints, std::vector<std::string>* warnings)
{
  Inventory inventory;
  std::map<std::string, std::size_t> row_of_address; // device address -> index in inventory.rows
  for (const ReportEndpoint& endpoint : endpoints) {
    if (endpoint.inventory && row_of_address.count(device_address(endpoint.ip, endpoint.host)) == 0) {
      row_of_address.emplace(device_address(endpoint.ip, endpoint.host), inventory.rows.size());
      InventoryRow row = *endpoint.inventory;
      row.line = inventory.rows.size() + 1; // FleetView matches a row without an ip by its line
      inventory.rows.push_back(std::move(row));
    }
  }
  FleetView view(inventory.rows.empty() ? nullptr : &inventory);
  bool keys_unknown = false;
  for (const ReportEndpoint& endpoint : endpoints) {
    const auto row = row_of_address.find(device_address(endpoint.ip, endpoint.host));
    const Record record = record_for_fleet(endpoint, row == row_of_address.end() ? nullptr : &inventory.rows[row->second]);
    keys_unknown = keys_unknown || (record.ok() && record.chain.front().key.spki_sha256.empty());
    view.add(record);
  }
  view.finish();
  if (keys_unknown && warnings != nullptr) {
    warnings->push_back("records without a PEM chain: shared-key (the same key in different certificates) cannot "
                        "be recomputed for them");
  }
  return view.devices();
}

void recompute_fleet(ScanReport& report)
{
  report.fleet = recompute_fleet(report.endpoints, &report.fleet_warnings);
  report.fleet_from_document = false;
}

// Why a parsed JSON document is not a scan report, or "" when its "schema" says it is one.
std::string schema_problem(const json& document)
{
  const std::string expected = "a scan report has \"schema\": \"" + std::string(k_scan_schema) + "\"";
  if (!document.is_object()) {
    return std::string("the JSON is ") + (document.is_array() ? "an array" : "not an object") + "; " + expected;
  }
  const auto schema = document.find("schema");
  if (schema == document.end()) {
    return "no \"schema\" (" + expected + ")";
  }
  if (!schema->is_string()) {
    return "\"schema\" is not a string (" + expected + ")";
  }
  const std::string value = schema->get<std::string>();
  if (value == k_scan_schema) {
    return "";
  }
  std::string written_by;
  for (const char* command : {"diff", "readiness", "issuers"}) {
    if (value == std::string("fleetcert-") + command + "/1") {
      written_by = std::string(" (written by fleetcert ") + command + ")";
    }
  }
  return "\"schema\" is " + quote_for_message(value) + written_by + "; " + expected;
}

Result<ScanReport> load_document(std::ifstream& in, ScanReport report)
{
  std::string top_key;
  std::string record_error;
  std::size_t records = 0;
  std::string device_error;
  std::size_t device_count = 0;
  std::set<std::string> addresses;
  UnknownWords unknown_words(report);
  json::parser_callback_t callback = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth == 1 && event == json::parse_event_t::key) {
      top_key = parsed.get<std::string>();
      return true;
    }
    if (depth == 2 && event == json::parse_event_t::object_end && top_key == "records") {
      ++records;
      if (record_error.empty()) {
        try {
          std::vector<std::string> unknown;
          report.endpoints.push_back(endpoint_from_json(parsed, unknown));
          unknown_words.add("record " + std::to_string(records), unknown);
        } catch (const std::exception& e) {
          record_error = "record " + std::to_string(records) + ": " + e.what();
        }
      }
      return false; // converted: drop the tree
    }
    if (depth == 2 && event == json::parse_event_t::object_end && top_key == "devices") {
      ++device_count;
      if (device_error.empty()) {
        try {
          Device device = device_from_json(parsed);
          if (!addresses.insert(device.address()).second) {
            throw BadRecord("address " + quote_for_message(device.address()) + " is listed twice");
          }
          if (!report.fleet) {
            report.fleet.emplace();
          }
          report.fleet->push_back(std::move(device));
        } catch (const std::exception& e) {
          device_error = "devices[" + std::to_string(device_count - 1) + "]: " + e.what();
        }
      }
      return false;
    }
    return !(depth >= 2 && top_key == "inventory_check");
  };
  json document;
  try {
    document = json::parse(in, callback);
  } catch (const json::exception& e) {
    return Error{report.path + ": not a fleetcert report: " + json_error_text(e)};
  }
  if (const std::string problem = schema_problem(document); !problem.empty()) {
    return Error{report.path + ": not a fleetcert report: " + problem};
  }
  if (!record_error.empty()) {
    return Error{report.path + ": " + record_error};
  }
  if (!device_error.empty()) {
    return Error{report.path + ": " + device_error};
  }
  unknown_words.finish();
  report.format = "json";
  if (document.contains("devices")) {
    if (!document["devices"].is_array()) {
      return Error{report.path + ": \"devices\" is not an array"};
    }
    report.fleet_from_document = true;
    if (!report.fleet) {
      report.fleet.emplace();
    }
  } else {
    recompute_fleet(report); // a document written without a device view
  }
  const json& scan = document.contains("scan") && document["scan"].is_object() ? document["scan"] : json::object();
  report.started_at = scan.value("started_at", "");
  report.finished_at = scan.value("finished_at", "");
  report.interrupted = scan.value("interrupted", false);
  if (scan.contains("audit_settings")) {
    auto settings = audit_settings_from_json(scan["audit_settings"]);
    if (settings) {
      report.audit_settings = std::move(*settings);
    } else {
      report.warnings.push_back(settings.error() + ": the audit settings are read as unknown");
    }
  }
  return report;
}

Result<ScanReport> load_lines(std::ifstream& in, ScanReport report)
{
  report.format = "jsonl";
  UnknownWords unknown_words(report);
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (trim_blanks(line).empty()) {
      continue;
    }
    try {
      std::vector<std::string> unknown;
      report.endpoints.push_back(endpoint_from_json(json::parse(line), unknown));
      unknown_words.add("line " + std::to_string(number), unknown);
    } catch (const json::exception& e) {
      return Error{report.path + ":" + std::to_string(number) + ": not a fleetcert report line: "
                   + json_error_text(e)};
    } catch (const std::exception& e) {
      return Error{report.path + ":" + std::to_string(number) + ": " + e.what()};
    }
  }
  if (in.bad()) {
    return Error{report.path + ": read error"};
  }
  unknown_words.finish();
  recompute_fleet(report);
  return report;
}

int severity_rank(Severity severity)
{
  return static_cast<int>(severity);
}

} // namespace

std::string ReportEndpoint::provenance() const
{
  return provenance_text(provenance_kind, provenance_basis);
}

std::string ReportEndpoint::error_word() const
{
  return error_class ? std::string(to_string(*error_class)) : std::string("error");
}

bool ReportDevice::answered() const
{
  return std::any_of(endpoints.begin(), endpoints.end(), [](const ReportEndpoint* e) { return e->ok; });
}

std::optional<Severity> ReportDevice::worst() const
{
  if (findings.empty()) {
    return std::nullopt;
  }
  return findings.front().severity;
}

std::vector<ReportDevice> ScanReport::devices() const
{
  std::map<std::string, ReportDevice> by_address;
  for (const ReportEndpoint& endpoint : endpoints) {
    if (endpoint.skipped) {
      continue; // not scanned on purpose: not a device of the scan (as in the scan's own device view)
    }
    ReportDevice& device = by_address[device_address(endpoint.ip, endpoint.host)];
    device.ip = endpoint.ip;
    if (device.host.empty()) {
      device.host = endpoint.host;
    }
    device.endpoints.push_back(&endpoint);
  }
  std::vector<ReportDevice> devices;
  devices.reserve(by_address.size());
  for (auto& [key, device] : by_address) {
    std::sort(device.endpoints.begin(), device.endpoints.end(),
              [](const ReportEndpoint* a, const ReportEndpoint* b) { return a->port < b->port; });
    std::map<std::string, Finding> worst_by_code;
    for (const ReportEndpoint* endpoint : device.endpoints) {
      if (endpoint->inventory) {
        const InventoryRow& row = *endpoint->inventory;
        device.mac = device.mac.empty() ? row.mac : device.mac;
        device.vendor = device.vendor.empty() ? row.vendor : device.vendor;
        apply_inventory_identity(device, row); // the inventory's model and firmware win over announced ones
      }
      if (endpoint->identity) {
        merge_announced_identity(device, *endpoint->identity);
      }
      device.site = device.site.empty() ? endpoint->site : device.site; // the scan's --site
      for (const Finding& finding : endpoint->findings) {
        auto [it, inserted] = worst_by_code.emplace(finding.code, finding);
        if (!inserted && severity_rank(finding.severity) > severity_rank(it->second.severity)) {
          it->second = finding;
        }
      }
    }
    for (const ReportEndpoint* endpoint : device.endpoints) { // assessed facts win over the inventory's vendor
      if (endpoint->ok && !endpoint->vendor.empty()) {
        device.vendor = endpoint->vendor;
        break;
      }
    }
    if (device.mac.empty()) {
      for (const ReportEndpoint* endpoint : device.endpoints) {
        if (!endpoint->cn_mac.empty()) {
          device.mac = endpoint->cn_mac;
          break;
        }
      }
    }
    for (auto& [code, finding] : worst_by_code) {
      device.findings.push_back(std::move(finding));
    }
    std::stable_sort(device.findings.begin(), device.findings.end(), [](const Finding& a, const Finding& b) {
      return severity_rank(a.severity) > severity_rank(b.severity);
    });
    devices.push_back(std::move(device));
  }
  std::stable_sort(devices.begin(), devices.end(), [](const ReportDevice& a, const ReportDevice& b) {
    return address_order(a) < address_order(b);
  });
  return devices;
}

std::vector<ReportDevice> ScanReport::fleet_devices() const
{
  std::map<std::string, std::vector<const ReportEndpoint*>> by_address;
  for (const ReportEndpoint& endpoint : endpoints) {
    by_address[device_address(endpoint.ip, endpoint.host)].push_back(&endpoint);
  }
  const std::vector<Device> computed = fleet ? std::vector<Device>() : recompute_fleet(endpoints, nullptr);
  const std::vector<Device>& view = fleet ? *fleet : computed;
  std::vector<ReportDevice> out;
  out.reserve(view.size());
  for (const Device& device : view) {
    ReportDevice entry;
    entry.identity() = device.identity();
    entry.inventory = device.inventory;
    entry.findings = device.findings;
    if (auto it = by_address.find(device.address()); it != by_address.end()) {
      entry.endpoints = it->second;
      std::stable_sort(entry.endpoints.begin(), entry.endpoints.end(),
                       [](const ReportEndpoint* a, const ReportEndpoint* b) { return a->port < b->port; });
    }
    out.push_back(std::move(entry));
  }
  return out;
}

std::string ScanReport::fleet_source() const
{
  if (fleet_from_document) {
    return "the JSON document's devices section";
  }
  return format == "jsonl" ? "recomputed from the JSONL records" : "recomputed from the records (the document has no devices section)";
}

Result<ScanReport> load_scan_report(const std::string& path)
{
  std::ifstream in;
  if (const std::string problem = open_input_file(in, path); !problem.empty()) {
    return Error{"cannot read report " + quote_for_message(path) + ": " + problem};
  }
  ScanReport report;
  report.path = path;
  if (in.peek() == std::ifstream::traits_type::eof()) {
    if (in.bad()) {
      return Error{"cannot read report " + quote_for_message(path)};
    }
    return Error{path + ": not a fleetcert report: the file is empty"};
  }
  // A JSON document starts with '{' and its first line is not a whole record; JSONL lines are.
  std::string first_line;
  std::getline(in, first_line);
  in.clear();
  in.seekg(0);
  bool jsonl = false;
  try {
    const json first = json::parse(first_line);
    jsonl = first.is_object() && first.contains("target");
  } catch (const json::exception&) {
    jsonl = false;
  }
  return jsonl ? load_lines(in, std::move(report)) : load_document(in, std::move(report));
}

} // namespace fleetcert
