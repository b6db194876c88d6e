#pragma once
// Who a device is, as every device view names it: the scan's fleet view (Device), a saved
// report's devices (ReportDevice), a diff's snapshots (DeviceSnapshot) and readiness
// (ReadinessDeviceInput, DeviceReadiness) all are a DeviceIdentity plus what they know besides.

#include "scanner/model/announced_identity.hpp"
#include "scanner/util/ip_address.hpp"

#include <string>
#include <string_view>
#include <tuple>

namespace fleetcert {

// The address, or the host name when there is none (a name that never resolved): what a device
// is keyed and shown by.
inline const std::string& device_address(const std::string& ip, const std::string& host)
{
  return ip.empty() ? host : ip;
}

struct DeviceIdentity
{
  std::string ip;     // as format_address writes it; empty for a host name that never resolved
  std::string host;   // the name the device was scanned as, if any
  std::string mac;    // 12 upper-case hex digits: the inventory's, else the certificate CN's
  std::string vendor; // the assessed vendor, else the inventory's
  std::string model;  // the inventory's, else what the device announced (model_source says which)
  std::string site;   // from the inventory
  std::string firmware;        // the inventory's "firmware" column, else what the device announced
  std::string model_source;    // "inventory", an identity source ("sip-user-agent", ...); "" without a model
  std::string firmware_source; // as model_source, for the firmware

  // device_address(ip, host).
  const std::string& address() const { return device_address(ip, host); }
  // The identity part of a device view, to copy from one view into another.
  DeviceIdentity& identity() { return *this; }
  const DeviceIdentity& identity() const { return *this; }
};

// The inventory's source word for model_source and firmware_source: "inventory".
inline constexpr std::string_view k_inventory_source = "inventory";

// Fills the device's model and firmware from one port's announced identity, field by field: a
// field is taken when the device has none, or has one from a less trusted source. Trust, highest
// first: the inventory, then sip-user-agent, sip-server, http-server, http-title (SIP before HTTP);
// between two announcements of one source the smaller text wins, so the result does not depend on
// the order the ports completed in.
void merge_announced_identity(DeviceIdentity& device, const AnnouncedIdentity& announced);

// The group that per-site, per-vendor and per-model totals count a device under when it has no
// site, vendor or model: "(none)". A site or vendor really named so is counted with them.
inline constexpr std::string_view k_no_group = "(none)";

// `name`, or k_no_group when it is empty: the key of a device's group in totals.
inline std::string group_name(std::string_view name)
{
  return std::string(name.empty() ? k_no_group : name);
}

// A sort key for address order: IPv4 numerically, then IPv6 numerically, then host names.
using AddressOrder = std::tuple<bool, bool, uint128, std::string>;
AddressOrder address_order(const DeviceIdentity& device);

} // namespace fleetcert
