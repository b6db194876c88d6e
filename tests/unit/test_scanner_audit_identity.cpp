// Tests for what the device's announced identity changes in the audit (scanner/assessment/audit):
// identity-mac-mismatch, model-mismatch, vendor-mismatch with the announced vendor, the vendor named
// by the announcement, and the Polycom self-signed explanation by firmware. The identity is set on
// the record directly (the parsing is tested with the identity patterns).

#include "scanner/assessment/audit.hpp"
#include "scanner/assessment/findings.hpp"
#include "scanner/assessment/record.hpp"
#include "scanner/assessment/vendor_profiles.hpp"
#include "scanner/inputs/inventory.hpp"
#include "scanner/inputs/oui_registry.hpp"
#include "support/cert_factory.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

using namespace fleetcert;
using namespace fleetcert::testing;

namespace {

constexpr std::int64_t k_now = 1'800'000'000; // 2027-01-15T08:00:00Z
constexpr const char* k_ip = "127.0.2.9";

// A self-signed EC certificate with this subject, as DER.
Der self_signed(const std::string& subject)
{
  const PkeyPtr key = generate_key({"ec", 0, "P-256"});
  CertSpec spec;
  spec.subject = parse_subject(subject);
  spec.not_before_text = "20250101000000Z";
  spec.not_after_text = "20300101000000Z";
  const X509Ptr cert = make_certificate(spec, key.get(), nullptr, key.get());
  return to_der(cert.get());
}

AnnouncedIdentity announced(std::string vendor, std::string model, std::string firmware, std::string mac = {},
                            IdentitySource source = IdentitySource::sip_user_agent)
{
  AnnouncedIdentity identity;
  identity.vendor = std::move(vendor);
  identity.model = std::move(model);
  identity.firmware = std::move(firmware);
  identity.mac = std::move(mac);
  identity.source = source;
  identity.raw = identity.vendor + " " + identity.model + " " + identity.firmware;
  return identity;
}

struct Audit
{
  VendorProfiles profiles = VendorProfiles::builtin();
  TrustStores trust;
  Inventory inventory;
  OuiRegistry registry;

  void add_row(const std::string& mac, const std::string& vendor, const std::string& model)
  {
    InventoryRow row;
    row.line = inventory.rows.size() + 2;
    row.ip = k_ip;
    row.mac = mac;
    row.vendor = vendor;
    row.model = model;
    inventory.rows.push_back(row);
    inventory.index();
  }

  // The record of a certificate with `subject`, audited with `identity` set as the probe's parse
  // would set it.
  Record record(const std::string& subject, std::optional<AnnouncedIdentity> identity) const
  {
    Observation observation;
    observation.endpoint = Endpoint{k_ip, 5061, "", ""};
    observation.chain = {self_signed(subject)};
    observation.handshake_complete = true;
    AssessmentSettings settings;
    settings.now = k_now;
    Record record = make_record(std::move(observation), settings);
    record.identity = std::move(identity);
    const AuditContext context{&profiles, &trust, &inventory, &registry};
    audit_record(record, context);
    return record;
  }
};

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

} // namespace

TEST_SUITE("scanner.audit.identity")
{
  TEST_CASE("identity-mac-mismatch: the announced MAC against the CN and the inventory")
  {
    Audit audit;
    SUBCASE("differs from the certificate's CN")
    {
      const Record record = audit.record("/CN=7C2F80C6E5C2", announced("Gigaset", "N870 IP PRO", "83.V2.43.0", "7C2F80000001"));
      const Finding* finding = find(record, "identity-mac-mismatch");
      REQUIRE(finding != nullptr);
      CHECK(finding->severity == Severity::medium);
      CHECK(contains(finding->message, "announces MAC 7C2F80000001"));
      CHECK(contains(finding->message, "CN names 7C2F80C6E5C2"));
      CHECK(contains(finding->message, "SIP User-Agent"));
    }
    SUBCASE("differs from the inventory's MAC")
    {
      audit.add_row("7C2F80C6E5C2", "", "");
      const Record record = audit.record("/CN=phone", announced("Gigaset", "N870", "2.43", "7C2F80000001"));
      const Finding* finding = find(record, "identity-mac-mismatch");
      REQUIRE(finding != nullptr);
      CHECK(contains(finding->message, "the inventory says 7C2F80C6E5C2"));
      CHECK_FALSE(contains(finding->message, "CN names"));
    }
    SUBCASE("the same MAC everywhere: no finding")
    {
      audit.add_row("7C2F80C6E5C2", "", "");
      const Record record = audit.record("/CN=7C2F80C6E5C2", announced("Gigaset", "N870", "2.43", "7C2F80C6E5C2"));
      CHECK(find(record, "identity-mac-mismatch") == nullptr);
    }
    SUBCASE("no MAC announced, or no identity at all: no finding")
    {
      CHECK(find(audit.record("/CN=7C2F80C6E5C2", announced("Gigaset", "N870", "2.43")), "identity-mac-mismatch") == nullptr);
      CHECK(find(audit.record("/CN=7C2F80C6E5C2", std::nullopt), "identity-mac-mismatch") == nullptr);
    }
    SUBCASE("an identity nothing matched (no source) is not an announcement")
    {
      AnnouncedIdentity failed;
      failed.mac = "7C2F80000001";
      failed.error = "no pattern matched";
      CHECK(find(audit.record("/CN=7C2F80C6E5C2", failed), "identity-mac-mismatch") == nullptr);
    }
  }

  TEST_CASE("model-mismatch: case and separators ignored")
  {
    Audit audit;
    audit.add_row("000B82000001", "Grandstream", "GXP2170");
    SUBCASE("another model")
    {
      const Record record = audit.record("/CN=000B82000001", announced("Grandstream", "GXP2160", "1.0.11.23"));
      const Finding* finding = find(record, "model-mismatch");
      REQUIRE(finding != nullptr);
      CHECK(finding->severity == Severity::low);
      CHECK(contains(finding->message, "'GXP2170'"));
      CHECK(contains(finding->message, "'GXP2160'"));
    }
    SUBCASE("the same model spelt otherwise")
    {
      CHECK(find(audit.record("/CN=000B82000001", announced("Grandstream", "gxp-2170", "1.0.11.23")), "model-mismatch") == nullptr);
      CHECK(find(audit.record("/CN=000B82000001", announced("Grandstream", "GXP 2170", "1.0.11.23")), "model-mismatch") == nullptr);
    }
    SUBCASE("no model announced")
    {
      CHECK(find(audit.record("/CN=000B82000001", announced("Grandstream", "", "1.0.11.23")), "model-mismatch") == nullptr);
    }
  }

  TEST_CASE("model-mismatch: the vendor's model decorations are not another model")
  {
    Audit audit;
    audit.add_row("7C2F80C6E5C2", "Gigaset", "N870");
    // Gigaset's SIP User-Agent says "N870 IP PRO" for the N870; the N870E is another model.
    CHECK(find(audit.record("/CN=7C2F80C6E5C2", announced("Gigaset", "N870 IP PRO", "2.61.0")), "model-mismatch") == nullptr);
    CHECK(find(audit.record("/CN=7C2F80C6E5C2", announced("Gigaset", "N870E IP PRO", "2.61.0")), "model-mismatch") != nullptr);
  }

  TEST_CASE("model-mismatch needs an inventory model")
  {
    Audit audit;
    audit.add_row("000B82000001", "Grandstream", "");
    CHECK(find(audit.record("/CN=000B82000001", announced("Grandstream", "GXP2160", "1.0.11.23")), "model-mismatch") == nullptr);
  }

  TEST_CASE("vendor-mismatch with the announced vendor")
  {
    Audit audit;
    SUBCASE("the inventory says Grandstream, the device announces Yealink")
    {
      audit.add_row("", "Grandstream", "");
      const Record record = audit.record("/CN=phone", announced("Yealink", "SIP-T54W", "96.86.0.70"));
      const Finding* finding = find(record, "vendor-mismatch");
      REQUIRE(finding != nullptr);
      CHECK(contains(finding->message, "announces itself as Yealink"));
      CHECK(record.assessment.vendor == "Grandstream"); // the inventory's vendor is kept
      CHECK(record.assessment.vendor_source == "inventory");
    }
    SUBCASE("the MAC prefix says Polycom, the device announces Poly (an alias): no finding")
    {
      const Record record = audit.record("/CN=0004F2A1B2C3", announced("Poly", "VVX_450", "6.4.3.5018"));
      CHECK(find(record, "vendor-mismatch") == nullptr);
      CHECK(record.assessment.vendor == "Polycom");
      CHECK(record.assessment.vendor_source == "mac-prefix");
    }
    SUBCASE("nothing else names the vendor: the announcement does, source identity")
    {
      const Record record = audit.record("/CN=phone", announced("Polycom", "VVX_450", "6.4.3.5018"));
      CHECK(record.assessment.vendor == "Polycom");
      CHECK(record.assessment.vendor_source == "identity");
      CHECK(find(record, "vendor-mismatch") == nullptr);
    }
  }

  TEST_CASE("a Polycom self-signed certificate explained by the firmware")
  {
    Audit audit;
    SUBCASE("UC Software 4.0.0 and later generate it")
    {
      const Record record = audit.record("/CN=0004F2A1B2C3", announced("Polycom", "VVX_450", "6.4.3.5018"));
      const Finding* finding = find(record, "self-signed");
      REQUIRE(finding != nullptr);
      CHECK(contains(finding->message, "generated it itself"));
      CHECK(contains(finding->message, "'6.4.3.5018'"));
      CHECK(contains(finding->message, "sip-user-agent"));
    }
    SUBCASE("exactly 4.0.0")
    {
      const Record record = audit.record("/CN=0004F2A1B2C3", announced("Polycom", "SPIP_550", "4.0.0"));
      REQUIRE(find(record, "self-signed") != nullptr);
      CHECK(contains(find(record, "self-signed")->message, "generated it itself"));
    }
    SUBCASE("older firmware: not explained as generated")
    {
      const Record record = audit.record("/CN=0004F2A1B2C3", announced("Polycom", "SPIP_550", "3.3.5.0247"));
      REQUIRE(find(record, "self-signed") != nullptr);
      CHECK_FALSE(contains(find(record, "self-signed")->message, "generated it itself"));
      CHECK_FALSE(contains(find(record, "self-signed")->message, "unknown"));
    }
    SUBCASE("unknown firmware: said so")
    {
      const Record record = audit.record("/CN=0004F2A1B2C3", std::nullopt);
      REQUIRE(find(record, "self-signed") != nullptr);
      CHECK(contains(find(record, "self-signed")->message, "its firmware is unknown"));
    }
    SUBCASE("another vendor's self-signed certificate gets no such word")
    {
      const Record record = audit.record("/CN=000B82000001", announced("Grandstream", "GXP2170", "1.0.11.23"));
      REQUIRE(find(record, "self-signed") != nullptr);
      CHECK_FALSE(contains(find(record, "self-signed")->message, "generated"));
      CHECK_FALSE(contains(find(record, "self-signed")->message, "unknown"));
    }
  }
}
