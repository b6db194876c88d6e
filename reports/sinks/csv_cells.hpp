#pragma once
// Cells both CSV reports (endpoint and device) build the same way: the host name an engineer
// knows the device by, and the worst finding with what to do about it.

#include "scanner/assessment/findings.hpp"
#include "scanner/inputs/inventory.hpp"

#include <optional>
#include <string>
#include <vector>

namespace fleetcert {

// The device's host name: its inventory row's hostname (the inventory's own; a DHCP lease's only
// fills a row that has none, or makes the row), else the name it was scanned as; "" when neither.
std::string csv_host_name(const std::optional<InventoryRow>& row, const std::string& scanned_host);

// The worst finding (worst_finding) as four encoded cells: severity, code, message, remediation;
// four empty cells when there is none.
std::vector<std::string> csv_worst_finding_cells(const std::vector<Finding>& findings);

// Every finding code once, worst first (sort_findings' order), joined by ';'.
std::string csv_finding_codes(const std::vector<Finding>& findings);

} // namespace fleetcert
