// End-to-end audit: vendor profiles, provenance decided from real chains, the inventory
// cross-check and findings, through the real binary against the simulated fleet (a loopback block each).

#include "support/fleet_simulator.hpp"
#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/report_json.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <set>

using namespace fleetcert::testing;
using nlohmann::json;

namespace {

constexpr const char* k_port = "23443";

json device(const std::string& ip, const std::string& mac, json port_spec)
{
  return {{"ip", ip}, {"mac", mac}, {"ports", {{k_port, std::move(port_spec)}}}};
}

json audit_fleet(const LoopbackBlock& net)
{
  const json rsa2048 = {{"type", "rsa"}, {"bits", 2048}};
  const json p256 = {{"type", "ec"}, {"curve", "P-256"}};
  const json p384 = {{"type", "ec"}, {"curve", "P-384"}};
  json fleet;
  fleet["key_pool"] = 1; // every RSA-1280 leaf shares one key (shared-key); other specs are used once
  fleet["cas"] = json::array({
      cert("/C=US/ST=Massachusetts/L=Boston/O=Grandstream Networks, Inc./CN=Grandstream Device CA", rsa2048, "sha256", "self"),
      cert("/O=Grandstream Networks, Inc./CN=Grandstream Root CA", p384, "sha384", "self"),
      cert("/C=US/ST=Massachusetts/L=Boston/O=Grandstream Networks, Inc./CN=Grandstream ECC Device CA", p384, "sha384",
           "gs-root"),
      cert("/C=DE/ST=Germany/L=Bocholt/O=Gigaset Communications GmbH/OU=Certificate Authority/CN=Gigaset.net", rsa2048,
           "sha256", "self"),
      cert("/C=US/O=Polycom Inc./CN=Polycom Root CA", p384, "sha384", "self"),
      cert("/C=US/O=Polycom Inc./CN=Polycom Equipment Issuing CA 1", p256, "sha256", "poly-root"),
      cert("/C=US/O=Polycom Inc./CN=Polycom Equipment Issuing CA 2", p256, "sha256", "poly-root"),
      cert("/O=Example Corp/CN=Example Corp Enterprise CA", p256, "sha256", "self"),
      cert("/O=Nobody Knows/CN=Some Other CA", p256, "sha256", "self"),
  });
  const char* names[] = {"gs-rsa", "gs-root", "gs-ecc", "gigaset", "poly-root", "poly-1", "poly-2", "enterprise", "other"};
  for (std::size_t i = 0; i < fleet["cas"].size(); ++i) {
    fleet["cas"][i]["name"] = names[i];
  }

  json gs_old = cert("/CN={MAC}", rsa2048, "sha256", "gs-rsa");
  json gs_new = cert("/CN={MAC}", p384, "sha384", "gs-ecc");
  json gs_other_vendor = gs_old; // on a Polycom phone; its own key (the pool's is shared-key's business)
  gs_other_vendor["unique_key"] = true;
  json gs_no_chain = gs_new;
  gs_no_chain["send_chain"] = false;
  json einstein = cert("/CN=Einstein2", {{"type", "rsa"}, {"bits", 1024}}, "sha1", "gigaset");
  json poly_self = cert("/CN={MAC}", p256, "sha256", "self");
  json poly_1 = cert("/CN={MAC}", p256, "sha256", "poly-1");
  json poly_2 = cert("/CN={MAC}", p256, "sha256", "poly-2");
  json custom = cert("/CN=Custom-{MAC}", p256, "sha256", "enterprise");
  json unknown = cert("/CN={MAC}", p256, "sha256", "other");
  json shared_key = cert("/CN={MAC}", {{"type", "rsa"}, {"bits", 1280}}, "sha256", "self");
  json expired = cert("/CN={MAC}", p256, "sha256", "poly-1");
  expired["valid_from_days"] = -800;
  expired["valid_days"] = 700;
  json expiring = cert("/CN={MAC}", p256, "sha256", "poly-1");
  expiring["valid_from_days"] = -300;
  expiring["valid_days"] = 310;
  json future = cert("/CN={MAC}", p256, "sha256", "poly-1");
  future["valid_from_days"] = 20;
  json md5 = cert("/CN={MAC}", {{"type", "rsa"}, {"bits", 1536}}, "md5", "self");
  json dect = cert("/CN=dect-base", p256, "sha256", "gigaset");
  json yealink = cert("/O=Yealink Network Technology Co., Ltd./CN=phone", p256, "sha256", "other");
  json unparseable = cert("/CN=placeholder", p256, "sha256", "self");
  unparseable["subject_raw_cn_hex"] = "436166e9"; // "Caf\xE9" in a UTF8String

  fleet["devices"] = json::array({
      device(net.address("0.1"), "000B82000001", gs_old),
      device(net.address("0.2"), "000B82000002", gs_new),
      device(net.address("0.3"), "000B82000003", gs_no_chain),
      device(net.address("0.4"), "7C2F80000004", einstein),
      device(net.address("0.5"), "0004F2000005", poly_self),
      device(net.address("0.6"), "0004F2000006", poly_1),
      device(net.address("0.7"), "0004F2000007", poly_2),
      device(net.address("0.8"), "0004F2000008", custom),
      device(net.address("0.9"), "000413000009", unknown),     // snom's IEEE prefix, no profile
      device(net.address("0.10"), "805EC000000A", shared_key), // Yealink prefix
      device(net.address("0.11"), "805EC000000B", shared_key),
      device(net.address("0.12"), "0004F200000C", expired),
      device(net.address("0.13"), "0004F200000D", json{{"same_as", net.address("0.6:") + k_port}}), // copied
      device(net.address("0.14"), "0004F200000E", expiring),
      device(net.address("0.15"), "0004F200000F", future),
      device(net.address("0.16"), "0004F2000010", md5),
      device(net.address("0.17"), "7C2F80000011", dect),     // no MAC in the CN, not in the inventory
      device(net.address("0.18"), "805EC0000012", yealink),  // likewise
      device(net.address("0.19"), "0004F2000013", unparseable),
      device(net.address("0.20"), "0004F2000014", gs_other_vendor), // a Polycom phone with a Grandstream certificate
  });
  return fleet;
}

std::set<std::string> codes(const json& record)
{
  return finding_codes(record.at("assessment").at("findings"));
}

} // namespace

TEST_SUITE("integration.audit")
{
  TEST_CASE("provenance, vendors, inventory cross-check and findings on a simulated fleet")
  {
    const LoopbackBlock net;
    TempDir dir;
    FleetSimulator sim(FLEET_SIM_BINARY, dir, audit_fleet(net));

    // The vendors' CA bundles, as a site would download them, and the enterprise CA.
    write_file(dir.file("grandstream.pem"), sim.ca_pem("gs-rsa") + sim.ca_pem("gs-root") + sim.ca_pem("gs-ecc"));
    write_file(dir.file("polycom.pem"), sim.ca_pem("poly-root") + sim.ca_pem("poly-1") + sim.ca_pem("poly-2"));
    write_file(dir.file("enterprise.pem"), sim.ca_pem("enterprise"));
    // A Polycom profile override that pins issuing CA 1 only (as Polycom documents thumbprints).
    std::filesystem::create_directories(dir.file("profiles"));
    json polycom = {{"name", "Polycom"},
                    {"aliases", {"Polycom", "Polycom Inc."}},
                    {"mac_prefixes", {"0004F2", "64167F"}},
                    {"factory_issuers", {"C=US, O=Polycom Inc., CN=Polycom Equipment Issuing CA 1"}},
                    {"issuer_pins", {{{"sha256", sim.ca_sha256("poly-1")}}}}};
    write_file(dir.file("profiles/polycom.json"), polycom.dump());
    // The inventory: one vendor given explicitly, one wrong MAC, one device that never answers;
    // .9 is missing on purpose.
    write_file(dir.file("inventory.csv"),
               net.expand("mac,ip,hostname,vendor,model,site,asset_tag\n"
                          "000B82000001,{net}.0.1,gs-1,,GXP2170,HQ,A-1\n"
                          "000B82FFFFFF,{net}.0.2,gs-2,,GRP2614,HQ,A-2\n"
                          "000B82000003,{net}.0.3,gs-3,,GRP2614,HQ,A-3\n"
                          "7C2F80000004,{net}.0.4,n670,,N670,Branch,A-4\n"
                          "0004F2000005,{net}.0.5,vvx-5,,VVX 450,Branch,A-5\n"
                          "0004F2000006,{net}.0.6,vvx-6,,VVX 450,Branch,A-6\n"
                          "0004F2000007,{net}.0.7,vvx-7,,VVX 450,Branch,A-7\n"
                          "0004F2000008,{net}.0.8,vvx-8,,VVX 450,Branch,A-8\n"
                          "805EC000000A,{net}.0.10,t54-10,Yealink,T54W,HQ,A-10\n"
                          "805EC000000B,{net}.0.11,t54-11,Yealink,T54W,HQ,A-11\n"
                          "0004F200000C,{net}.0.12,vvx-12,,VVX 450,HQ,A-12\n"
                          "0004F2000014,{net}.0.20,vvx-20,,VVX 450,HQ,A-20\n"
                          "0004F2000032,{net}.0.50,vvx-50,,VVX 450,HQ,A-50\n"));

    const auto result = run_command(
        {FLEETCERT_BINARY, "scan", net.address("0.9"), net.address("0.13-19"), "--inventory", dir.file("inventory.csv"),
         "--ports", k_port, "--timeout", "3", "--profiles", dir.file("profiles"), "--vendor-ca",
         "Grandstream=" + dir.file("grandstream.pem"), "--vendor-ca", "polycom=" + dir.file("polycom.pem"), "--trust",
         dir.file("enterprise.pem"), "--json", dir.file("audit.json"), "--csv-devices", dir.file("devices.csv"), "--table",
         "--jsonl", dir.file("audit.jsonl")},
        std::chrono::seconds(60));
    INFO("stderr: " << result.err);
    REQUIRE(result.status == 0);
    const json report = json::parse(read_file(dir.file("audit.json")));
    {
      INFO("fleetcert report rebuilds the audit from the JSONL: every record read back losslessly, the same "
           "devices, fleet-wide findings, summary and inventory check (the inventory from the records' rows)");
      const auto rebuilt = run_command({FLEETCERT_BINARY, "report", dir.file("audit.jsonl"), "--jsonl",
                                        dir.file("re.jsonl"), "--json", dir.file("re.json"), "--csv-devices",
                                        dir.file("re-devices.csv")},
                                       std::chrono::seconds(60));
      INFO("report stderr: " << rebuilt.err);
      REQUIRE(rebuilt.status == 0);
      CHECK(read_file(dir.file("re.jsonl")) == read_file(dir.file("audit.jsonl")));
      CHECK(read_file(dir.file("re-devices.csv")) == read_file(dir.file("devices.csv")));
      const json document = json::parse(read_file(dir.file("re.json")));
      CHECK(document.at("records") == report.at("records"));
      CHECK(document.at("devices") == report.at("devices"));
      CHECK(document.at("summary") == report.at("summary"));
      CHECK(document.at("inventory_check") == report.at("inventory_check"));
    }
    auto records = records_by_ip(report);
    REQUIRE(records.size() == 21);

    auto provenance = [&](const std::string& ip) { return records[ip].at("assessment").at("provenance"); };
    auto vendor = [&](const std::string& ip) { return records[ip].at("assessment").at("vendor"); };

    // Grandstream: old generation, new generation, new generation without its intermediate.
    CHECK(provenance(net.address("0.1")).at("kind") == "factory");
    CHECK(provenance(net.address("0.1")).at("basis") == "chain");
    CHECK(provenance(net.address("0.1")).at("vendor") == "Grandstream");
    CHECK(codes(records[net.address("0.1")]).count("legacy-generation") == 1);
    CHECK(provenance(net.address("0.2")).at("kind") == "factory");
    CHECK(codes(records[net.address("0.2")]).count("legacy-generation") == 0);
    CHECK(codes(records[net.address("0.2")]).count("mac-mismatch") == 1);
    CHECK(codes(records[net.address("0.2")]).count("chain-incomplete") == 0);
    CHECK(provenance(net.address("0.3")).at("kind") == "factory");
    CHECK(provenance(net.address("0.3")).at("chain_incomplete") == true);
    CHECK(codes(records[net.address("0.3")]).count("chain-incomplete") == 1);
    CHECK(vendor(net.address("0.1")).at("source") == "mac-prefix");

    // A Polycom phone (its MAC prefix) whose certificate chains to the Grandstream bundle: still
    // Polycom, with vendor-mismatch and none of Grandstream's legacy-generation.
    CHECK(provenance(net.address("0.20")).at("kind") == "factory");
    CHECK(provenance(net.address("0.20")).at("vendor") == "Grandstream");
    CHECK(vendor(net.address("0.20")).at("name") == "Polycom");
    CHECK(vendor(net.address("0.20")).at("source") == "mac-prefix");
    CHECK(codes(records[net.address("0.20")]) == std::set<std::string>{"vendor-mismatch"});

    // Gigaset Einstein2, SHA1, RSA-1024, no Gigaset bundle given: factory by issuer name only.
    CHECK(provenance(net.address("0.4")).at("kind") == "factory");
    CHECK(provenance(net.address("0.4")).at("basis") == "issuer-name");
    CHECK(provenance(net.address("0.4")).at("vendor") == "Gigaset");
    const auto gigaset = codes(records[net.address("0.4")]);
    CHECK(gigaset.count("generic-cn") == 1);
    CHECK(gigaset.count("sha1-rejected") == 1);
    CHECK(gigaset.count("weak-key") == 1);
    for (const auto& f : records[net.address("0.4")].at("assessment").at("findings")) {
      if (f.at("code") == "sha1-rejected") {
        CHECK(f.at("message").get<std::string>().find("2.57") != std::string::npos);
      }
      CHECK_FALSE(f.at("remediation").get<std::string>().empty());
    }

    // Polycom: self-signed, factory through the pinned issuing CA, the other issuing CA fails the pin.
    CHECK(provenance(net.address("0.5")).at("kind") == "self-signed");
    CHECK(codes(records[net.address("0.5")]).count("self-signed") == 1);
    CHECK(provenance(net.address("0.6")).at("kind") == "factory");
    CHECK(provenance(net.address("0.6")).at("basis") == "chain");
    CHECK(provenance(net.address("0.7")).at("kind") != "factory");
    CHECK(codes(records[net.address("0.7")]).count("issuer-pin-mismatch") == 1);
    CHECK(provenance(net.address("0.12")).at("kind") == "factory"); // expired, and still factory
    CHECK(codes(records[net.address("0.12")]).count("expired") == 1);

    // Custom certificates: verified to --trust, and from an unknown CA.
    CHECK(provenance(net.address("0.8")).at("kind") == "custom-ca");
    CHECK(provenance(net.address("0.8")).at("basis") == "chain");
    CHECK(codes(records[net.address("0.8")]).count("unknown-issuer") == 0);
    CHECK(provenance(net.address("0.9")).at("kind") == "custom-ca");
    CHECK(codes(records[net.address("0.9")]).count("unknown-issuer") == 1);
    CHECK(vendor(net.address("0.9")).at("source") == "ieee-registry"); // snom: no profile, the IEEE name

    // Inventory: vendor given, copied columns, wrong MAC, a device that never answered, one not listed.
    CHECK(vendor(net.address("0.10")).at("source") == "inventory");
    CHECK(records[net.address("0.1")].at("inventory").at("extra").at("asset_tag") == "A-1");
    CHECK(records[net.address("0.50")].at("status") == "error");
    CHECK(records[net.address("0.50")].at("inventory").at("model") == "VVX 450");
    const json& check = report.at("inventory_check");
    CHECK(check.at("not_answering") == json::array({net.address("0.50")}));
    const auto unlisted = check.at("not_in_inventory").get<std::set<std::string>>();
    CHECK(unlisted == std::set<std::string>{net.address("0.9"), net.address("0.13"), net.address("0.14"),
                                            net.address("0.15"), net.address("0.16"), net.address("0.17"),
                                            net.address("0.18"), net.address("0.19")});

    // Fleet-wide: the same key under two certificates, added to the records of the JSON document.
    CHECK(codes(records[net.address("0.10")]).count("shared-key") == 1);
    CHECK(codes(records[net.address("0.11")]).count("shared-key") == 1);
    CHECK(codes(records[net.address("0.1")]).count("shared-key") == 0);

    // Every other finding code and the remaining vendor sources.
    CHECK(codes(records[net.address("0.13")]).count("shared-certificate") == 1);
    CHECK(codes(records[net.address("0.6")]).count("shared-certificate") == 1);
    CHECK(codes(records[net.address("0.14")]).count("expiring") == 1);
    CHECK(codes(records[net.address("0.15")]).count("not-yet-valid") == 1);
    CHECK(codes(records[net.address("0.16")]).count("weak-signature") == 1);
    CHECK(codes(records[net.address("0.19")]).count("certificate-unparseable") == 1);
    CHECK(provenance(net.address("0.19")).at("kind") == "unknown");
    CHECK(vendor(net.address("0.17")).at("name") == "Gigaset");
    CHECK(vendor(net.address("0.17")).at("source") == "issuer-name");
    CHECK(vendor(net.address("0.18")).at("name") == "Yealink");
    CHECK(vendor(net.address("0.18")).at("source") == "subject-name");
    CHECK(codes(records[net.address("0.17")]).count("not-in-inventory") == 1);
    // Every finding code fleetcert has appears somewhere in this fleet.
    std::set<std::string> seen;
    for (const auto& [ip, r] : records) {
      if (r.contains("assessment")) {
        const auto c = codes(r);
        seen.insert(c.begin(), c.end());
      }
    }
    for (const auto& d : report.at("devices")) {
      for (const auto& f : d.at("findings")) {
        seen.insert(f.at("code"));
      }
    }
    for (const char* code : {"weak-signature", "shared-key", "sha1-rejected", "generic-cn", "self-signed", "expired",
                             "weak-key", "mac-mismatch", "shared-certificate", "issuer-pin-mismatch",
                             "certificate-unparseable", "unknown-issuer", "expiring", "not-yet-valid",
                             "vendor-mismatch", "legacy-generation", "chain-incomplete", "not-answering",
                             "not-in-inventory"}) {
      CHECK_MESSAGE(seen.count(code) == 1, code);
    }

    // Devices: one per address, worst first; the device CSV agrees.
    const json& devices = report.at("devices");
    CHECK(devices.size() == 21);
    CHECK(devices.at(0).at("worst_severity") == "critical");
    const std::string csv = read_file(dir.file("devices.csv"));
    CHECK(csv.find(net.address("0.50")) != std::string::npos);
    CHECK(csv.find("not-answering") != std::string::npos);
    CHECK(csv.find("shared-key") != std::string::npos);

    // The table counts devices per vendor x signature x provenance and findings by code.
    CHECK(result.out.find("Gigaset") != std::string::npos);
    CHECK(result.out.find("sha1-rejected") != std::string::npos);

    // Every bundle given verified some of the certificates that claim it: nothing to warn about.
    CHECK(report.at("scan").at("warnings") == json::array());
    CHECK(result.err.find("warning") == std::string::npos);
    const json& bundles = report.at("scan").at("bundles");
    REQUIRE(bundles.size() == 3);
    CHECK(bundles.at(0).at("vendor") == "Grandstream");
    CHECK(bundles.at(0).at("verified") == 4); // with .20: the bundle verified the certificate on that Polycom phone
    CHECK(bundles.at(1).at("vendor") == "Polycom");
    CHECK(bundles.at(2).at("option") == "--trust");
    CHECK(bundles.at(2).at("verified") == 1);
    // Gigaset.net is the one factory CA name a vendor documents.
    CHECK(provenance(net.address("0.4")).at("issuer_verified") == true);
    CHECK_FALSE(provenance(net.address("0.1")).contains("issuer_verified")); // by chain
  }

  TEST_CASE("a --vendor-ca or --trust bundle that verifies nothing is a warning on stderr and in scan.warnings")
  {
    const LoopbackBlock net;
    TempDir dir;
    const json p256 = {{"type", "ec"}, {"curve", "P-256"}};
    const json p384 = {{"type", "ec"}, {"curve", "P-384"}};
    json fleet;
    fleet["cas"] = json::array({
        cert("/O=Grandstream Networks, Inc./CN=Grandstream Root CA", p384, "sha384", "self"),
        cert("/C=US/ST=Massachusetts/L=Boston/O=Grandstream Networks, Inc./CN=Grandstream ECC Device CA", p384,
             "sha384", "gs-root"),
        cert("/O=Grandstream Networks, Inc./CN=Grandstream Root CA 2016", p384, "sha384", "self"), // signs nothing
        cert("/C=DE/ST=Germany/L=Bocholt/O=Gigaset Communications GmbH/OU=Certificate Authority/CN=Gigaset.net", p256,
             "sha256", "self"),
        cert("/O=Example Corp/CN=Example Corp Enterprise CA", p256, "sha256", "self"),
        cert("/O=Example Corp/CN=Example Corp Old CA", p256, "sha256", "self"), // signs nothing
    });
    const char* names[] = {"gs-root", "gs-ecc", "gs-stale", "gigaset", "enterprise", "enterprise-old"};
    for (std::size_t i = 0; i < fleet["cas"].size(); ++i) {
      fleet["cas"][i]["name"] = names[i];
    }
    const json gs = cert("/CN={MAC}", p384, "sha384", "gs-ecc");
    fleet["devices"] = json::array({
        device(net.address("3.1"), "000B82000031", gs),
        device(net.address("3.2"), "000B82000032", gs),
        device(net.address("3.3"), "C074AD000033", gs),
        device(net.address("3.4"), "7C2F80000034", cert("/CN={MAC}", p256, "sha256", "gigaset")),
        device(net.address("3.5"), "0004F2000035", cert("/CN=phone-35", p256, "sha256", "enterprise")),
    });
    FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet);
    write_file(dir.file("grandstream-stale.pem"), sim.ca_pem("gs-stale"));
    write_file(dir.file("grandstream.pem"), sim.ca_pem("gs-root"));
    write_file(dir.file("enterprise-old.pem"), sim.ca_pem("enterprise-old"));
    write_file(dir.file("enterprise.pem"), sim.ca_pem("enterprise"));
    const auto scan = [&](const std::string& grandstream_pem, const std::string& trust_pem, const std::string& json_path) {
      return run_command({FLEETCERT_BINARY, "scan", net.address("3.1-5"), "--ports", k_port, "--timeout", "3",
                          "--vendor-ca", "Grandstream=" + dir.file(grandstream_pem), "--trust", dir.file(trust_pem),
                          "--json", dir.file(json_path), "--quiet"},
                         std::chrono::seconds(60));
    };

    SUBCASE("the wrong bundles: a warning each, naming the issuers the devices' certificates carry")
    {
      const auto result = scan("grandstream-stale.pem", "enterprise-old.pem", "stale.json");
      INFO("stderr: " << result.err);
      REQUIRE(result.status == 0);
      CHECK(result.out.empty());
      // Printed even under --quiet: the verdicts of the report rest on these bundles.
      const std::string gs_warning = "fleetcert: warning: --vendor-ca Grandstream ('" + dir.file("grandstream-stale.pem")
                                     + "') verified none of the 3 certificates of Grandstream devices";
      CHECK(result.err.find(gs_warning) != std::string::npos);
      CHECK(result.err.find("Issuers seen: 'C=US, ST=Massachusetts, L=Boston, O=Grandstream Networks\\, Inc., "
                            "CN=Grandstream ECC Device CA' (3)")
            != std::string::npos);
      CHECK(result.err.find("fleetcert: warning: --trust ('" + dir.file("enterprise-old.pem")
                            + "') verified none of the 1 certificate that is neither")
            != std::string::npos);
      CHECK(result.err.find("'O=Example Corp, CN=Example Corp Enterprise CA' (1)") != std::string::npos);

      const json report = json::parse(read_file(dir.file("stale.json")));
      const json& warnings = report.at("scan").at("warnings");
      REQUIRE(warnings.size() == 2);
      CHECK(warnings.at(0).at("code") == "vendor-ca-verified-none");
      CHECK(result.err.find(warnings.at(0).at("message").get<std::string>()) != std::string::npos);
      CHECK(warnings.at(1).at("code") == "trust-verified-none");
      CHECK(result.err.find(warnings.at(1).at("message").get<std::string>()) != std::string::npos);
      const json& bundles = report.at("scan").at("bundles");
      REQUIRE(bundles.size() == 2);
      CHECK(bundles.at(0) == json{{"option", "--vendor-ca"},
                                  {"vendor", "Grandstream"},
                                  {"files", {dir.file("grandstream-stale.pem")}},
                                  {"ca_certificates", 1},
                                  {"certificates", 3},
                                  {"verified", 0},
                                  {"unverified_issuers",
                                   {{{"issuer", "C=US, ST=Massachusetts, L=Boston, O=Grandstream Networks\\, Inc., "
                                                "CN=Grandstream ECC Device CA"},
                                     {"certificates", 3}}}},
                                  {"unverified_other", 0}});
      CHECK(bundles.at(1).at("option") == "--trust");
      CHECK(bundles.at(1).at("certificates") == 1);
      CHECK(bundles.at(1).at("verified") == 0);
    }
    SUBCASE("the right bundles: their counts and no warning")
    {
      const auto result = scan("grandstream.pem", "enterprise.pem", "right.json");
      INFO("stderr: " << result.err);
      REQUIRE(result.status == 0);
      CHECK(result.err.empty());
      const json report = json::parse(read_file(dir.file("right.json")));
      CHECK(report.at("scan").at("warnings") == json::array());
      const json& bundles = report.at("scan").at("bundles");
      REQUIRE(bundles.size() == 2);
      CHECK(bundles.at(0).at("certificates") == 3);
      CHECK(bundles.at(0).at("verified") == 3);
      CHECK(bundles.at(1).at("certificates") == 1);
      CHECK(bundles.at(1).at("verified") == 1);
    }
    SUBCASE("no bundle: factory by unverified issuer names, counted in the summary with the hint")
    {
      const auto result = run_command({FLEETCERT_BINARY, "scan", net.address("3.1-5"), "--ports", k_port, "--timeout",
                                       "3", "--json", dir.file("names.json"), "--table"},
                                      std::chrono::seconds(60));
      INFO("stderr: " << result.err);
      REQUIRE(result.status == 0);
      const json report = json::parse(read_file(dir.file("names.json")));
      auto records = records_by_ip(report);
      const json& grandstream = records[net.address("3.1")].at("assessment").at("provenance");
      CHECK(grandstream.at("kind") == "factory");
      CHECK(grandstream.at("basis") == "issuer-name");
      CHECK(grandstream.at("issuer_verified") == false);
      CHECK(records[net.address("3.4")].at("assessment").at("provenance").at("issuer_verified") == true);
      CHECK(report.at("summary").at("unverified_issuer_names") == json{{"Grandstream", 3}});
      CHECK(result.out.find("Unverified:  3 endpoints are factory only by an issuer name nobody has verified "
                            "(Grandstream 3)")
            != std::string::npos);
      CHECK(result.out.find("give --vendor-ca VENDOR=FILE") != std::string::npos);
    }
  }

  TEST_CASE("bad audit inputs exit 2 and name the file or line")
  {
    const LoopbackBlock net;
    TempDir dir;
    write_file(dir.file("inventory.csv"), net.expand("mac,ip\n000B82000001,{net}.1.1\nnot-a-mac,{net}.1.2\n"));
    auto r = run_command({FLEETCERT_BINARY, "scan", "--inventory", dir.file("inventory.csv")}, std::chrono::seconds(20));
    CHECK(r.status == 2);
    CHECK(r.err.find("inventory.csv:3") != std::string::npos);

    r = run_command({FLEETCERT_BINARY, "scan", "--inventory", dir.file("inventory.csv"), "--lenient", "--ports", "1",
                     "--timeout", "1", "--jsonl", dir.file("out.jsonl")},
                    std::chrono::seconds(20));
    CHECK(r.status == 0);
    CHECK(r.err.find("inventory.csv:3") != std::string::npos);

    write_file(dir.file("empty.pem"), "not a certificate\n");
    r = run_command({FLEETCERT_BINARY, "scan", net.address("1.1"), "--vendor-ca", "Polycom=" + dir.file("empty.pem")},
                    std::chrono::seconds(20));
    CHECK(r.status == 2);
    CHECK(r.err.find("empty.pem") != std::string::npos);
    r = run_command({FLEETCERT_BINARY, "scan", net.address("1.1"), "--vendor-ca", dir.file("empty.pem")},
                    std::chrono::seconds(20));
    CHECK(r.status == 2);
    r = run_command({FLEETCERT_BINARY, "scan", net.address("1.1"), "--profiles", dir.file("no-such-dir")},
                    std::chrono::seconds(20));
    CHECK(r.status == 2);
    // A bundle for a vendor no profile names (a typo) is refused, naming the vendors that are known.
    r = run_command({FLEETCERT_BINARY, "scan", net.address("1.1"), "--vendor-ca", "Grandstrem=" + dir.file("empty.pem")},
                    std::chrono::seconds(20));
    CHECK(r.status == 2);
    CHECK(r.err.find("no vendor profile named 'Grandstrem'") != std::string::npos);
    CHECK(r.err.find("AudioCodes, Cisco, Gigaset, Grandstream, Mitel, Polycom, Snom, Spectralink, Yealink") != std::string::npos);
    CHECK(r.out.empty());
  }
}

TEST_SUITE("integration.audit")
{
  TEST_CASE("--fail-on: exit 1 when a finding matches a code or a minimum severity, --quiet prints only what matched")
  {
    const LoopbackBlock net;
    TempDir dir;
    json fleet;
    fleet["devices"] = json::array({device(net.address("2.1"), "7C2F80000021",
                                           cert("/CN=Einstein2", {{"type", "ec"}, {"curve", "P-256"}}, "sha1", "self"))});
    FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet);
    const std::vector<std::string> scan{FLEETCERT_BINARY, "scan", net.address("2.1"), "--ports", k_port,
                                        "--timeout", "3", "--quiet"};
    auto with = [&](std::initializer_list<std::string> extra) {
      std::vector<std::string> args = scan;
      args.insert(args.end(), extra);
      return run_command(args, std::chrono::seconds(30));
    };
    auto r = with({"--fail-on", "sha1-rejected"});
    CHECK(r.status == 1);
    CHECK(r.out.empty());
    CHECK(r.err == "fleetcert: --fail-on matched 1 device: sha1-rejected 1\n");
    CHECK(with({"--fail-on", "expired,weak-key"}).status == 0);
    CHECK(with({"--fail-on", "severity>=high"}).status == 1);
    CHECK(with({"--fail-on", "severity>=critical"}).status == 0);
    CHECK(with({}).status == 0);
    r = with({"--fail-on", "severity>=urgent"});
    CHECK(r.status == 2);
    CHECK(r.err.find("severity>=urgent") != std::string::npos);
    CHECK(with({"--fail-on", "not-a-code"}).status == 2);

    // The same from a TOML file, as a cron line would run it; the command line wins over the file.
    write_file(dir.file("site.toml"), "# site A\ntargets = [\"" + net.address("2.1") + "\"]\nports = \"" + k_port
                                          + "\"\ntimeout = 3\nquiet = true\nfail-on = \"severity>=high\"\njsonl = \""
                                          + dir.file("site.jsonl") + "\"\n");
    r = run_command({FLEETCERT_BINARY, "scan", "--config", dir.file("site.toml")}, std::chrono::seconds(30));
    CHECK(r.status == 1);
    CHECK(r.out.empty());
    CHECK(read_file(dir.file("site.jsonl")).find(net.address("2.1")) != std::string::npos);
    r = run_command({FLEETCERT_BINARY, "scan", "--config", dir.file("site.toml"), "--fail-on", "expired"},
                    std::chrono::seconds(30));
    CHECK(r.status == 0);
    write_file(dir.file("bad.toml"), "port = 443\n");
    r = run_command({FLEETCERT_BINARY, "scan", "--config", dir.file("bad.toml")}, std::chrono::seconds(30));
    CHECK(r.status == 2);
    CHECK(r.err == "fleetcert: scan: " + dir.file("bad.toml") + ":1: unknown key 'port': not an option of fleetcert scan\n");
  }
}
