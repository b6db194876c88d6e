// Tests for scanner/audit: the vendor-aware audit of one record (vendor, provenance, inventory row
// and endpoint findings), through make_record with chains built here and a fixed "now".

#include "scanner/assessment/audit.hpp"
#include "scanner/assessment/findings.hpp"
#include "scanner/inputs/inventory.hpp"
#include "scanner/inputs/oui_registry.hpp"
#include "scanner/assessment/provenance.hpp"
#include "scanner/assessment/record.hpp"
#include "scanner/assessment/vendor_profiles.hpp"
#include "support/cert_factory.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

using namespace fleetcert;
using namespace fleetcert::testing;

namespace {

constexpr std::int64_t k_now = 1'800'000'000; // 2027-01-15T08:00:00Z, inside every default validity

constexpr const char* k_gigaset_ca_subject =
    "/C=DE/ST=Germany/L=Bocholt/O=Gigaset Communications GmbH/OU=Certificate Authority/CN=Gigaset.net";
constexpr const char* k_grandstream_rsa_ca_subject =
    "/C=US/ST=Massachusetts/L=Boston/O=Grandstream Networks, Inc./CN=Grandstream Device CA";
constexpr const char* k_grandstream_ecc_ca_subject =
    "/C=US/ST=Massachusetts/L=Boston/O=Grandstream Networks, Inc./CN=Grandstream ECC Device CA";
constexpr const char* k_polycom_root_subject = "/C=US/O=Polycom Inc./CN=Polycom Root CA";
constexpr const char* k_polycom_issuing_subject = "/C=US/O=Polycom Inc./CN=Polycom Equipment Issuing CA 1";
constexpr const char* k_private_ca_subject = "/O=Example Private PKI/CN=Private CA";

constexpr const char* k_ip = "127.0.2.7";

const KeySpec k_ec{"ec", 0, "P-256"};

// One RSA-2048 key for the tests where RSA is the point (generating one takes ~100 ms).
EVP_PKEY* shared_rsa_2048()
{
  static const PkeyPtr key = generate_key({"rsa", 2048, ""});
  return key.get();
}

PkeyPtr share(EVP_PKEY* key)
{
  REQUIRE(EVP_PKEY_up_ref(key) == 1);
  return PkeyPtr(key);
}

struct CertOptions
{
  bool ca = false;
  KeySpec key_spec = k_ec;
  EVP_PKEY* key = nullptr; // use this key instead of a new one
  std::string hash = "sha256";
  std::string not_before = "20250101000000Z";
  std::string not_after = "20300101000000Z";
};

// Signs a certificate for `subject` with `issuer` (null: self-signed).
Issued issue(const std::string& subject, const Issued* issuer, const CertOptions& options = {})
{
  Issued issued;
  issued.key = options.key != nullptr ? share(options.key) : generate_key(options.key_spec);
  CertSpec spec;
  spec.subject = parse_subject(subject);
  spec.ca = options.ca;
  spec.hash = options.hash;
  spec.not_before_text = options.not_before;
  spec.not_after_text = options.not_after;
  issued.cert = make_certificate(spec, issued.key.get(), issuer != nullptr ? issuer->cert.get() : nullptr,
                                 issuer != nullptr ? issuer->key.get() : issued.key.get());
  return issued;
}

Issued issue_ca(const std::string& subject, CertOptions options = {})
{
  options.ca = true;
  return issue(subject, nullptr, options);
}

// Everything an audit may use; each test fills what it needs.
struct Audit
{
  VendorProfiles profiles = VendorProfiles::builtin();
  TrustStores trust;
  Inventory inventory;
  OuiRegistry registry;

  AuditContext context() const { return AuditContext{&profiles, &trust, &inventory, &registry}; }

  void add_row(const std::string& ip, const std::string& mac, const std::string& vendor = {},
               const std::string& hostname = {})
  {
    InventoryRow row;
    row.line = inventory.rows.size() + 2;
    row.ip = ip;
    row.mac = mac;
    row.vendor = vendor;
    row.hostname = hostname;
    inventory.rows.push_back(row);
    inventory.index();
  }

  const VendorProfile& profile(std::string_view name) const
  {
    const VendorProfile* found = profiles.find(name);
    REQUIRE(found != nullptr);
    return *found;
  }

  Record record(std::vector<Der> chain, std::int64_t now = k_now, int warning_days = 30,
                const std::string& ip = k_ip, const std::string& host = {}) const
  {
    Observation observation;
    observation.endpoint = Endpoint{ip, 5061, host, ""};
    observation.chain = std::move(chain);
    observation.handshake_complete = true;
    const AuditContext audit = context();
    AssessmentSettings settings;
    settings.now = now;
    settings.expiry_warning_days = warning_days;
    settings.audit = &audit;
    return make_record(std::move(observation), settings);
  }
};

std::vector<std::string> codes(const Record& record)
{
  std::vector<std::string> out;
  for (const auto& finding : record.assessment.findings) {
    out.push_back(finding.code);
  }
  return out;
}

const Finding* find(const Record& record, std::string_view code)
{
  for (const auto& finding : record.assessment.findings) {
    if (finding.code == code) {
      return &finding;
    }
  }
  return nullptr;
}

bool contains(const std::string& text, const std::string& part)
{
  return text.find(part) != std::string::npos;
}

std::string default_remediation(std::string_view code)
{
  const FindingKind* kind = find_finding_kind(code);
  REQUIRE(kind != nullptr);
  return std::string(kind->remediation);
}

std::int64_t at(const char* iso)
{
  const auto seconds = parse_iso8601(iso);
  REQUIRE(seconds.has_value());
  return *seconds;
}

using Codes = std::vector<std::string>;

} // namespace

TEST_SUITE("scanner.audit")
{
  TEST_CASE("sha1-rejected names the firmware that rejects SHA1 when the vendor is Gigaset")
  {
    Audit audit;
    const Issued gigaset_ca = issue_ca(k_gigaset_ca_subject);

    SUBCASE("Gigaset")
    {
      const Issued leaf = issue("/CN=7C2F80ABCDEF", &gigaset_ca, {.hash = "sha1"});
      const Record record = audit.record({leaf.der()});
      REQUIRE(record.leaf()->signature.label == "ECDSA+SHA1");
      CHECK(record.assessment.vendor == "Gigaset");
      CHECK(codes(record) == Codes{"sha1-rejected"});
      const Finding* finding = find(record, "sha1-rejected");
      REQUIRE(finding != nullptr);
      CHECK(finding->severity == Severity::high);
      CHECK(contains(finding->message, "ECDSA+SHA1"));
      CHECK(contains(finding->message, "Gigaset firmware 2.57"));
      CHECK(finding->remediation == audit.profile("Gigaset").remediation.at("sha1-rejected"));
      CHECK(finding->remediation != default_remediation("sha1-rejected"));
    }
    SUBCASE("a vendor without a documented firmware")
    {
      const Issued leaf = issue("/CN=0004F2A1B2C3", nullptr, {.hash = "sha1"});
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.vendor == "Polycom");
      const Finding* finding = find(record, "sha1-rejected");
      REQUIRE(finding != nullptr);
      CHECK_FALSE(contains(finding->message, "firmware"));
      CHECK(finding->remediation == audit.profile("Polycom").remediation.at("sha1-rejected"));
    }
    SUBCASE("no vendor: the default remediation")
    {
      const Issued leaf = issue("/CN=phone-7", nullptr, {.hash = "sha1"});
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.vendor.empty());
      const Finding* finding = find(record, "sha1-rejected");
      REQUIRE(finding != nullptr);
      CHECK_FALSE(contains(finding->message, "firmware"));
      CHECK(finding->remediation == default_remediation("sha1-rejected"));
      CHECK(find(record, "weak-signature") == nullptr);
    }
  }

  TEST_CASE("weak-signature: MD5")
  {
    Audit audit;
    const Issued ca = issue_ca(k_gigaset_ca_subject, {.key = shared_rsa_2048()});
    const Issued leaf = issue("/CN=7C2F80ABCDEF", &ca, {.hash = "md5"});
    const Record record = audit.record({leaf.der()});
    REQUIRE(record.leaf()->signature.label == "RSA+MD5");
    CHECK(codes(record) == Codes{"weak-signature"});
    const Finding* finding = find(record, "weak-signature");
    REQUIRE(finding != nullptr);
    CHECK(finding->severity == Severity::critical);
    CHECK(contains(finding->message, "RSA+MD5"));
    CHECK(finding->remediation == default_remediation("weak-signature"));
    CHECK(find(record, "sha1-rejected") == nullptr);
  }

  TEST_CASE("legacy-generation: Grandstream RSA+SHA256")
  {
    Audit audit;

    SUBCASE("the previous generation")
    {
      const Issued ca = issue_ca(k_grandstream_rsa_ca_subject, {.key = shared_rsa_2048()});
      const Issued leaf = issue("/CN=000B82A1B2C3", &ca);
      const Record record = audit.record({leaf.der()});
      REQUIRE(record.leaf()->signature.label == "RSA+SHA256");
      CHECK(record.assessment.vendor == "Grandstream");
      CHECK(record.assessment.vendor_source == "mac-prefix");
      CHECK(record.assessment.provenance.kind == ProvenanceKind::factory);
      CHECK(record.assessment.provenance.basis == ProvenanceBasis::issuer_name);
      CHECK(codes(record) == Codes{"legacy-generation"});
      const Finding* finding = find(record, "legacy-generation");
      REQUIRE(finding != nullptr);
      CHECK(finding->severity == Severity::medium);
      CHECK(contains(finding->message, "Grandstream"));
      CHECK(contains(finding->message, "RSA+SHA256"));
      CHECK(contains(finding->message, "ECDSA+SHA384"));
      CHECK(finding->remediation == audit.profile("Grandstream").remediation.at("legacy-generation"));
    }
    SUBCASE("the current generation has no finding")
    {
      const Issued ca = issue_ca(k_grandstream_ecc_ca_subject, {.key_spec = {"ec", 0, "P-384"}, .hash = "sha384"});
      const Issued leaf = issue("/CN=000B82A1B2C3", &ca, {.hash = "sha384"});
      const Record record = audit.record({leaf.der()});
      REQUIRE(record.leaf()->signature.label == "ECDSA+SHA384");
      CHECK(record.assessment.vendor == "Grandstream");
      CHECK(codes(record).empty());
    }
    SUBCASE("a self-signed RSA+SHA256 certificate on a Grandstream device is no factory generation")
    {
      const Issued leaf = issue("/CN=000B82A1B2C3", nullptr, {.key = shared_rsa_2048()});
      const Record record = audit.record({leaf.der()});
      REQUIRE(record.leaf()->signature.label == "RSA+SHA256");
      CHECK(record.assessment.vendor == "Grandstream");
      CHECK(record.assessment.provenance.kind == ProvenanceKind::self_signed);
      CHECK(find(record, "legacy-generation") == nullptr);
      CHECK(find(record, "self-signed") != nullptr);
    }
    SUBCASE("an enterprise-issued RSA+SHA256 certificate on a Grandstream device is no factory generation")
    {
      const Issued ca = issue_ca(k_private_ca_subject, {.key = shared_rsa_2048()});
      const Issued leaf = issue("/CN=000B82A1B2C3", &ca);
      REQUIRE(audit.trust.add_enterprise_bundle(ca.pem(), "corp.pem").ok());
      const Record record = audit.record({leaf.der()});
      REQUIRE(record.leaf()->signature.label == "RSA+SHA256");
      CHECK(record.assessment.vendor == "Grandstream");
      CHECK(record.assessment.provenance.kind == ProvenanceKind::custom_ca);
      CHECK(find(record, "legacy-generation") == nullptr);
    }
    SUBCASE("RSA+SHA256 is no legacy for a vendor without generations")
    {
      const Issued root = issue_ca(k_polycom_issuing_subject, {.key = shared_rsa_2048()});
      const Issued leaf = issue("/CN=0004F2A1B2C3", &root);
      const Record record = audit.record({leaf.der()});
      REQUIRE(record.leaf()->signature.label == "RSA+SHA256");
      CHECK(record.assessment.vendor == "Polycom");
      CHECK(find(record, "legacy-generation") == nullptr);
    }
  }

  TEST_CASE("a factory provenance from a placeholder issuer name says it is unverified")
  {
    Audit audit;

    SUBCASE("Grandstream's shipped names are placeholders, matched on O and CN alone")
    {
      const Issued ca = issue_ca("/C=TW/O=Grandstream Networks, Inc./OU=Factory/CN=Grandstream ECC Device CA");
      const Issued leaf = issue("/CN=000B82A1B2C3", &ca);
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.provenance.kind == ProvenanceKind::factory);
      CHECK(record.assessment.provenance.basis == ProvenanceBasis::issuer_name);
      REQUIRE(record.assessment.provenance.issuer_verified.has_value());
      CHECK_FALSE(*record.assessment.provenance.issuer_verified);
    }
    SUBCASE("Gigaset.net is documented by Gigaset")
    {
      const Issued ca = issue_ca(k_gigaset_ca_subject);
      const Issued leaf = issue("/CN=7C2F80ABCDEF", &ca);
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.provenance.kind == ProvenanceKind::factory);
      REQUIRE(record.assessment.provenance.issuer_verified.has_value());
      CHECK(*record.assessment.provenance.issuer_verified);
    }
    SUBCASE("a profile given with --profiles can mark its own names verified")
    {
      VendorProfile grandstream = audit.profile("Grandstream");
      grandstream.factory_issuers = {FactoryIssuer{"Grandstream Networks, Inc.", "Grandstream ECC Device CA", true,
                                                   "checked against our GRP2614 on 2026-11-20"}};
      audit.profiles.add(grandstream);
      const Issued ca = issue_ca(k_grandstream_ecc_ca_subject);
      const Issued leaf = issue("/CN=000B82A1B2C3", &ca);
      const Record record = audit.record({leaf.der()});
      REQUIRE(record.assessment.provenance.issuer_verified.has_value());
      CHECK(*record.assessment.provenance.issuer_verified);
    }
  }

  TEST_CASE("generic-cn: Einstein2")
  {
    Audit audit;

    SUBCASE("a Gigaset factory certificate with the shared CN")
    {
      const Issued gigaset_ca = issue_ca(k_gigaset_ca_subject);
      const Issued leaf = issue("/CN=Einstein2", &gigaset_ca);
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.cn_class == CnClass::generic);
      CHECK(record.assessment.vendor == "Gigaset");
      CHECK(record.assessment.vendor_source == "issuer-name");
      CHECK(codes(record) == Codes{"generic-cn"});
      const Finding* finding = find(record, "generic-cn");
      REQUIRE(finding != nullptr);
      CHECK(finding->severity == Severity::high);
      CHECK(contains(finding->message, "Einstein2"));
      CHECK(finding->remediation == audit.profile("Gigaset").remediation.at("generic-cn"));
    }
    SUBCASE("a generic CN names its vendor when nothing else does")
    {
      // README, vendor profiles, matching rules: "a leaf CN listed in a profile's generic_cns names
      // that vendor when nothing above did". Einstein2 is in the Gigaset profile's generic_cns.
      const Issued ca = issue_ca(k_private_ca_subject);
      const Issued leaf = issue("/CN=Einstein2", &ca);
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.cn_class == CnClass::generic);
      CHECK(record.assessment.vendor == "Gigaset");
      CHECK(record.assessment.vendor_source == "subject-name");
      const Finding* finding = find(record, "generic-cn");
      REQUIRE(finding != nullptr);
      CHECK(finding->remediation == audit.profile("Gigaset").remediation.at("generic-cn"));
    }
    SUBCASE("a generic CN that only a profile knows")
    {
      VendorProfile acme;
      acme.name = "Acme";
      acme.generic_cns = {"SharedPhone"};
      acme.remediation = {{"generic-cn", "Ask Acme for per-device certificates."}};
      audit.profiles.add(acme);
      const Issued ca = issue_ca(k_private_ca_subject);
      const Issued leaf = issue("/CN=sharedphone", &ca);
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.cn_class == CnClass::generic);
      CHECK(record.assessment.vendor == "Acme");
      CHECK(record.assessment.vendor_source == "subject-name");
      const Finding* finding = find(record, "generic-cn");
      REQUIRE(finding != nullptr);
      CHECK(finding->remediation == "Ask Acme for per-device certificates.");
    }
  }

  TEST_CASE("self-signed")
  {
    Audit audit;

    SUBCASE("a Polycom phone's own certificate")
    {
      const Issued own = issue("/CN=0004F2A1B2C3", nullptr);
      const Record record = audit.record({own.der()});
      CHECK(record.assessment.provenance.kind == ProvenanceKind::self_signed);
      CHECK(record.assessment.vendor == "Polycom");
      CHECK(codes(record) == Codes{"self-signed"});
      const Finding* finding = find(record, "self-signed");
      REQUIRE(finding != nullptr);
      CHECK(finding->severity == Severity::high);
      CHECK(contains(finding->message, "Polycom"));
      CHECK(finding->remediation == audit.profile("Polycom").remediation.at("self-signed"));
    }
    SUBCASE("no vendor")
    {
      const Issued own = issue("/CN=phone-7", nullptr);
      const Record record = audit.record({own.der()});
      CHECK(record.assessment.vendor.empty());
      CHECK(codes(record) == Codes{"self-signed"});
      const Finding* finding = find(record, "self-signed");
      REQUIRE(finding != nullptr);
      CHECK(contains(finding->message, "the device"));
      CHECK(finding->remediation == default_remediation("self-signed"));
    }
  }

  TEST_CASE("expired, expiring and not-yet-valid against the given now")
  {
    // Valid 2025-01-01T00:00:00Z .. 2030-01-01T00:00:00Z; a Gigaset factory certificate by name.
    Audit audit;
    const Issued gigaset_ca = issue_ca(k_gigaset_ca_subject);
    const Issued leaf = issue("/CN=7C2F80ABCDEF", &gigaset_ca);
    const std::vector<Der> chain{leaf.der()};

    SUBCASE("valid")
    {
      const Record record = audit.record(chain, k_now);
      CHECK(record.assessment.validity == Validity::valid);
      CHECK(codes(record).empty());
    }
    SUBCASE("expired")
    {
      const Record record = audit.record(chain, at("2030-01-11T00:00:00Z"));
      CHECK(record.assessment.validity == Validity::expired);
      CHECK(codes(record) == Codes{"expired"});
      const Finding* finding = find(record, "expired");
      REQUIRE(finding != nullptr);
      CHECK(finding->severity == Severity::high);
      CHECK(finding->message == "expired 10 days ago");
      // Expired is no reason to doubt where it came from.
      CHECK(record.assessment.provenance.kind == ProvenanceKind::factory);
    }
    SUBCASE("expiring within the warning window")
    {
      const Record record = audit.record(chain, at("2029-12-22T00:00:00Z"));
      CHECK(record.assessment.validity == Validity::expiring);
      CHECK(codes(record) == Codes{"expiring"});
      const Finding* finding = find(record, "expiring");
      REQUIRE(finding != nullptr);
      CHECK(finding->severity == Severity::medium);
      CHECK(finding->message == "expires in 10 days");
    }
    SUBCASE("outside a shorter warning window")
    {
      const Record record = audit.record(chain, at("2029-12-22T00:00:00Z"), 5);
      CHECK(record.assessment.validity == Validity::valid);
      CHECK(codes(record).empty());
    }
    SUBCASE("not yet valid")
    {
      const Record record = audit.record(chain, at("2024-12-31T00:00:00Z"));
      CHECK(record.assessment.validity == Validity::not_yet_valid);
      CHECK(codes(record) == Codes{"not-yet-valid"});
      const Finding* finding = find(record, "not-yet-valid");
      REQUIRE(finding != nullptr);
      CHECK(finding->severity == Severity::medium);
      CHECK(contains(finding->message, "2025-01-01T00:00:00Z"));
    }
  }

  TEST_CASE("weak-key: RSA below 2048 bits, EC P-256 is not weak")
  {
    Audit audit;
    const Issued gigaset_ca = issue_ca(k_gigaset_ca_subject);

    SUBCASE("RSA-1024")
    {
      const Issued leaf = issue("/CN=7C2F80ABCDEF", &gigaset_ca, {.key_spec = {"rsa", 1024, ""}});
      const Record record = audit.record({leaf.der()});
      REQUIRE(record.leaf()->key.bits == 1024);
      CHECK(codes(record) == Codes{"weak-key"});
      const Finding* finding = find(record, "weak-key");
      REQUIRE(finding != nullptr);
      CHECK(finding->severity == Severity::high);
      CHECK(finding->message == "RSA key of 1024 bits (at least 2048 expected)");
    }
    SUBCASE("EC P-256")
    {
      const Issued leaf = issue("/CN=7C2F80ABCDEF", &gigaset_ca);
      const Record record = audit.record({leaf.der()});
      REQUIRE(record.leaf()->key.type == "EC");
      REQUIRE(record.leaf()->key.bits == 256);
      CHECK(find(record, "weak-key") == nullptr);
      CHECK(codes(record).empty());
    }
    SUBCASE("RSA-2048")
    {
      const Issued leaf = issue("/CN=7C2F80ABCDEF", &gigaset_ca, {.key = shared_rsa_2048()});
      const Record record = audit.record({leaf.der()});
      REQUIRE(record.leaf()->key.bits == 2048);
      CHECK(find(record, "weak-key") == nullptr);
    }
  }

  TEST_CASE("mac-mismatch: the CN's MAC is not the inventory's for this address")
  {
    Audit audit;
    const Issued own = issue("/CN=00:04:f2:a1:b2:c3", nullptr);

    SUBCASE("another MAC")
    {
      audit.add_row(k_ip, "0004F2000001");
      const Record record = audit.record({own.der()});
      REQUIRE(record.assessment.inventory.has_value());
      const Finding* finding = find(record, "mac-mismatch");
      REQUIRE(finding != nullptr);
      CHECK(finding->severity == Severity::high);
      CHECK(contains(finding->message, "issued to another device"));
      CHECK(contains(finding->message, "0004F2A1B2C3"));
      CHECK(contains(finding->message, "0004F2000001 (from the inventory)"));
      CHECK(contains(finding->remediation, "copied"));
      CHECK(codes(record) == Codes{"mac-mismatch", "self-signed"});
    }
    SUBCASE("a MAC from a DHCP lease counts as the device's own")
    {
      InventoryRow row; // as merge_dhcp_leases makes it for a lease the inventory does not list
      row.line = 7;
      row.ip = k_ip;
      row.mac = "0004F2000001";
      row.extra.emplace_back("dhcp_lease", "leases:7");
      audit.inventory.rows.push_back(row);
      audit.inventory.index();
      const Record record = audit.record({own.der()});
      const Finding* finding = find(record, "mac-mismatch");
      REQUIRE(finding != nullptr);
      CHECK(finding->severity == Severity::high);
      CHECK(contains(finding->message, "0004F2000001 (from the inventory/DHCP lease)"));
    }
    SUBCASE("the same MAC, spelled otherwise in the CN")
    {
      audit.add_row(k_ip, "0004F2A1B2C3");
      const Record record = audit.record({own.der()});
      REQUIRE(record.assessment.inventory.has_value());
      CHECK(record.assessment.mac == "0004F2A1B2C3");
      CHECK(find(record, "mac-mismatch") == nullptr);
    }
    SUBCASE("a row without a MAC")
    {
      audit.add_row(k_ip, "");
      const Record record = audit.record({own.der()});
      REQUIRE(record.assessment.inventory.has_value());
      CHECK(find(record, "mac-mismatch") == nullptr);
    }
    SUBCASE("a CN that is not a MAC")
    {
      audit.add_row(k_ip, "0004F2000001");
      const Issued named = issue("/CN=phone-7", nullptr);
      const Record record = audit.record({named.der()});
      CHECK(find(record, "mac-mismatch") == nullptr);
    }
    SUBCASE("another address's row does not count")
    {
      audit.add_row("127.0.2.99", "0004F2000001");
      const Record record = audit.record({own.der()});
      CHECK_FALSE(record.assessment.inventory.has_value());
      CHECK(find(record, "mac-mismatch") == nullptr);
    }
  }

  TEST_CASE("chain-incomplete: verifies only with an intermediate the device did not send")
  {
    Audit audit;
    const Issued root = issue_ca(k_polycom_root_subject);
    const Issued issuing = issue(k_polycom_issuing_subject, &root, {.ca = true});
    const Issued leaf = issue("/CN=0004F2A1B2C3", &issuing);
    REQUIRE(audit.trust.add_vendor_bundle("Polycom", root.pem() + issuing.pem(), "polycom.pem").ok());

    SUBCASE("leaf only")
    {
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.provenance.kind == ProvenanceKind::factory);
      CHECK(record.assessment.provenance.chain_incomplete);
      CHECK(codes(record) == Codes{"chain-incomplete"});
      const Finding* finding = find(record, "chain-incomplete");
      REQUIRE(finding != nullptr);
      CHECK(finding->severity == Severity::medium);
    }
    SUBCASE("leaf and intermediate")
    {
      const Record record = audit.record({leaf.der(), issuing.der()});
      CHECK(record.assessment.provenance.kind == ProvenanceKind::factory);
      CHECK_FALSE(record.assessment.provenance.chain_incomplete);
      CHECK(codes(record).empty());
    }
  }

  TEST_CASE("unknown-issuer: medium, high when it imitates a factory CA")
  {
    Audit audit;

    SUBCASE("a private CA")
    {
      const Issued ca = issue_ca(k_private_ca_subject);
      const Issued leaf = issue("/CN=0004F2A1B2C3", &ca);
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.provenance.kind == ProvenanceKind::custom_ca);
      CHECK(record.assessment.provenance.basis == ProvenanceBasis::issuer_name);
      CHECK(codes(record) == Codes{"unknown-issuer"});
      const Finding* finding = find(record, "unknown-issuer");
      REQUIRE(finding != nullptr);
      CHECK(finding->severity == Severity::medium);
      CHECK(contains(finding->message, "Private CA"));
      CHECK(finding->remediation == default_remediation("unknown-issuer"));
    }
    SUBCASE("the private CA given with --trust")
    {
      const Issued ca = issue_ca(k_private_ca_subject);
      const Issued leaf = issue("/CN=0004F2A1B2C3", &ca);
      REQUIRE(audit.trust.add_enterprise_bundle(ca.pem(), "corp.pem").ok());
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.provenance.kind == ProvenanceKind::custom_ca);
      CHECK(record.assessment.provenance.basis == ProvenanceBasis::chain);
      CHECK(codes(record).empty());
    }
    SUBCASE("named like the Gigaset CA, a Gigaset bundle given, signed by another key")
    {
      const Issued genuine = issue_ca(k_gigaset_ca_subject);
      REQUIRE(audit.trust.add_vendor_bundle("Gigaset", genuine.pem(), "gigaset.pem").ok());
      const PkeyPtr forger = generate_key(k_ec);
      const PkeyPtr leaf_key = generate_key(k_ec);
      CertSpec spec;
      spec.subject = parse_subject("/CN=7C2F80ABCDEF");
      spec.not_before_text = "20250101000000Z";
      spec.not_after_text = "20300101000000Z";
      const X509Ptr forged = make_certificate(spec, leaf_key.get(), genuine.cert.get(), forger.get());
      const Record record = audit.record({to_der(forged.get())});
      CHECK(record.assessment.provenance.claims_factory);
      CHECK(codes(record) == Codes{"unknown-issuer"});
      const Finding* finding = find(record, "unknown-issuer");
      REQUIRE(finding != nullptr);
      CHECK(finding->severity == Severity::high);
      CHECK(finding->message == record.assessment.provenance.detail);
    }
  }

  TEST_CASE("issuer-pin-mismatch: chains to the vendor's roots through an unpinned issuer")
  {
    Audit audit;
    const Issued root = issue_ca(k_polycom_root_subject);
    const Issued issuing = issue(k_polycom_issuing_subject, &root, {.ca = true});
    const Issued leaf = issue("/CN=0004F2A1B2C3", &issuing);
    REQUIRE(audit.trust.add_vendor_bundle("Polycom", root.pem(), "polycom.pem").ok());
    VendorProfile polycom = audit.profile("Polycom");
    polycom.issuer_pins = {IssuerPin{"sha256", sha256_hex(root.cert.get())}}; // the root, not the issuer
    audit.profiles.add(polycom);

    const Record record = audit.record({leaf.der(), issuing.der()});
    CHECK(record.assessment.provenance.pin_mismatch);
    CHECK(record.assessment.vendor == "Polycom");
    CHECK(codes(record) == Codes{"issuer-pin-mismatch"});
    const Finding* finding = find(record, "issuer-pin-mismatch");
    REQUIRE(finding != nullptr);
    CHECK(finding->severity == Severity::high);
    CHECK(finding->remediation == audit.profile("Polycom").remediation.at("issuer-pin-mismatch"));
    CHECK(find(record, "unknown-issuer") == nullptr);

    SUBCASE("the issuer's own pin")
    {
      polycom.issuer_pins = {IssuerPin{"sha256", sha256_hex(issuing.cert.get())}};
      audit.profiles.add(polycom);
      const Record pinned = audit.record({leaf.der(), issuing.der()});
      CHECK(pinned.assessment.provenance.kind == ProvenanceKind::factory);
      CHECK(codes(pinned).empty());
    }
  }

  TEST_CASE("certificate-unparseable")
  {
    Audit audit;
    audit.add_row(k_ip, "0004F2A1B2C3", "Polycom");

    SUBCASE("a name OpenSSL refuses")
    {
      const PkeyPtr key = generate_key(k_ec);
      CertSpec spec;
      spec.subject = {{"CN", "Caf\xE9", V_ASN1_UTF8STRING}};
      const X509Ptr cert = make_certificate(spec, key.get(), nullptr, key.get());
      const Record record = audit.record({to_der(cert.get())});
      REQUIRE(record.ok());
      REQUIRE_FALSE(record.leaf()->parsed);
      CHECK(record.assessment.provenance.kind == ProvenanceKind::unknown);
      CHECK(record.assessment.provenance.basis == ProvenanceBasis::none);
      CHECK(codes(record) == Codes{"certificate-unparseable"});
      const Finding* finding = find(record, "certificate-unparseable");
      REQUIRE(finding != nullptr);
      CHECK(finding->severity == Severity::high);
      CHECK(contains(finding->message, record.leaf()->parse_error));
      CHECK(record.assessment.vendor == "Polycom");
      CHECK(record.assessment.inventory.has_value());
    }
    SUBCASE("bytes that are not a certificate")
    {
      const Record record = audit.record({Der{0x30, 0x03, 0x02, 0x01, 0x05}});
      REQUIRE(record.ok());
      CHECK(codes(record) == Codes{"certificate-unparseable"});
    }
  }

  TEST_CASE("make_finding: the vendor's remediation for the codes its profile defines, else the default")
  {
    const VendorProfiles profiles = VendorProfiles::builtin();
    const VendorProfile* polycom = profiles.find("Polycom");
    REQUIRE(polycom != nullptr);

    const Finding own = make_finding("self-signed", "m", polycom);
    CHECK(own.code == "self-signed");
    CHECK(own.severity == Severity::high);
    CHECK(own.message == "m");
    CHECK(own.remediation == polycom->remediation.at("self-signed"));

    const Finding general = make_finding("unknown-issuer", "m", polycom); // Polycom has no text for it
    CHECK(general.severity == Severity::medium);
    CHECK(general.remediation == default_remediation("unknown-issuer"));

    CHECK(make_finding("self-signed", "m", nullptr).remediation == default_remediation("self-signed"));

    SUBCASE("through the audit: the same certificate with and without a vendor")
    {
      Audit audit;
      const Issued ca = issue_ca(k_private_ca_subject);
      const Issued polycom_leaf = issue("/CN=0004F2A1B2C3", &ca, {.hash = "sha1"});
      const Record with_vendor = audit.record({polycom_leaf.der()});
      REQUIRE(with_vendor.assessment.vendor == "Polycom");
      REQUIRE(find(with_vendor, "sha1-rejected") != nullptr);
      REQUIRE(find(with_vendor, "unknown-issuer") != nullptr);
      CHECK(find(with_vendor, "sha1-rejected")->remediation == polycom->remediation.at("sha1-rejected"));
      CHECK(find(with_vendor, "unknown-issuer")->remediation == default_remediation("unknown-issuer"));

      const Issued plain_leaf = issue("/CN=phone-7", &ca, {.hash = "sha1"});
      const Record without_vendor = audit.record({plain_leaf.der()});
      REQUIRE(without_vendor.assessment.vendor.empty());
      REQUIRE(find(without_vendor, "sha1-rejected") != nullptr);
      CHECK(find(without_vendor, "sha1-rejected")->remediation == default_remediation("sha1-rejected"));
    }
  }

  TEST_CASE("vendor detection through the audit")
  {
    Audit audit;
    const Issued private_ca = issue_ca(k_private_ca_subject);

    SUBCASE("the inventory's vendor wins over the MAC")
    {
      audit.add_row(k_ip, "000B82A1B2C3", "yealink");
      const Issued leaf = issue("/CN=000B82A1B2C3", &private_ca);
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.vendor == "Yealink");
      CHECK(record.assessment.vendor_source == "inventory");
    }
    SUBCASE("an inventory vendor without a profile is kept as written")
    {
      audit.add_row(k_ip, "000B82A1B2C3", "Snom");
      const Issued leaf = issue("/CN=000B82A1B2C3", &private_ca);
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.vendor == "Snom");
      CHECK(record.assessment.vendor_source == "inventory");
    }
    SUBCASE("the inventory's vendor wins over a verified chain")
    {
      const Issued root = issue_ca(k_polycom_root_subject);
      const Issued issuing = issue(k_polycom_issuing_subject, &root, {.ca = true});
      const Issued leaf = issue("/CN=0004F2A1B2C3", &issuing);
      REQUIRE(audit.trust.add_vendor_bundle("Polycom", root.pem(), "polycom.pem").ok());
      audit.add_row(k_ip, "", "Yealink");
      const Record record = audit.record({leaf.der(), issuing.der()});
      CHECK(record.assessment.provenance.kind == ProvenanceKind::factory);
      CHECK(record.assessment.provenance.vendor == "Polycom");
      CHECK(record.assessment.vendor == "Yealink");
      CHECK(record.assessment.vendor_source == "inventory");
      const Finding* finding = find(record, "vendor-mismatch");
      REQUIRE(finding != nullptr);
      CHECK(contains(finding->message, "Yealink (by the inventory)"));
      CHECK(contains(finding->message, "Polycom CA certificates given"));
    }
    SUBCASE("MAC prefix of the CN")
    {
      const Issued leaf = issue("/CN=0004F2A1B2C3", &private_ca);
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.vendor == "Polycom");
      CHECK(record.assessment.vendor_source == "mac-prefix");
    }
    SUBCASE("MAC prefix of the inventory's MAC when the CN is no MAC")
    {
      audit.add_row(k_ip, "249AD8000001", "unknown"); // "unknown" is no vendor
      const Issued leaf = issue("/CN=phone-7", &private_ca);
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.vendor == "Yealink");
      CHECK(record.assessment.vendor_source == "mac-prefix");
    }
    SUBCASE("the inventory's MAC is preferred to the CN's")
    {
      audit.add_row(k_ip, "249AD8000001");
      const Issued leaf = issue("/CN=0004F2A1B2C3", &private_ca);
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.vendor == "Yealink");
      CHECK(record.assessment.vendor_source == "mac-prefix");
      CHECK(find(record, "mac-mismatch") != nullptr);
    }
    SUBCASE("the IEEE registry for vendors without a profile")
    {
      std::istringstream csv("Registry,Assignment,Organization Name,Organization Address\r\n"
                             "MA-L,001A2B,Acme Telephones Ltd,1 Main Street Springfield US\r\n"
                             "MA-L,00AABB,\"Grandstream Networks, Inc.\",1297 Beacon Street Brookline MA US\r\n");
      const auto added = audit.registry.add_csv(csv, "oui.csv");
      REQUIRE(added.ok());
      REQUIRE(*added == 2);

      const Issued acme = issue("/CN=001A2B000001", &private_ca, {.hash = "sha1"});
      const Record record = audit.record({acme.der()});
      CHECK(record.assessment.vendor == "Acme Telephones Ltd");
      CHECK(record.assessment.vendor_source == "ieee-registry");
      REQUIRE(find(record, "sha1-rejected") != nullptr);
      CHECK(find(record, "sha1-rejected")->remediation == default_remediation("sha1-rejected"));

      const Issued grandstream = issue("/CN=00AABB000001", &private_ca);
      const Record named = audit.record({grandstream.der()});
      CHECK(named.assessment.vendor == "Grandstream");
      CHECK(named.assessment.vendor_source == "ieee-registry");
    }
    SUBCASE("the issuer's name")
    {
      const Issued gigaset_ca = issue_ca(k_gigaset_ca_subject);
      const Issued leaf = issue("/CN=phone-7", &gigaset_ca);
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.vendor == "Gigaset");
      CHECK(record.assessment.vendor_source == "issuer-name");

      const Issued yealink_ca = issue_ca("/O=Yealink Network Technology Co., Ltd./CN=Some Yealink CA");
      const Issued other = issue("/CN=phone-8", &yealink_ca);
      const Record by_text = audit.record({other.der()});
      CHECK(by_text.assessment.vendor == "Yealink");
      CHECK(by_text.assessment.vendor_source == "issuer-name");
    }
    SUBCASE("the subject's name")
    {
      const Issued leaf = issue("/O=Yealink/CN=phone-7", &private_ca);
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.vendor == "Yealink");
      CHECK(record.assessment.vendor_source == "subject-name");
    }
    SUBCASE("a verified chain does not rename a device whose MAC prefix names its vendor")
    {
      const Issued root = issue_ca(k_polycom_root_subject);
      const Issued issuing = issue(k_polycom_issuing_subject, &root, {.ca = true});
      const Issued leaf = issue("/CN=000B82A1B2C3", &issuing); // a Grandstream MAC
      REQUIRE(audit.trust.add_vendor_bundle("Polycom", root.pem(), "polycom.pem").ok());
      const Record record = audit.record({leaf.der(), issuing.der()});
      CHECK(record.assessment.provenance.kind == ProvenanceKind::factory);
      CHECK(record.assessment.provenance.vendor == "Polycom");
      CHECK(record.assessment.vendor == "Grandstream");
      CHECK(record.assessment.vendor_source == "mac-prefix");
      CHECK(find(record, "vendor-mismatch") != nullptr);
    }
    SUBCASE("a verified chain names the vendor over the certificate's own names")
    {
      const Issued root = issue_ca(k_polycom_root_subject);
      const Issued issuing = issue(k_polycom_issuing_subject, &root, {.ca = true});
      const Issued leaf = issue("/O=Yealink/CN=phone-7", &issuing); // names Yealink, no MAC
      REQUIRE(audit.trust.add_vendor_bundle("Polycom", root.pem(), "polycom.pem").ok());
      const Record record = audit.record({leaf.der(), issuing.der()});
      CHECK(record.assessment.provenance.kind == ProvenanceKind::factory);
      CHECK(record.assessment.vendor == "Polycom");
      CHECK(record.assessment.vendor_source == "issuer-name");
      CHECK(find(record, "vendor-mismatch") == nullptr);
    }
    SUBCASE("nothing to go on")
    {
      const Issued leaf = issue("/CN=phone-7", &private_ca);
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.vendor.empty());
      CHECK(record.assessment.vendor_source.empty());
    }
  }

  TEST_CASE("vendor-mismatch: the device's vendor stays when its certificate is another vendor's")
  {
    Audit audit;
    // A bundle given as Grandstream's that holds the Polycom root (mislabelled), and a Polycom
    // phone's RSA+SHA256 certificate under it: RSA+SHA256 is Grandstream's legacy generation.
    const Issued polycom_root = issue_ca(k_polycom_root_subject, {.key = shared_rsa_2048()});

    SUBCASE("a mislabelled bundle does not rename a Polycom device (MAC prefix of the inventory)")
    {
      REQUIRE(audit.trust.add_vendor_bundle("Grandstream", polycom_root.pem(), "gs.pem").ok());
      audit.add_row(k_ip, "0004F2A1B2C3");
      const Issued leaf = issue("/CN=0004F2A1B2C3", &polycom_root);
      const Record record = audit.record({leaf.der()});
      REQUIRE(record.leaf()->signature.label == "RSA+SHA256");
      CHECK(record.assessment.provenance.kind == ProvenanceKind::factory);
      CHECK(record.assessment.provenance.basis == ProvenanceBasis::chain);
      CHECK(record.assessment.provenance.vendor == "Grandstream");
      CHECK(record.assessment.vendor == "Polycom");
      CHECK(record.assessment.vendor_source == "mac-prefix");
      CHECK(codes(record) == Codes{"vendor-mismatch"}); // no Grandstream legacy-generation on a Polycom phone
      const Finding* finding = find(record, "vendor-mismatch");
      REQUIRE(finding != nullptr);
      CHECK(finding->severity == Severity::medium);
      CHECK(contains(finding->message, "the device is Polycom (by the MAC prefix of 0004F2A1B2C3, from the inventory)"));
      CHECK(contains(finding->message, "Grandstream CA certificates given"));
      CHECK(finding->remediation == default_remediation("vendor-mismatch"));
    }
    SUBCASE("the MAC prefix of the CN, no inventory: vendor-specific findings keep the device's profile")
    {
      REQUIRE(audit.trust.add_vendor_bundle("Grandstream", polycom_root.pem(), "gs.pem").ok());
      const Issued leaf = issue("/CN=0004F2A1B2C3", &polycom_root, {.hash = "sha1"});
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.vendor == "Polycom");
      CHECK(codes(record) == Codes{"sha1-rejected", "vendor-mismatch"});
      CHECK(find(record, "sha1-rejected")->remediation == audit.profile("Polycom").remediation.at("sha1-rejected"));
      CHECK(contains(find(record, "vendor-mismatch")->message, "0004F2A1B2C3, from the certificate's CN)"));
    }
    SUBCASE("an IEEE registry vendor without a profile")
    {
      std::istringstream csv("Registry,Assignment,Organization Name,Organization Address\r\n"
                             "MA-L,001A2B,Acme Telephones Ltd,1 Main Street Springfield US\r\n");
      REQUIRE(audit.registry.add_csv(csv, "oui.csv").ok());
      REQUIRE(audit.trust.add_vendor_bundle("Grandstream", polycom_root.pem(), "gs.pem").ok());
      const Issued leaf = issue("/CN=001A2B000001", &polycom_root);
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.vendor == "Acme Telephones Ltd");
      CHECK(record.assessment.vendor_source == "ieee-registry");
      REQUIRE(find(record, "vendor-mismatch") != nullptr);
      CHECK(contains(find(record, "vendor-mismatch")->message, "IEEE registry"));
      CHECK(find(record, "legacy-generation") == nullptr);
    }
    SUBCASE("an issuer named like another vendor's factory CA (not verified)")
    {
      const Issued grandstream_ca = issue_ca(k_grandstream_rsa_ca_subject, {.key = shared_rsa_2048()});
      const Issued leaf = issue("/CN=0004F2A1B2C3", &grandstream_ca);
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.provenance.kind == ProvenanceKind::factory);
      CHECK(record.assessment.provenance.basis == ProvenanceBasis::issuer_name);
      CHECK(record.assessment.provenance.vendor == "Grandstream");
      CHECK(record.assessment.vendor == "Polycom");
      CHECK(codes(record) == Codes{"vendor-mismatch"});
      CHECK(contains(find(record, "vendor-mismatch")->message, "names the Grandstream factory CA as its issuer"));
    }
    SUBCASE("the same vendor, spelled as an alias in the inventory: no finding")
    {
      const Issued grandstream_ca = issue_ca(k_grandstream_rsa_ca_subject, {.key = shared_rsa_2048()});
      REQUIRE(audit.trust.add_vendor_bundle("grandstream", grandstream_ca.pem(), "gs.pem").ok());
      audit.add_row(k_ip, "", "Grandstream Networks, Inc.");
      const Issued leaf = issue("/CN=000B82A1B2C3", &grandstream_ca);
      const Record record = audit.record({leaf.der()});
      CHECK(record.assessment.provenance.kind == ProvenanceKind::factory);
      CHECK(record.assessment.vendor == "Grandstream");
      CHECK(codes(record) == Codes{"legacy-generation"});
    }
    SUBCASE("a self-signed or enterprise certificate is no other vendor's: no finding")
    {
      const Issued own = issue("/CN=0004F2A1B2C3", nullptr);
      CHECK(find(audit.record({own.der()}), "vendor-mismatch") == nullptr);
    }
  }

  TEST_CASE("a Grandstream factory certificate signed with SHA1 or MD5 is factory")
  {
    Audit audit;
    const Issued ca = issue_ca(k_grandstream_rsa_ca_subject, {.key = shared_rsa_2048()});
    const Issued sha1 = issue("/CN=000B82A1B2C3", &ca, {.hash = "sha1"});
    const Issued md5 = issue("/CN=000B82A1B2C4", &ca, {.hash = "md5"});

    SUBCASE("by the issuer's name")
    {
      const Record record = audit.record({sha1.der()});
      REQUIRE(record.leaf()->signature.label == "RSA+SHA1");
      CHECK(record.assessment.provenance.kind == ProvenanceKind::factory);
      CHECK(record.assessment.provenance.basis == ProvenanceBasis::issuer_name);
      CHECK(record.assessment.provenance.vendor == "Grandstream");
      CHECK(codes(record) == Codes{"sha1-rejected"});
      CHECK(find(record, "sha1-rejected")->remediation == audit.profile("Grandstream").remediation.at("sha1-rejected"));
    }
    SUBCASE("verified against the Grandstream bundle")
    {
      REQUIRE(audit.trust.add_vendor_bundle("Grandstream", ca.pem(), "gs.pem").ok());
      for (const Issued* leaf : {&sha1, &md5}) {
        const Record record = audit.record({leaf->der()});
        CAPTURE(record.leaf()->signature.label);
        CHECK(record.assessment.provenance.kind == ProvenanceKind::factory);
        CHECK(record.assessment.provenance.basis == ProvenanceBasis::chain);
        CHECK(record.assessment.provenance.vendor == "Grandstream");
        CHECK(record.assessment.vendor == "Grandstream");
        CHECK(codes(record) == Codes{leaf == &sha1 ? "sha1-rejected" : "weak-signature"});
      }
    }
  }

  TEST_CASE("findings are sorted worst first, then by code")
  {
    Audit audit;
    // Self-signed RSA-1024 MD5 with the shared CN, ten days before it expires.
    const Issued own = issue("/CN=Einstein2", nullptr, {.key_spec = {"rsa", 1024, ""}, .hash = "md5"});
    const Record record = audit.record({own.der()}, at("2029-12-22T00:00:00Z"));
    CHECK(codes(record) == Codes{"weak-signature", "generic-cn", "self-signed", "weak-key", "expiring"});
    const auto& findings = record.assessment.findings;
    CHECK(std::is_sorted(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
      return a.severity != b.severity ? a.severity > b.severity : a.code < b.code;
    }));
    for (const auto& finding : findings) {
      CAPTURE(finding.code);
      CHECK_FALSE(finding.message.empty());
      CHECK_FALSE(finding.remediation.empty());
    }
  }

  TEST_CASE("error records get only their inventory row")
  {
    Audit audit;
    audit.add_row("127.0.2.8", "7C2F80ABCDEF", "Gigaset");
    audit.add_row("", "0004F2A1B2C3", "Polycom", "reception");

    auto error_record = [&](const std::string& ip, const std::string& host) {
      Observation observation;
      observation.endpoint = Endpoint{ip, 443, host, ""};
      observation.error = ErrorClass::timeout;
      observation.error_stage = "connect";
      const AuditContext context = audit.context();
      AssessmentSettings settings;
      settings.now = k_now;
      settings.audit = &context;
      return make_record(std::move(observation), settings);
    };

    SUBCASE("in the inventory")
    {
      const Record record = error_record("127.0.2.8", "");
      REQUIRE_FALSE(record.ok());
      REQUIRE(record.assessment.inventory.has_value());
      CHECK(record.assessment.inventory->mac == "7C2F80ABCDEF");
      CHECK(record.assessment.inventory->vendor == "Gigaset");
      CHECK(record.assessment.vendor.empty());
      CHECK(record.assessment.vendor_source.empty());
      CHECK(record.assessment.findings.empty());
      CHECK(record.assessment.provenance.kind == ProvenanceKind::unknown);
      CHECK(record.assessment.provenance.basis == ProvenanceBasis::none);
      CHECK_FALSE(record.assessment.validity.has_value());
    }
    SUBCASE("found by host name")
    {
      const Record record = error_record("127.0.2.50", "Reception");
      REQUIRE(record.assessment.inventory.has_value());
      CHECK(record.assessment.inventory->mac == "0004F2A1B2C3");
      CHECK(record.assessment.findings.empty());
    }
    SUBCASE("not in the inventory")
    {
      const Record record = error_record("127.0.2.9", "");
      CHECK_FALSE(record.assessment.inventory.has_value());
      CHECK(record.assessment.findings.empty());
      CHECK(record.assessment.vendor.empty());
    }
  }

  TEST_CASE("an ok record's inventory row is found by address, then by host name")
  {
    Audit audit;
    audit.add_row("", "0004F2A1B2C3", "", "reception");
    const Issued own = issue("/CN=0004F2A1B2C3", nullptr);
    const Record record = audit.record({own.der()}, k_now, 30, "127.0.2.50", "RECEPTION");
    REQUIRE(record.assessment.inventory.has_value());
    CHECK(record.assessment.inventory->hostname == "reception");
    CHECK(find(record, "mac-mismatch") == nullptr);
  }
}
