#pragma once
// The scan summary (ScanSummary, declared in sink.hpp) as JSON, for the JSON report, and the device
// totals per site and per vendor that the JSON report and the terminal table both show.

#include "reports/sinks/sink.hpp"
#include "scanner/assessment/findings.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <string>

namespace fleetcert {

class FleetView;
struct Device;

// The devices of one group (a site, a vendor, or the whole fleet) of the device view.
struct DeviceGroupCount
{
  std::uint64_t devices = 0;
  // Something answered on at least one port: a certificate, or any error but refused, unreachable
  // and dns (something_answered).
  std::uint64_t reachable = 0;
  // Presented a certificate on at least one port (Device::answered, what --min-answering counts).
  std::uint64_t answering = 0;
  // Findings of the group's devices per severity (index: Severity), as devices[].findings lists them:
  // one per code and device, fleet-wide ones included.
  std::array<std::uint64_t, 5> findings{};
  // Devices per the severity of their worst finding (index: Severity); devices without one are not counted.
  std::array<std::uint64_t, 5> worst{};

  void add(const Device& device);
};

// Device totals per site and per vendor: a device without a site or a vendor is counted under
// k_no_group ("(none)"); names are made valid UTF-8 (two names that become one are counted together).
struct DeviceGroups
{
  DeviceGroupCount overall;
  std::map<std::string, DeviceGroupCount> by_site;
  std::map<std::string, DeviceGroupCount> by_vendor;
};
DeviceGroups device_groups(const FleetView& view);

// {"devices", "reachable", "answering", "findings_by_severity": {severity: n},
//  "devices_by_worst_severity": {severity: n}}, every severity present (0 when none).
nlohmann::json device_group_to_json(const DeviceGroupCount& count);

// {"endpoints", "ok", "errors", "error_classes": {class: n}, "signature_labels", "signature_verdicts",
//  "validity", "cn_classes", "tls_versions", "self_signed", "findings": {code: n}, "severities",
//  "provenance", "unverified_issuer_names": {vendor: n}, "vendors"}; map keys made valid UTF-8. With
// the device view, also "by_site" and "by_vendor": {name: device_group_to_json} (device_groups).
nlohmann::json summary_to_json(const ScanSummary& summary, const FleetView* view = nullptr);

} // namespace fleetcert
