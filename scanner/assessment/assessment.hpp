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
std::string_view to_string(CnClass cn_class);

enum class Validity
{
  valid,
  expiring,
  expired,
  not_yet_valid,
};
std::string_view to_string(Validity validity);

struct AuditContext;

struct AssessmentSettings
{
  std::int64_t now = 0;          // seconds since the epoch
  int expiry_warning_days = 30;  // "expiring" within this many days
  const AuditContext* audit = nullptr; // vendor-aware audit (profiles, trust, inventory); null: none
};

struct Assessment
{
  CnClass cn_class = CnClass::none;
  std::string mac; // 12 upper-case hex digits, when the CN is a MAC
  std::optional<Validity> validity;
  std::optional<std::int64_t> days_left; // whole days until not_after; negative when expired

  // Filled by the vendor-aware audit (audit.hpp).
  std::string vendor;        // profile name or IEEE organisation; empty when unknown
  std::string vendor_source; // "inventory", "mac-prefix", "ieee-registry", "issuer-name", "subject-name"
  Provenance provenance;
  std::optional<InventoryRow> inventory; // the inventory row of this address
  std::vector<Finding> findings;         // worst first
};

// Classifies a CN: a MAC, a known shared generic name (Einstein2), other, or none.
CnClass classify_cn(const CertificateInfo& leaf);

Assessment assess(const CertificateInfo& leaf, const AssessmentSettings& settings);

} // namespace fleetcert
