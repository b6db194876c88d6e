// The device identity helpers (see device_identity.hpp).

#include "scanner/model/device_identity.hpp"

namespace fleetcert {

AddressOrder address_order(const DeviceIdentity& device)
{
  const auto address = parse_address(device.ip);
  return AddressOrder(!address.has_value(), address ? address->first : true, address ? address->second : uint128{0},
                      device.address());
}

} // namespace fleetcert
