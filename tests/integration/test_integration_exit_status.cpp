// Exit statuses for cron: the --fail-on line on stderr (also under --quiet), --min-answering's exit
// 4 for a mostly dead range, and `fleetcert check` on the scan's saved JSON and JSONL reports giving
// the same status and the same line; through the real binary against the simulated fleet.

#include "support/fleet_simulator.hpp"
#include "support/loopback.hpp"
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace fleetcert::testing;
using nlohmann::json;

namespace {

constexpr const char* k_port = "23443";

json cert(const std::string& subject, const json& key, const std::string& hash, int valid_from_days, int valid_days)
{
  return {{"subject", subject}, {"key", key},           {"hash", hash}, {"issuer", "self"},
          {"valid_from_days", valid_from_days}, {"valid_days", valid_days}};
}

json device(const std::string& ip, const std::string& mac, json port_spec)
{
  return {{"ip", ip}, {"mac", mac}, {"ports", {{k_port, std::move(port_spec)}}}};
}

// Two devices in a /28: one with a SHA1 certificate, one with an expired one; 14 addresses dead.
json two_of_sixteen(const LoopbackBlock& net)
{
  const json p256 = {{"type", "ec"}, {"curve", "P-256"}};
  json fleet;
  fleet["devices"] = json::array({
      device(net.address("4.1"), "7C2F80000041", cert("/CN={MAC}", p256, "sha1", -30, 3650)),
      device(net.address("4.2"), "7C2F80000042", cert("/CN={MAC}", p256, "sha256", -800, 700)),
  });
  return fleet;
}

CommandResult run(std::vector<std::string> args)
{
  args.insert(args.begin(), FLEETCERT_BINARY);
  return run_command(args, std::chrono::seconds(60));
}

} // namespace

TEST_SUITE("integration.exit_status")
{
  TEST_CASE("--fail-on says what matched on stderr under --quiet, and check on the saved reports agrees")
  {
    const LoopbackBlock net;
    TempDir dir;
    FleetSimulator sim(FLEET_SIM_BINARY, dir, two_of_sixteen(net));
    const std::string json_path = dir.file("scan.json");
    const std::string jsonl_path = dir.file("scan.jsonl");
    const std::string policy = "sha1-rejected,expired";
    const std::string expected = "fleetcert: --fail-on matched 2 devices: expired 1, sha1-rejected 1\n";

    const CommandResult scan = run({"scan", net.address("4.0/28"), "--ports", k_port, "--timeout", "3", "--quiet",
                                    "--fail-on", policy, "--json", json_path, "--jsonl", jsonl_path});
    CHECK(scan.status == 1);
    CHECK(scan.out.empty());
    CHECK(scan.err == expected);

    for (const std::string& report : {json_path, jsonl_path}) {
      CAPTURE(report);
      const CommandResult check = run({"check", report, "--fail-on", policy});
      CHECK(check.status == scan.status);
      CHECK(check.err == scan.err);
      CHECK(check.out.empty());
      // One code: only the devices that have it.
      const CommandResult one = run({"check", report, "--fail-on", "sha1-rejected"});
      CHECK(one.status == 1);
      CHECK(one.err == "fleetcert: --fail-on matched 1 device: sha1-rejected 1\n");
      const CommandResult none = run({"check", report, "--fail-on", "weak-signature"});
      CHECK(none.status == 0);
      CHECK(none.err.empty());
    }

    SUBCASE("nothing matched: exit 0 and nothing on stderr")
    {
      const CommandResult clean =
          run({"scan", net.address("4.1-2"), "--ports", k_port, "--timeout", "3", "--quiet", "--fail-on", "weak-signature"});
      CHECK(clean.status == 0);
      CHECK(clean.err.empty());
      CHECK(clean.out.empty());
    }
    SUBCASE("bad usage: exit 2, nothing scanned")
    {
      CommandResult bad = run({"check", json_path});
      CHECK(bad.status == 2);
      CHECK(bad.err.find("--fail-on") != std::string::npos);
      bad = run({"check", json_path, "--fail-on", "not-a-code"});
      CHECK(bad.status == 2);
      CHECK(bad.err.find("'not-a-code'") != std::string::npos);
      CHECK(bad.err.find("sha1-rejected") != std::string::npos); // the valid codes are listed
      bad = run({"check", dir.file("missing.json"), "--fail-on", policy});
      CHECK(bad.status == 2);
      CHECK(bad.err.find("missing.json") != std::string::npos);
      bad = run({"check", json_path, "--min-answering", "120%"});
      CHECK(bad.status == 2);
      CHECK(bad.err.find("invalid --min-answering '120%'") != std::string::npos);
      bad = run({"scan", net.address("4.1"), "--ports", k_port, "--min-answering", "some"});
      CHECK(bad.status == 2);
      CHECK(bad.err.find("invalid --min-answering 'some'") != std::string::npos);
      bad = run({"scan", net.address("4.1"), "--ports", k_port, "--min-answering", "0"});
      CHECK(bad.status == 2);
    }
  }

  TEST_CASE("--min-answering: a mostly dead range is exit 4 with a line saying how many answered")
  {
    const LoopbackBlock net;
    TempDir dir;
    FleetSimulator sim(FLEET_SIM_BINARY, dir, two_of_sixteen(net));
    const std::string json_path = dir.file("scan.json");
    const std::string jsonl_path = dir.file("scan.jsonl");
    const std::vector<std::string> scan{"scan", net.address("4.0/28"), "--ports", k_port, "--timeout", "3", "--quiet"};
    auto with = [&](std::initializer_list<std::string> extra) {
      std::vector<std::string> args = scan;
      args.insert(args.end(), extra);
      return run(args);
    };

    // 2 of 16 answered; 50% needs 8. Exit 4 wins over 1; both lines are printed.
    const CommandResult dead = with({"--min-answering", "50%", "--fail-on", "sha1-rejected", "--json", json_path,
                                     "--jsonl", jsonl_path});
    CHECK(dead.status == 4);
    CHECK(dead.out.empty());
    CHECK(dead.err
          == "fleetcert: --fail-on matched 1 device: sha1-rejected 1\n"
             "fleetcert: --min-answering 50%: 2 of 16 addresses scanned answered (a certificate on at least one "
             "port), 8 needed\n");
    for (const std::string& report : {json_path, jsonl_path}) {
      CAPTURE(report);
      const CommandResult check = run({"check", report, "--min-answering", "50%", "--fail-on", "sha1-rejected"});
      CHECK(check.status == dead.status);
      CHECK(check.err == dead.err);
      CHECK(run({"check", report, "--min-answering", "2"}).status == 0);
      CHECK(run({"check", report, "--min-answering", "12.5%"}).status == 0); // 2 of 16
      CHECK(run({"check", report, "--min-answering", "12.6%"}).status == 4);
    }

    CHECK(with({"--min-answering", "2"}).status == 0);
    CHECK(with({"--min-answering", "2", "--fail-on", "expired"}).status == 1);
    const CommandResult three = with({"--min-answering", "3"});
    CHECK(three.status == 4);
    CHECK(three.err.find("2 of 16 addresses scanned answered") != std::string::npos);

    // With an inventory, its devices count: 2 of the 3 it lists answered (the dead addresses outside
    // it do not count, and devices outside it would not make up for missing ones).
    write_file(dir.file("inventory.csv"), "mac,ip,hostname,vendor,model,site\n"
                                          "7C2F80000041," + net.address("4.1") + ",a,,,\n"
                                          "7C2F80000042," + net.address("4.2") + ",b,,,\n"
                                          "7C2F80000043," + net.address("4.3") + ",c,,,\n");
    const std::string inventory_json = dir.file("inventory-scan.json");
    const CommandResult inventory =
        with({"--inventory", dir.file("inventory.csv"), "--min-answering", "67%", "--json", inventory_json});
    CHECK(inventory.status == 4);
    CHECK(inventory.err
          == "fleetcert: --min-answering 67%: 2 of 3 inventory devices answered (a certificate on at least one port), "
             "3 needed\n");
    CHECK(with({"--inventory", dir.file("inventory.csv"), "--min-answering", "66%"}).status == 0);
    const CommandResult check = run({"check", inventory_json, "--min-answering", "67%"});
    CHECK(check.status == 4);
    CHECK(check.err == inventory.err);
  }
}
