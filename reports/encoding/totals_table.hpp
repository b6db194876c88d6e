#pragma once
// Totals per group (vendor, model, site) on a terminal, as `scan` and `readiness` print them:
//
//   Totals                   devices  ...
//   By site
//     berlin-hq              12       ...
//     (none)                 3        ...
//
// Group names go through terminal_safe and are cut to 22 columns; "" is shown as "(none)".

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fleetcert {

// A column of a totals table: its title, and the width its cells are padded to (the last column's
// are not padded).
struct TotalsColumn
{
  std::string_view title;
  std::size_t width = 0;
};

// One group: its name ("" for devices without one) and one cell per column.
using TotalsRow = std::pair<std::string, std::vector<std::string>>;

// The header line: "Totals" over the group names, then each column's title.
void write_totals_header(std::ostream& out, const std::vector<TotalsColumn>& columns);

// `title` on a line of its own, then one line per row, aligned with write_totals_header.
void write_totals_group(std::ostream& out, std::string_view title, const std::vector<TotalsRow>& rows,
                        const std::vector<TotalsColumn>& columns);

} // namespace fleetcert
