#pragma once
// The check of the bundles the user gave (--vendor-ca, --trust) over a scan: how many certificates
// each verified of those that claim it, and a warning for a bundle that verified none of them (a
// stale or wrong bundle cannot support the provenance it was given to decide). Counts as records
// stream past; memory does not grow with the fleet.

#include "scanner/assessment/provenance.hpp"
#include "scanner/assessment/record.hpp"
#include "scanner/assessment/vendor_profiles.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace fleetcert {

// Something the user should know about the scan's inputs, in reports (scan.warnings[]) and on stderr.
struct ScanWarning
{
  std::string code;    // stable: "vendor-ca-verified-none", "trust-verified-none"
  std::string message; // one paragraph, without "fleetcert: warning: "
};

// What one bundle verified over a scan.
struct BundleUse
{
  std::string option;             // "--vendor-ca" or "--trust"
  std::string vendor;             // --vendor-ca: the profile's name; empty for --trust
  std::vector<std::string> files; // every file given for this bundle
  std::size_t ca_certificates = 0; // in the bundle
  std::uint64_t certificates = 0;  // leaf certificates that claim the bundle's CAs (BundleCheck::add)
  std::uint64_t verified = 0;      // of those, how many chained to the bundle
  // Issuers of the claiming certificates that did not verify, most frequent first: at most
  // BundleCheck::k_max_issuers names, the certificates under any other issuer counted apart.
  std::vector<std::pair<std::string, std::uint64_t>> unverified_issuers;
  std::uint64_t unverified_other = 0;
};

class BundleCheck
{
public:
  static constexpr std::size_t k_max_issuers = 10;     // issuer names kept per bundle
  static constexpr std::size_t k_max_issuer_bytes = 512; // of each name

  // One BundleUse per bundle of `trust`; both must outlive the check.
  BundleCheck(const TrustStores& trust, const VendorProfiles& profiles);

  // Counts one record's leaf (ok, decoded, not self-signed; audited). It claims a vendor's bundle
  // when the bundle verified it, or, when no bundle did, when the device's vendor is that vendor
  // or the leaf's issuer is one of the vendor's factory issuers or names the vendor; it claims the
  // --trust bundle when that verified it, or, when no bundle did, when its issuer is no vendor's
  // factory issuer.
  void add(const Record& record);

  const std::vector<BundleUse>& uses() const { return m_uses; }
  // One per bundle that verified none of the certificates claiming it (at least one did), naming
  // the issuers those certificates carry.
  std::vector<ScanWarning> warnings() const;

private:
  const VendorProfiles* m_profiles;
  std::vector<BundleUse> m_uses;
};

} // namespace fleetcert
