#pragma once
// JSON and JSON Lines reports, written record by record as endpoints complete (never held in
// memory), through ReplacingFile so a report is never half-written.
//
//   {"schema":"fleetcert-scan/1","records":[
//   {record},
//   {record}
//   ],"scan":{...},"summary":{...},"devices":[
//   {device}
//   ],"inventory_check":{...}}

#include "reports/encoding/replacing_file.hpp"
#include "reports/sinks/sink.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace fleetcert {

// The document's "scan" section: the facts the scan (or the report it was rebuilt from) knows,
// `records` as endpoints_done, and rebuilt_from when rebuilt. The HTML page shows the same section.
nlohmann::ordered_json scan_section_to_json(const ScanInfo& info, std::uint64_t records);

// The whole scan as one JSON document ("fleetcert-scan/1"): records, then the scan facts, the
// summary and, when fleet() gave the device view, the devices and the inventory check.
//
// Records are spooled one per line to an anonymous scratch file (created beside `path` and
// unlinked at once, so nothing is left behind even when the process is killed); finish() copies
// them into the document, adding to each ok record its address's fleet-wide findings. Memory
// does not grow with the number of records.
class JsonReport : public RecordSink
{
public:
  // Throws std::runtime_error when `path` cannot be written, so the scan can be refused early.
  explicit JsonReport(std::string path);
  ~JsonReport() override;
  JsonReport(const JsonReport&) = delete;
  JsonReport& operator=(const JsonReport&) = delete;

  void begin(const ScanInfo& info) override;
  void write(const Record& record) override;
  // Remembers the view (it must outlive finish()) for the fleet-wide findings and "devices".
  void fleet(const FleetView& view) override;
  // Writes records, "scan", "summary" (counting the fleet-wide findings the records now carry),
  // "devices" and "inventory_check", then renames the document into place; throws on write errors.
  void finish(const ScanInfo& info, const ScanSummary& summary) override;

  const std::string& temporary_path() const { return m_file.temporary_path(); }

private:
  void copy_records(ScanSummary& summary);

  ReplacingFile m_file;
  std::FILE* m_spool = nullptr; // the records, one per line; unlinked
  int m_spool_errno = 0;        // first spool write failure
  const FleetView* m_view = nullptr;
  std::uint64_t m_records = 0;
  bool m_begun = false;
  bool m_finished = false;
};

// One record per line (JSON Lines). A file gets every record within a quarter of a second: a record
// that comes 250 ms or more after the last write(2) is flushed at once, the records of a burst
// together by a flusher thread, at most 250 ms later (one write(2) per batch instead of one per
// record). A killed scan leaves every line written before its last quarter second intact (and
// perhaps a partial last line, which --resume cuts off). `path` "-" writes to standard output,
// flushed after each line (a terminal or a pipe reads each record as it completes).
class JsonlReport : public RecordSink
{
public:
  // At most this long between a record and its write(2) to a file.
  static constexpr std::chrono::milliseconds k_flush_interval{250};

  // Opens the file, truncating it or, with `append` (a resumed scan), appending to it; throws
  // std::runtime_error("cannot write '<path>': <reason>").
  explicit JsonlReport(std::string path, bool append = false);
  ~JsonlReport() override;
  JsonlReport(const JsonlReport&) = delete;
  JsonlReport& operator=(const JsonlReport&) = delete;

  void begin(const ScanInfo& info) override;
  void write(const Record& record) override;
  // Closes the file; throws std::runtime_error if any line could not be written.
  void finish(const ScanInfo& info, const ScanSummary& summary) override;

private:
  void flush_locked(); // under m_mutex
  void stop_flusher();

  std::string m_path;
  std::FILE* m_file = nullptr;
  int m_write_errno = 0;
  std::mutex m_mutex; // m_file, m_write_errno, m_pending, m_last_flush, m_closing
  std::condition_variable m_wake;
  bool m_pending = false; // written to m_file's buffer since the last flush
  bool m_closing = false;
  std::chrono::steady_clock::time_point m_last_flush;
  std::thread m_flusher; // files only
};

} // namespace fleetcert
