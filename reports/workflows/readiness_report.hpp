#pragma once
// Writers of `fleetcert readiness`: the terminal text, the JSON document ("fleetcert-readiness/1")
// and the device CSV. Every text that came from a certificate, a report, the inventory or a
// profile goes through reports/text_safety.

#include "reports/encoding/csv_file.hpp"
#include "reports/sinks/json_report.hpp"
#include "scanner/readiness/readiness.hpp"

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace fleetcert {

// Everything a readiness run decided, with what it was decided against.
struct ReadinessOutcome
{
  std::int64_t at = 0;
  ReadinessPolicy policy;
  std::string trust_after_path;
  std::vector<std::string> trust_after_subjects;
  std::vector<std::string> trust_after_fingerprints;
  std::string source_kind; // "report" or "scan"
  std::string source_path; // the report read (for a live scan: the one kept, or empty)
  bool source_interrupted = false;
  std::vector<DeviceReadiness> devices;
  ReadinessTotals totals;
};

// The human summary: not-ready and unknown devices with every reason and what to do, then the
// totals overall and per vendor, model and site.
void print_readiness(std::ostream& out, const ReadinessOutcome& outcome);

// The whole outcome as one JSON document (schema in the README), written to `file` (not committed).
void write_readiness_json(ReplacingFile& file, const ReadinessOutcome& outcome);
// The JSON document ("fleetcert-readiness/1") that write_readiness_json writes.
nlohmann::json readiness_to_json(const ReadinessOutcome& outcome);
// The outcome as one self-contained HTML page (reports/encoding/html_page): ready, not ready and
// unknown per vendor, model and site, the reasons, the swap date, a searchable device table.
void write_readiness_html(ReplacingFile& file, const ReadinessOutcome& outcome);

// The CSV columns, and one row per device into `file` (not committed).
std::vector<std::string> readiness_csv_columns();
void write_readiness_csv(CsvFile& file, const ReadinessOutcome& outcome);

} // namespace fleetcert
