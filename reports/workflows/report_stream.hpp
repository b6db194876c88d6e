#pragma once
// A saved report read back record by record as the live model's records (record_from_json), so
// that the scan's own sinks can write it again: `fleetcert report` rebuilds the outputs of a
// (resumed) scan through it. A JSON document or JSONL, told apart by content; a record is handed
// on as soon as it is read, so memory does not grow with the report (the file is never one tree).

#include "reports/sinks/sink.hpp"
#include "scanner/assessment/record.hpp"
#include "scanner/inputs/inventory.hpp"
#include "scanner/model/result.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fleetcert {

struct ReportStreamOptions
{
  // A JSONL report whose last line is cut off (no newline, not JSON: a scan killed while writing
  // it): false refuses the report (the error says to --resume the scan); true skips that line.
  bool allow_partial_last_line = false;
};

// What a saved report says besides its records.
struct ReportStream
{
  std::string path;          // as given; "-" is standard input
  std::string format;        // "json" or "jsonl"
  std::string sha256;        // of every byte of the input
  std::uint64_t records = 0; // handed on
  // The JSON document's scan section; the facts it lacks, and every fact of a JSONL report (which
  // carries only records), are in scan.unknown (audit_settings: absent).
  ScanInfo scan;
  // Keys this version does not know (a newer fleetcert's), left out: at most k_report_warnings
  // lines, then one that counts the rest.
  std::vector<std::string> warnings;
  std::optional<std::size_t> partial_last_line; // the cut-off last line skipped (allow_partial_last_line)
};

// Reads `path` ("-": standard input) and hands each record to `on_record`, in file order, as the
// scan's sinks received it: the fleet-wide findings a JSON document's records carry
// (shared-certificate, shared-key, not-answering, not-in-inventory) are taken out, since FleetView
// adds them again. Bad input is an Error naming the file and, where it has one, the line:
// "scan.jsonl:12: assessment.validity 'revoked' is unknown to this fleetcert ...",
// "notes.txt: not a fleetcert report: parse error at byte 1: ...", "dir: is a directory". An
// exception thrown by `on_record` (a sink that cannot write) propagates.
Result<ReportStream> read_report_records(const std::string& path, const std::function<void(Record&)>& on_record,
                                         const ReportStreamOptions& options = {});

// The inventory of the cross-check when no inventory file is given (`report`, `merge`): the rows
// the records carry (each inventory row is a target of the scan, so each has records), one per
// device address, in the order the records come.
class RecordInventory
{
public:
  void add(const Record& record);
  // Null when no record carries a row.
  const Inventory* inventory() const { return m_inventory.rows.empty() ? nullptr : &m_inventory; }

private:
  Inventory m_inventory;
  std::map<std::string, std::size_t> m_rows; // device address -> index in rows
};

} // namespace fleetcert
