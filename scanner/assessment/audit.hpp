#pragma once
// The vendor-aware audit of one record: vendor, provenance, inventory cross-check, findings.
// Pure: the profiles, trust stores, inventory and registry are loaded beforehand.

#include "scanner/assessment/findings.hpp"
#include "scanner/inputs/inventory.hpp"
#include "scanner/inputs/oui_registry.hpp"
#include "scanner/assessment/provenance.hpp"
#include "scanner/assessment/vendor_profiles.hpp"
#include "scanner/assessment/record.hpp"

namespace fleetcert {

// What the audit knows besides the record; every pointer may be null except profiles.
struct AuditContext
{
  const VendorProfiles* profiles = nullptr;
  const TrustStores* trust = nullptr;
  const Inventory* inventory = nullptr;
  const OuiRegistry* registry = nullptr;
  std::string site{}; // --site: stamped on every record (Record::site); the inventory row's site wins
};

// The record of one observation: decodes its chain, assesses the leaf at settings.now, reads the
// announced identity of observation.identity (read_announced_identity, with the audit's profiles or
// the built-in ones) and, when settings.audit is set, audits it. Pure.
Record make_record(Observation observation, const AssessmentSettings& settings);

// Fills record.assessment's vendor, provenance, inventory row and endpoint findings.
void audit_record(Record& record, const AuditContext& context);
// The same with record.observation.chain already parsed (parse_chain; only its certificates are
// used): provenance verifies those objects instead of parsing the chain again. Null: as above.
void audit_record(Record& record, const AuditContext& context, const ParsedChain* parsed);

// True when a leaf signed `label` is the vendor's previous factory generation: its provenance is
// factory for that vendor (a self-signed or enterprise-issued one with the same algorithms is not).
bool is_legacy_factory_generation(const VendorProfile* profile, std::optional<ProvenanceKind> provenance_kind,
                                  std::string_view provenance_vendor, std::string_view label);

// A finding of `code` with the vendor's remediation when its profile has one, else the default.
Finding make_finding(std::string_view code, std::string message, const VendorProfile* profile);

} // namespace fleetcert
