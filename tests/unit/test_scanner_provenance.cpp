// Tests for scanner/provenance: the trust stores (vendor and enterprise PEM bundles) and
// decide_provenance on chains built here with the certificate factory: factory by chain (with and
// without the intermediate the device should send, partial-chain anchors, issuer pins), self-signed,
// custom CA, names only, claims of a factory CA that do not verify, and legacy signatures.

#include "scanner/certificate/certificate.hpp"
#include "scanner/assessment/provenance.hpp"
#include "scanner/assessment/vendor_profiles.hpp"
#include "support/cert_factory.hpp"

#include <doctest/doctest.h>

#include <openssl/evp.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace fleetcert;
using namespace fleetcert::testing;

namespace {

constexpr const char* k_gigaset_ca_subject =
    "/C=DE/ST=Germany/L=Bocholt/O=Gigaset Communications GmbH/OU=Certificate Authority/CN=Gigaset.net";
constexpr const char* k_polycom_root_subject = "/C=US/O=Polycom Inc./CN=Polycom Root CA";
constexpr const char* k_polycom_issuing_subject = "/C=US/O=Polycom Inc./CN=Polycom Equipment Issuing CA 1";

const KeySpec k_ec{"ec", 0, "P-256"};
const KeySpec k_rsa_1024{"rsa", 1024, ""};

// A key and the certificate made for it.
// Signs a certificate for `subject` with `issuer` (null: self-signed).
Issued issue(const std::string& subject, const Issued* issuer, bool ca, const KeySpec& key_spec = k_ec,
             const std::string& hash = "sha256", std::int64_t not_after_offset = 365 * 86400)
{
  Issued issued;
  issued.key = generate_key(key_spec);
  CertSpec spec;
  spec.subject = parse_subject(subject);
  spec.ca = ca;
  spec.hash = hash;
  spec.not_after_offset_seconds = not_after_offset;
  if (not_after_offset < 0) {
    spec.not_before_offset_seconds = not_after_offset - 365 * 86400;
  }
  issued.cert = make_certificate(spec, issued.key.get(), issuer != nullptr ? issuer->cert.get() : nullptr,
                                 issuer != nullptr ? issuer->key.get() : issued.key.get());
  return issued;
}

// Root -> issuing CA -> leaf, like a vendor's factory PKI.
struct Pki
{
  Issued root;
  Issued issuing;
  Issued leaf;

  Pki(const std::string& root_subject, const std::string& issuing_subject, const std::string& leaf_subject,
      const KeySpec& key_spec = k_ec, const std::string& hash = "sha256")
      : root(issue(root_subject, nullptr, true, key_spec, hash)),
        issuing(issue(issuing_subject, &root, true, key_spec, hash)),
        leaf(issue(leaf_subject, &issuing, false, key_spec, hash))
  {
  }
};

Pki polycom_pki()
{
  return Pki(k_polycom_root_subject, k_polycom_issuing_subject, "/CN=0004F2A1B2C3");
}

TrustStores vendor_trust(const std::string& vendor, const std::string& pem)
{
  TrustStores trust;
  const auto added = trust.add_vendor_bundle(vendor, pem, vendor + ".pem");
  REQUIRE_MESSAGE(added.ok(), (added.ok() ? std::string() : added.error()));
  return trust;
}

Provenance decide(const std::vector<Der>& chain, const VendorProfiles& profiles, const TrustStores& trust,
                  const VendorMatch& vendor = {})
{
  const CertificateInfo leaf = chain.empty() ? CertificateInfo{} : decode_certificate(chain.front());
  return decide_provenance(chain, leaf, vendor, profiles, trust);
}

// Lower-case hex digest of `der` with "sha256", "sha1" or "md5".
std::string digest_hex(const Der& der, const std::string& algorithm)
{
  const EVP_MD* md = algorithm == "sha256" ? EVP_sha256() : algorithm == "sha1" ? EVP_sha1() : EVP_md5();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  REQUIRE(EVP_Digest(der.data(), der.size(), out, &size, md, nullptr) == 1);
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(k_hex[out[i] >> 4]);
    hex.push_back(k_hex[out[i] & 15]);
  }
  return hex;
}

// The built-in profiles with Polycom's issuer pins replaced.
VendorProfiles profiles_with_polycom_pins(std::vector<IssuerPin> pins)
{
  VendorProfiles profiles = VendorProfiles::builtin();
  const VendorProfile* shipped = profiles.find("Polycom");
  REQUIRE(shipped != nullptr);
  VendorProfile polycom = *shipped;
  polycom.issuer_pins = std::move(pins);
  profiles.add(std::move(polycom));
  return profiles;
}

bool contains(const std::string& text, const std::string& part)
{
  return text.find(part) != std::string::npos;
}

// Every field of a provenance, as one text: verdicts compared whole.
std::string verdict_text(const Provenance& p)
{
  return provenance_text(p.kind, p.basis) + "|" + p.vendor + "|" + std::to_string(p.chain_incomplete) + "|"
         + std::to_string(p.pin_mismatch) + "|" + std::to_string(p.claims_factory) + "|"
         + (p.issuer_verified ? std::to_string(*p.issuer_verified) : "-") + "|" + p.detail + "|" + p.vendor_ca + "|"
         + std::to_string(p.trust_verified);
}

// decide_provenance with the chain parsed once beforehand (as make_record does).
Provenance decide_parsed(const std::vector<Der>& chain, const VendorProfiles& profiles, const TrustStores& trust)
{
  const ParsedChain parsed = parse_chain(chain);
  return decide_provenance(chain, parsed.infos.front(), VendorMatch{}, profiles, trust, &parsed);
}

} // namespace

TEST_SUITE("scanner.provenance")
{
  TEST_CASE("vocabulary names")
  {
    CHECK(to_string(ProvenanceKind::factory) == "factory");
    CHECK(to_string(ProvenanceKind::self_signed) == "self-signed");
    CHECK(to_string(ProvenanceKind::custom_ca) == "custom-ca");
    CHECK(to_string(ProvenanceKind::unknown) == "unknown");
    CHECK(to_string(ProvenanceBasis::chain) == "chain");
    CHECK(to_string(ProvenanceBasis::issuer_name) == "issuer-name");
    CHECK(to_string(ProvenanceBasis::none) == "none");
  }

  TEST_CASE("factory / chain: the device sends its intermediate, the bundle holds the vendor's CAs")
  {
    const Pki pki = polycom_pki();
    const VendorProfiles profiles = VendorProfiles::builtin();

    SUBCASE("bundle of root and intermediate")
    {
      const TrustStores trust = vendor_trust("Polycom", pki.root.pem() + pki.issuing.pem());
      const Provenance p = decide({pki.leaf.der(), pki.issuing.der()}, profiles, trust);
      CHECK(p.kind == ProvenanceKind::factory);
      CHECK(p.basis == ProvenanceBasis::chain);
      CHECK(p.vendor == "Polycom");
      CHECK_FALSE(p.chain_incomplete);
      CHECK_FALSE(p.pin_mismatch);
      CHECK_FALSE(p.claims_factory);
      CHECK(contains(p.detail, "Polycom"));
    }
    SUBCASE("bundle of the root only")
    {
      const TrustStores trust = vendor_trust("Polycom", pki.root.pem());
      const Provenance p = decide({pki.leaf.der(), pki.issuing.der()}, profiles, trust);
      CHECK(p.kind == ProvenanceKind::factory);
      CHECK(p.basis == ProvenanceBasis::chain);
      CHECK(p.vendor == "Polycom");
      CHECK_FALSE(p.chain_incomplete);
    }
    SUBCASE("the device also sends the root")
    {
      const TrustStores trust = vendor_trust("Polycom", pki.root.pem() + pki.issuing.pem());
      const Provenance p = decide({pki.leaf.der(), pki.issuing.der(), pki.root.der()}, profiles, trust);
      CHECK(p.kind == ProvenanceKind::factory);
      CHECK_FALSE(p.chain_incomplete);
    }
    SUBCASE("a bundle named by another spelling of the vendor still names the profile")
    {
      const TrustStores trust = vendor_trust("polycom", pki.root.pem());
      const Provenance p = decide({pki.leaf.der(), pki.issuing.der()}, profiles, trust);
      CHECK(p.kind == ProvenanceKind::factory);
      CHECK(p.vendor == "Polycom");
    }
  }

  TEST_CASE("chain_incomplete: the device sends only its leaf, the bundle holds the intermediate")
  {
    const Pki pki = polycom_pki();
    const TrustStores trust = vendor_trust("Polycom", pki.root.pem() + pki.issuing.pem());
    const Provenance p = decide({pki.leaf.der()}, VendorProfiles::builtin(), trust);
    CHECK(p.kind == ProvenanceKind::factory);
    CHECK(p.basis == ProvenanceBasis::chain);
    CHECK(p.vendor == "Polycom");
    CHECK(p.chain_incomplete);
    CHECK_FALSE(p.pin_mismatch);
  }

  TEST_CASE("the device's leaf without the intermediate does not verify to the root alone")
  {
    const Pki pki = polycom_pki();
    const TrustStores trust = vendor_trust("Polycom", pki.root.pem());
    const Provenance p = decide({pki.leaf.der()}, VendorProfiles::builtin(), trust);
    CHECK(p.kind == ProvenanceKind::custom_ca);
    CHECK(p.basis == ProvenanceBasis::issuer_name);
    // Named like the Polycom issuing CA, with a Polycom bundle given that does not verify it.
    CHECK(p.claims_factory);
    CHECK(p.vendor.empty());
  }

  TEST_CASE("a bundle of the issuing intermediate only is a trust anchor (partial chain)")
  {
    const Pki pki = polycom_pki();
    const TrustStores trust = vendor_trust("Polycom", pki.issuing.pem());
    const VendorProfiles profiles = VendorProfiles::builtin();

    SUBCASE("the device sends its intermediate")
    {
      const Provenance p = decide({pki.leaf.der(), pki.issuing.der()}, profiles, trust);
      CHECK(p.kind == ProvenanceKind::factory);
      CHECK(p.basis == ProvenanceBasis::chain);
      CHECK(p.vendor == "Polycom");
      CHECK_FALSE(p.chain_incomplete);
    }
    SUBCASE("the device sends only its leaf")
    {
      const Provenance p = decide({pki.leaf.der()}, profiles, trust);
      CHECK(p.kind == ProvenanceKind::factory);
      CHECK(p.basis == ProvenanceBasis::chain);
      CHECK(p.chain_incomplete);
    }
  }

  TEST_CASE("an expired factory leaf is still factory (validity is judged elsewhere)")
  {
    const Issued root = issue(k_polycom_root_subject, nullptr, true);
    const Issued issuing = issue(k_polycom_issuing_subject, &root, true);
    const Issued leaf = issue("/CN=0004F2A1B2C3", &issuing, false, k_ec, "sha256", -30 * 86400);
    const CertificateInfo info = decode_certificate(leaf.der());
    REQUIRE(info.parsed);
    REQUIRE(info.not_after.has_value());
    REQUIRE(*info.not_after < static_cast<std::int64_t>(time(nullptr)));

    const TrustStores trust = vendor_trust("Polycom", root.pem());
    const Provenance p = decide({leaf.der(), issuing.der()}, VendorProfiles::builtin(), trust);
    CHECK(p.kind == ProvenanceKind::factory);
    CHECK(p.basis == ProvenanceBasis::chain);
    CHECK(p.vendor == "Polycom");
  }

  TEST_CASE("self-signed needs its own key, not only subject = issuer")
  {
    const VendorProfiles profiles = VendorProfiles::builtin();
    const TrustStores no_trust;

    SUBCASE("its own key verifies it")
    {
      const Issued own = issue("/CN=0004F2A1B2C3", nullptr, false);
      const Provenance p = decide({own.der()}, profiles, no_trust);
      CHECK(p.kind == ProvenanceKind::self_signed);
      CHECK(p.basis == ProvenanceBasis::chain);
      CHECK(p.vendor.empty());
      CHECK_FALSE(p.chain_incomplete);
      CHECK_FALSE(p.claims_factory);
      CHECK_FALSE(p.detail.empty());
    }
    SUBCASE("self-signed even when a vendor bundle is given that does not hold it")
    {
      const Pki pki = polycom_pki();
      const TrustStores trust = vendor_trust("Polycom", pki.root.pem());
      const Issued own = issue("/CN=0004F2A1B2C3", nullptr, false);
      const Provenance p = decide({own.der()}, profiles, trust);
      CHECK(p.kind == ProvenanceKind::self_signed);
      CHECK(p.basis == ProvenanceBasis::chain);
    }
    SUBCASE("subject = issuer, signed by another key: issued by an unknown CA")
    {
      const Issued other = issue("/CN=0004F2A1B2C3", nullptr, true);
      const Issued leaf = issue("/CN=0004F2A1B2C3", &other, false);
      const CertificateInfo info = decode_certificate(leaf.der());
      REQUIRE(info.parsed);
      REQUIRE(info.subject == info.issuer);
      REQUIRE_FALSE(info.self_signed);
      const Provenance p = decide({leaf.der()}, profiles, no_trust);
      CHECK(p.kind == ProvenanceKind::custom_ca);
      CHECK(p.basis == ProvenanceBasis::issuer_name);
      CHECK_FALSE(p.claims_factory);
      CHECK(p.vendor.empty());
    }
  }

  TEST_CASE("custom-ca / chain: verifies to the enterprise bundle")
  {
    const VendorProfiles profiles = VendorProfiles::builtin();
    const Pki corp("/O=Example Corp/CN=Example Root CA", "/O=Example Corp/CN=Example Device CA",
                   "/CN=Custom-0004F2A1B2C3");
    TrustStores trust;
    REQUIRE(trust.add_enterprise_bundle(corp.root.pem(), "corp.pem").ok());
    REQUIRE_FALSE(trust.empty());
    CHECK_FALSE(trust.has_vendor("Polycom"));

    SUBCASE("with the intermediate sent")
    {
      const Provenance p = decide({corp.leaf.der(), corp.issuing.der()}, profiles, trust);
      CHECK(p.kind == ProvenanceKind::custom_ca);
      CHECK(p.basis == ProvenanceBasis::chain);
      CHECK(p.vendor.empty());
      CHECK_FALSE(p.chain_incomplete);
      CHECK_FALSE(p.claims_factory);
      CHECK(contains(p.detail, "enterprise"));
    }
    SUBCASE("without the intermediate: unverifiable against the root alone")
    {
      const Provenance p = decide({corp.leaf.der()}, profiles, trust);
      CHECK(p.kind == ProvenanceKind::custom_ca);
      CHECK(p.basis == ProvenanceBasis::issuer_name);
    }
    SUBCASE("an enterprise intermediate the device did not send")
    {
      TrustStores full;
      REQUIRE(full.add_enterprise_bundle(corp.root.pem() + corp.issuing.pem(), "corp.pem").ok());
      const Provenance p = decide({corp.leaf.der()}, profiles, full);
      CHECK(p.kind == ProvenanceKind::custom_ca);
      CHECK(p.basis == ProvenanceBasis::chain);
      CHECK(p.chain_incomplete);
    }
    SUBCASE("a vendor bundle wins over the enterprise bundle")
    {
      const Pki pki = polycom_pki();
      REQUIRE(trust.add_enterprise_bundle(pki.root.pem(), "corp-and-polycom.pem").ok());
      REQUIRE(trust.add_vendor_bundle("Polycom", pki.root.pem(), "polycom.pem").ok());
      const Provenance p = decide({pki.leaf.der(), pki.issuing.der()}, profiles, trust);
      CHECK(p.kind == ProvenanceKind::factory);
      CHECK(p.vendor == "Polycom");
    }
  }

  TEST_CASE("factory / issuer-name: named like a built-in factory CA, no bundle of that vendor")
  {
    const Issued gigaset_ca = issue(k_gigaset_ca_subject, nullptr, true);
    const Issued leaf = issue("/CN=7C2F80ABCDEF", &gigaset_ca, false);
    const VendorProfiles profiles = VendorProfiles::builtin();

    SUBCASE("no trust material at all")
    {
      const Provenance p = decide({leaf.der()}, profiles, TrustStores{});
      CHECK(p.kind == ProvenanceKind::factory);
      CHECK(p.basis == ProvenanceBasis::issuer_name);
      CHECK(p.vendor == "Gigaset");
      CHECK_FALSE(p.claims_factory);
      CHECK_FALSE(p.chain_incomplete);
      CHECK(contains(p.detail, "--vendor-ca"));
    }
    SUBCASE("another vendor's bundle does not change it")
    {
      const Pki pki = polycom_pki();
      const TrustStores trust = vendor_trust("Polycom", pki.root.pem());
      const Provenance p = decide({leaf.der()}, profiles, trust);
      CHECK(p.kind == ProvenanceKind::factory);
      CHECK(p.basis == ProvenanceBasis::issuer_name);
      CHECK(p.vendor == "Gigaset");
    }
  }

  TEST_CASE("factory / issuer-name says whether the profile's name for the CA is verified")
  {
    const VendorProfiles profiles = VendorProfiles::builtin();

    SUBCASE("Gigaset.net, the name Gigaset documents")
    {
      const Issued ca = issue(k_gigaset_ca_subject, nullptr, true);
      const Issued leaf = issue("/CN=7C2F80ABCDEF", &ca, false);
      const Provenance p = decide({leaf.der()}, profiles, TrustStores{});
      REQUIRE(p.kind == ProvenanceKind::factory);
      REQUIRE(p.basis == ProvenanceBasis::issuer_name);
      REQUIRE(p.issuer_verified.has_value());
      CHECK(*p.issuer_verified);
      CHECK(contains(p.detail, "a name the vendor documents"));
      CHECK(contains(p.detail, "--vendor-ca Gigaset=FILE"));
    }
    SUBCASE("a placeholder name, matched on O and CN whatever the rest of the issuer says")
    {
      const Issued ca = issue("/C=CN/L=Shenzhen/O=Grandstream Networks, Inc./OU=Factory/CN=Grandstream Device CA",
                              nullptr, true);
      const Issued leaf = issue("/CN=000B82A1B2C3", &ca, false);
      const Provenance p = decide({leaf.der()}, profiles, TrustStores{});
      REQUIRE(p.kind == ProvenanceKind::factory);
      CHECK(p.basis == ProvenanceBasis::issuer_name);
      CHECK(p.vendor == "Grandstream");
      REQUIRE(p.issuer_verified.has_value());
      CHECK_FALSE(*p.issuer_verified);
      CHECK(contains(p.detail, "unverified name"));
      CHECK(contains(p.detail, "--vendor-ca Grandstream=FILE"));
    }
    SUBCASE("only a name-based factory provenance carries it")
    {
      const Pki pki = polycom_pki();
      const Provenance by_chain =
          decide({pki.leaf.der(), pki.issuing.der()}, profiles, vendor_trust("Polycom", pki.root.pem()));
      CHECK(by_chain.kind == ProvenanceKind::factory);
      CHECK_FALSE(by_chain.issuer_verified.has_value());
      const Issued other_ca = issue("/O=Acme/CN=Acme Private CA", nullptr, true);
      const Issued other = issue("/CN=0004F2A1B2C3", &other_ca, false);
      CHECK_FALSE(decide({other.der()}, profiles, TrustStores{}).issuer_verified.has_value());
      const Issued own = issue("/CN=0004F2A1B2C3", nullptr, false);
      CHECK_FALSE(decide({own.der()}, profiles, TrustStores{}).issuer_verified.has_value());
    }
  }

  TEST_CASE("the provenance says which given bundle verified the chain")
  {
    const Pki pki = polycom_pki();
    const Issued enterprise_ca = issue("/O=Example Corp/CN=Example Corp CA", nullptr, true);
    const Issued custom = issue("/CN=0004F2A1B2C3", &enterprise_ca, false);
    TrustStores trust;
    REQUIRE(trust.add_vendor_bundle("Polycom", pki.root.pem(), "polycom.pem").ok());
    REQUIRE(trust.add_enterprise_bundle(enterprise_ca.pem(), "corp.pem").ok());
    const VendorProfiles profiles = VendorProfiles::builtin();

    const Provenance factory = decide({pki.leaf.der(), pki.issuing.der()}, profiles, trust);
    CHECK(factory.vendor_ca == "Polycom");
    CHECK_FALSE(factory.trust_verified);
    const Provenance enterprise = decide({custom.der()}, profiles, trust);
    CHECK(enterprise.vendor_ca.empty());
    CHECK(enterprise.trust_verified);
    const Issued stranger_ca = issue("/O=Nobody/CN=Nobody CA", nullptr, true);
    const Provenance stranger = decide({issue("/CN=x", &stranger_ca, false).der()}, profiles, trust);
    CHECK(stranger.vendor_ca.empty());
    CHECK_FALSE(stranger.trust_verified);

    SUBCASE("a chain that verifies but fails the pins was still verified by that bundle")
    {
      const VendorProfiles pinned = profiles_with_polycom_pins({IssuerPin{"sha256", std::string(64, '0')}});
      const Provenance p = decide({pki.leaf.der(), pki.issuing.der()}, pinned, trust);
      CHECK(p.pin_mismatch);
      CHECK(p.vendor_ca == "Polycom");
    }
  }

  TEST_CASE("claims_factory: a Gigaset bundle is given, the leaf is signed by another key under the same CA name")
  {
    const Issued genuine = issue(k_gigaset_ca_subject, nullptr, true);
    const TrustStores trust = vendor_trust("Gigaset", genuine.pem());
    const VendorProfiles profiles = VendorProfiles::builtin();

    SUBCASE("forged: same issuer name, other key")
    {
      const PkeyPtr forger = generate_key(k_ec);
      const PkeyPtr leaf_key = generate_key(k_ec);
      CertSpec spec;
      spec.subject = parse_subject("/CN=7C2F80ABCDEF");
      const X509Ptr forged = make_certificate(spec, leaf_key.get(), genuine.cert.get(), forger.get());
      const Der der = to_der(forged.get());
      const CertificateInfo info = decode_certificate(der);
      REQUIRE(info.parsed);
      REQUIRE(info.issuer
              == "C=DE, ST=Germany, L=Bocholt, O=Gigaset Communications GmbH, OU=Certificate Authority, CN=Gigaset.net");

      const Provenance p = decide({der}, profiles, trust);
      CHECK(p.kind == ProvenanceKind::custom_ca);
      CHECK(p.basis == ProvenanceBasis::issuer_name);
      CHECK(p.claims_factory);
      CHECK(p.vendor.empty());
      CHECK(contains(p.detail, "Gigaset"));
    }
    SUBCASE("genuine: signed by the bundle's CA")
    {
      const Issued leaf = issue("/CN=7C2F80ABCDEF", &genuine, false);
      const Provenance p = decide({leaf.der()}, profiles, trust);
      CHECK(p.kind == ProvenanceKind::factory);
      CHECK(p.basis == ProvenanceBasis::chain);
      CHECK(p.vendor == "Gigaset");
      CHECK_FALSE(p.claims_factory);
    }
  }

  TEST_CASE("custom-ca / issuer-name: any other issuer")
  {
    const Issued ca = issue("/O=Acme/CN=Acme Private CA", nullptr, true);
    const Issued leaf = issue("/CN=0004F2A1B2C3", &ca, false);
    const Provenance p = decide({leaf.der()}, VendorProfiles::builtin(), TrustStores{});
    CHECK(p.kind == ProvenanceKind::custom_ca);
    CHECK(p.basis == ProvenanceBasis::issuer_name);
    CHECK_FALSE(p.claims_factory);
    CHECK_FALSE(p.pin_mismatch);
    CHECK(p.vendor.empty());
  }

  TEST_CASE("unknown / none: no certificate, or one that does not decode")
  {
    const VendorProfiles profiles = VendorProfiles::builtin();
    const TrustStores trust;

    SUBCASE("empty chain")
    {
      const Provenance p = decide_provenance({}, CertificateInfo{}, VendorMatch{}, profiles, trust);
      CHECK(p.kind == ProvenanceKind::unknown);
      CHECK(p.basis == ProvenanceBasis::none);
      CHECK(p.vendor.empty());
      CHECK(p.detail == "no certificate");
    }
    SUBCASE("bytes that are not a certificate")
    {
      const Der garbage{0x30, 0x03, 0x02, 0x01, 0x05};
      const CertificateInfo info = decode_certificate(garbage);
      REQUIRE_FALSE(info.parsed);
      const Provenance p = decide_provenance({garbage}, info, VendorMatch{}, profiles, trust);
      CHECK(p.kind == ProvenanceKind::unknown);
      CHECK(p.basis == ProvenanceBasis::none);
      CHECK_FALSE(p.detail.empty());
    }
    SUBCASE("a name OpenSSL refuses (invalid UTF8String)")
    {
      const PkeyPtr key = generate_key(k_ec);
      CertSpec spec;
      spec.subject = {{"CN", "Caf\xE9", V_ASN1_UTF8STRING}};
      const X509Ptr cert = make_certificate(spec, key.get(), nullptr, key.get());
      const Der der = to_der(cert.get());
      const CertificateInfo info = decode_certificate(der);
      REQUIRE_FALSE(info.parsed);
      const Provenance p = decide_provenance({der}, info, VendorMatch{}, profiles, trust);
      CHECK(p.kind == ProvenanceKind::unknown);
      CHECK(p.basis == ProvenanceBasis::none);
    }
    SUBCASE("a leaf said to be parsed whose bytes do not decode, with bundles to verify against")
    {
      // The bytes are decoded again only to verify them; then they cannot be factory by chain.
      TrustStores with_bundle;
      const PkeyPtr key = generate_key(k_ec);
      CertSpec ca_spec;
      ca_spec.subject = parse_subject("/CN=Vendor Root");
      ca_spec.ca = true;
      const X509Ptr root = make_certificate(ca_spec, key.get(), nullptr, key.get());
      REQUIRE(with_bundle.add_vendor_bundle("Polycom", to_pem(root.get()), "polycom.pem").ok());
      CertificateInfo info;
      info.parsed = true;
      const Provenance p = decide_provenance({Der{0x01, 0x02}}, info, VendorMatch{}, profiles, with_bundle);
      CHECK(p.kind != ProvenanceKind::factory);
      CHECK(p.basis != ProvenanceBasis::chain);
    }
  }

  TEST_CASE("issuer pins: the issuing CA must match one of the profile's thumbprints")
  {
    const Pki pki = polycom_pki();
    const TrustStores trust = vendor_trust("Polycom", pki.root.pem());
    const std::vector<Der> chain{pki.leaf.der(), pki.issuing.der()};

    for (const std::string algorithm : {"sha256", "sha1", "md5"}) {
      CAPTURE(algorithm);
      {
        const VendorProfiles profiles =
            profiles_with_polycom_pins({IssuerPin{algorithm, digest_hex(pki.issuing.der(), algorithm)}});
        const Provenance p = decide(chain, profiles, trust);
        CHECK(p.kind == ProvenanceKind::factory);
        CHECK(p.basis == ProvenanceBasis::chain);
        CHECK(p.vendor == "Polycom");
        CHECK_FALSE(p.pin_mismatch);
      }
      {
        // The root's thumbprint is not the issuing CA's; nor is a CA of another PKI.
        const Issued stranger = issue("/CN=Stranger CA", nullptr, true);
        const VendorProfiles profiles = profiles_with_polycom_pins(
            {IssuerPin{algorithm, digest_hex(pki.root.der(), algorithm)},
             IssuerPin{algorithm, digest_hex(stranger.der(), algorithm)}});
        const Provenance p = decide(chain, profiles, trust);
        CHECK(p.kind == ProvenanceKind::custom_ca);
        CHECK(p.basis == ProvenanceBasis::chain);
        CHECK(p.pin_mismatch);
        CHECK(p.vendor.empty());
        CHECK(contains(p.detail, "Polycom"));
      }
    }

    SUBCASE("one matching pin among several suffices, whatever its algorithm")
    {
      const VendorProfiles profiles = profiles_with_polycom_pins(
          {IssuerPin{"sha256", std::string(64, '0')}, IssuerPin{"md5", digest_hex(pki.issuing.der(), "md5")}});
      const Provenance p = decide(chain, profiles, trust);
      CHECK(p.kind == ProvenanceKind::factory);
      CHECK_FALSE(p.pin_mismatch);
    }
    SUBCASE("a pin matches also when the device did not send the issuing CA")
    {
      const TrustStores full = vendor_trust("Polycom", pki.root.pem() + pki.issuing.pem());
      const VendorProfiles profiles =
          profiles_with_polycom_pins({IssuerPin{"sha1", digest_hex(pki.issuing.der(), "sha1")}});
      const Provenance p = decide({pki.leaf.der()}, profiles, full);
      CHECK(p.kind == ProvenanceKind::factory);
      CHECK(p.chain_incomplete);
      CHECK_FALSE(p.pin_mismatch);
    }
  }

  TEST_CASE("legacy chains still verify (security level 0)")
  {
    const VendorProfiles profiles = VendorProfiles::builtin();

    SUBCASE("RSA-1024 with SHA1")
    {
      const Pki pki(k_polycom_root_subject, k_polycom_issuing_subject, "/CN=0004F2A1B2C3", k_rsa_1024, "sha1");
      const CertificateInfo info = decode_certificate(pki.leaf.der());
      REQUIRE(info.signature.label == "RSA+SHA1");
      REQUIRE(info.key.bits == 1024);
      const TrustStores trust = vendor_trust("Polycom", pki.root.pem());
      const Provenance p = decide({pki.leaf.der(), pki.issuing.der()}, profiles, trust);
      CHECK(p.kind == ProvenanceKind::factory);
      CHECK(p.basis == ProvenanceBasis::chain);
      CHECK(p.vendor == "Polycom");
    }
    SUBCASE("RSA-1024 with MD5")
    {
      const Issued root = issue(k_polycom_root_subject, nullptr, true, k_rsa_1024, "md5");
      const Issued leaf = issue("/CN=0004F2A1B2C3", &root, false, k_rsa_1024, "md5");
      const CertificateInfo info = decode_certificate(leaf.der());
      REQUIRE(info.signature.label == "RSA+MD5");
      const TrustStores trust = vendor_trust("Polycom", root.pem());
      const Provenance p = decide({leaf.der()}, profiles, trust);
      CHECK(p.kind == ProvenanceKind::factory);
      CHECK(p.basis == ProvenanceBasis::chain);
      CHECK_FALSE(p.chain_incomplete);
    }
    SUBCASE("a self-signed MD5 certificate is self-signed")
    {
      const Issued own = issue("/CN=0004F2A1B2C3", nullptr, false, k_rsa_1024, "md5");
      const Provenance p = decide({own.der()}, profiles, TrustStores{});
      CHECK(p.kind == ProvenanceKind::self_signed);
    }
  }

  TEST_CASE("the detected vendor's bundle is tried first")
  {
    // The same CA given as two vendors' bundle: the detected vendor names it.
    const Pki pki = polycom_pki();
    TrustStores trust;
    REQUIRE(trust.add_vendor_bundle("Polycom", pki.root.pem(), "polycom.pem").ok());
    REQUIRE(trust.add_vendor_bundle("Yealink", pki.root.pem(), "yealink.pem").ok());
    const VendorProfiles profiles = VendorProfiles::builtin();
    const std::vector<Der> chain{pki.leaf.der(), pki.issuing.der()};

    CHECK(decide(chain, profiles, trust).vendor == "Polycom");
    const VendorMatch yealink{"Yealink", "inventory", profiles.find("Yealink")};
    CHECK(decide(chain, profiles, trust, yealink).vendor == "Yealink");
    const VendorMatch lower_case{"yealink", "inventory", nullptr};
    CHECK(decide(chain, profiles, trust, lower_case).vendor == "Yealink");
  }

  TEST_CASE("trust stores: bundles, counts and errors that name the source")
  {
    const Issued a = issue("/CN=CA A", nullptr, true);
    const Issued b = issue("/CN=CA B", nullptr, true);

    SUBCASE("bundles lists each vendor's files and certificates, then the --trust bundle")
    {
      TrustStores trust;
      CHECK(trust.bundles().empty());
      REQUIRE(trust.add_enterprise_bundle(a.pem(), "corp.pem").ok());
      REQUIRE(trust.add_vendor_bundle("Polycom", a.pem() + b.pem(), "poly.pem").ok());
      REQUIRE(trust.add_vendor_bundle("Yealink", b.pem(), "yealink.pem").ok());
      REQUIRE(trust.add_vendor_bundle("POLYCOM", b.pem(), "poly2.pem").ok());
      const std::vector<TrustBundleInfo> bundles = trust.bundles();
      REQUIRE(bundles.size() == 3);
      CHECK(bundles[0].vendor == "Polycom");
      CHECK(bundles[0].files == std::vector<std::string>{"poly.pem", "poly2.pem"});
      CHECK(bundles[0].certificates == 3);
      CHECK(bundles[1].vendor == "Yealink");
      CHECK(bundles[1].certificates == 1);
      CHECK(bundles[2].vendor.empty());
      CHECK(bundles[2].files == std::vector<std::string>{"corp.pem"});
      CHECK(bundles[2].certificates == 1);
    }

    SUBCASE("empty until a bundle is added")
    {
      TrustStores trust;
      CHECK(trust.empty());
      CHECK_FALSE(trust.has_vendor("Polycom"));
      const auto added = trust.add_vendor_bundle("Polycom", a.pem() + b.pem(), "poly.pem");
      REQUIRE(added.ok());
      CHECK(*added == 2);
      CHECK_FALSE(trust.empty());
      CHECK(trust.has_vendor("Polycom"));
      CHECK(trust.has_vendor("POLYCOM"));
      CHECK_FALSE(trust.has_vendor("Yealink"));
      // A second file of the same vendor adds to its bundle.
      const auto more = trust.add_vendor_bundle("polycom", a.pem(), "poly2.pem");
      REQUIRE(more.ok());
      CHECK(*more == 1);
    }
    SUBCASE("text around the PEM blocks is allowed")
    {
      TrustStores trust;
      const auto added =
          trust.add_enterprise_bundle("Example Corp roots\nsubject=CN=CA A\n" + a.pem() + "\n# next\n" + b.pem(),
                                      "corp.pem");
      REQUIRE_MESSAGE(added.ok(), (added.ok() ? std::string() : added.error()));
      CHECK(*added == 2);
      CHECK_FALSE(trust.empty());
    }
    SUBCASE("no PEM certificate")
    {
      TrustStores trust;
      for (const std::string text : {"", "not a certificate\n", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}) {
        CAPTURE(text);
        const auto vendor = trust.add_vendor_bundle("Polycom", text, "poly-roots.pem");
        REQUIRE_FALSE(vendor.ok());
        CHECK(contains(vendor.error(), "poly-roots.pem"));
        const auto enterprise = trust.add_enterprise_bundle(text, "corp-ca.pem");
        REQUIRE_FALSE(enterprise.ok());
        CHECK(contains(enterprise.error(), "corp-ca.pem"));
      }
      CHECK(trust.empty());
      CHECK_FALSE(trust.has_vendor("Polycom"));
    }
    SUBCASE("a broken block after a good one")
    {
      TrustStores trust;
      const std::string broken = a.pem() + "-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJAKHHIG\n-----END CERTIFICATE-----\n";
      const auto vendor = trust.add_vendor_bundle("Gigaset", broken, "gigaset.pem");
      REQUIRE_FALSE(vendor.ok());
      CHECK(contains(vendor.error(), "gigaset.pem"));
      const auto enterprise = trust.add_enterprise_bundle(broken, "corp.pem");
      REQUIRE_FALSE(enterprise.ok());
      CHECK(contains(enterprise.error(), "corp.pem"));
      CHECK(trust.empty());
      CHECK_FALSE(trust.has_vendor("Gigaset"));
    }
    SUBCASE("moved stores keep their bundles")
    {
      TrustStores trust;
      REQUIRE(trust.add_vendor_bundle("Polycom", a.pem(), "poly.pem").ok());
      TrustStores moved = std::move(trust);
      CHECK(moved.has_vendor("Polycom"));
      TrustStores assigned;
      assigned = std::move(moved);
      CHECK(assigned.has_vendor("Polycom"));
    }
  }

  TEST_CASE("the bundle stores are built once: every verification against them gives the same verdict")
  {
    const Pki pki = polycom_pki();
    const Issued enterprise_ca = issue("/O=Example Corp/CN=Example Corp CA", nullptr, true);
    TrustStores trust;
    REQUIRE(trust.add_vendor_bundle("Polycom", pki.root.pem(), "polycom-root.pem").ok());
    REQUIRE(trust.add_enterprise_bundle(enterprise_ca.pem(), "corp.pem").ok());
    const VendorProfiles profiles = VendorProfiles::builtin();
    const Issued stranger_ca = issue("/O=Nobody/CN=Nobody CA", nullptr, true);
    const std::vector<std::vector<Der>> chains = {
        {pki.leaf.der(), pki.issuing.der()},                         // factory / chain
        {pki.leaf.der()},                                            // not verifiable without the intermediate
        {issue("/CN=0004F2A1B2C3", &enterprise_ca, false).der()},    // custom-ca / chain
        {issue("/CN=x", &stranger_ca, false).der()},                 // custom-ca / issuer-name
        {issue("/CN=self", nullptr, false).der()},                   // self-signed
    };
    std::vector<std::string> first;
    for (const auto& chain : chains) {
      first.push_back(verdict_text(decide(chain, profiles, trust)));
    }
    CHECK(contains(first[0], "factory/chain|Polycom"));
    CHECK(contains(first[2], "custom-ca/chain"));
    CHECK(contains(first[3], "custom-ca/issuer-name"));
    CHECK(contains(first[4], "self-signed/chain"));

    SUBCASE("again and again, in another order")
    {
      for (int round = 0; round < 3; ++round) {
        for (std::size_t i = chains.size(); i-- > 0;) {
          CAPTURE(i);
          CHECK(verdict_text(decide(chains[i], profiles, trust)) == first[i]);
        }
      }
    }
    SUBCASE("with the chain parsed once beforehand, as a record does")
    {
      for (std::size_t i = 0; i < chains.size(); ++i) {
        CAPTURE(i);
        CHECK(verdict_text(decide_parsed(chains[i], profiles, trust)) == first[i]);
      }
    }
    SUBCASE("from many threads at once, as the engine's threads do")
    {
      constexpr int k_threads = 4;
      constexpr int k_rounds = 25;
      std::atomic<int> mismatches{0};
      std::vector<std::thread> threads;
      for (int t = 0; t < k_threads; ++t) {
        threads.emplace_back([&, t] {
          for (int round = 0; round < k_rounds; ++round) {
            const std::size_t i = static_cast<std::size_t>(t + round) % chains.size();
            const Provenance p = (round % 2 == 0) ? decide(chains[i], profiles, trust)
                                                  : decide_parsed(chains[i], profiles, trust);
            if (verdict_text(p) != first[i]) {
              ++mismatches;
            }
          }
        });
      }
      for (auto& thread : threads) {
        thread.join();
      }
      CHECK(mismatches.load() == 0);
    }
  }

  TEST_CASE("a freshly loaded bundle's anchors are first used by many threads at once (TSan: no race)")
  {
    // OpenSSL 3.0 fills a certificate's extension cache on first use, and two threads doing that at
    // once race (the second frees the key identifier the first compares). The stores fill it when
    // a bundle is loaded; this runs the first verifications against new stores from threads started
    // together. Under TSan a race fails the test (CI runs the unit tests under TSan).
    const Pki pki = polycom_pki();
    const VendorProfiles profiles = VendorProfiles::builtin();
    const std::vector<Der> chain{pki.leaf.der(), pki.issuing.der()};
    constexpr int k_threads = 4;
    for (int store_round = 0; store_round < 12; ++store_round) {
      const TrustStores trust = vendor_trust("Polycom", pki.root.pem() + pki.issuing.pem());
      std::atomic<int> waiting{k_threads};
      std::atomic<int> factory{0};
      std::vector<std::thread> threads;
      for (int t = 0; t < k_threads; ++t) {
        threads.emplace_back([&] {
          const ParsedChain parsed = parse_chain(chain);
          --waiting;
          while (waiting.load() > 0) {
            std::this_thread::yield();
          }
          const Provenance p = decide_provenance(chain, parsed.infos.front(), VendorMatch{}, profiles, trust, &parsed);
          if (p.kind == ProvenanceKind::factory && p.basis == ProvenanceBasis::chain) {
            ++factory;
          }
        });
      }
      for (auto& thread : threads) {
        thread.join();
      }
      CHECK(factory.load() == k_threads);
    }
  }

  TEST_CASE("a vendor bundle given in several files verifies with every one of them (the store is rebuilt)")
  {
    const Pki pki = polycom_pki();
    const VendorProfiles profiles = VendorProfiles::builtin();
    TrustStores trust;
    REQUIRE(trust.add_vendor_bundle("Polycom", pki.root.pem(), "root.pem").ok());
    // Only the root so far: the leaf alone does not verify.
    CHECK(decide({pki.leaf.der()}, profiles, trust).basis == ProvenanceBasis::issuer_name);
    REQUIRE(trust.add_vendor_bundle("Polycom", pki.issuing.pem(), "issuing.pem").ok());
    const Provenance p = decide({pki.leaf.der()}, profiles, trust);
    CHECK(p.kind == ProvenanceKind::factory);
    CHECK(p.basis == ProvenanceBasis::chain);
    CHECK(p.chain_incomplete);
    SUBCASE("a certificate given twice changes nothing")
    {
      REQUIRE(trust.add_vendor_bundle("Polycom", pki.issuing.pem() + pki.root.pem(), "again.pem").ok());
      CHECK(verdict_text(decide({pki.leaf.der()}, profiles, trust)) == verdict_text(p));
      CHECK(trust.bundles().front().certificates == 4);
    }
  }
}
