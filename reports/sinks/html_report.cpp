#include "reports/sinks/html_report.hpp"

#include "reports/encoding/html_page.hpp"
#include "reports/encoding/record_json.hpp"
#include "reports/encoding/text_safety.hpp"
#include "reports/sinks/json_report.hpp"
#include "reports/sinks/summary.hpp"

#include "scanner/assessment/fleet_view.hpp"
#include "scanner/util/time.hpp"

#include <charconv>
#include <utility>

namespace fleetcert {

namespace {

// Text that repeats across devices (issuers, messages, remediation) once, referred to by index.
class TextTable
{
public:
  std::size_t index(const std::string& text)
  {
    const auto [slot, added] = m_index.try_emplace(text, m_texts.size());
    if (added) {
      m_texts.push_back(to_valid_utf8(text));
    }
    return slot->second;
  }
  nlohmann::json to_json() const { return m_texts; }

private:
  std::unordered_map<std::string, std::size_t> m_index;
  std::vector<std::string> m_texts;
};

// The page's data is packed: each device, port and chain certificate is an array of its fields'
// values in the order of data.layout (trailing absent values left off), and the text of a field
// marked `text` (words and names that repeat across a fleet) is an index into data.texts. A
// 10,000-device page stays a few MB; the page's script unpacks it.
struct PageField
{
  const char* name;
  bool text = false;                 // the value is interned in data.texts
  const char* of = nullptr;          // an array of packed objects of this layout
};

const std::vector<PageField> k_chain_fields = {{"subject", true}, {"issuer", true}, {"not_after", true}, {"label", true},
                                               {"key", true},     {"self_signed"},  {"parse_error", true}};
const std::vector<PageField> k_port_fields = {
  {"port"}, {"status", true}, {"sha256"}, {"label", true}, {"provenance", true}, {"not_after"}, {"tls", true},
  {"cn"}, {"verdict", true}, {"validity", true}, {"days_left"}, {"provenance_detail", true}, {"error", true},
  {"chain", false, "chain"},
  // What the port announced of itself (the record's identity, issue 14), last: a port without one
  // costs nothing.
  {"identity_source", true}, {"identity_vendor", true}, {"identity_model", true}, {"identity_firmware", true},
  {"identity_mac"}, {"identity_raw", true}, {"identity_error", true}};
const std::vector<PageField> k_device_fields = {
  {"ip"}, {"host"}, {"mac"}, {"vendor", true}, {"vendor_source", true}, {"model", true}, {"site", true},
  {"hostname"}, {"model_source", true}, {"firmware", true}, {"firmware_source", true}, {"answered"}, {"worst", true}, {"findings"}, {"ports", false, "port"}};

const std::vector<PageField>& layout_fields(std::string_view name)
{
  return name == "chain" ? k_chain_fields : name == "port" ? k_port_fields : k_device_fields;
}

// data.layout: {"device": [{"name", "text"?, "of"?}], "port": [...], "chain": [...]}.
nlohmann::json layout_to_json()
{
  nlohmann::json layout = nlohmann::json::object();
  for (const char* name : {"device", "port", "chain"}) {
    nlohmann::json fields = nlohmann::json::array();
    for (const PageField& field : layout_fields(name)) {
      nlohmann::json entry = {{"name", field.name}};
      if (field.text) {
        entry["text"] = true;
      }
      if (field.of != nullptr) {
        entry["of"] = field.of;
      }
      fields.push_back(std::move(entry));
    }
    layout[name] = std::move(fields);
  }
  return layout;
}

// `object` as an array in the order of `fields`.
nlohmann::json pack(const nlohmann::json& object, const std::vector<PageField>& fields, TextTable& texts)
{
  nlohmann::json row = nlohmann::json::array();
  for (const PageField& field : fields) {
    const auto found = object.find(field.name);
    if (found == object.end()) {
      row.push_back(nullptr);
    } else if (field.of != nullptr) {
      nlohmann::json items = nlohmann::json::array();
      for (const nlohmann::json& item : *found) {
        items.push_back(pack(item, layout_fields(field.of), texts));
      }
      row.push_back(std::move(items));
    } else if (field.text && found->is_string()) {
      row.push_back(texts.index(found->get_ref<const std::string&>()));
    } else {
      row.push_back(*found);
    }
  }
  while (!row.empty() && row.back().is_null()) {
    row.erase(row.size() - 1);
  }
  return row;
}

// The key of one endpoint in m_ports: the device view's address (or the name that did not resolve).
std::string port_key(const std::string& ip, const std::string& host, std::uint16_t port)
{
  return (ip.empty() ? host : ip) + " " + std::to_string(port);
}

// The value that follows `option` in a command line ("--now X" or "--now=X"); nullopt when absent.
std::optional<std::string> option_value(const std::vector<std::string>& arguments, std::string_view option)
{
  std::optional<std::string> value;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    if (argument == option && i + 1 < arguments.size()) {
      value = arguments[i + 1];
    } else if (argument.size() > option.size() && argument.compare(0, option.size(), option) == 0 &&
               argument[option.size()] == '=') {
      value = argument.substr(option.size() + 1);
    }
  }
  return value;
}

// One device: identity, inventory columns, every port with its record's details, findings as
// [code, severity, message text index, remediation text index]; packed by pack().
nlohmann::json device_for_page(const Device& device, const std::unordered_map<std::string, nlohmann::json>& details,
                               TextTable& texts)
{
  nlohmann::json object = nlohmann::json::object();
  const auto put = [&object](const char* key, const std::string& value) {
    if (!value.empty()) {
      object[key] = to_valid_utf8(value);
    }
  };
  put("ip", device.ip);
  put("host", device.host);
  put("mac", device.mac);
  put("vendor", device.vendor);
  put("vendor_source", device.vendor_source);
  put("model", device.model); // the inventory's, else the one the device announced
  put("model_source", device.model_source);
  put("firmware", device.firmware);
  put("firmware_source", device.firmware_source);
  put("site", device.site); // the inventory's, else --site
  if (device.inventory) {
    put("hostname", device.inventory->hostname);
  }
  object["answered"] = device.answered();
  if (const std::optional<Severity> worst = device.worst()) {
    object["worst"] = std::string(to_string(*worst));
  }
  nlohmann::json ports = nlohmann::json::array();
  for (const DevicePort& port : device.ports) {
    nlohmann::json entry = {{"port", port.port}, {"status", port.status}};
    if (!port.sha256.empty()) {
      entry["sha256"] = port.sha256;
    }
    if (!port.signature_label.empty()) {
      entry["label"] = to_valid_utf8(port.signature_label);
    }
    if (!port.provenance.empty()) {
      entry["provenance"] = port.provenance;
    }
    if (!port.not_after.empty()) {
      entry["not_after"] = port.not_after;
    }
    const auto found = details.find(port_key(device.ip, device.host, port.port));
    if (found != details.end()) {
      for (const auto& [key, value] : found->second.items()) {
        entry[key] = value;
      }
    }
    ports.push_back(std::move(entry));
  }
  object["ports"] = std::move(ports);
  nlohmann::json findings = nlohmann::json::array();
  for (const Finding& finding : device.findings) {
    findings.push_back({finding.code, std::string(to_string(finding.severity)), texts.index(finding.message),
                        texts.index(finding.remediation)});
  }
  object["findings"] = std::move(findings);
  return object;
}

} // namespace

HtmlClock clock_of_saved_scan(const ScanInfo& info)
{
  HtmlClock clock;
  if (!info.knows(ScanFact::arguments)) {
    return clock;
  }
  if (const std::optional<std::string> now = option_value(info.arguments, "--now")) {
    clock.now = parse_iso8601(*now);
    clock.now_source = "--now";
  } else if (info.knows(ScanFact::times)) {
    clock.now = info.started_at;
    clock.now_source = "scan start";
  }
  clock.expiry_warning_days = 30;
  if (const std::optional<std::string> days = option_value(info.arguments, "--expiry-warning")) {
    int value = 0;
    const auto [end, error] = std::from_chars(days->data(), days->data() + days->size(), value);
    clock.expiry_warning_days = error == std::errc() && end == days->data() + days->size()
                                  ? std::optional<int>(value)
                                  : std::nullopt;
  }
  return clock;
}

HtmlReport::HtmlReport(std::string path, std::optional<HtmlClock> clock) : m_file(std::move(path)), m_clock(std::move(clock)) {}

void HtmlReport::begin(const ScanInfo& /*info*/) {}

void HtmlReport::write(const Record& record)
{
  ++m_records;
  // Only endpoints that presented a certificate: their devices are in the view, and memory grows
  // with the certificates found, not with the dead space swept (the view gives every port's status).
  if (!record.ok()) {
    return;
  }
  const Endpoint& endpoint = record.observation.endpoint;
  nlohmann::json details = nlohmann::json::object();
  if (!record.observation.tls_version.empty()) {
    details["tls"] = record.observation.tls_version;
  }
  const RecordError error = record_error(record);
  if (error.error_class != ErrorClass::none) {
    details["error"] = to_valid_utf8(std::string(to_string(error.error_class)) + " at " + error.stage + ": " + error.detail);
  }
  if (const CertificateInfo* leaf = record.leaf()) {
    if (leaf->has_cn) {
      details["cn"] = to_valid_utf8(leaf->cn);
    }
    if (record.assessment.signature_verdict) {
      details["verdict"] = std::string(to_string(*record.assessment.signature_verdict));
    }
    if (record.assessment.validity) {
      details["validity"] = std::string(to_string(*record.assessment.validity));
    }
    if (record.assessment.days_left) {
      details["days_left"] = *record.assessment.days_left;
    }
    nlohmann::json chain = nlohmann::json::array();
    for (const CertificateInfo& certificate : record.chain) {
      nlohmann::json entry = nlohmann::json::object();
      if (!certificate.parsed) {
        entry["parse_error"] = to_valid_utf8(certificate.parse_error);
      } else {
        entry["subject"] = to_valid_utf8(certificate.subject);
        entry["issuer"] = to_valid_utf8(certificate.issuer);
        if (certificate.not_after) {
          entry["not_after"] = format_iso8601(*certificate.not_after);
        }
        entry["label"] = to_valid_utf8(certificate.signature.label);
        std::string key = certificate.key.type;
        if (certificate.key.bits > 0) {
          key += " " + std::to_string(certificate.key.bits);
        }
        if (!certificate.key.curve.empty()) {
          key += " " + certificate.key.curve;
        }
        entry["key"] = to_valid_utf8(key);
        if (certificate.self_signed) {
          entry["self_signed"] = true;
        }
      }
      chain.push_back(std::move(entry));
    }
    details["chain"] = std::move(chain);
    details["provenance_detail"] = to_valid_utf8(record.assessment.provenance.detail);
  }
  if (record.identity) {
    const AnnouncedIdentity& identity = *record.identity;
    if (identity.source) {
      details["identity_source"] = std::string(to_string(*identity.source));
    }
    for (const auto& [key, value] : {std::pair{"identity_vendor", &identity.vendor}, {"identity_model", &identity.model},
                                     {"identity_firmware", &identity.firmware}, {"identity_mac", &identity.mac},
                                     {"identity_raw", &identity.raw}, {"identity_error", &identity.error}}) {
      if (!value->empty()) {
        details[key] = to_valid_utf8(*value); // device text: the page shows it as text only
      }
    }
  }
  m_ports[port_key(endpoint.ip, endpoint.host, endpoint.port)] = std::move(details);
}

void HtmlReport::fleet(const FleetView& view) { m_view = &view; }

void HtmlReport::finish(const ScanInfo& info, const ScanSummary& summary)
{
  if (m_finished) {
    return;
  }
  nlohmann::json data = nlohmann::json::object();
  data["page"] = "scan";
  data["tool"] = "fleetcert";
  // The JSON document's scan section, as it writes it (the facts the input did not carry left out).
  data["scan"] = nlohmann::json::parse(
      scan_section_to_json(info, m_records).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  const HtmlClock clock = m_clock ? *m_clock : clock_of_saved_scan(info);
  if (clock.now) {
    data["now"] = format_iso8601(*clock.now);
    data["now_source"] = clock.now_source;
  }
  if (clock.expiry_warning_days) {
    data["expiry_warning_days"] = *clock.expiry_warning_days;
  }
  data["summary"] = summary_to_json(summary);
  TextTable texts;
  nlohmann::json devices = nlohmann::json::array();
  if (m_view != nullptr) {
    for (const Device& device : m_view->devices()) {
      devices.push_back(pack(device_for_page(device, m_ports, texts), k_device_fields, texts));
    }
  }
  data["layout"] = layout_to_json();
  data["devices"] = std::move(devices);
  data["texts"] = texts.to_json();
  m_file.write(html_page("fleetcert scan report", data));
  m_finished = true;
  m_file.commit();
}

} // namespace fleetcert
