// Tests for scanner/assessment/bundle_check: which certificates claim each given bundle (the
// device's vendor, the vendor's factory issuer names, and for --trust any issuer that is no
// vendor's), what each bundle verified, the capped issuer list, and the warnings for a bundle that
// verified none of the certificates claiming it.

#include "scanner/assessment/bundle_check.hpp"
#include "scanner/assessment/provenance.hpp"
#include "scanner/assessment/vendor_profiles.hpp"
#include "support/cert_factory.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace fleetcert;
using namespace fleetcert::testing;

namespace {

constexpr const char* k_grandstream_issuer =
    "C=US, ST=Massachusetts, L=Boston, O=Grandstream Networks\\, Inc., CN=Grandstream ECC Device CA";
constexpr const char* k_enterprise_issuer = "O=Example Corp, CN=Example Corp CA";

// An audited record of an ok endpoint whose leaf has `issuer`, on a device of `vendor`.
Record record_of(const std::string& issuer, const std::string& vendor, bool self_signed = false)
{
  Record record;
  record.observation.endpoint = {"127.0.0.1", 443, "", ""};
  CertificateInfo leaf;
  leaf.parsed = true;
  leaf.subject = "CN=000B82A1B2C3";
  leaf.issuer = self_signed ? leaf.subject : issuer;
  leaf.self_signed = self_signed;
  record.chain = {leaf};
  record.assessment.vendor = vendor;
  return record;
}

Record verified_by_vendor_ca(const std::string& issuer, const std::string& vendor, const std::string& bundle_vendor)
{
  Record record = record_of(issuer, vendor);
  record.assessment.provenance.kind = ProvenanceKind::factory;
  record.assessment.provenance.basis = ProvenanceBasis::chain;
  record.assessment.provenance.vendor_ca = bundle_vendor;
  return record;
}

Record verified_by_trust(const std::string& issuer, const std::string& vendor)
{
  Record record = record_of(issuer, vendor);
  record.assessment.provenance.kind = ProvenanceKind::custom_ca;
  record.assessment.provenance.basis = ProvenanceBasis::chain;
  record.assessment.provenance.trust_verified = true;
  return record;
}

// Bundles of one self-signed CA each (their content does not matter to the check).
TrustStores trust_with(const std::vector<std::string>& vendors, bool enterprise)
{
  static const PkeyPtr key = generate_key({"ec", 0, "P-256"});
  CertSpec spec;
  spec.subject = parse_subject("/CN=Some CA");
  spec.ca = true;
  const std::string pem = to_pem(make_certificate(spec, key.get(), nullptr, key.get()).get());
  TrustStores trust;
  for (const std::string& vendor : vendors) {
    REQUIRE(trust.add_vendor_bundle(vendor, pem, vendor + ".pem").ok());
  }
  if (enterprise) {
    REQUIRE(trust.add_enterprise_bundle(pem, "corp.pem").ok());
  }
  return trust;
}

bool contains(const std::string& text, const std::string& part)
{
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_SUITE("scanner.bundle_check")
{
  TEST_CASE("a vendor bundle that verified none of the certificates claiming it is a warning naming their issuers")
  {
    const VendorProfiles profiles = VendorProfiles::builtin();
    const TrustStores trust = trust_with({"Grandstream"}, false);
    BundleCheck check(trust, profiles);
    REQUIRE(check.uses().size() == 1);
    CHECK(check.uses()[0].option == "--vendor-ca");
    CHECK(check.uses()[0].vendor == "Grandstream");
    CHECK(check.uses()[0].files == std::vector<std::string>{"Grandstream.pem"});
    CHECK(check.uses()[0].ca_certificates == 1);

    check.add(record_of(k_grandstream_issuer, "Grandstream"));                    // the device's vendor
    check.add(record_of(k_grandstream_issuer, "Grandstream"));
    check.add(record_of("O=Grandstream Networks, Inc., CN=Grandstream Device CA", "")); // a factory issuer name
    check.add(record_of("O=Grandstream Lab, CN=Test CA", ""));                    // the vendor named in the issuer
    check.add(record_of(k_enterprise_issuer, "Grandstream"));                     // its device, another issuer
    check.add(record_of("", "Grandstream", true));                                // self-signed: never a bundle's
    check.add(verified_by_trust(k_enterprise_issuer, "Grandstream"));             // the --trust bundle's
    check.add(record_of("O=Polycom Inc., CN=Polycom Equipment Issuing CA 1", "Polycom")); // another vendor's
    check.add(Record{});                                                          // no certificate

    const BundleUse& use = check.uses()[0];
    CHECK(use.certificates == 5);
    CHECK(use.verified == 0);
    REQUIRE(use.unverified_issuers.size() == 4);
    CHECK(use.unverified_issuers[0] == std::pair<std::string, std::uint64_t>{k_grandstream_issuer, 2});
    CHECK(use.unverified_other == 0);

    const std::vector<ScanWarning> warnings = check.warnings();
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].code == "vendor-ca-verified-none");
    const std::string& message = warnings[0].message;
    CAPTURE(message);
    CHECK(message.starts_with("--vendor-ca Grandstream ('Grandstream.pem') verified none of the 5 certificates of "
                              "Grandstream devices or with a Grandstream issuer name"));
    CHECK(contains(message, "stale, incomplete (an intermediate missing) or not Grandstream's"));
    CHECK(contains(message, "Issuers seen: '" + std::string(k_grandstream_issuer) + "' (2), "));
    CHECK(contains(message, "'O=Example Corp, CN=Example Corp CA' (1)"));
    CHECK(contains(message, "'O=Grandstream Lab, CN=Test CA' (1)"));
  }

  TEST_CASE("a bundle that verified some certificates, or that nothing claimed, is no warning")
  {
    const VendorProfiles profiles = VendorProfiles::builtin();
    const TrustStores trust = trust_with({"Grandstream", "Polycom"}, false);
    BundleCheck check(trust, profiles);
    check.add(verified_by_vendor_ca(k_grandstream_issuer, "Grandstream", "Grandstream"));
    check.add(record_of(k_grandstream_issuer, "Grandstream"));
    // Verified by the Grandstream bundle on a device of no known vendor: Grandstream's, not Polycom's.
    check.add(verified_by_vendor_ca("CN=Odd CA", "", "Grandstream"));
    // A Polycom device whose chain the Grandstream bundle verified: not a failure of the Polycom bundle.
    check.add(verified_by_vendor_ca(k_grandstream_issuer, "Polycom", "grandstream"));

    REQUIRE(check.uses().size() == 2);
    CHECK(check.uses()[0].certificates == 4);
    CHECK(check.uses()[0].verified == 3);
    CHECK(check.uses()[1].vendor == "Polycom");
    CHECK(check.uses()[1].certificates == 0);
    CHECK(check.warnings().empty());
  }

  TEST_CASE("--trust: certificates neither self-signed nor from a factory CA claim it")
  {
    const VendorProfiles profiles = VendorProfiles::builtin();
    const TrustStores trust = trust_with({}, true);
    BundleCheck check(trust, profiles);
    REQUIRE(check.uses().size() == 1);
    CHECK(check.uses()[0].option == "--trust");
    CHECK(check.uses()[0].vendor.empty());

    check.add(record_of(k_enterprise_issuer, "Polycom"));
    check.add(record_of(k_enterprise_issuer, ""));
    check.add(record_of("CN=Other CA", ""));
    check.add(record_of(k_grandstream_issuer, "Grandstream")); // a factory issuer name: not the enterprise's
    check.add(record_of("", "Polycom", true));                 // self-signed
    CHECK(check.uses()[0].certificates == 3);
    CHECK(check.uses()[0].verified == 0);
    std::vector<ScanWarning> warnings = check.warnings();
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].code == "trust-verified-none");
    CAPTURE(warnings[0].message);
    CHECK(warnings[0].message.starts_with("--trust ('corp.pem') verified none of the 3 certificates that are neither "
                                          "self-signed nor from a vendor's factory CA"));
    CHECK(contains(warnings[0].message, "Issuers seen: 'O=Example Corp, CN=Example Corp CA' (2), 'CN=Other CA' (1)"));

    check.add(verified_by_trust(k_enterprise_issuer, ""));
    CHECK(check.uses()[0].certificates == 4);
    CHECK(check.uses()[0].verified == 1);
    CHECK(check.warnings().empty());
  }

  TEST_CASE("issuer names are capped in number and length, the rest counted")
  {
    const VendorProfiles profiles = VendorProfiles::builtin();
    const TrustStores trust = trust_with({}, true);
    BundleCheck check(trust, profiles);
    for (std::size_t i = 0; i < BundleCheck::k_max_issuers + 3; ++i) {
      check.add(record_of("CN=CA " + std::to_string(i), ""));
    }
    check.add(record_of("CN=CA 12", "")); // the most frequent kept name moves first
    check.add(record_of("CN=CA 5", ""));
    check.add(record_of("CN=CA 5", ""));
    const std::string long_issuer = "CN=" + std::string(5000, 'x');
    check.add(record_of(long_issuer, ""));

    const BundleUse& use = check.uses()[0];
    CHECK(use.certificates == BundleCheck::k_max_issuers + 7);
    REQUIRE(use.unverified_issuers.size() == BundleCheck::k_max_issuers);
    CHECK(use.unverified_issuers[0] == std::pair<std::string, std::uint64_t>{"CN=CA 5", 3});
    CHECK(use.unverified_other == 5); // CA 10, 11, 12 twice, the long one
    for (const auto& [issuer, count] : use.unverified_issuers) {
      CHECK(issuer.size() <= BundleCheck::k_max_issuer_bytes);
    }
    const std::vector<ScanWarning> warnings = check.warnings();
    REQUIRE(warnings.size() == 1);
    CHECK(contains(warnings[0].message, "'CN=CA 5' (3), 'CN=CA 0' (1)"));
    CHECK(warnings[0].message.ends_with("and 5 more certificates under other issuers"));
  }

  TEST_CASE("no bundles given: nothing counted, nothing to warn")
  {
    const VendorProfiles profiles = VendorProfiles::builtin();
    const TrustStores trust;
    BundleCheck check(trust, profiles);
    check.add(record_of(k_grandstream_issuer, "Grandstream"));
    CHECK(check.uses().empty());
    CHECK(check.warnings().empty());
  }
}
