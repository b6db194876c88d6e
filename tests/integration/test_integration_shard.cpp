// --shard and --site through the real fleetcert binary against the real fleet-sim on loopback: one
// fleet scanned whole, and as 4 shard processes in parallel (shard 2 as a Kubernetes Indexed Job
// pod: --shard auto/4 with JOB_COMPLETION_INDEX=2). The shards together hold exactly the whole
// scan's endpoints, each once, both ports of a device in one shard, each device where the
// partition (scanner/targets/shard) puts it; every record and device carries the --site. Then
// --shard with --shuffle and with --resume, and the usage errors.

#include "scanner/targets/shard.hpp"

#include "support/fleet_simulator.hpp"
#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/report_json.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <sstream>

using namespace fleetcert::testing;
using nlohmann::json;

namespace {

constexpr int k_devices = 24;     // answering devices: 1.1 .. 1.24
constexpr const char* k_range = "1.1-40"; // and 16 dead addresses after them

std::string endpoint_key(const json& record)
{
  return record.at("target").at("ip").get<std::string>() + ":" + std::to_string(record.at("target").at("port").get<int>());
}

// A fleet of k_devices on ports 31443 and 31444 (every third device answers on 31443 only).
json make_fleet(const LoopbackBlock& net)
{
  json fleet;
  fleet["cas"] = json::array({{{"name", "root"}, {"subject", "/CN=Shard Test Root"}, {"key", "ec:P-256"}}});
  fleet["devices"] = json::array();
  for (int n = 1; n <= k_devices; ++n) {
    const json cert = {{"subject", "/CN={MAC}"}, {"key", "ec:P-256"}, {"hash", "sha256"}, {"issuer", "root"}};
    json ports = {{"31443", cert}};
    if (n % 3 != 0) {
      ports["31444"] = cert;
    }
    char mac[13];
    std::snprintf(mac, sizeof mac, "0004F2%06X", n);
    fleet["devices"].push_back({{"ip", net.address("1." + std::to_string(n))}, {"mac", mac}, {"ports", ports}});
  }
  return fleet;
}

json read_json(const std::string& path)
{
  return json::parse(read_file(path));
}

std::vector<std::string> scan_arguments(const LoopbackBlock& net, const std::string& json_path)
{
  return {FLEETCERT_BINARY, "scan", net.address(k_range), "--ports", "31443,31444", "--timeout", "3",
          "--site", "lab-7", "--no-progress", "--json", json_path};
}

} // namespace

TEST_SUITE("integration.shard")
{
  TEST_CASE("4 shard processes together cover exactly the whole fleet, one of them an Indexed Job pod")
  {
    const LoopbackBlock net;
    TempDir dir;
    FleetSimulator sim(FLEET_SIM_BINARY, dir, make_fleet(net));

    const CommandResult whole = run_command(scan_arguments(net, dir.file("whole.json")), std::chrono::seconds(120));
    INFO("whole stderr: " << whole.err);
    REQUIRE(whole.status == 0);
    const json whole_report = read_json(dir.file("whole.json"));
    std::map<std::string, json> whole_records;
    for (const json& record : whole_report.at("records")) {
      whole_records[endpoint_key(record)] = record;
    }
    REQUIRE(whole_records.size() == 80); // 40 addresses x 2 ports
    CHECK_FALSE(whole_report.at("scan").contains("shard"));
    CHECK(whole_report.at("scan").at("site") == "lab-7");

    // The 4 shards at once; shard 2 takes its index from JOB_COMPLETION_INDEX.
    std::vector<std::unique_ptr<ChildProcess>> shards;
    for (int k = 0; k < 4; ++k) {
      std::vector<std::string> argv = scan_arguments(net, dir.file("shard-" + std::to_string(k) + ".json"));
      argv.insert(argv.end(), {"--shard", k == 2 ? "auto/4" : std::to_string(k) + "/4"});
      argv.insert(argv.begin(), {"/usr/bin/env", "-u", "JOB_COMPLETION_INDEX"});
      if (k == 2) {
        argv.insert(argv.begin() + 3, "JOB_COMPLETION_INDEX=2");
      }
      shards.push_back(std::make_unique<ChildProcess>(argv, dir.file("shard.out"), dir.file("shard-" + std::to_string(k) + ".err")));
    }
    for (int k = 0; k < 4; ++k) {
      INFO("shard " << k << " stderr: " << read_file(dir.file("shard-" + std::to_string(k) + ".err")));
      REQUIRE(shards[static_cast<std::size_t>(k)]->wait(std::chrono::seconds(120)) == 0);
    }

    std::map<std::string, int> shard_of_endpoint;
    std::set<std::string> devices;
    std::uint64_t planned = 0;
    for (int k = 0; k < 4; ++k) {
      CAPTURE(k);
      const json report = read_json(dir.file("shard-" + std::to_string(k) + ".json"));
      const json& scan = report.at("scan");
      CHECK(scan.at("shard") == json{{"index", k}, {"count", 4}});
      CHECK(scan.at("site") == "lab-7");
      CHECK(scan.at("endpoints_planned") == report.at("records").size()); // only this shard's
      planned += scan.at("endpoints_planned").get<std::uint64_t>();
      std::map<std::string, int> ports_of;
      for (const json& record : report.at("records")) {
        const std::string key = endpoint_key(record);
        const std::string ip = record.at("target").at("ip");
        CHECK_MESSAGE(shard_of_endpoint.emplace(key, k).second, key << " in two shards");
        CHECK(fleetcert::shard_of_key(ip, 4) == static_cast<std::uint32_t>(k));
        ++ports_of[ip];
        CHECK(record.at("site") == "lab-7");
        REQUIRE(whole_records.count(key) == 1);
        const json& same = whole_records.at(key);
        CHECK(record.at("status") == same.at("status"));
        if (same.contains("leaf")) {
          CHECK(record.at("leaf").at("sha256") == same.at("leaf").at("sha256"));
        }
      }
      for (const auto& [ip, n] : ports_of) {
        CHECK_MESSAGE(n == 2, ip << ": both ports in the same shard");
      }
      for (const json& device : report.at("devices")) {
        CHECK(devices.insert(device.at("ip").get<std::string>()).second);
        CHECK(device.at("site") == "lab-7");
      }
      if (!report.at("devices").empty()) { // a shard may hold none of the 24 devices (rarely)
        CHECK(report.at("summary").at("by_site").contains("lab-7"));
      }
    }
    CHECK(shard_of_endpoint.size() == whole_records.size()); // every endpoint in exactly one shard
    CHECK(planned == whole_report.at("scan").at("endpoints_planned").get<std::uint64_t>());
    std::set<std::string> whole_devices;
    for (const json& device : whole_report.at("devices")) {
      whole_devices.insert(device.at("ip").get<std::string>());
    }
    CHECK(devices == whole_devices);
    CHECK(whole_devices.size() == k_devices);

    SUBCASE("--shuffle and --resume keep to the shard")
    {
      // Shard 1 shuffled: the same endpoints as in order.
      std::vector<std::string> argv = scan_arguments(net, dir.file("shuffled.json"));
      argv.insert(argv.end(), {"--shard", "1/4", "--shuffle", "--seed", "77", "--jsonl", dir.file("shuffled.jsonl")});
      const CommandResult shuffled = run_command(argv, std::chrono::seconds(120));
      INFO("shuffled stderr: " << shuffled.err);
      REQUIRE(shuffled.status == 0);
      std::set<std::string> expected;
      for (const auto& [key, k] : shard_of_endpoint) {
        if (k == 1) {
          expected.insert(key);
        }
      }
      std::set<std::string> got;
      const std::vector<json> lines = jsonl_records(read_file(dir.file("shuffled.jsonl")));
      for (const json& record : lines) {
        got.insert(endpoint_key(record));
      }
      CHECK(got == expected);

      // The first half of that JSONL kept, as after a kill: --resume finishes shard 1 only.
      REQUIRE(lines.size() >= 4);
      std::istringstream in(read_file(dir.file("shuffled.jsonl")));
      std::string kept;
      std::string line;
      for (std::size_t i = 0; i < lines.size() / 2 && std::getline(in, line); ++i) {
        kept += line + "\n";
      }
      write_file(dir.file("resumed.jsonl"), kept);
      const CommandResult resumed =
          run_command({FLEETCERT_BINARY, "scan", net.address(k_range), "--ports", "31443,31444", "--timeout", "3",
                       "--site", "lab-7", "--no-progress", "--shard", "1/4", "--shuffle", "--resume",
                       dir.file("resumed.jsonl")},
                      std::chrono::seconds(120));
      INFO("resumed stderr: " << resumed.err);
      REQUIRE(resumed.status == 0);
      std::map<std::string, int> seen;
      for (const json& record : jsonl_records(read_file(dir.file("resumed.jsonl")))) {
        ++seen[endpoint_key(record)];
      }
      CHECK(seen.size() == expected.size());
      for (const std::string& key : expected) {
        CHECK_MESSAGE(seen[key] == 1, key);
      }
    }
  }

  TEST_CASE("a bad --shard is a usage error (exit 2) that says why, before any connection")
  {
    const LoopbackBlock net;
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--shard", "3/3"}, "K must be below N"},
        {{"--shard", "1/0"}, "N must be 1 to 65536"},
        {{"--shard", "a/b"}, "K/N or auto/N expected"},
        {{"--shard", "-1/2"}, "K/N or auto/N expected"},
        {{"--shard", "0/70000"}, "N must be 1 to 65536"},
        {{"--shard", "auto/4"}, "JOB_COMPLETION_INDEX is not set"},
        {{"--site", "caf\xE9"}, "not valid UTF-8"},
    };
    for (const auto& [extra, message] : cases) {
      std::vector<std::string> argv{"/usr/bin/env", "-u", "JOB_COMPLETION_INDEX", FLEETCERT_BINARY, "scan",
                                    net.address("1.1"), "--ports", "31443", "--timeout", "1"};
      argv.insert(argv.end(), extra.begin(), extra.end());
      const CommandResult result = run_command(argv, std::chrono::seconds(30));
      CAPTURE(extra.back());
      CHECK(result.status == 2);
      CHECK_MESSAGE(result.err.find(message) != std::string::npos, result.err);
    }
    for (const char* index : {"4", "x", "-1"}) {
      const CommandResult result =
          run_command({"/usr/bin/env", std::string("JOB_COMPLETION_INDEX=") + index, FLEETCERT_BINARY, "scan",
                       net.address("1.1"), "--ports", "31443", "--shard", "auto/4"},
                      std::chrono::seconds(30));
      CAPTURE(index);
      CHECK(result.status == 2);
      CHECK(result.err.find("JOB_COMPLETION_INDEX") != std::string::npos);
    }
  }
}
