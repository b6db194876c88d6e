#pragma once
// The device view: both ports of one address (and its inventory row) joined, plus what only the
// whole fleet shows: the same certificate or key on several devices, inventory devices that never
// answered, devices that answered but are not in the inventory.
//
// Memory: one entry per address that presented a certificate or is in the inventory, and per name
// that did not resolve; dead space costs nothing. Skipped records (a name whose address is
// excluded) are not part of the view.

#include "scanner/assessment/audit.hpp"
#include "scanner/assessment/findings.hpp"
#include "scanner/inputs/inventory.hpp"
#include "scanner/model/device_identity.hpp"
#include "scanner/assessment/record.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace fleetcert {

// One port of a device, as the device view shows it.
struct DevicePort
{
  std::uint16_t port = 0;
  std::string status;         // "ok" or the error class
  std::string sha256;         // leaf fingerprint, when ok
  std::string signature_label;
  std::string provenance;     // kind, when ok
  std::string not_after;      // ISO 8601, when known
  std::string cn;             // the leaf's CN, when ok and it has one
  std::string validity;       // the validity word, when known
  std::optional<std::int64_t> days_left; // whole days from the scan's "now" to not_after, when known
};

// One device of the scan: its identity (model and site from its inventory row), every port scanned.
struct Device : DeviceIdentity
{
  std::string vendor_source;
  std::optional<InventoryRow> inventory;
  std::vector<DevicePort> ports;  // in port order
  std::vector<Finding> findings;  // endpoint and fleet findings, one per code, worst first

  bool answered() const; // presented a certificate on at least one port
  std::optional<Severity> worst() const;
};

// True for the codes only the whole fleet shows (FleetView::finish adds them): shared-certificate,
// shared-key, not-answering, not-in-inventory.
bool is_fleet_wide_code(std::string_view code);

class FleetView
{
public:
  explicit FleetView(const Inventory* inventory = nullptr);

  // The inventory of the cross-check (finish() reads it), for a view whose inventory is known only
  // once its records have streamed past (`fleetcert report` takes it from the records); null: none.
  void set_inventory(const Inventory* inventory) { m_inventory = inventory; }
  // The scan's --site: the site of an inventory device that never showed up when its row names none.
  void set_site(std::string site) { m_site = std::move(site); }
  // Which inventory rows the cross-check covers (--shard: this shard's devices only); null: all.
  void set_inventory_scope(std::function<bool(const InventoryRow&)> in_scope) { m_in_scope = std::move(in_scope); }
  // Adds one record (called as records complete).
  void add(const Record& record);
  // Adds the fleet-wide findings and the inventory rows that never showed up; call once, at the end.
  void finish();

  // Devices, worst first (then by address).
  const std::vector<Device>& devices() const { return m_sorted; }
  // Fleet-wide findings of one address (shared-certificate, shared-key, not-in-inventory).
  const std::vector<Finding>* fleet_findings(const std::string& ip) const;

  std::vector<std::string> not_answering() const;    // inventory devices without a certificate on any port
  std::vector<std::string> not_in_inventory() const; // devices with a certificate that the inventory lacks

private:
  Device& device_for(const Record& record);

  const Inventory* m_inventory;
  std::string m_site;
  std::function<bool(const InventoryRow&)> m_in_scope;
  std::map<std::string, Device> m_devices;                        // by ip (or host when unresolved)
  std::unordered_map<std::string, std::vector<std::string>> m_by_certificate; // leaf sha256 -> ips
  std::unordered_map<std::string, std::map<std::string, std::set<std::string>>> m_by_key; // spki -> ip -> leaf sha256s
  std::unordered_map<std::string, std::vector<Finding>> m_fleet_findings;
  std::unordered_map<std::string, std::vector<DevicePort>> m_recent_errors; // ports of addresses not kept yet
  std::deque<std::string> m_recent_order;
  std::vector<Device> m_sorted;
};

} // namespace fleetcert
