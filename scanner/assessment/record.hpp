#pragma once
// One record per endpoint: what the wire said, the decoded certificates and the assessment.
// This is what report writers read.

#include "scanner/assessment/assessment.hpp"
#include "scanner/certificate/certificate.hpp"
#include "scanner/model/announced_identity.hpp"
#include "scanner/model/device_identity.hpp"
#include "scanner/model/observation.hpp"

#include <vector>

namespace fleetcert {

struct Record
{
  Observation observation;            // target, TLS facts, error
  std::vector<CertificateInfo> chain; // decoded observation.chain, leaf first
  Assessment assessment;              // of the leaf, when there is one
  // What the device announced of itself (issue 14), read from observation.identity: nullopt when
  // no identity exchange was attempted.
  std::optional<AnnouncedIdentity> identity;
  // The record as one JSON line (reports' record_to_json and dump_json), rendered once on the
  // network thread before delivery when the scan writes JSON; empty: not rendered (sinks render it).
  std::string rendered_json;
  // The scan's site (--site): the device's site when its inventory row names none (the inventory's
  // site wins). Empty: no --site.
  std::string site;

  // "ok" whenever a certificate was received, even if the handshake failed afterwards.
  bool ok() const { return !chain.empty(); }
  // Not connected to on purpose (a name whose address is excluded): neither ok nor an error.
  bool skipped() const { return observation.skipped != SkipReason::none; }
  const CertificateInfo* leaf() const { return chain.empty() ? nullptr : &chain.front(); }
};

// Who the record's device is, as far as this one record tells: the endpoint's address and name, the
// inventory's MAC (else the CN's), the assessed vendor (else the inventory's), the inventory's model,
// firmware and site, else the model and firmware the device announced (record.identity) and the
// scan's --site (Record::site). The device view (FleetView) joins these over the device's ports.
DeviceIdentity record_identity(const Record& record);

// The inventory row's firmware: its "firmware" column (any case) among the extra columns; "" when none.
std::string inventory_firmware(const InventoryRow& row);

// Sets the device's site, and its model and firmware (source "inventory") where the row gives them;
// what the row lacks is left as it is (an announced model stays).
void apply_inventory_identity(DeviceIdentity& device, const InventoryRow& row);

} // namespace fleetcert
