#pragma once
// What both CSV reports share: cell helpers and a CSV file (RFC 4180, CRLF, header row first)
// written to a temporary file and renamed into place once complete.

#include "reports/encoding/replacing_file.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace fleetcert {

// Our own values (numbers, enum words, booleans): quoted when needed, never neutralised ("-5").
std::string csv_trusted(std::string_view text);
// Anything from a certificate, the wire, the inventory or the user: made safe with csv_cell.
std::string csv_untrusted(std::string_view text);
// Joins already-encoded or plain items with a separator.
std::string join_items(const std::vector<std::string>& items, std::string_view separator);

class CsvFile
{
public:
  // Throws std::runtime_error("cannot write '<path>': <reason>") when `path` cannot be written.
  CsvFile(std::string path, std::vector<std::string> columns);

  // Writes one row of encoded cells (the header first, if not written yet).
  void row(const std::vector<std::string>& cells);
  // Writes the header if nothing was written, then renames the file into place; once.
  void commit();
  const std::string& temporary_path() const { return m_file.temporary_path(); }

private:
  void ensure_header();
  void write_line(const std::vector<std::string>& cells);

  ReplacingFile m_file;
  std::vector<std::string> m_columns;
  bool m_header_written = false;
  bool m_committed = false;
};

} // namespace fleetcert
