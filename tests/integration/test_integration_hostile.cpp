// End-to-end against hostile devices (issue #6): the real fleetcert binary scans
// tests/fleets/hostile.json, played by the real fleet-sim on a loopback block (the file's
// 127.97.0.0/24 moved there), in one scan at concurrency 512 with a 3 s deadline. Every endpoint
// must yield exactly one record, with the right status and error class, within its deadline; the
// reports must stay well-formed.
//
//   fleet-sim (hostile.json, 443->26443, 5061->29061) <── fleetcert scan x.0.0/24 ──> JSON, CSV
//   truth file ──────────────────────────────────────────> checked record by record

#include "support/cert_factory.hpp"
#include "support/fleet_simulator.hpp"
#include "support/csv_parse.hpp"
#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/report_json.hpp"
#include "support/timing.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace fleetcert::testing;
using nlohmann::json;

namespace {

constexpr double k_timeout_ms = 3000.0;

using Rows = std::vector<std::vector<std::string>>;


// Each byte as the code point of the same value, in UTF-8.
std::string latin1_to_utf8(const std::vector<unsigned char>& bytes)
{
  std::string text;
  for (const unsigned char byte : bytes) {
    if (byte < 0x80) {
      text += static_cast<char>(byte);
    } else {
      text += static_cast<char>(0xC0 | byte >> 6);
      text += static_cast<char>(0x80 | (byte & 0x3F));
    }
  }
  return text;
}

std::string endpoint_key(const json& ip, const json& port)
{
  return ip.get<std::string>() + ":" + std::to_string(port.get<int>());
}

std::map<std::string, json> records_by_endpoint(const json& report)
{
  std::map<std::string, json> records;
  for (const auto& r : report.at("records")) {
    const auto k = endpoint_key(r.at("target").at("ip"), r.at("target").at("port"));
    CHECK_MESSAGE(records.count(k) == 0, "duplicate record for " << k);
    records[k] = r;
  }
  return records;
}

std::vector<std::string> chain_of(const json& record)
{
  std::vector<std::string> chain;
  for (const auto& c : record.at("chain")) {
    chain.push_back(c.at("sha256"));
  }
  return chain;
}

// Checks one endpoint's record against its truth entry: status and error class by behaviour,
// fingerprints for every endpoint that presents a certificate.
void check_endpoint(const json& record, const json& truth)
{
  const std::string behaviour = truth.value("behaviour", "tls");
  CAPTURE(behaviour);
  CHECK(spent_ms(record) <= k_timeout_ms + k_late_ms);
  if (truth.contains("leaf_sha256")) {
    REQUIRE(record.at("status") == "ok");
    CHECK(record.at("leaf").at("sha256") == truth.at("leaf_sha256"));
    CHECK(chain_of(record) == truth.at("chain_sha256").get<std::vector<std::string>>());
    if (!record.at("leaf").at("parsed").get<bool>()) {
      CHECK_FALSE(record.at("leaf").value("parse_error", "").empty());
    }
    return;
  }
  CHECK(record.at("status") == "error");
  const std::string error_class = record.at("error").at("class");
  if (behaviour == "tarpit" || behaviour == "drip") {
    CHECK(error_class == "timeout");
  } else if (behaviour == "garbage" || behaviour == "http") {
    CHECK(error_class == "not-tls");
  } else if (behaviour == "alert") {
    CHECK(error_class == "tls-alert");
  } else if (behaviour == "close" || behaviour == "reset" || behaviour == "reset-mid") {
    CHECK(error_class == "reset");
  } else {
    FAIL("behaviour without an expectation: " << behaviour);
  }
}

} // namespace

TEST_SUITE("integration.hostile")
{
  TEST_CASE("every misbehaving device and extreme certificate in one scan at concurrency 512")
  {
    const LoopbackBlock net;
    TempDir dir;
    const json fleet = relocate_fleet(
        json::parse(read_file(std::string(FLEETCERT_SOURCE_DIR) + "/tests/fleets/hostile.json")), "127.97", net);
    FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet, {"--port-map", "443:26443", "--port-map", "5061:29061"});
    const json& truth = sim.truth();
    auto scan = [&](const std::string& name, std::vector<std::string> extra) {
      std::vector<std::string> argv{FLEETCERT_BINARY, "scan", net.address("0.0/24"), "--ports", "26443,29061",
                                    "--concurrency", "512", "--timeout", "3", "--json", dir.file(name + ".json"),
                                    "--csv", dir.file(name + ".csv"), "--csv-devices", dir.file(name + "-devices.csv")};
      argv.insert(argv.end(), extra.begin(), extra.end());
      return run_command(argv, std::chrono::seconds(120));
    };

    // The baseline: everything but the device whose two endpoints (tarpit, drip) hold their
    // deadlines, one after the other (one connection per device at a time).
    const auto baseline = scan("baseline", {"--exclude", net.address("0.10")});
    REQUIRE(baseline.status == 0);
    const auto result = scan("scan", {"--jsonl", dir.file("scan.jsonl")});
    INFO("stderr: " << result.err);
    REQUIRE(result.status == 0);
    // No endpoint outlives its deadline and the rest runs alongside: the scan takes the baseline
    // and those two deadlines, with room for a loaded machine. An engine that waits for one more
    // deadline anywhere (or runs the slow endpoints one after the other with everything else)
    // exceeds it by seconds.
    CAPTURE(baseline.seconds);
    CHECK(result.seconds <= 1.5 * baseline.seconds + 2 * k_timeout_ms / 1000 + k_late_ms / 1000);

    // The JSON document parses and holds exactly one record per endpoint.
    const json report = json::parse(read_file(dir.file("scan.json")));
    std::map<std::string, json> records = records_by_endpoint(report);
    CHECK(records.size() == 256 * 2);
    CHECK(report.at("scan").at("interrupted") == false);

    std::map<std::string, json> truth_by_endpoint;
    for (const auto& t : truth.at("endpoints")) {
      truth_by_endpoint[endpoint_key(t.at("ip"), t.at("port"))] = t;
    }
    for (const auto& [k, t] : truth_by_endpoint) {
      CAPTURE(k);
      REQUIRE(records.count(k) == 1);
      check_endpoint(records[k], t);
    }
    // Every address without a listener is refused.
    for (const auto& [k, r] : records) {
      if (truth_by_endpoint.count(k) == 0) {
        CAPTURE(k);
        CHECK(r.at("error").at("class") == "refused");
      }
    }

    {
      INFO("drip does not complete: the total deadline holds, not a per-read idle timer");
      const json& drip = records.at(net.address("0.10:29061"));
      CHECK(drip.at("status") == "error");
      CHECK(drip.at("error").at("class") == "timeout");
      CHECK(drip.at("tls").at("handshake_complete") == false);
      // At its deadline: not before (a timer armed too short), not a timeout later.
      CHECK(spent_ms(drip) >= k_timeout_ms - k_deadline_lead_ms);
      CHECK(spent_ms(drip) <= k_timeout_ms + k_late_ms);
      const json& tarpit = records.at(net.address("0.10:26443"));
      CHECK(spent_ms(tarpit) >= k_timeout_ms - k_deadline_lead_ms);
      CHECK(spent_ms(tarpit) <= k_timeout_ms + k_late_ms);
    }

    {
      INFO("a 100 KB chain of 62 certificates arrives whole");
      const json& t = truth_by_endpoint.at(net.address("0.20:26443"));
      CHECK(t.at("chain_bytes").get<std::size_t>() >= 100 * 1000);
      const json& r = records.at(net.address("0.20:26443"));
      CHECK(r.at("chain").size() == 62);
      CHECK(chain_of(r) == t.at("chain_sha256").get<std::vector<std::string>>());
    }

    {
      INFO("64 KB of SANs: all of them, or said to be truncated");
      const json& t = truth_by_endpoint.at(net.address("0.20:29061"));
      const json& leaf = records.at(net.address("0.20:29061")).at("leaf");
      REQUIRE(leaf.at("parsed") == true);
      CHECK((leaf.value("san_truncated", false) || leaf.at("san").size() == t.at("san_count").get<std::size_t>()));
      CHECK(leaf.at("san").at(0) == "DNS:n00001.san-bytes.example");
    }

    {
      INFO("no subject at all");
      const json& leaf = records.at(net.address("0.21:26443")).at("leaf");
      REQUIRE(leaf.at("parsed") == true);
      CHECK(leaf.at("subject") == "");
      CHECK_FALSE(leaf.contains("cn"));
      CHECK(records.at(net.address("0.21:26443")).at("assessment").at("cn_class") == "none");
    }

    {
      INFO("a NUL byte inside the CN is kept, not cut");
      const json& leaf = records.at(net.address("0.21:29061")).at("leaf");
      REQUIRE(leaf.at("parsed") == true);
      CHECK(leaf.at("cn") == std::string("a\0b\0", 4));
    }

    {
      INFO("bytes that are not UTF-8: unparseable in a UTF8String, *_hex siblings otherwise");
      const json& utf8 = records.at(net.address("0.22:26443")).at("leaf");
      CHECK(utf8.at("parsed") == false);
      CHECK_FALSE(utf8.at("parse_error").get<std::string>().empty());
      CHECK(utf8.at("sha256") == truth_by_endpoint.at(net.address("0.22:26443")).at("leaf_sha256"));
      // T61String and IA5String are not checked by OpenSSL: the CN holds the raw bytes.
      for (const std::string& k : {net.address("0.26:26443"), net.address("0.26:29061")}) {
        CAPTURE(k);
        const json& leaf = records.at(k).at("leaf");
        REQUIRE(leaf.at("parsed") == true);
        const std::string raw_hex = truth_by_endpoint.at(k).at("subject_raw_cn_hex");
        if (leaf.contains("cn_hex")) {
          CHECK(leaf.at("cn_hex") == raw_hex);
        } else {
          // Decoded as Latin-1 (one byte per character) into UTF-8 instead: nothing lost.
          CHECK(leaf.at("cn") == latin1_to_utf8(from_hex(raw_hex)));
        }
      }
    }

    {
      INFO("validity from 1950 to 9999");
      const json& leaf = records.at(net.address("0.22:29061")).at("leaf");
      REQUIRE(leaf.at("parsed") == true);
      CHECK(leaf.at("not_before") == "1950-01-01T00:00:00Z");
      CHECK(leaf.at("not_after") == "9999-12-31T23:59:59Z");
    }

    {
      INFO("negative and 40-byte serials");
      const json& negative = records.at(net.address("0.23:26443")).at("leaf");
      REQUIRE(negative.at("parsed") == true);
      CHECK(negative.at("serial") == "-1a2b3c");
      const json& long_serial = records.at(net.address("0.23:29061")).at("leaf");
      REQUIRE(long_serial.at("parsed") == true);
      std::string expected = "7f";
      for (int i = 0; i < 39; ++i) {
        expected += "a5";
      }
      CHECK(long_serial.at("serial") == expected);
    }

    {
      INFO("an unknown signature algorithm OID: presented, fingerprinted, not labelled");
      for (const std::string& k : {net.address("0.24:26443"), net.address("0.24:29061")}) {
        CAPTURE(k);
        const json& t = truth_by_endpoint.at(k);
        const json& leaf = records.at(k).at("leaf");
        CHECK(leaf.at("sha256") == t.at("leaf_sha256"));
        if (leaf.at("parsed").get<bool>()) {
          CHECK(leaf.at("signature").value("label", "") != "RSA+SHA256");
          CHECK(leaf.at("signature").value("label", "") != "ECDSA+SHA256");
          CHECK(leaf.at("signature").value("algorithm", "") == t.at("signature_oid"));
        }
      }
    }

    {
      INFO("RSA-512");
      for (const std::string& k : {net.address("0.25:26443"), net.address("0.25:29061")}) {
        CAPTURE(k);
        const json& leaf = records.at(k).at("leaf");
        REQUIRE(leaf.at("parsed") == true);
        CHECK(leaf.at("key").at("type") == "RSA");
        CHECK(leaf.at("key").at("bits") == 512);
      }
      CHECK(records.at(net.address("0.25:29061")).at("leaf").at("signature").at("label") == "RSA+MD5");
    }

    {
      INFO("the CSV report parses back, one row per endpoint");
      Rows rows;
      REQUIRE(parse_csv_strict(read_file(dir.file("scan.csv")), rows));
      REQUIRE(rows.size() == 1 + records.size());
      const std::vector<std::string>& header = rows.front();
      const auto column = [&](const std::string& name) {
        return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
      };
      const std::size_t ip = column("ip"), port = column("port"), sha256 = column("sha256");
      REQUIRE(ip < header.size());
      REQUIRE(port < header.size());
      REQUIRE(sha256 < header.size());
      std::set<std::string> seen;
      std::map<std::string, std::vector<std::string>> by_endpoint;
      for (std::size_t i = 1; i < rows.size(); ++i) {
        REQUIRE(rows[i].size() == header.size());
        const std::string k = rows[i][ip] + ":" + rows[i][port];
        CAPTURE(k);
        CHECK(seen.insert(k).second);
        REQUIRE(records.count(k) == 1);
        if (records[k].at("status") == "ok") {
          CHECK(rows[i][sha256] == records[k].at("leaf").at("sha256"));
        }
        by_endpoint[k] = rows[i];
      }

      INFO("bidirectional controls are escaped as on the terminal, formulas neutralised");
      const auto cell = [&](const std::string& k, const std::string& name) {
        REQUIRE(by_endpoint.count(k) == 1);
        REQUIRE(column(name) < header.size());
        return by_endpoint.at(k)[column(name)];
      };
      const std::string rlo = net.address("0.27:26443");
      CHECK(cell(rlo, "cn") == "'=HYPERLINK(\"http://x\")\\u{202e}gpj.exe");
      CHECK(cell(rlo, "subject").find("\\u{202e}proC liveE\\u{202c}") != std::string::npos);
      CHECK(cell(rlo, "subject").find("\\u{2066}cmd\\u{2069}") != std::string::npos);
      CHECK(cell(rlo, "issuer") == cell(rlo, "subject")); // self-issued: the same hostile name
      const std::string isolates = net.address("0.27:29061");
      CHECK(cell(isolates, "cn") == "'-\\u{202e}1+2");
      for (const char* escape : {"\\u{200e}", "\\u{200f}", "\\u{61c}", "\\u{2067}", "\\u{2068}", "\\u{202a}",
                                 "\\u{202b}", "\\u{202d}", "\\u{2028}", "\\u{2029}"}) {
        CAPTURE(escape);
        CHECK(cell(isolates, "subject").find(escape) != std::string::npos);
      }
    }

    {
      INFO("the device CSV parses back, one row per device, every row as wide as the header");
      Rows rows;
      REQUIRE(parse_csv_strict(read_file(dir.file("scan-devices.csv")), rows));
      REQUIRE(rows.size() >= 2);
      const std::vector<std::string>& header = rows.front();
      const auto column = static_cast<std::size_t>(std::find(header.begin(), header.end(), "cn") - header.begin());
      REQUIRE(column < header.size());
      std::map<std::string, std::vector<std::string>> by_ip;
      for (std::size_t i = 1; i < rows.size(); ++i) {
        REQUIRE(rows[i].size() == header.size());
        by_ip[rows[i][0]] = rows[i];
      }
      // Every address that presented a certificate is a device (refused addresses are not).
      std::set<std::string> answering;
      for (const auto& [k, r] : records) {
        if (r.at("status") == "ok") {
          answering.insert(r.at("target").at("ip").get<std::string>());
        }
      }
      for (const std::string& address : answering) {
        CHECK(by_ip.count(address) == 1);
      }
      // .27's CN is one of its two certificates' (whichever expires first), escaped and neutralised.
      REQUIRE(by_ip.count(net.address("0.27")) == 1);
      const std::string cn = by_ip.at(net.address("0.27"))[column];
      CHECK((cn == "'=HYPERLINK(\"http://x\")\\u{202e}gpj.exe" || cn == "'-\\u{202e}1+2"));
    }

    {
      INFO("no raw bidirectional control survives in either CSV; Python's csv module agrees on the shape");
      static constexpr const char* k_raw[] = {"\xD8\x9C", "\xE2\x80\x8E", "\xE2\x80\x8F", "\xE2\x80\xA8",
                                              "\xE2\x80\xA9", "\xE2\x80\xAA", "\xE2\x80\xAB", "\xE2\x80\xAC",
                                              "\xE2\x80\xAD", "\xE2\x80\xAE", "\xE2\x81\xA6", "\xE2\x81\xA7",
                                              "\xE2\x81\xA8", "\xE2\x81\xA9"};
      for (const std::string file : {"scan.csv", "scan-devices.csv"}) {
        const std::string text = read_file(dir.file(file));
        for (const char* raw : k_raw) {
          CAPTURE(file);
          CHECK(text.find(raw) == std::string::npos);
        }
      }
      // A second, independent reader: every row as wide as its header, valid UTF-8, no bidi
      // control, no cell a spreadsheet would evaluate (a leading '-' only on a number of ours).
      const std::string script = R"(
import csv, re, sys
bidi = {chr(c) for c in [0x061C, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]}
for path in sys.argv[1:]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, strict=True))
    for number, row in enumerate(rows, 1):
        if len(row) != len(rows[0]):
            sys.exit(f"{path}:{number}: {len(row)} cells, the header has {len(rows[0])}")
        for cell in row:
            if bidi & set(cell):
                sys.exit(f"{path}:{number}: raw bidi control in {cell!r}")
            if cell[:1] in ("=", "+", "@") or (cell[:1] == "-" and not re.fullmatch(r"-\d+(\.\d+)?", cell)):
                sys.exit(f"{path}:{number}: formula {cell!r}")
    print(f"{len(rows) - 1} rows of {len(rows[0])} columns")
)";
      const auto python = run_command({"/usr/bin/env", "python3", "-c", script, dir.file("scan.csv"),
                                       dir.file("scan-devices.csv")},
                                      std::chrono::seconds(60));
      INFO("python3: " << python.out << python.err);
      CHECK(python.status == 0);
      CHECK(python.out.find(std::to_string(records.size()) + " rows of ") == 0);
    }

    {
      INFO("fleetcert report reads every hostile record back losslessly: the JSONL written again is the same byte "
           "for byte, and so are the document's records, devices, summary and the CSVs");
      const auto rebuilt = run_command({FLEETCERT_BINARY, "report", dir.file("scan.jsonl"), "--jsonl",
                                        dir.file("re.jsonl"), "--json", dir.file("re.json"), "--csv", dir.file("re.csv"),
                                        "--csv-devices", dir.file("re-devices.csv")},
                                       std::chrono::seconds(120));
      INFO("stderr: " << rebuilt.err);
      REQUIRE(rebuilt.status == 0);
      CHECK(read_file(dir.file("re.jsonl")) == read_file(dir.file("scan.jsonl")));
      CHECK(read_file(dir.file("re.csv")) == read_file(dir.file("scan.csv")));
      CHECK(read_file(dir.file("re-devices.csv")) == read_file(dir.file("scan-devices.csv")));
      const json document = json::parse(read_file(dir.file("re.json")));
      CHECK(document.at("records") == report.at("records"));
      CHECK(document.at("devices") == report.at("devices"));
      CHECK(document.at("summary") == report.at("summary"));
      CHECK(document.at("inventory_check") == report.at("inventory_check"));
    }
  }
}
