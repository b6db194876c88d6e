#include "support/csv_parse.hpp"

namespace fleetcert::testing {

bool parse_csv_strict(const std::string& text, CsvRows& rows)
{
  std::vector<std::string> row;
  std::string field;
  bool field_started = false;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' && field.empty() && !field_started) {
      field_started = true;
      ++i;
      for (;;) {
        if (i >= text.size()) {
          return false;
        }
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += text[i++];
      }
      if (i != text.size() && text[i] != ',' && text[i] != '\r') {
        return false;
      }
    } else if (c == ',') {
      row.push_back(field);
      field.clear();
      field_started = false;
      ++i;
    } else if (c == '\r') {
      if (i + 1 >= text.size() || text[i + 1] != '\n') {
        return false;
      }
      row.push_back(field);
      rows.push_back(row);
      row.clear();
      field.clear();
      field_started = false;
      i += 2;
    } else {
      if (c == '\n' || c == '"') {
        return false; // a bare LF or quote only inside quotes
      }
      field += c;
      field_started = true;
      ++i;
    }
  }
  return row.empty() && field.empty(); // the file ends with CRLF
}

} // namespace fleetcert::testing
