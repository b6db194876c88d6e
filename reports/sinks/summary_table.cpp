#include "reports/sinks/summary_table.hpp"

#include "reports/encoding/record_json.hpp"
#include "reports/encoding/text_safety.hpp"
#include "reports/encoding/totals_table.hpp"
#include "reports/sinks/summary.hpp"
#include "scanner/model/device_identity.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace fleetcert {

namespace {

// A column as the full layout has it, and how it gives way to a narrower terminal.
struct ColumnSpec
{
  TableField field;
  std::string_view title;
  std::size_t natural; // its width with room to spare
  std::size_t minimum; // narrowest it shrinks to before columns are dropped (natural: never shrinks)
  bool cut;            // false: the cell is never cut (an IPv6 endpoint must stay whole)
};

// In row order. CN comes last: a long one (--wide) pushes no other column.
constexpr ColumnSpec k_columns[] = {
  {TableField::endpoint, "ENDPOINT", 21, 21, false}, {TableField::status, "STATUS", 11, 11, true},
  {TableField::site, "SITE", 12, 6, true},           {TableField::vendor, "VENDOR", 16, 8, true},
  {TableField::mac, "MAC", 12, 12, true},            {TableField::tls, "TLS", 7, 7, true},
  {TableField::signature, "SIGNATURE", 14, 14, true}, {TableField::verdict, "VERDICT", 8, 8, true},
  {TableField::validity, "VALIDITY", 13, 13, true},  {TableField::not_after, "NOT AFTER", 10, 10, true},
  {TableField::model, "MODEL", 14, 14, true},        {TableField::firmware, "FIRMWARE", 14, 14, true},
  {TableField::cn, "CN", 32, 12, true},
};
// Shown only with room to spare, in this order (see fit_table_columns).
constexpr TableField k_optional[] = {TableField::model, TableField::firmware};
constexpr std::size_t k_field_count = sizeof k_columns / sizeof k_columns[0];

constexpr bool in_field_order()
{
  for (std::size_t i = 0; i < k_field_count; ++i) {
    if (static_cast<std::size_t>(k_columns[i].field) != i) {
      return false;
    }
  }
  return true;
}
static_assert(in_field_order(), "k_columns lists every TableField once, in the enum's order");

// Dropped first to last when even the shrunk columns do not fit.
constexpr TableField k_drop_order[] = {TableField::tls,  TableField::not_after, TableField::signature,
                                       TableField::mac,  TableField::cn,        TableField::site,
                                       TableField::vendor, TableField::validity, TableField::verdict};
// Given back their width, in this order, from what is left over.
constexpr TableField k_grow_order[] = {TableField::cn, TableField::vendor, TableField::site};

constexpr std::size_t k_separator = 2;
constexpr std::size_t k_terminal_default = 80;
constexpr std::size_t k_last_cell_minimum = 6; // what a pushed row's last cell keeps (STATUS stays legible)
constexpr std::string_view k_missing = "-";

std::size_t field_index(TableField field)
{
  return static_cast<std::size_t>(field);
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

// 78 columns with the group names.
const std::vector<TotalsColumn> k_group_columns = {{"devices", 9}, {"reachable", 11}, {"answering", 11},
                                                   {"crit", 5},    {"high", 5},       {"med", 4},
                                                   {"low", 4},     {"info", 0}};

std::vector<std::string> group_cells(const DeviceGroupCount& count)
{
  std::vector<std::string> cells = {std::to_string(count.devices), std::to_string(count.reachable),
                                    std::to_string(count.answering)};
  for (std::size_t severity = count.worst.size(); severity-- > 0;) {
    cells.push_back(std::to_string(count.worst[severity]));
  }
  return cells;
}

// True when some device has a name in `groups` (not only k_no_group).
bool any_named(const std::map<std::string, DeviceGroupCount>& groups)
{
  return groups.size() > 1 || (groups.size() == 1 && groups.begin()->first != k_no_group);
}

void write_group_block(std::ostream& out, std::string_view title, const std::map<std::string, DeviceGroupCount>& groups)
{
  std::vector<TotalsRow> rows;
  for (const auto& [name, count] : groups) {
    rows.push_back({name, group_cells(count)});
  }
  write_totals_group(out, title, rows, k_group_columns);
}

// The devices overall, then per vendor and per site when some device has one; the severity columns
// count devices by their worst finding.
void write_device_groups(std::ostream& out, const DeviceGroups& groups)
{
  if (groups.overall.devices == 0) {
    return;
  }
  out << "\nDevices (crit to info: by the severity of their worst finding):\n";
  write_totals_header(out, k_group_columns);
  write_totals_group(out, "Overall", {{"all", group_cells(groups.overall)}}, k_group_columns);
  if (any_named(groups.by_vendor)) {
    write_group_block(out, "By vendor", groups.by_vendor);
  }
  if (any_named(groups.by_site)) {
    write_group_block(out, "By site", groups.by_site);
  }
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

std::vector<TableColumn> fit_table_columns(std::optional<std::size_t> width)
{
  std::vector<TableColumn> columns;
  if (!width) {
    for (const ColumnSpec& spec : k_columns) {
      columns.push_back({spec.field, spec.title, spec.natural, false});
    }
    return columns;
  }
  // Drop the fewest columns with which the shrunk layout fits (ENDPOINT and STATUS stay even when
  // they alone do not), then give what is left over back to the shrunk ones.
  const std::size_t droppable = sizeof k_drop_order / sizeof k_drop_order[0];
  const auto optional = [](TableField field) {
    return std::find(std::begin(k_optional), std::end(k_optional), field) != std::end(k_optional);
  };
  for (std::size_t dropped = 0; dropped <= droppable; ++dropped) {
    columns.clear();
    std::size_t total = 0;
    for (const ColumnSpec& spec : k_columns) {
      if (optional(spec.field) || std::find(k_drop_order, k_drop_order + dropped, spec.field) != k_drop_order + dropped) {
        continue;
      }
      total += (columns.empty() ? 0 : k_separator) + spec.minimum;
      columns.push_back({spec.field, spec.title, spec.minimum, spec.cut});
    }
    if (total > *width && dropped < droppable) {
      continue;
    }
    std::size_t spare = *width > total ? *width - total : 0;
    for (const TableField field : k_grow_order) {
      for (TableColumn& column : columns) {
        if (column.field == field) {
          const std::size_t grow = std::min(spare, k_columns[field_index(field)].natural - column.width);
          column.width += grow;
          spare -= grow;
        }
      }
    }
    // Every column at its full width: what is left goes to the optional ones, each whole.
    for (const TableField field : k_optional) {
      const ColumnSpec& spec = k_columns[field_index(field)];
      if (dropped > 0 || spare < spec.natural + k_separator) {
        break;
      }
      spare -= spec.natural + k_separator;
      auto at = std::find_if(columns.begin(), columns.end(), [&](const TableColumn& column) {
        return field_index(column.field) > field_index(field);
      });
      columns.insert(at, {spec.field, spec.title, spec.natural, spec.cut});
    }
    break;
  }
  return columns;
}

std::optional<std::size_t> choose_table_width(bool wide, bool output_is_terminal,
                                              std::optional<std::size_t> terminal_columns,
                                              std::optional<std::size_t> columns_variable)
{
  if (wide) {
    return std::nullopt;
  }
  if (output_is_terminal) {
    return terminal_columns ? terminal_columns : columns_variable ? columns_variable : k_terminal_default;
  }
  return columns_variable;
}

SummaryTable::SummaryTable(std::ostream& out, std::optional<std::size_t> width)
  : m_out(out), m_width(width), m_columns(fit_table_columns(width))
{
}

// Each cell starts at its column, or two spaces after the previous one when that overflowed (a
// long IPv6 endpoint; the padding of the cells after it takes the overflow back). Within a width,
// the last cell is cut to what is left, keeping k_last_cell_minimum columns.
void SummaryTable::write_row(const std::vector<std::string>& cells)
{
  std::string line;
  std::size_t position = 0; // display columns written
  std::size_t start = 0;    // where the column starts in the layout
  for (std::size_t i = 0; i < m_columns.size(); ++i) {
    const TableColumn& column = m_columns[i];
    if (i > 0) {
      const std::size_t at = std::max(start, position + k_separator);
      line.append(at - position, ' ');
      position = at;
    }
    const std::string& cell = cells[field_index(column.field)];
    std::size_t limit = column.width;
    if (m_width && i + 1 == m_columns.size()) {
      const std::size_t left = *m_width > position ? *m_width - position : 0;
      limit = std::min(limit, std::max(left, k_last_cell_minimum));
    }
    const std::string text = column.cut ? terminal_safe_fit(cell, limit) : terminal_safe(cell);
    line += text;
    position += display_width(text);
    start += column.width + k_separator;
  }
  while (!line.empty() && line.back() == ' ') {
    line.pop_back();
  }
  line += '\n';
  m_out << line;
  m_out.flush();
}

void SummaryTable::begin(const ScanInfo& /*info*/)
{
  if (m_begun) {
    return;
  }
  m_begun = true;
  std::vector<std::string> cells(k_field_count);
  for (const ColumnSpec& spec : k_columns) {
    cells[field_index(spec.field)] = std::string(spec.title);
  }
  write_row(cells);
}

void SummaryTable::write(const Record& record)
{
  begin(ScanInfo{});
  const Observation& observation = record.observation;
  std::vector<std::string> cells(k_field_count, std::string(k_missing));
  auto set = [&cells](TableField field, std::string text) {
    if (!text.empty()) {
      cells[field_index(field)] = std::move(text);
    }
  };
  set(TableField::endpoint, format_endpoint(observation.endpoint));
  set(TableField::status, record.ok() || record.skipped() ? std::string(record_status(record))
                                                          : std::string(to_string(record_error(record).error_class)));
  const DeviceIdentity identity = record_identity(record);
  set(TableField::site, identity.site);
  set(TableField::vendor, identity.vendor);
  set(TableField::mac, identity.mac);
  set(TableField::model, identity.model);
  set(TableField::firmware, identity.firmware);
  set(TableField::tls, observation.tls_version);
  const CertificateInfo* leaf = record.leaf();
  if (leaf != nullptr && leaf->parsed) {
    set(TableField::signature, leaf->signature.label);
    if (record.assessment.signature_verdict) {
      set(TableField::verdict, std::string(to_string(*record.assessment.signature_verdict)));
    }
    if (leaf->has_cn) {
      set(TableField::cn, leaf->cn);
    }
    if (leaf->not_after) {
      set(TableField::not_after, format_iso8601(*leaf->not_after).substr(0, 10));
    }
  } else if (leaf != nullptr) {
    set(TableField::signature, "unparsed");
  }
  if (record.ok() && record.assessment.validity) {
    set(TableField::validity, std::string(to_string(*record.assessment.validity)));
  }
  write_row(cells);
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
    write_device_groups(m_out, device_groups(*m_view));
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
