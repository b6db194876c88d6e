// The IEEE registry: three CSV files of assignments (MA-L: 6 hex digits, MA-M: 7, MA-S: 9), merged
// into one map of prefix -> organisation and looked up longest prefix first.

#include "scanner/inputs/oui_registry.hpp"
#include "scanner/util/ascii.hpp"

#include "scanner/util/mac.hpp"
#include "scanner/util/text.hpp"
#include "scanner/inputs/csv_reader.hpp"

#include <array>
#include <fstream>
#include <istream>
#include <utility>
#include <vector>

namespace fleetcert {

namespace {

constexpr std::string_view k_ieee_data_dir = "/usr/share/ieee-data";
constexpr std::array<std::string_view, 3> k_ieee_files = {"oui.csv", "mam.csv", "oui36.csv"};
constexpr std::array<std::size_t, 3> k_prefix_lengths = {9, 7, 6}; // longest first

// "00:0b:82" is not an assignment; "000b82" is, and comes back as "000B82".
std::optional<std::string> assignment_prefix(std::string_view text)
{
  if (text.size() != 6 && text.size() != 7 && text.size() != 9) {
    return std::nullopt;
  }
  std::string prefix(text);
  for (char& c : prefix) {
    if (c >= 'a' && c <= 'f') {
      c = static_cast<char>(c - 'a' + 'A');
    } else if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) {
      return std::nullopt;
    }
  }
  return prefix;
}

} // namespace

Result<std::size_t> OuiRegistry::add_csv(std::istream& in, std::string_view source_name)
{
  CsvOptions options;
  options.max_fields = 16;
  CsvReader reader(in, source_name, options);
  CsvRecord record;

  auto more = reader.next(record);
  if (!more) {
    return Error{more.error()};
  }
  if (!*more) {
    return Error{std::string(source_name) + ": no header row"};
  }
  std::size_t assignment_column = record.fields.size();
  std::size_t organization_column = record.fields.size();
  for (std::size_t i = 0; i < record.fields.size(); ++i) {
    const std::string name = ascii_lower(trim_blanks(record.fields[i]));
    if (name == "assignment") {
      assignment_column = i;
    } else if (name == "organization name") {
      organization_column = i;
    }
  }
  if (assignment_column == record.fields.size() || organization_column == record.fields.size()) {
    return Error{std::string(source_name) + ":" + std::to_string(record.line) +
                 ": not an IEEE registry file (no Assignment and Organization Name columns)"};
  }
  const std::size_t columns = record.field_count;

  // Collected first and merged at the end, so a file that fails adds nothing.
  std::vector<std::pair<std::string, std::string>> found;
  std::size_t skipped = 0;
  for (;;) {
    more = reader.next(record);
    if (!more) {
      return Error{more.error()};
    }
    if (!*more) {
      break;
    }
    if (!record.problem.empty() || record.field_count != columns) {
      ++skipped;
      continue;
    }
    auto prefix = assignment_prefix(trim_blanks(record.fields[assignment_column]));
    const auto organization = trim_blanks(record.fields[organization_column]);
    if (!prefix || organization.empty()) {
      ++skipped;
      continue;
    }
    found.emplace_back(std::move(*prefix), std::string(organization));
  }

  m_prefixes.reserve(m_prefixes.size() + found.size());
  for (auto& [prefix, organization] : found) {
    m_prefixes.insert_or_assign(std::move(prefix), std::move(organization));
  }
  m_skipped += skipped;
  return found.size();
}

const OuiRegistry& OuiRegistry::system()
{
  static const OuiRegistry registry = [] {
    OuiRegistry lazy;
    lazy.m_system_load = std::make_shared<std::once_flag>();
    return lazy;
  }();
  return registry;
}

void OuiRegistry::load_system_files() const
{
  if (!m_system_load) {
    return;
  }
  std::call_once(*m_system_load, [this] {
    OuiRegistry loaded;
    for (const auto file : k_ieee_files) {
      const std::string path = std::string(k_ieee_data_dir) + "/" + std::string(file);
      std::ifstream in(path, std::ios::binary);
      if (in) {
        (void)loaded.add_csv(in, path); // a broken system file leaves the others usable
      }
    }
    m_prefixes = std::move(loaded.m_prefixes);
    m_skipped = loaded.m_skipped;
  });
}

std::optional<std::string> OuiRegistry::organization(std::string_view mac) const
{
  const auto normalized = normalize_mac(mac);
  if (!normalized) {
    return std::nullopt;
  }
  load_system_files();
  if (m_prefixes.empty()) {
    return std::nullopt;
  }
  for (const std::size_t length : k_prefix_lengths) {
    const auto found = m_prefixes.find(normalized->substr(0, length));
    if (found != m_prefixes.end()) {
      return found->second;
    }
  }
  return std::nullopt;
}

} // namespace fleetcert
