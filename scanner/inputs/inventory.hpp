#pragma once
// The device inventory: what the user says the fleet is (CSV with a header, or a JSON array).
// Columns mac, ip, hostname, vendor, model, site; any other column is kept and copied to records.
// Names are case-insensitive, with aliases: "mac address"/"mac_address", "ip address"/"ip_address"/
// "address", "host"/"name", "location". Values are trimmed. CSV: blank lines, rows of empty fields
// and '#' lines between rows are skipped. JSON (read by nlohmann/json's SAX parser, strictly: UTF-8,
// no comments): numbers are kept as written (integers in decimal: -0 is 0), true/false as text, null
// as empty; a nested object or array is a bad row.

#include "scanner/model/result.hpp"

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace fleetcert {

struct InventoryRow
{
  std::size_t line = 0; // line in the CSV file, or 1-based index in the JSON array
  std::string mac;      // 12 upper-case hex digits, or empty
  std::string ip;       // canonical address text (as format_address writes it), or empty
  std::string hostname; // as written, or empty (a row needs an ip or a hostname)
  std::string vendor;
  std::string model;
  std::string site;
  std::vector<std::pair<std::string, std::string>> extra; // other columns, in file order
};

class Inventory
{
public:
  std::vector<InventoryRow> rows;
  std::size_t skipped = 0;           // bad rows skipped with `lenient`
  std::vector<std::string> warnings; // one "file:line: reason" per skipped row
  std::string sha256;                // of the file load_inventory_file read (empty otherwise)

  // Builds the indexes; call after filling `rows` by hand (read_inventory does it).
  void index();
  const InventoryRow* find_by_ip(std::string_view ip) const;   // canonical address text
  const InventoryRow* find_by_mac(std::string_view mac) const; // 12 upper-case hex digits

private:
  std::unordered_map<std::string, std::size_t> m_by_ip;
  std::unordered_map<std::string, std::size_t> m_by_mac;
};

// Caps on what one inventory may hold; going over them is an error, never unbounded growth.
struct InventoryLimits
{
  std::size_t max_rows = 1'000'000;   // data rows (CSV) or entries (JSON), bad ones included
  std::size_t max_field_bytes = 4096; // one CSV field, JSON key or JSON value
  // JSON: bytes from one string or number to the end of the next (the parser keeps them in memory:
  // a string, blanks, literals); going over is a syntax error. Above 6 x max_field_bytes, a value
  // too long for a field (even written with escapes) is a bad row rather than a broken file.
  std::size_t max_json_run_bytes = 1 << 20;
};

// Reads CSV (RFC 4180, header row, column names case-insensitive) or a JSON array of objects (the
// first non-blank character is '['). Errors name the source and line: "inv.csv:7: invalid MAC 'x'",
// "inv.json: entry 7: invalid MAC 'x'"; JSON syntax errors the line and column (in bytes):
// "inv.json:3:14: invalid JSON: ...". With `lenient`, bad rows are skipped and counted instead.
Result<Inventory> read_inventory(std::istream& in, std::string_view source_name, bool lenient,
                                 const InventoryLimits& limits = {});
Result<Inventory> load_inventory_file(const std::string& path, bool lenient);

} // namespace fleetcert
