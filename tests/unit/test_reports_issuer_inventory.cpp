// The issuer inventory of hand-built reports whose chains are real certificates made here: a
// Grandstream root and issuing CA (sent, not sent, an impostor named like it), self-signed and
// enterprise-issued leaves, a Gigaset root that has expired by the scan, a device of no known
// vendor, a report without PEM chains; the bundles read back by OpenSSL and the profile snippet.

#include "reports/workflows/issuer_inventory.hpp"
#include "scanner/assessment/vendor_profiles.hpp"
#include "scanner/certificate/certificate.hpp"
#include "support/cert_factory.hpp"

#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace fleetcert;
using namespace fleetcert::testing;

namespace {

const KeySpec k_p256{"ec", 0, "P-256"};
const KeySpec k_p384{"ec", 0, "P-384"};

Issued issue(const std::string& subject, const Issued* issuer, bool ca, const KeySpec& key = k_p256,
             const std::string& not_after = "2036-01-01T00:00:00Z")
{
  Issued issued;
  issued.key = generate_key(key);
  CertSpec spec;
  spec.subject = parse_subject(subject);
  spec.hash = key.curve == "P-384" ? "sha384" : "sha256";
  spec.ca = ca;
  spec.not_before_text = "2020-01-01T00:00:00Z";
  spec.not_after_text = not_after;
  issued.cert = make_certificate(spec, issued.key.get(), issuer != nullptr ? issuer->cert.get() : nullptr,
                                 issuer != nullptr ? issuer->key.get() : issued.key.get());
  return issued;
}

// The PKI of the tests, made once (keys are slow to make).
struct Pki
{
  Issued gs_root = issue("/C=US/O=Grandstream Networks, Inc./CN=Grandstream Root CA", nullptr, true, k_p384);
  Issued gs_ca = issue("/C=US/O=Grandstream Networks, Inc./CN=Grandstream Device CA", &gs_root, true, k_p384);
  // Same name as gs_ca, another key: it did not sign gs_ca's leaves.
  Issued impostor = issue("/C=US/O=Grandstream Networks, Inc./CN=Grandstream Device CA", nullptr, true);
  Issued enterprise = issue("/O=Example Corp/CN=Example Enterprise CA", nullptr, true);
  Issued gigaset_root = issue("/C=DE/O=Gigaset Communications GmbH/OU=Certificate Authority/CN=Gigaset.net", nullptr,
                              true, k_p256, "2026-01-01T00:00:00Z"); // expired at the scan
  Issued other_ca = issue("/CN=Acme Phones CA", nullptr, true);
};

const Pki& pki()
{
  static const Pki k_pki;
  return k_pki;
}

const std::string k_scan_start = "2026-11-27T10:00:00Z";

// An ok endpoint of `ip` with `leaf` and the certificates `sent` after it.
ReportEndpoint endpoint(const std::string& ip, std::uint16_t port, const std::string& vendor, const Issued& leaf,
                        const std::vector<const Issued*>& sent,
                        ProvenanceKind provenance = ProvenanceKind::unknown,
                        ProvenanceBasis basis = ProvenanceBasis::chain)
{
  const CertificateInfo info = decode_certificate(leaf.der());
  ReportEndpoint e;
  e.ip = ip;
  e.port = port;
  e.ok = true;
  e.vendor = vendor;
  e.cn = info.cn;
  e.subject = info.subject;
  e.issuer = info.issuer;
  e.sha256 = info.sha256;
  e.self_signed = info.self_signed;
  e.provenance_kind = provenance;
  e.provenance_basis = provenance == ProvenanceKind::unknown ? ProvenanceBasis::none : basis;
  e.chain.push_back(leaf.der());
  for (const Issued* certificate : sent) {
    e.chain.push_back(certificate->der());
  }
  return e;
}

// The fleet: Grandstream devices .1 (two ports), .2 send their CA; .3 does not; .4 sends the
// impostor; .5 is self-signed; .6 carries an enterprise leaf; Gigaset .7 sends its (expired) root;
// .8 has no known vendor; .9 did not answer (and, in no inventory, is no device of the scan's view).
struct Fleet
{
  Issued gs_leaf1 = issue("/CN=000B82000001", &pki().gs_ca, false);
  Issued gs_leaf2 = issue("/CN=000B82000002", &pki().gs_ca, false);
  Issued gs_leaf3 = issue("/CN=000B82000003", &pki().gs_ca, false);
  Issued gs_leaf4 = issue("/CN=000B82000004", &pki().gs_ca, false);
  Issued self_signed = issue("/CN=000B82000005", nullptr, false);
  Issued enterprise_leaf = issue("/CN=phone6.example.com", &pki().enterprise, false);
  Issued gigaset_leaf = issue("/CN=7C2F80000007", &pki().gigaset_root, false);
  Issued other_leaf = issue("/CN=acme-8", &pki().other_ca, false);

  ScanReport report(bool with_pem = true) const
  {
    const Pki& p = pki();
    ScanReport r;
    r.path = "/var/lib/fleetcert/scan.json";
    r.format = "json";
    r.started_at = k_scan_start;
    r.endpoints = {
        endpoint("10.0.0.1", 443, "Grandstream", gs_leaf1, {&p.gs_ca}),
        endpoint("10.0.0.1", 5061, "Grandstream", gs_leaf1, {&p.gs_ca}),
        endpoint("10.0.0.2", 443, "Grandstream", gs_leaf2, {&p.gs_ca}),
        endpoint("10.0.0.3", 443, "Grandstream", gs_leaf3, {}),
        endpoint("10.0.0.4", 443, "Grandstream", gs_leaf4, {&p.impostor}),
        endpoint("10.0.0.5", 443, "Grandstream", self_signed, {}, ProvenanceKind::self_signed),
        endpoint("10.0.0.6", 443, "Grandstream", enterprise_leaf, {&p.enterprise}, ProvenanceKind::custom_ca),
        endpoint("10.0.0.7", 443, "Gigaset", gigaset_leaf, {&p.gigaset_root}),
        // Named after no known CA: custom-ca from names alone, still a candidate factory issuer.
        endpoint("10.0.0.8", 443, "", other_leaf, {&p.other_ca}, ProvenanceKind::custom_ca,
                 ProvenanceBasis::issuer_name),
    };
    ReportEndpoint silent;
    silent.ip = "10.0.0.9";
    silent.port = 443;
    silent.ok = false;
    silent.error_class = ErrorClass::timeout;
    r.endpoints.push_back(silent);
    if (!with_pem) {
      for (ReportEndpoint& e : r.endpoints) {
        e.chain.clear();
      }
    }
    return r;
  }
};

const Fleet& fleet()
{
  static const Fleet k_fleet;
  return k_fleet;
}

const LeafIssuer* issuer_named(const VendorIssuers& vendor, const std::string& cn)
{
  for (const LeafIssuer& issuer : vendor.leaf_issuers) {
    if (issuer.common_name == cn) {
      return &issuer;
    }
  }
  return nullptr;
}

const SentCaCertificate* ca_with(const VendorIssuers& vendor, const Issued& certificate)
{
  const std::string sha256 = sha256_hex(certificate.cert.get());
  for (const SentCaCertificate& ca : vendor.ca_certificates) {
    if (ca.info.sha256 == sha256) {
      return &ca;
    }
  }
  return nullptr;
}

bool contains(const std::string& text, const std::string& part)
{
  return text.find(part) != std::string::npos;
}

// The certificates OpenSSL's PEM reader finds in `text`, as SHA-256s; fails the test on a read error.
std::vector<std::string> read_back_with_openssl(const std::string& text)
{
  std::vector<std::string> out;
  BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
  REQUIRE(bio != nullptr);
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    out.push_back(sha256_hex(cert));
    X509_free(cert);
  }
  const unsigned long error = ERR_peek_last_error();
  // The loop ends at the end of the text ("no start line"), never at a broken block.
  CHECK((error == 0 || ERR_GET_REASON(error) == PEM_R_NO_START_LINE));
  ERR_clear_error();
  BIO_free(bio);
  return out;
}

} // namespace

TEST_SUITE("reports.issuer_inventory")
{
  TEST_CASE("issuers and sent CA certificates grouped by device vendor")
  {
    const ScanReport report = fleet().report();
    const IssuerInventory inventory = build_issuer_inventory(report);
    REQUIRE(inventory.vendors.size() == 3);
    CHECK(inventory.vendors[0].vendor == "Gigaset");
    CHECK(inventory.vendors[1].vendor == "Grandstream");
    CHECK(inventory.vendors[2].vendor == "unknown"); // no vendor: last
    CHECK(inventory.devices == 8); // the scan's device view: .9 only timed out and is in no inventory
    CHECK(inventory.endpoints_with_certificate == 9);
    CHECK(inventory.endpoints_without_chain == 0);
    CHECK_FALSE(inventory.chains_unavailable());
    CHECK(inventory.at == parse_iso8601(k_scan_start));
    CHECK(inventory.at_source == "scan");
    CHECK(inventory.find("GRANDSTREAM") == &inventory.vendors[1]);
    CHECK(inventory.find("Polycom") == nullptr);
    CHECK(inventory.vendor_names() == "Gigaset, Grandstream, unknown");

    const VendorIssuers& gs = inventory.vendors[1];
    CHECK(gs.devices == 6);
    CHECK(gs.devices_with_certificate == 6);
    CHECK(gs.endpoints_with_certificate == 7);
    CHECK(gs.self_signed_devices == 1);
    CHECK(gs.self_signed_endpoints == 1);
    CHECK(gs.undecoded_endpoints == 0);
    REQUIRE(gs.leaf_issuers.size() == 2); // the device CA and the enterprise CA; the self-signed leaf apart
    const LeafIssuer& device_ca = gs.leaf_issuers.front(); // most devices first
    CHECK(device_ca.common_name == "Grandstream Device CA");
    CHECK(device_ca.organization == "Grandstream Networks, Inc.");
    CHECK(device_ca.issuer == "C=US, O=Grandstream Networks\\, Inc., CN=Grandstream Device CA");
    CHECK(device_ca.devices == 4);
    CHECK(device_ca.endpoints == 5);
    CHECK(device_ca.factory_candidate_devices == 4);
    CHECK(device_ca.issuer_sent == 3);     // .1 twice, .2
    CHECK(device_ca.issuer_not_sent == 2); // .3 sent nothing, .4 an impostor whose key did not sign its leaf
    CHECK(device_ca.issuer_unknown == 0);
    CHECK(device_ca.issuing_ca_sha256 == std::vector<std::string>{sha256_hex(pki().gs_ca.cert.get())});
    CHECK(device_ca.provenance == std::vector<std::pair<std::string, std::size_t>>{{"unknown/none", 5}});
    const LeafIssuer* enterprise = issuer_named(gs, "Example Enterprise CA");
    REQUIRE(enterprise != nullptr);
    CHECK(enterprise->devices == 1);
    CHECK(enterprise->factory_candidate_devices == 0); // custom-ca
    CHECK(enterprise->issuer_sent == 1);

    REQUIRE(gs.ca_certificates.size() == 3); // device CA, impostor, enterprise root
    CHECK(gs.ca_certificates.front().info.sha256 == sha256_hex(pki().gs_ca.cert.get())); // signed the most leaves
    const SentCaCertificate* ca = ca_with(gs, pki().gs_ca);
    REQUIRE(ca != nullptr);
    CHECK(ca->info.subject == "C=US, O=Grandstream Networks\\, Inc., CN=Grandstream Device CA");
    CHECK(ca->info.issuer == "C=US, O=Grandstream Networks\\, Inc., CN=Grandstream Root CA");
    CHECK(ca->common_name == "Grandstream Device CA");
    CHECK(ca->organization == "Grandstream Networks, Inc.");
    CHECK(ca->info.key.type == "EC");
    CHECK(ca->info.key.curve == "P-384");
    CHECK(ca->info.signature.label == "ECDSA+SHA384");
    CHECK(ca->info.sha1.size() == 40);
    CHECK(ca->validity == Validity::valid);
    CHECK_FALSE(ca->expired());
    CHECK_FALSE(ca->self_signed_root());
    CHECK_FALSE(ca->issuer_sent); // the root was not sent
    CHECK(ca->devices == 2);
    CHECK(ca->endpoints == 3);
    CHECK(ca->issued_devices == 2);
    CHECK(ca->issued_endpoints == 3);
    const SentCaCertificate* impostor = ca_with(gs, pki().impostor);
    REQUIRE(impostor != nullptr);
    CHECK(impostor->issued_devices == 0);
    CHECK(impostor->self_signed_root());
    CHECK(impostor->issuer_sent);
    CHECK(impostor->info.key.type == "EC");
    CHECK(impostor->info.key.curve == "P-256");

    const VendorIssuers& gigaset = inventory.vendors[0];
    REQUIRE(gigaset.ca_certificates.size() == 1);
    const SentCaCertificate& root = gigaset.ca_certificates.front();
    CHECK(root.self_signed_root());
    CHECK(root.expired()); // 2026-01-01, before the scan
    CHECK(root.validity == Validity::expired);
    CHECK(root.issued_devices == 1);
    REQUIRE(gigaset.leaf_issuers.size() == 1);
    CHECK(gigaset.leaf_issuers[0].organization == "Gigaset Communications GmbH");
    CHECK(gigaset.leaf_issuers[0].common_name == "Gigaset.net");

    // --at moves the instant: before the Gigaset root's end it is valid.
    const IssuerInventory earlier = build_issuer_inventory(report, parse_iso8601("2025-06-01"));
    CHECK(earlier.at_source == "--at");
    CHECK_FALSE(earlier.vendors[0].ca_certificates.front().expired());
  }

  TEST_CASE("a report without PEM chains gives issuer names and says CA certificates are unavailable")
  {
    const IssuerInventory inventory = build_issuer_inventory(fleet().report(false));
    CHECK(inventory.chains_unavailable());
    CHECK(inventory.endpoints_without_chain == 9);
    const VendorIssuers& gs = inventory.vendors[1];
    CHECK(gs.ca_certificates.empty());
    const LeafIssuer* device_ca = issuer_named(gs, "Grandstream Device CA");
    REQUIRE(device_ca != nullptr);
    CHECK(device_ca->devices == 4);
    CHECK(device_ca->issuer_unknown == 5);
    CHECK(device_ca->issuer_sent == 0);
    CHECK(device_ca->issuer_not_sent == 0);
    CHECK(vendor_bundles(inventory).empty());

    const std::string text = issuer_inventory_text(inventory);
    CHECK(contains(text, "CA certificates unavailable: the report holds no PEM chains"));
    CHECK(contains(text, "unknown for 5 endpoints (no PEM chain)"));
    const nlohmann::json document = issuer_inventory_to_json(inventory);
    CHECK(document.at("ca_certificates_available") == false);
    CHECK(document.at("vendors").at(1).at("leaf_issuers").at(0).at("issuer_certificate").at("unknown") == 5);

    const ProfileSnippet snippet = profile_snippet(inventory, gs);
    CHECK(snippet.json.at("factory_issuers").size() == 1);
    CHECK(snippet.json.at("issuer_pins").empty());
    CHECK(std::any_of(snippet.notes.begin(), snippet.notes.end(),
                      [](const std::string& note) { return contains(note, "no issuer_pins: the report holds no PEM"); }));
  }

  TEST_CASE("the profile snippet: factory issuers with exactly o, cn, verified, source and pins of issuing CAs")
  {
    const IssuerInventory inventory = build_issuer_inventory(fleet().report());
    const ProfileSnippet snippet = profile_snippet(inventory, *inventory.find("grandstream"));
    const nlohmann::ordered_json& json = snippet.json;
    REQUIRE(json.size() == 2);
    CHECK(json.begin().key() == "factory_issuers");
    const auto& issuers = json.at("factory_issuers");
    REQUIRE(issuers.size() == 1); // the enterprise CA (custom-ca) is left out, the self-signed leaf too
    const auto& entry = issuers.at(0);
    std::vector<std::string> keys;
    for (const auto& item : entry.items()) {
      keys.push_back(item.key());
    }
    CHECK(keys == std::vector<std::string>{"o", "cn", "verified", "source"});
    CHECK(entry.at("o") == "Grandstream Networks, Inc.");
    CHECK(entry.at("cn") == "Grandstream Device CA");
    CHECK(entry.at("verified") == false);
    CHECK(entry.at("source") == "seen on 4 devices in scan.json (2026-11-27)");
    // Only the CA certificate whose key signed the leaves: neither the impostor nor the enterprise CA.
    CHECK(json.at("issuer_pins") == nlohmann::ordered_json::parse(
                                        "[{\"sha256\": \"" + sha256_hex(pki().gs_ca.cert.get()) + "\"}]"));
    CHECK(json.at("issuer_pins").at(0).at("sha256").get<std::string>().size() == 64);
    CHECK(std::any_of(snippet.notes.begin(), snippet.notes.end(),
                      [](const std::string& note) { return contains(note, "Example Enterprise CA"); }));
    CHECK(std::any_of(snippet.notes.begin(), snippet.notes.end(),
                      [](const std::string& note) { return contains(note, "NOT verified"); }));

    // An issuer without an O: "o" is left out; "cn" stays.
    const ProfileSnippet other = profile_snippet(inventory, *inventory.find("unknown"));
    REQUIRE(other.json.at("factory_issuers").size() == 1);
    const auto& acme = other.json.at("factory_issuers").at(0);
    CHECK_FALSE(acme.contains("o"));
    CHECK(acme.at("cn") == "Acme Phones CA"); // custom-ca/issuer-name: names alone never rule it out
    CHECK(other.json.at("issuer_pins").size() == 1);

    // A JSONL report has no scan time: the source says so, and CA validity is not judged.
    ScanReport jsonl = fleet().report();
    jsonl.path = "scan.jsonl";
    jsonl.started_at.clear();
    const IssuerInventory undated = build_issuer_inventory(jsonl);
    CHECK_FALSE(undated.at.has_value());
    CHECK_FALSE(undated.vendors[0].ca_certificates.front().validity.has_value());
    CHECK(profile_snippet(undated, *undated.find("Grandstream")).json.at("factory_issuers").at(0).at("source")
          == "seen on 4 devices in scan.jsonl (scan date not recorded)");
    CHECK(contains(issuer_inventory_text(undated), "CA validity not judged"));
  }

  TEST_CASE("the profile snippet pasted into a profile file parses, and the profile then knows the fleet's issuer")
  {
    const IssuerInventory inventory = build_issuer_inventory(fleet().report());
    nlohmann::ordered_json profile_json = profile_snippet(inventory, *inventory.find("grandstream")).json;
    profile_json["name"] = "Grandstream";
    const auto profile = VendorProfiles::parse(profile_json.dump(2), "grandstream.json");
    REQUIRE_MESSAGE(profile.ok(), (profile.ok() ? "" : profile.error()));
    REQUIRE(profile->factory_issuers.size() == 1);
    CHECK_FALSE(profile->factory_issuers[0].verified);
    CHECK(profile->issuer_pins.size() == 1);

    VendorProfiles profiles;
    profiles.add(*profile);
    const CertificateInfo leaf = decode_certificate(issue("/CN=000B82000009", &pki().gs_ca, false).der());
    const FactoryIssuerMatch match = profiles.match_factory_issuer(leaf.issuer);
    REQUIRE(match.profile != nullptr);
    CHECK(match.profile->name == "Grandstream");
    // The enterprise CA the snippet left out is not a Grandstream factory issuer.
    const CertificateInfo enterprise = decode_certificate(issue("/CN=phone", &pki().enterprise, false).der());
    CHECK(profiles.match_factory_issuer(enterprise.issuer).profile == nullptr);
  }

  TEST_CASE("bundles: one per vendor, safe unique names, comments OpenSSL skips")
  {
    CHECK(bundle_file_name("Grandstream") == "grandstream-sent-by-devices.pem");
    CHECK(bundle_file_name("YEALINK(XIAMEN) NETWORK TECHNOLOGY CO.,LTD.")
          == "yealink-xiamen-network-technology-co-ltd-sent-by-devices.pem");
    CHECK(bundle_file_name("../../etc/passwd") == "etc-passwd-sent-by-devices.pem");
    CHECK(bundle_file_name("") == "vendor-sent-by-devices.pem");
    CHECK(bundle_file_name("\xE6\x97\xA5\xE6\x9C\xAC") == "vendor-sent-by-devices.pem");
    CHECK(bundle_file_name(std::string(300, 'a')).size() == 64 + std::string("-sent-by-devices.pem").size());

    const IssuerInventory inventory = build_issuer_inventory(fleet().report());
    const std::vector<VendorBundle> bundles = vendor_bundles(inventory);
    REQUIRE(bundles.size() == 3);
    const VendorBundle& gs = bundles[1];
    CHECK(gs.vendor == "Grandstream");
    CHECK(gs.file_name == "grandstream-sent-by-devices.pem");
    CHECK(bundles[2].file_name == "unknown-sent-by-devices.pem");
    CHECK(gs.certificates == 3);
    CHECK(gs.left_out == 0);
    CHECK(contains(gs.text, "# subject: C=US, O=Grandstream Networks\\, Inc., CN=Grandstream Device CA\n"));
    CHECK(contains(gs.text, "# issuer:  C=US, O=Grandstream Networks\\, Inc., CN=Grandstream Root CA\n"));
    CHECK(contains(gs.text, "# SHA-256: " + sha256_hex(pki().gs_ca.cert.get()) + "\n"));
    CHECK(contains(gs.text, "# sent by 2 devices of Grandstream; NOT verified: check against the vendor's published "
                            "root before trusting it\n"));
    CHECK(contains(gs.text, "from scan.json."));
    // OpenSSL's PEM reader finds exactly the vendor's CA certificates, in order, and nothing else.
    std::vector<std::string> want;
    for (const SentCaCertificate& ca : inventory.vendors[1].ca_certificates) {
      want.push_back(ca.info.sha256);
    }
    CHECK(read_back_with_openssl(gs.text) == want);
    // fleetcert's own bundle reader (--vendor-ca, --trust) takes it too.
    const auto ders = read_certificate_bundle(gs.text, gs.file_name);
    REQUIRE(ders);
    CHECK(ders->size() == 3);

    // Two vendors whose names make one file name.
    ScanReport report = fleet().report();
    for (ReportEndpoint& e : report.endpoints) {
      if (e.vendor == "Gigaset") {
        e.vendor = "Grand Stream";
      } else if (e.vendor.empty()) {
        e.vendor = "grand-stream";
      }
    }
    const std::vector<VendorBundle> clashing = vendor_bundles(build_issuer_inventory(report));
    REQUIRE(clashing.size() == 3);
    CHECK(clashing[0].file_name == "grand-stream-sent-by-devices.pem");
    CHECK(clashing[1].file_name == "grand-stream-sent-by-devices-2.pem");
  }

  TEST_CASE("hostile names stay in their comment line and on the terminal")
  {
    const Issued hostile_ca =
        issue("/O=Evil\nInc/CN=-----BEGIN CERTIFICATE-----\x1b[31m", nullptr, true);
    const Issued leaf = issue("/CN=000B82000010", &hostile_ca, false);
    ScanReport report;
    report.path = "scan.json";
    report.started_at = k_scan_start;
    report.endpoints.push_back(endpoint("10.0.0.10", 443, "Grand\x1b[2Jstream", leaf, {&hostile_ca}));
    const IssuerInventory inventory = build_issuer_inventory(report);
    const std::vector<VendorBundle> bundles = vendor_bundles(inventory);
    REQUIRE(bundles.size() == 1);
    CHECK(bundles[0].file_name == "grand-2jstream-sent-by-devices.pem");
    CHECK_FALSE(contains(bundles[0].text, "\x1b"));
    CHECK_FALSE(contains(bundles[0].text, "Evil\nInc"));
    // Every line is blank, a '#' comment, or part of the one PEM block.
    std::size_t begins = 0;
    bool inside = false;
    std::size_t start = 0;
    while (start < bundles[0].text.size()) {
      const std::size_t end = bundles[0].text.find('\n', start);
      REQUIRE(end != std::string::npos);
      const std::string line = bundles[0].text.substr(start, end - start);
      start = end + 1;
      if (line == "-----BEGIN CERTIFICATE-----") {
        ++begins;
        inside = true;
      } else if (line == "-----END CERTIFICATE-----") {
        inside = false;
      } else {
        CHECK((inside || line.empty() || line.rfind("# ", 0) == 0));
      }
    }
    CHECK(begins == 1);
    CHECK(read_back_with_openssl(bundles[0].text) == std::vector<std::string>{sha256_hex(hostile_ca.cert.get())});
    const std::string text = issuer_inventory_text(inventory);
    CHECK_FALSE(contains(text, "\x1b"));
    CHECK(contains(text, "== Grand\\x1b[2Jstream: 1 device")); // the vendor text from the report, escaped
    CHECK(issuer_inventory_to_json(inventory).dump().find("\\u001b") != std::string::npos); // JSON escapes it
  }

  TEST_CASE("the JSON document")
  {
    const IssuerInventory inventory = build_issuer_inventory(fleet().report());
    const nlohmann::json document = issuer_inventory_to_json(inventory);
    CHECK(document.at("schema") == "fleetcert-issuers/1");
    CHECK(document.at("report").at("path") == "/var/lib/fleetcert/scan.json");
    CHECK(document.at("report").at("started_at") == k_scan_start);
    CHECK(document.at("at") == k_scan_start);
    CHECK(document.at("at_source") == "scan");
    CHECK(document.at("verified") == false);
    CHECK(document.at("devices") == 8);
    CHECK(document.at("ca_certificates_available") == true);
    const nlohmann::json& gs = document.at("vendors").at(1);
    CHECK(gs.at("vendor") == "Grandstream");
    CHECK(gs.at("bundle_file") == "grandstream-sent-by-devices.pem");
    CHECK(gs.at("self_signed_leaves") == nlohmann::json{{"devices", 1}, {"endpoints", 1}});
    const nlohmann::json& issuer = gs.at("leaf_issuers").at(0);
    CHECK(issuer.at("o") == "Grandstream Networks, Inc.");
    CHECK(issuer.at("cn") == "Grandstream Device CA");
    CHECK(issuer.at("issuer_certificate") == nlohmann::json{{"sent", 3}, {"not_sent", 2}, {"unknown", 0}});
    CHECK(issuer.at("provenance") == nlohmann::json{{"unknown/none", 5}});
    const nlohmann::json& ca = gs.at("ca_certificates").at(0);
    CHECK(ca.at("sha256") == sha256_hex(pki().gs_ca.cert.get()));
    CHECK(ca.at("key") == nlohmann::json{{"type", "EC"}, {"bits", 384}, {"curve", "P-384"}});
    CHECK(ca.at("signature") == "ECDSA+SHA384");
    CHECK(ca.at("not_before") == "2020-01-01T00:00:00Z");
    CHECK(ca.at("not_after") == "2036-01-01T00:00:00Z");
    CHECK(ca.at("validity") == "valid");
    CHECK(ca.at("expired") == false);
    CHECK(ca.at("self_signed_root") == false);
    CHECK(ca.at("issuer_sent") == false);
    CHECK(ca.at("issued_leaves") == nlohmann::json{{"devices", 2}, {"endpoints", 3}});
    CHECK(ca.at("pem") == pki().gs_ca.pem());
    CHECK(document.at("vendors").at(0).at("ca_certificates").at(0).at("expired") == true);
  }

  TEST_CASE("the table names each vendor's issuers, what was sent and what to get from the vendor")
  {
    const std::string text = issuer_inventory_text(build_issuer_inventory(fleet().report()));
    CHECK(contains(text, "Issuers in /var/lib/fleetcert/scan.json (scan of 2026-11-27T10:00:00Z): 8 devices, "
                         "9 endpoints with a certificate"));
    CHECK(contains(text, "NOT verified"));
    CHECK(contains(text, "== Grandstream: 6 devices, 6 with a certificate (7 endpoints)"));
    CHECK(contains(text, "4 devices, 5 endpoints: O=Grandstream Networks, Inc., CN=Grandstream Device CA"));
    CHECK(contains(text, "issuer cert  sent by 3 endpoints, NOT sent by 2 endpoints"));
    CHECK(contains(text, "Self-signed leaves: 1 device (1 endpoint)"));
    CHECK(contains(text, "issuer     C=US, O=Grandstream Networks\\, Inc., CN=Grandstream Root CA  (not sent: get it "
                         "from the vendor)"));
    CHECK(contains(text, "key        EC P-384, signature ECDSA+SHA384"));
    CHECK(contains(text, "validity   2020-01-01T00:00:00Z to 2036-01-01T00:00:00Z: valid at the scan time"));
    CHECK(contains(text, "validity   2020-01-01T00:00:00Z to 2026-01-01T00:00:00Z: expired at the scan time"));
    CHECK(contains(text, "root       yes (self-signed)"));
    CHECK(contains(text, "sha1       " + decode_certificate(pki().gs_ca.der()).sha1));
    CHECK(contains(text, "sent by    2 devices (3 endpoints); signed the leaf of 2 devices"));
    CHECK(contains(text, "== unknown: 1 device, 1 with a certificate (1 endpoint)"));
  }
}
