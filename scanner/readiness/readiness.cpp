// Readiness before a CA root swap (see readiness.hpp).
//
// One verification per port: X509_verify_cert with the after-bundle as the only trust anchors
// (partial chains allowed, so a bundle of intermediates works too), the certificates the device
// sent as untrusted helpers, the swap instant as the verification time and security level 0 (the
// policy below decides on hashes and keys, not OpenSSL's defaults). A verify callback records
// every error and lets verification go on, so one pass yields every reason: chain errors, and the
// validity of every certificate of the (possibly partial) chain on that date.

#include "scanner/readiness/readiness.hpp"
#include "scanner/util/ascii.hpp"
#include "scanner/util/openssl_handles.hpp"
#include "scanner/util/port_status.hpp"
#include "scanner/util/text.hpp"

#include "scanner/assessment/audit.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cmath>

namespace fleetcert {
namespace {

// The SIP-over-TLS port whose certificate a firmware stage may say is not the provisioning one.
constexpr std::uint16_t k_sip_tls_port = 5061;

constexpr const char* k_not_chained_remediation =
    "Install on the device a certificate that chains to the new roots (for a factory certificate, ask the vendor "
    "for the current generation; for your own, reissue it from the new CA), or, if the server must keep trusting "
    "it, add the CA it chains to to the new bundle.";
constexpr const char* k_bundle_expired_remediation =
    "A certificate of the new bundle is not valid on the swap date: get the vendor's current root or intermediate "
    "and put it in the bundle.";
constexpr const char* k_no_chain_remediation =
    "The report carries no certificate chain (PEM) for this port, as reports of older fleetcert versions do: scan "
    "again, or run readiness with the scan options instead of --report.";
constexpr const char* k_no_certificate_remediation =
    "Check that the device is powered, reachable and that the inventory is current, then run readiness again.";

// One error the verification met, at a depth of the chain it built (0 = the leaf).
struct VerifyIssue
{
  int error = 0;
  int depth = 0;
};

extern "C" int collect_issue(int ok, X509_STORE_CTX* ctx)
{
  if (ok == 0) {
    auto* issues = static_cast<std::vector<VerifyIssue>*>(X509_STORE_CTX_get_app_data(ctx));
    const VerifyIssue issue{X509_STORE_CTX_get_error(ctx), X509_STORE_CTX_get_error_depth(ctx)};
    if (issues != nullptr && std::none_of(issues->begin(), issues->end(), [&](const VerifyIssue& i) {
          return i.error == issue.error && i.depth == issue.depth;
        })) {
      issues->push_back(issue);
    }
  }
  return 1; // go on: every reason is wanted, not only the first
}

bool is_time_error(int error)
{
  return error == X509_V_ERR_CERT_NOT_YET_VALID || error == X509_V_ERR_CERT_HAS_EXPIRED
         || error == X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD || error == X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD;
}

// What X509_verify_cert said about one chain.
struct Verification
{
  bool ran = false;
  std::vector<X509Ptr> chain; // the chain it built, leaf first (partial when it does not chain); own references
  std::size_t untrusted = 0;  // the first `untrusted` certificates of `chain` are the device's
  std::vector<VerifyIssue> issues;
};

// `store` holds the after-bundle's anchors (TrustAfter's, built once); verification runs in its own
// X509_STORE_CTX, with its own time and flags, so the store is shared as it is.
Verification verify_at(X509* leaf, const std::vector<X509*>& sent_rest, X509_STORE* store, std::int64_t at)
{
  Verification result;
  BorrowedX509StackPtr untrusted(sk_X509_new_null());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (store == nullptr || !untrusted || !ctx) {
    ERR_clear_error();
    return result;
  }
  for (X509* cert : sent_rest) {
    sk_X509_push(untrusted.get(), cert);
  }
  if (X509_STORE_CTX_init(ctx.get(), store, leaf, untrusted.get()) != 1) {
    ERR_clear_error();
    return result;
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  X509_VERIFY_PARAM_set_auth_level(param, 0);
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(at));
  X509_STORE_CTX_set_app_data(ctx.get(), &result.issues);
  X509_STORE_CTX_set_verify_cb(ctx.get(), collect_issue);
  X509_verify_cert(ctx.get()); // the callback accepts everything: the issues are the verdict
  result.ran = true;
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
    X509* cert = sk_X509_value(chain, i);
    if (X509_up_ref(cert) == 1) {
      result.chain.emplace_back(cert);
    }
  }
  result.untrusted = static_cast<std::size_t>(std::max(0, X509_STORE_CTX_get_num_untrusted(ctx.get())));
  ERR_clear_error();
  return result;
}

// Empty when the key passes the policy, else why not.
std::string key_problem(const KeyInfo& key, const ReadinessPolicy& policy)
{
  if (key.type == "RSA" || key.type == "RSA-PSS" || key.type == "DSA") {
    if (key.bits < policy.min_rsa_bits) {
      return key.type + " key of " + std::to_string(key.bits) + " bits (at least " + std::to_string(policy.min_rsa_bits)
             + " required)";
    }
    return {};
  }
  if (key.type == "EC") {
    if (key.bits < policy.min_ec_bits) {
      return "EC key on " + (key.curve.empty() ? std::string("an unnamed curve") : key.curve) + " ("
             + std::to_string(key.bits) + " bits; at least " + std::to_string(policy.min_ec_bits) + " required)";
    }
    return {};
  }
  if (key.type == "Ed25519" || key.type == "Ed448") {
    return {};
  }
  return "key type " + quote_for_message(key.type) + " is none the policy accepts (RSA, RSA-PSS, DSA, EC, Ed25519, Ed448)";
}

std::string remediation_for(std::string_view finding_code, const VendorProfile* profile)
{
  return make_finding(finding_code, {}, profile).remediation;
}

// The profile whose shared generic CNs include `cn`, if any.
const VendorProfile* generic_cn_owner(const VendorProfiles& profiles, std::string_view cn)
{
  for (const auto& p : profiles.all()) {
    if (std::any_of(p.generic_cns.begin(), p.generic_cns.end(), [&](const std::string& g) { return ascii_iequals(g, cn); })) {
      return &p;
    }
  }
  return nullptr;
}

} // namespace

Result<std::set<std::string>> parse_rejected_hashes(std::string_view text)
{
  static const std::set<std::string> k_known{"MD2", "MD4", "MD5", "SHA1", "SHA224", "SHA256", "SHA384", "SHA512"};
  std::set<std::string> hashes;
  for (const std::string_view piece : split(text, ',')) {
    const std::string_view word = trim_blanks(piece);
    std::string name = ascii_upper(word);
    name.erase(std::remove(name.begin(), name.end(), '-'), name.end()); // "sha-1" = "sha1"
    if (name == "NONE" && text.find(',') == std::string_view::npos) {
      return std::set<std::string>{};
    }
    if (k_known.count(name) == 0) {
      return Error{quote_for_message(word)
                   + " is not a hash name (md2, md4, md5, sha1, sha224, sha256, sha384, sha512, or none)"};
    }
    hashes.insert(name);
  }
  return hashes;
}

struct TrustAfter::Impl
{
  std::vector<X509Ptr> certs;
  std::vector<CertificateInfo> infos; // of certs, decoded with them
  std::vector<std::string> subjects;
  std::vector<std::string> fingerprints;
  X509StorePtr store; // every one of certs as a trust anchor, built once
};

TrustAfter::TrustAfter() : m_impl(std::make_unique<Impl>()) {}
TrustAfter::~TrustAfter() = default;
TrustAfter::TrustAfter(TrustAfter&&) noexcept = default;
TrustAfter& TrustAfter::operator=(TrustAfter&&) noexcept = default;

Result<TrustAfter> TrustAfter::from_pem(std::string_view pem_text, std::string_view source_name)
{
  const auto ders = read_certificate_bundle(pem_text, source_name);
  if (!ders) {
    return Error{ders.error()};
  }
  TrustAfter trust;
  trust.m_impl->store.reset(X509_STORE_new());
  for (const Der& der : *ders) {
    ParsedCertificate parsed = parse_certificate(der);
    trust.m_impl->subjects.push_back(parsed.info.subject);
    trust.m_impl->fingerprints.push_back(parsed.info.sha256);
    if (trust.m_impl->store && parsed.x509) {
      add_shared_anchor(trust.m_impl->store.get(), parsed.x509.get());
    }
    trust.m_impl->certs.emplace_back(parsed.x509.release());
    trust.m_impl->infos.push_back(std::move(parsed.info));
  }
  return trust;
}

const std::vector<std::string>& TrustAfter::subjects() const
{
  return m_impl->subjects;
}

const std::vector<std::string>& TrustAfter::fingerprints() const
{
  return m_impl->fingerprints;
}

std::string_view to_string(Readiness readiness)
{
  switch (readiness) {
  case Readiness::ready: return "ready";
  case Readiness::not_ready: return "not-ready";
  case Readiness::unknown: return "unknown";
  }
  return "unknown";
}

PortReadiness evaluate_port(const ReadinessEndpoint& endpoint, const TrustAfter& trust, const ReadinessPolicy& policy,
                            const VendorProfiles& profiles, const VendorProfile* profile,
                            std::vector<ReadinessReason>& reasons)
{
  PortReadiness port;
  port.port = endpoint.port;
  port.certificate_received = endpoint.certificate_received;
  port.error_class = endpoint.error_class;
  if (!endpoint.certificate_received) {
    return port; // unknown; the device decides what that means
  }
  const std::size_t first_reason = reasons.size();
  auto add = [&](std::string code, std::string message, std::string remediation) {
    reasons.push_back(ReadinessReason{std::move(code), endpoint.port, std::move(message), std::move(remediation)});
  };
  if (endpoint.chain.empty()) {
    add("no-chain", "a certificate was received, but the report holds no chain to verify", k_no_chain_remediation);
    return port;
  }

  // Each certificate of the chain is parsed once; the verified chain's facts are those of the
  // objects verification used (the device's or the after-bundle's), not a second parse.
  ParsedChain parsed = parse_chain(endpoint.chain);
  const CertificateInfo& leaf = parsed.infos.front();
  port.leaf_subject = leaf.subject;
  port.leaf_sha256 = leaf.sha256;
  X509* leaf_cert = parsed.certificates.front().get();
  if (leaf_cert == nullptr) {
    add("unparseable", "the certificate does not decode" + (leaf.parse_error.empty() ? "" : ": " + leaf.parse_error),
        remediation_for("certificate-unparseable", profile));
    port.status = Readiness::not_ready;
    return port;
  }
  std::vector<X509*> sent_rest;
  for (std::size_t i = 1; i < parsed.certificates.size(); ++i) {
    if (X509* cert = parsed.certificates[i].get()) {
      sent_rest.push_back(cert);
    }
  }

  const Verification v = verify_at(leaf_cert, sent_rest, trust.impl().store.get(), policy.at);
  const std::string when = format_iso8601(policy.at);
  // The facts of a certificate of the verified chain, from whichever parse made its object.
  const auto facts_of = [&](const X509* cert) {
    for (std::size_t i = 0; i < parsed.certificates.size(); ++i) {
      if (parsed.certificates[i].get() == cert) {
        return parsed.infos[i];
      }
    }
    for (std::size_t i = 0; i < trust.impl().certs.size(); ++i) {
      if (trust.impl().certs[i].get() == cert) {
        return trust.impl().infos[i];
      }
    }
    return decode_certificate(*cert, der_of(cert)); // not expected: OpenSSL builds chains of what it is given
  };
  std::vector<CertificateInfo> chain_info;
  for (const X509Ptr& cert : v.chain) {
    chain_info.push_back(facts_of(cert.get()));
  }
  auto name_at = [&](std::size_t depth) {
    if (depth == 0) {
      return std::string("the leaf");
    }
    const std::string subject = depth < chain_info.size() ? quote_for_message(chain_info[depth].subject) : "?";
    return (depth < v.untrusted ? "the chain certificate " : "the new bundle's certificate ") + subject;
  };

  // 1. Does it chain to the new roots?
  std::vector<std::string> chain_errors;
  for (const VerifyIssue& issue : v.issues) {
    if (!is_time_error(issue.error)) {
      const std::string text = X509_verify_cert_error_string(issue.error);
      if (std::find(chain_errors.begin(), chain_errors.end(), text) == chain_errors.end()) {
        chain_errors.push_back(text);
      }
    }
  }
  if (!v.ran) {
    chain_errors.push_back("verification could not run");
  }
  if (chain_errors.empty()) {
    for (const CertificateInfo& info : chain_info) {
      port.verified_chain.push_back(info.subject);
    }
  } else {
    std::string message = "does not chain to the new roots (";
    for (std::size_t i = 0; i < chain_errors.size(); ++i) {
      message += (i == 0 ? "" : "; ") + chain_errors[i];
    }
    message += ")";
    if (!chain_info.empty()) {
      const CertificateInfo& top = chain_info.back();
      if (top.self_signed) {
        message += chain_info.size() == 1 ? ": it is self-signed"
                                          : ": its chain ends at the self-signed " + quote_for_message(top.subject);
      } else {
        message += chain_info.size() == 1 ? ": its issuer is " + quote_for_message(top.issuer)
                                          : ": its chain ends at " + quote_for_message(top.subject) + ", issued by "
                                                + quote_for_message(top.issuer);
      }
    }
    // The vendor's portal replaces only its own factory generation (the scan's provenance says which
    // certificate that is); anything else needs the certificate the after-swap bundle expects.
    std::string remediation = k_not_chained_remediation;
    if (is_legacy_factory_generation(profile, endpoint.provenance_kind, endpoint.provenance_vendor,
                                     leaf.signature.label)) {
      remediation = remediation_for("legacy-generation", profile);
    } else if (leaf.self_signed) {
      remediation = remediation_for("self-signed", profile);
    }
    add("not-chained", message, remediation);
  }

  // 2. Validity on the swap date, of every certificate the verification used.
  for (const VerifyIssue& issue : v.issues) {
    if (!is_time_error(issue.error) || issue.depth < 0 || static_cast<std::size_t>(issue.depth) >= chain_info.size()) {
      continue;
    }
    const std::size_t depth = static_cast<std::size_t>(issue.depth);
    const CertificateInfo& info = chain_info[depth];
    const bool expired = issue.error == X509_V_ERR_CERT_HAS_EXPIRED || issue.error == X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD;
    std::string message = name_at(depth);
    if (expired) {
      message += info.not_after ? " expires " + format_iso8601(*info.not_after) + ", before " + when
                                : " has an unreadable notAfter";
    } else {
      message += info.not_before ? " is not valid before " + format_iso8601(*info.not_before) + ", after " + when
                                 : " has an unreadable notBefore";
    }
    std::string remediation = depth >= v.untrusted ? std::string(k_bundle_expired_remediation)
                                                   : remediation_for(expired ? "expired" : "not-yet-valid", profile);
    add(expired ? "expired" : "not-yet-valid", message, remediation);
  }

  // 3. Signatures and keys of what the device sent (leaf and intermediates; a root's
  //    self-signature does not count).
  const std::size_t sent_in_chain = std::min(std::max<std::size_t>(v.untrusted, 1), chain_info.size());
  for (std::size_t depth = 0; depth < sent_in_chain; ++depth) {
    const CertificateInfo& info = chain_info[depth];
    if (depth > 0 && info.self_signed) {
      continue;
    }
    const std::string& hash = info.signature.hash;
    if (!hash.empty() && policy.rejected_hashes.count(hash) != 0) {
      add("rejected-signature",
          name_at(depth) + " is signed with " + info.signature.label + " (" + hash + " is rejected after the swap)",
          remediation_for(hash == "SHA1" ? "sha1-rejected" : "weak-signature", profile));
    }
    if (const std::string problem = key_problem(info.key, policy); !problem.empty()) {
      add("weak-key", name_at(depth) + ": " + problem, remediation_for("weak-key", profile));
    }
  }

  // 4. A name shared by many devices.
  const VendorProfile* owner = generic_cn_owner(profiles, leaf.cn);
  if (owner != nullptr || endpoint.cn_class == CnClass::generic) {
    add("generic-cn",
        "CN " + quote_for_message(leaf.cn) + " is a name shared by many devices, not this device's own",
        remediation_for("generic-cn", profile != nullptr ? profile : owner));
  }

  port.status = reasons.size() == first_reason ? Readiness::ready : Readiness::not_ready;
  return port;
}

std::vector<ReadinessNote> firmware_notes(const VendorProfile& profile, const DeviceIdentity& device,
                                          const std::vector<std::uint16_t>& sip_ports)
{
  std::vector<ReadinessNote> notes;
  const FirmwareStageMatch match = firmware_stage(profile, device.model, device.firmware);
  if (match.status == RuleStatus::unknown) {
    std::string bounds;
    for (const FirmwareStage& stage : profile.firmware_stages) {
      for (const std::string* version : {&stage.from, &stage.below}) {
        if (!version->empty() && bounds.find(*version) == std::string::npos) {
          bounds += (bounds.empty() ? "" : ", ") + *version;
        }
      }
    }
    const std::string missing = device.model.empty() && device.firmware.empty() ? "model and firmware are"
                                : device.firmware.empty()                        ? "firmware is"
                                                                                 : "model is";
    notes.push_back({"firmware-unknown",
                     "the device's " + missing + " unknown (no inventory column, nothing announced): " + profile.name
                         + "'s firmware stages (" + bounds + ") decide which certificate provisioning checks, and "
                           "cannot be told for it",
                     false});
    return notes;
  }
  if (match.status != RuleStatus::applies) {
    return notes;
  }
  const FirmwareStage& stage = *match.stage;
  const std::string where = "firmware " + quote_for_message(device.firmware) + " (" + device.firmware_source + ") is "
                            + profile.name + " stage " + stage.name + ": ";
  if (!stage.sip_certificate_is_provisioning_certificate) {
    std::string ports;
    for (std::uint16_t port : sip_ports) {
      ports += (ports.empty() ? "" : ", ") + std::to_string(port);
    }
    notes.push_back({"sip-certificate-not-provisioning",
                     where + "the certificate on the SIP port" + (ports.empty() ? std::string() : " (" + ports + ")")
                         + " is not the one the provisioning server checks, so this verdict does not cover "
                           "provisioning. "
                         + stage.note});
  }
  if (stage.provisioning_needs_new_server_certificates) {
    notes.push_back({"provisioning-needs-new-server-certificates",
                     where + "the provisioning server needs the vendor's new server certificates. " + stage.note});
  }
  return notes;
}

DeviceReadiness evaluate_device(const ReadinessDeviceInput& device, const TrustAfter& trust,
                                const ReadinessPolicy& policy, const VendorProfiles& profiles)
{
  DeviceReadiness result;
  result.identity() = device.identity();
  const VendorProfile* profile = device.vendor.empty() ? nullptr : profiles.find(device.vendor);

  std::vector<ReadinessEndpoint> endpoints = device.endpoints;
  std::stable_sort(endpoints.begin(), endpoints.end(),
                   [](const ReadinessEndpoint& a, const ReadinessEndpoint& b) { return a.port < b.port; });
  bool any_certificate = false;
  bool any_unknown = false;
  bool any_not_ready = false;
  for (const ReadinessEndpoint& endpoint : endpoints) {
    result.ports.push_back(evaluate_port(endpoint, trust, policy, profiles, profile, result.reasons));
    const PortReadiness& port = result.ports.back();
    if (!port.certificate_received) {
      continue;
    }
    any_certificate = true;
    any_not_ready = any_not_ready || port.status == Readiness::not_ready;
    any_unknown = any_unknown || port.status == Readiness::unknown;
  }
  if (any_not_ready) {
    result.status = Readiness::not_ready;
  } else if (!any_certificate) {
    std::string message = "no certificate on any port";
    std::vector<PortStatus> ports;
    for (const PortReadiness& port : result.ports) {
      ports.push_back({port.port, port.error_class ? std::string(to_string(*port.error_class)) : std::string("error")});
    }
    const std::string detail = format_port_statuses(ports);
    result.reasons.push_back(ReadinessReason{"no-certificate", 0, detail.empty() ? message : message + " (" + detail + ")",
                                             k_no_certificate_remediation});
    result.status = Readiness::unknown;
  } else {
    result.status = any_unknown ? Readiness::unknown : Readiness::ready;
  }
  if (profile != nullptr) {
    // A SIP port is one the scan sent a SIP OPTIONS on (--sip-ports); without an identity request,
    // the SIP-over-TLS port 5061.
    std::vector<std::uint16_t> sip_ports;
    for (const ReadinessEndpoint& endpoint : endpoints) {
      const bool sip = endpoint.identity_request ? *endpoint.identity_request == IdentityProtocol::sip
                                                 : endpoint.port == k_sip_tls_port;
      if (sip && endpoint.certificate_received
          && std::find(sip_ports.begin(), sip_ports.end(), endpoint.port) == sip_ports.end()) {
        sip_ports.push_back(endpoint.port);
      }
    }
    result.notes = firmware_notes(*profile, device, sip_ports);
  }
  // With a not-ready port, the reasons of unknown ports (no chain) still say what is missing.
  for (const ReadinessReason& reason : result.reasons) {
    if (!reason.remediation.empty()
        && std::find(result.remediation.begin(), result.remediation.end(), reason.remediation) == result.remediation.end()) {
      result.remediation.push_back(reason.remediation);
    }
  }
  return result;
}

bool counts_as_device(const ReadinessDeviceInput& device)
{
  if (device.in_inventory) {
    return true;
  }
  return std::any_of(device.endpoints.begin(), device.endpoints.end(), [](const ReadinessEndpoint& e) {
    return e.certificate_received || !e.error_class || something_answered(*e.error_class);
  });
}

void ReadinessCount::add(Readiness status)
{
  ++devices;
  switch (status) {
  case Readiness::ready: ++ready; break;
  case Readiness::not_ready: ++not_ready; break;
  case Readiness::unknown: ++unknown; break;
  }
}

double percent(std::size_t part, std::size_t whole)
{
  if (whole == 0) {
    return 0.0;
  }
  return std::round(1000.0 * static_cast<double>(part) / static_cast<double>(whole)) / 10.0;
}

ReadinessTotals tally_readiness(const std::vector<DeviceReadiness>& devices)
{
  ReadinessTotals totals;
  for (const DeviceReadiness& device : devices) {
    totals.overall.add(device.status);
    totals.by_vendor[device.vendor].add(device.status);
    totals.by_model[device.model].add(device.status);
    totals.by_site[device.site].add(device.status);
    std::set<std::string> codes;
    for (const ReadinessReason& reason : device.reasons) {
      codes.insert(reason.code);
    }
    for (const std::string& code : codes) {
      ++totals.devices_by_reason[code];
    }
  }
  return totals;
}

} // namespace fleetcert
