#pragma once
// The scan as one self-contained HTML page (reports/encoding/html_page.hpp): the headline, charts of
// the generation mix, provenance, expiry and findings, per-site totals and a device table, all drawn
// by the page's script from the devices of the FleetView and a few facts of each record's chain,
// packed (data.layout, data.texts) so that a 10,000-device page stays a few MB.
// `scan --html` and `fleetcert report --html` feed it the same records, so they write the same page.

#include "reports/encoding/replacing_file.hpp"
#include "reports/sinks/sink.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace fleetcert {

// What the page says about the assessment's clock, which ScanInfo does not carry.
struct HtmlClock
{
  std::optional<std::int64_t> now; // the instant the verdicts were made for; nullopt: not known
  std::string now_source;          // how it is known: "--now", "scan start", "scan.arguments --now", ...
  std::optional<int> expiry_warning_days; // nullopt: not known (the page then marks no window)
};

// The clock of a report rebuilt from a saved one: --now and --expiry-warning from the saved scan's
// arguments (when it carried them), else its start time and fleetcert's default 30 days; nothing
// when the input carried no arguments (a JSONL report).
HtmlClock clock_of_saved_scan(const ScanInfo& info);

class HtmlReport : public RecordSink
{
public:
  // Throws std::runtime_error when `path` cannot be written, so the scan can be refused early.
  // Without a clock (a rebuilt report), finish() takes it from its ScanInfo (clock_of_saved_scan).
  HtmlReport(std::string path, std::optional<HtmlClock> clock);

  void begin(const ScanInfo& info) override;
  // Keeps what the device table shows of a record with a certificate that the device view does
  // not: the leaf's verdict, TLS version and CN, the chain's names and dates, a late handshake
  // error. A record without a certificate is left to the view (its port's status).
  void write(const Record& record) override;
  void fleet(const FleetView& view) override;
  // Writes the page and renames it into place; throws on write errors.
  void finish(const ScanInfo& info, const ScanSummary& summary) override;

private:
  ReplacingFile m_file;
  std::optional<HtmlClock> m_clock;
  const FleetView* m_view = nullptr;
  std::unordered_map<std::string, nlohmann::json> m_ports; // "<ip or host> <port>" -> details
  std::uint64_t m_records = 0;
  bool m_finished = false;
};

} // namespace fleetcert
