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
// inventory's MAC (else the CN's), the assessed vendor (else the inventory's), the inventory's model
// and site (else the scan's --site, Record::site). The device view (FleetView) joins these over the device's ports.
DeviceIdentity record_identity(const Record& record);

} // namespace fleetcert
