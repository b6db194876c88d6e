#pragma once
// CSV report (RFC 4180, CRLF line ends): a header row, then one row per record as it completes.
// Certificate text is made safe for spreadsheets (see csv_cell in text_safety.hpp).

#include "reports/encoding/csv_file.hpp"
#include "reports/sinks/sink.hpp"

#include <string>
#include <vector>

namespace fleetcert {

// The column names, in order: ip, port, host, status, error_class, ..., validity, days_left, vendor,
// ..., findings, worst_severity, inventory_mac, model, site, host_name, worst_finding, worst_message,
// worst_remediation (reports/README.md describes each).
std::vector<std::string> csv_columns();

// The cells of one record, in csv_columns() order, already encoded with csv_cell.
std::vector<std::string> csv_row(const Record& record);

// Written to "<path>.tmp-<pid>" and renamed over `path` by finish(), like JsonReport.
class CsvReport : public RecordSink
{
public:
  // Throws std::runtime_error("cannot write '<path>': <reason>") when `path` cannot be written.
  explicit CsvReport(std::string path);

  void begin(const ScanInfo& info) override;
  void write(const Record& record) override;
  // Renames the file into place; throws std::runtime_error on write errors.
  void finish(const ScanInfo& info, const ScanSummary& summary) override;

  const std::string& temporary_path() const { return m_file.temporary_path(); }

private:
  CsvFile m_file;
};

} // namespace fleetcert
