// The engine at fleet scale, through the real binary against the simulated fleet: the early stop
// at the certificate, --per-device, --rate, --shuffle, and the descriptor limit.
//
// Every test case takes its own loopback block (support/loopback.hpp).

#include "support/fleet_simulator.hpp"
#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/report_json.hpp"
#include "support/timing.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <sys/resource.h>

using namespace fleetcert::testing;
using nlohmann::json;

namespace {

std::string key(const json& ip, const json& port)
{
  return ip.get<std::string>() + ":" + std::to_string(port.get<int>());
}

std::map<std::string, json> by_endpoint(const std::vector<json>& records)
{
  std::map<std::string, json> out;
  for (const auto& r : records) {
    const auto k = key(r.at("target").at("ip"), r.at("target").at("port"));
    CHECK_MESSAGE(out.count(k) == 0, "duplicate record for " << k);
    out[k] = r;
  }
  return out;
}

std::vector<std::string> chain_of(const json& record)
{
  std::vector<std::string> chain;
  for (const auto& c : record.at("chain")) {
    chain.push_back(c.at("sha256"));
  }
  return chain;
}

// Reads fleet-sim's --stats file once it shows `connections` connections and none open (the
// scanner has exited, so its closes reach the simulator within moments).
json settled_stats(const std::string& path, std::uint64_t connections)
{
  json stats;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    stats = json::parse(read_file(path), nullptr, false);
    if (!stats.is_discarded() && stats.value("connections", 0u) >= connections) {
      bool open = false;
      for (const auto& a : stats.at("addresses")) {
        open = open || a.at("open").get<unsigned>() > 0;
      }
      if (!open) {
        return stats;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL("fleet-sim's stats did not settle: " << stats.dump());
  return stats;
}

} // namespace

TEST_SUITE("integration.engine")
{
  TEST_CASE("the default stops at the certificate: same leaf and chain as --full-handshake, handshake not completed")
  {
    const LoopbackBlock net;
    TempDir dir;
    json fleet;
    fleet["cas"] = json::array({{{"name", "root"}, {"subject", "/CN=Engine Test Root"}, {"key", "ec:P-384"}, {"hash", "sha384"}},
                                {{"name", "issuing"}, {"subject", "/CN=Engine Test Issuing"}, {"key", "rsa:2048"},
                                 {"issuer", "root"}}});
    auto cert = [](const char* key, const char* hash, std::vector<std::string> versions, const char* issuer) {
      return json{{"subject", "/CN={MAC}"}, {"key", key}, {"hash", hash}, {"issuer", issuer}, {"tls", versions}};
    };
    const std::vector<std::pair<std::string, json>> devices{
        {net.address("1.1"), cert("rsa:1024", "sha1", {"1.0"}, "self")},
        {net.address("1.2"), cert("rsa:2048", "sha256", {"1.2"}, "issuing")},
        {net.address("1.3"), cert("ec:P-256", "sha256", {"1.2"}, "issuing")},
        {net.address("1.4"), cert("rsa:2048", "sha256", {"1.3"}, "issuing")},
        {net.address("1.5"), cert("ec:P-384", "sha384", {"1.3"}, "self")},
        {net.address("1.6"), cert("ec:P-256", "sha256", {"1.0", "1.1", "1.2", "1.3"}, "issuing")},
    };
    fleet["devices"] = json::array();
    int n = 0;
    for (const auto& [ip, spec] : devices) {
      fleet["devices"].push_back({{"ip", ip}, {"mac", "0004F283010" + std::to_string(++n)}, {"ports", {{"31443", spec}}}});
    }
    FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet);

    auto scan = [&](const std::string& name, std::vector<std::string> extra) {
      std::vector<std::string> argv{FLEETCERT_BINARY, "scan", net.address("1.1-6"), "--ports", "31443",
                                    "--timeout", "3", "--jsonl", dir.file(name)};
      argv.insert(argv.end(), extra.begin(), extra.end());
      const auto result = run_command(argv, std::chrono::seconds(60));
      INFO("stderr: " << result.err);
      REQUIRE(result.status == 0);
      return by_endpoint(jsonl_records(read_file(dir.file(name))));
    };
    auto early = scan("early.jsonl", {});
    auto full = scan("full.jsonl", {"--full-handshake"});
    REQUIRE(early.size() == devices.size());
    REQUIRE(full.size() == devices.size());
    std::set<std::string> versions;
    for (const auto& t : sim.truth().at("endpoints")) {
      const std::string k = key(t.at("ip"), t.at("port"));
      CAPTURE(k);
      const json& e = early.at(k);
      const json& f = full.at(k);
      REQUIRE(e.at("status") == "ok");
      REQUIRE(f.at("status") == "ok");
      CHECK(e.at("leaf").at("sha256") == t.at("leaf_sha256"));
      CHECK(f.at("leaf").at("sha256") == t.at("leaf_sha256"));
      CHECK(chain_of(e) == t.at("chain_sha256").get<std::vector<std::string>>());
      CHECK(chain_of(f) == chain_of(e));
      CHECK(e.at("tls").at("handshake_mode") == "certificate-only");
      CHECK(e.at("tls").at("handshake_complete") == false);
      CHECK_FALSE(e.at("tls").contains("alert"));
      CHECK_FALSE(e.at("tls").contains("handshake_error"));
      CHECK(f.at("tls").at("handshake_mode") == "full");
      CHECK(f.at("tls").at("handshake_complete") == true);
      CHECK(e.at("tls").at("version") == f.at("tls").at("version"));
      CHECK(e.at("tls").at("cipher") == f.at("tls").at("cipher"));
      CHECK(e.at("leaf").at("signature").at("label") == f.at("leaf").at("signature").at("label"));
      CHECK(e.at("tls").at("legacy_retry") == false);
      versions.insert(e.at("tls").at("version"));
    }
    CHECK(versions == std::set<std::string>{"TLSv1", "TLSv1.2", "TLSv1.3"});
  }

  TEST_CASE("--per-device: one connection at a time to a device by default, N with --per-device N")
  {
    const LoopbackBlock net;
    TempDir dir;
    json fleet;
    json tarpit = {{"behaviour", "tarpit"}};
    fleet["groups"] = json::array({
        {{"first_ip", net.address("2.1")}, {"count", 12}, {"ports", {{"32443", tarpit}, {"35061", tarpit}}}},
        {{"first_ip", net.address("3.1")}, {"count", 12}, {"ports", {{"32443", tarpit}, {"35061", tarpit}}}},
    });
    // One simulator thread: a connection's close is seen before the next accept on the same device.
    FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet, {"--threads", "1", "--stats", dir.file("stats.json")});

    auto max_by_block = [](const json& stats, const std::string& prefix) {
      unsigned most = 0;
      std::uint64_t connections = 0;
      for (const auto& a : stats.at("addresses")) {
        if (a.at("ip").get<std::string>().rfind(prefix, 0) == 0) {
          most = std::max(most, a.at("max_concurrent").get<unsigned>());
          connections += a.at("connections").get<std::uint64_t>();
        }
      }
      return std::pair{most, connections};
    };

    auto result = run_command({FLEETCERT_BINARY, "scan", net.address("2.1-12"), "--ports", "32443,35061", "--timeout",
                               "0.4", "--concurrency", "64", "--jsonl", dir.file("default.jsonl")},
                              std::chrono::seconds(60));
    INFO("stderr: " << result.err);
    REQUIRE(result.status == 0);
    auto records = jsonl_records(read_file(dir.file("default.jsonl")));
    REQUIRE(records.size() == 24);
    for (const auto& r : records) {
      CHECK(r.at("error").at("class") == "timeout");
    }
    const auto [default_most, default_connections] =
        max_by_block(settled_stats(dir.file("stats.json"), 24), net.address("2."));
    CHECK(default_connections == 24);
    CHECK(default_most == 1);

    result = run_command({FLEETCERT_BINARY, "scan", net.address("3.1-12"), "--ports", "32443,35061", "--timeout", "0.4",
                          "--concurrency", "64", "--per-device", "2", "--jsonl", dir.file("two.jsonl")},
                         std::chrono::seconds(60));
    REQUIRE(result.status == 0);
    CHECK(jsonl_records(read_file(dir.file("two.jsonl"))).size() == 24);
    const auto [two_most, two_connections] = max_by_block(settled_stats(dir.file("stats.json"), 48), net.address("3."));
    CHECK(two_connections == 24);
    CHECK(two_most == 2);

    // --concurrency still bounds the whole: 2 connections in flight, 12 devices of two 0.4 s
    // tarpits take at least 12 x 0.4 s (a lower bound: a loaded machine only makes it longer).
    result = run_command({FLEETCERT_BINARY, "scan", net.address("3.1-12"), "--ports", "32443,35061", "--timeout", "0.4",
                          "--concurrency", "2", "--per-device", "2", "--jsonl", dir.file("narrow.jsonl")},
                         std::chrono::seconds(60));
    REQUIRE(result.status == 0);
    CHECK(jsonl_records(read_file(dir.file("narrow.jsonl"))).size() == 24);
    CHECK(result.seconds >= 4.5);

    result = run_command({FLEETCERT_BINARY, "scan", net.address("3.1"), "--per-device", "0"}, std::chrono::seconds(10));
    CHECK(result.status == 2);
    CHECK(result.err.find("--per-device") != std::string::npos);
  }

  TEST_CASE("--rate paces new connections: K connections at --rate R span (K-1)/R seconds, --rate 0 does not pace")
  {
    const LoopbackBlock net;
    TempDir dir;
    // Two blocks of devices that close every connection at once, so that the pace alone spaces the
    // connections (one per endpoint: no legacy retry). The simulator notes when each address
    // accepted, apart from the scanner's start and exit (which a sanitizer build makes slow).
    constexpr std::size_t k_endpoints = 32;
    constexpr int k_rate = 10;
    const json closing = {{"behaviour", "close"}};
    json fleet;
    fleet["groups"] = json::array({
        {{"first_ip", net.address("4.1")}, {"count", k_endpoints}, {"ports", {{"31443", closing}}}},
        {{"first_ip", net.address("5.1")}, {"count", k_endpoints}, {"ports", {{"31443", closing}}}},
    });
    FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet, {"--stats", dir.file("stats.json")});
    auto scan = [&](const std::string& targets, int rate) {
      const auto r = run_command({FLEETCERT_BINARY, "scan", targets, "--ports", "31443", "--rate", std::to_string(rate),
                                  "--concurrency", "16", "--no-legacy-retry", "--jsonl", "-"},
                                 std::chrono::seconds(60));
      INFO("stderr: " << r.err);
      REQUIRE(r.status == 0);
      CHECK(jsonl_records(r.out).size() == k_endpoints);
      return r.seconds;
    };
    scan(net.address("4.1-32"), 0);
    const double paced_seconds = scan(net.address("5.1-32"), k_rate);

    // When each address of a /24 first accepted, in order (milliseconds).
    const json stats = settled_stats(dir.file("stats.json"), 2 * k_endpoints);
    auto accepted = [&](const std::string& prefix) {
      std::vector<double> times;
      for (const auto& a : stats.at("addresses")) {
        if (a.at("ip").get<std::string>().rfind(prefix, 0) == 0) {
          CHECK(a.at("connections") == 1);
          times.push_back(a.at("first_accept_ms").get<double>());
        }
      }
      std::sort(times.begin(), times.end());
      return times;
    };
    const std::vector<double> unpaced = accepted(net.address("4."));
    const std::vector<double> paced = accepted(net.address("5."));
    REQUIRE(unpaced.size() == k_endpoints);
    REQUIRE(paced.size() == k_endpoints);
    const double unpaced_span_ms = unpaced.back() - unpaced.front();
    const double paced_span_ms = paced.back() - paced.front();
    const double pace_ms = 1000.0 * (k_endpoints - 1) / k_rate; // the first slot is at once
    CAPTURE(unpaced_span_ms);
    CAPTURE(paced_span_ms);

    // The last slot is (K-1)/R after the scanner started, and slots never come early: a pace
    // faster than R (or none) ends the process sooner.
    CHECK(paced_seconds >= pace_ms / 1000.0 - 0.05);
    // Spread between the connections, not a wait before (or after) a burst of them; the first
    // connection may itself have come late.
    CHECK(paced_span_ms >= pace_ms - k_late_ms);
    // No slower than R either: at most the pace, what the same scan needs unpaced, and a late
    // last connection. A pace of R/2 (or a slot per endpoint and thread) exceeds it by seconds.
    CHECK(paced_span_ms <= pace_ms + unpaced_span_ms + k_late_ms);
    // --rate 0 is unlimited: the unpaced connections come well within half the pace of R.
    CHECK(unpaced_span_ms < pace_ms / 2);
  }

  TEST_CASE("--shuffle spreads the sweep, visits every target once, honours --exclude, --seed and --resume")
  {
    const LoopbackBlock net;
    TempDir dir;
    auto scan = [&](std::vector<std::string> extra) {
      std::vector<std::string> argv{FLEETCERT_BINARY, "scan", net.address("5.0/24"), "--ports", "1", "--concurrency",
                                    "1", "--exclude", net.address("5.10-20"), "--jsonl", "-"};
      argv.insert(argv.end(), extra.begin(), extra.end());
      const auto r = run_command(argv, std::chrono::seconds(60));
      INFO("stderr: " << r.err);
      REQUIRE(r.status == 0);
      std::vector<std::string> order;
      for (const auto& record : jsonl_records(r.out)) {
        order.push_back(record.at("target").at("ip"));
      }
      return order;
    };
    const auto in_order = scan({});
    const auto shuffled = scan({"--shuffle", "--seed", "12345"});
    const auto again = scan({"--shuffle", "--seed", "12345"});
    const auto other = scan({"--shuffle", "--seed", "54321"});
    REQUIRE(in_order.size() == 256 - 11);
    CHECK(std::set<std::string>(shuffled.begin(), shuffled.end()) == std::set<std::string>(in_order.begin(), in_order.end()));
    CHECK(shuffled.size() == in_order.size());
    CHECK(shuffled != in_order);
    CHECK(again == shuffled);
    CHECK(other != shuffled);
    CHECK(std::find(shuffled.begin(), shuffled.end(), net.address("5.15")) == shuffled.end());
    // Spread: the first 32 of the shuffled walk are not 32 neighbours.
    int far_jumps = 0;
    for (std::size_t i = 1; i < 32; ++i) {
      const int a = std::stoi(shuffled[i - 1].substr(shuffled[i - 1].rfind('.') + 1));
      const int b = std::stoi(shuffled[i].substr(shuffled[i].rfind('.') + 1));
      far_jumps += std::abs(a - b) > 4 ? 1 : 0;
    }
    CHECK(far_jumps > 20);

    // --resume under a different shuffle: what the first 100 records hold is skipped, the rest
    // is scanned, nothing twice.
    const auto first = run_command({FLEETCERT_BINARY, "scan", net.address("5.0/24"), "--ports", "1", "--exclude",
                                    net.address("5.10-20"), "--shuffle", "--jsonl", "-"},
                                   std::chrono::seconds(60));
    REQUIRE(first.status == 0);
    std::istringstream in(first.out);
    std::string kept;
    int lines = 0;
    for (std::string line; lines < 100 && std::getline(in, line); ++lines) {
      kept += line + "\n";
    }
    write_file(dir.file("resume.jsonl"), kept);
    const auto resumed = run_command({FLEETCERT_BINARY, "scan", net.address("5.0/24"), "--ports", "1", "--exclude",
                                      net.address("5.10-20"), "--shuffle", "--seed", "9", "--resume",
                                      dir.file("resume.jsonl")},
                                     std::chrono::seconds(60));
    INFO("stderr: " << resumed.err);
    REQUIRE(resumed.status == 0);
    std::map<std::string, int> seen;
    for (const auto& record : jsonl_records(read_file(dir.file("resume.jsonl")))) {
      ++seen[record.at("target").at("ip")];
    }
    CHECK(seen.size() == in_order.size());
    for (const auto& [ip, count] : seen) {
      CAPTURE(ip);
      CHECK(count == 1);
    }

    auto r = run_command({FLEETCERT_BINARY, "scan", net.address("5.1"), "--seed", "3"}, std::chrono::seconds(10));
    CHECK(r.status == 2);
    CHECK(r.err.find("--shuffle") != std::string::npos);
    r = run_command({FLEETCERT_BINARY, "scan", net.address("5.1"), "--shuffle", "--seed", "x1"},
                    std::chrono::seconds(10));
    CHECK(r.status == 2);
    CHECK(r.err.find("--seed") != std::string::npos);
  }

  TEST_CASE("--concurrency beyond RLIMIT_NOFILE: the soft limit is raised, else the concurrency lowered with a warning")
  {
    const LoopbackBlock net;
    // 4096 dead loopback addresses (nothing listens: refused at once). prlimit starts fleetcert
    // with a soft limit of 256 under our own hard limit (which it cannot raise).
    rlimit limit{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &limit) == 0);
    const std::string hard = limit.rlim_max == RLIM_INFINITY ? "unlimited" : std::to_string(limit.rlim_max);
    CommandResult r;
    if (limit.rlim_max >= 4096 + 256) {
      r = run_command({"/usr/bin/prlimit", "--nofile=256:" + hard, FLEETCERT_BINARY, "scan", net.address("16.0/20"),
                       "--ports", "1", "--concurrency", "4096", "--jsonl", "-"},
                      std::chrono::seconds(120));
      INFO("stderr: " << r.err);
      REQUIRE(r.status == 0);
      CHECK(jsonl_records(r.out).size() == 4096);
      CHECK(r.err.empty()); // raised quietly
    } else {
      MESSAGE("hard RLIMIT_NOFILE " << hard << " is below 4352: raising is not tested here");
    }

    r = run_command({"/usr/bin/prlimit", "--nofile=256:300", FLEETCERT_BINARY, "scan", net.address("16.0/20"),
                     "--ports", "1", "--concurrency", "4096", "--jsonl", "-"},
                    std::chrono::seconds(120));
    REQUIRE(r.status == 0);
    const auto records = jsonl_records(r.out);
    CHECK(records.size() == 4096);
    std::size_t refused = 0;
    for (const auto& record : records) {
      refused += record.at("error").at("class") == "refused" ? 1 : 0;
    }
    CHECK(refused == 4096); // no connection failed for want of a descriptor
    CHECK(r.err.find("warning: --concurrency 4096") != std::string::npos);
    CHECK(r.err.find("RLIMIT_NOFILE") != std::string::npos);
  }
}
