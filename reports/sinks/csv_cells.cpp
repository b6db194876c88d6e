#include "reports/sinks/csv_cells.hpp"

#include "reports/encoding/csv_file.hpp"

#include <algorithm>

namespace fleetcert {

std::string csv_host_name(const std::optional<InventoryRow>& row, const std::string& scanned_host)
{
  return row && !row->hostname.empty() ? row->hostname : scanned_host;
}

std::vector<std::string> csv_worst_finding_cells(const std::vector<Finding>& findings)
{
  const Finding* worst = worst_finding(findings);
  if (worst == nullptr) {
    return {"", "", "", ""};
  }
  // Codes and severities are ours; messages quote certificate text and remediations come from
  // vendor profiles a user may write: untrusted.
  return {csv_trusted(to_string(worst->severity)), csv_trusted(worst->code), csv_untrusted(worst->message),
          csv_untrusted(worst->remediation)};
}

std::string csv_finding_codes(const std::vector<Finding>& findings)
{
  std::vector<Finding> sorted = findings;
  sort_findings(sorted);
  std::vector<std::string> codes;
  for (const Finding& finding : sorted) {
    if (std::find(codes.begin(), codes.end(), finding.code) == codes.end()) {
      codes.push_back(finding.code);
    }
  }
  return csv_trusted(join_items(codes, ";"));
}

} // namespace fleetcert
