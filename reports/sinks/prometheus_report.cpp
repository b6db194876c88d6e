#include "reports/sinks/prometheus_report.hpp"

#include "reports/encoding/text_safety.hpp"
#include "scanner/assessment/fleet_view.hpp"

#include <algorithm>
#include <tuple>
#include <utility>

namespace fleetcert {

namespace {

constexpr std::size_t k_max_cn_bytes = 64;
constexpr std::string_view k_replacement = "\xEF\xBF\xBD"; // U+FFFD

// Bytes of the UTF-8 sequence that starts with `lead` (the text is valid UTF-8).
std::size_t sequence_length(unsigned char lead)
{
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

// One metric family at a time: HELP and TYPE, then its samples.
class Exposition
{
public:
  void family(std::string_view name, std::string_view help)
  {
    m_text += "# HELP ";
    m_text += name;
    m_text += ' ';
    m_text += help;
    m_text += "\n# TYPE ";
    m_text += name;
    m_text += " gauge\n";
  }

  // `labels` are (name, value) pairs; values are escaped here.
  void sample(std::string_view name, const std::vector<std::pair<std::string_view, std::string_view>>& labels,
              std::int64_t value, std::size_t max_value_bytes = 256)
  {
    m_text += name;
    if (!labels.empty()) {
      m_text += '{';
      for (std::size_t i = 0; i < labels.size(); ++i) {
        m_text += i == 0 ? "" : ",";
        m_text += labels[i].first;
        m_text += "=\"";
        m_text += prometheus_label_value(labels[i].second, max_value_bytes);
        m_text += '"';
      }
      m_text += '}';
    }
    m_text += ' ';
    m_text += std::to_string(value);
    m_text += '\n';
  }

  const std::string& text() const { return m_text; }

private:
  std::string m_text;
};

// The keys of `counts` plus `always` (with 0 when absent), so that a series exists before it counts.
std::map<std::string, std::uint64_t> with_zeros(const std::map<std::string, std::uint64_t>& counts,
                                                std::initializer_list<std::string_view> always)
{
  std::map<std::string, std::uint64_t> out(counts.begin(), counts.end());
  for (const std::string_view key : always) {
    out.emplace(std::string(key), 0);
  }
  return out;
}

std::int64_t as_gauge(std::uint64_t count)
{
  return static_cast<std::int64_t>(std::min<std::uint64_t>(count, INT64_MAX));
}

// Valid UTF-8, no control character but LF, at most `max_bytes` (cut at a character boundary).
std::string clean_label_text(std::string_view text, std::size_t max_bytes)
{
  const std::string valid = to_valid_utf8(text);
  std::string clean;
  clean.reserve(std::min(valid.size(), max_bytes));
  for (std::size_t i = 0; i < valid.size();) {
    const auto lead = static_cast<unsigned char>(valid[i]);
    const std::size_t length = sequence_length(lead);
    const bool control = (lead < 0x20 && lead != '\n') || lead == 0x7F;
    const std::string_view character = control ? k_replacement : std::string_view(valid).substr(i, length);
    if (clean.size() + character.size() > max_bytes) {
      break;
    }
    clean += character;
    i += length;
  }
  return clean;
}

} // namespace

std::string prometheus_label_value(std::string_view text, std::size_t max_bytes)
{
  const std::string clean = clean_label_text(text, max_bytes);
  std::string escaped;
  escaped.reserve(clean.size() + 8);
  for (const char c : clean) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '"') {
      escaped += "\\\"";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

PrometheusReport::PrometheusReport(std::string path) : m_file(std::move(path)) {}

void PrometheusReport::begin(const ScanInfo& /*info*/) {}

void PrometheusReport::write(const Record& record)
{
  const CertificateInfo* leaf = record.leaf();
  if (leaf == nullptr || !leaf->parsed || (!leaf->not_after && !leaf->not_before)) {
    return;
  }
  Certificate certificate;
  certificate.ip = record.observation.endpoint.ip;
  certificate.port = record.observation.endpoint.port;
  certificate.cn = clean_label_text(leaf->cn, k_max_cn_bytes);
  certificate.cn_class = std::string(to_string(record.assessment.cn_class));
  certificate.signature = leaf->signature.label;
  certificate.provenance = std::string(to_string(record.assessment.provenance.kind));
  certificate.not_before = leaf->not_before;
  certificate.not_after = leaf->not_after;
  m_certificates.push_back(std::move(certificate));
}

void PrometheusReport::fleet(const FleetView& view)
{
  m_have_view = true;
  m_devices.clear();
  m_findings.clear();
  m_worst.clear();
  m_device_count = 0;
  m_answering = 0;
  for (const Device& device : view.devices()) {
    ++m_device_count;
    m_answering += device.answered() ? 1 : 0;
    if (device.answered()) {
      DeviceLabels labels{device.mac, device.vendor, device.site, // the inventory's site, else --site
                          clean_label_text(device.model, k_max_cn_bytes), clean_label_text(device.firmware, k_max_cn_bytes)};
      m_devices.emplace(device.ip, std::move(labels));
    }
    for (const Finding& finding : device.findings) {
      ++m_findings[{finding.code, std::string(to_string(finding.severity))}];
    }
    if (const auto worst = device.worst()) {
      ++m_worst[std::string(to_string(*worst))];
    }
  }
}

void PrometheusReport::finish(const ScanInfo& info, const ScanSummary& summary)
{
  Exposition out;
  // A rebuilt report (`fleetcert report` of a JSONL report) leaves out what its input did not carry.
  if (info.knows(ScanFact::version)) {
    out.family("fleetcert_scan_info", "The fleetcert version that wrote these metrics (always 1).");
    out.sample("fleetcert_scan_info", {{"version", info.tool_version}}, 1);
  }
  if (info.knows(ScanFact::times)) {
    out.family("fleetcert_scan_start_timestamp_seconds", "When the scan started, seconds since the epoch.");
    out.sample("fleetcert_scan_start_timestamp_seconds", {}, info.started_at);
    out.family("fleetcert_scan_finish_timestamp_seconds", "When the scan finished, seconds since the epoch.");
    out.sample("fleetcert_scan_finish_timestamp_seconds", {}, info.finished_at);
    out.family("fleetcert_scan_duration_seconds", "How long the scan ran, in whole seconds.");
    out.sample("fleetcert_scan_duration_seconds", {}, std::max<std::int64_t>(0, info.finished_at - info.started_at));
  }
  if (info.knows(ScanFact::outcome)) {
    out.family("fleetcert_scan_interrupted", "1 when the scan was interrupted before every endpoint was probed.");
    out.sample("fleetcert_scan_interrupted", {}, info.interrupted ? 1 : 0);
    out.family("fleetcert_scan_failed", "1 when a failure (exit status 3) stopped the scan early.");
    out.sample("fleetcert_scan_failed", {}, info.failed ? 1 : 0);
  }
  if (info.knows(ScanFact::endpoints_planned)) {
    out.family("fleetcert_scan_endpoints_planned", "Endpoints (address and port) the targets expanded to.");
    out.sample("fleetcert_scan_endpoints_planned", {}, as_gauge(info.endpoints_planned));
  }
  if (info.rebuilt_from) {
    out.family("fleetcert_report_rebuilt_timestamp_seconds",
               "When fleetcert report rebuilt these metrics from a saved report, seconds since the epoch.");
    out.sample("fleetcert_report_rebuilt_timestamp_seconds", {}, info.rebuilt_from->rebuilt_at);
  }
  out.family("fleetcert_scan_endpoints", "Endpoints with a record: probed, a name that did not resolve, or skipped.");
  out.sample("fleetcert_scan_endpoints", {}, as_gauge(summary.endpoints));
  out.family("fleetcert_scan_endpoints_ok", "Endpoints that presented a certificate.");
  out.sample("fleetcert_scan_endpoints_ok", {}, as_gauge(summary.ok));
  out.family("fleetcert_scan_endpoint_errors", "Endpoints that presented no certificate, by error class.");
  for (const auto& [name, count] : with_zeros(summary.error_classes, {"refused", "timeout", "reset", "not-tls",
                                                                     "tls-alert", "protocol", "unreachable", "dns"})) {
    out.sample("fleetcert_scan_endpoint_errors", {{"class", name}}, as_gauge(count));
  }
  out.family("fleetcert_scan_endpoints_skipped",
             "Endpoints not connected to on purpose (a name that resolved to an excluded address), by reason.");
  out.sample("fleetcert_scan_endpoints_skipped", {{"reason", std::string(to_string(SkipReason::excluded))}},
             as_gauge(summary.skipped));
  out.family("fleetcert_endpoints_by_signature", "Endpoints whose certificate has this signature label.");
  for (const auto& [name, count] : summary.signature_labels) {
    out.sample("fleetcert_endpoints_by_signature", {{"signature", name}}, as_gauge(count));
  }
  out.family("fleetcert_endpoints_by_verdict", "Endpoints whose certificate signature has this verdict.");
  for (const auto& [name, count] : with_zeros(summary.signature_verdicts, {"current", "legacy", "rejected"})) {
    out.sample("fleetcert_endpoints_by_verdict", {{"verdict", name}}, as_gauge(count));
  }
  out.family("fleetcert_endpoints_by_validity", "Endpoints whose certificate has this validity.");
  for (const auto& [name, count] : with_zeros(summary.validity, {"valid", "expiring", "expired", "not-yet-valid"})) {
    out.sample("fleetcert_endpoints_by_validity", {{"validity", name}}, as_gauge(count));
  }
  out.family("fleetcert_endpoints_by_provenance", "Endpoints whose certificate has this provenance.");
  for (const auto& [name, count] :
       with_zeros(summary.provenance, {"factory", "self-signed", "custom-ca", "unknown"})) {
    out.sample("fleetcert_endpoints_by_provenance", {{"provenance", name}}, as_gauge(count));
  }

  if (m_have_view) {
    out.family("fleetcert_devices",
               "Devices (addresses) that presented a certificate or are in the inventory, and names that did not resolve.");
    out.sample("fleetcert_devices", {}, as_gauge(m_device_count));
    out.family("fleetcert_devices_answering", "Devices that presented a certificate on at least one port.");
    out.sample("fleetcert_devices_answering", {}, as_gauge(m_answering));
    out.family("fleetcert_devices_with_finding",
               "Devices with a finding of this code (fleet-wide findings included), by severity.");
    std::map<std::pair<std::string, std::string>, std::uint64_t> findings = m_findings;
    for (const FindingKind& kind : finding_kinds()) {
      findings.emplace(std::make_pair(std::string(kind.code), std::string(to_string(kind.severity))), 0);
    }
    for (const auto& [key, count] : findings) {
      out.sample("fleetcert_devices_with_finding", {{"code", key.first}, {"severity", key.second}}, as_gauge(count));
    }
    out.family("fleetcert_devices_by_worst_severity", "Devices by the severity of their worst finding.");
    for (const auto& [name, count] : with_zeros(m_worst, {"info", "low", "medium", "high", "critical"})) {
      out.sample("fleetcert_devices_by_worst_severity", {{"severity", name}}, as_gauge(count));
    }
  }

  // One series per endpoint: a name resolved twice to one address is written once.
  std::sort(m_certificates.begin(), m_certificates.end(), [](const Certificate& a, const Certificate& b) {
    return std::tie(a.ip, a.port) < std::tie(b.ip, b.port);
  });
  m_certificates.erase(std::unique(m_certificates.begin(), m_certificates.end(),
                                   [](const Certificate& a, const Certificate& b) {
                                     return a.ip == b.ip && a.port == b.port;
                                   }),
                       m_certificates.end());
  const DeviceLabels k_none;
  const auto certificate_family = [&](std::string_view name, std::string_view help, bool not_after) {
    out.family(name, help);
    for (const Certificate& certificate : m_certificates) {
      const std::optional<std::int64_t>& value = not_after ? certificate.not_after : certificate.not_before;
      if (!value) {
        continue;
      }
      const auto found = m_devices.find(certificate.ip);
      const DeviceLabels& device = found == m_devices.end() ? k_none : found->second;
      const std::string port = std::to_string(certificate.port);
      out.sample(name,
                 {{"ip", certificate.ip},
                  {"port", port},
                  {"mac", device.mac},
                  {"vendor", device.vendor},
                  {"site", device.site},
                  {"model", device.model},
                  {"firmware", device.firmware},
                  {"cn", certificate.cn},
                  {"cn_class", certificate.cn_class},
                  {"signature", certificate.signature},
                  {"provenance", certificate.provenance}},
                 *value);
    }
  };
  certificate_family("fleetcert_certificate_not_after_seconds",
                     "End of validity of the certificate an endpoint presented, seconds since the epoch.", true);
  certificate_family("fleetcert_certificate_not_before_seconds",
                     "Start of validity of the certificate an endpoint presented, seconds since the epoch.", false);
  m_file.write(out.text());
  m_file.commit();
}

} // namespace fleetcert
