#include "scanner/assessment/record.hpp"

#include "scanner/util/ascii.hpp"

namespace fleetcert {

std::string inventory_firmware(const InventoryRow& row)
{
  for (const auto& [column, value] : row.extra) {
    if (ascii_iequals(column, "firmware")) {
      return value;
    }
  }
  return {};
}

void apply_inventory_identity(DeviceIdentity& device, const InventoryRow& row)
{
  device.site = row.site;
  if (!row.model.empty()) {
    device.model = row.model;
    device.model_source = std::string(k_inventory_source);
  }
  if (const std::string firmware = inventory_firmware(row); !firmware.empty()) {
    device.firmware = firmware;
    device.firmware_source = std::string(k_inventory_source);
  }
}

DeviceIdentity record_identity(const Record& record)
{
  const Endpoint& endpoint = record.observation.endpoint;
  const Assessment& assessment = record.assessment;
  const std::optional<InventoryRow>& row = assessment.inventory;
  DeviceIdentity identity;
  identity.ip = endpoint.ip;
  identity.host = endpoint.host;
  identity.mac = row && !row->mac.empty() ? row->mac : assessment.mac;
  identity.vendor = !assessment.vendor.empty() ? assessment.vendor : row ? row->vendor : std::string();
  if (row) {
    apply_inventory_identity(identity, *row);
  }
  if (record.identity) {
    merge_announced_identity(identity, *record.identity);
  }
  if (identity.site.empty()) {
    identity.site = record.site;
  }
  return identity;
}

} // namespace fleetcert
