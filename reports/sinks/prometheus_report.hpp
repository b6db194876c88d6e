#pragma once
// The scan as Prometheus metrics, for node_exporter's textfile collector (text exposition format
// 0.0.4): one not-after and one not-before gauge per endpoint that presented a certificate, and
// gauges for the scan (start, finish, duration, interrupted, endpoints, errors by class) and the
// fleet (endpoints by signature label and provenance, devices by finding and worst severity).
//
//   # HELP fleetcert_certificate_not_after_seconds ...
//   # TYPE fleetcert_certificate_not_after_seconds gauge
//   fleetcert_certificate_not_after_seconds{ip="192.0.2.7",port="5061",mac="000B82A1B2C3",...} 1795168800
//
// Memory: a small tuple per certificate (address, port, label, provenance, CN, dates), never the
// records; MAC, vendor and site come from the device view at the end.

#include "reports/sinks/json_report.hpp"
#include "reports/sinks/sink.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleetcert {

// A label value as the exposition format wants it: made valid UTF-8 (ill-formed sequences and
// control characters other than LF become U+FFFD), cut to `max_bytes` at a character boundary,
// then `\` `"` and LF escaped as \\ \" \n.
std::string prometheus_label_value(std::string_view text, std::size_t max_bytes = 256);

// Written to "<path>.tmp-<pid>" beside `path` and renamed into place by finish(), so the textfile
// collector never reads half a file.
class PrometheusReport : public RecordSink
{
public:
  // Throws std::runtime_error("cannot write '<path>': <reason>") when `path` cannot be written.
  explicit PrometheusReport(std::string path);

  void begin(const ScanInfo& info) override;
  // Keeps the certificate's tuple when the record is ok and its validity dates are known.
  void write(const Record& record) override;
  // Takes MAC, vendor and site per address, and counts devices by finding and worst severity.
  void fleet(const FleetView& view) override;
  // Writes every metric family and renames the file into place; throws on write errors.
  void finish(const ScanInfo& info, const ScanSummary& summary) override;

  const std::string& temporary_path() const { return m_file.temporary_path(); }

private:
  struct Certificate
  {
    std::string ip;
    std::uint16_t port = 0;
    std::string cn;         // capped
    std::string cn_class;
    std::string signature;  // signature label
    std::string provenance; // kind
    std::optional<std::int64_t> not_before;
    std::optional<std::int64_t> not_after;
  };
  struct DeviceLabels
  {
    std::string mac;
    std::string vendor;
    std::string site;
    std::string model;    // the device's (inventory, else announced), cut to 64 bytes
    std::string firmware; // likewise
  };

  ReplacingFile m_file;
  std::vector<Certificate> m_certificates;
  std::map<std::string, DeviceLabels> m_devices;                        // by ip, from fleet()
  std::map<std::pair<std::string, std::string>, std::uint64_t> m_findings; // (code, severity) -> devices
  std::map<std::string, std::uint64_t> m_worst;                            // worst severity -> devices
  std::uint64_t m_device_count = 0;
  std::uint64_t m_answering = 0;
  bool m_have_view = false;
};

} // namespace fleetcert
