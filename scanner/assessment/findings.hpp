#pragma once
// Findings: what is wrong with a device's certificate and what to do about it. Stable codes,
// severities, a message about this device and a remediation (the vendor's when its profile has one).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleetcert {

enum class Severity
{
  info,
  low,
  medium,
  high,
  critical,
};
std::string_view to_string(Severity severity);
std::optional<Severity> parse_severity(std::string_view text);

struct Finding
{
  std::string code;     // "sha1-rejected", "generic-cn", ...
  Severity severity = Severity::info;
  std::string message;     // about this device
  std::string remediation; // what to do
};

// Every finding code fleetcert emits, with its severity and default remediation.
struct FindingKind
{
  std::string_view code;
  Severity severity;
  std::string_view remediation;
};
const std::vector<FindingKind>& finding_kinds();
const FindingKind* find_finding_kind(std::string_view code);

// Sorts worst first for reports: highest severity first, then by code, message and remediation
// (byte order), so that the order never depends on the order the findings were made in.
void sort_findings(std::vector<Finding>& findings);

// The finding sort_findings puts first (the highest severity; ties to the smallest code, then
// message, then remediation); null when there is none.
const Finding* worst_finding(const std::vector<Finding>& findings);

} // namespace fleetcert
