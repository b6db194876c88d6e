// The device identity helpers (see device_identity.hpp).

#include "scanner/model/device_identity.hpp"

namespace fleetcert {
namespace {

// 0 for the inventory, 1.. for the identity sources in order of trust; higher for "" and unknown words.
int source_rank(std::string_view source)
{
  if (source == k_inventory_source) {
    return 0;
  }
  if (const auto parsed = parse_identity_source(source)) {
    return 1 + static_cast<int>(*parsed);
  }
  return 100;
}

void merge_field(std::string& value, std::string& source, const std::string& announced, IdentitySource from)
{
  if (announced.empty()) {
    return;
  }
  const int current = value.empty() ? 100 : source_rank(source);
  const int offered = source_rank(to_string(from));
  if (offered < current || (offered == current && announced < value)) {
    value = announced;
    source = std::string(to_string(from));
  }
}

} // namespace

void merge_announced_identity(DeviceIdentity& device, const AnnouncedIdentity& announced)
{
  if (!announced.source) {
    return;
  }
  merge_field(device.model, device.model_source, announced.model, *announced.source);
  merge_field(device.firmware, device.firmware_source, announced.firmware, *announced.source);
}


AddressOrder address_order(const DeviceIdentity& device)
{
  const auto address = parse_address(device.ip);
  return AddressOrder(!address.has_value(), address ? address->first : true, address ? address->second : uint128{0},
                      device.address());
}

} // namespace fleetcert
