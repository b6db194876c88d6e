// The device view. Records arrive one endpoint at a time, in completion order:
//
//   add(record) ─┬─ certificate, inventory row, ─> m_devices[ip, or the name] (ports, findings by code)
//                │  or a name that did not resolve
//                ├─ error, device not kept yet ───> m_recent_errors (bounded; joins the device if
//                │                                   its other port presents a certificate later)
//                └─ leaf / key fingerprints ──────> m_by_certificate, m_by_key
//   finish() ──> shared-certificate, shared-key, not-answering, not-in-inventory; sorted devices

#include "scanner/assessment/fleet_view.hpp"

#include <algorithm>
#include <tuple>
#include <set>

namespace fleetcert {
namespace {

constexpr std::size_t k_recent_errors = 16384;
constexpr std::size_t k_listed_peers = 5;

std::string list_peers(const std::vector<std::string>& ips, const std::string& self)
{
  std::string out;
  std::size_t listed = 0;
  for (const auto& ip : ips) {
    if (ip == self) {
      continue;
    }
    if (listed == k_listed_peers) {
      out += ", ...";
      break;
    }
    out += (listed++ == 0 ? "" : ", ") + ip;
  }
  return out;
}

DevicePort port_of(const Record& record)
{
  DevicePort port;
  port.port = record.observation.endpoint.port;
  if (const CertificateInfo* leaf = record.leaf()) {
    port.status = "ok";
    port.sha256 = leaf->sha256;
    port.signature_label = leaf->signature.label;
    port.provenance = std::string(to_string(record.assessment.provenance.kind));
    if (leaf->not_after) {
      port.not_after = format_iso8601(*leaf->not_after);
    }
    if (leaf->parsed && leaf->has_cn) {
      port.cn = leaf->cn;
    }
    if (record.assessment.validity) {
      port.validity = std::string(to_string(*record.assessment.validity));
    }
    port.days_left = record.assessment.days_left;
  } else {
    // A handshake that ended without a certificate and without an error is a protocol problem.
    const ErrorClass error = record.observation.error == ErrorClass::none ? ErrorClass::protocol : record.observation.error;
    port.status = std::string(to_string(error));
  }
  return port;
}

void add_port(Device& device, DevicePort port)
{
  auto it = std::lower_bound(device.ports.begin(), device.ports.end(), port.port,
                             [](const DevicePort& p, std::uint16_t value) { return p.port < value; });
  device.ports.insert(it, std::move(port));
}

// One finding per code and device; the ports it was seen on are appended to the message.
void merge_finding(Device& device, const Finding& finding, std::uint16_t port)
{
  const std::string where = "port " + std::to_string(port);
  for (auto& existing : device.findings) {
    if (existing.code == finding.code) {
      existing.message += "; also on " + where;
      return;
    }
  }
  Finding copy = finding;
  copy.message = where + ": " + copy.message;
  device.findings.push_back(std::move(copy));
}

// The inventory row of a device: it names the model and site.
void attach_inventory(Device& device, const InventoryRow& row)
{
  device.inventory = row;
  apply_inventory_identity(device, row);
}

} // namespace

bool is_fleet_wide_code(std::string_view code)
{
  return code == "shared-certificate" || code == "shared-key" || code == "not-answering" || code == "not-in-inventory";
}

bool Device::answered() const
{
  return std::any_of(ports.begin(), ports.end(), [](const DevicePort& p) { return p.status == "ok"; });
}

std::optional<Severity> Device::worst() const
{
  std::optional<Severity> worst;
  for (const auto& f : findings) {
    if (!worst || f.severity > *worst) {
      worst = f.severity;
    }
  }
  return worst;
}

FleetView::FleetView(const Inventory* inventory) : m_inventory(inventory) {}

Device& FleetView::device_for(const Record& record)
{
  const Endpoint& endpoint = record.observation.endpoint;
  const std::string& key = device_address(endpoint.ip, endpoint.host);
  auto [it, inserted] = m_devices.try_emplace(key);
  Device& device = it->second;
  if (inserted) {
    device.ip = endpoint.ip;
    device.host = endpoint.host;
    if (auto pending = m_recent_errors.find(key); pending != m_recent_errors.end()) {
      for (auto& port : pending->second) {
        add_port(device, std::move(port));
      }
      m_recent_errors.erase(pending);
    }
  }
  return device;
}

void FleetView::add(const Record& record)
{
  const Assessment& a = record.assessment;
  const Endpoint& endpoint = record.observation.endpoint;
  const std::string& key = device_address(endpoint.ip, endpoint.host);
  if (record.skipped()) {
    return; // not scanned on purpose (its address is excluded): not a device of this scan
  }
  // A name that did not resolve is a device under its name: the user asked for it by name.
  const bool unresolved_name = endpoint.ip.empty() && !endpoint.host.empty();
  if (!record.ok() && !a.inventory && !unresolved_name && m_devices.count(key) == 0) {
    // Not (yet) a device: remember the port briefly, in case the other port answers.
    auto& ports = m_recent_errors[key];
    if (ports.empty()) {
      m_recent_order.push_back(key);
      if (m_recent_order.size() > k_recent_errors) {
        m_recent_errors.erase(m_recent_order.front());
        m_recent_order.pop_front();
      }
    }
    ports.push_back(port_of(record));
    return;
  }

  Device& device = device_for(record);
  add_port(device, port_of(record));
  if (a.inventory && !device.inventory) {
    attach_inventory(device, *a.inventory);
  }
  const DeviceIdentity seen = record_identity(record);
  if (device.site.empty()) {
    device.site = seen.site; // the scan's --site when the inventory names none
  }
  if (device.mac.empty()) {
    device.mac = seen.mac;
  }
  if (record.identity) {
    merge_announced_identity(device, *record.identity);
  }
  if (device.vendor.empty() && !seen.vendor.empty()) {
    device.vendor = seen.vendor;
    // The assessed vendor, else the inventory's (a device that gave no certificate yet).
    device.vendor_source = a.vendor.empty() ? "inventory" : a.vendor_source;
  }
  for (const auto& finding : a.findings) {
    merge_finding(device, finding, endpoint.port);
  }
  if (const CertificateInfo* leaf = record.leaf()) {
    auto& holders = m_by_certificate[leaf->sha256];
    if (std::find(holders.begin(), holders.end(), key) == holders.end()) {
      holders.push_back(key);
    }
    if (!leaf->key.spki_sha256.empty()) {
      m_by_key[leaf->key.spki_sha256][key].insert(leaf->sha256);
    }
  }
}

void FleetView::finish()
{
  m_recent_errors.clear();
  m_recent_order.clear();
  // One finding per code and device: a device sharing two certificates gets one, with both reasons.
  auto add_fleet = [&](const std::string& key, std::string_view code, std::string message) {
    auto& fleet = m_fleet_findings[key];
    for (auto& existing : fleet) {
      if (existing.code == code) {
        existing.message += "; " + message;
        for (auto& f : m_devices[key].findings) {
          if (f.code == code) {
            f.message = existing.message;
          }
        }
        return;
      }
    }
    Finding finding = make_finding(code, std::move(message), nullptr);
    fleet.push_back(finding);
    m_devices[key].findings.push_back(std::move(finding));
  };

  for (const auto& [sha256, holders] : m_by_certificate) {
    if (holders.size() < 2) {
      continue;
    }
    for (const auto& key : holders) {
      add_fleet(key, "shared-certificate",
                "the same certificate (sha256 " + sha256.substr(0, 16) + "...) is on " + std::to_string(holders.size())
                    + " devices: also " + list_peers(holders, key));
    }
  }
  for (const auto& [spki, by_device] : m_by_key) {
    std::set<std::string> certificates;
    std::vector<std::string> holders;
    for (const auto& [key, fingerprints] : by_device) {
      certificates.insert(fingerprints.begin(), fingerprints.end());
      holders.push_back(key);
    }
    if (holders.size() < 2 || certificates.size() < 2) {
      continue;
    }
    for (const auto& key : holders) {
      add_fleet(key, "shared-key",
                "the same public key (spki sha256 " + spki.substr(0, 16) + "...) is in " + std::to_string(certificates.size())
                    + " different certificates on " + std::to_string(holders.size()) + " devices: also "
                    + list_peers(holders, key));
    }
  }

  if (m_inventory != nullptr) {
    for (auto& [key, device] : m_devices) {
      if (device.answered() && !device.inventory) {
        add_fleet(key, "not-in-inventory", "presented a certificate but is not in the inventory");
      }
    }
    for (const auto& row : m_inventory->rows) {
      std::string key = device_address(row.ip, row.hostname);
      if (row.ip.empty()) {
        // A row known by name only: its records are filed under the address the name resolved to.
        for (const auto& [k, d] : m_devices) {
          if (d.inventory && d.inventory->line == row.line) {
            key = k;
            break;
          }
        }
      }
      auto it = m_devices.find(key);
      if (it == m_devices.end()) {
        if (m_in_scope && !m_in_scope(row)) {
          continue; // another shard's device: that shard's report checks it
        }
        Device& device = m_devices[key];
        device.ip = row.ip;
        device.host = row.hostname;
        device.mac = row.mac;
        device.vendor = row.vendor;
        device.vendor_source = row.vendor.empty() ? "" : "inventory";
        attach_inventory(device, row);
        if (device.site.empty()) {
          device.site = m_site;
        }
        it = m_devices.find(key);
      }
      if (!it->second.answered()) {
        Finding finding = make_finding("not-answering", "in the inventory but presented no certificate on any port scanned",
                                       nullptr);
        it->second.findings.push_back(std::move(finding));
      }
    }
  }

  m_sorted.clear();
  m_sorted.reserve(m_devices.size());
  for (auto& [key, device] : m_devices) {
    sort_findings(device.findings);
    m_sorted.push_back(device);
  }
  // Worst first, then in address order.
  auto order = [](const Device& d) {
    const int worst = d.worst() ? static_cast<int>(*d.worst()) : -1;
    return std::tuple(-worst, address_order(d));
  };
  std::stable_sort(m_sorted.begin(), m_sorted.end(),
                   [&](const Device& a, const Device& b) { return order(a) < order(b); });
}

const std::vector<Finding>* FleetView::fleet_findings(const std::string& ip) const
{
  auto it = m_fleet_findings.find(ip);
  return it == m_fleet_findings.end() ? nullptr : &it->second;
}

std::vector<std::string> FleetView::not_answering() const
{
  std::vector<std::string> out;
  for (const auto& device : m_sorted) {
    if (device.inventory && !device.answered()) {
      out.push_back(device.address());
    }
  }
  return out;
}

std::vector<std::string> FleetView::not_in_inventory() const
{
  std::vector<std::string> out;
  if (m_inventory == nullptr) {
    return out;
  }
  for (const auto& device : m_sorted) {
    if (device.answered() && !device.inventory) {
      out.push_back(device.address());
    }
  }
  return out;
}

} // namespace fleetcert
