#pragma once
// The vendor-aware audit of one record: vendor, provenance, inventory cross-check, findings.
// Pure: the profiles, trust stores, inventory and registry are loaded beforehand.

#include "findings.hpp"
#include "inventory.hpp"
#include "oui_registry.hpp"
#include "provenance.hpp"
#include "vendor_profiles.hpp"

namespace fleetcert {

struct Record;

// What the audit knows besides the record; every pointer may be null except profiles.
struct AuditContext
{
  const VendorProfiles* profiles = nullptr;
  const TrustStores* trust = nullptr;
  const Inventory* inventory = nullptr;
  const OuiRegistry* registry = nullptr;
};

// Fills record.assessment's vendor, provenance, inventory row and endpoint findings.
void audit_record(Record& record, const AuditContext& context);

// A finding of `code` with the vendor's remediation when its profile has one, else the default.
Finding make_finding(std::string_view code, std::string message, const VendorProfile* profile);

} // namespace fleetcert
