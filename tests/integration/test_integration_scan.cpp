// End-to-end: the real fleetcert binary scans a fleet played by the real fleet-sim on loopback,
// and every endpoint's record is checked against the simulator's truth.
//
// Each test case takes its own loopback block (support/loopback.hpp), so test cases may run in parallel.

#include "support/fleet_simulator.hpp"
#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/report_json.hpp"
#include "support/timing.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <map>
#include <algorithm>
#include <sstream>
#include <thread>

using namespace fleetcert::testing;
using nlohmann::json;

namespace {

constexpr const char* k_port_a = "20443";
constexpr const char* k_port_b = "25061";

json behaviour(const char* name)
{
  return json{{"behaviour", name}};
}

// The fleet: >= 50 devices on both ports, old and new, good and broken.
json integration_fleet(const LoopbackBlock& net)
{
  json fleet;
  fleet["key_pool"] = 4;
  fleet["cas"] = json::array({
      {{"name", "test-root"}, {"subject", "/O=Fleetcert Test/CN=Test Vendor Root CA"}, {"key", {{"type", "ec"}, {"curve", "P-384"}}},
       {"hash", "sha384"}, {"issuer", "self"}, {"valid_from_days", -1000}, {"valid_days", 7000}},
      {{"name", "test-issuing"}, {"subject", "/O=Fleetcert Test/CN=Test Vendor Issuing CA"}, {"key", {{"type", "ec"}, {"curve", "P-256"}}},
       {"hash", "sha384"}, {"issuer", "test-root"}, {"valid_from_days", -900}, {"valid_days", 5000}},
  });
  json ecdsa = {{"subject", "/O=Test Vendor/CN={MAC}"}, {"key", {{"type", "ec"}, {"curve", "P-256"}}}, {"hash", "sha256"},
                {"issuer", "test-issuing"}, {"valid_from_days", -30}, {"valid_days", 3650}};
  json rsa_self = {{"subject", "/CN={MAC}"}, {"key", {{"type", "rsa"}, {"bits", 2048}}}, {"hash", "sha256"}, {"issuer", "self"},
                   {"valid_from_days", -30}, {"valid_days", 3650}};
  json p384 = ecdsa;
  p384["key"] = {{"type", "ec"}, {"curve", "P-384"}};
  p384["hash"] = "sha384";
  fleet["groups"] = json::array({
      {{"first_ip", net.address("1.1")}, {"count", 40}, {"mac_prefix", "000B82"}, {"first_mac_suffix", 1},
       {"ports", {{k_port_a, ecdsa}, {k_port_b, p384}}}},
      {{"first_ip", net.address("2.1")}, {"count", 10}, {"mac_prefix", "0004F2"}, {"first_mac_suffix", 1},
       {"ports", {{k_port_a, rsa_self}, {k_port_b, rsa_self}}}},
  });
  json tls10 = {{"subject", "/CN=Einstein2"}, {"key", {{"type", "rsa"}, {"bits", 1024}}}, {"hash", "sha1"}, {"issuer", "self"},
                {"tls", {"1.0"}}};
  json client12 = ecdsa;
  client12["require_client_cert"] = true;
  client12["tls"] = {"1.2"};
  json client13 = ecdsa;
  client13["require_client_cert"] = true;
  client13["tls"] = {"1.3"};
  json expired = rsa_self;
  expired["valid_from_days"] = -400;
  expired["valid_days"] = 365;
  json ed25519 = {{"subject", "/CN=ed-device"}, {"key", {{"type", "ed25519"}}}, {"issuer", "self"}, {"tls", {"1.3"}}};
  fleet["devices"] = json::array({
      {{"ip", net.address("3.1")}, {"mac", "7C2F80000001"}, {"ports", {{k_port_a, tls10}}}}, // port b: refused
      {{"ip", net.address("3.2")}, {"mac", "C074AD000002"}, {"ports", {{k_port_a, client12}, {k_port_b, client13}}}},
      {{"ip", net.address("3.3")}, {"mac", "C074AD000003"}, {"ports", {{k_port_a, expired}, {k_port_b, behaviour("close")}}}},
      {{"ip", net.address("3.4")}, {"mac", "C074AD000004"}, {"ports", {{k_port_a, behaviour("tarpit")}, {k_port_b, behaviour("garbage")}}}},
      {{"ip", net.address("3.5")}, {"mac", "C074AD000005"}, {"ports", {{k_port_a, behaviour("http")}, {k_port_b, behaviour("alert")}}}},
      {{"ip", net.address("3.6")}, {"mac", "C074AD000006"}, {"ports", {{k_port_a, behaviour("reset")}, {k_port_b, ed25519}}}},
  });
  return fleet;
}

// Starts fleet-sim on a description; the truth is sim.truth.
struct Simulator
{
  Simulator(const TempDir& dir, const json& fleet, const std::vector<std::string>& extra = {})
      : sim(FLEET_SIM_BINARY, dir, fleet, extra), truth(sim.truth())
  {
  }
  FleetSimulator sim;
  const json& truth;
};

std::string key(const json& ip, const json& port)
{
  return ip.get<std::string>() + ":" + std::to_string(port.get<int>());
}

// Checks every endpoint of the simulator's truth against the records; returns how many present a
// certificate.
std::size_t check_against_truth(std::map<std::string, json>& records, const json& truth, double timeout_ms)
{
  std::size_t tls_endpoints = 0;
    for (const auto& t : truth.at("endpoints")) {
      const auto k = key(t.at("ip"), t.at("port"));
      CAPTURE(k);
      REQUIRE(records.count(k) == 1);
      const json& r = records[k];
      const std::string behaviour = t.value("behaviour", "tls");
      if (behaviour == "tls") {
        ++tls_endpoints;
        REQUIRE(r.at("status") == "ok");
        CHECK(r.at("leaf").at("sha256") == t.at("leaf_sha256"));
        std::vector<std::string> chain;
        for (const auto& c : r.at("chain")) {
          chain.push_back(c.at("sha256"));
        }
        CHECK(chain == t.at("chain_sha256").get<std::vector<std::string>>());
      } else if (behaviour == "tarpit") {
        CHECK(r.at("status") == "error");
        CHECK(r.at("error").at("class") == "timeout");
        // Given up at its deadline: not before (a timer armed too short), not a timeout later.
        CHECK(spent_ms(r) >= timeout_ms - k_deadline_lead_ms);
        CHECK(spent_ms(r) <= timeout_ms + k_late_ms);
      } else if (behaviour == "garbage" || behaviour == "http") {
        CHECK(r.at("status") == "error");
        CHECK(r.at("error").at("class") == "not-tls");
      } else if (behaviour == "alert") {
        CHECK(r.at("error").at("class") == "tls-alert");
      } else if (behaviour == "close" || behaviour == "reset") {
        CHECK(r.at("error").at("class") == "reset");
      }
    }
  return tls_endpoints;
}

std::map<std::string, json> records_by_endpoint(const json& report)
{
  std::map<std::string, json> records;
  for (const auto& r : report.at("records")) {
    const auto k = key(r.at("target").at("ip"), r.at("target").at("port"));
    CHECK_MESSAGE(records.count(k) == 0, "duplicate record for " << k);
    records[k] = r;
  }
  return records;
}

} // namespace

TEST_SUITE("integration.scan")
{
  TEST_CASE("every endpoint of a simulated fleet matches the simulator's truth")
  {
    const LoopbackBlock net;
    TempDir dir;
    Simulator sim(dir, integration_fleet(net));
    const std::string ports = std::string(k_port_a) + "," + k_port_b;
    const auto result = run_command({FLEETCERT_BINARY, "scan", net.address("1.0/24"),
                                     net.expand("{net}.2.1-{net}.2.10"), net.address("3.1-6"), "--ports", ports,
                                     "--timeout", "2", "--concurrency", "64", "--json", dir.file("scan.json"), "--csv",
                                     dir.file("scan.csv"), "--jsonl", dir.file("scan.jsonl"), "--now",
                                     "2026-11-23T12:00:00Z"},
                                    std::chrono::seconds(120));
    INFO("stderr: " << result.err);
    REQUIRE(result.status == 0);

    const json report = json::parse(read_file(dir.file("scan.json")));
    std::map<std::string, json> records = records_by_endpoint(report);
    // 256 + 10 + 6 addresses, two ports each: one record per endpoint, nothing lost.
    CHECK(records.size() == (256 + 10 + 6) * 2);
    CHECK(report.at("scan").at("endpoints_done") == records.size());
    CHECK(report.at("scan").at("interrupted") == false);

    const std::size_t tls_endpoints = check_against_truth(records, sim.truth, 2000.0);
    CHECK(tls_endpoints >= 100);

    // Endpoints with no listener are refused.
    CHECK(records[net.address("3.1:25061")].at("error").at("class") == "refused");
    CHECK(records[net.address("1.200:20443")].at("error").at("class") == "refused");

    // TLS 1.0-only RSA-1024/SHA1 device.
    const json& old = records[net.address("3.1:20443")];
    CHECK(old.at("tls").at("version") == "TLSv1");
    CHECK(old.at("leaf").at("signature").at("label") == "RSA+SHA1");
    CHECK(old.at("leaf").at("signature").at("verdict") == "rejected");
    CHECK(old.at("leaf").at("key").at("bits") == 1024);
    CHECK(old.at("assessment").at("cn_class") == "generic");

    // By default the handshake stops at the certificate: never complete, no alert or handshake
    // error of our own making, and every record says so.
    for (const auto& [k, r] : records) {
      CAPTURE(k);
      CHECK(r.at("tls").at("handshake_mode") == "certificate-only");
      if (r.at("status") == "ok") {
        CHECK(r.at("tls").at("handshake_complete") == false);
        CHECK_FALSE(r.at("tls").contains("alert"));
        CHECK_FALSE(r.at("tls").contains("handshake_error"));
      }
    }
    // A device that demands a client certificate asks for it after its own Certificate: the
    // default stop never gets there.
    CHECK(records[net.address("3.2:20443")].at("status") == "ok");
    CHECK(records[net.address("3.2:20443")].at("tls").at("version") == "TLSv1.2");

    // --full-handshake: the certificate is kept although the handshake fails (1.2) or completes
    // only on the client's side (1.3).
    const auto full = run_command({FLEETCERT_BINARY, "scan", net.address("3.2"), "--ports", ports, "--timeout", "2",
                                   "--full-handshake", "--json", dir.file("full.json")},
                                  std::chrono::seconds(60));
    REQUIRE(full.status == 0);
    std::map<std::string, json> full_records = records_by_endpoint(json::parse(read_file(dir.file("full.json"))));
    const json& client12 = full_records[net.address("3.2:20443")];
    CHECK(client12.at("status") == "ok");
    CHECK(client12.at("tls").at("handshake_mode") == "full");
    CHECK(client12.at("tls").at("version") == "TLSv1.2");
    CHECK(client12.at("tls").at("handshake_complete") == false);
    CHECK(client12.at("tls").contains("alert"));
    CHECK(client12.at("tls").contains("handshake_error"));
    const json& client13 = full_records[net.address("3.2:25061")];
    CHECK(client13.at("status") == "ok");
    CHECK(client13.at("tls").at("version") == "TLSv1.3");
    CHECK(client13.at("leaf").at("sha256") == records[net.address("3.2:25061")].at("leaf").at("sha256"));

    // Expired, self-signed, MAC CNs, chains.
    CHECK(records[net.address("3.3:20443")].at("assessment").at("validity") == "expired");
    CHECK(records[net.address("3.3:20443")].at("assessment").at("days_left") < 0);
    const json& self = records[net.address("2.1:20443")];
    CHECK(self.at("leaf").at("self_signed") == true);
    CHECK(self.at("leaf").at("signature").at("label") == "RSA+SHA256");
    CHECK(self.at("assessment").at("cn_class") == "mac");
    CHECK(self.at("assessment").at("mac") == "0004F2000001");
    const json& issued = records[net.address("1.1:25061")];
    CHECK(issued.at("leaf").at("self_signed") == false);
    CHECK(issued.at("leaf").at("signature").at("label") == "ECDSA+SHA384");
    CHECK(issued.at("leaf").at("key").at("curve") == "P-384");
    CHECK(issued.at("chain").size() == 2);
    CHECK(records[net.address("3.6:25061")].at("leaf").at("signature").at("label") == "Ed25519");

    // The JSONL and CSV reports hold the same endpoints.
    const std::string jsonl = read_file(dir.file("scan.jsonl"));
    std::size_t lines = 0;
    for (std::size_t pos = 0; (pos = jsonl.find('\n', pos)) != std::string::npos; ++pos) {
      ++lines;
    }
    CHECK(lines == records.size());
    const std::string csv = read_file(dir.file("scan.csv"));
    CHECK(csv.rfind("ip,port,", 0) == 0);
    CHECK(csv.find(records[net.address("2.1:20443")].at("leaf").at("sha256").get<std::string>()) != std::string::npos);
  }

  TEST_CASE("bad input exits 2 and names the bad argument or line, before scanning")
  {
    const LoopbackBlock net;
    TempDir dir;
    auto r = run_command({FLEETCERT_BINARY, "scan", "127.0.0.0/33", "--jsonl", "-"}, std::chrono::seconds(20));
    CHECK(r.status == 2);
    CHECK(r.err.find("127.0.0.0/33") != std::string::npos);
    CHECK(r.out.empty());

    write_file(dir.file("targets.txt"), net.expand("# lab\n{net}.0.1\n\n{net}.0.300\n"));
    r = run_command({FLEETCERT_BINARY, "scan", "--targets-file", dir.file("targets.txt")}, std::chrono::seconds(20));
    CHECK(r.status == 2);
    CHECK(r.err.find("targets.txt:4") != std::string::npos);

    r = run_command({FLEETCERT_BINARY, "scan", net.address("0.1"), "--json", dir.file("missing/dir/out.json")},
                    std::chrono::seconds(20));
    CHECK(r.status == 2);
    CHECK(r.err.find("missing/dir/out.json") != std::string::npos);

    r = run_command({FLEETCERT_BINARY, "scan", net.address("0.1"), "--ports", "0"}, std::chrono::seconds(20));
    CHECK(r.status == 2);
    r = run_command({FLEETCERT_BINARY, "scan"}, std::chrono::seconds(20));
    CHECK(r.status == 2);
    r = run_command({FLEETCERT_BINARY, "scan", net.address("0.0/30"), "--exclude", net.address("0.0/30")},
                    std::chrono::seconds(20));
    CHECK(r.status == 2);
    CHECK(r.err.find("no targets left") != std::string::npos);
    r = run_command({FLEETCERT_BINARY, "scan", net.address("0.1"), "--bogus"}, std::chrono::seconds(20));
    CHECK(r.status == 2);
    // An impossible --now is refused, never rolled over into another date (2026-02-31 was 03-03).
    for (const std::string impossible : {"2026-02-31", "2026-13-01", " 026-11-23", "2026-11-23T10:00:00+02"}) {
      CAPTURE(impossible);
      r = run_command({FLEETCERT_BINARY, "scan", net.address("0.1"), "--now", impossible}, std::chrono::seconds(20));
      CHECK(r.status == 2);
      CHECK(r.err.find("invalid --now") != std::string::npos);
    }
  }

  TEST_CASE("option values out of their range or set exit 2 and name the option, from a TOML file too")
  {
    TempDir dir;
    // CLI11's validators: "fleetcert: scan: --rate: Value 1000001 not in range 0 to 1000000 (see ...)". `readiness` shares the
    // options that say how to scan.
    struct Bad
    {
      std::string option;
      std::string value;
      bool readiness_too = true;
    };
    const std::vector<Bad> bad{
        {"--concurrency", "0"},        {"--concurrency", "100001"},    {"--per-device", "0"},
        {"--per-device", "65537"},     {"--rate", "1000001"},          {"--rate", "-1"},
        {"--timeout", "0"},            {"--timeout", "86400.5"},       {"--timeout", "nan"},
        {"--connect-timeout", "-0.5"}, {"--connect-timeout", "nan"},   {"--expiry-warning", "-1", false},
        {"--dhcp-format", "windows"},  {"--dhcp-format", "ISC"}};
    for (const Bad& b : bad) {
      CAPTURE(b.option);
      CAPTURE(b.value);
      for (const std::string command : {"scan", "readiness"}) {
        if (command == "readiness" && !b.readiness_too) {
          continue;
        }
        CAPTURE(command);
        const auto r = run_command({FLEETCERT_BINARY, command, "127.92.0.1", b.option, b.value}, std::chrono::seconds(10));
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        CHECK(r.err.rfind("fleetcert: " + command + ": " + b.option + ": ", 0) == 0);
        CHECK(r.err.find(b.value) != std::string::npos);
      }
    }
    // The edges are accepted: this run stops at its unwritable report, before any connection.
    auto r = run_command({FLEETCERT_BINARY, "scan", "127.92.0.1", "--concurrency", "100000", "--per-device", "65536",
                          "--rate", "1000000", "--timeout", "86400", "--connect-timeout", "0", "--expiry-warning", "0",
                          "--json", dir.file("missing/out.json")},
                         std::chrono::seconds(10));
    CHECK(r.status == 2);
    CHECK(r.err.find("missing/out.json") != std::string::npos);
    r = run_command({FLEETCERT_BINARY, "scan", "127.92.0.1", "--concurrency", "1", "--per-device", "1", "--timeout",
                     "0.001", "--json", dir.file("missing/out.json")},
                    std::chrono::seconds(10));
    CHECK(r.status == 2);
    CHECK(r.err.find("missing/out.json") != std::string::npos);

    r = run_command({FLEETCERT_BINARY, "scan", "127.92.0.1", "--dhcp-format", "kea"}, std::chrono::seconds(10));
    CHECK(r.status == 2);
    CHECK(r.err.find("need --dhcp-leases") != std::string::npos); // the value passed, the option needs a file

    // A --config file's values go through the same checks.
    write_file(dir.file("site.toml"), "targets = [\"127.92.0.1\"]\nper-device = 0\n");
    r = run_command({FLEETCERT_BINARY, "scan", "--config", dir.file("site.toml")}, std::chrono::seconds(10));
    CHECK(r.status == 2);
    CHECK(r.err.rfind("fleetcert: scan: " + dir.file("site.toml") + ":2: key 'per-device': --per-device: Value 0 not in "
                      "range 1 to 65536",
                      0)
          == 0);
  }

  TEST_CASE("targets from stdin, JSONL on stdout, summary table when no output is named")
  {
    const LoopbackBlock net;
    TempDir dir;
    json fleet;
    fleet["devices"] = json::array({{{"ip", net.address("0.1")},
                                     {"ports", {{"21443", {{"subject", "/CN=0004f2:00:00:99"}, {"key", {{"type", "ec"}}}}}}}}});
    Simulator sim(dir, fleet);
    auto r = run_command({FLEETCERT_BINARY, "scan", "--targets-file", "-", "--ports", "21443,21444", "--jsonl", "-",
                          "--timeout", "2"},
                         std::chrono::seconds(30), net.expand("# from stdin\n{net}.0.1\n"));
    REQUIRE(r.status == 0);
    const std::vector<json> lines = jsonl_records(r.out);
    REQUIRE(lines.size() == 2);
    for (const auto& line : lines) {
      if (line.at("target").at("port") == 21443) {
        CHECK(line.at("leaf").at("sha256") == sim.truth.at("endpoints").at(0).at("leaf_sha256"));
        CHECK(line.at("assessment").at("mac") == "0004F2000099");
      } else {
        CHECK(line.at("error").at("class") == "refused");
      }
    }

    r = run_command({FLEETCERT_BINARY, "scan", net.address("0.1"), "--ports", "21443", "--timeout", "2"},
                    std::chrono::seconds(30));
    REQUIRE(r.status == 0);
    CHECK(r.out.find(net.address("0.1:21443")) != std::string::npos);
    CHECK(r.out.find("ECDSA+SHA256") != std::string::npos);
    CHECK(r.err.empty()); // no progress line when stderr is not a terminal
  }
}

TEST_SUITE("integration.scan")
{
  TEST_CASE("odd certificates and misbehaving devices (tests/fleets/behaviours.json), IPv6 included")
  {
    const LoopbackBlock net;
    TempDir dir;
    const json fleet = relocate_fleet(
        json::parse(read_file(std::string(FLEETCERT_SOURCE_DIR) + "/tests/fleets/behaviours.json")), "127.31", net);
    // ::1 is shared by every block: the ports are the block's own.
    const std::string https = std::to_string(net.port(0));
    const std::string sip = std::to_string(net.port(1));
    Simulator sim(dir, fleet, {"--port-map", "443:" + https, "--port-map", "5061:" + sip});
    const auto result = run_command({FLEETCERT_BINARY, "scan", net.address("0.0/23"), "::1", "--ports",
                                     https + "," + sip, "--timeout", "2", "--json", dir.file("scan.json"), "--csv",
                                     dir.file("scan.csv")},
                                    std::chrono::seconds(60));
    INFO("stderr: " << result.err);
    REQUIRE(result.status == 0);
    const json report = json::parse(read_file(dir.file("scan.json")));
    std::map<std::string, json> records = records_by_endpoint(report);
    CHECK(records.size() == (512 + 1) * 2);
    CHECK(check_against_truth(records, sim.truth, 2000.0) >= 14);
    CHECK(records["::1:" + https].at("status") == "ok");
    CHECK(records["::1:" + sip].at("error").at("class") == "refused");
    // A CN with bytes that are not UTF-8 in a UTF8String: OpenSSL refuses the certificate, the
    // record keeps its fingerprints and says why.
    bool unparsed_seen = false;
    for (const auto& [k, r] : records) {
      if (r.at("status") == "ok" && !r.at("leaf").at("parsed").get<bool>()) {
        unparsed_seen = true;
        CHECK(r.at("leaf").at("sha256").get<std::string>().size() == 64);
        CHECK_FALSE(r.at("leaf").at("parse_error").get<std::string>().empty());
      }
    }
    CHECK(unparsed_seen);
  }
}

TEST_SUITE("integration.scan")
{
  TEST_CASE("SIGINT and SIGTERM: in-flight endpoints abandoned at once, reports written and marked interrupted")
  {
    const LoopbackBlock net;
    TempDir dir;
    json fleet;
    fleet["devices"] = json::array({
        {{"ip", net.address("0.1")}, {"ports", {{"24443", behaviour("tarpit")}}}},
        {{"ip", net.address("0.2")}, {"ports", {{"24443", {{"subject", "/CN=0004F2000002"}, {"key", {{"type", "ec"}}}}}}}},
    });
    Simulator sim(dir, fleet);
    // The baseline: a whole scan of the certificate endpoint alone, with the same reports (start,
    // connection, reports, exit), as long as this machine takes for it now.
    const auto baseline = run_command({FLEETCERT_BINARY, "scan", net.address("0.2"), "--ports", "24443", "--timeout",
                                       "30", "--json", dir.file("baseline.json"), "--jsonl", dir.file("baseline.jsonl")},
                                      std::chrono::seconds(60));
    REQUIRE(baseline.status == 0);
    for (const auto& [signal_number, status] : {std::pair{SIGINT, 130}, std::pair{SIGTERM, 143}}) {
      CAPTURE(signal_number);
      const std::string out = dir.file("interrupted-" + std::to_string(signal_number) + ".json");
      const std::string lines = out + "l";
      ChildProcess scan({FLEETCERT_BINARY, "scan", net.address("0.1-2"), "--ports", "24443", "--timeout", "30", "--json",
                         out, "--jsonl", lines},
                        dir.file("scan.out"), dir.file("scan.err"));
      // Wait until the certificate endpoint is done (the tarpit then holds the scan).
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (read_file(lines).find('\n') == std::string::npos && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      REQUIRE(read_file(lines).find('\n') != std::string::npos);
      const auto start = std::chrono::steady_clock::now();
      scan.signal(signal_number);
      // Waited for at most 25 s, below the tarpit's 30 s deadline: an engine that lets in-flight
      // endpoints run to their deadlines fails here.
      const int exit_status = scan.wait(std::chrono::seconds(25));
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      CHECK(exit_status == status);
      // Stopping (abandon the tarpit, write the reports, exit) takes no longer than a whole short
      // scan, and a second for the machine's load: a stop that waits on anything slow fails.
      CHECK(seconds < 2 * baseline.seconds + 1.0);
      const json report = json::parse(read_file(out));
      CHECK(report.at("scan").at("interrupted") == true);
      REQUIRE(report.at("records").size() == 1);
      CHECK(report.at("records").at(0).at("target").at("ip") == net.address("0.2"));
      CHECK(report.at("records").at(0).at("status") == "ok");
    }

    // A second signal right after the first exits at once; whatever is at the report's path is
    // then either absent or whole, never half-written.
    const std::string out = dir.file("twice.json");
    const std::string lines = out + "l";
    ChildProcess scan({FLEETCERT_BINARY, "scan", net.address("0.1-2"), "--ports", "24443", "--timeout", "30", "--json",
                       out, "--jsonl", lines},
                      dir.file("scan.out"), dir.file("scan.err"));
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (read_file(lines).find('\n') == std::string::npos && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    scan.signal(SIGINT);
    scan.signal(SIGINT);
    const int status = scan.wait(std::chrono::seconds(25));
    INFO("stderr after two signals: " << read_file(dir.file("scan.err")));
    CHECK(status == 130); // before the tarpit's 30 s deadline
    if (std::filesystem::exists(out)) {
      CHECK_FALSE(json::parse(read_file(out), nullptr, false).is_discarded());
    }
    std::istringstream in(read_file(lines));
    for (std::string line; std::getline(in, line);) {
      CHECK_FALSE(json::parse(line, nullptr, false).is_discarded());
    }
  }
}

TEST_SUITE("integration.scan")
{
  TEST_CASE("--resume continues a killed scan: done endpoints skipped, a partial last line cut, nothing twice")
  {
    const LoopbackBlock net;
    TempDir dir;
    json fleet;
    json tls = {{"subject", "/CN={MAC}"}, {"key", {{"type", "ec"}}}};
    fleet["devices"] = json::array({
        {{"ip", net.address("1.1")}, {"mac", "0004F2000001"}, {"ports", {{"24443", tls}}}},
        {{"ip", net.address("1.2")}, {"mac", "0004F2000002"}, {"ports", {{"24443", tls}}}},
        {{"ip", net.address("1.3")}, {"mac", "0004F2000003"}, {"ports", {{"24443", tls}}}},
        {{"ip", net.address("1.4")}, {"ports", {{"24443", behaviour("tarpit")}}}},
    });
    Simulator sim(dir, fleet);
    const std::string lines = dir.file("scan.jsonl");
    auto count_lines = [&] {
      const std::string text = read_file(lines);
      return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    };
    {
      ChildProcess scan({FLEETCERT_BINARY, "scan", net.address("1.1-4"), "--ports", "24443", "--timeout", "30", "--jsonl",
                         lines},
                        dir.file("scan.out"), dir.file("scan.err"));
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (count_lines() < 3 && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      REQUIRE(count_lines() == 3);
      scan.signal(SIGKILL);
      CHECK(scan.wait(std::chrono::seconds(5)) == 128 + SIGKILL);
    }
    // As if the kill had come in the middle of writing a line.
    write_file(lines, read_file(lines) + net.expand("{\"target\":{\"ip\":\"{net}.1.4\""));

    auto r = run_command({FLEETCERT_BINARY, "scan", net.address("1.1-4"), "--ports", "24443", "--timeout", "2",
                          "--resume", lines},
                         std::chrono::seconds(30));
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.find("3 endpoints already done") != std::string::npos);
    std::map<std::string, int> seen;
    std::istringstream in(read_file(lines));
    for (std::string line; std::getline(in, line);) {
      const json record = json::parse(line); // every line is whole
      ++seen[record.at("target").at("ip").get<std::string>()];
      if (record.at("target").at("ip") == net.address("1.4")) {
        CHECK(record.at("error").at("class") == "timeout");
      }
    }
    CHECK(seen == std::map<std::string, int>{{net.address("1.1"), 1}, {net.address("1.2"), 1},
                                             {net.address("1.3"), 1}, {net.address("1.4"), 1}});

    // Resuming a finished scan scans nothing and changes nothing.
    const std::string before = read_file(lines);
    r = run_command({FLEETCERT_BINARY, "scan", net.address("1.1-4"), "--ports", "24443", "--timeout", "2", "--resume",
                     lines},
                    std::chrono::seconds(30));
    CHECK(r.status == 0);
    CHECK(read_file(lines) == before);

    r = run_command({FLEETCERT_BINARY, "scan", net.address("1.1"), "--resume", lines, "--jsonl",
                     dir.file("other.jsonl")},
                    std::chrono::seconds(10));
    CHECK(r.status == 2);
  }

  TEST_CASE("a sweep of more than 65,536 addresses needs --allow-large, --exclude counts first")
  {
    // No loopback block: a /15 is two of them, and no run here connects (each stops first).
    TempDir dir;
    auto r = run_command({FLEETCERT_BINARY, "scan", "127.64.0.0/15"}, std::chrono::seconds(10));
    CHECK(r.status == 2);
    CHECK(r.err.find("131072 addresses") != std::string::npos);
    CHECK(r.err.find("--allow-large") != std::string::npos);
    // Exactly 65,536 after the exclusion: accepted (this run then stops at its unwritable report,
    // before any connection).
    r = run_command({FLEETCERT_BINARY, "scan", "127.64.0.0/15", "--exclude", "127.65.0.0/16", "--json",
                     dir.file("missing/out.json")},
                    std::chrono::seconds(10));
    CHECK(r.status == 2);
    CHECK(r.err.find("--allow-large") == std::string::npos);
    CHECK(r.err.find("missing/out.json") != std::string::npos);
    r = run_command({FLEETCERT_BINARY, "scan", "127.64.0.0/15", "--allow-large", "--json", dir.file("missing/out.json")},
                    std::chrono::seconds(10));
    CHECK(r.status == 2);
    CHECK(r.err.find("--allow-large") == std::string::npos);
  }
}
