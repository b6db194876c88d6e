// libFuzzer target: the report reader (reports/workflows/report_reader) on arbitrary bytes as a
// saved report file, JSON document or JSONL, then the devices it groups the endpoints into; and
// the same file read back record by record (reports/workflows/report_stream, record_from_json).
//
//   input ──written to an in-memory file──> load_scan_report ──> ScanReport ──> devices()
//                                       └─> read_report_records ──> each Record written and read again
//
// load_scan_report takes a path, so each input is written to the same in-memory file first. Beyond "no crash, no sanitizer report", it checks what
// report_reader.hpp promises: an error names the file; a JSONL report has one endpoint per
// non-blank line; every endpoint is in exactly one device, in port order, under its own address;
// a device's findings are one per code, worst first.
//
// Seeds: a JSON and a JSONL report of a two-device scan of the simulator (certificates, findings,
// inventory, an HTTP answer, a refused port), their error records alone (once with
// scan.audit_settings), and bad files.

#include "reports/encoding/record_json.hpp"
#include "reports/workflows/report_reader.hpp"
#include "reports/workflows/report_stream.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

namespace {

using namespace fleetcert;

// A broken promise is a finding: say which, and abort so that libFuzzer keeps the input.
void check(bool condition, const char* promise)
{
  if (!condition) {
    std::fprintf(stderr, "fuzz_report_reader: broken promise: %s\n", promise);
    std::abort();
  }
}

// The in-memory file every input is written to (memfd_create): load_scan_report opens it by its
// /proc/self/fd path, and no disk is touched per input.
class ReportFile
{
public:
  ReportFile() : m_fd(::memfd_create("fuzz_report_reader", MFD_CLOEXEC))
  {
    check(m_fd >= 0, "the fuzzer could make its in-memory report file");
    m_path = "/proc/self/fd/" + std::to_string(m_fd);
  }
  ReportFile(const ReportFile&) = delete;
  ReportFile& operator=(const ReportFile&) = delete;
  ~ReportFile() { ::close(m_fd); }

  // Replaces the file's content; returns its path.
  const std::string& write(const std::uint8_t* data, std::size_t size) const
  {
    check(::ftruncate(m_fd, 0) == 0, "the fuzzer could empty its report file");
    std::size_t written = 0;
    while (written < size) {
      const ssize_t n = ::pwrite(m_fd, data + written, size - written, static_cast<off_t>(written));
      check(n > 0, "the fuzzer could write its report file");
      written += static_cast<std::size_t>(n);
    }
    return m_path;
  }

private:
  int m_fd;
  std::string m_path;
};

// Lines as std::getline splits them that hold more than blanks (' ', '\t', '\r').
std::size_t non_blank_lines(const std::uint8_t* data, std::size_t size)
{
  std::size_t lines = 0;
  bool content = false;
  for (std::size_t i = 0; i < size; ++i) {
    const char c = static_cast<char>(data[i]);
    if (c == '\n') {
      lines += content ? 1 : 0;
      content = false;
    } else if (c != ' ' && c != '\t' && c != '\r') {
      content = true;
    }
  }
  return lines + (content ? 1 : 0);
}

int severity_rank(Severity severity)
{
  return static_cast<int>(severity);
}

void check_devices(const ScanReport& report)
{
  const std::vector<ReportDevice> devices = report.devices();
  std::set<const ReportEndpoint*> seen;
  for (const ReportDevice& device : devices) {
    check(!device.endpoints.empty(), "a device has endpoints");
    for (std::size_t i = 0; i < device.endpoints.size(); ++i) {
      const ReportEndpoint* endpoint = device.endpoints[i];
      check(endpoint >= report.endpoints.data() && endpoint < report.endpoints.data() + report.endpoints.size(),
            "a device's endpoints point into the report");
      check(seen.insert(endpoint).second, "an endpoint is in one device only");
      check(endpoint->ip == device.ip, "an endpoint is under its own address");
      check(i == 0 || device.endpoints[i - 1]->port <= endpoint->port, "a device's endpoints are in port order");
    }
    check(device.answered()
              == std::any_of(device.endpoints.begin(), device.endpoints.end(),
                             [](const ReportEndpoint* e) { return e->ok; }),
          "answered() is a certificate on some port");
    std::set<std::string> codes;
    for (std::size_t i = 0; i < device.findings.size(); ++i) {
      check(codes.insert(device.findings[i].code).second, "one finding per code");
      check(i == 0 || severity_rank(device.findings[i - 1].severity) >= severity_rank(device.findings[i].severity),
            "findings are worst first");
    }
    check(device.worst().has_value() == !device.findings.empty(), "worst() is the first finding's severity");
  }
  check(seen.size() == report.endpoints.size(), "every endpoint is in a device");
}

void check_fleet_devices(const ScanReport& report)
{
  const std::vector<ReportDevice> devices = report.fleet_devices();
  check(report.fleet.has_value(), "a loaded report has its device view");
  check(devices.size() == report.fleet->size(), "one fleet device per device of the view");
  std::set<std::string> addresses;
  for (const ReportDevice& device : devices) {
    check(addresses.insert(device.address()).second, "one fleet device per address");
    for (std::size_t i = 0; i < device.endpoints.size(); ++i) {
      const ReportEndpoint* endpoint = device.endpoints[i];
      check(device_address(endpoint->ip, endpoint->host) == device.address(), "an endpoint is under its own address");
      check(i == 0 || device.endpoints[i - 1]->port <= endpoint->port, "a device's endpoints are in port order");
    }
  }
}

// read_report_records: an error names the file; every record it hands on writes JSON that reads
// back into a record writing the same JSON (record_from_json is record_to_json's inverse).
void check_record_stream(const std::string& path)
{
  std::uint64_t handed = 0;
  const Result<ReportStream> stream = read_report_records(path, [&](Record& record) {
    ++handed;
    const std::string line = dump_json(record_to_json(record));
    const Result<Record> again = record_from_json(nlohmann::json::parse(line));
    check(again.ok(), "a record written as JSON reads back");
    check(dump_json(record_to_json(*again)) == line, "a record read back writes the same JSON");
  });
  if (!stream) {
    check(stream.error().find(path) != std::string::npos, "a stream error names the file");
    return;
  }
  check(stream->records == handed, "every record counted is handed on");
  check(stream->sha256.size() == 64, "the input's digest is known");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  static const ReportFile file;
  const std::string& path = file.write(data, size);
  check_record_stream(path);
  const Result<ScanReport> report = load_scan_report(path);
  if (!report) {
    check(report.error().find(path) != std::string::npos, "an error names the file");
    return 0;
  }
  check(report->path == path, "the report knows its file");
  check(report->format == "json" || report->format == "jsonl", "the format is json or jsonl");
  if (report->format == "jsonl") {
    check(report->endpoints.size() == non_blank_lines(data, size), "a JSONL report has one endpoint per line");
  }
  check_devices(*report);
  check_fleet_devices(*report);
  return 0;
}
