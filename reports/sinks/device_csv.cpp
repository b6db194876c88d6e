#include "reports/sinks/device_csv.hpp"

#include "reports/encoding/text_safety.hpp"
#include "reports/sinks/csv_cells.hpp"
#include "scanner/util/port_status.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

namespace fleetcert {

namespace {

const std::vector<std::string>& columns()
{
  static const std::vector<std::string> k_columns = {
    "ip",       "host",  "mac",   "vendor",           "vendor_source", "model",
    "site",     "answered",       "worst_severity",   "worst_finding", "findings",
    "ports",    "signature_labels", "provenance",     "sha256",
    // Added in issue 12, after the earlier columns so that their positions stay.
    "host_name", "cn",  "not_after", "days_left",       "validity",      "worst_message",
    "worst_remediation",
    // Added with the identity probes (issue 14); `model` is the inventory's, else the announced one.
    "model_source", "firmware", "firmware_source",
  };
  return k_columns;
}

std::string trusted(std::string_view text) { return csv_trusted(text); }
std::string untrusted(std::string_view text) { return csv_untrusted(text); }

// Adds `item` to `items` unless it is empty or already there (first appearance order).
void add_distinct(std::vector<std::string>& items, const std::string& item)
{
  if (!item.empty() && std::find(items.begin(), items.end(), item) == items.end()) {
    items.push_back(item);
  }
}

std::string join(const std::vector<std::string>& items, std::string_view separator)
{
  return join_items(items, separator);
}

// The port whose certificate the row describes: of the ports that presented one, the one whose
// certificate expires first (ties: the lower port); the first such port when no date is known.
const DevicePort* certificate_port(const Device& device)
{
  const DevicePort* chosen = nullptr;
  for (const DevicePort& port : device.ports) { // in port order
    if (port.status != "ok") {
      continue;
    }
    // ISO 8601 UTC texts of four-digit years: text order is time order.
    if (chosen == nullptr || (!port.not_after.empty() && (chosen->not_after.empty() || port.not_after < chosen->not_after))) {
      chosen = &port;
    }
  }
  return chosen;
}

} // namespace

std::vector<std::string> csv_device_columns() { return columns(); }

std::vector<std::string> csv_device_row(const Device& device)
{
  std::vector<std::string> cells;
  cells.reserve(columns().size());
  const std::optional<InventoryRow>& row = device.inventory;
  cells.push_back(untrusted(device.ip));
  cells.push_back(untrusted(device.host));
  cells.push_back(untrusted(device.mac));
  cells.push_back(untrusted(device.vendor));
  cells.push_back(trusted(device.vendor.empty() ? std::string() : device.vendor_source));
  cells.push_back(untrusted(device.model)); // the inventory's, else the announced one
  cells.push_back(untrusted(device.site)); // the inventory's, else --site
  cells.push_back(trusted(device.answered() ? "true" : "false"));

  // Every finding of the device, its endpoints' and the fleet-wide ones (shared-certificate, ...).
  const std::vector<std::string> worst = csv_worst_finding_cells(device.findings);
  cells.push_back(worst[0]); // worst_severity
  cells.push_back(worst[1]); // worst_finding
  cells.push_back(csv_finding_codes(device.findings));

  std::vector<PortStatus> ports;
  std::vector<std::string> labels;
  std::vector<std::string> provenance;
  std::vector<std::string> fingerprints;
  for (const DevicePort& port : device.ports) {
    ports.push_back({port.port, port.status});
    add_distinct(labels, port.signature_label);
    add_distinct(provenance, port.provenance);
    add_distinct(fingerprints, port.sha256);
  }
  cells.push_back(trusted(format_port_statuses(ports)));
  cells.push_back(untrusted(join(labels, " ")));
  cells.push_back(trusted(join(provenance, " ")));
  cells.push_back(untrusted(join(fingerprints, " ")));

  cells.push_back(untrusted(csv_host_name(row, device.host)));
  const DevicePort* certificate = certificate_port(device);
  cells.push_back(untrusted(certificate != nullptr ? certificate->cn : std::string()));
  cells.push_back(trusted(certificate != nullptr ? certificate->not_after : std::string()));
  cells.push_back(trusted(certificate != nullptr && certificate->days_left ? std::to_string(*certificate->days_left)
                                                                           : std::string()));
  cells.push_back(trusted(certificate != nullptr ? certificate->validity : std::string()));
  cells.push_back(worst[2]); // worst_message
  cells.push_back(worst[3]); // worst_remediation
  cells.push_back(trusted(device.model.empty() ? std::string() : device.model_source));
  cells.push_back(untrusted(device.firmware));
  cells.push_back(trusted(device.firmware.empty() ? std::string() : device.firmware_source));
  return cells;
}

DeviceCsvReport::DeviceCsvReport(std::string path) : m_file(std::move(path), columns()) {}

void DeviceCsvReport::begin(const ScanInfo& /*info*/) {}

void DeviceCsvReport::write(const Record& /*record*/) {}

void DeviceCsvReport::fleet(const FleetView& view)
{
  if (m_written) {
    return;
  }
  m_written = true;
  for (const Device& device : view.devices()) {
    m_file.row(csv_device_row(device));
  }
}

void DeviceCsvReport::finish(const ScanInfo& /*info*/, const ScanSummary& /*summary*/)
{
  m_file.commit();
}

} // namespace fleetcert
