// The CSV reports an engineer acts on (issue 12), end to end: a scan of a simulated fleet with an
// inventory, a DHCP lease file, a name that does not resolve and a fixed --now writes the JSON
// document, the endpoint CSV and the device CSV; every new column must say what the JSON says of
// the same endpoint or device (vendor, model, site, CN, not_after, validity, days left, the worst
// finding), and the host name must follow its precedence (inventory, lease, name scanned).
//
//   fleet-sim (.1-.6 on two ports) <── fleetcert scan --inventory --dhcp-leases nothing.invalid localhost --now
//                                         ├─> scan.json ─────────┐
//                                         ├─> endpoints.csv ─────┼─> compared cell by cell
//                                         └─> devices.csv ───────┘

#include "support/csv_parse.hpp"
#include "support/fleet_simulator.hpp"
#include "support/loopback.hpp"
#include "support/process.hpp"

#include "scanner/util/time.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>
#include <tuple>
#include <map>
#include <string>
#include <vector>

using namespace fleetcert::testing;
using nlohmann::json;

namespace {

constexpr const char* k_https = "21443";
constexpr const char* k_sip = "21061";
constexpr std::int64_t k_day = 86'400;

using Row = std::map<std::string, std::string>;

std::vector<Row> csv_rows(const std::string& text)
{
  CsvRows rows;
  REQUIRE(parse_csv_strict(text, rows));
  REQUIRE_FALSE(rows.empty());
  std::vector<Row> out;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    REQUIRE(rows[i].size() == rows[0].size());
    Row row;
    for (std::size_t c = 0; c < rows[0].size(); ++c) {
      row[rows[0][c]] = rows[i][c];
    }
    out.push_back(std::move(row));
  }
  return out;
}

// Text from outside (inventory, certificate) as the CSV writes it: a leading = + - @ gets a quote.
std::string as_cell(const std::string& text)
{
  return !text.empty() && std::string("=+-@").find(text.front()) != std::string::npos ? "'" + text : text;
}

std::string text_at(const json& object, const std::string& key)
{
  return object.is_object() && object.contains(key) && object[key].is_string() ? object[key].get<std::string>()
                                                                                 : std::string();
}

int severity_rank(const json& finding)
{
  static const std::map<std::string, int> k_ranks = {
      {"info", 0}, {"low", 1}, {"medium", 2}, {"high", 3}, {"critical", 4}};
  return k_ranks.at(finding.at("severity").get<std::string>());
}

bool fleet_wide(const std::string& code)
{
  return code == "shared-certificate" || code == "shared-key" || code == "not-answering" || code == "not-in-inventory";
}

// The findings worst first as the README documents: severity, then code, message, remediation.
std::vector<json> worst_first(const json& findings, bool without_fleet_wide)
{
  std::vector<json> sorted;
  for (const json& finding : findings) {
    if (!without_fleet_wide || !fleet_wide(finding.at("code"))) {
      sorted.push_back(finding);
    }
  }
  std::stable_sort(sorted.begin(), sorted.end(), [](const json& a, const json& b) {
    if (severity_rank(a) != severity_rank(b)) {
      return severity_rank(a) > severity_rank(b);
    }
    return std::tuple(text_at(a, "code"), text_at(a, "message"), text_at(a, "remediation")) <
           std::tuple(text_at(b, "code"), text_at(b, "message"), text_at(b, "remediation"));
  });
  return sorted;
}

// Whole days from `now` to an ISO 8601 instant, rounded down (negative once past).
std::string days_between(std::int64_t now, const std::string& not_after)
{
  const auto at = fleetcert::parse_iso8601(not_after);
  REQUIRE(at.has_value());
  const std::int64_t left = *at - now;
  return std::to_string(left >= 0 ? left / k_day : -((-left + k_day - 1) / k_day));
}

std::string iso8601(std::int64_t t)
{
  const std::time_t time = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&time, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

json one_port(const std::string& ip, const std::string& mac, const std::string& port, json spec)
{
  return {{"ip", ip}, {"mac", mac}, {"ports", {{port, std::move(spec)}}}};
}

json csv_fleet(const LoopbackBlock& net)
{
  const json rsa2048 = {{"type", "rsa"}, {"bits", 2048}};
  const json p256 = {{"type", "ec"}, {"curve", "P-256"}};
  json fleet;
  fleet["cas"] = json::array({
      ca("gs-rsa", "/C=US/ST=Massachusetts/L=Boston/O=Grandstream Networks, Inc./CN=Grandstream Device CA", rsa2048,
         "sha256"),
      ca("gigaset", "/C=DE/ST=Germany/L=Bocholt/O=Gigaset Communications GmbH/OU=Certificate Authority/CN=Gigaset.net",
         rsa2048, "sha256"),
  });
  json expired = cert("/CN={MAC}", p256, "sha256", "self");
  expired["valid_from_days"] = -800;
  expired["valid_days"] = 700; // ended 100 days ago
  json expiring = cert("/CN=sip-{MAC}", p256, "sha256", "self");
  expiring["valid_from_days"] = -300;
  expiring["valid_days"] = 310; // ends in 10 days: 8 days after --now
  fleet["devices"] = json::array({
      {{"ip", net.address("0.1")},
       {"mac", "000B82000001"},
       {"ports",
        {{k_https, cert("/CN={MAC}", rsa2048, "sha256", "gs-rsa")}, {k_sip, cert("/CN={MAC}", rsa2048, "sha256", "gs-rsa")}}}},
      one_port(net.address("0.2"), "0004F2000002", k_https, cert("/CN={MAC}", p256, "sha256", "self")), // SIP refused
      {{"ip", net.address("0.3")}, {"mac", "0004F2000003"}, {"ports", {{k_https, expired}, {k_sip, expiring}}}},
      one_port(net.address("0.4"), "805EC0000004", k_https, cert("/CN={MAC}", p256, "sha256", "self")),
      one_port(net.address("0.5"), "805EC0000005", k_https, json{{"same_as", net.address("0.4:") + k_https}}),
      one_port(net.address("0.6"), "7C2F80000006", k_sip,
               cert("/CN=Einstein2", {{"type", "rsa"}, {"bits", 1024}}, "sha1", "gigaset")),
  });
  return fleet;
}

} // namespace

TEST_SUITE("integration.csv_reports")
{
  TEST_CASE("the new CSV columns say what the JSON document says of the same scan")
  {
    const LoopbackBlock net;
    TempDir dir;
    FleetSimulator sim(FLEET_SIM_BINARY, dir, csv_fleet(net));

    // .4 has no host name in the inventory (the lease's fills it); .5 is known from its lease only;
    // .1's lease names it too, but the inventory's name wins; .7 never answers; 127.0.0.1 is scanned
    // as "localhost" (nothing of this test listens there) and its inventory row names it otherwise.
    write_file(dir.file("inventory.csv"), net.expand("mac,ip,hostname,vendor,model,site\n"
                                                     "000B82000001,{net}.0.1,gs-1,,GXP2170,HQ\n"
                                                     "0004F2000002,{net}.0.2,vvx-2,,VVX 450,=Branch\n"
                                                     "0004F2000003,{net}.0.3,vvx-3,,VVX 450,HQ\n"
                                                     "805EC0000004,{net}.0.4,,Yealink,T54W,HQ\n"
                                                     "7C2F80000006,{net}.0.6,n670-6,,N670,Branch\n"
                                                     "0004F2000007,{net}.0.7,vvx-off,,VVX 450,HQ\n"
                                                     "0004F2000008,127.0.0.1,inventory-name,,VVX 450,HQ\n"));
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr)) + 2 * k_day;
    const std::string lease_end = std::to_string(now + 10 * k_day);
    write_file(dir.file("dnsmasq.leases"),
               net.expand(lease_end + " 80:5e:c0:00:00:04 {net}.0.4 t54-lease-4 *\n" + lease_end +
                          " 80:5e:c0:00:00:05 {net}.0.5 t54-lease-5 *\n" + lease_end +
                          " 00:0b:82:00:00:01 {net}.0.1 lease-name-of-gs-1 *\n"));

    const std::string now_text = iso8601(now);
    const auto result = run_command({FLEETCERT_BINARY, "scan", "nothing.invalid", "localhost", "--inventory", dir.file("inventory.csv"),
                                     "--dhcp-leases", dir.file("dnsmasq.leases"), "--ports",
                                     std::string(k_https) + "," + k_sip, "--timeout", "3", "--now", now_text, "--json",
                                     dir.file("scan.json"), "--csv", dir.file("endpoints.csv"), "--csv-devices",
                                     dir.file("devices.csv")},
                                    std::chrono::seconds(60));
    INFO("stderr: " << result.err);
    REQUIRE(result.status == 0);
    const json report = json::parse(read_file(dir.file("scan.json")));

    std::map<std::string, json> records; // "address:port"
    for (const json& record : report.at("records")) {
      const json& target = record.at("target");
      const std::string address = target.contains("ip") ? text_at(target, "ip") : text_at(target, "host");
      records[address + ":" + std::to_string(target.at("port").get<int>())] = record;
    }
    // Nine targets on two ports (localhost may add ::1).
    REQUIRE(records.size() >= 9 * 2);
    REQUIRE(records.count("127.0.0.1:" + std::string(k_https)) == 1);

    SUBCASE("the endpoint CSV")
    {
      const std::vector<Row> rows = csv_rows(read_file(dir.file("endpoints.csv")));
      REQUIRE(rows.size() == records.size());
      std::map<std::string, Row> by_endpoint;
      for (const Row& row : rows) {
        const std::string address = row.at("ip").empty() ? row.at("host") : row.at("ip");
        const std::string key = address + ":" + row.at("port");
        CAPTURE(key);
        REQUIRE(records.count(key) == 1);
        by_endpoint[key] = row;
        const json& record = records.at(key);
        const json inventory = record.value("inventory", json::object());
        const bool ok = record.at("status") == "ok";
        const json assessment = record.value("assessment", json::object());
        const json leaf = record.value("leaf", json::object());

        CHECK(row.at("host_name") ==
              as_cell(!text_at(inventory, "hostname").empty() ? text_at(inventory, "hostname")
                                                              : text_at(record.at("target"), "host")));
        CHECK(row.at("model") == as_cell(text_at(inventory, "model")));
        CHECK(row.at("site") == as_cell(text_at(inventory, "site")));
        if (!ok) {
          CHECK(row.at("cn") == "");
          CHECK(row.at("worst_finding") == "");
          continue;
        }
        CHECK(row.at("vendor") == as_cell(text_at(assessment.value("vendor", json::object()), "name")));
        CHECK(row.at("cn") == as_cell(text_at(leaf, "cn")));
        CHECK(row.at("not_after") == text_at(leaf, "not_after"));
        CHECK(row.at("validity") == text_at(assessment, "validity"));
        CHECK(row.at("days_left") == std::to_string(assessment.at("days_left").get<std::int64_t>()));
        CHECK(row.at("days_left") == days_between(now, text_at(leaf, "not_after"))); // from --now
        // The endpoint CSV is written as endpoints complete: the endpoint's own findings, without
        // the fleet-wide ones the JSON document adds at the end.
        const std::vector<json> own = worst_first(assessment.at("findings"), true);
        std::string codes;
        for (const json& finding : own) {
          codes += (codes.empty() ? "" : ";") + text_at(finding, "code");
        }
        CHECK(row.at("findings") == codes);
        if (own.empty()) {
          CHECK(row.at("worst_finding") == "");
          CHECK(row.at("worst_severity") == "");
        } else {
          CHECK(row.at("worst_finding") == text_at(own.front(), "code"));
          CHECK(row.at("worst_severity") == text_at(own.front(), "severity"));
          CHECK(row.at("worst_message") == as_cell(text_at(own.front(), "message")));
          CHECK(row.at("worst_remediation") == as_cell(text_at(own.front(), "remediation")));
        }
      }

      // What each column must say here, beyond agreeing with the JSON.
      const auto at = [&](const std::string& rest, const char* port) -> const Row& {
        return by_endpoint.at(net.address(rest) + ":" + port);
      };
      CHECK(at("0.1", k_https).at("host_name") == "gs-1"); // the inventory's, not the lease's
      CHECK(at("0.1", k_https).at("model") == "GXP2170");
      CHECK(at("0.1", k_https).at("vendor") == "Grandstream");
      CHECK(at("0.2", k_https).at("site") == "'=Branch");
      CHECK(at("0.2", k_sip).at("status") == "error");
      CHECK(at("0.2", k_sip).at("host_name") == "vvx-2"); // an error row still names its device
      // Ended 100 days before the simulator started, that is 102 days and some seconds before --now.
      CHECK(at("0.3", k_https).at("validity") == "expired");
      CHECK(std::stoll(at("0.3", k_https).at("days_left")) >= -103);
      CHECK(std::stoll(at("0.3", k_https).at("days_left")) <= -102);
      // Expired and self-signed are both high: the smaller code is the worst finding.
      CHECK(at("0.3", k_https).at("worst_severity") == "high");
      CHECK(at("0.3", k_https).at("worst_finding") == "expired");
      // Ends 10 days after the simulator started: 8 days less some seconds after --now.
      CHECK(at("0.3", k_sip).at("validity") == "expiring");
      CHECK(std::stoll(at("0.3", k_sip).at("days_left")) >= 7);
      CHECK(std::stoll(at("0.3", k_sip).at("days_left")) <= 8);
      CHECK(at("0.4", k_https).at("host_name") == "t54-lease-4");
      CHECK(at("0.5", k_https).at("host_name") == "t54-lease-5");
      CHECK(at("0.6", k_sip).at("cn") == "Einstein2");
      CHECK(at("0.6", k_sip).at("findings").find("generic-cn") != std::string::npos);
      CHECK(by_endpoint.at("nothing.invalid:" + std::string(k_https)).at("host_name") == "nothing.invalid");
      // The inventory's name wins over the name scanned, which stays in `host`.
      CHECK(by_endpoint.at("127.0.0.1:" + std::string(k_https)).at("host_name") == "inventory-name");
      CHECK(by_endpoint.at("127.0.0.1:" + std::string(k_https)).at("host") == "localhost");
    }

    SUBCASE("the device CSV")
    {
      const std::vector<Row> rows = csv_rows(read_file(dir.file("devices.csv")));
      const json& devices = report.at("devices");
      REQUIRE(rows.size() == devices.size());
      std::map<std::string, Row> by_device;
      for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row& row = rows[i];
        const json& device = devices.at(i); // the same order: worst first, then by address
        const std::string address = device.contains("ip") ? text_at(device, "ip") : text_at(device, "host");
        CAPTURE(address);
        CHECK((row.at("ip").empty() ? row.at("host") : row.at("ip")) == address);
        by_device[address] = row;
        const json inventory = device.value("inventory", json::object());

        CHECK(row.at("vendor") == as_cell(text_at(device.value("vendor", json::object()), "name")));
        CHECK(row.at("model") == as_cell(text_at(inventory, "model")));
        CHECK(row.at("site") == as_cell(text_at(inventory, "site")));
        CHECK(row.at("host_name") == as_cell(!text_at(inventory, "hostname").empty() ? text_at(inventory, "hostname")
                                                                                     : text_at(device, "host")));
        // Every finding, fleet-wide ones included, worst first.
        const std::vector<json> findings = worst_first(device.at("findings"), false);
        std::string codes;
        for (const json& finding : findings) {
          codes += (codes.empty() ? "" : ";") + text_at(finding, "code");
        }
        CHECK(row.at("findings") == codes);
        CHECK(row.at("worst_severity") == text_at(device, "worst_severity"));
        if (!findings.empty()) {
          CHECK(row.at("worst_finding") == text_at(findings.front(), "code"));
          CHECK(row.at("worst_severity") == text_at(findings.front(), "severity"));
          CHECK(row.at("worst_message") == as_cell(text_at(findings.front(), "message")));
          CHECK(row.at("worst_remediation") == as_cell(text_at(findings.front(), "remediation")));
        }

        // The ports as the JSON lists them; the certificate columns from the port whose
        // certificate expires first (ties: the lower port).
        std::string ports;
        const json* chosen = nullptr; // the record of that port
        for (const json& port : device.at("ports")) { // in port order
          const std::string number = std::to_string(port.at("port").get<int>());
          ports += (ports.empty() ? "" : ";") + number + ":" + text_at(port, "status");
          if (port.at("status") != "ok") {
            continue;
          }
          const json& record = records.at(address + ":" + number);
          if (chosen == nullptr || text_at(record.at("leaf"), "not_after") < text_at(chosen->at("leaf"), "not_after")) {
            chosen = &record;
          }
        }
        CHECK(row.at("ports") == ports);
        if (chosen == nullptr) {
          CHECK(row.at("cn") == "");
          CHECK(row.at("not_after") == "");
          CHECK(row.at("days_left") == "");
          CHECK(row.at("validity") == "");
          continue;
        }
        CHECK(row.at("cn") == as_cell(text_at(chosen->at("leaf"), "cn")));
        CHECK(row.at("not_after") == text_at(chosen->at("leaf"), "not_after"));
        CHECK(row.at("validity") == text_at(chosen->at("assessment"), "validity"));
        CHECK(row.at("days_left") == std::to_string(chosen->at("assessment").at("days_left").get<std::int64_t>()));
      }

      CHECK(by_device.at(net.address("0.1")).at("host_name") == "gs-1");
      CHECK(by_device.at(net.address("0.1")).at("ports") == std::string(k_sip) + ":ok;" + k_https + ":ok");
      CHECK(by_device.at(net.address("0.2")).at("ports") == std::string(k_sip) + ":refused;" + k_https + ":ok");
      // .3: the expired certificate on one port, the expiring one on the other: the expired one.
      CHECK(by_device.at(net.address("0.3")).at("validity") == "expired");
      CHECK(by_device.at(net.address("0.3")).at("cn") == "0004F2000003");
      CHECK(std::stoll(by_device.at(net.address("0.3")).at("days_left")) < -100);
      // .4 and .5 share one certificate: a fleet-wide finding, in the device CSV only.
      for (const std::string rest : {"0.4", "0.5"}) {
        CHECK(by_device.at(net.address(rest)).at("findings").find("shared-certificate") != std::string::npos);
      }
      for (const Row& row : csv_rows(read_file(dir.file("endpoints.csv")))) {
        CHECK(row.at("findings").find("shared-certificate") == std::string::npos);
      }
      CHECK(by_device.at(net.address("0.4")).at("host_name") == "t54-lease-4");
      CHECK(by_device.at(net.address("0.5")).at("host_name") == "t54-lease-5");
      CHECK(by_device.at(net.address("0.7")).at("worst_finding") == "not-answering");
      CHECK(by_device.at(net.address("0.7")).at("answered") == "false");
      CHECK(by_device.at("nothing.invalid").at("host_name") == "nothing.invalid");
      CHECK(by_device.at("127.0.0.1").at("host_name") == "inventory-name");
      CHECK(by_device.at("127.0.0.1").at("host") == "localhost");
      CHECK(by_device.at("nothing.invalid").at("ports") == std::string(k_sip) + ":dns;" + k_https + ":dns");
    }
  }
}
