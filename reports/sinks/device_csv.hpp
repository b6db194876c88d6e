#pragma once
// Device CSV report (RFC 4180, CRLF line ends): one row per device of the fleet view (all ports
// of one address joined, with its inventory row and every finding, fleet-wide ones included),
// worst first. Written once the scan ends, from the view the engine gives to fleet().

#include "reports/encoding/csv_file.hpp"
#include "reports/sinks/sink.hpp"
#include "scanner/assessment/fleet_view.hpp"

#include <string>
#include <vector>

namespace fleetcert {

// The column names, in order: ip, host, mac, vendor, vendor_source, model, site, answered,
// worst_severity, worst_finding, findings, ports, signature_labels, provenance, sha256, host_name,
// cn, not_after, days_left, validity, worst_message, worst_remediation (reports/README.md).
std::vector<std::string> csv_device_columns();

// The cells of one device, in csv_device_columns() order, already encoded with csv_cell.
std::vector<std::string> csv_device_row(const Device& device);

// Written to "<path>.tmp-<pid>" and renamed over `path` by finish(), like CsvReport. Without a
// fleet() call (no view) the report holds the header only.
class DeviceCsvReport : public RecordSink
{
public:
  // Throws std::runtime_error("cannot write '<path>': <reason>") when `path` cannot be written.
  explicit DeviceCsvReport(std::string path);

  // Writes the header row.
  void begin(const ScanInfo& info) override;
  // Ignores the record: devices are only known once the scan ends.
  void write(const Record& record) override;
  // Writes one row per device, in the view's order (worst first, then by address).
  void fleet(const FleetView& view) override;
  // Renames the file into place; throws std::runtime_error on write errors.
  void finish(const ScanInfo& info, const ScanSummary& summary) override;

  const std::string& temporary_path() const { return m_file.temporary_path(); }

private:
  CsvFile m_file;
  bool m_written = false; // fleet() was called
};

} // namespace fleetcert
