// The JSON Schemas of reports/schemas/ against what the real fleetcert writes: a scan of a
// simulated fleet with errors, skipped and unresolved names, hostile certificates (the `_hex`
// siblings), an inventory and bundles (scan.bundles, scan.warnings), then diff, readiness (from a
// report and live), issuers (--json from JSON and JSONL, --profile-snippet) and export. Every
// document is validated by tests/schemas/validate_documents.py (Debian's python3-jsonschema, format
// checks proven live), and mutated copies of each must fail.

#include "support/fleet_simulator.hpp"
#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/report_json.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

using namespace fleetcert::testing;
using nlohmann::json;

namespace {

constexpr const char* k_port = "37443";

json device(const std::string& ip, const std::string& mac, const json& port_spec)
{
  json out = {{"ip", ip}, {"ports", {{k_port, port_spec}}}};
  if (!mac.empty()) {
    out["mac"] = mac;
  }
  return out;
}

// .1 Grandstream ECDSA through an issuing CA it sends, .2 Grandstream RSA+SHA256 (legacy generation),
// .3 Grandstream self-signed, .4 Gigaset Einstein2 SHA1, .5 .6 .7 a CN of bytes that are not UTF-8
// (PrintableString and BMPString, read as Latin-1; UTF8String, which does not decode), .8 an
// enterprise leaf (--trust), .9 expired, .10 garbage (not-tls), .11 nothing listening but in the
// inventory (not-answering).
json schema_fleet(const LoopbackBlock& net)
{
  const json p256 = {{"type", "ec"}, {"curve", "P-256"}};
  const json p384 = {{"type", "ec"}, {"curve", "P-384"}};
  json fleet;
  fleet["key_pool"] = 1;
  fleet["cas"] = json::array({
      ca("gs-root", "/C=US/O=Grandstream Networks, Inc./CN=Grandstream Root CA", p384, "sha384", "self"),
      ca("gs-ca", "/C=US/O=Grandstream Networks, Inc./CN=Grandstream ECC Device CA", p384, "sha384", "gs-root"),
      ca("gs-rsa", "/C=US/O=Grandstream Networks, Inc./CN=Grandstream Device CA", "rsa:2048", "sha256", "gs-root"),
      ca("gigaset", "/C=DE/ST=Germany/L=Bocholt/O=Gigaset Communications GmbH/OU=Certificate Authority/CN=Gigaset.net",
         p256, "sha256", "self"),
      ca("enterprise", "/O=Example Corp/CN=Example Enterprise CA", p256, "sha256", "self"),
      ca("stale", "/O=Gigaset Communications GmbH/CN=Gigaset Old Root", p256, "sha256", "self"), // signs nothing
  });
  json expired = cert("/CN={MAC}", p256, "sha256", "self");
  expired["valid_from_days"] = -400;
  expired["valid_days"] = 30;
  auto raw_cn = [&](const char* type, const char* hex) {
    json spec = cert("/O=Hostile/CN=placeholder", p256, "sha256", "self");
    spec["subject_raw_cn_hex"] = hex;
    spec["subject_raw_cn_type"] = type;
    return spec;
  };
  fleet["devices"] = json::array({
      device(net.address("0.1"), "000B82000001", cert("/CN={MAC}", p256, "sha384", "gs-ca")),
      device(net.address("0.2"), "000B82000002", cert("/CN={MAC}", "rsa:2048", "sha256", "gs-rsa")),
      device(net.address("0.3"), "000B82000003", cert("/CN={MAC}", p256, "sha256", "self")),
      device(net.address("0.4"), "7C2F80000004", cert("/CN=Einstein2", "rsa:2048", "sha1", "gigaset")),
      device(net.address("0.5"), "", raw_cn("printable", "e974e9ff")),
      device(net.address("0.6"), "", raw_cn("bmp", "00e900ff")),
      device(net.address("0.7"), "", raw_cn("utf8", "e974e9ff")),
      device(net.address("0.8"), "0004F2000008", cert("/CN=Custom-{MAC}", p256, "sha256", "enterprise")),
      device(net.address("0.9"), "0004F2000009", expired),
      device(net.address("0.10"), "", json{{"behaviour", "garbage"}}),
  });
  return fleet;
}

// True when some key anywhere in `value` satisfies `predicate`.
bool has_key(const json& value, const std::function<bool(const std::string&)>& predicate)
{
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      if (predicate(key) || has_key(child, predicate)) {
        return true;
      }
    }
  } else if (value.is_array()) {
    for (const json& child : value) {
      if (has_key(child, predicate)) {
        return true;
      }
    }
  }
  return false;
}

bool ends_with(const std::string& text, const std::string& suffix)
{
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The validator's command line: the interpreter Debian's python3-jsonschema is installed for.
std::vector<std::string> validator(std::initializer_list<std::string> arguments)
{
  std::vector<std::string> argv{FLEETCERT_SCHEMA_PYTHON,
                                std::string(FLEETCERT_SOURCE_DIR) + "/tests/schemas/validate_documents.py",
                                std::string(FLEETCERT_SOURCE_DIR) + "/reports/schemas"};
  argv.insert(argv.end(), arguments);
  return argv;
}

} // namespace

TEST_SUITE("integration.schemas")
{
  TEST_CASE("every document fleetcert writes validates against its schema, and mutated copies do not")
  {
    const LoopbackBlock net;
    TempDir dir;
    FleetSimulator sim(FLEET_SIM_BINARY, dir, schema_fleet(net));
    write_file(dir.file("gs-root.pem"), sim.ca_pem("gs-root"));
    write_file(dir.file("stale.pem"), sim.ca_pem("stale"));
    write_file(dir.file("enterprise.pem"), sim.ca_pem("enterprise"));
    // An inventory with a column of Latin-1 bytes (inventory.extra.room_hex) and a device that never answers.
    write_file(dir.file("inventory.csv"), net.expand("ip,mac,hostname,model,site,room\n"
                                                     "{net}.0.1,000B82000001,gs-1,GRP2614,HQ,R\xe9"
                                                     "ception\n"
                                                     "{net}.0.2,000B82000002,gs-2,GRP2614,HQ,2.14\n"
                                                     "{net}.0.3,000B82000003,gs-3,GRP2615,Branch,\n"
                                                     "{net}.0.11,000B82000011,gs-11,GRP2615,Branch,\n"));

    // The first scan: every kind of record. localhost resolves to an excluded address (skipped);
    // a name under .invalid never resolves (dns, no target.ip); ::1 gives an IPv6 record.
    const std::vector<std::string> scan{FLEETCERT_BINARY, "scan", net.address("0.1-11"), "nonexistent.invalid",
                                        "localhost", "::1", "--exclude", "127.0.0.1", "--ports", k_port,
                                        "--timeout", "3", "--inventory", dir.file("inventory.csv"), "--trust",
                                        dir.file("enterprise.pem"), "--vendor-ca",
                                        "Grandstream=" + dir.file("gs-root.pem"), "--quiet"};
    auto r = run_command(with(scan, {"--vendor-ca", "Gigaset=" + dir.file("stale.pem"), "--json", dir.file("old.json"),
                                     "--jsonl", dir.file("old.jsonl")}),
                         std::chrono::seconds(90));
    INFO("scan stderr: " << r.err);
    REQUIRE(r.status == 0);
    const json old_report = json::parse(read_file(dir.file("old.json")));
    const std::vector<json> old_lines = jsonl_records(read_file(dir.file("old.jsonl")));

    // What the validation below must cover, so that it cannot pass on a document without it.
    std::set<std::string> statuses;
    bool unresolved = false;
    for (const json& record : old_lines) {
      statuses.insert(record.at("status").get<std::string>());
      unresolved = unresolved || !record.at("target").contains("ip");
    }
    CHECK(statuses == std::set<std::string>{"ok", "error", "skipped"});
    CHECK(unresolved);
    CHECK(has_key(old_report.at("records"), [](const std::string& key) { return ends_with(key, "_hex"); }));
    CHECK(has_key(old_report.at("records"), [](const std::string& key) { return key == "inventory"; }));
    CHECK(has_key(old_report.at("devices"), [](const std::string& key) { return key == "room_hex"; }));
    CHECK(old_report.at("scan").at("bundles").size() == 3);
    REQUIRE(old_report.at("scan").at("warnings").size() == 1);
    CHECK(old_report.at("scan").at("warnings").at(0).at("code") == "vendor-ca-verified-none");
    CHECK(old_report.at("scan").contains("audit_settings"));
    CHECK_FALSE(old_report.at("inventory_check").at("not_answering").empty());

    // A second scan with other settings and one device fewer, then the diffs.
    r = run_command(with(scan, {"--exclude", net.address("0.3"), "--json", dir.file("new.json")}),
                    std::chrono::seconds(90));
    REQUIRE(r.status == 0);
    r = run_command({FLEETCERT_BINARY, "diff", dir.file("old.json"), dir.file("new.json"), "--json",
                     dir.file("diff.json"), "--quiet"},
                    std::chrono::seconds(60));
    INFO("diff stderr: " << r.err);
    REQUIRE((r.status == 0 || r.status == 1));
    const json diff = json::parse(read_file(dir.file("diff.json")));
    CHECK_FALSE(diff.at("changes").empty());
    CHECK(diff.at("audit_settings").at("differ") == true);
    r = run_command({FLEETCERT_BINARY, "diff", dir.file("old.jsonl"), dir.file("new.json"), "--json",
                     dir.file("diff-jsonl.json"), "--quiet"},
                    std::chrono::seconds(60));
    REQUIRE((r.status == 0 || r.status == 1));

    // Readiness from the report, and live (source kind scan).
    r = run_command({FLEETCERT_BINARY, "readiness", "--report", dir.file("old.json"), "--trust-after",
                     dir.file("gs-root.pem"), "--json", dir.file("readiness.json"), "--quiet"},
                    std::chrono::seconds(60));
    INFO("readiness stderr: " << r.err);
    REQUIRE((r.status == 0 || r.status == 1));
    const json readiness = json::parse(read_file(dir.file("readiness.json")));
    CHECK(readiness.at("devices").size() >= 9);
    CHECK_FALSE(readiness.at("devices_by_reason").empty());
    r = run_command({FLEETCERT_BINARY, "readiness", net.address("0.1-4"), "--ports", k_port, "--timeout", "3",
                     "--trust-after", dir.file("gs-root.pem"), "--json", dir.file("readiness-live.json"), "--quiet"},
                    std::chrono::seconds(90));
    REQUIRE((r.status == 0 || r.status == 1));
    CHECK(json::parse(read_file(dir.file("readiness-live.json"))).at("source").at("kind") == "scan");

    // Issuers from both report formats, and the profile snippet.
    r = run_command({FLEETCERT_BINARY, "issuers", dir.file("old.json"), "--json"}, std::chrono::seconds(60));
    REQUIRE(r.status == 0);
    write_file(dir.file("issuers.json"), r.out);
    const json issuers = json::parse(r.out);
    CHECK(has_key(issuers, [](const std::string& key) { return key == "ca_certificates"; }));
    r = run_command({FLEETCERT_BINARY, "issuers", dir.file("old.jsonl"), "--json"}, std::chrono::seconds(60));
    REQUIRE(r.status == 0);
    write_file(dir.file("issuers-jsonl.json"), r.out);
    r = run_command({FLEETCERT_BINARY, "issuers", dir.file("old.json"), "--profile-snippet", "Grandstream"},
                    std::chrono::seconds(60));
    REQUIRE(r.status == 0);
    write_file(dir.file("snippet.json"), r.out);
    const json snippet = json::parse(r.out);
    CHECK_FALSE(snippet.at("factory_issuers").empty());
    CHECK_FALSE(snippet.at("issuer_pins").empty());

    // Export writes CSV and text only: no JSON document to validate.
    r = run_command({FLEETCERT_BINARY, "export", "grandstream-update", dir.file("old.json"), "--out",
                     dir.file("export"), "--quiet"},
                    std::chrono::seconds(60));
    INFO("export stderr: " << r.err);
    REQUIRE(r.status == 0);
    std::vector<std::string> exported;
    for (const auto& entry : std::filesystem::directory_iterator(dir.file("export"))) {
      exported.push_back(entry.path().filename().string());
      CHECK(entry.path().extension() != ".json");
    }
    CHECK(exported.size() == 2); // one batch and the index

    // fleetcert report: the document rebuilt from the JSONL (no scan facts but rebuilt_from) and from
    // the JSON document (its scan section carried over).
    r = run_command({FLEETCERT_BINARY, "report", dir.file("old.jsonl"), "--json", dir.file("rebuilt-jsonl.json")},
                    std::chrono::seconds(60));
    INFO("report stderr: " << r.err);
    REQUIRE(r.status == 0);
    CHECK(json::parse(read_file(dir.file("rebuilt-jsonl.json"))).at("scan").contains("rebuilt_from"));
    r = run_command({FLEETCERT_BINARY, "report", dir.file("old.json"), "--json", dir.file("rebuilt-json.json")},
                    std::chrono::seconds(60));
    REQUIRE(r.status == 0);

    // The schemas themselves, and proof that the format checks are live.
    r = run_command(validator({"--self-test"}), std::chrono::seconds(60));
    INFO("self-test: " << r.out << r.err);
    CHECK(r.status == 0);

    // Every document, and its mutated copies.
    r = run_command(validator({"--mutate", "scan=" + dir.file("old.json"), "jsonl=" + dir.file("old.jsonl"),
                               "diff=" + dir.file("diff.json"), "readiness=" + dir.file("readiness.json"),
                               "issuers=" + dir.file("issuers.json"), "profile-snippet=" + dir.file("snippet.json")}),
                    std::chrono::seconds(120));
    INFO("validate --mutate: " << r.out << r.err);
    CHECK(r.status == 0);
    CHECK(r.out.find("\nall passed\n") != std::string::npos);

    // The other documents, validated only (some mutations need what only the ones above have).
    r = run_command(validator({"scan=" + dir.file("new.json"), "scan=" + dir.file("rebuilt-jsonl.json"),
                               "scan=" + dir.file("rebuilt-json.json"), "diff=" + dir.file("diff-jsonl.json"),
                               "readiness=" + dir.file("readiness-live.json"),
                               "issuers=" + dir.file("issuers-jsonl.json")}),
                    std::chrono::seconds(120));
    INFO("validate: " << r.out << r.err);
    CHECK(r.status == 0);
    CHECK(r.out.find("\nall passed\n") != std::string::npos);
  }
}
