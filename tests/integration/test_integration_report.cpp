// End-to-end: `fleetcert report` rebuilds a scan's outputs from its saved JSONL or JSON report
// (the real binary against the real fleet-sim): the same records, devices, fleet-wide findings,
// summary, inventory check, CSVs and metrics as the scan wrote, the scan facts a JSONL lacks left
// out; a killed and --resume'd scan rebuilt equals an uninterrupted one; bad input is exit 2.

#include "support/fleet_simulator.hpp"
#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/report_json.hpp"

#include "scanner/util/digest.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

using namespace fleetcert::testing;
using nlohmann::json;

namespace {

constexpr const char* k_port_a = "21443";
constexpr const char* k_port_b = "26061";

// The fleet of the rebuild test: chains of two CAs, self-signed SHA1 devices, keys drawn from a
// pool of 2 (shared-key), a Latin-1 CN (text with a _hex sibling), refused and garbage ports.
json report_fleet(const LoopbackBlock& net)
{
  json fleet;
  fleet["key_pool"] = 2;
  fleet["cas"] = json::array({
      {{"name", "root"}, {"subject", "/O=Report Test/CN=Report Root CA"}, {"key", {{"type", "ec"}, {"curve", "P-384"}}},
       {"hash", "sha384"}, {"issuer", "self"}},
      {{"name", "issuing"}, {"subject", "/O=Report Test/CN=Report Issuing CA"}, {"key", {{"type", "ec"}, {"curve", "P-256"}}},
       {"hash", "sha256"}, {"issuer", "root"}},
  });
  const json chained = {{"subject", "/O=Report Vendor/CN={MAC}"}, {"key", {{"type", "ec"}, {"curve", "P-256"}}},
                        {"hash", "sha256"}, {"issuer", "issuing"}};
  const json self_signed = {{"subject", "/CN={MAC}"}, {"key", {{"type", "rsa"}, {"bits", 2048}}}, {"hash", "sha1"},
                            {"issuer", "self"}};
  // "Téléphone" in Latin-1 in a UTF8String (OpenSSL refuses it: an unparsed leaf), and bytes that
  // are not UTF-8 in an IA5String (kept raw, or read as Latin-1).
  const json latin1 = {{"subject", "/O=Report/CN=placeholder"}, {"subject_raw_cn_hex", "54e96ce970686f6e65"},
                       {"key", {{"type", "ec"}}}, {"issuer", "self"}};
  const json ia5 = {{"subject", "/O=Report/CN=placeholder"}, {"subject_raw_cn_hex", "41ff42c0"},
                    {"subject_raw_cn_type", "ia5"}, {"key", {{"type", "ec"}}}, {"issuer", "self"}};
  fleet["groups"] = json::array({
      {{"first_ip", net.address("1.1")}, {"count", 6}, {"mac_prefix", "000B82"}, {"first_mac_suffix", 1},
       {"ports", {{k_port_a, chained}, {k_port_b, chained}}}},
      {{"first_ip", net.address("1.11")}, {"count", 4}, {"mac_prefix", "0004F2"}, {"first_mac_suffix", 0x11},
       {"ports", {{k_port_a, self_signed}}}},
  });
  fleet["devices"] = json::array({
      {{"ip", net.address("1.20")}, {"mac", "7C2F80000020"}, {"ports", {{k_port_a, latin1}, {k_port_b, {{"behaviour", "garbage"}}}}}},
      {{"ip", net.address("1.21")}, {"mac", "7C2F80000021"}, {"ports", {{k_port_a, ia5}}}},
  });
  return fleet;
}

// The inventory: most devices, one that never answers (.30) and three missing (.12, .20, .21).
std::string report_inventory(const LoopbackBlock& net)
{
  return net.expand("mac,ip,hostname,vendor,model,site,asset_tag\n"
                    "000B82000001,{net}.1.1,gs-1,,GXP2170,HQ,A-1\n"
                    "000B82000002,{net}.1.2,gs-2,,GXP2170,HQ,A-2\n"
                    "000B82000003,{net}.1.3,gs-3,,GRP2614,HQ,A-3\n"
                    "000B82000004,{net}.1.4,gs-4,,GRP2614,Branch,A-4\n"
                    "000B82000005,{net}.1.5,gs-5,,GRP2614,Branch,A-5\n"
                    "000B82000006,{net}.1.6,gs-6,,GRP2614,Branch,A-6\n"
                    "0004F2000011,{net}.1.11,vvx-11,,VVX 450,HQ,A-11\n"
                    "0004F2000013,{net}.1.13,vvx-13,,VVX 450,HQ,A-13\n"
                    "0004F2000014,{net}.1.14,vvx-14,,VVX 450,HQ,A-14\n"
                    "0004F2000030,{net}.1.30,vvx-30,,VVX 450,HQ,A-30\n");
}

std::set<std::string> keys_of(const json& object)
{
  std::set<std::string> keys;
  for (const auto& [key, value] : object.items()) {
    keys.insert(key);
  }
  return keys;
}

std::vector<std::string> lines_of(const std::string& text)
{
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

// The scan facts a JSONL report does not carry: what a document rebuilt from one leaves out.
const std::set<std::string> k_facts_jsonl_lacks = {"version",           "started_at",  "finished_at", "duration_s",
                                                   "arguments",         "ports",       "endpoints_planned",
                                                   "interrupted",       "failed",      "audit_settings",
                                                   "bundles",           "warnings"};

// Checks `rebuilt` (a JSON document written by `report`) against the scan's own `original`:
// everything equal but the scan section, whose differences are checked by the caller.
void check_same_document(const json& rebuilt, const json& original)
{
  CHECK(keys_of(rebuilt) == keys_of(original));
  CHECK(rebuilt.at("schema") == original.at("schema"));
  REQUIRE(rebuilt.at("records").size() == original.at("records").size());
  for (std::size_t i = 0; i < original.at("records").size(); ++i) {
    CAPTURE(i);
    CHECK(rebuilt.at("records")[i] == original.at("records")[i]);
  }
  CHECK(rebuilt.at("devices") == original.at("devices"));
  CHECK(rebuilt.at("summary") == original.at("summary"));
  CHECK(rebuilt.at("inventory_check") == original.at("inventory_check"));
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

// A JSONL record as fleetcert writes it (an error record needs no simulator).
const std::string k_refused_record =
    R"({"chain":[],"error":{"class":"refused","detail":"Connection refused","stage":"connect"},"status":"error",)"
    R"("target":{"ip":"127.0.0.1","port":443},"tls":{"connect_ms":0.125,"handshake_complete":false,)"
    R"("handshake_mode":"certificate-only","legacy_retry":false}})";

} // namespace

TEST_SUITE("integration.report")
{
  TEST_CASE("report rebuilds the scan's document, CSVs and metrics from its JSONL and from its JSON document")
  {
    const LoopbackBlock net;
    TempDir dir;
    FleetSimulator sim(FLEET_SIM_BINARY, dir, report_fleet(net));
    write_file(dir.file("inventory.csv"), report_inventory(net));
    const std::string ports = std::string(k_port_a) + "," + k_port_b;
    const auto scan = run_command({FLEETCERT_BINARY, "scan", net.address("1.1-21"), "--ports", ports, "--inventory",
                                   dir.file("inventory.csv"), "--timeout", "3", "--jsonl", dir.file("scan.jsonl"),
                                   "--json", dir.file("scan.json"), "--csv", dir.file("scan.csv"), "--csv-devices",
                                   dir.file("devices.csv"), "--prometheus", dir.file("scan.prom")},
                                  std::chrono::seconds(60));
    INFO("scan stderr: " << scan.err);
    REQUIRE(scan.status == 0);
    const json original = json::parse(read_file(dir.file("scan.json")));
    {
      INFO("the fleet shows what the rebuild must recompute");
      std::set<std::string> device_codes;
      for (const json& device : original.at("devices")) {
        const std::set<std::string> codes = finding_codes(device.at("findings"));
        device_codes.insert(codes.begin(), codes.end());
      }
      for (const char* code : {"shared-key", "not-answering", "not-in-inventory"}) {
        CAPTURE(code);
        CHECK(device_codes.count(code) == 1);
      }
      CHECK(original.at("inventory_check").at("not_answering").size() == 1);
      CHECK(original.at("inventory_check").at("not_in_inventory").size() == 3);
      CHECK(read_file(dir.file("scan.jsonl")).find("\"parsed\":false") != std::string::npos); // the Latin-1 CN
    }

    SUBCASE("from the JSONL: the same document but the scan facts a JSONL does not carry")
    {
      const auto r = run_command({FLEETCERT_BINARY, "report", dir.file("scan.jsonl"), "--json", dir.file("re.json"),
                                  "--jsonl", dir.file("re.jsonl"), "--csv", dir.file("re.csv"), "--csv-devices",
                                  dir.file("re-devices.csv"), "--prometheus", dir.file("re.prom")},
                                 std::chrono::seconds(60));
      INFO("report stderr: " << r.err);
      REQUIRE(r.status == 0);
      CHECK(r.err.empty());
      const json rebuilt = json::parse(read_file(dir.file("re.json")));
      check_same_document(rebuilt, original);
      // Every record reads back losslessly: the JSONL written again is the same, byte for byte.
      CHECK(read_file(dir.file("re.jsonl")) == read_file(dir.file("scan.jsonl")));
      CHECK(read_file(dir.file("re.csv")) == read_file(dir.file("scan.csv")));
      CHECK(read_file(dir.file("re-devices.csv")) == read_file(dir.file("devices.csv")));

      const json& scan_section = rebuilt.at("scan");
      const json& original_scan = original.at("scan");
      std::set<std::string> left_out;
      for (const std::string& key : keys_of(original_scan)) {
        if (scan_section.contains(key)) {
          CHECK(scan_section.at(key) == original_scan.at(key));
        } else {
          left_out.insert(key);
        }
      }
      CHECK(left_out == k_facts_jsonl_lacks);
      std::set<std::string> added = keys_of(scan_section);
      for (const std::string& key : keys_of(original_scan)) {
        added.erase(key);
      }
      CHECK(added == std::set<std::string>{"rebuilt_from"});
      const json& from = scan_section.at("rebuilt_from");
      CHECK(from.at("path") == dir.file("scan.jsonl"));
      CHECK(from.at("format") == "jsonl");
      CHECK(from.at("sha256") == fleetcert::sha256_hex_of(read_file(dir.file("scan.jsonl"))));
      CHECK(from.at("inventory").at("source") == "records");
      const auto unknown = from.at("unknown").get<std::set<std::string>>();
      CHECK(unknown == k_facts_jsonl_lacks);
      CHECK_FALSE(from.contains("partial_last_line"));

      // The metrics: the same but for the scan's own facts, plus when they were rebuilt.
      const std::vector<std::string> scan_lines = lines_of(read_file(dir.file("scan.prom")));
      const std::vector<std::string> rebuilt_lines = lines_of(read_file(dir.file("re.prom")));
      const std::set<std::string> scan_set(scan_lines.begin(), scan_lines.end());
      const std::set<std::string> rebuilt_set(rebuilt_lines.begin(), rebuilt_lines.end());
      for (const std::string& line : scan_lines) {
        if (rebuilt_set.count(line) == 0) {
          CAPTURE(line);
          const bool scan_fact = line.find("fleetcert_scan_info") != std::string::npos
                                 || line.find("fleetcert_scan_start_timestamp") != std::string::npos
                                 || line.find("fleetcert_scan_finish_timestamp") != std::string::npos
                                 || line.find("fleetcert_scan_duration") != std::string::npos
                                 || line.find("fleetcert_scan_interrupted") != std::string::npos
                                 || line.find("fleetcert_scan_failed") != std::string::npos
                                 || line.find("fleetcert_scan_endpoints_planned") != std::string::npos;
          CHECK(scan_fact);
        }
      }
      for (const std::string& line : rebuilt_lines) {
        if (scan_set.count(line) == 0) {
          CAPTURE(line);
          CHECK(line.find("fleetcert_report_rebuilt_timestamp_seconds") != std::string::npos);
        }
      }
    }

    SUBCASE("from the JSONL with --inventory: the cross-check from the file, the same result")
    {
      const auto r = run_command({FLEETCERT_BINARY, "report", dir.file("scan.jsonl"), "--inventory",
                                  dir.file("inventory.csv"), "--json", dir.file("re.json")},
                                 std::chrono::seconds(60));
      INFO("report stderr: " << r.err);
      REQUIRE(r.status == 0);
      const json rebuilt = json::parse(read_file(dir.file("re.json")));
      check_same_document(rebuilt, original);
      const json& inventory = rebuilt.at("scan").at("rebuilt_from").at("inventory");
      CHECK(inventory.at("source") == "inventory-option");
      CHECK(inventory.at("file") == dir.file("inventory.csv"));
      CHECK(inventory.at("sha256") == fleetcert::sha256_hex_of(read_file(dir.file("inventory.csv"))));
    }

    SUBCASE("from the JSON document: everything, the scan section included, plus rebuilt_from")
    {
      const auto r = run_command({FLEETCERT_BINARY, "report", dir.file("scan.json"), "--json", dir.file("re.json"),
                                  "--jsonl", dir.file("re.jsonl"), "--csv", dir.file("re.csv"), "--csv-devices",
                                  dir.file("re-devices.csv")},
                                 std::chrono::seconds(60));
      INFO("report stderr: " << r.err);
      REQUIRE(r.status == 0);
      json rebuilt = json::parse(read_file(dir.file("re.json")));
      check_same_document(rebuilt, original);
      const json from = rebuilt.at("scan").at("rebuilt_from");
      CHECK(from.at("format") == "json");
      CHECK(from.at("unknown") == json::array());
      rebuilt["scan"].erase("rebuilt_from");
      CHECK(rebuilt.at("scan") == original.at("scan"));
      CHECK(read_file(dir.file("re.jsonl")) == read_file(dir.file("scan.jsonl")));
      CHECK(read_file(dir.file("re.csv")) == read_file(dir.file("scan.csv")));
      CHECK(read_file(dir.file("re-devices.csv")) == read_file(dir.file("devices.csv")));
    }

    SUBCASE("from a JSONL without PEM chains (an older fleetcert's): shared-key cannot be recomputed, and it says so")
    {
      write_file(dir.file("no-pem.jsonl"), without_chain_pem(read_file(dir.file("scan.jsonl"))));
      const auto r = run_command({FLEETCERT_BINARY, "report", dir.file("no-pem.jsonl"), "--json", dir.file("re.json")},
                                 std::chrono::seconds(60));
      REQUIRE(r.status == 0);
      CHECK(r.err.find("records carry no PEM chain: shared-key (the same key in different certificates) cannot be "
                       "recomputed") != std::string::npos);
      std::set<std::string> device_codes;
      const json rebuilt = json::parse(read_file(dir.file("re.json")));
      for (const json& device : rebuilt.at("devices")) {
        const std::set<std::string> codes = finding_codes(device.at("findings"));
        device_codes.insert(codes.begin(), codes.end());
      }
      CHECK(device_codes.count("shared-key") == 0);
      CHECK(device_codes.count("not-in-inventory") == 1);
    }

    SUBCASE("from standard input")
    {
      const auto r = run_command({FLEETCERT_BINARY, "report", "-", "--jsonl", "-"}, std::chrono::seconds(60),
                                 read_file(dir.file("scan.jsonl")));
      INFO("report stderr: " << r.err);
      REQUIRE(r.status == 0);
      CHECK(r.out == read_file(dir.file("scan.jsonl")));
    }
  }

  TEST_CASE("a killed scan, --resume'd, then report of its JSONL equals the document of an uninterrupted scan")
  {
    const LoopbackBlock net;
    TempDir dir;
    json fleet;
    const json tls = {{"subject", "/CN={MAC}"}, {"key", {{"type", "ec"}}}};
    fleet["devices"] = json::array({
        {{"ip", net.address("1.1")}, {"mac", "0004F2000001"}, {"ports", {{k_port_a, tls}}}},
        {{"ip", net.address("1.2")}, {"mac", "0004F2000002"}, {"ports", {{k_port_a, tls}}}},
        {{"ip", net.address("1.3")}, {"mac", "0004F2000003"}, {"ports", {{k_port_a, tls}}}},
        {{"ip", net.address("1.5")}, {"mac", "0004F2000005"}, {"ports", {{k_port_a, tls}}}},
        {{"ip", net.address("1.6")}, {"ports", {{k_port_a, {{"behaviour", "tarpit"}}}}}},
    });
    FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet);
    // .4 is in the inventory but has no device (not-answering); .5 is not in the inventory.
    write_file(dir.file("inventory.csv"), net.expand("mac,ip,model\n0004F2000001,{net}.1.1,VVX 450\n"
                                                     "0004F2000002,{net}.1.2,VVX 450\n0004F2000003,{net}.1.3,VVX 450\n"
                                                     "0004F2000004,{net}.1.4,VVX 450\n"));
    // One endpoint at a time: the records complete in target order, in both scans; one "now" for
    // all (days_left would change when a run crosses a whole day since the certificates were made).
    const std::vector<std::string> common{FLEETCERT_BINARY, "scan",        net.address("1.1-6"),   "--ports",
                                          k_port_a,         "--inventory", dir.file("inventory.csv"), "--concurrency",
                                          "1",              "--now",       "2027-01-01T00:00:00Z"};

    const auto whole = run_command(with(common, {"--timeout", "2", "--json", dir.file("whole.json")}),
                                   std::chrono::seconds(60));
    INFO("uninterrupted scan: " << whole.err);
    REQUIRE(whole.status == 0);

    const std::string lines = dir.file("resumed.jsonl");
    auto count_lines = [&] {
      const std::string text = read_file(lines);
      return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    };
    {
      // Killed while the tarpit holds its (long) deadline: every other endpoint is done.
      ChildProcess scan(with(common, {"--timeout", "30", "--jsonl", lines}), dir.file("scan.out"), dir.file("scan.err"));
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while ((!std::filesystem::exists(lines) || count_lines() < 5) && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      REQUIRE(count_lines() == 5);
      scan.signal(SIGKILL);
      CHECK(scan.wait(std::chrono::seconds(5)) == 128 + SIGKILL);
    }
    const auto resumed = run_command(with(common, {"--timeout", "2", "--resume", lines}), std::chrono::seconds(60));
    INFO("resumed scan: " << resumed.err);
    REQUIRE(resumed.status == 0);

    const auto r = run_command({FLEETCERT_BINARY, "report", lines, "--json", dir.file("rebuilt.json")},
                               std::chrono::seconds(60));
    INFO("report: " << r.err);
    REQUIRE(r.status == 0);
    const json rebuilt = json::parse(read_file(dir.file("rebuilt.json")));
    const json original = json::parse(read_file(dir.file("whole.json")));
    REQUIRE(rebuilt.at("records").size() == 6);
    REQUIRE(original.at("records").size() == 6);
    for (std::size_t i = 0; i < 6; ++i) {
      CAPTURE(i);
      CHECK(without_timings(rebuilt.at("records")[i]) == without_timings(original.at("records")[i]));
    }
    CHECK(rebuilt.at("devices") == original.at("devices"));
    CHECK(rebuilt.at("summary") == original.at("summary"));
    CHECK(rebuilt.at("inventory_check") == original.at("inventory_check"));
    CHECK(rebuilt.at("inventory_check").at("not_answering") == json::array({net.address("1.4")}));
    CHECK(rebuilt.at("inventory_check").at("not_in_inventory") == json::array({net.address("1.5")}));
    CHECK(rebuilt.at("scan").at("endpoints_done") == 6);
  }

  TEST_CASE("a cut-off last line is refused unless --allow-partial, which skips it and says so")
  {
    TempDir dir;
    const std::string path = dir.file("killed.jsonl");
    write_file(path, k_refused_record + "\n" + k_refused_record.substr(0, 40));
    auto r = run_command({FLEETCERT_BINARY, "report", path, "--json", dir.file("out.json")}, std::chrono::seconds(10));
    CHECK(r.status == 2);
    CHECK(r.err.find(path + ":2: the last line is cut off") != std::string::npos);
    CHECK(r.err.find("--resume") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.file("out.json")));

    r = run_command({FLEETCERT_BINARY, "report", path, "--allow-partial", "--json", dir.file("out.json")},
                    std::chrono::seconds(10));
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.find("warning: " + path + ":2: the last line is cut off") != std::string::npos);
    const json document = json::parse(read_file(dir.file("out.json")));
    CHECK(document.at("records").size() == 1);
    CHECK(document.at("scan").at("rebuilt_from").at("partial_last_line") == 2);
    CHECK(document.at("scan").at("endpoints_done") == 1);
  }

  TEST_CASE("bad input is exit 2 with the file and line named, and nothing written")
  {
    TempDir dir;
    const std::string out = dir.file("out.json");
    auto report = [&](const std::string& input, std::vector<std::string> extra = {}) {
      std::vector<std::string> argv{FLEETCERT_BINARY, "report", input, "--json", out};
      argv.insert(argv.end(), extra.begin(), extra.end());
      return run_command(argv, std::chrono::seconds(10));
    };
    auto expect_error = [&](const CommandResult& r, const std::string& text) {
      CAPTURE(r.err);
      CHECK(r.status == 2);
      CHECK(r.err.find(text) != std::string::npos);
      CHECK_FALSE(std::filesystem::exists(out));
    };

    write_file(dir.file("notes.txt"), "hello, not a report\n");
    expect_error(report(dir.file("notes.txt")), "notes.txt: not a fleetcert report: parse error at byte 1 (line 1, column 1):");
    write_file(dir.file("cut.json"), "{\"schema\":\"fleetcert-scan/1\",\"records\":[\n" + k_refused_record + ",\n");
    expect_error(report(dir.file("cut.json")), "cut.json: not a fleetcert report: parse error at byte");
    expect_error(report(dir.file("missing.jsonl")), "cannot read report '" + dir.file("missing.jsonl") + "': No such file or directory");
    std::filesystem::create_directories(dir.file("folder"));
    expect_error(report(dir.file("folder")), "cannot read report '" + dir.file("folder") + "': Is a directory");
    write_file(dir.file("empty.jsonl"), "");
    expect_error(report(dir.file("empty.jsonl")), "empty.jsonl: empty: not a fleetcert report");

    json no_status = json::parse(k_refused_record);
    no_status.erase("status");
    write_file(dir.file("no-status.jsonl"), k_refused_record + "\n" + no_status.dump() + "\n");
    expect_error(report(dir.file("no-status.jsonl")), "no-status.jsonl:2: status is missing");

    json newer = json::parse(k_refused_record);
    newer["error"]["class"] = "quantum-decoherence";
    write_file(dir.file("newer.jsonl"), newer.dump() + "\n");
    expect_error(report(dir.file("newer.jsonl")),
                 "newer.jsonl:1: error.class 'quantum-decoherence' is unknown to this fleetcert (a report of a newer version?)");

    write_file(dir.file("bad-line.jsonl"), k_refused_record + "\n{\"chain\": oops}\n" + k_refused_record + "\n");
    expect_error(report(dir.file("bad-line.jsonl")), "bad-line.jsonl:2: not a fleetcert record: parse error at byte 11 (line 1, column 11):");

    // Found by fuzz_report_reader: a number beyond a double is nlohmann's out_of_range, not its
    // parse_error, and ended the program (exit 3 from the CLI, an abort from the library).
    write_file(dir.file("huge-number.jsonl"), k_refused_record + "\n{\"chain\": 1e999}\n");
    expect_error(report(dir.file("huge-number.jsonl")), "huge-number.jsonl:2: not a fleetcert record: number overflow parsing '1e999'");
    write_file(dir.file("huge-number.json"), "{\"schema\":\"fleetcert-scan/1\",\"x\":-1e999,\"records\":[]}\n");
    expect_error(report(dir.file("huge-number.json")), "huge-number.json: not a fleetcert report: number overflow parsing '-1e999'");

    write_file(dir.file("doc-bad-record.json"), "{\"schema\":\"fleetcert-scan/1\",\"records\":[\n" + k_refused_record + ",\n"
                                                    + no_status.dump() + "\n]}\n");
    expect_error(report(dir.file("doc-bad-record.json")), "doc-bad-record.json:3: record 2: status is missing");
    write_file(dir.file("newer-schema.json"), "{\"schema\":\"fleetcert-scan/2\",\"records\":[]}\n");
    expect_error(report(dir.file("newer-schema.json")), "schema 'fleetcert-scan/2'");

    write_file(dir.file("ok.jsonl"), k_refused_record + "\n");
    expect_error(report(dir.file("ok.jsonl"), {"--jsonl", dir.file("ok.jsonl")}), "--jsonl");
    expect_error(run_command({FLEETCERT_BINARY, "report", dir.file("ok.jsonl")}, std::chrono::seconds(10)),
                 "nothing to write");
    expect_error(report(dir.file("ok.jsonl"), {"--prometheus", dir.file("metrics.txt")}), "must end in .prom");
    expect_error(report(dir.file("ok.jsonl"), {"--inventory", dir.file("no-inventory.csv")}), "no-inventory.csv");
    CHECK(read_file(dir.file("ok.jsonl")) == k_refused_record + "\n");
  }

  TEST_CASE("[report] of a --config file gives the report and the outputs, paths relative to the file")
  {
    TempDir dir;
    std::filesystem::create_directories(dir.file("etc"));
    write_file(dir.file("etc/in.jsonl"), k_refused_record + "\n");
    write_file(dir.file("etc/site.toml"), "[scan]\nports = [443]\n[report]\nreport = \"in.jsonl\"\njsonl = \"again.jsonl\"\n"
                                          "csv = \"again.csv\"\n");
    auto r = run_command({FLEETCERT_BINARY, "report", "--config", dir.file("etc/site.toml")}, std::chrono::seconds(10));
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(read_file(dir.file("etc/again.jsonl")) == k_refused_record + "\n");
    CHECK(std::filesystem::exists(dir.file("etc/again.csv")));
    // The command line wins: another output, the file's others still apply.
    r = run_command({FLEETCERT_BINARY, "report", "--config", dir.file("etc/site.toml"), "--jsonl", dir.file("cli.jsonl")},
                    std::chrono::seconds(10));
    REQUIRE(r.status == 0);
    CHECK(read_file(dir.file("cli.jsonl")) == k_refused_record + "\n");
    write_file(dir.file("etc/typo.toml"), "[report]\njsnl = \"x.jsonl\"\n");
    r = run_command({FLEETCERT_BINARY, "report", "--config", dir.file("etc/typo.toml"), dir.file("etc/in.jsonl")},
                    std::chrono::seconds(10));
    CHECK(r.status == 2);
    CHECK(r.err.find("typo.toml:2: unknown key 'jsnl'") != std::string::npos);
  }

  TEST_CASE("a key this version does not know is left out with a warning, and a write failure is exit 3")
  {
    TempDir dir;
    json newer = json::parse(k_refused_record);
    newer["tls"]["quic"] = true;
    write_file(dir.file("newer.jsonl"), newer.dump() + "\n");
    auto r = run_command({FLEETCERT_BINARY, "report", dir.file("newer.jsonl"), "--jsonl", dir.file("out.jsonl")},
                         std::chrono::seconds(10));
    CHECK(r.status == 0);
    CHECK(r.err.find("newer.jsonl:1: key 'tls.quic' is unknown to this fleetcert") != std::string::npos);
    CHECK(read_file(dir.file("out.jsonl")) == k_refused_record + "\n");

    r = run_command({FLEETCERT_BINARY, "report", dir.file("newer.jsonl"), "--jsonl", "/dev/full"}, std::chrono::seconds(10));
    CHECK(r.status == 3);
    CHECK(r.err.find("/dev/full") != std::string::npos);
  }
}
