#pragma once
// Assessment: what a certificate means. Pure functions: "now" is a parameter.

#include "scanner/certificate/certificate.hpp"
#include "scanner/assessment/findings.hpp"
#include "scanner/inputs/inventory.hpp"
#include "scanner/assessment/provenance.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fleetcert {

enum class CnClass
{
  mac,
  generic,
  other,
  none,
};
// "mac", "generic", "other", "none"; parse_cn_class is its inverse (nullopt for any other word).
std::string_view to_string(CnClass cn_class);
std::optional<CnClass> parse_cn_class(std::string_view text);

enum class Validity
{
  valid,
  expiring,
  expired,
  not_yet_valid,
};
// "valid", "expiring", "expired", "not-yet-valid"; parse_validity is its inverse.
std::string_view to_string(Validity validity);
std::optional<Validity> parse_validity(std::string_view text);

// What a signature is worth today (DESIGN.md): SHA1, MD5 and weaker are rejected.
enum class SignatureVerdict
{
  current,
  legacy,
  rejected,
};
// "current", "legacy", "rejected"; parse_signature_verdict is its inverse.
std::string_view to_string(SignatureVerdict verdict);
std::optional<SignatureVerdict> parse_signature_verdict(std::string_view text);

// The verdict on a decoded signature: rejected for MD2/MD4/MD5/SHA1/MDC2/RIPEMD160, for no hash
// (except Ed25519/Ed448) and for an algorithm OpenSSL does not know; legacy for SHA224, DSA and
// an unknown key type; current otherwise.
SignatureVerdict judge_signature(const SignatureInfo& signature);

struct AuditContext;

struct AssessmentSettings
{
  std::int64_t now = 0;          // seconds since the epoch
  int expiry_warning_days = 30;  // "expiring" within this many days
  const AuditContext* audit = nullptr; // vendor-aware audit (profiles, trust, inventory); null: none
};

struct Assessment
{
  std::optional<SignatureVerdict> signature_verdict; // of the leaf, when it decodes
  CnClass cn_class = CnClass::none;
  std::string mac; // 12 upper-case hex digits: the MAC the subject names (mac_of_subject), else empty
  std::optional<Validity> validity;
  std::optional<std::int64_t> days_left; // whole days until not_after; negative when expired

  // Filled by the vendor-aware audit (audit.hpp).
  std::string vendor;        // profile name or IEEE organisation; empty when unknown
  std::string vendor_source; // "inventory", "mac-prefix", "ieee-registry", "issuer-name", "subject-name"
  Provenance provenance;
  std::optional<InventoryRow> inventory; // the inventory row of this address
  std::vector<Finding> findings;         // worst first
};

// The MAC a CN names, 12 upper-case hex digits: the CN itself ("0004F2A1B2C3", any separators),
// Cisco's "SEP<MAC>" or its MIC's "CP-<model>-SEP<MAC>"; nullopt otherwise.
std::optional<std::string> mac_of_cn(std::string_view cn);

// The MAC a leaf's subject names: its CN's (mac_of_cn), else a stateOrProvinceName that is a MAC
// ("S=<MAC>", as Cisco's multiplatform firmware certificates carry it).
std::optional<std::string> mac_of_subject(const CertificateInfo& leaf);

// Classifies a CN: a MAC (mac_of_cn), a known shared generic name (Einstein2), other, or none.
CnClass classify_cn(const CertificateInfo& leaf);

Assessment assess(const CertificateInfo& leaf, const AssessmentSettings& settings);

} // namespace fleetcert
