// `fleetcert diff` and `fleetcert export` end to end: the real binary scans simulated fleets on
// loopback, then compares and exports the reports it wrote.
//
// Each test case takes its own loopback block (support/loopback.hpp):
//   diff: a stable fleet-sim plus one played before and one after the change (x.0.0/24)
//   export grandstream-update: 1,233 legacy Grandstream devices and a few odd ones (x.0.0/21)
//   export grandstream-update: who is in a batch, with which MAC and why (x.0.0/24)
//   export generic-cn and devices --where (x.0.0/24)
//   export devices = the JSON document's devices section, and the same from JSONL (x.0.0/24)

#include "support/csv_parse.hpp"
#include "support/fleet_simulator.hpp"
#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/report_json.hpp"

#include "scanner/util/digest.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

using namespace fleetcert::testing;
using nlohmann::json;

namespace {

constexpr const char* k_port = "24443";
constexpr auto k_limit = std::chrono::seconds(60);

const char* const k_gs_rsa_ca = "/C=US/ST=Massachusetts/L=Boston/O=Grandstream Networks, Inc./CN=Grandstream Device CA";
const char* const k_gs_ecc_ca =
    "/C=US/ST=Massachusetts/L=Boston/O=Grandstream Networks, Inc./CN=Grandstream ECC Device CA";
const char* const k_gigaset_ca =
    "/C=DE/ST=Germany/L=Bocholt/O=Gigaset Communications GmbH/OU=Certificate Authority/CN=Gigaset.net";

json device(const std::string& ip, const std::string& mac, json port_spec)
{
  json out = {{"ip", ip}, {"ports", {{k_port, std::move(port_spec)}}}};
  if (!mac.empty()) {
    out["mac"] = mac;
  }
  return out;
}

// The CAs every simulator of the diff test makes (each its own keys: certificates differ between runs).
json diff_cas()
{
  return json::array({ca("gs-rsa", k_gs_rsa_ca, "rsa:2048", "sha256"), ca("gs-ecc", k_gs_ecc_ca, "ec:P-384", "sha384")});
}

json gs_new()
{
  return cert("/CN={MAC}", "ec:P-384", "sha384", "gs-ecc");
}

json gs_old()
{
  return cert("/CN={MAC}", "rsa:2048", "sha256", "gs-rsa");
}

// A current Grandstream certificate on a port that answers SIP OPTIONS with `user_agent`.
json gs_announcing(const std::string& user_agent)
{
  json out = gs_new();
  out["identity"] = {{"user_agent", user_agent}};
  return out;
}

CommandResult run_fleetcert(const std::vector<std::string>& arguments)
{
  std::vector<std::string> argv{FLEETCERT_BINARY};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return run_command(argv, k_limit);
}

std::vector<std::string> lines_of(const std::string& text)
{
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

std::map<std::string, json> changes_by_ip(const json& diff)
{
  std::map<std::string, json> out;
  for (const json& change : diff.at("changes")) {
    out[change.at("ip").get<std::string>()] = change;
  }
  return out;
}

bool has_reason(const json& change, const std::string& effect, const std::string& field)
{
  for (const json& reason : change.at("reasons")) {
    if (reason.at("effect") == effect && reason.at("field") == field) {
      return true;
    }
  }
  return false;
}

// The codes of a findings array, sorted and joined with spaces.
std::string sorted_codes(const json& findings)
{
  std::vector<std::string> codes;
  for (const json& finding : findings) {
    codes.push_back(finding.at("code").get<std::string>());
  }
  std::sort(codes.begin(), codes.end());
  std::string out;
  for (const std::string& code : codes) {
    out += (out.empty() ? "" : " ") + code;
  }
  return out;
}

// The same for a CSV cell of codes joined with spaces.
std::string sorted_codes(const std::string& cell)
{
  json findings = json::array();
  std::istringstream in(cell);
  for (std::string code; in >> code;) {
    findings.push_back({{"code", code}});
  }
  return sorted_codes(findings);
}

// Rows of a CSV file as maps column -> cell (the header is checked by the caller).
std::vector<std::map<std::string, std::string>> csv_records(const std::string& text)
{
  CsvRows rows;
  REQUIRE(parse_csv_strict(text, rows));
  REQUIRE_FALSE(rows.empty());
  std::vector<std::map<std::string, std::string>> out;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    REQUIRE(rows[i].size() == rows[0].size());
    std::map<std::string, std::string> record;
    for (std::size_t c = 0; c < rows[0].size(); ++c) {
      record[rows[0][c]] = rows[i][c];
    }
    out.push_back(std::move(record));
  }
  return out;
}

} // namespace

TEST_SUITE("integration.diff_export")
{
  TEST_CASE("diff: two scans of a fleet that changed between them")
  {
    const LoopbackBlock net;
    TempDir dir;
    TempDir stable_dir;
    // Stable devices, up through both scans: .1 unchanged; .2 moved to .22 with its certificate
    // (the first scan does not reach .22, the second not .2).
    json stable;
    stable["key_pool"] = 1;
    stable["cas"] = diff_cas();
    stable["devices"] = json::array({
        device(net.address("0.1"), "000B82000001", gs_new()),
        device(net.address("0.2"), "000B82000002", gs_new()),
        device(net.address("0.22"), "000B82000002", json{{"same_as", net.address("0.2:") + k_port}}),
    });
    FleetSimulator stable_sim(FLEET_SIM_BINARY, stable_dir, stable);

    json sha1 = cert("/CN={MAC}", "rsa:2048", "sha1", "gs-rsa");
    json expired = gs_new();
    expired["valid_from_days"] = -400;
    expired["valid_days"] = 365;
    json before;
    before["key_pool"] = 1;
    before["cas"] = diff_cas();
    before["devices"] = json::array({
        device(net.address("0.3"), "000B82000003", gs_new()), // rotated
        device(net.address("0.4"), "000B82000004", gs_new()), // removed
        device(net.address("0.6"), "000B82000006", gs_new()), // downgraded to SHA1
        device(net.address("0.7"), "000B82000007", gs_new()), // expired
        device(net.address("0.8"), "000B82000008", gs_old()), // upgraded to ECDSA+SHA384
        device(net.address("0.9"), "000B82000009", gs_old()), // legacy RSA+SHA256 downgraded to RSA+SHA1
        device(net.address("0.10"), "000B82000010", gs_announcing("Grandstream GXP2170 1.0.11.23")), // firmware update
    });
    json after;
    after["key_pool"] = 1;
    after["cas"] = diff_cas();
    after["devices"] = json::array({
        device(net.address("0.3"), "000B82000003", gs_new()),
        device(net.address("0.5"), "000B82000005", gs_new()), // added
        device(net.address("0.6"), "000B82000006", sha1),
        device(net.address("0.7"), "000B82000007", expired),
        device(net.address("0.8"), "000B82000008", gs_new()),
        device(net.address("0.9"), "000B82000009", sha1),
        device(net.address("0.10"), "000B82000010", gs_announcing("Grandstream GXP2170 1.0.11.41")),
    });
    // Every port is asked who it is (SIP OPTIONS); only .10 answers.
    const std::vector<std::string> scan = {"scan",         net.address("0.1-30"), "--ports", k_port, "--timeout", "3",
                                           "--identify",   "sip",                 "--sip-ports", k_port, "-q"};
    {
      TempDir before_dir;
      FleetSimulator sim(FLEET_SIM_BINARY, before_dir, before);
      auto arguments = scan;
      arguments.insert(arguments.end(), {"--exclude", net.address("0.22"), "--json", dir.file("old.json")});
      const auto result = run_fleetcert(arguments);
      INFO("stderr: " << result.err);
      REQUIRE(result.status == 0);
    } // the "before" devices stop here
    {
      TempDir after_dir;
      FleetSimulator sim(FLEET_SIM_BINARY, after_dir, after);
      auto arguments = scan;
      arguments.insert(arguments.end(), {"--exclude", net.address("0.2"), "--json", dir.file("new.json"), "--jsonl",
                                         dir.file("new.jsonl")});
      const auto result = run_fleetcert(arguments);
      INFO("stderr: " << result.err);
      REQUIRE(result.status == 0);
    }

    // A scan compared with itself: nothing changed, exit 0.
    const auto same = run_fleetcert({"diff", dir.file("old.json"), dir.file("old.json")});
    INFO("diff stderr: " << same.err);
    CHECK(same.status == 0);
    CHECK(same.out.find("0 worse, 0 better, 0 audit settings changed, 0 rotated, 0 moved, 0 appeared, 0 vanished, "
                        "0 changed, 9 unchanged") != std::string::npos);
    CHECK(same.err.find("audit settings") == std::string::npos); // the same settings: no warning

    const auto result = run_fleetcert({"diff", dir.file("old.json"), dir.file("new.json"), "--json", dir.file("diff.json")});
    INFO("diff stdout: " << result.out << "\nstderr: " << result.err);
    CHECK(result.status == 1);
    const json diff = json::parse(read_file(dir.file("diff.json")));
    CHECK(diff.at("schema") == "fleetcert-diff/1");
    CHECK(diff.at("old").at("path") == dir.file("old.json"));
    CHECK_FALSE(diff.at("new").at("started_at").get<std::string>().empty());
    CHECK(diff.at("worse") == true);
    const json& totals = diff.at("totals");
    CHECK(totals.at("worse") == 3);
    CHECK(totals.at("better") == 1);
    CHECK(totals.at("audit-settings-changed") == 0);
    CHECK(diff.at("audit_settings").at("compared") == true);
    CHECK(diff.at("audit_settings").at("differ") == false);
    CHECK(diff.at("warnings").empty());
    CHECK(totals.at("rotated") == 2);
    CHECK(totals.at("moved") == 1);
    CHECK(totals.at("appeared") == 1);
    CHECK(totals.at("vanished") == 1);
    CHECK(totals.at("changed") == 0);
    CHECK(totals.at("unchanged") == 1);
    auto changes = changes_by_ip(diff);
    REQUIRE(changes.size() == 9);
    // The firmware .10 announced changed (its certificate too: each simulator makes its own):
    // "changed", besides rotated, with the port's identity before and after.
    const json& updated = changes[net.address("0.10")];
    CHECK(updated.at("kind") == "rotated");
    CHECK(updated.at("also") == json::array({"changed"}));
    CHECK(has_reason(updated, "changed", "announced_firmware"));
    CHECK(updated.at("before").at("ports").at(0).at("identity").at("firmware") == "1.0.11.23");
    CHECK(updated.at("after").at("ports").at(0).at("identity").at("firmware") == "1.0.11.41");
    CHECK(diff.at("identity").at("compared") == 1);
    CHECK(diff.at("identity").at("not_compared") == 0);
    CHECK(result.out.find("changed: port " + std::string(k_port) +
                          ": announced firmware 1.0.11.23 -> 1.0.11.41, newer (sip-user-agent)") != std::string::npos);
    CHECK(changes[net.address("0.3")].at("kind") == "rotated");
    CHECK(changes[net.address("0.22")].at("kind") == "moved");
    CHECK(changes[net.address("0.22")].at("old_ip") == net.address("0.2"));
    CHECK(changes[net.address("0.22")].at("mac") == "000B82000002");
    CHECK(changes[net.address("0.22")].at("also").empty()); // the same certificate
    CHECK(changes[net.address("0.4")].at("kind") == "vanished");
    CHECK(changes[net.address("0.4")].at("after").at("ports").at(0).at("status") == "refused");
    CHECK(changes[net.address("0.5")].at("kind") == "appeared");
    CHECK(changes[net.address("0.6")].at("kind") == "worse");
    CHECK(has_reason(changes[net.address("0.6")], "worse", "signature_verdict"));
    CHECK(changes[net.address("0.6")].at("after").at("ports").at(0).at("signature_label") == "RSA+SHA1");
    CHECK(changes[net.address("0.7")].at("kind") == "worse");
    CHECK(has_reason(changes[net.address("0.7")], "worse", "validity"));
    CHECK(changes[net.address("0.8")].at("kind") == "better");
    CHECK(has_reason(changes[net.address("0.8")], "better", "finding")); // legacy-generation resolved
    CHECK(changes[net.address("0.8")].at("also") == json::array({"rotated"}));
    // RSA+SHA256 (legacy generation) to RSA+SHA1: worse, and the legacy generation it left is not "better".
    const json& downgraded = changes[net.address("0.9")];
    CHECK(downgraded.at("kind") == "worse");
    CHECK(downgraded.at("also") == json::array({"rotated", "changed"}));
    for (const json& reason : downgraded.at("reasons")) {
      CHECK(reason.at("effect") != "better");
    }
    CHECK(has_reason(downgraded, "worse", "signature_verdict"));
    CHECK(has_reason(downgraded, "changed", "finding")); // legacy-generation resolved
    CHECK(result.out.find("worse: port " + std::string(k_port) + ": signature RSA+SHA256 -> RSA+SHA1 (rejected") !=
          std::string::npos);
    CHECK(result.out.find("changed: resolved legacy-generation (medium)") != std::string::npos);
    CHECK(result.out.find("better: resolved legacy-generation") != std::string::npos); // .8 only
    // The text: one block per change, worse first.
    CHECK(result.out.find("WORSE    " + net.address("0.6")) != std::string::npos);
    CHECK(result.out.find("WORSE") < result.out.find("BETTER"));
    CHECK(result.out.find("MOVED    " + net.address("0.22")) != std::string::npos);

    // The JSONL report of the same scan reads the same; --ignore and --json - work on stdout.
    const auto jsonl = run_fleetcert({"diff", dir.file("old.json"), dir.file("new.jsonl"), "--json", "-", "--ignore",
                                  "sha1-rejected,expired"});
    CHECK(jsonl.status == 1); // the verdict and the validity still got worse
    const json from_jsonl = json::parse(jsonl.out);
    CHECK(from_jsonl.at("totals") == totals);
    // A JSONL report records no audit settings: the diff says they cannot be compared.
    CHECK(from_jsonl.at("audit_settings").at("compared") == false);
    REQUIRE(from_jsonl.at("warnings").size() == 1);
    CHECK(from_jsonl.at("warnings").at(0).get<std::string>().find("cannot be compared: the new report") !=
          std::string::npos);
    CHECK(jsonl.err.find("fleetcert: warning: the audit settings (vendor and trust bundles, inventory, profiles) "
                         "cannot be compared") != std::string::npos);
    CHECK(from_jsonl.at("new").at("format") == "jsonl");
    CHECK(from_jsonl.at("ignored") == json::array({"expired", "sha1-rejected"}));

    // The old scan as --identify none writes it (no record has an identity): no firmware change,
    // a warning that the identity was not compared there.
    json unidentified = json::parse(read_file(dir.file("old.json")));
    for (json& record : unidentified.at("records")) {
      record.erase("identity");
    }
    write_file(dir.file("old-unidentified.json"), unidentified.dump());
    const auto without = run_fleetcert({"diff", dir.file("old-unidentified.json"), dir.file("new.json"), "--json", "-"});
    const json without_identity = json::parse(without.out);
    CHECK(without_identity.at("totals").at("changed") == 0);
    CHECK(changes_by_ip(without_identity)[net.address("0.10")].at("also").empty()); // rotated only
    CHECK(without_identity.at("identity").at("not_compared") == 1);
    REQUIRE(without_identity.at("warnings").size() == 1);
    CHECK(without_identity.at("warnings").at(0).get<std::string>().find(
              "the old report '" + dir.file("old-unidentified.json") + "' has 1 port without an identity exchange") !=
          std::string::npos);

    // Bad input: exit 2, the file and line named.
    std::string broken = read_file(dir.file("new.jsonl"));
    broken.insert(broken.find('\n') + 1, "{\"target\": 7}\n");
    write_file(dir.file("broken.jsonl"), broken);
    const auto bad = run_fleetcert({"diff", dir.file("old.json"), dir.file("broken.jsonl")});
    CHECK(bad.status == 2);
    CHECK(bad.err.find(dir.file("broken.jsonl") + ":2:") != std::string::npos);
    const auto missing = run_fleetcert({"diff", dir.file("old.json"), dir.file("nothing.json")});
    CHECK(missing.status == 2);
    CHECK(missing.err.find("nothing.json") != std::string::npos);
    // --ignore takes finding codes only, each of a comma-separated list checked.
    const auto unknown = run_fleetcert({"diff", dir.file("old.json"), dir.file("new.json"), "--ignore", "expired,no-such-code"});
    CHECK(unknown.status == 2);
    CHECK(unknown.out.empty());
    CHECK(unknown.err.rfind("fleetcert: diff: --ignore: no-such-code not in {", 0) == 0);
    CHECK(unknown.err.find("sha1-rejected") != std::string::npos); // the codes are listed
    CHECK(run_fleetcert({"diff", dir.file("old.json")}).status == 2);
  }

  TEST_CASE("diff: two scans of an unchanged fleet with different --vendor-ca bundles")
  {
    const LoopbackBlock net;
    TempDir dir;
    json fleet;
    fleet["key_pool"] = 1;
    fleet["cas"] = diff_cas();
    fleet["cas"].push_back(ca("other", "/O=Example Other/CN=Other Device CA", "ec:P-256", "sha256"));
    fleet["devices"] = json::array({
        device(net.address("0.1"), "000B82000001", gs_new()),
        device(net.address("0.2"), "000B82000002", gs_new()),
        device(net.address("0.3"), "000B82000003", cert("/CN={MAC}", "ec:P-256", "sha256", "other")),
    });
    FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet);
    // The right bundle (the Grandstream CAs the devices chain to), and a wrong one (another CA).
    write_file(dir.file("grandstream.pem"), sim.ca_pem("gs-ecc") + sim.ca_pem("gs-rsa"));
    write_file(dir.file("wrong.pem"), sim.ca_pem("other"));
    write_file(dir.file("inventory.csv"), net.expand("mac,ip,site\n000B82000001,{net}.0.1,HQ\n"));
    const std::vector<std::string> scan = {"scan", net.address("0.1-3"), "--ports", k_port, "--timeout", "3", "-q",
                                           "--inventory", dir.file("inventory.csv")};
    for (const auto& [bundle, report] : {std::pair{"grandstream.pem", "right.json"}, {"wrong.pem", "wrong.json"}}) {
      auto arguments = scan;
      arguments.insert(arguments.end(), {"--vendor-ca", "grandstream=" + dir.file(bundle), "--json", dir.file(report),
                                         "--jsonl", dir.file(std::string(report) + "l")});
      const auto result = run_fleetcert(arguments);
      INFO("scan stderr: " << result.err);
      REQUIRE(result.status == 0);
    }

    // Each report records its audit settings: every file by content.
    const json right = json::parse(read_file(dir.file("right.json")));
    const json& settings = right.at("scan").at("audit_settings");
    CHECK(settings.at("vendor_ca") ==
          json::array({{{"vendor", "Grandstream"},
                        {"file", dir.file("grandstream.pem")},
                        {"sha256", fleetcert::sha256_hex_of(read_file(dir.file("grandstream.pem")))}}}));
    CHECK(settings.at("trust") == json::array());
    CHECK(settings.at("inventory") ==
          json::array({{{"file", dir.file("inventory.csv")},
                        {"sha256", fleetcert::sha256_hex_of(read_file(dir.file("inventory.csv")))}}}));
    CHECK(settings.at("dhcp_leases") == json::array());
    CHECK(settings.at("profiles").at("builtin_sha256").get<std::string>().size() == 64);
    CHECK(settings.at("profiles").at("files") == json::array());
    const json wrong = json::parse(read_file(dir.file("wrong.json")));
    CHECK(wrong.at("scan").at("audit_settings").at("profiles") == settings.at("profiles"));
    CHECK(wrong.at("scan").at("audit_settings").at("vendor_ca").at(0).at("sha256") ==
          fleetcert::sha256_hex_of(read_file(dir.file("wrong.pem"))));
    // The scan really decided otherwise: .1 is factory by its chain with the right bundle only.
    auto provenance_of = [&](const json& document, const std::string& ip) {
      for (const json& record : document.at("records")) {
        if (record.at("target").at("ip") == ip) {
          return record.at("assessment").at("provenance");
        }
      }
      return json();
    };
    CHECK(provenance_of(right, net.address("0.1")).at("basis") == "chain");
    CHECK(provenance_of(wrong, net.address("0.1")).at("basis") != "chain");

    // The diff warns, and calls the provenance changes audit-settings-changed, not worse (exit 0).
    const auto result =
        run_fleetcert({"diff", dir.file("right.json"), dir.file("wrong.json"), "--json", dir.file("diff.json")});
    INFO("diff stdout: " << result.out << "\nstderr: " << result.err);
    CHECK(result.status == 0);
    const json diff = json::parse(read_file(dir.file("diff.json")));
    CHECK(diff.at("worse") == false);
    CHECK(diff.at("audit_settings").at("compared") == true);
    CHECK(diff.at("audit_settings").at("differ") == true);
    REQUIRE(diff.at("audit_settings").at("differences").size() == 1);
    const std::string difference = diff.at("audit_settings").at("differences").at(0);
    CHECK(difference.rfind("--vendor-ca 'Grandstream': old '" + dir.file("grandstream.pem") + "'", 0) == 0);
    CHECK(difference.find("new '" + dir.file("wrong.pem") + "'") != std::string::npos);
    REQUIRE(diff.at("warnings").size() == 1);
    CHECK(diff.at("warnings").at(0) == "the audit settings differ: " + difference);
    CHECK(diff.at("totals").at("worse") == 0);
    CHECK(diff.at("totals").at("better") == 0);
    auto changes = changes_by_ip(diff);
    // .1 and .2 lost their chain verification, .3 (another CA's certificate on a Grandstream MAC)
    // gained it from the wrong bundle: the same certificates, so all three follow from the settings.
    for (const std::string& ip : {net.address("0.1"), net.address("0.2"), net.address("0.3")}) {
      CAPTURE(ip);
      REQUIRE(changes.count(ip) == 1);
      CHECK(changes[ip].at("kind") == "audit-settings-changed");
      CHECK(changes[ip].at("worse") == false);
      CHECK(has_reason(changes[ip], "audit-settings-changed", "provenance"));
    }
    CHECK(diff.at("totals").at("audit-settings-changed") == 3);
    CHECK(result.err.find("fleetcert: warning: the audit settings differ: --vendor-ca 'Grandstream'") !=
          std::string::npos);
    CHECK(result.out.find("warning: the audit settings differ: --vendor-ca 'Grandstream'") != std::string::npos);
    CHECK(result.out.find("AUDIT SETTINGS CHANGED " + net.address("0.1")) != std::string::npos);
    CHECK(result.out.find("WORSE") == std::string::npos);

    // Without the settings (a JSONL report on one side) the same change is ranked, and the diff says why.
    const auto unknown = run_fleetcert({"diff", dir.file("right.json"), dir.file("wrong.jsonl"), "--json", "-"});
    INFO("diff (JSONL) stderr: " << unknown.err);
    const json unknown_diff = json::parse(unknown.out);
    CHECK(unknown_diff.at("audit_settings").at("compared") == false);
    CHECK(unknown_diff.at("totals").at("audit-settings-changed") == 0);
    CHECK(unknown.status == 1);
    CHECK(unknown.err.find("cannot be compared") != std::string::npos);
  }

  TEST_CASE("export grandstream-update: 1234 legacy devices in portal batches")
  {
    const LoopbackBlock net;
    TempDir dir;
    json fleet;
    fleet["key_pool"] = 1;
    fleet["cas"] = json::array({ca("gs-rsa", k_gs_rsa_ca, "rsa:2048", "sha256")});
    fleet["groups"] = json::array({json{{"first_ip", net.address("0.1")},
                                        {"count", 1233},
                                        {"mac_prefix", "000B82"},
                                        {"first_mac_suffix", 1},
                                        {"ports", {{k_port, gs_old()}}}}});
    json no_mac = gs_old();
    no_mac["subject"] = "/CN=gs-phone";
    fleet["devices"] = json::array({
        device(net.address("5.1"), "", no_mac),             // no MAC anywhere: skipped
        device(net.address("5.2"), "", no_mac),             // likewise
        device(net.address("5.3"), "EC74D7000003", no_mac), // MAC from the inventory
        device(net.address("5.4"), "", json{{"same_as", net.address("0.1:") + k_port}}), // a copy: duplicate MAC
    });
    FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet);
    write_file(dir.file("inventory.csv"), net.expand("mac,ip,model,site\nEC74D7000003,{net}.5.3,GRP2614,HQ\n"));
    const auto scan = run_fleetcert({"scan", net.expand("{net}.0.1-{net}.5.4"), "--inventory", dir.file("inventory.csv"),
                                     "--ports", k_port, "--timeout", "5", "--jsonl", dir.file("scan.jsonl"), "-q"});
    INFO("scan stderr: " << scan.err);
    REQUIRE(scan.status == 0);

    const std::string out = dir.file("batches");
    const auto result = run_fleetcert({"export", "grandstream-update", dir.file("scan.jsonl"), "--out", out});
    INFO("export stdout: " << result.out << "\nstderr: " << result.err);
    REQUIRE(result.status == 0);
    const auto first = lines_of(read_file(out + "/grandstream-update-001.txt"));
    const auto second = lines_of(read_file(out + "/grandstream-update-002.txt"));
    CHECK(first.size() == 1000);
    CHECK(second.size() == 234);
    CHECK_FALSE(std::filesystem::exists(out + "/grandstream-update-003.txt"));
    std::set<std::string> macs;
    std::map<std::string, std::pair<std::string, std::size_t>> where; // MAC -> file, line
    for (const auto& [name, lines] : {std::pair{"grandstream-update-001.txt", first}, {"grandstream-update-002.txt", second}}) {
      for (std::size_t i = 0; i < lines.size(); ++i) {
        CHECK(lines[i].size() == 12);
        CHECK(lines[i].find_first_not_of("0123456789ABCDEF") == std::string::npos);
        CHECK(macs.insert(lines[i]).second); // every MAC exactly once
        where[lines[i]] = {name, i + 1};
      }
    }
    CHECK(macs.size() == 1234);
    CHECK(macs.count("000B82000001") == 1);
    CHECK(macs.count("000B820004D1") == 1); // suffix 1233
    CHECK(macs.count("EC74D7000003") == 1);
    CHECK(std::is_sorted(first.begin(), first.end()));

    // The index: every device, its file and line; the two without a MAC skipped; the copy a duplicate.
    const auto index = csv_records(read_file(out + "/grandstream-update-index.csv"));
    REQUIRE(index.size() == 1237);
    std::size_t batched = 0;
    std::set<std::string> skipped, duplicates;
    for (const auto& row : index) {
      if (row.at("status") == "batched") {
        ++batched;
        REQUIRE(where.count(row.at("mac")) == 1);
        CHECK(where[row.at("mac")].first == row.at("file"));
        CHECK(std::to_string(where[row.at("mac")].second) == row.at("line"));
      } else if (row.at("status") == "skipped") {
        skipped.insert(row.at("ip"));
        CHECK(row.at("file").empty());
        CHECK_FALSE(row.at("note").empty());
      } else {
        CHECK(row.at("status") == "duplicate");
        duplicates.insert(row.at("ip"));
        CHECK(row.at("mac") == "000B82000001");
        CHECK(row.at("file") == "grandstream-update-001.txt");
        CHECK(row.at("line") == "1");
      }
      if (row.at("ip") == net.address("5.3")) {
        CHECK(row.at("model") == "GRP2614");
        CHECK(row.at("site") == "HQ");
      }
    }
    CHECK(batched == 1234);
    CHECK(skipped == std::set<std::string>{net.address("5.1"), net.address("5.2")});
    CHECK(duplicates.size() == 1);
    CHECK(result.err.find("skipped " + net.address("5.1")) != std::string::npos);

    // An existing export is not overwritten without --force; --force replaces it whole.
    const auto again = run_fleetcert({"export", "grandstream-update", dir.file("scan.jsonl"), "--out", out, "--batch-size", "500"});
    CHECK(again.status == 2);
    CHECK(again.err.find("--force") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(out + "/grandstream-update-003.txt"));
    const auto forced = run_fleetcert(
        {"export", "grandstream-update", dir.file("scan.jsonl"), "--out", out, "--batch-size", "500", "--force", "-q"});
    CHECK(forced.status == 0);
    CHECK(forced.out.empty());
    CHECK(lines_of(read_file(out + "/grandstream-update-003.txt")).size() == 234);
    const auto back = run_fleetcert({"export", "grandstream-update", dir.file("scan.jsonl"), "--out", out, "--force"});
    CHECK(back.status == 0);
    CHECK_FALSE(std::filesystem::exists(out + "/grandstream-update-003.txt")); // the stale batch is gone
    for (const char* size : {"0", "1001"}) {
      const auto too = run_fleetcert({"export", "grandstream-update", dir.file("scan.jsonl"), "--out", dir.file("b2"),
                                      "--batch-size", size});
      CHECK(too.status == 2);
      CHECK(too.err.rfind("fleetcert: export grandstream-update: --batch-size: Value " + std::string(size) + " not in range 1 to 1000", 0) == 0);
      CHECK_FALSE(std::filesystem::exists(dir.file("b2")));
    }
    CHECK(run_fleetcert({"export", "grandstream-update", dir.file("scan.jsonl")}).status == 2); // --out is required
  }

  TEST_CASE("export grandstream-update: every factory generation the portal fixes, the device's own MAC, the reason")
  {
    const LoopbackBlock net;
    TempDir dir;
    json fleet;
    fleet["key_pool"] = 1;
    fleet["cas"] = json::array({ca("gs-rsa", k_gs_rsa_ca, "rsa:2048", "sha256")});
    json sha1 = gs_old();
    sha1["hash"] = "sha1";
    json md5 = gs_old();
    md5["hash"] = "md5";
    fleet["devices"] = json::array({
        device(net.address("0.1"), "000B82000001", gs_old()), // legacy-generation, MAC from the CN only
        device(net.address("0.2"), "000B82000002", sha1),     // a SHA1 factory certificate
        device(net.address("0.3"), "000B82000003", md5),      // an MD5 factory certificate
        device(net.address("0.4"), "000B82000004", cert("/CN={MAC}", "rsa:2048", "sha256", "self")), // self-signed
        device(net.address("0.5"), "000B82000005", json{{"same_as", net.address("0.1:") + k_port}}), // copied from .1
        device(net.address("0.6"), "0004F2000006", gs_old()), // a Polycom phone with a Grandstream certificate
    });
    FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet);
    write_file(dir.file("grandstream.pem"), sim.ca_pem("gs-rsa"));
    // The DHCP server knows .5 and .6 by their own MACs (.5 carries .1's certificate).
    const std::string later = std::to_string(std::time(nullptr) + 86400);
    write_file(dir.file("dnsmasq.leases"), net.expand(later + " 00:0b:82:00:00:05 {net}.0.5 gs-5 *\n" + later +
                                                      " 00:04:f2:00:00:06 {net}.0.6 vvx-6 *\n"));
    const auto scan = run_fleetcert({"scan", net.expand("{net}.0.1-{net}.0.6"), "--dhcp-leases", dir.file("dnsmasq.leases"),
                                     "--vendor-ca", "Grandstream=" + dir.file("grandstream.pem"), "--ports", k_port,
                                     "--timeout", "5", "--json", dir.file("scan.json"), "-q"});
    INFO("scan stderr: " << scan.err);
    REQUIRE(scan.status == 0);
    const auto records = records_by_ip(json::parse(read_file(dir.file("scan.json"))));
    REQUIRE(records.size() == 6);
    auto codes = [&](const std::string& rest) {
      return finding_codes(records.at(net.address(rest)).at("assessment").at("findings"));
    };
    CHECK(codes("0.2").count("sha1-rejected") == 1);
    CHECK(codes("0.3").count("weak-signature") == 1);
    CHECK(codes("0.5").count("mac-mismatch") == 1); // the lease's MAC is the device's own
    CHECK(codes("0.6").count("vendor-mismatch") == 1);
    CHECK(codes("0.6").count("legacy-generation") == 0);
    CHECK(records.at(net.address("0.6")).at("assessment").at("vendor").at("name") == "Polycom");

    const std::string out = dir.file("batches");
    const auto result = run_fleetcert({"export", "grandstream-update", dir.file("scan.json"), "--out", out});
    INFO("export stdout: " << result.out << "\nstderr: " << result.err);
    REQUIRE(result.status == 0);
    CHECK(lines_of(read_file(out + "/grandstream-update-001.txt"))
          == std::vector<std::string>{"000B82000001", "000B82000002", "000B82000003", "000B82000005"});
    std::map<std::string, std::map<std::string, std::string>> by_ip;
    for (auto& row : csv_records(read_file(out + "/grandstream-update-index.csv"))) {
      by_ip[row.at("ip")] = row;
    }
    REQUIRE(by_ip.size() == 4); // not the self-signed .4, not the Polycom phone .6
    CHECK(by_ip[net.address("0.1")].at("reason") == "legacy-generation");
    CHECK(by_ip[net.address("0.1")].at("mac_source") == "certificate");
    CHECK(by_ip[net.address("0.2")].at("reason") == "sha1-rejected");
    CHECK(by_ip[net.address("0.3")].at("reason") == "weak-signature");
    const auto& copied = by_ip[net.address("0.5")];
    CHECK(copied.at("mac") == "000B82000005");
    CHECK(copied.at("mac_source") == "inventory");
    CHECK(copied.at("status") == "batched");
    CHECK(copied.at("reason") == "legacy-generation");
    CHECK(copied.at("note").find("000B82000001") != std::string::npos);
  }

  TEST_CASE("export generic-cn and devices --where")
  {
    const LoopbackBlock net;
    TempDir dir;
    json fleet;
    fleet["key_pool"] = 1;
    fleet["cas"] = json::array({ca("gigaset", k_gigaset_ca, "rsa:2048", "sha256"), ca("gs-rsa", k_gs_rsa_ca, "rsa:2048", "sha256")});
    fleet["devices"] = json::array({
        device(net.address("0.1"), "7C2F80000001", cert("/CN=Einstein2", "rsa:2048", "sha1", "gigaset")),
        device(net.address("0.2"), "7C2F80000002", cert("/CN=Einstein2", "rsa:2048", "sha256", "gigaset")),
        device(net.address("0.3"), "7C2F80000003", cert("/CN={MAC}", "ec:P-256", "sha256", "gigaset")),
        device(net.address("0.4"), "000B82000004", gs_old()),
        device(net.address("0.5"), "805EC0000005", cert("/CN={MAC}", "ec:P-256", "sha256", "self")),
    });
    FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet);
    write_file(dir.file("inventory.csv"), net.expand("mac,ip,model,site\n"
                                                     "7C2F80000001,{net}.0.1,N670,=Branch\n"
                                                     "7C2F80000002,{net}.0.2,N870,HQ\n"
                                                     "7C2F80000003,{net}.0.3,N670,HQ\n"
                                                     "000B82000004,{net}.0.4,GRP2614,HQ\n"
                                                     "805EC0000005,{net}.0.5,T54W,=Branch\n"));
    const auto scan = run_fleetcert({"scan", "--inventory", dir.file("inventory.csv"), "--ports", k_port, "--timeout", "3",
                                 "--json", dir.file("scan.json"), "-q"});
    INFO("scan stderr: " << scan.err);
    REQUIRE(scan.status == 0);

    const auto generic = run_fleetcert({"export", "generic-cn", dir.file("scan.json"), "--out", dir.file("generic.csv")});
    INFO("export stderr: " << generic.err);
    REQUIRE(generic.status == 0);
    const auto rows = csv_records(read_file(dir.file("generic.csv")));
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].at("ip") == net.address("0.1")); // SHA1 too: the worse one first
    CHECK(rows[0].at("site") == "'=Branch");  // formula neutralised
    CHECK(rows[0].at("cn") == "Einstein2");
    CHECK(rows[0].at("signature_labels") == "RSA+SHA1");
    CHECK(rows[0].at("findings").find("generic-cn") != std::string::npos);
    CHECK(rows[0].at("vendor") == "Gigaset");
    CHECK(rows[1].at("ip") == net.address("0.2"));
    CHECK(rows[1].at("model") == "N870");

    // Same key: any value; different keys: all; to stdout.
    const auto both = run_fleetcert({"export", "devices", dir.file("scan.json"), "--where", "vendor=gigaset", "--where",
                                 "vendor=Yealink", "--where", "site==Branch"});
    REQUIRE(both.status == 0);
    const auto selected = csv_records(both.out);
    REQUIRE(selected.size() == 2);
    std::set<std::string> ips{selected[0].at("ip"), selected[1].at("ip")};
    CHECK(ips == std::set<std::string>{net.address("0.1"), net.address("0.5")});
    // Gigaset's RSA+SHA256 is a legacy generation too (.2, and .3 whose issuer signs with RSA+SHA256).
    const auto any_legacy = run_fleetcert({"export", "devices", dir.file("scan.json"), "--where", "finding=legacy-generation"});
    REQUIRE(any_legacy.status == 0);
    CHECK(csv_records(any_legacy.out).size() == 3);
    const auto legacy = run_fleetcert({"export", "devices", dir.file("scan.json"), "--where", "finding=legacy-generation",
                                       "--where", "vendor=grandstream"});
    REQUIRE(legacy.status == 0);
    const auto legacy_rows = csv_records(legacy.out);
    REQUIRE(legacy_rows.size() == 1);
    CHECK(legacy_rows[0].at("mac") == "000B82000004");
    const auto all = run_fleetcert({"export", "devices", dir.file("scan.json"), "--out", dir.file("all.csv")});
    REQUIRE(all.status == 0);
    CHECK(csv_records(read_file(dir.file("all.csv"))).size() == 5);

    const auto bad = run_fleetcert({"export", "devices", dir.file("scan.json"), "--where", "colour=red"});
    CHECK(bad.status == 2);
    CHECK(bad.err.find("colour=red") != std::string::npos);
    CHECK(run_fleetcert({"export", "devices", dir.file("missing.json")}).status == 2);
    CHECK(run_fleetcert({"export"}).status == 2);
  }
  TEST_CASE("export devices lists the devices of the JSON document's devices section, from JSON and JSONL alike")
  {
    const LoopbackBlock net;
    TempDir dir;
    json fleet;
    fleet["key_pool"] = 1; // every RSA certificate has the same key: shared-key
    fleet["cas"] = json::array({ca("gs-rsa", k_gs_rsa_ca, "rsa:2048", "sha256")});
    json copied = {{"same_as", net.address("0.1") + ":" + k_port}};
    fleet["devices"] = json::array({
        device(net.address("0.1"), "000B82000001", gs_old()),
        device(net.address("0.2"), "000B82000002", copied), // the certificate of .1: shared-certificate
        device(net.address("0.3"), "805EC0000003", cert("/CN={MAC}", "rsa:2048", "sha256", "self")),
        device(net.address("0.6"), "", cert("/CN=lab", "rsa:2048", "sha256", "self")),
        // .4 (in the inventory) and .5 (not): nothing listens.
    });
    FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet);
    write_file(dir.file("inventory.csv"), net.expand("mac,ip,vendor,model,site\n"
                                                     "000B82000001,{net}.0.1,,GRP2614,HQ\n"
                                                     "000B82000002,{net}.0.2,,GRP2614,Branch\n"
                                                     "805EC0000004,{net}.0.4,Yealink,T54W,HQ\n"
                                                     "805EC0000006,{net}.0.6,Yealink,T46U,Lab\n"));
    const auto scan = run_fleetcert({"scan", net.address("0.1-6"), "--inventory", dir.file("inventory.csv"), "--ports",
                                     k_port, "--timeout", "3", "--json", dir.file("scan.json"), "--jsonl",
                                     dir.file("scan.jsonl"), "-q"});
    INFO("scan stderr: " << scan.err);
    REQUIRE(scan.status == 0);
    const json document = json::parse(read_file(dir.file("scan.json")));
    const json& devices = document.at("devices");

    // The fleet this test is about: an inventory device that never answered, a copied certificate,
    // a shared key, a device not in the inventory; the silent .5 is no device.
    std::map<std::string, std::string> codes_by_ip;
    for (const json& d : devices) {
      codes_by_ip[d.at("ip").get<std::string>()] = sorted_codes(d.at("findings"));
    }
    REQUIRE(codes_by_ip.size() == 5);
    CHECK(codes_by_ip.count(net.address("0.5")) == 0);
    CHECK(codes_by_ip.at(net.address("0.4")) == "not-answering");
    CHECK(codes_by_ip.at(net.address("0.1")).find("shared-certificate") != std::string::npos);
    CHECK(codes_by_ip.at(net.address("0.2")).find("shared-certificate") != std::string::npos);
    CHECK(codes_by_ip.at(net.address("0.3")).find("not-in-inventory") != std::string::npos);
    CHECK(codes_by_ip.at(net.address("0.6")).find("shared-key") != std::string::npos);

    std::string from_json;
    for (const std::string report : {"scan.json", "scan.jsonl"}) {
      CAPTURE(report);
      const auto all = run_fleetcert({"export", "devices", dir.file(report), "--out", dir.file(report + ".csv")});
      INFO("export stderr: " << all.err);
      REQUIRE(all.status == 0);
      CHECK(all.out.find(report == "scan.json" ? "(devices: the JSON document's devices section)"
                                               : "(devices: recomputed from the JSONL records)")
            != std::string::npos);
      const std::string csv = read_file(dir.file(report + ".csv"));
      const auto rows = csv_records(csv);
      // Device by device, in the document's order: identity and findings.
      REQUIRE(rows.size() == devices.size());
      for (std::size_t i = 0; i < rows.size(); ++i) {
        const json& d = devices[i];
        CAPTURE(i);
        CHECK(rows[i].at("ip") == d.at("ip").get<std::string>());
        CHECK(rows[i].at("mac") == d.value("mac", ""));
        CHECK(rows[i].at("vendor") == (d.contains("vendor") ? d["vendor"].value("name", "") : ""));
        const json inventory = d.value("inventory", json::object());
        CHECK(rows[i].at("model") == inventory.value("model", ""));
        CHECK(rows[i].at("site") == inventory.value("site", ""));
        CHECK(rows[i].at("answered") == (d.at("answered").get<bool>() ? "true" : "false"));
        CHECK(rows[i].at("worst_severity") == d.value("worst_severity", ""));
        CHECK(sorted_codes(rows[i].at("findings")) == sorted_codes(d.at("findings")));
      }
      if (report == "scan.json") {
        from_json = csv;
      } else {
        CHECK(csv == from_json); // JSONL: the same view, recomputed
      }

      // --where finding=CODE and severity=LEVEL select what the document says.
      std::set<std::string> codes;
      for (const json& d : devices) {
        for (const json& f : d.at("findings")) {
          codes.insert(f.at("code").get<std::string>());
        }
      }
      for (const std::string& code : codes) {
        CAPTURE(code);
        std::vector<std::string> expected;
        for (const json& d : devices) {
          const json& findings = d.at("findings");
          if (std::any_of(findings.begin(), findings.end(), [&](const json& f) { return f.at("code") == code; })) {
            expected.push_back(d.at("ip").get<std::string>());
          }
        }
        const auto where = run_fleetcert({"export", "devices", dir.file(report), "--where", "finding=" + code});
        REQUIRE(where.status == 0);
        std::vector<std::string> got;
        for (const auto& row : csv_records(where.out)) {
          got.push_back(row.at("ip"));
        }
        CHECK(got == expected);
      }
      const auto medium = run_fleetcert({"export", "devices", dir.file(report), "--where", "severity=medium"});
      REQUIRE(medium.status == 0);
      std::set<std::string> medium_ips;
      for (const auto& row : csv_records(medium.out)) {
        medium_ips.insert(row.at("ip"));
      }
      CHECK(medium_ips.count(net.address("0.4")) == 1); // not-answering is medium
      CHECK(medium_ips.count(net.address("0.5")) == 0);

      // grandstream-update reads the same device list.
      const auto update = run_fleetcert({"export", "grandstream-update", dir.file(report), "--out",
                                         dir.file(report + "-update"), "-q"});
      INFO("grandstream-update stderr: " << update.err);
      REQUIRE(update.status == 0);
    }
    CHECK(read_file(dir.file("scan.json-update/grandstream-update-index.csv")) ==
          read_file(dir.file("scan.jsonl-update/grandstream-update-index.csv")));
  }
}
