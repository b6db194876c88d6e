#pragma once
// Human-readable summary for a terminal: one fixed-width row per record as it arrives, then the
// totals. Every text goes through terminal_safe, so no certificate can send escape sequences.

#include "reports/sinks/sink.hpp"
#include "scanner/assessment/fleet_view.hpp"

#include <ostream>
#include <string>

namespace fleetcert {

// "ip:port", "[ip]:port" for IPv6, "host:port" for a name that did not resolve.
std::string format_endpoint(const Endpoint& endpoint);

// Streams rows to `out` (std::cout in practice); holds no records.
class SummaryTable : public RecordSink
{
public:
  explicit SummaryTable(std::ostream& out);

  // Writes the header line.
  void begin(const ScanInfo& info) override;
  // Writes one row: ENDPOINT STATUS TLS SIGNATURE VERDICT CN VALIDITY NOT AFTER.
  void write(const Record& record) override;
  // Remembers the device view (it must outlive finish()) for the audit tables.
  void fleet(const FleetView& view) override;
  // Writes the totals; when the audit found vendors or findings, devices by vendor x signature x
  // provenance, findings by code and the inventory check; INTERRUPTED when the scan stopped early.
  void finish(const ScanInfo& info, const ScanSummary& summary) override;

private:
  std::ostream& m_out;
  const FleetView* m_view = nullptr;
  bool m_begun = false;
};

} // namespace fleetcert
