#pragma once
// Making the fleet's CAs, key pools and per-endpoint certificates, and the truth file that says
// what each endpoint presents.

#include "fleet_description.hpp"
#include "support/cert_factory.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace fleetcert::sim {

// A CA made from its description; `issuer` is null for a self-signed root.
struct IssuedCa
{
  CaDescription description;
  testing::PkeyPtr key;
  testing::X509Ptr cert;
  const IssuedCa* issuer = nullptr;
  std::string sha256;
};

// Everything issue_certificates() made that endpoints point into: it must outlive the listeners.
struct FleetCertificates
{
  std::vector<std::unique_ptr<IssuedCa>> cas;               // roots before what they issue
  std::map<std::string, std::vector<testing::PkeyPtr>> key_pools; // by key label ("rsa:2048")
};

// Creates the CAs, then the key pools, then every TLS endpoint's leaf and chain, with `threads`
// threads. Throws DescriptionError (bad substitution, CA cycle) or std::runtime_error (OpenSSL).
FleetCertificates issue_certificates(FleetDescription& fleet, unsigned threads);

// The truth file's document: every endpoint and what it presents, and the CAs (see README.md).
nlohmann::json make_truth(const FleetDescription& fleet, const FleetCertificates& certificates,
                          long pid);

} // namespace fleetcert::sim
