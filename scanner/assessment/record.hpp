#pragma once
// One record per endpoint: what the wire said, the decoded certificates and the assessment.
// This is what report writers read.

#include "scanner/assessment/assessment.hpp"
#include "scanner/certificate/certificate.hpp"
#include "scanner/model/observation.hpp"

#include <vector>

namespace fleetcert {

struct Record
{
  Observation observation;            // target, TLS facts, error
  std::vector<CertificateInfo> chain; // decoded observation.chain, leaf first
  Assessment assessment;              // of the leaf, when there is one

  // "ok" whenever a certificate was received, even if the handshake failed afterwards.
  bool ok() const { return !chain.empty(); }
  // Not connected to on purpose (a name whose address is excluded): neither ok nor an error.
  bool skipped() const { return observation.skipped != SkipReason::none; }
  const CertificateInfo* leaf() const { return chain.empty() ? nullptr : &chain.front(); }
};

} // namespace fleetcert
