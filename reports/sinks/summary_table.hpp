#pragma once
// Human-readable summary for a terminal: one row per record as it arrives, fitted to the
// terminal's width, then the totals. Every text goes through terminal_safe, so no certificate can
// send escape sequences.

#include "reports/sinks/sink.hpp"
#include "scanner/assessment/fleet_view.hpp"

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace fleetcert {

// "ip:port", "[ip]:port" for IPv6, "host:port" for a name that did not resolve.
std::string format_endpoint(const Endpoint& endpoint);

// What a column of the endpoint table shows, in the order of the row.
enum class TableField
{
  endpoint,
  status,
  site,
  vendor,
  mac,
  tls,
  signature,
  verdict,
  validity,
  not_after,
  model,
  firmware,
  cn,
};

// A column of the endpoint table as laid out for one width.
struct TableColumn
{
  TableField field;
  std::string_view title;
  std::size_t width = 0; // display columns the cells are padded to (and cut to, when `cut`)
  bool cut = true;       // cut to `width` with "…"; false: every cell whole (it may push the row)
};

// The columns for a table `width` display columns wide; nullopt is full width: every column, no cell
// cut. When the full layout does not fit, CN, VENDOR and SITE shrink first (to 12, 8 and 6), then
// columns are dropped in this order until it fits: TLS, NOT AFTER, SIGNATURE, MAC, CN, SITE, VENDOR,
// VALIDITY, VERDICT. ENDPOINT and STATUS always stay. MODEL and FIRMWARE (the device's, inventory
// or announced) come only with room to spare: when every other column has its full width, MODEL,
// then FIRMWARE, each when its whole width is left over.
std::vector<TableColumn> fit_table_columns(std::optional<std::size_t> width);

// The table's width: full width (nullopt) with --wide; on a terminal, its columns, else COLUMNS,
// else 80; not on a terminal (a file, a pipe into less -S or mail), COLUMNS, else full width.
std::optional<std::size_t> choose_table_width(bool wide, bool output_is_terminal,
                                              std::optional<std::size_t> terminal_columns,
                                              std::optional<std::size_t> columns_variable);

// Streams rows to `out` (std::cout in practice); holds no records.
class SummaryTable : public RecordSink
{
public:
  // `width`: see fit_table_columns (nullopt: full width).
  explicit SummaryTable(std::ostream& out, std::optional<std::size_t> width = std::nullopt);

  // Writes the header line.
  void begin(const ScanInfo& info) override;
  // Writes one row: ENDPOINT STATUS SITE VENDOR MAC TLS SIGNATURE VERDICT VALIDITY NOT AFTER CN, or
  // the columns of them that fit.
  void write(const Record& record) override;
  // Remembers the device view (it must outlive finish()) for the audit tables.
  void fleet(const FleetView& view) override;
  // Writes the totals; when the audit found vendors or findings, devices by vendor x signature x
  // provenance, findings by code and the inventory check; the devices overall, per vendor and per
  // site (device_groups); INTERRUPTED when the scan stopped early.
  void finish(const ScanInfo& info, const ScanSummary& summary) override;

private:
  void write_row(const std::vector<std::string>& cells);

  std::ostream& m_out;
  std::optional<std::size_t> m_width;
  std::vector<TableColumn> m_columns;
  const FleetView* m_view = nullptr;
  bool m_begun = false;
};

} // namespace fleetcert
