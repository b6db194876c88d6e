// Tests for the firmware-aware profile data (scanner/assessment/vendor_profiles): firmware_stages,
// firmware_version_after and portal_models as the profile reader checks them, and the rules they
// make: firmware_stage, portal_eligibility, same_model.

#include "scanner/assessment/vendor_profiles.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace fleetcert;

namespace {

const VendorProfile& builtin(std::string_view name)
{
  static const VendorProfiles profiles = VendorProfiles::builtin();
  const VendorProfile* profile = profiles.find(name);
  REQUIRE(profile != nullptr);
  return *profile;
}

std::string stage_of(const VendorProfile& profile, std::string_view model, std::string_view firmware)
{
  const FirmwareStageMatch match = firmware_stage(profile, model, firmware);
  if (match.status != RuleStatus::applies) {
    return std::string(to_string(match.status));
  }
  REQUIRE(match.stage != nullptr);
  return match.stage->name;
}

std::string parse_error(const std::string& json)
{
  const Result<VendorProfile> profile = VendorProfiles::parse(json, "p.json");
  REQUIRE_FALSE(profile.ok());
  return profile.error();
}

} // namespace

TEST_SUITE("scanner.vendor_profiles.firmware")
{
  TEST_CASE("same_model ignores case and everything but letters and digits")
  {
    CHECK(same_model("GXP2170", "gxp-2170"));
    CHECK(same_model("VVX_450", "VVX 450"));
    CHECK(same_model("N870 IP PRO", "n870ippro"));
    CHECK_FALSE(same_model("N870", "N870E"));
    CHECK_FALSE(same_model("GXP2170", "GXP2160"));
    CHECK_FALSE(same_model("", ""));
    CHECK_FALSE(same_model("-", "_"));
  }

  TEST_CASE("same_model with a profile's model decorations")
  {
    const std::vector<std::string> gigaset{"IP PRO"};
    CHECK(same_model("N870 IP PRO", "N870", gigaset));
    CHECK(same_model("N870", "n870-ip-pro", gigaset));
    CHECK_FALSE(same_model("N870 IP PRO", "N870E", gigaset));
    CHECK_FALSE(same_model("N870E IP PRO", "N870", gigaset));
    CHECK_FALSE(same_model("N870 IP PRO", "N870")); // without the profile's word
    const std::vector<std::string> yealink{"SIP"};
    CHECK(same_model("SIP-T54W", "T54W", yealink));
    CHECK(same_model("SIP VP-T49G", "VP-T49G", yealink));
    CHECK_FALSE(same_model("SIP-T54W", "T53W", yealink));
    CHECK_FALSE(same_model("SIP", "", yealink)); // a decoration alone is no model
  }

  TEST_CASE("Gigaset: below 2.57, 2.57 to 2.60, 2.61 and later")
  {
    const VendorProfile& gigaset = builtin("Gigaset");
    CHECK(stage_of(gigaset, "N870", "2.43") == "factory-certificate-for-all");
    CHECK(stage_of(gigaset, "N870", "2.56.9") == "factory-certificate-for-all");
    CHECK(stage_of(gigaset, "N670", "2.57") == "second-sip-certificate");
    CHECK(stage_of(gigaset, "N610", "2.60.3") == "second-sip-certificate");
    CHECK(stage_of(gigaset, "N870E", "2.61") == "generated-ecdsa");
    CHECK(stage_of(gigaset, "N870", "2.100") == "generated-ecdsa");
    SUBCASE("the announced form: the version after '.V'")
    {
      CHECK(stage_of(gigaset, "N870 IP PRO", "83.V2.43.0+build.5f0a106") == "factory-certificate-for-all");
      CHECK(stage_of(gigaset, "N870 IP PRO", "83.V2.58.1") == "second-sip-certificate");
      CHECK(firmware_stage(gigaset, "N870", "83.V2.61.2").version == "2.61.2");
    }
    SUBCASE("what each stage says")
    {
      const FirmwareStageMatch below = firmware_stage(gigaset, "N870", "2.43");
      REQUIRE(below.stage != nullptr);
      CHECK(below.stage->sip_certificate_is_provisioning_certificate);
      CHECK_FALSE(below.stage->provisioning_needs_new_server_certificates);
      const FirmwareStageMatch second = firmware_stage(gigaset, "N870", "2.59");
      REQUIRE(second.stage != nullptr);
      CHECK_FALSE(second.stage->sip_certificate_is_provisioning_certificate);
      CHECK_FALSE(second.stage->provisioning_needs_new_server_certificates);
      const FirmwareStageMatch generated = firmware_stage(gigaset, "N870", "2.61");
      REQUIRE(generated.stage != nullptr);
      CHECK_FALSE(generated.stage->sip_certificate_is_provisioning_certificate);
      CHECK(generated.stage->provisioning_needs_new_server_certificates);
    }
    SUBCASE("unknown firmware or model is unknown, another model is not covered")
    {
      CHECK(stage_of(gigaset, "N870", "") == "unknown");
      CHECK(stage_of(gigaset, "N870", "  ") == "unknown");
      CHECK(stage_of(gigaset, "", "2.61") == "unknown");
      CHECK(stage_of(gigaset, "C430A GO", "2.61") == "not-applicable");
    }
  }

  TEST_CASE("Polycom: UC Software 4.0.0 and later generate a self-signed certificate")
  {
    const VendorProfile& polycom = builtin("Polycom");
    const FirmwareStageMatch match = firmware_stage(polycom, "VVX_450", "6.4.3.5018");
    REQUIRE(match.status == RuleStatus::applies);
    CHECK(match.stage->self_signed_generated);
    CHECK(stage_of(polycom, "", "4.0.0") == "generated-self-signed"); // every model
    CHECK(stage_of(polycom, "SPIP_550", "3.3.5") == "not-applicable");
    CHECK(stage_of(polycom, "SPIP_550", "") == "unknown");
  }

  TEST_CASE("Grandstream: portal eligibility by the update guide's models")
  {
    const VendorProfile& grandstream = builtin("Grandstream");
    CHECK(portal_eligibility(grandstream, "GXP2170") == RuleStatus::applies);
    CHECK(portal_eligibility(grandstream, "grp-2612") == RuleStatus::applies);
    CHECK(portal_eligibility(grandstream, "GXW4216V2") == RuleStatus::applies);
    CHECK(portal_eligibility(grandstream, "WP820") == RuleStatus::applies);
    CHECK(portal_eligibility(grandstream, "HT502") == RuleStatus::not_applicable);
    CHECK(portal_eligibility(grandstream, "GXP2200") == RuleStatus::not_applicable);
    CHECK(portal_eligibility(grandstream, "") == RuleStatus::unknown);
    CHECK(portal_eligibility(builtin("Yealink"), "SIP-T54W") == RuleStatus::unknown); // no list
  }

  TEST_CASE("the profile reader checks the new keys")
  {
    SUBCASE("a valid profile")
    {
      const Result<VendorProfile> profile = VendorProfiles::parse(R"({
        "name": "Acme",
        "firmware_version_after": "/v",
        "firmware_stages": [
          {"name": "old", "below": "3.0", "note": "old", "_why": "comment"},
          {"name": "new", "models": ["A1"], "from": "3.0", "self_signed_generated": true,
           "sip_certificate_is_provisioning_certificate": false,
           "provisioning_needs_new_server_certificates": true, "note": "new"}
        ],
        "portal_models": ["A1", "A2"]
      })", "acme.json");
      REQUIRE(profile.ok());
      CHECK(profile->firmware_version_after == "/v");
      REQUIRE(profile->firmware_stages.size() == 2);
      CHECK(profile->firmware_stages[0].sip_certificate_is_provisioning_certificate);
      CHECK(profile->firmware_stages[1].models == std::vector<std::string>{"A1"});
      CHECK(profile->firmware_stages[1].self_signed_generated);
      CHECK(profile->portal_models == std::vector<std::string>{"A1", "A2"});
      CHECK(stage_of(*profile, "A1", "x/v3.1") == "new");
      CHECK(stage_of(*profile, "B7", "2.9") == "old");
      CHECK(stage_of(*profile, "B7", "3.1") == "not-applicable");
    }
    SUBCASE("errors name the entry and the member")
    {
      CHECK(parse_error(R"({"name": "A", "firmware_stages": {}})").find("p.json: firmware_stages: must be an array") == 0);
      CHECK(parse_error(R"({"name": "A", "firmware_stages": [{"name": "x", "note": "n"}]})") ==
            "p.json: firmware_stages[0]: needs from, below or both");
      CHECK(parse_error(R"({"name": "A", "firmware_stages": [{"name": "x", "below": "2", "note": "n", "colour": 1}]})")
                .find("p.json: firmware_stages[0].colour: unknown key") == 0);
      CHECK(parse_error(R"({"name": "A", "firmware_stages": [{"below": "2", "note": "n"}]})") ==
            "p.json: firmware_stages[0].name: missing");
      CHECK(parse_error(R"({"name": "A", "firmware_stages": [{"name": "x", "below": "2"}]})") ==
            "p.json: firmware_stages[0].note: missing");
      CHECK(parse_error(R"({"name": "A", "firmware_stages": [{"name": "x", "from": "2.61", "below": "2.57", "note": "n"}]})") ==
            "p.json: firmware_stages[0]: from '2.61' is not below '2.57'");
      CHECK(parse_error(R"({"name": "A", "firmware_stages": [{"name": "x", "below": 2, "note": "n"}]})") ==
            "p.json: firmware_stages[0].below: must be a non-empty string");
      CHECK(parse_error(R"({"name": "A", "firmware_stages": [{"name": "x", "below": "2", "note": "n", "self_signed_generated": "yes"}]})") ==
            "p.json: firmware_stages[0].self_signed_generated: must be true or false");
      CHECK(parse_error(R"({"name": "A", "firmware_stages": [{"name": "x", "below": "2", "note": "n", "models": [""]}]})") ==
            "p.json: firmware_stages[0].models[0]: must not be empty");
      CHECK(parse_error(R"({"name": "A", "portal_models": "GXP2170"})") == "p.json: portal_models: must be an array of strings");
      CHECK(parse_error(R"({"name": "A", "firmware_version_after": 1})").find("p.json: firmware_version_after: must be a string") == 0);
    }
  }
}
