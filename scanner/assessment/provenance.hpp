#pragma once
// Provenance: where a device's certificate comes from, decided cryptographically. The trust
// material (vendor CA bundles, the enterprise bundle) is loaded once; deciding is pure.

#include "scanner/certificate/certificate.hpp"
#include "scanner/model/result.hpp"
#include "scanner/assessment/vendor_profiles.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleetcert {

struct Provenance;
class TrustStores;
Provenance decide_provenance(const std::vector<Der>& chain, const CertificateInfo& leaf, const VendorMatch& vendor,
                             const VendorProfiles& profiles, const TrustStores& trust);
Provenance decide_provenance(const std::vector<Der>& chain, const CertificateInfo& leaf, const VendorMatch& vendor,
                             const VendorProfiles& profiles, const TrustStores& trust, const ParsedChain* parsed);

enum class ProvenanceKind
{
  factory,
  self_signed,
  custom_ca,
  unknown,
};
// "factory", "self-signed", "custom-ca", "unknown"; parse_provenance_kind is its inverse.
std::string_view to_string(ProvenanceKind kind);
std::optional<ProvenanceKind> parse_provenance_kind(std::string_view text);

enum class ProvenanceBasis
{
  chain,       // verified: a signature chain to the given roots (or the certificate's own key)
  issuer_name, // heuristic: only the names say so
  none,        // nothing to go on (no certificate, or one that does not parse)
};
// "chain", "issuer-name", "none"; parse_provenance_basis is its inverse.
std::string_view to_string(ProvenanceBasis basis);
std::optional<ProvenanceBasis> parse_provenance_basis(std::string_view text);

// How reports and filters write a provenance: "factory/chain"; the kind alone without a basis;
// "" without a kind.
std::string provenance_text(std::optional<ProvenanceKind> kind, std::optional<ProvenanceBasis> basis);

struct Provenance
{
  ProvenanceKind kind = ProvenanceKind::unknown;
  ProvenanceBasis basis = ProvenanceBasis::none;
  std::string vendor;            // the vendor whose CA issued it (factory), when known
  bool chain_incomplete = false; // verified only with an intermediate the device did not send
  bool pin_mismatch = false;     // chained to the vendor's roots, but its issuer matches none of the pins
  bool claims_factory = false;   // the issuer name is a vendor's factory CA but the chain does not verify
  // Factory by issuer name only: whether the profile's name for that CA is verified (documented by
  // the vendor or checked against real devices); unset for every other provenance.
  std::optional<bool> issuer_verified;
  std::string detail;            // one sentence: why
  // Which given bundle verified the chain, for the scan's check of its bundles (not in reports).
  std::string vendor_ca;         // the --vendor-ca vendor whose bundle it verified against (pins aside)
  bool trust_verified = false;   // it verified against the --trust bundle
};

// One bundle the user gave, as loaded: a vendor's (--vendor-ca) or the enterprise's (--trust).
struct TrustBundleInfo
{
  std::string vendor;             // the profile's name; empty for the --trust bundle
  std::vector<std::string> files; // every file given for it, in order
  std::size_t certificates = 0;   // CA certificates read from them
};

// CA certificates the user gave: per vendor (--vendor-ca VENDOR=FILE) and the enterprise's (--trust).
class TrustStores
{
public:
  TrustStores();
  ~TrustStores();
  TrustStores(TrustStores&&) noexcept;
  TrustStores& operator=(TrustStores&&) noexcept;

  // Adds the PEM certificates of `pem_text` to a vendor's bundle. Errors name the source.
  Result<std::size_t> add_vendor_bundle(const std::string& vendor, std::string_view pem_text,
                                        std::string_view source_name);
  Result<std::size_t> add_enterprise_bundle(std::string_view pem_text, std::string_view source_name);
  bool has_vendor(std::string_view vendor) const;
  bool empty() const;
  // The vendor bundles in the order first given, then the --trust bundle when one was given.
  std::vector<TrustBundleInfo> bundles() const;

  struct Impl;

private:
  friend Provenance decide_provenance(const std::vector<Der>& chain, const CertificateInfo& leaf,
                                      const VendorMatch& vendor, const VendorProfiles& profiles,
                                      const TrustStores& trust, const ParsedChain* parsed);
  std::unique_ptr<Impl> m_impl;
};

// Decides the provenance of a chain (leaf first, as received). `vendor` is the detected vendor
// (its bundle is tried first). Expiry is not considered here: an expired factory certificate is
// still factory. `parsed`, when given, is `chain` already parsed (parse_chain): its certificates are
// verified as they are; without it the chain is parsed here when a bundle needs it.
Provenance decide_provenance(const std::vector<Der>& chain, const CertificateInfo& leaf,
                             const VendorMatch& vendor, const VendorProfiles& profiles,
                             const TrustStores& trust);
Provenance decide_provenance(const std::vector<Der>& chain, const CertificateInfo& leaf,
                             const VendorMatch& vendor, const VendorProfiles& profiles,
                             const TrustStores& trust, const ParsedChain* parsed);

} // namespace fleetcert
