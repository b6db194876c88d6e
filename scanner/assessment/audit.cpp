// The vendor-aware audit of one record.
//
//   inventory row (by address, else by host name) ─┐
//   MAC (inventory, else the CN's) ────────────────┼─> vendor ─> provenance ─> findings
//   leaf certificate ──────────────────────────────┘

#include "scanner/assessment/audit.hpp"
#include "scanner/util/ascii.hpp"
#include "scanner/util/text.hpp"


#include <algorithm>

namespace fleetcert {
namespace {

const InventoryRow* inventory_row(const Inventory* inventory, const Endpoint& endpoint)
{
  if (inventory == nullptr) {
    return nullptr;
  }
  if (const InventoryRow* row = inventory->find_by_ip(endpoint.ip)) {
    return row;
  }
  if (!endpoint.host.empty()) {
    for (const auto& row : inventory->rows) {
      if (!row.hostname.empty() && ascii_iequals(row.hostname, endpoint.host)) {
        return &row;
      }
    }
  }
  return nullptr;
}

int minimum_bits(std::string_view key_type)
{
  if (key_type == "RSA" || key_type == "RSA-PSS" || key_type == "DSA") {
    return 2048;
  }
  if (key_type == "EC") {
    return 224;
  }
  return 0;
}

bool contains(const std::vector<std::string>& list, std::string_view value)
{
  return std::any_of(list.begin(), list.end(), [&](const std::string& item) { return ascii_iequals(item, value); });
}

std::string join(const std::vector<std::string>& list)
{
  std::string out;
  for (const auto& item : list) {
    out += (out.empty() ? "" : ", ") + item;
  }
  return out;
}

void add_findings(Record& record, const VendorProfile* profile)
{
  Assessment& a = record.assessment;
  const CertificateInfo& leaf = *record.leaf();
  auto add = [&](std::string_view code, std::string message) {
    a.findings.push_back(make_finding(code, std::move(message), profile));
  };
  const std::string vendor = a.vendor.empty() ? std::string("the device") : a.vendor;

  if (!leaf.parsed) {
    add("certificate-unparseable", "the certificate does not decode: " + leaf.parse_error);
    return;
  }
  if (leaf.signature.hash == "SHA1") {
    std::string message = "signed with " + leaf.signature.label + ", which current TLS stacks reject";
    if (profile != nullptr && !profile->sha1_rejected_from.empty()) {
      message += "; " + profile->name + " firmware " + profile->sha1_rejected_from + " and later reject SHA1 certificates";
    }
    add("sha1-rejected", message);
  } else if (a.signature_verdict == SignatureVerdict::rejected) {
    add("weak-signature", "signed with " + leaf.signature.label + ", which can be forged");
  }
  // No portal can replace a self-signed or enterprise-issued certificate with the same algorithms.
  if (is_legacy_factory_generation(profile, a.provenance.kind, a.provenance.vendor, leaf.signature.label)) {
    std::string message = profile->name + " legacy certificate generation (" + leaf.signature.label + ")";
    if (!profile->current_generation.empty()) {
      message += "; current: " + join(profile->current_generation);
    }
    add("legacy-generation", message);
  }
  if (a.cn_class == CnClass::generic) {
    add("generic-cn", "CN " + quote_for_message(leaf.cn) + " is a name shared by many devices, not this device's own");
  }
  if (a.provenance.kind == ProvenanceKind::self_signed) {
    add("self-signed", "self-signed: " + vendor + " carries no certificate from a vendor or enterprise CA");
  }
  if (a.validity == Validity::expired) {
    add("expired", "expired " + std::to_string(-a.days_left.value_or(0)) + " days ago");
  } else if (a.validity == Validity::expiring) {
    add("expiring", "expires in " + std::to_string(a.days_left.value_or(0)) + " days");
  } else if (a.validity == Validity::not_yet_valid) {
    add("not-yet-valid", "not valid before " + (leaf.not_before ? format_iso8601(*leaf.not_before) : std::string("?")));
  }
  const int bits = minimum_bits(leaf.key.type);
  if (bits > 0 && leaf.key.bits > 0 && leaf.key.bits < bits) {
    add("weak-key", leaf.key.type + " key of " + std::to_string(leaf.key.bits) + " bits (at least "
                        + std::to_string(bits) + " expected)");
  }
  if (a.inventory && !a.inventory->mac.empty() && !a.mac.empty() && a.inventory->mac != a.mac) {
    add("mac-mismatch", "the certificate is for MAC " + a.mac + " but the inventory lists " + a.inventory->mac
                            + " at this address");
  }
  if (a.provenance.chain_incomplete) {
    add("chain-incomplete", "verifies only with an intermediate CA certificate the device did not send");
  }
  if (a.provenance.pin_mismatch) {
    add("issuer-pin-mismatch", a.provenance.detail);
  }
  if (a.provenance.kind == ProvenanceKind::custom_ca && a.provenance.basis == ProvenanceBasis::issuer_name) {
    add("unknown-issuer", a.provenance.claims_factory
                              ? a.provenance.detail
                              : "issued by " + quote_for_message(leaf.issuer) + ", a CA fleetcert cannot verify");
    if (a.provenance.claims_factory) {
      a.findings.back().severity = Severity::high;
    }
  }
  sort_findings(a.findings);
}

} // namespace

Finding make_finding(std::string_view code, std::string message, const VendorProfile* profile)
{
  Finding finding;
  finding.code = std::string(code);
  finding.message = std::move(message);
  if (const FindingKind* kind = find_finding_kind(code)) {
    finding.severity = kind->severity;
    finding.remediation = std::string(kind->remediation);
  }
  if (profile != nullptr) {
    if (auto it = profile->remediation.find(finding.code); it != profile->remediation.end()) {
      finding.remediation = it->second;
    }
  }
  return finding;
}

void audit_record(Record& record, const AuditContext& context)
{
  Assessment& a = record.assessment;
  const InventoryRow* row = inventory_row(context.inventory, record.observation.endpoint);
  if (row != nullptr) {
    a.inventory = *row;
  }
  const CertificateInfo* leaf = record.leaf();
  if (leaf == nullptr || context.profiles == nullptr) {
    return;
  }
  static const OuiRegistry k_no_registry;
  static const TrustStores k_no_trust;
  const std::string mac = row != nullptr && !row->mac.empty() ? row->mac : a.mac;
  VendorMatch vendor = context.profiles->detect(row, mac, leaf, context.registry ? *context.registry : k_no_registry);

  // A shared CN any profile knows (the built-in list has only the best known ones); it also names
  // the vendor when nothing else did.
  if (a.cn_class == CnClass::other || a.cn_class == CnClass::generic) {
    for (const auto& profile : context.profiles->all()) {
      if (contains(profile.generic_cns, leaf->cn)) {
        a.cn_class = CnClass::generic;
        if (vendor.vendor.empty()) {
          vendor = VendorMatch{profile.name, "subject-name", &profile};
        }
        break;
      }
    }
  }

  a.provenance = decide_provenance(record.observation.chain, *leaf, vendor, *context.profiles,
                                   context.trust ? *context.trust : k_no_trust);
  // A verified factory chain names the vendor better than any guess.
  if (a.provenance.kind == ProvenanceKind::factory && !a.provenance.vendor.empty()
      && (vendor.vendor.empty() || (a.provenance.basis == ProvenanceBasis::chain && vendor.source != "inventory"))) {
    if (const VendorProfile* profile = context.profiles->find(a.provenance.vendor)) {
      vendor = VendorMatch{profile->name, vendor.vendor == profile->name ? vendor.source : "issuer-name", profile};
    }
  }
  a.vendor = vendor.vendor;
  a.vendor_source = vendor.source;
  add_findings(record, vendor.profile);
}

bool is_legacy_factory_generation(const VendorProfile* profile, std::optional<ProvenanceKind> provenance_kind,
                                  std::string_view provenance_vendor, std::string_view label)
{
  return profile != nullptr && provenance_kind == ProvenanceKind::factory
         && ascii_iequals(provenance_vendor, profile->name) && contains(profile->legacy_generation, label);
}

Record make_record(Observation observation, const AssessmentSettings& settings)
{
  Record record;
  record.chain.reserve(observation.chain.size());
  for (const Der& der : observation.chain) {
    record.chain.push_back(decode_certificate(der));
  }
  record.observation = std::move(observation);
  if (const CertificateInfo* leaf = record.leaf()) {
    record.assessment = assess(*leaf, settings);
  }
  if (settings.audit != nullptr) {
    audit_record(record, *settings.audit);
  }
  return record;
}

} // namespace fleetcert
