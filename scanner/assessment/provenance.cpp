// Provenance. In order:
//   1. the chain (what the device sent + the bundle's intermediates) verifies to a vendor bundle:
//      factory / chain (and the issuer must match the vendor's pins when the profile has some);
//   2. the certificate's own key verifies it (subject = issuer): self-signed;
//   3. it verifies to the enterprise bundle: custom-ca / chain;
//   4. its issuer is a vendor's factory CA by name (O and CN): factory / issuer-name, saying whether
//      the profile's name is verified, unless that vendor's bundle was given and did not verify it
//      (then it only claims to be factory: custom-ca);
//   5. anything else: custom-ca / issuer-name.
// Verification runs at security level 0 and ignores validity dates (checked separately).

#include "scanner/assessment/provenance.hpp"
#include "scanner/util/ascii.hpp"
#include "scanner/util/openssl_handles.hpp"
#include "scanner/util/text.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <optional>

namespace fleetcert {
namespace {

constexpr VocabularyWord<ProvenanceKind> k_provenance_kinds[] = {{ProvenanceKind::factory, "factory"},
                                                                  {ProvenanceKind::self_signed, "self-signed"},
                                                                  {ProvenanceKind::custom_ca, "custom-ca"},
                                                                  {ProvenanceKind::unknown, "unknown"}};

constexpr VocabularyWord<ProvenanceBasis> k_provenance_bases[] = {
    {ProvenanceBasis::chain, "chain"}, {ProvenanceBasis::issuer_name, "issuer-name"}, {ProvenanceBasis::none, "none"}};

Result<std::vector<X509Ptr>> read_pem(std::string_view pem_text, std::string_view source_name)
{
  auto ders = read_certificate_bundle(pem_text, source_name);
  if (!ders) {
    return Error{ders.error()};
  }
  std::vector<X509Ptr> certs;
  for (const Der& der : *ders) {
    certs.push_back(decode_x509(der));
  }
  return certs;
}

bool self_issued(const X509* cert)
{
  return X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0;
}

struct Bundle
{
  std::string vendor; // empty for the enterprise bundle
  std::vector<X509Ptr> certs;
  std::vector<std::string> sources; // the files they came from
  // Every certificate of `certs` as a trust anchor, built once when the bundle is loaded and shared
  // by every verification (X509_STORE is safe to verify against from many threads at once; each
  // verification has its own X509_STORE_CTX and parameters). Null only when OpenSSL is out of memory.
  X509StorePtr store;

  // Rebuilds `store` from `certs` (after certificates were added), before any scan thread runs.
  void build_store()
  {
    store.reset(X509_STORE_new());
    if (store) {
      for (const auto& cert : certs) {
        add_shared_anchor(store.get(), cert.get());
      }
    }
  }
};

// The outcome of one verification against one bundle.
struct Verification
{
  bool verified = false;
  bool used_unsent_intermediate = false;
  Der issuer_der; // the certificate that issued the leaf, in the verified chain
};

Verification verify_against(const X509* leaf, const std::vector<const X509*>& sent_rest, const Bundle& bundle)
{
  Verification result;
  BorrowedX509StackPtr untrusted(sk_X509_new_null());
  if (!bundle.store || !untrusted) {
    return result;
  }
  // Every certificate of the bundle is a trust anchor (partial chains allowed, so a bundle of
  // intermediates only works too); the device's own certificates are only untrusted helpers.
  for (const X509* cert : sent_rest) {
    sk_X509_push(untrusted.get(), const_cast<X509*>(cert));
  }
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), bundle.store.get(), const_cast<X509*>(leaf), untrusted.get()) != 1) {
    ERR_clear_error();
    return result;
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME | X509_V_FLAG_PARTIAL_CHAIN);
  X509_VERIFY_PARAM_set_auth_level(param, 0);
  result.verified = X509_verify_cert(ctx.get()) == 1;
  if (result.verified) {
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
    std::vector<Der> sent; // a few certificates: a list (std::set<Der> trips a g++ 12 -O3 false warning)
    for (const X509* cert : sent_rest) {
      sent.push_back(der_of(cert));
    }
    for (int i = 1; i < sk_X509_num(chain); ++i) {
      const X509* cert = sk_X509_value(chain, i);
      Der der = der_of(cert);
      if (i == 1) {
        result.issuer_der = der;
      }
      if (!self_issued(cert) && std::find(sent.begin(), sent.end(), der) == sent.end()) {
        result.used_unsent_intermediate = true;
      }
    }
    if (sk_X509_num(chain) == 1) {
      result.issuer_der = der_of(leaf); // a leaf that is itself an anchor of the bundle
    }
  }
  ERR_clear_error();
  return result;
}

bool pin_matches(const std::vector<IssuerPin>& pins, const Der& issuer)
{
  for (const auto& pin : pins) {
    const EVP_MD* md = pin.algorithm == "sha256" ? EVP_sha256() : pin.algorithm == "sha1" ? EVP_sha1() : EVP_md5();
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(issuer.data(), issuer.size(), out, &size, md, nullptr) != 1) {
      continue;
    }
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < size; ++i) {
      hex.push_back(k_hex[out[i] >> 4]);
      hex.push_back(k_hex[out[i] & 15]);
    }
    if (hex == pin.hex) {
      return true;
    }
  }
  return false;
}

} // namespace

struct TrustStores::Impl
{
  std::vector<Bundle> vendors;
  Bundle enterprise;

  Bundle* vendor_bundle(std::string_view vendor)
  {
    for (auto& b : vendors) {
      if (ascii_iequals(b.vendor, vendor)) {
        return &b;
      }
    }
    return nullptr;
  }
};

TrustStores::TrustStores() : m_impl(std::make_unique<Impl>()) {}
TrustStores::~TrustStores() = default;
TrustStores::TrustStores(TrustStores&&) noexcept = default;
TrustStores& TrustStores::operator=(TrustStores&&) noexcept = default;

Result<std::size_t> TrustStores::add_vendor_bundle(const std::string& vendor, std::string_view pem_text,
                                                   std::string_view source_name)
{
  auto certs = read_pem(pem_text, source_name);
  if (!certs) {
    return Error{certs.error()};
  }
  Bundle* bundle = m_impl->vendor_bundle(vendor);
  if (bundle == nullptr) {
    m_impl->vendors.push_back(Bundle{vendor, {}, {}, nullptr});
    bundle = &m_impl->vendors.back();
  }
  bundle->sources.emplace_back(source_name);
  const std::size_t count = certs->size();
  for (auto& cert : *certs) {
    bundle->certs.push_back(std::move(cert));
  }
  bundle->build_store();
  return count;
}

Result<std::size_t> TrustStores::add_enterprise_bundle(std::string_view pem_text, std::string_view source_name)
{
  auto certs = read_pem(pem_text, source_name);
  if (!certs) {
    return Error{certs.error()};
  }
  m_impl->enterprise.sources.emplace_back(source_name);
  const std::size_t count = certs->size();
  for (auto& cert : *certs) {
    m_impl->enterprise.certs.push_back(std::move(cert));
  }
  m_impl->enterprise.build_store();
  return count;
}

bool TrustStores::has_vendor(std::string_view vendor) const
{
  return m_impl->vendor_bundle(vendor) != nullptr;
}

bool TrustStores::empty() const
{
  return m_impl->vendors.empty() && m_impl->enterprise.certs.empty();
}

std::vector<TrustBundleInfo> TrustStores::bundles() const
{
  std::vector<TrustBundleInfo> infos;
  for (const Bundle& bundle : m_impl->vendors) {
    infos.push_back(TrustBundleInfo{bundle.vendor, bundle.sources, bundle.certs.size()});
  }
  if (!m_impl->enterprise.sources.empty()) {
    infos.push_back(TrustBundleInfo{{}, m_impl->enterprise.sources, m_impl->enterprise.certs.size()});
  }
  return infos;
}

std::string_view to_string(ProvenanceKind kind)
{
  return vocabulary_word(k_provenance_kinds, kind);
}

std::optional<ProvenanceKind> parse_provenance_kind(std::string_view text)
{
  return vocabulary_value(k_provenance_kinds, text);
}

std::string_view to_string(ProvenanceBasis basis)
{
  return vocabulary_word(k_provenance_bases, basis);
}

std::optional<ProvenanceBasis> parse_provenance_basis(std::string_view text)
{
  return vocabulary_value(k_provenance_bases, text);
}

std::string provenance_text(std::optional<ProvenanceKind> kind, std::optional<ProvenanceBasis> basis)
{
  if (!kind) {
    return {};
  }
  return basis ? word_of(kind) + "/" + word_of(basis) : word_of(kind);
}

Provenance decide_provenance(const std::vector<Der>& chain, const CertificateInfo& leaf, const VendorMatch& vendor,
                             const VendorProfiles& profiles, const TrustStores& trust)
{
  return decide_provenance(chain, leaf, vendor, profiles, trust, nullptr);
}

Provenance decide_provenance(const std::vector<Der>& chain, const CertificateInfo& leaf, const VendorMatch& vendor,
                             const VendorProfiles& profiles, const TrustStores& trust, const ParsedChain* parsed)
{
  Provenance p;
  if (chain.empty() || !leaf.parsed) {
    p.detail = chain.empty() ? "no certificate" : "the certificate could not be decoded";
    return p;
  }
  // The certificates the record decoded are verified as they are (no second d2i_X509). Without
  // them (a caller that has only the bytes), the chain is parsed here, and only when there is
  // something to verify it against: a scan without bundles needs none of it.
  std::optional<ParsedChain> own;
  const X509* leaf_cert = nullptr;
  std::vector<const X509*> sent_rest;
  auto decode_chain = [&]() {
    if (leaf_cert != nullptr) {
      return true;
    }
    // A certificate decoded without an object (parse_chain(chain, already)) is parsed whole here;
    // so is one that does not decode (it fails again: the same verdict). The facts (infos) may
    // have been moved to the record already.
    const auto missing_object = [](const ParsedChain& c) {
      return std::any_of(c.certificates.begin(), c.certificates.end(), [](const ParsedX509& x) { return !x; });
    };
    if (parsed == nullptr || parsed->certificates.size() != chain.size() || missing_object(*parsed)) {
      own = parse_chain(chain);
      parsed = &*own;
    }
    leaf_cert = parsed->certificates.front().get();
    for (std::size_t i = 1; leaf_cert != nullptr && i < parsed->certificates.size(); ++i) {
      if (const X509* cert = parsed->certificates[i].get()) {
        sent_rest.push_back(cert);
      }
    }
    return leaf_cert != nullptr;
  };

  // 1. Vendor bundles, the detected vendor's first.
  std::vector<const Bundle*> order;
  for (const auto& b : trust.m_impl->vendors) {
    if (!vendor.vendor.empty() && ascii_iequals(b.vendor, vendor.vendor)) {
      order.insert(order.begin(), &b);
    } else {
      order.push_back(&b);
    }
  }
  for (const Bundle* bundle : order) {
    if (!decode_chain()) {
      break;
    }
    const Verification v = verify_against(leaf_cert, sent_rest, *bundle);
    if (!v.verified) {
      continue;
    }
    p.vendor_ca = bundle->vendor;
    const VendorProfile* profile = profiles.find(bundle->vendor);
    if (profile != nullptr && !profile->issuer_pins.empty() && !pin_matches(profile->issuer_pins, v.issuer_der)) {
      p.kind = ProvenanceKind::custom_ca;
      p.basis = ProvenanceBasis::chain;
      p.pin_mismatch = true;
      p.detail = "chains to the " + bundle->vendor + " roots given, but its issuer matches none of the profile's thumbprints";
      return p;
    }
    p.kind = ProvenanceKind::factory;
    p.basis = ProvenanceBasis::chain;
    p.vendor = profile != nullptr ? profile->name : bundle->vendor;
    p.chain_incomplete = v.used_unsent_intermediate;
    p.detail = "chains to the " + p.vendor + " CA certificates given";
    return p;
  }

  // 2. Its own key.
  if (leaf.self_signed) {
    p.kind = ProvenanceKind::self_signed;
    p.basis = ProvenanceBasis::chain;
    p.detail = "subject and issuer are the same and its own key verifies its signature";
    return p;
  }

  // 3. The enterprise bundle.
  if (!trust.m_impl->enterprise.certs.empty() && decode_chain()) {
    const Verification v = verify_against(leaf_cert, sent_rest, trust.m_impl->enterprise);
    if (v.verified) {
      p.kind = ProvenanceKind::custom_ca;
      p.basis = ProvenanceBasis::chain;
      p.trust_verified = true;
      p.chain_incomplete = v.used_unsent_intermediate;
      p.detail = "chains to the enterprise CA certificates given (--trust)";
      return p;
    }
  }

  // 4. Names only.
  const FactoryIssuerMatch named = profiles.match_factory_issuer(leaf.issuer);
  if (const VendorProfile* profile = named.profile) {
    if (trust.has_vendor(profile->name)) {
      p.kind = ProvenanceKind::custom_ca;
      p.basis = ProvenanceBasis::issuer_name;
      p.claims_factory = true;
      p.detail = "its issuer is named like the " + profile->name
                 + " factory CA, but it does not chain to the " + profile->name + " CA certificates given";
      return p;
    }
    p.kind = ProvenanceKind::factory;
    p.basis = ProvenanceBasis::issuer_name;
    p.vendor = profile->name;
    p.issuer_verified = named.issuer->verified;
    p.detail = "its issuer is named like the " + profile->name + " factory CA ("
               + quote_for_message(factory_issuer_text(*named.issuer)) + ", "
               + (named.issuer->verified ? "a name the vendor documents" : "an unverified name, perhaps a placeholder")
               + "), but no signature was checked: give --vendor-ca " + profile->name + "=FILE to verify";
    return p;
  }

  // 5. Anything else.
  p.kind = ProvenanceKind::custom_ca;
  p.basis = ProvenanceBasis::issuer_name;
  p.detail = "issued by a CA that is neither a known vendor's nor in the trust bundles given";
  return p;
}

} // namespace fleetcert
