#include "scanner/assessment/record.hpp"

namespace fleetcert {

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
    identity.model = row->model;
    identity.site = row->site;
  }
  if (identity.site.empty()) {
    identity.site = record.site;
  }
  return identity;
}

} // namespace fleetcert
