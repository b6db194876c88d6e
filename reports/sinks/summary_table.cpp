#include "reports/sinks/summary_table.hpp"

#include "reports/encoding/record_json.hpp"
#include "reports/encoding/text_safety.hpp"
#include "scanner/model/device_identity.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace fleetcert {

namespace {

struct Column
{
  std::string_view title;
  std::size_t width;
  bool cut; // cut to width (with "…") rather than overflow
};

// ENDPOINT overflows (an IPv6 endpoint must stay whole); the rest are cut to keep the columns.
constexpr Column k_columns[] = {
  {"ENDPOINT", 21, false}, {"STATUS", 11, true},    {"TLS", 7, true},
  {"SIGNATURE", 14, true}, {"VERDICT", 8, true},    {"CN", 32, true},
  {"VALIDITY", 13, true},  {"NOT AFTER", 10, true},
};
constexpr std::size_t k_column_count = sizeof k_columns / sizeof k_columns[0];
constexpr std::string_view k_missing = "-";

void write_row(std::ostream& out, const std::string (&cells)[k_column_count])
{
  std::string line;
  for (std::size_t i = 0; i < k_column_count; ++i) {
    const Column& column = k_columns[i];
    const std::string text = column.cut ? terminal_safe_fit(cells[i], column.width) : terminal_safe(cells[i]);
    line += text;
    if (i + 1 < k_column_count) {
      const std::size_t width = display_width(text);
      line.append(width < column.width ? column.width - width : 0, ' ');
      line += "  ";
    }
  }
  line += '\n';
  out << line;
  out.flush();
}

// "timeout 2, refused 1": most frequent first, names made terminal-safe.
std::string format_counts(const std::map<std::string, std::uint64_t>& counts)
{
  std::vector<std::pair<std::string, std::uint64_t>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string text;
  for (const auto& [name, count] : sorted) {
    if (!text.empty()) {
      text += ", ";
    }
    text += terminal_safe(name.empty() ? std::string_view("unknown") : std::string_view(name));
    text += ' ';
    text += std::to_string(count);
  }
  return text;
}

void write_counts(std::ostream& out, std::string_view label,
                  const std::map<std::string, std::uint64_t>& counts)
{
  if (counts.empty()) {
    return;
  }
  std::string line(label);
  line.append(label.size() < 13 ? 13 - label.size() : 1, ' ');
  line += format_counts(counts);
  line += '\n';
  out << line;
}

// One row of an audit table: two spaces of indent, each cell cut to its width; the last is not padded.
void write_table_row(std::ostream& out, const std::vector<std::pair<std::string, std::size_t>>& cells)
{
  std::string line = "  ";
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const std::string text = terminal_safe_fit(cells[i].first, cells[i].second);
    line += text;
    if (i + 1 < cells.size()) {
      const std::size_t width = display_width(text);
      line.append(width < cells[i].second ? cells[i].second - width : 0, ' ');
      line += "  ";
    }
  }
  line += '\n';
  out << line;
}

// Devices counted once per distinct (vendor, signature label, provenance) of their ok ports.
void write_device_mix(std::ostream& out, const FleetView& view)
{
  std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> counts;
  for (const Device& device : view.devices()) {
    std::set<std::pair<std::string, std::string>> seen;
    for (const DevicePort& port : device.ports) {
      if (port.status != "ok") {
        continue;
      }
      std::pair<std::string, std::string> key{port.signature_label.empty() ? "unknown" : port.signature_label,
                                              port.provenance.empty() ? "unknown" : port.provenance};
      if (seen.insert(key).second) {
        ++counts[{device.vendor.empty() ? "unknown" : device.vendor, key.first, key.second}];
      }
    }
  }
  if (counts.empty()) {
    return;
  }
  std::vector<std::pair<std::tuple<std::string, std::string, std::string>, std::uint64_t>> rows(counts.begin(),
                                                                                                   counts.end());
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  out << "\nDevices by vendor x signature x provenance:\n";
  write_table_row(out, {{"VENDOR", 28}, {"SIGNATURE", 14}, {"PROVENANCE", 11}, {"DEVICES", 7}});
  for (const auto& [key, count] : rows) {
    write_table_row(out, {{std::get<0>(key), 28}, {std::get<1>(key), 14}, {std::get<2>(key), 11},
                          {std::to_string(count), 7}});
  }
}

// Endpoints per finding code and the severity it came at: the records' own, plus the fleet-wide
// findings of each address counted once per port that presented a certificate (as the JSON
// document's records carry them).
using GradedCounts = std::map<std::pair<std::string, Severity>, std::uint64_t>;

GradedCounts finding_counts(const ScanSummary& summary, const FleetView* view)
{
  GradedCounts counts = summary.finding_severities;
  if (view == nullptr) {
    return counts;
  }
  for (const Device& device : view->devices()) {
    const std::vector<Finding>* fleet = view->fleet_findings(device.ip);
    if (fleet == nullptr || fleet->empty()) {
      continue;
    }
    const auto ok_ports = static_cast<std::uint64_t>(
      std::count_if(device.ports.begin(), device.ports.end(), [](const DevicePort& port) { return port.status == "ok"; }));
    std::set<std::pair<std::string, Severity>> graded;
    for (const Finding& finding : *fleet) {
      if (ok_ports > 0 && graded.insert({finding.code, finding.severity}).second) {
        counts[{finding.code, finding.severity}] += ok_ports;
      }
    }
  }
  return counts;
}

// One row per code and severity actually found, worst first, then by endpoints: the severity shown
// is the findings' own, so it never contradicts the JSON.
void write_findings(std::ostream& out, const GradedCounts& counts)
{
  if (counts.empty()) {
    return;
  }
  std::vector<std::pair<std::pair<std::string, Severity>, std::uint64_t>> rows(counts.begin(), counts.end());
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.first.second != b.first.second ? a.first.second > b.first.second : a.second > b.second;
  });
  out << "\nFindings by code:\n";
  write_table_row(out, {{"CODE", 24}, {"SEVERITY", 8}, {"ENDPOINTS", 9}});
  for (const auto& [graded, endpoints] : rows) {
    write_table_row(out, {{graded.first, 24}, {std::string(to_string(graded.second)), 8}, {std::to_string(endpoints), 9}});
  }
}

// "Unverified: ..." when some provenance rests on a factory issuer name nobody has verified.
void write_unverified_issuer_names(std::ostream& out, const ScanSummary& summary)
{
  std::uint64_t total = 0;
  for (const auto& entry : summary.unverified_issuer_names) {
    total += entry.second;
  }
  if (total == 0) {
    return;
  }
  out << "\nUnverified:  " << total << (total == 1 ? " endpoint is" : " endpoints are")
      << " factory only by an issuer name nobody has verified (" << format_counts(summary.unverified_issuer_names)
      << "); names can be forged or be placeholders: give --vendor-ca VENDOR=FILE (the vendor's CA bundle) for a "
         "provenance by signature\n";
}

// What each --vendor-ca and --trust bundle verified of the certificates that claim it.
void write_bundles(std::ostream& out, const std::vector<BundleUse>& uses)
{
  if (uses.empty()) {
    return;
  }
  out << "\nBundles (certificates verified of those claiming each):\n";
  write_table_row(out, {{"BUNDLE", 28}, {"VERIFIED", 8}, {"OF", 8}, {"FILES", 40}});
  for (const BundleUse& use : uses) {
    std::string files;
    for (const std::string& file : use.files) {
      files += (files.empty() ? "" : ", ") + file;
    }
    write_table_row(out, {{use.vendor.empty() ? use.option : use.option + " " + use.vendor, 28},
                          {std::to_string(use.verified), 8},
                          {std::to_string(use.certificates), 8},
                          {files, 40}});
  }
}

// True when the audit has something to show: a vendor or a finding anywhere.
bool audited(const ScanSummary& summary, const FleetView* view)
{
  if (!summary.vendors.empty() || !summary.findings.empty()) {
    return true;
  }
  if (view != nullptr) {
    for (const Device& device : view->devices()) {
      if (!device.vendor.empty() || !device.findings.empty()) {
        return true;
      }
    }
  }
  return false;
}

} // namespace

std::string format_endpoint(const Endpoint& endpoint)
{
  const bool v6 = endpoint.ip.find(':') != std::string::npos;
  std::string text = v6 ? "[" + endpoint.ip + "]" : device_address(endpoint.ip, endpoint.host);
  text += ':';
  text += std::to_string(endpoint.port);
  return text;
}

SummaryTable::SummaryTable(std::ostream& out) : m_out(out) {}

void SummaryTable::begin(const ScanInfo& /*info*/)
{
  if (m_begun) {
    return;
  }
  m_begun = true;
  std::string cells[k_column_count];
  for (std::size_t i = 0; i < k_column_count; ++i) {
    cells[i] = std::string(k_columns[i].title);
  }
  write_row(m_out, cells);
}

void SummaryTable::write(const Record& record)
{
  begin(ScanInfo{});
  const Observation& observation = record.observation;
  std::string cells[k_column_count];
  for (std::string& cell : cells) {
    cell = std::string(k_missing);
  }
  cells[0] = format_endpoint(observation.endpoint);
  cells[1] = record.ok() || record.skipped() ? std::string(record_status(record))
                                             : std::string(to_string(record_error(record).error_class));
  if (!observation.tls_version.empty()) {
    cells[2] = observation.tls_version;
  }
  const CertificateInfo* leaf = record.leaf();
  if (leaf != nullptr && leaf->parsed) {
    if (!leaf->signature.label.empty()) {
      cells[3] = leaf->signature.label;
    }
    if (record.assessment.signature_verdict) {
      cells[4] = std::string(to_string(*record.assessment.signature_verdict));
    }
    if (leaf->has_cn) {
      cells[5] = leaf->cn;
    }
    if (leaf->not_after) {
      cells[7] = format_iso8601(*leaf->not_after).substr(0, 10);
    }
  } else if (leaf != nullptr) {
    cells[3] = "unparsed";
  }
  if (record.ok() && record.assessment.validity) {
    cells[6] = std::string(to_string(*record.assessment.validity));
  }
  write_row(m_out, cells);
}

void SummaryTable::fleet(const FleetView& view) { m_view = &view; }

void SummaryTable::finish(const ScanInfo& info, const ScanSummary& summary)
{
  begin(info);
  m_out << '\n'
        << "Endpoints:   " << summary.endpoints << "   ok: " << summary.ok
        << "   errors: " << summary.errors;
  if (summary.skipped > 0) {
    m_out << "   skipped: " << summary.skipped;
  }
  m_out << '\n';
  write_counts(m_out, "Errors:", summary.error_classes);
  write_counts(m_out, "Signatures:", summary.signature_labels);
  write_counts(m_out, "Verdicts:", summary.signature_verdicts);
  write_counts(m_out, "Validity:", summary.validity);
  write_counts(m_out, "CN classes:", summary.cn_classes);
  write_counts(m_out, "TLS:", summary.tls_versions);
  m_out << "Self-signed: " << summary.self_signed << '\n';
  if (audited(summary, m_view)) {
    if (m_view != nullptr) {
      write_device_mix(m_out, *m_view);
    }
    write_findings(m_out, finding_counts(summary, m_view));
  }
  write_unverified_issuer_names(m_out, summary);
  write_bundles(m_out, info.bundles);
  if (m_view != nullptr) {
    const std::vector<std::string> not_answering = m_view->not_answering();
    const std::vector<std::string> not_in_inventory = m_view->not_in_inventory();
    const bool inventory = std::any_of(m_view->devices().begin(), m_view->devices().end(),
                                       [](const Device& device) { return device.inventory.has_value(); });
    if (inventory || !not_answering.empty() || !not_in_inventory.empty()) {
      m_out << "\nInventory:   not answering " << not_answering.size() << ", not in inventory "
            << not_in_inventory.size() << '\n';
    }
  }
  if (info.failed) {
    m_out << "FAILED: " << terminal_safe(info.failure) << "; " << summary.endpoints << " of " << info.endpoints_planned
          << " planned endpoints done\n";
  } else if (info.interrupted) {
    m_out << "INTERRUPTED: " << summary.endpoints << " of " << info.endpoints_planned
          << " planned endpoints done\n";
  }
  m_out.flush();
}

} // namespace fleetcert
