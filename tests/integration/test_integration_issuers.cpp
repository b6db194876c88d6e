// `fleetcert issuers` end to end: the real binary scans a simulated fleet (its own loopback block)
// whose Grandstream devices send their issuing CA, whose Gigaset devices send no chain, with a
// self-signed and an enterprise-issued leaf among them; then `issuers` learns the fleet's PKI from
// the JSON and JSONL reports (--json, the table), writes the bundles (read back and verified by
// OpenSSL, then used for a second scan with --vendor-ca), prints the profile snippet, and refuses
// bad input with exit 2.

#include "support/fleet_simulator.hpp"
#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/report_json.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

using namespace fleetcert::testing;
using nlohmann::json;

namespace {

constexpr const char* k_port = "36443";

json device(const std::string& ip, const std::string& mac, const json& port_spec)
{
  return {{"ip", ip}, {"mac", mac}, {"ports", {{k_port, port_spec}}}};
}

// .1 .2 Grandstream, chained through an issuing CA they send; .3 Grandstream self-signed; .4 .5
// Gigaset, issued by a root they do not send; .6 Grandstream with an enterprise leaf; .7 silent.
json pki_fleet(const LoopbackBlock& net)
{
  const json p256 = {{"type", "ec"}, {"curve", "P-256"}};
  const json p384 = {{"type", "ec"}, {"curve", "P-384"}};
  json fleet;
  fleet["key_pool"] = 1;
  fleet["cas"] = json::array({
      ca("gs-root", "/C=US/O=Grandstream Networks, Inc./CN=Grandstream Root CA", p384, "sha384", "self"),
      ca("gs-ca", "/C=US/O=Grandstream Networks, Inc./CN=Grandstream Device CA", p384, "sha384", "gs-root"),
      ca("gigaset", "/C=DE/ST=Germany/L=Bocholt/O=Gigaset Communications GmbH/OU=Certificate Authority/CN=Gigaset.net",
         p256, "sha256", "self"),
      ca("enterprise", "/O=Example Corp/CN=Example Enterprise CA", p256, "sha256", "self"),
  });
  const json gs = cert("/CN={MAC}", p256, "sha384", "gs-ca");
  fleet["devices"] = json::array({
      device(net.address("0.1"), "000B82000001", gs),
      device(net.address("0.2"), "000B82000002", gs),
      device(net.address("0.3"), "000B82000003", cert("/CN={MAC}", p256, "sha256", "self")),
      device(net.address("0.4"), "7C2F80000004", cert("/CN={MAC}", p256, "sha256", "gigaset")),
      device(net.address("0.5"), "7C2F80000005", cert("/CN={MAC}", p256, "sha256", "gigaset")),
      device(net.address("0.6"), "000B82000006", cert("/CN={MAC}", p256, "sha256", "enterprise")),
  });
  return fleet;
}

const json& vendor_of(const json& document, const std::string& name)
{
  for (const json& vendor : document.at("vendors")) {
    if (vendor.at("vendor") == name) {
      return vendor;
    }
  }
  FAIL("no vendor " << name);
  static const json none;
  return none;
}

const json& issuer_with_cn(const json& vendor, const std::string& cn)
{
  for (const json& issuer : vendor.at("leaf_issuers")) {
    if (issuer.at("cn") == cn) {
      return issuer;
    }
  }
  FAIL("no leaf issuer " << cn);
  static const json none;
  return none;
}

// The openssl program on PATH (run_command takes a path).
std::string openssl_program()
{
  const char* path = std::getenv("PATH");
  const std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::filesystem::path candidate = std::filesystem::path(dirs.substr(start, end - start)) / "openssl";
    if (!candidate.parent_path().empty() && std::filesystem::exists(candidate)) {
      return candidate.string();
    }
    start = end + 1;
  }
  FAIL("no openssl program on PATH");
  return {};
}

bool contains(const std::string& text, const std::string& part)
{
  return text.find(part) != std::string::npos;
}

// What every report of the fleet must give.
void check_inventory(const json& document, const FleetSimulator& sim)
{
  CHECK(document.at("schema") == "fleetcert-issuers/1");
  CHECK(document.at("verified") == false);
  // The devices of the scan's device view: .7 only refused and is in no inventory, so it is none.
  CHECK(document.at("devices") == 6);
  CHECK(document.at("ca_certificates_available") == true);
  REQUIRE(document.at("vendors").size() == 2);
  CHECK(document.at("vendors").at(0).at("vendor") == "Gigaset");
  CHECK(document.at("vendors").at(1).at("vendor") == "Grandstream");

  const json& gs = vendor_of(document, "Grandstream");
  CHECK(gs.at("devices") == 4);
  CHECK(gs.at("self_signed_leaves").at("devices") == 1);
  REQUIRE(gs.at("leaf_issuers").size() == 2);
  const json& device_ca = issuer_with_cn(gs, "Grandstream Device CA");
  CHECK(device_ca.at("o") == "Grandstream Networks, Inc.");
  CHECK(device_ca.at("devices") == 2);
  CHECK(device_ca.at("issuer_certificate") == json{{"sent", 2}, {"not_sent", 0}, {"unknown", 0}});
  CHECK(device_ca.at("issuing_ca_sha256") == json::array({sim.ca_sha256("gs-ca")}));
  const json& enterprise = issuer_with_cn(gs, "Example Enterprise CA");
  CHECK(enterprise.at("factory_candidate_devices") == 0); // chains to --trust: custom-ca
  CHECK(enterprise.at("provenance") == json{{"custom-ca/chain", 1}});
  CHECK(enterprise.at("issuer_certificate").at("not_sent") == 1); // a self-signed root is not sent
  REQUIRE(gs.at("ca_certificates").size() == 1);
  const json& sent = gs.at("ca_certificates").at(0);
  CHECK(sent.at("sha256") == sim.ca_sha256("gs-ca"));
  CHECK(sent.at("sha1").get<std::string>().size() == 40);
  CHECK(sent.at("subject") == "C=US, O=Grandstream Networks\\, Inc., CN=Grandstream Device CA");
  CHECK(sent.at("issuer") == "C=US, O=Grandstream Networks\\, Inc., CN=Grandstream Root CA");
  CHECK(sent.at("key") == json{{"type", "EC"}, {"bits", 384}, {"curve", "P-384"}});
  CHECK(sent.at("signature") == "ECDSA+SHA384");
  CHECK(sent.at("self_signed_root") == false);
  CHECK(sent.at("issuer_sent") == false);
  CHECK(sent.at("devices") == 2);
  CHECK(sent.at("issued_leaves").at("devices") == 2);
  CHECK(sent.at("pem") == sim.ca_pem("gs-ca"));
  CHECK(gs.at("bundle_file") == "grandstream-sent-by-devices.pem");

  const json& gigaset = vendor_of(document, "Gigaset");
  CHECK(gigaset.at("devices") == 2);
  REQUIRE(gigaset.at("leaf_issuers").size() == 1);
  const json& gigaset_issuer = gigaset.at("leaf_issuers").at(0);
  CHECK(gigaset_issuer.at("o") == "Gigaset Communications GmbH");
  CHECK(gigaset_issuer.at("cn") == "Gigaset.net");
  CHECK(gigaset_issuer.at("issuer_certificate") == json{{"sent", 0}, {"not_sent", 2}, {"unknown", 0}});
  CHECK(gigaset.at("ca_certificates").empty());
  CHECK(gigaset.at("bundle_file").is_null());
}

} // namespace

TEST_SUITE("integration.issuers")
{
  TEST_CASE("issuers from a scan: JSON, JSONL, the table, bundles OpenSSL verifies with, the profile snippet")
  {
    const LoopbackBlock net;
    TempDir dir;
    FleetSimulator sim(FLEET_SIM_BINARY, dir, pki_fleet(net));
    write_file(dir.file("enterprise.pem"), sim.ca_pem("enterprise"));
    write_file(dir.file("gs-root.pem"), sim.ca_pem("gs-root"));
    const std::vector<std::string> scan{FLEETCERT_BINARY, "scan", net.address("0.1-7"), "--ports", k_port,
                                        "--timeout", "2", "--trust", dir.file("enterprise.pem"), "--quiet"};
    auto r = run_command(with(scan, {"--json", dir.file("scan.json"), "--jsonl", dir.file("scan.jsonl")}),
                         std::chrono::seconds(60));
    INFO("scan stderr: " << r.err);
    REQUIRE(r.status == 0);
    const json report = json::parse(read_file(dir.file("scan.json")));
    const std::string scan_date = report.at("scan").at("started_at").get<std::string>().substr(0, 10);

    // --json, from the JSON document and from JSONL (which records no scan time).
    const std::vector<std::string> issuers{FLEETCERT_BINARY, "issuers"};
    r = run_command(with(issuers, {dir.file("scan.json"), "--json"}), std::chrono::seconds(30));
    INFO("issuers stderr: " << r.err);
    REQUIRE(r.status == 0);
    const json document = json::parse(r.out);
    check_inventory(document, sim);
    CHECK(document.at("at_source") == "scan");
    CHECK(document.at("report").at("format") == "json");
    CHECK(vendor_of(document, "Grandstream").at("ca_certificates").at(0).at("expired") == false);
    r = run_command(with(issuers, {dir.file("scan.jsonl"), "--json"}), std::chrono::seconds(30));
    REQUIRE(r.status == 0);
    const json from_jsonl = json::parse(r.out);
    check_inventory(from_jsonl, sim);
    CHECK(from_jsonl.at("at").is_null());
    CHECK(vendor_of(from_jsonl, "Grandstream").at("ca_certificates").at(0).at("expired").is_null());
    r = run_command(with(issuers, {dir.file("scan.jsonl"), "--json", "--at", "2099-01-01"}), std::chrono::seconds(30));
    REQUIRE(r.status == 0);
    CHECK(vendor_of(json::parse(r.out), "Grandstream").at("ca_certificates").at(0).at("expired") == true);

    // The table, and the bundles: only Grandstream's devices sent a CA certificate.
    r = run_command(with(issuers, {dir.file("scan.json"), "--write-bundles", dir.file("bundles")}),
                    std::chrono::seconds(30));
    REQUIRE(r.status == 0);
    CHECK(contains(r.out, "== Grandstream: 4 devices, 4 with a certificate (4 endpoints)"));
    CHECK(contains(r.out, "O=Gigaset Communications GmbH, CN=Gigaset.net"));
    CHECK(contains(r.out, "issuer cert  NOT sent by 2 endpoints"));
    CHECK(contains(r.out, "sha256     " + sim.ca_sha256("gs-ca")));
    CHECK(contains(r.out, "wrote " + dir.file("bundles") + "/grandstream-sent-by-devices.pem: 1 CA certificate"));
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir.file("bundles"))) {
      files.push_back(entry.path().filename().string());
    }
    CHECK(files == std::vector<std::string>{"grandstream-sent-by-devices.pem"});
    const std::string bundle = dir.file("bundles") + "/grandstream-sent-by-devices.pem";
    const std::string bundle_text = read_file(bundle);
    CHECK(contains(bundle_text, "# SHA-256: " + sim.ca_sha256("gs-ca") + "\n"));
    CHECK(contains(bundle_text, "# sent by 2 devices of Grandstream; NOT verified: check against the vendor's "
                                "published root before trusting it\n"));

    // OpenSSL reads it: the leaf of .1 verifies against it (the issuing CA as the anchor), and
    // against the vendor's root with the bundle as the intermediates.
    std::string leaf_pem;
    for (const json& record : report.at("records")) {
      if (record.at("target").at("ip") == net.address("0.1")) {
        leaf_pem = record.at("chain").at(0).at("pem");
      }
    }
    REQUIRE_FALSE(leaf_pem.empty());
    const std::string openssl = openssl_program();
    write_file(dir.file("leaf.pem"), leaf_pem);
    r = run_command({openssl, "verify", "-partial_chain", "-CAfile", bundle, dir.file("leaf.pem")},
                    std::chrono::seconds(30));
    INFO("openssl: " << r.out << r.err);
    CHECK(r.status == 0);
    CHECK(contains(r.out, ": OK"));
    r = run_command({openssl, "verify", "-CAfile", dir.file("gs-root.pem"), "-untrusted", bundle, dir.file("leaf.pem")},
                    std::chrono::seconds(30));
    CHECK(r.status == 0);
    r = run_command({openssl, "verify", "-CAfile", dir.file("enterprise.pem"), "-untrusted", bundle,
                     dir.file("leaf.pem")},
                    std::chrono::seconds(30));
    CHECK(r.status != 0); // a test that can fail: another root does not verify it

    // The second command of the workflow: the bundle as --vendor-ca makes the provenance factory/chain.
    r = run_command(with(scan, {"--vendor-ca", "Grandstream=" + bundle, "--json", dir.file("rescan.json")}),
                    std::chrono::seconds(60));
    INFO("rescan stderr: " << r.err);
    REQUIRE(r.status == 0);
    auto records = records_by_ip(json::parse(read_file(dir.file("rescan.json"))));
    for (const char* ip : {"0.1", "0.2"}) {
      const json& provenance = records[net.address(ip)].at("assessment").at("provenance");
      CHECK(provenance.at("kind") == "factory");
      CHECK(provenance.at("basis") == "chain");
      CHECK(provenance.at("vendor") == "Grandstream");
    }

    // The profile snippet, case-insensitive vendor: exactly the keys a profile takes.
    r = run_command(with(issuers, {dir.file("scan.json"), "--profile-snippet", "GRANDSTREAM"}),
                    std::chrono::seconds(30));
    REQUIRE(r.status == 0);
    const json snippet = json::parse(r.out);
    const json want = {
        {"factory_issuers",
         json::array({{{"o", "Grandstream Networks, Inc."},
                       {"cn", "Grandstream Device CA"},
                       {"verified", false},
                       {"source", "seen on 2 devices in scan.json (" + scan_date + ")"}}})},
        {"issuer_pins", json::array({{{"sha256", sim.ca_sha256("gs-ca")}}})}};
    CHECK(snippet == want);
    CHECK(contains(r.out, "\n  \"factory_issuers\": [")); // pretty-printed
    CHECK(contains(r.err, "NOT verified"));
    CHECK(contains(r.err, "Example Enterprise CA")); // left out, and said so
    r = run_command(with(issuers, {dir.file("scan.json"), "--profile-snippet", "gigaset"}), std::chrono::seconds(30));
    REQUIRE(r.status == 0);
    const json gigaset = json::parse(r.out);
    CHECK(gigaset.at("factory_issuers").at(0).at("cn") == "Gigaset.net");
    CHECK(gigaset.at("issuer_pins").empty());
    CHECK(contains(r.err, "no issuer_pins: the devices did not send the certificates that issued their leaves"));
  }

  TEST_CASE("issuers: a report without PEM chains, and usage errors exit 2")
  {
    const LoopbackBlock net;
    TempDir dir;
    FleetSimulator sim(FLEET_SIM_BINARY, dir, pki_fleet(net));
    auto r = run_command({FLEETCERT_BINARY, "scan", net.address("0.1-2"), net.address("0.4"), "--ports", k_port,
                          "--timeout", "2", "--jsonl", dir.file("scan.jsonl"), "--quiet"},
                         std::chrono::seconds(60));
    REQUIRE(r.status == 0);
    // The same report as an older fleetcert wrote it: chain entries without "pem".
    write_file(dir.file("old.jsonl"), without_chain_pem(read_file(dir.file("scan.jsonl"))));
    const std::vector<std::string> issuers{FLEETCERT_BINARY, "issuers"};
    r = run_command(with(issuers, {dir.file("old.jsonl")}), std::chrono::seconds(30));
    REQUIRE(r.status == 0);
    CHECK(contains(r.out, "CA certificates unavailable: the report holds no PEM chains"));
    CHECK(contains(r.out, "O=Grandstream Networks, Inc., CN=Grandstream Device CA")); // the names remain
    r = run_command(with(issuers, {dir.file("old.jsonl"), "--profile-snippet", "grandstream"}), std::chrono::seconds(30));
    REQUIRE(r.status == 0);
    CHECK(json::parse(r.out).at("factory_issuers").at(0).at("cn") == "Grandstream Device CA");
    CHECK(json::parse(r.out).at("issuer_pins").empty());
    CHECK(contains(r.err, "no issuer_pins: the report holds no PEM chains"));
    r = run_command(with(issuers, {dir.file("old.jsonl"), "--write-bundles", dir.file("b")}), std::chrono::seconds(30));
    CHECK(r.status == 2);
    CHECK(contains(r.err, "holds no PEM chains"));
    CHECK_FALSE(std::filesystem::exists(dir.file("b")));

    // Usage errors: each exits 2 and names the problem.
    r = run_command(with(issuers, {dir.file("missing.json")}), std::chrono::seconds(30));
    CHECK(r.status == 2);
    CHECK(contains(r.err, "missing.json"));
    r = run_command(with(issuers, {dir.file("scan.jsonl"), "--profile-snippet", "Polycom"}), std::chrono::seconds(30));
    CHECK(r.status == 2);
    CHECK(contains(r.err, "'Polycom'"));
    CHECK(contains(r.err, "its vendors: Gigaset, Grandstream"));
    CHECK(r.out.empty());
    write_file(dir.file("a-file"), "x");
    r = run_command(with(issuers, {dir.file("scan.jsonl"), "--write-bundles", dir.file("a-file") + "/sub"}),
                    std::chrono::seconds(30));
    CHECK(r.status == 2);
    CHECK(contains(r.err, "--write-bundles"));
    r = run_command(with(issuers, {dir.file("scan.jsonl"), "--write-bundles", dir.file("a-file")}),
                    std::chrono::seconds(30));
    CHECK(r.status == 2);
    CHECK(contains(r.err, "not a directory"));
    r = run_command(with(issuers, {dir.file("scan.jsonl"), "--json", "--profile-snippet", "Gigaset"}),
                    std::chrono::seconds(30));
    CHECK(r.status == 2);
    r = run_command(with(issuers, {dir.file("scan.jsonl"), "--at", "2026-02-31"}), std::chrono::seconds(30));
    CHECK(r.status == 2);
    CHECK(contains(r.err, "--at"));
    write_file(dir.file("not-a-report.json"), "{\"hello\": 1}\n");
    r = run_command(with(issuers, {dir.file("not-a-report.json")}), std::chrono::seconds(30));
    CHECK(r.status == 2);
    CHECK(contains(r.err, "fleetcert: issuers: " + dir.file("not-a-report.json") + ": not a fleetcert report: no \"schema\""));
  }
}
