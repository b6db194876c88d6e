#include "scanner/app/cli_common.hpp"

#include "reports/encoding/text_safety.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace fleetcert {

void print_error(const std::string& message)
{
  std::fprintf(stderr, "fleetcert: %s\n", terminal_safe(message).c_str());
}

void print_warnings(const std::string& source, const std::vector<std::string>& warnings)
{
  for (const std::string& warning : warnings) {
    print_error("warning: " + source + ": " + warning);
  }
}

ScanReport load_report(const std::string& path)
{
  auto report = load_scan_report(path);
  if (!report) {
    throw UsageError(report.error());
  }
  print_warnings(report->path, report->warnings);
  return std::move(*report);
}

int verdict_exit_status(const ScanVerdict& verdict)
{
  if (verdict.fail_on_matched()) {
    print_error(verdict.fail_on_line());
  }
  if (verdict.too_few_answering()) {
    print_error(verdict.answering_line());
    return k_exit_too_few_answering;
  }
  return verdict.fail_on_matched() ? k_exit_findings : k_exit_ok;
}

ScanVerdict report_verdict(const ScanReport& report, const FailOnPolicy& fail_on,
                           const std::optional<MinAnswering>& min_answering)
{
  ScanVerdict verdict(fail_on, min_answering);
  for (const ReportDevice& device : report.fleet_devices()) {
    verdict.add_device(device.findings, device.answered(), device.inventory.has_value());
  }
  verdict.set_addresses_scanned(report.devices().size());
  return verdict;
}

std::string read_text_file(const std::string& path, const char* what)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw UsageError(std::string("cannot read ") + what + " '" + path + "'");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

} // namespace fleetcert
