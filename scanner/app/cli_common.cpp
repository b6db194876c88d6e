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
