#include "reports/summary_table.hpp"

#include "reports/record_json.hpp"
#include "reports/text_safety.hpp"

#include <algorithm>
#include <string_view>
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

} // namespace

std::string format_endpoint(const Endpoint& endpoint)
{
  const bool v6 = endpoint.ip.find(':') != std::string::npos;
  std::string text = v6 ? "[" + endpoint.ip + "]" : endpoint.ip;
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
  cells[1] = record.ok() ? std::string("ok") : std::string(to_string(record_error(record).error_class));
  if (!observation.tls_version.empty()) {
    cells[2] = observation.tls_version;
  }
  const CertificateInfo* leaf = record.leaf();
  if (leaf != nullptr && leaf->parsed) {
    if (!leaf->signature.label.empty()) {
      cells[3] = leaf->signature.label;
    }
    cells[4] = std::string(to_string(leaf->signature.verdict));
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

void SummaryTable::finish(const ScanInfo& info, const ScanSummary& summary)
{
  begin(info);
  m_out << '\n'
        << "Endpoints:   " << summary.endpoints << "   ok: " << summary.ok
        << "   errors: " << summary.errors << '\n';
  write_counts(m_out, "Errors:", summary.error_classes);
  write_counts(m_out, "Signatures:", summary.signature_labels);
  write_counts(m_out, "Verdicts:", summary.signature_verdicts);
  write_counts(m_out, "Validity:", summary.validity);
  write_counts(m_out, "CN classes:", summary.cn_classes);
  write_counts(m_out, "TLS:", summary.tls_versions);
  m_out << "Self-signed: " << summary.self_signed << '\n';
  if (info.interrupted) {
    m_out << "INTERRUPTED: " << summary.endpoints << " of " << info.endpoints_planned
          << " planned endpoints done\n";
  }
  m_out.flush();
}

} // namespace fleetcert
