#pragma once
// The IEEE MAC address registry (Debian's ieee-data: /usr/share/ieee-data/oui.csv, mam.csv,
// oui36.csv): organisation names for MAC prefixes beyond the vendor profiles.

#include "scanner/model/result.hpp"

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace fleetcert {

class OuiRegistry
{
public:
  // Adds the assignments of one IEEE CSV file (Registry,Assignment,Organization Name,...); returns
  // how many. A missing header or an unterminated quote fails the whole file (nothing is added);
  // a malformed row (bad assignment, no name, wrong field count) is skipped and counted.
  Result<std::size_t> add_csv(std::istream& in, std::string_view source_name);
  // The registry of the system's ieee-data files, loaded once; empty when they are not installed.
  static const OuiRegistry& system();
  // Organisation of a MAC (12 upper-case hex digits), longest assignment first (MA-S, MA-M, MA-L).
  std::optional<std::string> organization(std::string_view mac) const;
  std::size_t size() const { return m_prefixes.size(); }
  // Malformed rows skipped by add_csv, over all files.
  std::size_t skipped() const { return m_skipped; }

private:
  std::unordered_map<std::string, std::string> m_prefixes; // 6, 7 or 9 hex digits -> organisation
  std::size_t m_skipped = 0;
};

} // namespace fleetcert
