// The vendor-aware audit of one record.
//
//   inventory row (by address, else by host name) ─┐
//   MAC (inventory, else the CN's) ────────────────┼─> vendor ─> provenance ─> findings
//   leaf certificate ──────────────────────────────┘
//
// The vendor is the device's: a vendor from the inventory, the MAC prefix or the IEEE registry is
// kept even when the certificate's chain (or issuer name) says another vendor's factory CA issued
// it (finding `vendor-mismatch`); only a vendor guessed from certificate names, or none, is
// replaced by the vendor whose factory CA issued the certificate.

#include "scanner/assessment/audit.hpp"
#include "scanner/assessment/identity.hpp"
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

// True when `source` names the device itself (inventory, MAC, its own announcement), not its
// certificate's names.
bool is_device_vendor_source(std::string_view source)
{
  return source == "inventory" || source == "mac-prefix" || source == "ieee-registry" || source == "identity";
}

// True when the row was made or filled from a DHCP lease (merge_dhcp_leases marks it).
bool from_dhcp_lease(const InventoryRow& row)
{
  return std::any_of(row.extra.begin(), row.extra.end(),
                     [](const auto& column) { return column.first == "dhcp_lease"; });
}

// Where the device's MAC `mac` came from, for messages: "the inventory", "the inventory/DHCP lease"
// (a row a lease made or filled in) or "the certificate's CN".
std::string mac_origin(const InventoryRow* row, std::string_view mac)
{
  if (row != nullptr && !row->mac.empty() && row->mac == mac) {
    return from_dhcp_lease(*row) ? "the inventory/DHCP lease" : "the inventory";
  }
  return "the certificate's CN";
}

// "announced in its SIP User-Agent 'Gigaset N870 IP PRO/83.V2.43.0'": where an identity was read.
std::string announced_where(const AnnouncedIdentity& identity)
{
  std::string where = "announced in its ";
  switch (identity.source.value_or(IdentitySource::sip_user_agent)) {
  case IdentitySource::sip_user_agent:
    where += "SIP User-Agent";
    break;
  case IdentitySource::sip_server:
    where += "SIP Server header";
    break;
  case IdentitySource::http_server:
    where += "HTTP Server header";
    break;
  case IdentitySource::http_title:
    where += "web page title";
    break;
  }
  if (!identity.raw.empty()) {
    where += " " + quote_for_message(identity.raw);
  }
  return where;
}

// "by the inventory", "by the MAC prefix of 0004F2A1B2C3, from the inventory", ...
std::string vendor_basis(const VendorMatch& vendor, const InventoryRow* row, std::string_view mac,
                         const std::optional<AnnouncedIdentity>& announced)
{
  if (vendor.source == "inventory") {
    return "by the inventory";
  }
  if (vendor.source == "identity" && announced) {
    return "by what it " + announced_where(*announced);
  }
  const std::string what = vendor.source == "mac-prefix" ? "by the MAC prefix of " : "by the IEEE registry entry of ";
  return what + std::string(mac) + ", from " + mac_origin(row, mac);
}

// True when the device's vendor and the vendor whose factory CA issued its certificate are one.
bool same_vendor(const VendorMatch& device, std::string_view certificate_vendor)
{
  if (device.profile != nullptr) {
    return ascii_iequals(device.profile->name, certificate_vendor);
  }
  return ascii_iequals(device.vendor, certificate_vendor);
}

// The findings only the device's own announcement shows: identity-mac-mismatch, model-mismatch,
// and vendor-mismatch with the announced vendor. `vendor` is the device's vendor as decided.
void add_identity_findings(Record& record, const InventoryRow* row, const VendorMatch& vendor,
                           const VendorProfiles& profiles)
{
  if (!record.identity || !record.identity->source) {
    return;
  }
  const AnnouncedIdentity& identity = *record.identity;
  Assessment& a = record.assessment;
  const std::string where = announced_where(identity);
  if (!identity.mac.empty()) {
    std::vector<std::string> others;
    if (!a.mac.empty() && a.mac != identity.mac) {
      others.push_back("its certificate's CN names " + a.mac);
    }
    if (row != nullptr && !row->mac.empty() && row->mac != identity.mac) {
      others.push_back(mac_origin(row, row->mac) + " says " + row->mac);
    }
    if (!others.empty()) {
      a.findings.push_back(make_finding("identity-mac-mismatch",
                                        "the device announces MAC " + identity.mac + " (" + where + ") but "
                                            + join(others) + ": a certificate or configuration copied from another "
                                            "device, or a wrong inventory row",
                                        vendor.profile));
    }
  }
  // The announcing vendor's profile knows its model decorations ("N870 IP PRO" is the inventory's "N870").
  const VendorProfile* model_profile = !identity.vendor.empty() ? profiles.find(identity.vendor) : nullptr;
  model_profile = model_profile != nullptr ? model_profile : vendor.profile;
  const std::vector<std::string> no_decorations;
  const std::vector<std::string>& decorations = model_profile != nullptr ? model_profile->model_decorations : no_decorations;
  if (row != nullptr && !row->model.empty() && !identity.model.empty()
      && !same_model(row->model, identity.model, decorations)) {
    a.findings.push_back(make_finding("model-mismatch",
                                      "the inventory says model " + quote_for_message(row->model) + " but the device is "
                                          + quote_for_message(identity.model) + " (" + where + ")",
                                      vendor.profile));
  }
  if (!identity.vendor.empty() && !vendor.vendor.empty() && vendor.source != "identity") {
    const VendorProfile* announced = profiles.find(identity.vendor);
    const std::string announced_name = announced != nullptr ? announced->name : identity.vendor;
    if (!same_vendor(vendor, announced_name)) {
      const std::string message = "the device is " + vendor.vendor + " (" + vendor.source + ") but announces itself as "
                                  + announced_name + " (" + where + ")";
      auto existing = std::find_if(a.findings.begin(), a.findings.end(),
                                   [](const Finding& f) { return f.code == "vendor-mismatch"; });
      if (existing != a.findings.end()) {
        existing->message += "; " + message;
      } else {
        a.findings.push_back(make_finding("vendor-mismatch", message, vendor.profile));
      }
    }
  }
}

// The firmware stage's word on a self-signed certificate, for the self-signed finding: why the
// device has one (it generated it itself) or that its firmware is unknown; "" when the profile has
// no such stage.
std::string self_signed_explanation(const VendorProfile* profile, const DeviceIdentity& device)
{
  if (profile == nullptr
      || std::none_of(profile->firmware_stages.begin(), profile->firmware_stages.end(),
                      [](const FirmwareStage& stage) { return stage.self_signed_generated; })) {
    return {};
  }
  const FirmwareStageMatch match = firmware_stage(*profile, device.model, device.firmware);
  if (match.status == RuleStatus::applies && match.stage->self_signed_generated) {
    return "the device generated it itself: firmware " + quote_for_message(device.firmware) + " (from "
           + device.firmware_source + ") is in " + profile->name + "'s stage " + match.stage->name + ": "
           + match.stage->note;
  }
  if (match.status == RuleStatus::unknown) {
    for (const FirmwareStage& stage : profile->firmware_stages) {
      if (stage.self_signed_generated) {
        return "whether the device generated it itself is unknown: its firmware is unknown (" + stage.note + ")";
      }
    }
  }
  return {};
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
    std::string message = "self-signed: " + vendor + " carries no certificate from a vendor or enterprise CA";
    if (const std::string why = self_signed_explanation(profile, record_identity(record)); !why.empty()) {
      message += "; " + why;
    }
    add("self-signed", std::move(message));
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
    add("mac-mismatch", "the certificate was issued to another device: its CN names MAC " + a.mac + ", this device is "
                            + a.inventory->mac + " (from " + mac_origin(&*a.inventory, a.inventory->mac)
                            + "): a certificate copied from another device, or a wrong inventory row");
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
  audit_record(record, context, nullptr);
}

void audit_record(Record& record, const AuditContext& context, const ParsedChain* parsed)
{
  Assessment& a = record.assessment;
  record.site = context.site;
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
  // What the device announces of itself names its vendor before its certificate's names do.
  if (!is_device_vendor_source(vendor.source) && record.identity && !record.identity->vendor.empty()) {
    if (const VendorProfile* announced = context.profiles->find(record.identity->vendor)) {
      vendor = VendorMatch{announced->name, "identity", announced};
    }
  }

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
                                   context.trust ? *context.trust : k_no_trust, parsed);
  // A factory certificate says whose the *certificate* is. The device's own vendor (inventory,
  // MAC) stays and a disagreement is a finding; a vendor guessed from certificate names gives way
  // to a verified chain (or, with nothing else, to the factory issuer's name).
  std::optional<Finding> mismatch;
  if (a.provenance.kind == ProvenanceKind::factory && !a.provenance.vendor.empty()) {
    if (is_device_vendor_source(vendor.source)) {
      if (!same_vendor(vendor, a.provenance.vendor)) {
        const bool verified = a.provenance.basis == ProvenanceBasis::chain;
        mismatch = make_finding(
            "vendor-mismatch",
            "the device is " + vendor.vendor + " (" + vendor_basis(vendor, row, mac, record.identity) + ") but its certificate "
                + (verified ? "chains to the " + a.provenance.vendor + " CA certificates given (--vendor-ca)"
                            : "names the " + a.provenance.vendor + " factory CA as its issuer (not verified)")
                + ": the device's vendor is kept",
            vendor.profile);
      }
    } else if (vendor.vendor.empty() || a.provenance.basis == ProvenanceBasis::chain) {
      if (const VendorProfile* profile = context.profiles->find(a.provenance.vendor)) {
        vendor = VendorMatch{profile->name, vendor.vendor == profile->name ? vendor.source : "issuer-name", profile};
      }
    }
  }
  a.vendor = vendor.vendor;
  a.vendor_source = vendor.source;
  add_findings(record, vendor.profile);
  if (mismatch) {
    a.findings.push_back(std::move(*mismatch));
  }
  add_identity_findings(record, row, vendor, *context.profiles);
  sort_findings(a.findings);
}

bool is_legacy_factory_generation(const VendorProfile* profile, std::optional<ProvenanceKind> provenance_kind,
                                  std::string_view provenance_vendor, std::string_view label)
{
  return profile != nullptr && provenance_kind == ProvenanceKind::factory
         && ascii_iequals(provenance_vendor, profile->name) && contains(profile->legacy_generation, label);
}

Record make_record(Observation observation, const AssessmentSettings& settings)
{
  // Each certificate is parsed once: its facts and the X509 objects provenance verifies come from
  // the same d2i_X509, OpenSSL's in the handshake when the probe kept them. The objects live as long
  // as this call; the record keeps only the facts.
  Record record;
  std::vector<ParsedX509> already;
  already.reserve(observation.peer_certificates.size());
  for (x509_st* cert : observation.peer_certificates.release()) {
    already.emplace_back(cert);
  }
  ParsedChain parsed = parse_chain(observation.chain, std::move(already));
  record.chain = std::move(parsed.infos);
  record.observation = std::move(observation);
  // What the device announced, read with the audit's profiles (the built-in ones without an audit).
  // A port that gave no certificate and no answer gets no identity: its record's error already says
  // why there was no exchange.
  const std::optional<IdentityExchange>& exchange = record.observation.identity;
  if (exchange && (!record.chain.empty() || !exchange->response.empty())) {
    static const VendorProfiles k_builtin_profiles = VendorProfiles::builtin();
    const VendorProfiles& profiles = settings.audit != nullptr && settings.audit->profiles != nullptr
                                         ? *settings.audit->profiles
                                         : k_builtin_profiles;
    record.identity = read_announced_identity(*record.observation.identity, profiles);
  }
  if (const CertificateInfo* leaf = record.leaf()) {
    record.assessment = assess(*leaf, settings);
  }
  if (settings.audit != nullptr) {
    audit_record(record, *settings.audit, &parsed);
  }
  return record;
}

} // namespace fleetcert
