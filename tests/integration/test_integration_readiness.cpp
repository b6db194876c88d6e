// End-to-end readiness before a CA root swap: the real binary against the simulated fleet (on a
// loopback block of each test case's own). Devices chain to the old Grandstream and Gigaset CAs or
// to the new roots; one expires before the swap date, one is SHA1, one sends a SHA1 intermediate, one is Einstein2, one
// has every problem, one is silent. `readiness` runs from a saved report (JSON and JSONL) and
// live, and must give the same verdicts, totals, JSON, CSV and exit statuses.

#include "support/cert_factory.hpp"
#include "support/csv_parse.hpp"
#include "support/fleet_simulator.hpp"
#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/report_json.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace fleetcert::testing;
using nlohmann::json;

namespace {

constexpr const char* k_https = "33443";
constexpr const char* k_sip = "33061";
constexpr const char* k_swap = "2030-06-01"; // after every default validity's start, before the CAs end

json device(const std::string& ip, const std::string& mac, const json& https, const json& sip = nullptr)
{
  json ports = {{k_https, https}};
  if (!sip.is_null()) {
    ports[k_sip] = sip;
  }
  return {{"ip", ip}, {"mac", mac}, {"ports", std::move(ports)}};
}

// The fleet on x.0.1 to x.0.12 of the block (x.0.13 stays empty).
json swap_fleet(const LoopbackBlock& net)
{
  const json rsa2048 = {{"type", "rsa"}, {"bits", 2048}};
  const json p256 = {{"type", "ec"}, {"curve", "P-256"}};
  const json p384 = {{"type", "ec"}, {"curve", "P-384"}};
  json fleet;
  fleet["key_pool"] = 1;
  fleet["cas"] = json::array({
      // Before the swap: the old RSA factory CAs.
      ca("gs-old", "/C=US/ST=Massachusetts/L=Boston/O=Grandstream Networks, Inc./CN=Grandstream Device CA", rsa2048,
         "sha256", "self"),
      ca("gigaset-old", "/C=DE/ST=Germany/L=Bocholt/O=Gigaset Communications GmbH/OU=Certificate Authority/CN=Gigaset.net",
         rsa2048, "sha256", "self"),
      // After: the new ECDSA roots and their issuing CAs (one of them signed with SHA1).
      ca("gs-root", "/O=Grandstream Networks, Inc./CN=Grandstream Root CA", p384, "sha384", "self"),
      ca("gs-ecc", "/C=US/ST=Massachusetts/L=Boston/O=Grandstream Networks, Inc./CN=Grandstream ECC Device CA", p384,
         "sha384", "gs-root"),
      ca("gs-sha1", "/O=Grandstream Networks, Inc./CN=Grandstream Legacy SHA1 CA", p256, "sha1", "gs-root"),
      ca("gigaset-root", "/C=DE/L=Bocholt/O=Gigaset Technologies GmbH/CN=Gigaset Technologies Root CA", p384, "sha384",
         "self"),
      ca("gigaset-new", "/C=DE/L=Bocholt/O=Gigaset Technologies GmbH/CN=Gigaset Technologies Device CA", p256,
         "sha256", "gigaset-root"),
  });

  const json gs_new = cert("/CN={MAC}", p384, "sha384", "gs-ecc");
  const json gs_old = cert("/CN={MAC}", rsa2048, "sha256", "gs-old");
  json gs_expiring = gs_new;
  gs_expiring.erase("valid_from_days");
  gs_expiring.erase("valid_days");
  gs_expiring["not_before"] = "2025-01-01T00:00:00Z";
  gs_expiring["not_after"] = "2030-01-01T00:00:00Z"; // valid today, expired on the swap date
  const json gs_sha1_intermediate = cert("/CN={MAC}", p256, "sha256", "gs-sha1");
  const json gigaset_new = cert("/CN={MAC}", p256, "sha256", "gigaset-new");
  const json gigaset_sha1 = cert("/CN={MAC}", p256, "sha1", "gigaset-new");
  const json einstein = cert("/CN=Einstein2", p256, "sha256", "gigaset-new");
  const json gigaset_old = cert("/CN={MAC}", rsa2048, "sha256", "gigaset-old");
  json everything = cert("/CN=Einstein2", {{"type", "rsa"}, {"bits", 1024}}, "sha1", "gigaset-old");
  everything.erase("valid_from_days");
  everything.erase("valid_days");
  everything["not_before"] = "2025-01-01T00:00:00Z";
  everything["not_after"] = "2029-12-31T00:00:00Z";
  const json tarpit = {{"behaviour", "tarpit"}};
  const json same = {{"same_as", k_https}};

  fleet["devices"] = json::array({
      device(net.address("0.1"), "000B82000001", gs_new, same),
      device(net.address("0.2"), "000B82000002", gs_old, same),
      device(net.address("0.3"), "000B82000003", gs_expiring),
      device(net.address("0.4"), "7C2F80000004", gigaset_sha1, same),
      device(net.address("0.5"), "7C2F80000005", einstein, same),
      device(net.address("0.6"), "805EC0000006", tarpit, tarpit),
      device(net.address("0.7"), "7C2F80000007", gigaset_old, same),
      device(net.address("0.8"), "000B82000008", gs_new, gs_old), // HTTPS is ready, SIP over TLS is not
      device(net.address("0.9"), "000B82000009", gs_sha1_intermediate),
      device(net.address("0.10"), "7C2F8000000A", everything, same),
      device(net.address("0.11"), "7C2F8000000B", gigaset_new, same),
      device(net.address("0.12"), "000B8200000C", gs_new),
      // .13: nothing listens there, and the inventory does not list it.
  });
  return fleet;
}

// The inventory of the fleet, for LoopbackBlock::expand.
const char* k_inventory = "mac,ip,hostname,vendor,model,site\n"
                          "000B82000001,{net}.0.1,gs-1,,GRP2614,HQ\n"
                          "000B82000002,{net}.0.2,gs-2,,GXP2170,HQ\n"
                          "000B82000003,{net}.0.3,gs-3,,GRP2614,Branch\n"
                          "7C2F80000004,{net}.0.4,n670-4,,N670,Branch\n"
                          "7C2F80000005,{net}.0.5,n870-5,,N870,Branch\n"
                          "805EC0000006,{net}.0.6,t54-6,Yealink,T54W,HQ\n"
                          "7C2F80000007,{net}.0.7,n670-7,,N670,Branch\n"
                          "000B82000008,{net}.0.8,gs-8,,GRP2614,HQ\n"
                          "000B82000009,{net}.0.9,gs-9,,GRP2614,HQ\n"
                          "7C2F8000000A,{net}.0.10,n670-10,,N670,Branch\n"
                          "7C2F8000000B,{net}.0.11,n870-11,,N870,Branch\n"
                          "000B8200000C,{net}.0.12,gs-12,,GRP2614,HQ\n";

// What every device must be: status and "port:code" reasons.
struct Expected
{
  std::string status;
  std::set<std::string> reasons;
};

std::map<std::string, Expected> expected(const LoopbackBlock& net)
{
  const std::string h = k_https;
  const std::string s = k_sip;
  return {
      {net.address("0.1"), {"ready", {}}},
      {net.address("0.2"), {"not-ready", {h + ":not-chained", s + ":not-chained"}}},
      {net.address("0.3"), {"not-ready", {h + ":expired"}}},
      {net.address("0.4"), {"not-ready", {h + ":rejected-signature", s + ":rejected-signature"}}},
      {net.address("0.5"), {"not-ready", {h + ":generic-cn", s + ":generic-cn"}}},
      {net.address("0.6"), {"unknown", {"-:no-certificate"}}},
      {net.address("0.7"), {"not-ready", {h + ":not-chained", s + ":not-chained"}}},
      {net.address("0.8"), {"not-ready", {s + ":not-chained"}}},
      {net.address("0.9"), {"not-ready", {h + ":rejected-signature"}}},
      {net.address("0.10"),
       {"not-ready",
        {h + ":not-chained", h + ":expired", h + ":rejected-signature", h + ":weak-key", h + ":generic-cn",
         s + ":not-chained", s + ":expired", s + ":rejected-signature", s + ":weak-key", s + ":generic-cn"}}},
      {net.address("0.11"), {"ready", {}}},
      {net.address("0.12"), {"ready", {}}},
  };
}

std::map<std::string, json> devices_by_ip(const json& outcome)
{
  std::map<std::string, json> out;
  for (const json& d : outcome.at("devices")) {
    out[d.at("ip")] = d;
  }
  return out;
}

std::set<std::string> reason_keys(const json& device)
{
  std::set<std::string> out;
  for (const json& r : device.at("reasons")) {
    out.insert((r.at("port").is_null() ? std::string("-") : std::to_string(r.at("port").get<int>())) + ":"
               + r.at("code").get<std::string>());
  }
  return out;
}

const json& reason(const json& device, const std::string& code)
{
  for (const json& r : device.at("reasons")) {
    if (r.at("code") == code) {
      return r;
    }
  }
  FAIL("no reason " << code);
  static const json none;
  return none;
}

const json& group(const json& outcome, const char* key, const std::string& name)
{
  for (const json& g : outcome.at(key)) {
    if (g.at("name") == name) {
      return g;
    }
  }
  FAIL("no group " << name << " in " << key);
  static const json none;
  return none;
}

bool contains(const std::string& text, const std::string& part)
{
  return text.find(part) != std::string::npos;
}

// Every device's status and reasons, the remediation texts and the totals of one outcome.
void check_outcome(const json& outcome, const LoopbackBlock& net)
{
  CHECK(outcome.at("schema") == "fleetcert-readiness/1");
  CHECK(outcome.at("at") == "2030-06-01T00:00:00Z");
  auto devices = devices_by_ip(outcome);
  const auto wanted = expected(net);
  REQUIRE(devices.size() == wanted.size()); // .13 is left out: nothing answered there
  for (const auto& [ip, want] : wanted) {
    INFO("device " << ip);
    CHECK(devices[ip].at("status") == want.status);
    CHECK(reason_keys(devices[ip]) == want.reasons);
    for (const json& r : devices[ip].at("reasons")) {
      CHECK_FALSE(r.at("message").get<std::string>().empty());
      CHECK_FALSE(r.at("remediation").get<std::string>().empty());
    }
  }

  // What the reasons say, and the vendor's remediation.
  const std::string not_chained = reason(devices[net.address("0.2")], "not-chained").at("message");
  CHECK(contains(not_chained, "does not chain to the new roots"));
  CHECK(contains(not_chained, "Grandstream Device CA")); // what it chains to
  CHECK(contains(reason(devices[net.address("0.2")], "not-chained").at("remediation"), "ECDSA+SHA384"));
  CHECK(contains(reason(devices[net.address("0.3")], "expired").at("message"),
                 "the leaf expires 2030-01-01T00:00:00Z, before 2030-06-01T00:00:00Z"));
  CHECK(contains(reason(devices[net.address("0.4")], "rejected-signature").at("message"), "ECDSA+SHA1"));
  CHECK(contains(reason(devices[net.address("0.4")], "rejected-signature").at("remediation"), "2.57")); // Gigaset's text
  CHECK(contains(reason(devices[net.address("0.5")], "generic-cn").at("remediation"), "CN=Einstein2"));
  CHECK(contains(reason(devices[net.address("0.9")], "rejected-signature").at("message"), "Grandstream Legacy SHA1 CA"));
  CHECK(contains(reason(devices[net.address("0.10")], "weak-key").at("message"), "RSA key of 1024 bits"));
  CHECK(contains(reason(devices[net.address("0.6")], "no-certificate").at("message"), "timeout"));
  CHECK(devices[net.address("0.6")].at("vendor") == "Yealink");
  CHECK(devices[net.address("0.1")].at("ports").at(0).at("verified_chain").size() == 3);
  CHECK(devices[net.address("0.8")].at("ports").at(0).at("status") == "not-ready"); // 33061 sorts first
  CHECK(devices[net.address("0.8")].at("ports").at(1).at("status") == "ready");

  // Totals and percentages.
  const json& summary = outcome.at("summary");
  CHECK(summary.at("devices") == 12);
  CHECK(summary.at("ready") == 3);
  CHECK(summary.at("not_ready") == 8);
  CHECK(summary.at("unknown") == 1);
  CHECK(summary.at("ready_percent") == doctest::Approx(25.0));
  CHECK(summary.at("not_ready_percent") == doctest::Approx(66.7));
  CHECK(summary.at("unknown_percent") == doctest::Approx(8.3));
  CHECK(summary.at("addresses_left_out") == 1);
  const json& grandstream = group(outcome, "by_vendor", "Grandstream");
  CHECK(grandstream.at("devices") == 6);
  CHECK(grandstream.at("ready") == 2);
  CHECK(grandstream.at("ready_percent") == doctest::Approx(33.3));
  CHECK(grandstream.at("not_ready_percent") == doctest::Approx(66.7));
  const json& gigaset = group(outcome, "by_vendor", "Gigaset");
  CHECK(gigaset.at("devices") == 5);
  CHECK(gigaset.at("not_ready") == 4);
  CHECK(gigaset.at("not_ready_percent") == doctest::Approx(80.0));
  CHECK(group(outcome, "by_vendor", "Yealink").at("unknown_percent") == doctest::Approx(100.0));
  const json& hq = group(outcome, "by_site", "HQ");
  CHECK(hq.at("devices") == 6);
  CHECK(hq.at("ready") == 2);
  CHECK(hq.at("not_ready") == 3);
  CHECK(hq.at("unknown") == 1);
  CHECK(hq.at("unknown_percent") == doctest::Approx(16.7));
  const json& branch = group(outcome, "by_site", "Branch");
  CHECK(branch.at("devices") == 6);
  CHECK(branch.at("not_ready_percent") == doctest::Approx(83.3));
  CHECK(group(outcome, "by_model", "GRP2614").at("devices") == 5);
  CHECK(outcome.at("devices_by_reason").at("not-chained") == 4);
  CHECK(outcome.at("devices_by_reason").at("rejected-signature") == 3);
  CHECK(outcome.at("devices_by_reason").at("generic-cn") == 2);
}

} // namespace

TEST_SUITE("integration.readiness")
{
  TEST_CASE("readiness before a CA root swap: from a saved report (JSON, JSONL) and live")
  {
    const LoopbackBlock net;
    TempDir dir;
    FleetSimulator sim(FLEET_SIM_BINARY, dir, swap_fleet(net));
    write_file(dir.file("after.pem"), sim.ca_pem("gs-root") + sim.ca_pem("gigaset-root"));
    write_file(dir.file("inventory.csv"), net.expand(k_inventory));
    const std::vector<std::string> targets{net.address("0.1-13"), "--inventory", dir.file("inventory.csv"), "--ports",
                                           std::string(k_https) + "," + k_sip, "--timeout", "2"};
    const std::vector<std::string> policy{"--trust-after", dir.file("after.pem"), "--at", k_swap};

    // A saved scan, as a site keeps it.
    std::vector<std::string> scan{FLEETCERT_BINARY, "scan"};
    scan.insert(scan.end(), targets.begin(), targets.end());
    auto r = run_command(with(scan, {"--json", dir.file("scan.json"), "--jsonl", dir.file("scan.jsonl"), "--quiet"}),
                         std::chrono::seconds(60));
    INFO("scan stderr: " << r.err);
    REQUIRE(r.status == 0);

    std::vector<std::string> from_report{FLEETCERT_BINARY, "readiness", "--report", dir.file("scan.json")};
    from_report.insert(from_report.end(), policy.begin(), policy.end());
    r = run_command(with(from_report, {"--json", dir.file("report.json"), "--csv", dir.file("report.csv")}),
                    std::chrono::seconds(60));
    INFO("readiness stderr: " << r.err);
    CHECK(r.status == 1); // devices are not ready
    CHECK(r.err.empty());
    const json outcome = json::parse(read_file(dir.file("report.json")));
    check_outcome(outcome, net);
    CHECK(outcome.at("source").at("kind") == "report");

    // The text summary: not-ready and unknown devices with reasons and what to do, then totals.
    CHECK(contains(r.out, "Readiness on 2030-06-01T00:00:00Z"));
    CHECK(contains(r.out, "NOT READY  " + net.address("0.2") + "  000B82000002  Grandstream  GXP2170  HQ"));
    CHECK(contains(r.out, "UNKNOWN    " + net.address("0.6")));
    CHECK(contains(r.out, "33061 not-chained"));
    CHECK(contains(r.out, "what to do:"));
    CHECK_FALSE(contains(r.out, net.address("0.12"))); // ready devices are only counted
    CHECK(contains(r.out, "Grandstream            6        2 (33.3%)       4 (66.7%)       0 (0.0%)"));
    CHECK(contains(r.out, "all                    12       3 (25.0%)       8 (66.7%)       1 (8.3%)"));
    CHECK(contains(r.out, "Left out: 1 addresses"));

    // The CSV: one row per device, the same verdicts as the JSON.
    CsvRows rows;
    REQUIRE(parse_csv_strict(read_file(dir.file("report.csv")), rows));
    REQUIRE(rows.size() == 13);
    CHECK(rows[0] == std::vector<std::string>{"ip", "host", "mac", "vendor", "model", "site", "status", "ports",
                                              "reason_codes", "reasons", "remediation", "firmware", "note_codes",
                                              "notes"});
    const auto devices = devices_by_ip(outcome);
    for (std::size_t i = 1; i < rows.size(); ++i) {
      REQUIRE(rows[i].size() == 14);
      // No device here announces its firmware and the inventory has no firmware column: a Gigaset
      // device's firmware stage is unknown, and said so; no other vendor's has a note.
      CHECK(rows[i][11] == "");
      CHECK(rows[i][12] == (rows[i][3] == "Gigaset" ? "firmware-unknown" : ""));
      INFO("row " << i << ": " << rows[i][0]);
      REQUIRE(devices.count(rows[i][0]) == 1);
      CHECK(rows[i][6] == devices.at(rows[i][0]).at("status"));
      if (rows[i][0] == net.address("0.8")) {
        CHECK(rows[i][7] == "33061:not-ready;33443:ready");
        CHECK(rows[i][8] == "33061:not-chained");
        CHECK(contains(rows[i][10], "ECDSA+SHA384"));
      }
      if (rows[i][0] == net.address("0.6")) {
        CHECK(rows[i][8] == "-:no-certificate");
        CHECK(rows[i][3] == "Yealink");
      }
    }

    // The JSONL report gives the same outcome.
    from_report[3] = dir.file("scan.jsonl");
    r = run_command(with(from_report, {"--json", "-"}), std::chrono::seconds(60));
    CHECK(r.status == 1);
    const json from_jsonl = json::parse(r.out); // --json -: only the document on stdout
    check_outcome(from_jsonl, net);

    // Live, with the scan's own options, keeping the scan's report.
    std::vector<std::string> live{FLEETCERT_BINARY, "readiness"};
    live.insert(live.end(), targets.begin(), targets.end());
    live.insert(live.end(), policy.begin(), policy.end());
    r = run_command(with(live, {"--json", dir.file("live.json"), "--scan-json", dir.file("live-scan.json"), "--quiet"}),
                    std::chrono::seconds(60));
    INFO("live stderr: " << r.err);
    CHECK(r.status == 1);
    CHECK(r.out.empty());
    const json live_outcome = json::parse(read_file(dir.file("live.json")));
    check_outcome(live_outcome, net);
    CHECK(live_outcome.at("source").at("kind") == "scan");
    CHECK(json::parse(read_file(dir.file("live-scan.json"))).at("schema") == "fleetcert-scan/1");

    // The same fleet against the old bundle too (a server that keeps both during the transition):
    // the old-chain devices become ready; SHA1, Einstein2 and the expiry remain.
    write_file(dir.file("both.pem"), read_file(dir.file("after.pem")) + sim.ca_pem("gs-old") + sim.ca_pem("gigaset-old"));
    r = run_command({FLEETCERT_BINARY, "readiness", "--report", dir.file("scan.json"), "--trust-after",
                     dir.file("both.pem"), "--at", k_swap, "--json", "-"},
                    std::chrono::seconds(60));
    CHECK(r.status == 1);
    auto both = devices_by_ip(json::parse(r.out));
    CHECK(both[net.address("0.2")].at("status") == "ready");
    CHECK(both[net.address("0.7")].at("status") == "ready");
    CHECK(both[net.address("0.8")].at("status") == "ready");
    CHECK(both[net.address("0.3")].at("status") == "not-ready");
    CHECK(reason_keys(both[net.address("0.10")]).count(std::string(k_https) + ":not-chained") == 0);

    // --site and --shard shape a live scan: with a saved report they would be ignored, so they are refused.
    for (const std::vector<std::string>& option : {std::vector<std::string>{"--site", "branch-7"},
                                                   std::vector<std::string>{"--shard", "0/2"}}) {
      std::vector<std::string> argv{FLEETCERT_BINARY, "readiness", "--report", dir.file("scan.json"), "--trust-after",
                                    dir.file("both.pem"), "--at", k_swap, "--json", dir.file("ignored.json")};
      argv.insert(argv.end(), option.begin(), option.end());
      r = run_command(argv, std::chrono::seconds(60));
      CAPTURE(option[0]);
      CHECK(r.status == 2);
      CHECK(r.err.find("--site and --shard only apply to a live scan") != std::string::npos);
      CHECK_FALSE(std::filesystem::exists(dir.file("ignored.json")));
    }
  }

  TEST_CASE("readiness exit statuses: all ready, unknown, --unknown-fails, reports without chains")
  {
    const LoopbackBlock net;
    TempDir dir;
    FleetSimulator sim(FLEET_SIM_BINARY, dir, swap_fleet(net));
    write_file(dir.file("after.pem"), sim.ca_pem("gs-root") + sim.ca_pem("gigaset-root"));
    const std::vector<std::string> base{FLEETCERT_BINARY, "readiness", "--ports", std::string(k_https) + "," + k_sip,
                                        "--timeout", "2", "--trust-after", dir.file("after.pem"), "--at", k_swap};

    // Ready devices only: 0.
    auto r = run_command(with(base, {net.address("0.1"), net.address("0.11-12")}), std::chrono::seconds(60));
    INFO("stderr: " << r.err);
    CHECK(r.status == 0);
    CHECK(contains(r.out, "3 (100.0%)"));
    // With a silent device: still 0, unless unknown counts as failing.
    r = run_command(with(base, {net.address("0.1"), net.address("0.6"), "--scan-json", dir.file("silent.json")}),
                    std::chrono::seconds(60));
    CHECK(r.status == 0);
    CHECK(contains(r.out, "UNKNOWN    " + net.address("0.6")));
    r = run_command({FLEETCERT_BINARY, "readiness", "--report", dir.file("silent.json"), "--trust-after",
                     dir.file("after.pem"), "--at", k_swap, "--unknown-fails", "--quiet"},
                    std::chrono::seconds(30));
    CHECK(r.status == 1);
    CHECK(r.out.empty());
    // Readiness on an earlier date: the device whose certificate ends in 2030 is ready in 2029.
    r = run_command({FLEETCERT_BINARY, "readiness", net.address("0.3"), "--ports", k_https, "--timeout", "2",
                     "--trust-after", dir.file("after.pem"), "--at", "2029-06-01T12:00:00Z"},
                    std::chrono::seconds(60));
    CHECK(r.status == 0);

    // A report written without PEM chains (older fleetcert): unknown with a reason, not a crash.
    r = run_command({FLEETCERT_BINARY, "scan", net.address("0.1-2"), "--ports", k_https, "--timeout", "2", "--jsonl",
                     dir.file("with-pem.jsonl"), "--quiet"},
                    std::chrono::seconds(60));
    REQUIRE(r.status == 0);
    write_file(dir.file("old.jsonl"), without_chain_pem(read_file(dir.file("with-pem.jsonl"))));
    r = run_command({FLEETCERT_BINARY, "readiness", "--report", dir.file("old.jsonl"), "--trust-after",
                     dir.file("after.pem"), "--at", k_swap, "--json", "-"},
                    std::chrono::seconds(30));
    CHECK(r.status == 0);
    const auto old = devices_by_ip(json::parse(r.out));
    REQUIRE(old.size() == 2);
    for (const auto& [ip, d] : old) {
      CHECK(d.at("status") == "unknown");
      CHECK(reason_keys(d) == std::set<std::string>{std::string(k_https) + ":no-chain"});
    }
  }

  TEST_CASE("readiness usage errors exit 2 and name the problem")
  {
    const LoopbackBlock net;
    TempDir dir;
    write_file(dir.file("empty.json"), "{\"schema\":\"fleetcert-scan/1\",\"records\":[]}\n"); // no endpoint
    write_file(dir.file("not.pem"), "no certificate here\n");
    write_file(dir.file("bad.jsonl"),
               net.expand("{\"target\":{\"ip\":\"{net}.2.1\",\"port\":443},\"status\":\"ok\"}\nnot json\n"));
    const std::string cas = dir.file("not.pem");
    auto run = [&](std::vector<std::string> args) {
      args.insert(args.begin(), {FLEETCERT_BINARY, "readiness"});
      return run_command(args, std::chrono::seconds(20));
    };
    auto r = run({"--report", dir.file("empty.json")});
    CHECK(r.status == 2);
    CHECK(contains(r.err, "--trust-after"));
    r = run({"--report", dir.file("empty.json"), "--trust-after", dir.file("missing.pem")});
    CHECK(r.status == 2);
    CHECK(contains(r.err, "missing.pem"));
    r = run({"--report", dir.file("empty.json"), "--trust-after", cas});
    CHECK(r.status == 2);
    CHECK(contains(r.err, "not.pem: no PEM certificate found"));

    // A usable bundle for the rest: any certificate will do.
    const PkeyPtr key = generate_key({"ec", 0, "P-256"});
    CertSpec spec;
    spec.subject = parse_subject("/CN=Some Root");
    spec.ca = true;
    write_file(dir.file("after.pem"), to_pem(make_certificate(spec, key.get(), nullptr, key.get()).get()));
    const std::vector<std::string> ok{"--report", dir.file("empty.json"), "--trust-after", dir.file("after.pem")};
    r = run(ok);
    CHECK(r.status == 0); // an empty report: nothing is not ready
    CHECK(contains(r.out, "0 (0.0%)"));

    r = run(with(ok, {"--at", "23/11/2026"}));
    CHECK(r.status == 2);
    CHECK(contains(r.err, "invalid --at '23/11/2026'"));
    for (const std::string impossible : {"2026-02-31", "2026-02-29", " 026-11-23", "2026-11-23T24:00:00Z"}) {
      CAPTURE(impossible);
      r = run(with(ok, {"--at", impossible}));
      CHECK(r.status == 2); // refused, not rolled over into another date
      CHECK(contains(r.err, "invalid --at"));
    }
    r = run(with(ok, {"--reject", "sha1,sha3"}));
    CHECK(r.status == 2);
    CHECK(contains(r.err, "'sha3'"));
    r = run(with(ok, {"--min-rsa-bits", "100"}));
    CHECK(r.status == 2);
    CHECK(r.err.rfind("fleetcert: readiness: --min-rsa-bits: Value 100 not in range 512 to 16384", 0) == 0);
    r = run(with(ok, {"--min-rsa-bits", "16385"}));
    CHECK(r.status == 2);
    CHECK(r.err.rfind("fleetcert: readiness: --min-rsa-bits: Value 16385 not in range 512 to 16384", 0) == 0);
    CHECK(run(with(ok, {"--min-rsa-bits", "512"})).status == 0);
    CHECK(run(with(ok, {"--min-rsa-bits", "16384"})).status == 0);
    r = run(with(ok, {net.address("2.1")})); // refused before any connection
    CHECK(r.status == 2);
    CHECK(contains(r.err, "--report reads a saved scan"));
    r = run({"--trust-after", dir.file("after.pem")});
    CHECK(r.status == 2);
    CHECK(contains(r.err, "nothing to evaluate"));
    r = run({"--report", dir.file("no-such.json"), "--trust-after", dir.file("after.pem")});
    CHECK(r.status == 2);
    CHECK(contains(r.err, "no-such.json"));
    r = run({"--report", dir.file("bad.jsonl"), "--trust-after", dir.file("after.pem")});
    CHECK(r.status == 2);
    CHECK(contains(r.err, "bad.jsonl:2"));
    r = run(with(ok, {"--json", dir.file("no-such-dir/out.json")}));
    CHECK(r.status == 2);
    r = run(with(ok, {"--json", dir.file("empty.json")}));
    CHECK(r.status == 2);
    CHECK(contains(r.err, "is both a scan report and an output"));
    CHECK(contains(read_file(dir.file("empty.json")), "fleetcert-scan/1")); // untouched
    r = run(with(ok, {"--no-such-option"}));
    CHECK(r.status == 2);
  }
}
