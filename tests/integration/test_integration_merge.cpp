// End-to-end: `fleetcert merge` (the real binary against the real fleet-sim). A simulated fleet is
// scanned once whole, and as 4 shards (--shard K/4, one of them auto/4 from JOB_COMPLETION_INDEX) run in parallel; the 4 reports merged equal
// the whole scan record for record and device for device, fleet-wide findings included (a key is
// shared by devices of two parts), with only the scan facts that legitimately differ (times,
// arguments, the inventory files) left out of the comparison. The commands that take several
// reports (`export`, `diff`) read the 4 parts as the whole.

#include "support/fleet_simulator.hpp"
#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/report_json.hpp"

#include "scanner/targets/shard.hpp"
#include "scanner/util/digest.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

using namespace fleetcert::testing;
using nlohmann::json;

namespace {

constexpr const char* k_port_a = "23443";
constexpr const char* k_port_b = "25061";
constexpr int k_parts = 4;

// Chained Grandstream devices on both ports (EC keys, one per certificate), self-signed RSA devices
// whose keys come from a pool of 2 (devices .11, .13, .15 share one, .12, .14, .16 the other:
// shared-key across parts), a garbage port; .21 has no device (refused).
json merge_fleet(const LoopbackBlock& net)
{
  json fleet;
  fleet["key_pool"] = 2;
  fleet["cas"] = json::array({
      {{"name", "root"}, {"subject", "/O=Merge Test/CN=Merge Root CA"}, {"key", {{"type", "ec"}, {"curve", "P-384"}}},
       {"hash", "sha384"}, {"issuer", "self"}},
  });
  const json chained = {{"subject", "/O=Merge Vendor/CN={MAC}"}, {"key", {{"type", "ec"}, {"curve", "P-256"}}},
                        {"hash", "sha256"}, {"issuer", "root"}};
  const json self_signed = {{"subject", "/CN={MAC}"}, {"key", {{"type", "rsa"}, {"bits", 2048}}}, {"hash", "sha1"},
                            {"issuer", "self"}};
  fleet["groups"] = json::array({
      {{"first_ip", net.address("1.1")}, {"count", 8}, {"mac_prefix", "000B82"}, {"first_mac_suffix", 1},
       {"ports", {{k_port_a, chained}, {k_port_b, chained}}}},
      {{"first_ip", net.address("1.11")}, {"count", 6}, {"mac_prefix", "0004F2"}, {"first_mac_suffix", 0x11},
       {"ports", {{k_port_a, self_signed}}}},
  });
  fleet["devices"] = json::array({
      {{"ip", net.address("1.20")}, {"mac", "7C2F80000020"}, {"ports", {{k_port_b, {{"behaviour", "garbage"}}}}}},
  });
  return fleet;
}

// The inventory rows: some devices, one that never answers (.30), the others missing.
std::map<std::string, std::string> inventory_rows(const LoopbackBlock& net)
{
  std::map<std::string, std::string> rows; // address -> CSV row
  auto add = [&](const std::string& last, const std::string& row) {
    rows[net.address(last)] = net.expand(row) + "\n";
  };
  add("1.1", "000B82000001,{net}.1.1,gs-1,GXP2170,HQ");
  add("1.2", "000B82000002,{net}.1.2,gs-2,GXP2170,HQ");
  add("1.3", "000B82000003,{net}.1.3,gs-3,GRP2614,Branch");
  add("1.5", "000B82000005,{net}.1.5,gs-5,GRP2614,Branch");
  add("1.11", "0004F2000011,{net}.1.11,vvx-11,VVX 450,HQ");
  add("1.14", "0004F2000014,{net}.1.14,vvx-14,VVX 450,Branch");
  add("1.30", "0004F2000030,{net}.1.30,vvx-30,VVX 450,HQ");
  return rows;
}

const std::string k_inventory_header = "mac,ip,hostname,model,site\n";

// Every address of the fleet the scans cover, in one order: the targets, then the inventory's.
std::vector<std::string> fleet_addresses(const LoopbackBlock& net)
{
  std::vector<std::string> addresses;
  for (const char* last : {"1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.11", "1.12", "1.13", "1.14",
                           "1.15", "1.16", "1.20", "1.21", "1.30"}) {
    addresses.push_back(net.address(last));
  }
  return addresses;
}

// The arguments of the whole scan: every address and the whole inventory.
std::vector<std::string> whole_arguments(const LoopbackBlock& net, const TempDir& dir)
{
  std::string inventory = k_inventory_header;
  for (const auto& [address, row] : inventory_rows(net)) {
    inventory += row;
  }
  write_file(dir.file("inventory.csv"), inventory);
  std::vector<std::string> arguments = fleet_addresses(net);
  arguments.insert(arguments.end(), {"--inventory", dir.file("inventory.csv")});
  return arguments;
}

// The split of the fleet into parts: each part is the whole scan's targets and inventory with
// `--shard K/N`; part 2 takes its index from JOB_COMPLETION_INDEX (`--shard auto/N`, as a pod of a
// Kubernetes Indexed Job does), through env(1). The arguments go after the scan's common ones.
std::vector<std::string> part_arguments(const LoopbackBlock& net, const TempDir& dir, int part, int parts)
{
  // The whole inventory that whole_arguments wrote for the whole scan, run before the parts: not
  // written again here, while other parts may be reading it.
  std::vector<std::string> arguments = fleet_addresses(net);
  arguments.insert(arguments.end(), {"--inventory", dir.file("inventory.csv"), "--shard"});
  arguments.push_back(part == 2 ? "auto/" + std::to_string(parts) : std::to_string(part) + "/" + std::to_string(parts));
  return arguments;
}

// The command line of part `part`: `common` (fleetcert scan ...) then its share, run under env(1)
// so that only part 2 sees JOB_COMPLETION_INDEX.
std::vector<std::string> part_command(const std::vector<std::string>& common, const LoopbackBlock& net,
                                      const TempDir& dir, int part, int parts)
{
  std::vector<std::string> argv = {"/usr/bin/env", "-u", "JOB_COMPLETION_INDEX"};
  if (part == 2) {
    argv.push_back("JOB_COMPLETION_INDEX=2");
  }
  argv.insert(argv.end(), common.begin(), common.end());
  for (const std::string& argument : part_arguments(net, dir, part, parts)) {
    argv.push_back(argument);
  }
  return argv;
}

// The part (shard) an address is scanned in.
int part_of_address(const std::string& address, int parts)
{
  return static_cast<int>(fleetcert::shard_of_key(address, static_cast<std::uint32_t>(parts)));
}

// A record with the times of its connection taken out (they differ from one scan to the next).
json without_timings(json record)
{
  if (record.contains("tls")) {
    record["tls"].erase("connect_ms");
    record["tls"].erase("handshake_ms");
  }
  return record;
}

// The records of a document by endpoint ("address:port"), timings left out; an endpoint twice fails.
std::map<std::string, json> records_by_endpoint(const json& document)
{
  std::map<std::string, json> out;
  for (const json& record : document.at("records")) {
    const json& target = record.at("target");
    const std::string key = target.value("ip", target.value("host", "")) + ":" + std::to_string(target.at("port").get<int>());
    CHECK_MESSAGE(out.emplace(key, without_timings(record)).second, "endpoint twice: " << key);
  }
  return out;
}

// The scan section without the facts a merge legitimately changes: times and arguments (each
// input's are in merged_from), merged_from itself, the inventory files (one per part).
json comparable_scan(json scan)
{
  for (const char* key : {"started_at", "finished_at", "duration_s", "arguments", "merged_from"}) {
    scan.erase(key);
  }
  if (scan.contains("audit_settings")) {
    scan["audit_settings"].erase("inventory");
  }
  return scan;
}

// The schema validator's command line (tests/schemas/validate_documents.py).
std::vector<std::string> validator(std::initializer_list<std::string> arguments)
{
  std::vector<std::string> argv{FLEETCERT_SCHEMA_PYTHON,
                                std::string(FLEETCERT_SOURCE_DIR) + "/tests/schemas/validate_documents.py",
                                std::string(FLEETCERT_SOURCE_DIR) + "/reports/schemas"};
  argv.insert(argv.end(), arguments);
  return argv;
}

} // namespace

TEST_SUITE("integration.merge")
{
  TEST_CASE("4 parts scanned in parallel and merged equal the whole scan, fleet-wide findings included")
  {
    const LoopbackBlock net;
    TempDir dir;
    FleetSimulator sim(FLEET_SIM_BINARY, dir, merge_fleet(net));
    const std::string ports = std::string(k_port_a) + "," + k_port_b;
    // One endpoint at a time: a device's records complete in port order in every scan (a finding
    // that names several ports names the first record's port first); one "now" for all.
    const std::vector<std::string> common{FLEETCERT_BINARY, "scan", "--ports", ports, "--timeout", "3", "--now",
                                          "2027-01-01T00:00:00Z", "--concurrency", "1", "-q"};

    std::vector<std::string> whole_argv = common;
    for (const std::string& argument : whole_arguments(net, dir)) {
      whole_argv.push_back(argument);
    }
    whole_argv.insert(whole_argv.end(), {"--json", dir.file("whole.json")});
    const auto whole = run_command(whole_argv, std::chrono::seconds(60));
    INFO("whole scan: " << whole.err);
    REQUIRE(whole.status == 0);

    // The parts, in parallel.
    std::vector<std::unique_ptr<ChildProcess>> scans;
    std::vector<std::string> part_paths;
    for (int part = 0; part < k_parts; ++part) {
      std::vector<std::string> argv = part_command(common, net, dir, part, k_parts);
      part_paths.push_back(dir.file("part-" + std::to_string(part) + ".json"));
      argv.insert(argv.end(), {"--json", part_paths.back()});
      scans.push_back(std::make_unique<ChildProcess>(argv, dir.file("part.out"), dir.file("part-" + std::to_string(part) + ".err")));
    }
    for (int part = 0; part < k_parts; ++part) {
      CAPTURE(part);
      const int status = scans[static_cast<std::size_t>(part)]->wait(std::chrono::seconds(60));
      INFO("part stderr: " << read_file(dir.file("part-" + std::to_string(part) + ".err")));
      REQUIRE(status == 0);
    }

    const auto merged_run = run_command(with({FLEETCERT_BINARY, "merge"}, {part_paths[0], part_paths[1], part_paths[2],
                                                                            part_paths[3], "--json", dir.file("merged.json")}),
                                        std::chrono::seconds(60));
    INFO("merge stderr: " << merged_run.err);
    REQUIRE(merged_run.status == 0);
    CHECK(merged_run.err.empty());

    const json original = json::parse(read_file(dir.file("whole.json")));
    const json merged = json::parse(read_file(dir.file("merged.json")));
    {
      INFO("the fleet shows fleet-wide findings, and a key shared by devices of two parts");
      std::map<std::string, std::set<int>> parts_of_key; // spki in the shared-key message -> parts
      std::set<std::string> codes;
      for (const json& device : original.at("devices")) {
        for (const json& finding : device.at("findings")) {
          const std::string code = finding.at("code").get<std::string>();
          codes.insert(code);
          if (code == "shared-key") {
            const std::string message = finding.at("message").get<std::string>();
            const std::size_t at = message.find("spki sha256 ");
            REQUIRE(at != std::string::npos);
            parts_of_key[message.substr(at, 28)].insert(part_of_address(device.at("ip").get<std::string>(), k_parts));
          }
        }
      }
      for (const char* code : {"shared-key", "not-answering", "not-in-inventory"}) {
        CAPTURE(code);
        CHECK(codes.count(code) == 1);
      }
      REQUIRE_FALSE(parts_of_key.empty());
      bool across = false;
      for (const auto& [key, parts] : parts_of_key) {
        across = across || parts.size() >= 2;
      }
      CHECK(across);
      // The parts alone show fewer shared-key devices: some are only found by the merge.
      std::size_t shared_in_parts = 0;
      for (const std::string& path : part_paths) {
        const json part = json::parse(read_file(path));
        for (const json& device : part.at("devices")) {
          shared_in_parts += finding_codes(device.at("findings")).count("shared-key");
        }
      }
      std::size_t shared_in_whole = 0;
      for (const json& device : original.at("devices")) {
        shared_in_whole += finding_codes(device.at("findings")).count("shared-key");
      }
      CHECK(shared_in_parts < shared_in_whole);
    }

    // Record for record, device for device.
    CHECK(records_by_endpoint(merged) == records_by_endpoint(original));
    CHECK(merged.at("devices") == original.at("devices"));
    CHECK(merged.at("summary") == original.at("summary"));
    CHECK(merged.at("inventory_check") == original.at("inventory_check"));
    CHECK(comparable_scan(merged.at("scan")) == comparable_scan(original.at("scan")));

    // What the merged scan section says of its inputs.
    const json& scan = merged.at("scan");
    const json& from = scan.at("merged_from");
    REQUIRE(from.at("inputs").size() == static_cast<std::size_t>(k_parts));
    std::int64_t records = 0;
    for (std::size_t i = 0; i < part_paths.size(); ++i) {
      const json& input = from.at("inputs")[i];
      CHECK(input.at("path") == part_paths[i]);
      CHECK(input.at("sha256") == fleetcert::sha256_hex_of(read_file(part_paths[i])));
      CHECK(input.at("format") == "json");
      CHECK(input.at("replaced") == 0);
      records += input.at("records").get<std::int64_t>();
      CHECK(input.at("started_at") >= scan.at("started_at"));
      CHECK(input.at("finished_at") <= scan.at("finished_at"));
    }
    CHECK(records == static_cast<std::int64_t>(original.at("records").size()));
    CHECK(from.at("duplicate_endpoints") == 0);
    CHECK(from.at("audit_settings") == "same");
    CHECK(from.at("inventory").at("source") == "records");
    CHECK(from.at("unknown") == json{"arguments"});
    CHECK(scan.at("audit_settings").at("inventory").size() == 1); // every shard read the one inventory
    const auto valid = run_command(validator({"scan=" + dir.file("merged.json")}), std::chrono::seconds(60));
    INFO("validator: " << valid.out << valid.err);
    CHECK(valid.status == 0);

    SUBCASE("with the whole inventory given to merge: the same cross-check")
    {
      const auto r = run_command(with({FLEETCERT_BINARY, "merge"}, {part_paths[0], part_paths[1], part_paths[2],
                                                                   part_paths[3], "--inventory", dir.file("inventory.csv"),
                                                                   "--json", dir.file("merged-inv.json")}),
                                 std::chrono::seconds(60));
      INFO("merge stderr: " << r.err);
      REQUIRE(r.status == 0);
      const json with_inventory = json::parse(read_file(dir.file("merged-inv.json")));
      CHECK(with_inventory.at("devices") == original.at("devices"));
      CHECK(with_inventory.at("inventory_check") == original.at("inventory_check"));
      CHECK(with_inventory.at("scan").at("merged_from").at("inventory").at("source") == "inventory-option");
      CHECK(with_inventory.at("scan").at("audit_settings") == original.at("scan").at("audit_settings"));
    }

    SUBCASE("a part merged twice, once rescanned later: the newer part's records kept, and said")
    {
      // Part 0 again, later: its endpoints are in two inputs.
      std::vector<std::string> argv = part_command(common, net, dir, 0, k_parts);
      argv.insert(argv.end(), {"--json", dir.file("part-0-again.json")});
      REQUIRE(run_command(argv, std::chrono::seconds(60)).status == 0);
      const auto r = run_command(with({FLEETCERT_BINARY, "merge"}, {dir.file("part-0-again.json"), part_paths[0], part_paths[1],
                                                                   part_paths[2], part_paths[3], "--json", dir.file("twice.json")}),
                                 std::chrono::seconds(60));
      REQUIRE(r.status == 0);
      const json twice = json::parse(read_file(dir.file("twice.json")));
      CHECK(records_by_endpoint(twice) == records_by_endpoint(original));
      CHECK(twice.at("devices") == original.at("devices"));
      const json& twice_from = twice.at("scan").at("merged_from");
      const std::int64_t part_records = twice_from.at("inputs")[1].at("records").get<std::int64_t>();
      CHECK(twice_from.at("duplicate_endpoints") == part_records);
      // The rescan started later (or in the same second: then the later on the command line, part 0, is the newer).
      const bool rescan_newer = twice_from.at("inputs")[0].at("started_at") > twice_from.at("inputs")[1].at("started_at");
      CHECK(twice_from.at("inputs")[rescan_newer ? 1 : 0].at("replaced") == part_records);
      CHECK(r.err.find("fleetcert: warning: merge: " + std::to_string(part_records) + " endpoints of '") != std::string::npos);
      bool warned = false;
      for (const json& warning : twice.at("scan").at("warnings")) {
        warned = warned || warning.at("code") == "merge-duplicate-endpoints";
      }
      CHECK(warned);
    }

    SUBCASE("export, diff, readiness and issuers read the parts as the whole")
    {
      const auto from_whole = run_command({FLEETCERT_BINARY, "export", "devices", dir.file("whole.json")},
                                          std::chrono::seconds(60));
      const auto from_parts = run_command(with({FLEETCERT_BINARY, "export", "devices"},
                                               {part_paths[0], part_paths[1], part_paths[2], part_paths[3]}),
                                          std::chrono::seconds(60));
      INFO("export stderr: " << from_parts.err);
      REQUIRE(from_whole.status == 0);
      REQUIRE(from_parts.status == 0);
      CHECK(from_parts.out == from_whole.out);
      const auto diff = run_command(with({FLEETCERT_BINARY, "diff", dir.file("whole.json")},
                                         {"--new", part_paths[0], "--new", part_paths[1], "--new", part_paths[2], "--new",
                                          part_paths[3], "--json", dir.file("diff.json")}),
                                    std::chrono::seconds(60));
      INFO("diff stderr: " << diff.err);
      CHECK(diff.status == 0);
      const json changes = json::parse(read_file(dir.file("diff.json")));
      CHECK(changes.at("changes").empty());
      const auto reversed = run_command(with({FLEETCERT_BINARY, "diff", "--old", part_paths[2], "--old", part_paths[0],
                                              "--old", part_paths[1], "--old", part_paths[3]},
                                             {"--new", dir.file("merged.json"), "-q"}),
                                        std::chrono::seconds(60));
      CHECK(reversed.status == 0);

      // readiness and issuers: the same document but for where it was read from.
      write_file(dir.file("root.pem"), sim.ca_pem("root"));
      const std::vector<std::string> readiness{FLEETCERT_BINARY, "readiness", "--trust-after", dir.file("root.pem"),
                                               "--at", "2027-06-01", "-q"};
      const auto readiness_whole = run_command(with(readiness, {"--report", dir.file("whole.json"), "--json",
                                                                dir.file("ready-whole.json")}),
                                               std::chrono::seconds(60));
      const auto readiness_parts = run_command(with(readiness, {"--report", part_paths[0], "--report", part_paths[1],
                                                                "--report", part_paths[2], "--report", part_paths[3],
                                                                "--json", dir.file("ready-parts.json")}),
                                               std::chrono::seconds(60));
      INFO("readiness stderr: " << readiness_parts.err);
      CHECK(readiness_parts.status == readiness_whole.status);
      json ready_whole = json::parse(read_file(dir.file("ready-whole.json")));
      json ready_parts = json::parse(read_file(dir.file("ready-parts.json")));
      CHECK(ready_parts.at("source").at("path") == part_paths[0] + " (merged with 3 more)");
      ready_whole.erase("source");
      ready_parts.erase("source");
      CHECK(ready_parts == ready_whole);
      CHECK_FALSE(ready_parts.at("devices").empty());

      const auto issuers_whole = run_command({FLEETCERT_BINARY, "issuers", dir.file("whole.json"), "--json", "--at",
                                              "2027-06-01"},
                                             std::chrono::seconds(60));
      const auto issuers_parts = run_command(with({FLEETCERT_BINARY, "issuers", "--json", "--at", "2027-06-01"},
                                                  {part_paths[0], part_paths[1], part_paths[2], part_paths[3]}),
                                             std::chrono::seconds(60));
      INFO("issuers stderr: " << issuers_parts.err);
      REQUIRE(issuers_whole.status == 0);
      REQUIRE(issuers_parts.status == 0);
      json issuers_from_whole = json::parse(issuers_whole.out);
      json issuers_from_parts = json::parse(issuers_parts.out);
      issuers_from_whole.erase("report");
      issuers_from_parts.erase("report");
      CHECK(issuers_from_parts == issuers_from_whole);
    }
  }

  TEST_CASE("merge refuses reports made with different vendor bundles unless --force, and bad usage")
  {
    const LoopbackBlock net;
    TempDir dir;
    // Two bundles that differ in content: any two PEM certificates will do; the scans find nothing.
    json fleet;
    fleet["cas"] = json::array({
        {{"name", "one"}, {"subject", "/CN=One CA"}, {"key", {{"type", "ec"}}}, {"issuer", "self"}},
        {{"name", "two"}, {"subject", "/CN=Two CA"}, {"key", {{"type", "ec"}}}, {"issuer", "self"}},
    });
    fleet["devices"] = json::array({
        {{"ip", net.address("1.1")}, {"ports", {{k_port_a, {{"subject", "/CN=a"}, {"key", {{"type", "ec"}}}, {"issuer", "one"}}}}}},
    });
    FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet);
    const std::string one = dir.file("one.pem");
    const std::string two = dir.file("two.pem");
    write_file(one, sim.ca_pem("one"));
    write_file(two, sim.ca_pem("two"));
    const std::vector<std::string> common{FLEETCERT_BINARY, "scan", net.address("1.1"), "--ports", k_port_a,
                                          "--timeout", "3", "-q"};
    REQUIRE(run_command(with(common, {"--vendor-ca", "Grandstream=" + one, "--json", dir.file("a.json")}),
                        std::chrono::seconds(60)).status == 0);
    REQUIRE(run_command(with(common, {"--vendor-ca", "Grandstream=" + two, "--json", dir.file("b.json")}),
                        std::chrono::seconds(60)).status == 0);

    const auto refused = run_command({FLEETCERT_BINARY, "merge", dir.file("a.json"), dir.file("b.json"), "--json",
                                      dir.file("m.json")},
                                     std::chrono::seconds(60));
    CHECK(refused.status == 2);
    CHECK(refused.err.find("fleetcert: merge: '" + dir.file("a.json") + "' and '" + dir.file("b.json")
                           + "' were made with different audit settings: the --vendor-ca bundles differ") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.file("m.json")));
    // The commands that merge several reports refuse the same way.
    const auto export_refused = run_command({FLEETCERT_BINARY, "export", "devices", dir.file("a.json"), dir.file("b.json")},
                                            std::chrono::seconds(60));
    CHECK(export_refused.status == 2);
    CHECK(export_refused.err.find("were made with different audit settings") != std::string::npos);

    const auto forced = run_command({FLEETCERT_BINARY, "merge", dir.file("a.json"), dir.file("b.json"), "--force",
                                     "--json", dir.file("m.json")},
                                    std::chrono::seconds(60));
    INFO("merge --force stderr: " << forced.err);
    REQUIRE(forced.status == 0);
    CHECK(forced.err.find("merged anyway (--force)") != std::string::npos);
    const json merged = json::parse(read_file(dir.file("m.json")));
    CHECK(merged.at("scan").at("merged_from").at("audit_settings") == "mixed");
    CHECK_FALSE(merged.at("scan").contains("audit_settings"));
    const auto valid = run_command(validator({"scan=" + dir.file("m.json")}), std::chrono::seconds(60));
    INFO("validator: " << valid.out << valid.err);
    CHECK(valid.status == 0);

    const auto nothing = run_command({FLEETCERT_BINARY, "merge", dir.file("a.json"), dir.file("b.json")},
                                     std::chrono::seconds(60));
    CHECK(nothing.status == 2);
    CHECK(nothing.err.find("fleetcert: merge: nothing to write") != std::string::npos);
    const auto over_input = run_command({FLEETCERT_BINARY, "merge", dir.file("a.json"), dir.file("b.json"), "--force",
                                         "--json", dir.file("a.json")},
                                        std::chrono::seconds(60));
    CHECK(over_input.status == 2);
  }
}
