// `--config FILE` end to end: the real fleetcert binary reads a TOML file kept in a folder of its own
// (as /etc/fleetcert/site.toml would be) and scans a simulated fleet on loopback (its own block,
// support/loopback.hpp, x.0.1-3 on two ports); diff, readiness and export read their sections of the
// same file. Relative paths in the file are taken from its folder, not from the working directory.

#include "support/fleet_simulator.hpp"
#include "support/loopback.hpp"
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace fleetcert::testing;
using nlohmann::json;

namespace {

constexpr const char* k_https = "25443";
constexpr const char* k_sip = "25061";
constexpr auto k_limit = std::chrono::seconds(60);

json device_cert(const std::string& cn)
{
  return {{"subject", "/CN=" + cn}, {"key", "ec:P-256"}, {"hash", "sha256"}, {"issuer", "root"},
          {"valid_from_days", -30}, {"valid_days", 3650}};
}

// Three devices, each answering on both ports with a certificate of the fleet's root.
json fleet(const LoopbackBlock& net)
{
  json out;
  out["cas"] = json::array(
      {{{"name", "root"}, {"subject", "/CN=Site Root"}, {"key", "ec:P-256"}, {"hash", "sha256"}}});
  out["devices"] = json::array();
  for (const char* host : {"0.1", "0.2", "0.3"}) {
    out["devices"].push_back({{"ip", net.address(host)},
                              {"ports", {{k_https, device_cert(host)}, {k_sip, device_cert(host)}}}});
  }
  return out;
}

// The endpoints ("ip:port") of a JSONL report.
std::set<std::string> endpoints(const std::string& jsonl)
{
  std::set<std::string> out;
  std::istringstream in(jsonl);
  std::string line;
  while (std::getline(in, line)) {
    const json record = json::parse(line);
    if (record.contains("target")) {
      out.insert(record["target"].at("ip").get<std::string>() + ":"
                 + std::to_string(record["target"].at("port").get<int>()));
    }
  }
  return out;
}

} // namespace

TEST_SUITE("integration.config")
{
  TEST_CASE("scan --config: the [scan] section with arrays, paths from the file's folder, the command line replaces targets")
  {
    const LoopbackBlock net;
    TempDir dir;
    FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet(net));
    std::filesystem::create_directories(dir.file("etc/reports"));
    write_file(dir.file("etc/root.pem"), sim.ca_pem("root"));
    write_file(dir.file("etc/site.toml"),
               net.expand("# site A, as cron runs it from $HOME\n"
                          "[scan]\ntargets = [\"{net}.0.1\", \"{net}.0.2-3\"]\n")
                   + "ports = [" + k_https + ", " + k_sip + "]\ntimeout = 3\nquiet = true\n"
                   + "jsonl = \"reports/site.jsonl\"\ntrust = \"root.pem\"\n"
                   + "[diff]\nold = \"reports/site.jsonl\"\nnew = \"reports/site.jsonl\"\njson = \"reports/diff.json\"\n"
                   + "quiet = true\n"
                   + "[readiness]\nreport = \"reports/site.jsonl\"\ntrust-after = \"root.pem\"\n"
                   + "json = \"reports/readiness.json\"\nquiet = true\n"
                   + "[export]\nreport = \"reports/site.jsonl\"\n[export.devices]\nout = \"reports/devices.csv\"\n");
    const std::string config = dir.file("etc/site.toml");

    // Every target on both ports: the array is taken whole (not only its last port).
    auto r = run_command({FLEETCERT_BINARY, "scan", "--config", config}, k_limit);
    REQUIRE(r.status == 0);
    CHECK(r.out.empty());
    CHECK(r.err.empty());
    std::set<std::string> expected;
    for (const char* host : {"0.1", "0.2", "0.3"}) {
      expected.insert(net.address(host) + ":" + k_https);
      expected.insert(net.address(host) + ":" + k_sip);
    }
    CHECK(endpoints(read_file(dir.file("etc/reports/site.jsonl"))) == expected);

    SUBCASE("diff, readiness and export read their sections")
    {
      r = run_command({FLEETCERT_BINARY, "diff", "--config", config}, k_limit);
      INFO(r.err);
      CHECK(r.status == 0);
      // JSONL reports record no audit settings: diff warns, naming the reports the file named.
      CHECK(r.err.find("'" + dir.file("etc/reports/site.jsonl") + "'") != std::string::npos);
      CHECK(json::parse(read_file(dir.file("etc/reports/diff.json"))).is_object());

      r = run_command({FLEETCERT_BINARY, "readiness", "--config", config}, k_limit);
      INFO(r.err);
      CHECK(r.status == 0);
      CHECK(r.err.empty());
      CHECK(json::parse(read_file(dir.file("etc/reports/readiness.json"))).is_object());

      r = run_command({FLEETCERT_BINARY, "export", "devices", "--config", config}, k_limit);
      INFO(r.err);
      CHECK(r.status == 0);
      CHECK(r.err.empty());
      const std::string csv = read_file(dir.file("etc/reports/devices.csv"));
      for (const char* host : {"0.1", "0.2", "0.3"}) {
        CHECK(csv.find(net.address(host)) != std::string::npos);
      }
    }
    SUBCASE("targets and ports on the command line replace the file's")
    {
      r = run_command({FLEETCERT_BINARY, "scan", "--config", config, net.address("0.2"), "--ports", k_sip, "--jsonl",
                       dir.file("only.jsonl")},
                      k_limit);
      CHECK(r.status == 0);
      CHECK(endpoints(read_file(dir.file("only.jsonl"))) == std::set<std::string>{net.address("0.2") + ":" + k_sip});
    }
    SUBCASE("a bad key exits 2 naming the file, line and key, before scanning")
    {
      write_file(dir.file("etc/bad.toml"), net.expand("[scan]\ntargets = [\"{net}.0.1\"]\ntimeout = \"soon\"\n"));
      r = run_command({FLEETCERT_BINARY, "scan", "--config", dir.file("etc/bad.toml")}, k_limit);
      CHECK(r.status == 2);
      CHECK(r.err.rfind("fleetcert: scan: " + dir.file("etc/bad.toml") + ":3: key 'timeout': ", 0) == 0);
      CHECK(r.out.empty());
    }
  }
}
