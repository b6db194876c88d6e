#pragma once
// The IEEE MAC address registry (Debian's ieee-data: /usr/share/ieee-data/oui.csv, mam.csv,
// oui36.csv): organisation names for MAC prefixes beyond the vendor profiles.

#include "scanner/model/result.hpp"

#include <iosfwd>
#include <memory>
#include <mutex>
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
  // The registry of the system's ieee-data files; empty when they are not installed. The files
  // (4 MB) are read once, at the first lookup from any thread: a scan whose devices all match a
  // vendor profile's MAC prefixes never reads them.
  static const OuiRegistry& system();
  // Organisation of a MAC (12 upper-case hex digits), longest assignment first (MA-S, MA-M, MA-L).
  std::optional<std::string> organization(std::string_view mac) const;
  std::size_t size() const
  {
    load_system_files();
    return m_prefixes.size();
  }
  // Malformed rows skipped by add_csv, over all files.
  std::size_t skipped() const
  {
    load_system_files();
    return m_skipped;
  }

private:
  // The system registry only: reads the ieee-data files the first time it is called.
  void load_system_files() const;

  // Mutable for the system registry, which fills them under m_system_load at its first use.
  mutable std::unordered_map<std::string, std::string> m_prefixes; // 6, 7 or 9 hex digits -> organisation
  mutable std::size_t m_skipped = 0;
  std::shared_ptr<std::once_flag> m_system_load; // set in the system registry only
};

} // namespace fleetcert
