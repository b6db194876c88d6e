#include "reports/encoding/totals_table.hpp"

#include "reports/encoding/text_safety.hpp"
#include "scanner/model/device_identity.hpp"

namespace fleetcert {
namespace {

constexpr std::size_t k_name_width = 22;
constexpr std::string_view k_indent = "  ";

void append_padded(std::string& line, std::string_view text, std::size_t width)
{
  line += text;
  const std::size_t used = display_width(text);
  line.append(used < width ? width - used : 0, ' ');
}

void append_cells(std::string& line, const std::vector<std::string>& cells, const std::vector<TotalsColumn>& columns)
{
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i + 1 < cells.size() && i < columns.size()) {
      append_padded(line, cells[i], columns[i].width);
    } else {
      line += cells[i];
    }
  }
  line += '\n';
}

} // namespace

void write_totals_header(std::ostream& out, const std::vector<TotalsColumn>& columns)
{
  std::string line;
  append_padded(line, "Totals", k_indent.size() + k_name_width + 1);
  std::vector<std::string> titles;
  for (const TotalsColumn& column : columns) {
    titles.emplace_back(column.title);
  }
  append_cells(line, titles, columns);
  out << line;
}

void write_totals_group(std::ostream& out, std::string_view title, const std::vector<TotalsRow>& rows,
                        const std::vector<TotalsColumn>& columns)
{
  std::string text(title);
  text += '\n';
  for (const auto& [name, cells] : rows) {
    std::string line(k_indent);
    append_padded(line, terminal_safe_fit(group_name(name), k_name_width), k_name_width + 1);
    append_cells(line, cells, columns);
    text += line;
  }
  out << text;
}

} // namespace fleetcert
