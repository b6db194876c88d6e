// Tests for scanner/vendor_profiles: the shipped profiles and their documented facts, parse errors,
// --profiles directories, the lookups (MAC prefix, factory issuer, name text) and vendor detection.

#include "scanner/certificate/certificate.hpp"
#include "scanner/inputs/inventory.hpp"
#include "scanner/inputs/oui_registry.hpp"
#include "scanner/assessment/vendor_profiles.hpp"
#include "scanner/util/digest.hpp"
#include "support/cert_factory.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace fleetcert;

namespace {

constexpr const char* k_gigaset_issuer =
    "C=DE, ST=Germany, L=Bocholt, O=Gigaset Communications GmbH, OU=Certificate Authority, CN=Gigaset.net";

bool contains(const std::vector<std::string>& list, const std::string& item)
{
  return std::find(list.begin(), list.end(), item) != list.end();
}

// The error of parsing `json` as "p.json"; empty when it parsed.
std::string parse_error(const std::string& json)
{
  const Result<VendorProfile> profile = VendorProfiles::parse(json, "p.json");
  return profile ? std::string{} : profile.error();
}

VendorProfile profile_named(std::string name, std::vector<std::string> mac_prefixes)
{
  VendorProfile profile;
  profile.name = std::move(name);
  profile.mac_prefixes = std::move(mac_prefixes);
  return profile;
}

// A fresh directory under the system's temporary directory, removed with the object.
class TempDir
{
public:
  explicit TempDir(const std::string& tag)
  {
    m_path = std::filesystem::temp_directory_path()
             / ("fleetcert-profiles-" + tag + "-" + std::to_string(std::random_device{}()));
    std::filesystem::remove_all(m_path);
    std::filesystem::create_directories(m_path);
  }
  ~TempDir()
  {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  void write(const std::string& name, const std::string& text) const
  {
    std::ofstream out(m_path / name, std::ios::binary);
    out << text;
  }
  std::string path() const { return m_path.string(); }

private:
  std::filesystem::path m_path;
};

OuiRegistry registry_from(const std::string& csv)
{
  OuiRegistry registry;
  std::istringstream in(csv);
  const Result<std::size_t> added = registry.add_csv(in, "test-oui.csv");
  REQUIRE_MESSAGE(added.ok(), added.error());
  return registry;
}

CertificateInfo leaf_named(std::string subject, std::string issuer)
{
  CertificateInfo leaf;
  leaf.parsed = true;
  leaf.subject = std::move(subject);
  leaf.issuer = std::move(issuer);
  return leaf;
}

} // namespace

TEST_SUITE("scanner.vendor_profiles")
{
  TEST_CASE("the built-in profiles load and carry the documented facts")
  {
    const VendorProfiles profiles = VendorProfiles::builtin();
    REQUIRE(profiles.all().size() == 9);
    for (const VendorProfile& profile : profiles.all()) {
      CAPTURE(profile.name);
      CHECK(profile.source == "built-in");
      CHECK(profile.issuer_pins.empty()); // no invented thumbprints
    }
    // The four vendors whose certificate documents the profiles rest on carry the full facts; the
    // others (Cisco, Snom, Mitel, AudioCodes, Spectralink) only what public documents support.
    for (const char* name : {"Grandstream", "Gigaset", "Polycom", "Yealink"}) {
      const VendorProfile& profile = *profiles.find(name);
      CAPTURE(profile.name);
      CHECK_FALSE(profile.mac_prefixes.empty());
      CHECK_FALSE(profile.factory_issuers.empty());
      CHECK(profile.issuer_pins.empty()); // no invented thumbprints
      for (const char* code : {"legacy-generation", "generic-cn", "sha1-rejected", "self-signed"}) {
        CAPTURE(code);
        CHECK(profile.remediation.count(code) == 1);
      }
      for (const auto& labels : {profile.current_generation, profile.legacy_generation}) {
        for (const std::string& label : labels) {
          CHECK(label.find("SHA1") == std::string::npos);
        }
      }
    }

    const VendorProfile* gigaset = profiles.find("Gigaset");
    REQUIRE(gigaset != nullptr);
    CHECK(gigaset->generic_cns == std::vector<std::string>{"Einstein2"});
    // The one factory CA name a vendor documents (Gigaset's Nx70 page) is the only one verified.
    REQUIRE(gigaset->factory_issuers.size() == 2);
    CHECK(gigaset->factory_issuers[0].o == "Gigaset Communications GmbH");
    CHECK(gigaset->factory_issuers[0].cn == "Gigaset.net");
    CHECK(gigaset->factory_issuers[0].verified);
    CHECK(gigaset->factory_issuers[0].source.find("Nx70") != std::string::npos);
    CHECK(gigaset->sha1_rejected_from == "2.57");
    CHECK(contains(gigaset->current_generation, "ECDSA+SHA256"));
    CHECK(contains(gigaset->legacy_generation, "RSA+SHA256"));
    CHECK(contains(gigaset->mac_prefixes, "7C2F80"));
    CHECK(gigaset->remediation.at("generic-cn").find("Gigaset support") != std::string::npos);

    const VendorProfile* grandstream = profiles.find("grandstream");
    REQUIRE(grandstream != nullptr);
    CHECK(grandstream->current_generation == std::vector<std::string>{"ECDSA+SHA384"});
    CHECK(grandstream->legacy_generation == std::vector<std::string>{"RSA+SHA256"});
    CHECK(contains(grandstream->mac_prefixes, "000B82"));
    CHECK(contains(grandstream->mac_prefixes, "C074AD"));
    CHECK(grandstream->remediation.at("legacy-generation").find("1000") != std::string::npos);

    const VendorProfile* polycom = profiles.find("Polycom");
    REQUIRE(polycom != nullptr);
    CHECK(contains(polycom->mac_prefixes, "0004F2"));
    CHECK(profiles.find("Poly") == polycom);

    const VendorProfile* yealink = profiles.find("YEALINK(XIAMEN) NETWORK TECHNOLOGY CO.,LTD.");
    REQUIRE(yealink != nullptr);
    CHECK(yealink->name == "Yealink");
    CHECK(contains(yealink->mac_prefixes, "805EC0"));

    // Cisco's MIC issuers are the CNs Cisco's documents name (no organisation), unverified.
    const VendorProfile* cisco = profiles.find("Cisco");
    REQUIRE(cisco != nullptr);
    REQUIRE(cisco->factory_issuers.size() == 4);
    for (const FactoryIssuer& issuer : cisco->factory_issuers) {
      CHECK(issuer.o.empty());
      CHECK_FALSE(issuer.verified);
      CHECK(issuer.source.starts_with("Cisco phone security documents"));
    }
    CHECK(profiles.by_factory_issuer("O=Cisco Systems, OU=CAP, CN=CAP-RTP-002") == cisco);

    // Every other shipped factory issuer name is a placeholder, marked unverified, and says so.
    std::size_t verified = 0;
    for (const VendorProfile& profile : profiles.all()) {
      if (&profile == cisco) {
        continue;
      }
      for (const FactoryIssuer& issuer : profile.factory_issuers) {
        CAPTURE(factory_issuer_text(issuer));
        CHECK_FALSE(issuer.o.empty());
        CHECK_FALSE(issuer.source.empty());
        if (issuer.verified) {
          ++verified;
        } else {
          CHECK(issuer.source.starts_with("placeholder"));
        }
      }
    }
    CHECK(verified == 1);
  }

  TEST_CASE("factory issuers: the object form, and the older one-line form read as O and CN, unverified")
  {
    const Result<VendorProfile> profile = VendorProfiles::parse(R"({
      "name": "Snom",
      "factory_issuers": [
        {"o": " snom technology GmbH ", "cn": "snom Device CA", "verified": true, "source": "snom wiki", "_note": "x"},
        {"cn": "snom Lab CA"},
        "C=DE, ST=Berlin, O=snom technology\\, GmbH, OU=PKI, CN=snom Old CA",
        "CN = snom Bare CA"
      ]
    })",
                                                                "snom.json");
    REQUIRE_MESSAGE(profile.ok(), profile.error());
    REQUIRE(profile->factory_issuers.size() == 4);
    const FactoryIssuer& documented = profile->factory_issuers[0];
    CHECK(documented.o == "snom technology GmbH");
    CHECK(documented.cn == "snom Device CA");
    CHECK(documented.verified);
    CHECK(documented.source == "snom wiki");
    const FactoryIssuer& bare = profile->factory_issuers[1];
    CHECK(bare.o.empty());
    CHECK(bare.cn == "snom Lab CA");
    CHECK_FALSE(bare.verified); // the default
    CHECK(bare.source.empty());
    const FactoryIssuer& old_form = profile->factory_issuers[2];
    CHECK(old_form.o == "snom technology, GmbH");
    CHECK(old_form.cn == "snom Old CA");
    CHECK_FALSE(old_form.verified);
    CHECK(profile->factory_issuers[3].o.empty());
    CHECK(profile->factory_issuers[3].cn == "snom Bare CA");

    CHECK(factory_issuer_text(documented) == "O=snom technology GmbH, CN=snom Device CA");
    CHECK(factory_issuer_text(old_form) == "O=snom technology\\, GmbH, CN=snom Old CA");
    CHECK(factory_issuer_text(bare) == "CN=snom Lab CA");
  }

  TEST_CASE("factory issuer errors name the entry and the member")
  {
    CHECK(parse_error(R"({"name": "X", "factory_issuers": "CN=x"})")
          == "p.json: factory_issuers: must be an array of objects such as {\"o\": \"...\", \"cn\": \"...\"}");
    CHECK(parse_error(R"({"name": "X", "factory_issuers": [7]})")
          == "p.json: factory_issuers[0]: must be an object such as {\"o\": \"...\", \"cn\": \"...\"} or an issuer name");
    CHECK(parse_error(R"({"name": "X", "factory_issuers": [{"o": "Acme"}]})") == "p.json: factory_issuers[0].cn: missing");
    CHECK(parse_error(R"({"name": "X", "factory_issuers": [{"cn": " "}]})")
          == "p.json: factory_issuers[0].cn: must be a non-empty string");
    CHECK(parse_error(R"({"name": "X", "factory_issuers": [{"cn": "A", "o": ""}]})")
          == "p.json: factory_issuers[0].o: must be a non-empty string (leave it out to match any organisation)");
    CHECK(parse_error(R"({"name": "X", "factory_issuers": [{"cn": "A", "verified": "yes"}]})")
          == "p.json: factory_issuers[0].verified: must be true or false");
    CHECK(parse_error(R"({"name": "X", "factory_issuers": [{"cn": "A", "source": 1}]})")
          == "p.json: factory_issuers[0].source: must be a string");
    CHECK(parse_error(R"({"name": "X", "factory_issuers": [{"cn": "A", "ou": "B"}]})")
          == "p.json: factory_issuers[0].ou: unknown key (o, cn, verified, source; comments start with '_')");
    CHECK(parse_error(R"({"name": "X", "factory_issuers": [{"cn": "A"}, ""]})")
          == "p.json: factory_issuers[1]: must not be empty");
    CHECK(parse_error(R"({"name": "X", "factory_issuers": ["C=US, O=Acme"]})")
          == "p.json: factory_issuers[0]: 'C=US, O=Acme' has no CN= (give {\"o\": \"...\", \"cn\": \"...\"})");
    CHECK(parse_error(R"({"name": "X", "factory_issuers": ["O=A, CN=B, CN=C"]})")
          == "p.json: factory_issuers[0]: 'O=A, CN=B, CN=C' has more than one CN= or O= (give {\"o\": \"...\", \"cn\": \"...\"})");
  }

  TEST_CASE("match_factory_issuer: the CN, and the O when the entry gives one, whatever C, ST, L and OU say")
  {
    VendorProfiles profiles;
    VendorProfile acme;
    acme.name = "Acme";
    acme.factory_issuers = {FactoryIssuer{"Acme, Inc.", "Acme Device CA", true, "doc"},
                            FactoryIssuer{"", "Acme Lab CA", false, ""}};
    profiles.add(acme);
    VendorProfile other;
    other.name = "Other";
    other.factory_issuers = {FactoryIssuer{"", "Acme Device CA", false, ""}};
    profiles.add(other);

    const FactoryIssuerMatch exact = profiles.match_factory_issuer("C=US, ST=X, L=Y, O=Acme\\, Inc., OU=PKI, CN=Acme Device CA");
    REQUIRE(exact.profile != nullptr);
    CHECK(exact.profile->name == "Acme"); // the entry that names the organisation wins
    REQUIRE(exact.issuer != nullptr);
    CHECK(exact.issuer->verified);
    CHECK(profiles.match_factory_issuer("o = ACME,   INC., cn = acme  device ca").profile->name == "Acme");
    // Another organisation: only the entry without an O matches.
    CHECK(profiles.match_factory_issuer("O=Forger Ltd, CN=Acme Device CA").profile->name == "Other");
    CHECK(profiles.match_factory_issuer("O=Anyone, CN=Acme Lab CA").issuer->cn == "Acme Lab CA");
    CHECK(profiles.match_factory_issuer("O=Acme, Inc.").profile == nullptr);
    CHECK(profiles.match_factory_issuer("O=Acme, Inc., OU=Acme Device CA").profile == nullptr);
    CHECK(profiles.match_factory_issuer("CN=Acme Device CA2").profile == nullptr);
    CHECK(profiles.match_factory_issuer("").profile == nullptr);
  }

  TEST_CASE("parse reads every field and normalises MAC prefixes and pins")
  {
    const Result<VendorProfile> profile = VendorProfiles::parse(R"({
      "_comment": "a comment",
      "name": "Snom",
      "aliases": ["snom technology GmbH"],
      "mac_prefixes": ["00:04:13", "00-04-13-a"],
      "factory_issuers": ["C=DE, O=snom, CN=snom CA"],
      "issuer_pins": [{"sha1": "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01"},
                      {"md5": "0123456789abcdef0123456789ABCDEF"},
                      {"sha256": "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}],
      "generic_cns": ["snom-default"],
      "current_generation": ["ECDSA+SHA256"],
      "legacy_generation": ["RSA+SHA256"],
      "sha1_rejected_from": "10.1",
      "remediation": {"self-signed": "install one", "some-future-code": "free text"}
    })",
                                                                "snom.json");
    REQUIRE_MESSAGE(profile.ok(), profile.error());
    CHECK(profile->name == "Snom");
    CHECK(profile->source == "snom.json");
    CHECK(profile->mac_prefixes == std::vector<std::string>{"000413", "000413A"});
    REQUIRE(profile->issuer_pins.size() == 3);
    CHECK(profile->issuer_pins[0].algorithm == "sha1");
    CHECK(profile->issuer_pins[0].hex == "abcdef0123456789abcdef0123456789abcdef01");
    CHECK(profile->issuer_pins[1].hex == "0123456789abcdef0123456789abcdef");
    CHECK(profile->issuer_pins[2].algorithm == "sha256");
    CHECK(profile->sha1_rejected_from == "10.1");
    CHECK(profile->remediation.at("some-future-code") == "free text");

    const Result<VendorProfile> minimal = VendorProfiles::parse(R"({"name": "Bare"})", "bare.json");
    REQUIRE(minimal.ok());
    CHECK(minimal->mac_prefixes.empty());
    CHECK(minimal->remediation.empty());
  }

  TEST_CASE("parse errors name the source and the field")
  {
    CHECK(parse_error(R"({"aliases": []})") == "p.json: name: missing");
    CHECK(parse_error(R"({"name": ""})") == "p.json: name: must be a non-empty string");
    CHECK(parse_error(R"({"name": 7})") == "p.json: name: must be a non-empty string");
    CHECK(parse_error(R"([1, 2])") == "p.json: not a JSON object");
    CHECK(parse_error(R"({"name": "X",})").starts_with("p.json: parse error at byte 14 (line 1, column 14)"));
    // nlohmann reports a number beyond a double as out_of_range, not parse_error (found by fuzzing).
    CHECK(parse_error(R"({"name": "X", "sha1_rejected_from": 1e400})").starts_with("p.json: number overflow"));
    CHECK(parse_error(R"({"name": "X", "colour": "red"})")
          == "p.json: colour: unknown key (comments are keys starting with '_')");
    CHECK(parse_error(R"({"name": "X", "aliases": "Y"})") == "p.json: aliases: must be an array of strings");
    CHECK(parse_error(R"({"name": "X", "aliases": ["Y", 3]})") == "p.json: aliases[1]: must be a string");
    CHECK(parse_error(R"({"name": "X", "mac_prefixes": ["0004F2", "0004G2"]})")
          == "p.json: mac_prefixes[1]: '0004G2' is not 6 to 9 hex digits");
    CHECK(parse_error(R"({"name": "X", "mac_prefixes": ["0004F"]})")
          == "p.json: mac_prefixes[0]: '0004F' is not 6 to 9 hex digits");
    CHECK(parse_error(R"({"name": "X", "mac_prefixes": ["0004F2ABCD"]})")
          == "p.json: mac_prefixes[0]: '0004F2ABCD' is not 6 to 9 hex digits");
    CHECK(parse_error(R"({"name": "X", "issuer_pins": [{"sha256": "abcd"}]})")
          == "p.json: issuer_pins[0].sha256: must be 64 hex digits (':' separators allowed)");
    CHECK(parse_error(R"({"name": "X", "issuer_pins": [{"sha1": "0123456789abcdef0123456789abcdef"}]})")
          == "p.json: issuer_pins[0].sha1: must be 40 hex digits (':' separators allowed)");
    CHECK(parse_error(R"({"name": "X", "issuer_pins": [{"md5": "zz23456789abcdef0123456789abcdef"}]})")
          == "p.json: issuer_pins[0].md5: must be 32 hex digits (':' separators allowed)");
    CHECK(parse_error(R"({"name": "X", "issuer_pins": [{"sha512": "00"}]})")
          == "p.json: issuer_pins[0]: unknown algorithm 'sha512' (sha256, sha1 or md5)");
    CHECK(parse_error(R"({"name": "X", "issuer_pins": ["00"]})")
          == "p.json: issuer_pins[0]: must be an object with one key: sha256, sha1 or md5");
    CHECK(parse_error(R"({"name": "X", "remediation": {"self-signed": 1}})")
          == "p.json: remediation.self-signed: must be a string");
    CHECK(parse_error(R"({"name": "X", "remediation": ["x"]})")
          == "p.json: remediation: must be an object of finding code -> text");
    CHECK(parse_error(R"({"name": "X", "sha1_rejected_from": 2.57})")
          == "p.json: sha1_rejected_from: must be a firmware version string such as \"2.57\"");
    CHECK(parse_error(R"({"name": "X", "legacy_generation": ["RSA+SHA1"]})")
          == "p.json: legacy_generation[0]: 'RSA+SHA1' is rejected (SHA1 and weaker), never a generation");
    // Found by fuzz_vendor_profiles: a second '+' hid the SHA1 from the check above.
    CHECK(parse_error(R"({"name": "X", "current_generation": ["RS+A+SHA1"]})")
          == "p.json: current_generation[0]: 'RS+A+SHA1' is not a signature label (KEY+HASH, such as ECDSA+SHA384)");
    CHECK(parse_error(R"({"name": "X", "current_generation": ["RSA + SHA1"]})")
          == "p.json: current_generation[0]: 'RSA + SHA1' is not a signature label (KEY+HASH, such as ECDSA+SHA384)");
    CHECK(parse_error(R"({"name": "X", "current_generation": ["+SHA256"]})")
          == "p.json: current_generation[0]: '+SHA256' is not a signature label (KEY+HASH, such as ECDSA+SHA384)");
    CHECK(parse_error(R"({"name": "X", "legacy_generation": ["ecdsa+sha1"]})")
          == "p.json: legacy_generation[0]: 'ecdsa+sha1' is rejected (SHA1 and weaker), never a generation");
    CHECK(parse_error(R"({"name": "X", "current_generation": ["RSA+SHA256"], "legacy_generation": ["RSA+SHA256"]})")
          == "p.json: legacy_generation: 'RSA+SHA256' is also in current_generation");
  }

  TEST_CASE("load_directory replaces profiles by name and adds new ones")
  {
    const TempDir dir("override");
    dir.write("gigaset.json", R"({"name": "GIGASET", "mac_prefixes": ["7C2F80"], "generic_cns": ["Einstein2", "Einstein3"],
                                 "factory_issuers": ["C=DE, O=Gigaset Communications GmbH, CN=Gigaset.net"],
                                 "sha1_rejected_from": "2.57"})");
    dir.write("snom.json", R"({"name": "Acme", "aliases": ["Acme Phones GmbH"], "mac_prefixes": ["000413"]})");
    dir.write("notes.txt", "not a profile");
    dir.write(".hidden.json", "{ broken");

    VendorProfiles profiles = VendorProfiles::builtin();
    const Result<std::size_t> loaded = profiles.load_directory(dir.path());
    REQUIRE_MESSAGE(loaded.ok(), loaded.error());
    CHECK(*loaded == 2);
    CHECK(profiles.all().size() == VendorProfiles::builtin().all().size() + 1);

    const VendorProfile* gigaset = profiles.find("Gigaset");
    REQUIRE(gigaset != nullptr);
    CHECK(gigaset->name == "GIGASET");
    CHECK(gigaset->generic_cns == std::vector<std::string>{"Einstein2", "Einstein3"});
    CHECK(gigaset->factory_issuers.size() == 1); // replaced whole, not merged
    CHECK(gigaset->factory_issuers[0].cn == "Gigaset.net");
    CHECK_FALSE(gigaset->factory_issuers[0].verified); // the older string form is never verified
    CHECK(gigaset->source.ends_with("gigaset.json"));
    CHECK(profiles.find("Gigaset Communications GmbH") == nullptr);

    const VendorProfile* snom = profiles.find("acme phones gmbh");
    REQUIRE(snom != nullptr);
    CHECK(snom->name == "Acme");
    CHECK(profiles.by_mac("000413123456") == snom);
    CHECK(profiles.find("Grandstream") != nullptr);

    // Each file read, by content (for the report's audit settings); the built-in set has its own.
    REQUIRE(profiles.loaded_files().size() == 2);
    CHECK(profiles.loaded_files()[0].path.ends_with("gigaset.json"));
    CHECK(profiles.loaded_files()[1].sha256 ==
          sha256_hex_of(R"({"name": "Acme", "aliases": ["Acme Phones GmbH"], "mac_prefixes": ["000413"]})"));
    CHECK(VendorProfiles::builtin().loaded_files().empty());
    CHECK(VendorProfiles::builtin_sha256().size() == 64);
    CHECK(VendorProfiles::builtin_sha256() == VendorProfiles::builtin_sha256());
  }

  TEST_CASE("a profile replaced by add matches by its new names only (its folded names are rebuilt with it)")
  {
    VendorProfiles profiles = VendorProfiles::builtin();
    VendorProfile acme;
    acme.name = "  ACME   Phones ";
    acme.aliases = {"Acme  Telecom GmbH"};
    acme.factory_issuers = {FactoryIssuer{"Acme   Telecom GmbH", "ACME Device  CA", true, ""}};
    profiles.add(acme);
    const VendorProfile* added = profiles.find("acme phones");
    REQUIRE(added != nullptr);
    CHECK(profiles.find("ACME TELECOM gmbh") == added);
    CHECK(profiles.by_factory_issuer("O=acme telecom gmbh, CN=acme device ca") == added);
    CHECK(profiles.by_name_text("O=Acme Phones Europe, CN=x") == added);

    acme.aliases = {"Acme Holding"};
    acme.factory_issuers = {FactoryIssuer{"", "ACME Root CA 2", false, ""}};
    profiles.add(acme);
    const VendorProfile* replaced = profiles.find("ACME PHONES");
    REQUIRE(replaced != nullptr);
    CHECK(profiles.find("Acme Telecom GmbH") == nullptr);
    CHECK(profiles.find("acme holding") == replaced);
    CHECK(profiles.by_factory_issuer("O=Acme Telecom GmbH, CN=ACME Device CA") == nullptr);
    CHECK(profiles.by_factory_issuer("C=US, O=Anyone, CN=acme root ca 2") == replaced);
    CHECK(profiles.by_name_text("O=Acme Holding Ltd, CN=x") == replaced);
    // The other profiles are where they were.
    CHECK(profiles.find("Gigaset") != nullptr);
    CHECK(profiles.by_factory_issuer("O=Gigaset Communications GmbH, CN=Gigaset.net")
          == profiles.find("Gigaset"));
  }

  TEST_CASE("load_directory fails on a bad file or an unreadable directory and changes nothing")
  {
    const TempDir dir("bad");
    dir.write("a-good.json", R"({"name": "Acme"})");
    dir.write("b-bad.json", R"({"name": "Broken", "mac_prefixes": ["nothex"]})");

    VendorProfiles profiles = VendorProfiles::builtin();
    const Result<std::size_t> loaded = profiles.load_directory(dir.path());
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error().find("b-bad.json: mac_prefixes[0]: 'nothex' is not 6 to 9 hex digits") != std::string::npos);
    CHECK(profiles.all().size() == VendorProfiles::builtin().all().size());
    CHECK(profiles.find("Acme") == nullptr);

    const Result<std::size_t> missing = profiles.load_directory(dir.path() + "/no-such-dir");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().starts_with("cannot read profile directory '" + dir.path() + "/no-such-dir': "));
  }

  TEST_CASE("by_mac picks the longest prefix")
  {
    VendorProfiles profiles;
    profiles.add(profile_named("Wide", {"0004F2"}));
    profiles.add(profile_named("Narrow", {"0004F2A"}));
    profiles.add(profile_named("Narrowest", {"0004F2AB1"}));

    REQUIRE(profiles.by_mac("0004F2A12345") != nullptr);
    CHECK(profiles.by_mac("0004F2A12345")->name == "Narrow");
    CHECK(profiles.by_mac("0004F2AB1345")->name == "Narrowest");
    CHECK(profiles.by_mac("0004F2B12345")->name == "Wide");
    CHECK(profiles.by_mac("00:04:f2:b1:23:45")->name == "Wide");
    CHECK(profiles.by_mac("64167F000000") == nullptr);
    CHECK(profiles.by_mac("") == nullptr);

    const VendorProfiles builtin = VendorProfiles::builtin();
    CHECK(builtin.by_mac("7C2F80C6E5C2")->name == "Gigaset");
    CHECK(builtin.by_mac("C074AD2776C6")->name == "Grandstream");
    CHECK(builtin.by_mac("0004F206075D")->name == "Polycom");
    CHECK(builtin.by_mac("805EC05A23D5")->name == "Yealink");
  }

  TEST_CASE("by_factory_issuer ignores case, runs of spaces, spaces around ',' and '=', and every attribute but O and CN")
  {
    const VendorProfiles profiles = VendorProfiles::builtin();
    REQUIRE(profiles.by_factory_issuer(k_gigaset_issuer) != nullptr);
    CHECK(profiles.by_factory_issuer(k_gigaset_issuer)->name == "Gigaset");
    // As `openssl s_client` prints it.
    CHECK(profiles.by_factory_issuer("C = DE, ST = Germany, L = Bocholt, O = Gigaset Communications GmbH, "
                                     "OU = Certificate Authority, CN = Gigaset.net")
              ->name
          == "Gigaset");
    CHECK(profiles.by_factory_issuer("c=de,st=GERMANY,  l=bocholt ,o=gigaset   communications gmbh,"
                                     "ou=certificate authority,cn=gigaset.net")
              ->name
          == "Gigaset");
    // RFC 2253 escaped and unescaped commas in a value compare equal.
    CHECK(profiles.by_factory_issuer("C=US, ST=Massachusetts, L=Boston, O=Grandstream Networks, Inc., "
                                     "CN=Grandstream ECC Device CA")
              ->name
          == "Grandstream");
    // Only O and CN count: no OU, another country, as a hand-written DN would have it.
    CHECK(profiles.by_factory_issuer("C=DE, ST=Germany, L=Bocholt, O=Gigaset Communications GmbH, CN=Gigaset.net")->name
          == "Gigaset");
    CHECK(profiles.by_factory_issuer("C=CH, O=Gigaset Communications GmbH, OU=Elsewhere, CN=Gigaset.net")->name
          == "Gigaset");
    CHECK(profiles.by_factory_issuer("CN=Gigaset.net") == nullptr); // the entry gives an O
    CHECK(profiles.by_factory_issuer("O=Gigaset Communications, CN=Gigaset.net") == nullptr);
    CHECK(profiles.by_factory_issuer("") == nullptr);
  }

  TEST_CASE("by_factory_issuer matches the issuer fleetcert decodes from a real certificate")
  {
    using namespace fleetcert::testing;
    const PkeyPtr ca_key = generate_key({"ec", 0, "P-384"});
    CertSpec ca_spec;
    ca_spec.subject = parse_subject(
        "/C=US/ST=Massachusetts/L=Boston/O=Grandstream Networks, Inc./CN=Grandstream ECC Device CA");
    ca_spec.hash = "sha384";
    ca_spec.ca = true;
    const X509Ptr ca = make_certificate(ca_spec, ca_key.get(), nullptr, ca_key.get());
    const PkeyPtr leaf_key = generate_key({"ec", 0, "P-384"});
    CertSpec leaf_spec;
    leaf_spec.subject = parse_subject("/O=Grandstream Networks, Inc./CN=C074AD2818E8");
    leaf_spec.hash = "sha384";
    const X509Ptr leaf_cert = make_certificate(leaf_spec, leaf_key.get(), ca.get(), ca_key.get());

    const CertificateInfo leaf = decode_certificate(to_der(leaf_cert.get()));
    REQUIRE(leaf.parsed);
    CAPTURE(leaf.issuer);
    const VendorProfiles profiles = VendorProfiles::builtin();
    const VendorProfile* by_issuer = profiles.by_factory_issuer(leaf.issuer);
    REQUIRE(by_issuer != nullptr);
    CHECK(by_issuer->name == "Grandstream");
    const VendorProfile* by_subject = profiles.by_name_text(leaf.subject);
    REQUIRE(by_subject != nullptr);
    CHECK(by_subject->name == "Grandstream");
  }

  TEST_CASE("by_name_text finds a name or alias as a whole word in O= or CN=")
  {
    const VendorProfiles profiles = VendorProfiles::builtin();
    const auto name_of = [&](const char* text) {
      const VendorProfile* profile = profiles.by_name_text(text);
      return profile != nullptr ? profile->name : std::string("-");
    };
    CHECK(name_of("C=US, O=Grandstream Networks, Inc., CN=Grandstream Device CA") == "Grandstream");
    CHECK(name_of("C=US, O=Grandstream Networks\\, Inc., CN=C074AD2818E8") == "Grandstream");
    CHECK(name_of("C=US, O=Polycom Inc., CN=Polycom Equipment Issuing CA 3") == "Polycom");
    CHECK(name_of("CN=Poly Device CA") == "Polycom");
    CHECK(name_of("C = DE, O = gigaset technologies gmbh, CN = 589EC6E3AC94") == "Gigaset");
    CHECK(name_of("C=CN, O=Yealink Network Technology Co.\\, Ltd., CN=805EC05A23D5") == "Yealink");
    CHECK(name_of("CN=Polyphonic Sound Ltd") == "-");  // "Poly" only as a whole word
    CHECK(name_of("CN=MyGrandstreamLab") == "-");      // not a whole word
    CHECK(name_of("C=US, OU=Grandstream, CN=x") == "-"); // only O= and CN= count
    CHECK(name_of("L=Gigaset, CN=0004F206075D") == "-");
    CHECK(name_of("CN=0004F206075D") == "-");
    CHECK(name_of("") == "-");
  }

  TEST_CASE("detect: inventory, then MAC prefix, then the IEEE registry, then issuer, then subject")
  {
    const VendorProfiles profiles = VendorProfiles::builtin();
    const OuiRegistry registry = registry_from("Registry,Assignment,Organization Name,Organization Address\n"
                                               "MA-L,000413,snom technology GmbH,Wittestr 30 G Berlin  DE 13509 \n"
                                               "MA-L,00D0F6,Example Phones Ltd,Somewhere\n"
                                               "MA-L,AABBCC,\"Grandstream Networks, Inc.\",Boston MA US\n");
    const CertificateInfo gigaset_leaf = leaf_named("C=DE, ST=DE, L=Bocholt, O=Gigaset Communications GmbH, OU=PRO, CN=Einstein2",
                                                    k_gigaset_issuer);

    SUBCASE("the inventory wins over the MAC prefix and the certificate")
    {
      InventoryRow row;
      row.vendor = "Yealink";
      const VendorMatch match = profiles.detect(&row, "C074AD2776C6", &gigaset_leaf, registry);
      CHECK(match.vendor == "Yealink");
      CHECK(match.source == "inventory");
      REQUIRE(match.profile != nullptr);
      CHECK(match.profile->name == "Yealink");
    }
    SUBCASE("an inventory alias gives the profile's name; an unknown vendor is kept as written")
    {
      InventoryRow row;
      row.vendor = "grandstream networks, inc.";
      CHECK(profiles.detect(&row, "", nullptr, registry).vendor == "Grandstream");
      row.vendor = "Acme Phones";
      const VendorMatch match = profiles.detect(&row, "C074AD2776C6", nullptr, registry);
      CHECK(match.vendor == "Acme Phones");
      CHECK(match.source == "inventory");
      CHECK(match.profile == nullptr);
    }
    SUBCASE("an empty or 'Unknown' inventory vendor falls through to the MAC")
    {
      InventoryRow row;
      row.vendor = "Unknown";
      CHECK(profiles.detect(&row, "C074AD2776C6", nullptr, registry).source == "mac-prefix");
      row.vendor.clear();
      CHECK(profiles.detect(&row, "C074AD2776C6", nullptr, registry).source == "mac-prefix");
    }
    SUBCASE("the MAC prefix wins over the issuer")
    {
      const VendorMatch match = profiles.detect(nullptr, "C074AD2776C6", &gigaset_leaf, registry);
      CHECK(match.vendor == "Grandstream");
      CHECK(match.source == "mac-prefix");
      CHECK(match.profile == profiles.find("Grandstream"));
    }
    SUBCASE("the inventory row's MAC is used when no MAC is given")
    {
      InventoryRow row;
      row.mac = "0004F206075D";
      const VendorMatch match = profiles.detect(&row, "", nullptr, registry);
      CHECK(match.vendor == "Polycom");
      CHECK(match.source == "mac-prefix");
    }
    SUBCASE("the IEEE registry names a vendor without a profile")
    {
      const VendorMatch match = profiles.detect(nullptr, "00D0F6ABCDEF", &gigaset_leaf, registry);
      CHECK(match.vendor == "Example Phones Ltd");
      CHECK(match.source == "ieee-registry");
      CHECK(match.profile == nullptr);
    }
    SUBCASE("the IEEE registry's name of a vendor whose profile has no MAC prefix (snom)")
    {
      const VendorMatch match = profiles.detect(nullptr, "000413ABCDEF", &gigaset_leaf, registry);
      CHECK(match.vendor == "Snom");
      CHECK(match.source == "ieee-registry");
      CHECK(match.profile == profiles.find("Snom"));
    }
    SUBCASE("an IEEE organisation that is a profile alias gives that profile")
    {
      const VendorMatch match = profiles.detect(nullptr, "AABBCC000001", nullptr, registry);
      CHECK(match.vendor == "Grandstream");
      CHECK(match.source == "ieee-registry");
      CHECK(match.profile == profiles.find("Grandstream"));
    }
    SUBCASE("the issuer: a factory issuer, or a vendor named in it")
    {
      const VendorMatch factory = profiles.detect(nullptr, "02AB002A61DB", &gigaset_leaf, registry);
      CHECK(factory.vendor == "Gigaset");
      CHECK(factory.source == "issuer-name");
      const CertificateInfo yealink_leaf = leaf_named("CN=805EC05A23D5", "C=CN, O=Yealink Network Technology Co.\\, Ltd., CN=Other CA");
      const VendorMatch named = profiles.detect(nullptr, "", &yealink_leaf, registry);
      CHECK(named.vendor == "Yealink");
      CHECK(named.source == "issuer-name");
    }
    SUBCASE("the subject, when nothing else knows")
    {
      const CertificateInfo leaf = leaf_named("C=DE, O=Gigaset Communications GmbH, CN=7C2F80C6E5C2",
                                              "C=US, O=Example Corp, CN=Example Corp Enterprise CA");
      const VendorMatch match = profiles.detect(nullptr, "", &leaf, registry);
      CHECK(match.vendor == "Gigaset");
      CHECK(match.source == "subject-name");
    }
    SUBCASE("unknown everywhere")
    {
      const CertificateInfo leaf = leaf_named("CN=127.77.0.62", "CN=127.77.0.62");
      const VendorMatch match = profiles.detect(nullptr, "02AB002A61DB", &leaf, registry);
      CHECK(match.vendor.empty());
      CHECK(match.source.empty());
      CHECK(match.profile == nullptr);
      CHECK(profiles.detect(nullptr, "", nullptr, registry).vendor.empty());
    }
  }
}
