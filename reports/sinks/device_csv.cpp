#include "reports/sinks/device_csv.hpp"

#include "reports/encoding/text_safety.hpp"

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
  cells.push_back(untrusted(row ? row->model : std::string()));
  cells.push_back(untrusted(row ? row->site : std::string()));
  cells.push_back(trusted(device.answered() ? "true" : "false"));

  std::vector<Finding> findings = device.findings;
  sort_findings(findings);
  std::vector<std::string> codes;
  for (const Finding& finding : findings) {
    add_distinct(codes, finding.code);
  }
  cells.push_back(trusted(findings.empty() ? std::string_view() : to_string(findings.front().severity)));
  cells.push_back(trusted(findings.empty() ? std::string() : findings.front().code));
  cells.push_back(trusted(join(codes, " ")));

  std::vector<std::string> ports;
  std::vector<std::string> labels;
  std::vector<std::string> provenance;
  std::vector<std::string> fingerprints;
  for (const DevicePort& port : device.ports) {
    ports.push_back(std::to_string(port.port) + ":" + port.status);
    add_distinct(labels, port.signature_label);
    add_distinct(provenance, port.provenance);
    add_distinct(fingerprints, port.sha256);
  }
  cells.push_back(trusted(join(ports, " ")));
  cells.push_back(untrusted(join(labels, " ")));
  cells.push_back(trusted(join(provenance, " ")));
  cells.push_back(untrusted(join(fingerprints, " ")));
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
