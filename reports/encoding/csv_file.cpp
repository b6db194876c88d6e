#include "reports/encoding/csv_file.hpp"

#include "reports/encoding/text_safety.hpp"

#include <utility>

namespace fleetcert {

std::string csv_trusted(std::string_view text)
{
  return csv_cell(text, false);
}

std::string csv_untrusted(std::string_view text)
{
  return csv_cell(text, true);
}

std::string join_items(const std::vector<std::string>& items, std::string_view separator)
{
  std::string joined;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      joined += separator;
    }
    joined += items[i];
  }
  return joined;
}

CsvFile::CsvFile(std::string path, std::vector<std::string> columns)
    : m_file(std::move(path)), m_columns(std::move(columns))
{
}

void CsvFile::write_line(const std::vector<std::string>& cells)
{
  m_file.write(join_items(cells, ",") + "\r\n");
}

void CsvFile::ensure_header()
{
  if (m_header_written) {
    return;
  }
  m_header_written = true;
  std::vector<std::string> header;
  header.reserve(m_columns.size());
  for (const std::string& name : m_columns) {
    header.push_back(csv_trusted(name));
  }
  write_line(header);
}

void CsvFile::row(const std::vector<std::string>& cells)
{
  ensure_header();
  write_line(cells);
}

void CsvFile::commit()
{
  if (m_committed) {
    return;
  }
  ensure_header();
  m_committed = true;
  m_file.commit();
}

} // namespace fleetcert
