// Audit workflows end to end, through the real binary against the simulated fleet (a loopback block each):
// DHCP lease files of each format as targets and inventory (--dhcp-leases), merged with an
// inventory, and the Prometheus textfile report (--prometheus) checked by a strict parser.

#include "support/fleet_simulator.hpp"
#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/report_json.hpp"
#include "support/prometheus_parse.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <ctime>
#include <filesystem>
#include <map>
#include <set>

using namespace fleetcert::testing;
using nlohmann::json;

namespace {

constexpr const char* k_port = "24443";

json self_signed(const std::string& subject)
{
  return {{"subject", subject}, {"key", {{"type", "ec"}, {"curve", "P-256"}}}, {"hash", "sha256"}, {"issuer", "self"},
          {"valid_from_days", -30}, {"valid_days", 400}};
}

json device(const std::string& ip, const std::string& mac, const std::string& subject = "/CN={MAC}")
{
  return {{"ip", ip}, {"mac", mac}, {"ports", {{k_port, self_signed(subject)}}}};
}

// .1 Grandstream, .2 Polycom, .3 Yealink, .4 a Polycom whose lease names another MAC, .5 an
// Einstein2 base with no MAC in its CN. Nothing listens on .20 (a lease whose phone is off).
json workflow_fleet(const LoopbackBlock& net)
{
  json fleet;
  fleet["devices"] = json::array({
      device(net.address("0.1"), "000B82000001"),
      device(net.address("0.2"), "0004F2000002"),
      device(net.address("0.3"), "805EC0000003"),
      device(net.address("0.4"), "0004F2000004"),
      device(net.address("0.5"), "7C2F80000005", "/CN=Einstein2"),
  });
  return fleet;
}

const json* find_device(const json& report, const std::string& ip)
{
  for (const auto& d : report.at("devices")) {
    if (d.at("ip") == ip) {
      return &d;
    }
  }
  return nullptr;
}

// ISC dhcpd's "W YYYY/MM/DD HH:MM:SS" (UTC).
std::string isc_time(std::time_t t)
{
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%w %Y/%m/%d %H:%M:%S", &tm);
  return text;
}

struct LeaseFiles
{
  std::string dnsmasq, isc, kea;
};

// One lease file per format; each also holds a lease that must not be scanned.
LeaseFiles write_lease_files(const TempDir& dir, const LoopbackBlock& net)
{
  const std::time_t now = std::time(nullptr);
  const std::string later = std::to_string(now + 86400);
  const std::string earlier = std::to_string(now - 86400);
  LeaseFiles files{dir.file("dnsmasq.leases"), dir.file("dhcpd.leases"), dir.file("kea-leases4.csv")};
  write_file(files.dnsmasq, net.expand(later + " 00:0b:82:00:00:01 {net}.0.1 gs-1 01:00:0b:82:00:00:01\n" +
                                       later + " 00:04:f2:00:00:ff {net}.0.4 vvx-4 *\n" + //
                                       later + " 00:04:f2:00:00:20 {net}.0.20 vvx-off *\n" +
                                       earlier + " 00:04:f2:00:00:21 {net}.0.21 gone *\n"));
  write_file(files.isc, net.expand("# The format of this file is documented in the dhcpd.leases(5) manual page.\n"
                                   "authoring-byte-order little-endian;\n\n"
                                   "lease {net}.0.2 {\n  starts " + isc_time(now - 7200) + ";\n  ends " +
                                       isc_time(now - 3600) + ";\n  binding state active;\n"
                                       "  hardware ethernet 00:04:f2:00:00:02;\n  client-hostname \"old-name\";\n}\n"
                                       "lease {net}.0.22 {\n  starts " + isc_time(now - 3600) + ";\n  ends " +
                                       isc_time(now + 3600) + ";\n  binding state free;\n"
                                       "  hardware ethernet 00:04:f2:00:00:22;\n}\n"
                                       "lease {net}.0.2 {\n  starts " + isc_time(now - 60) + ";\n  ends " +
                                       isc_time(now + 3600) + ";\n  binding state active;\n"
                                       "  hardware ethernet 00:04:f2:00:00:02;\n  uid \"\\001\\000\\004\\362\";\n"
                                       "  client-hostname \"vvx-2 {lobby}\";\n}\n"));
  write_file(files.kea, net.expand("address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,"
                                   "hostname,state,user_context\n"
                                   "{net}.0.3,80:5e:c0:00:00:03,01:80:5e:c0:00:00:03,3600," + later +
                                       ",1,0,0,t54-3,0,\n"
                                   "{net}.0.23,80:5e:c0:00:00:23,,3600," + later + ",1,0,0,declined,1,\n"
                                   "{net}.0.5,7c:2f:80:00:00:05,,3600," + later + ",1,0,0,n670-base,0,\n"));
  return files;
}

} // namespace

TEST_SUITE("integration.workflows")
{
  TEST_CASE("lease files of each format as targets and inventory, with the Prometheus report")
  {
    const LoopbackBlock net;
    TempDir dir;
    FleetSimulator sim(FLEET_SIM_BINARY, dir, workflow_fleet(net));
    const LeaseFiles leases = write_lease_files(dir, net);

    const auto result = run_command({FLEETCERT_BINARY, "scan", "--dhcp-leases", leases.dnsmasq, "--dhcp-leases",
                                     leases.isc, "--dhcp-leases", leases.kea, "--ports", k_port, "--timeout", "3",
                                     "--json", dir.file("scan.json"), "--prometheus",
                                     dir.file("fleetcert.prom")},
                                    std::chrono::seconds(60));
    INFO("stderr: " << result.err);
    REQUIRE(result.status == 0);
    CHECK(result.err.empty());
    const json report = json::parse(read_file(dir.file("scan.json")));
    auto records = records_by_ip(report);
    // Exactly the active, unexpired leases: no expired (.21), free (.22), declined (.23) one.
    std::set<std::string> scanned;
    for (const auto& [ip, record] : records) {
      scanned.insert(ip);
    }
    CHECK(scanned == std::set<std::string>{net.address("0.1"), net.address("0.2"), net.address("0.3"),
                                           net.address("0.4"), net.address("0.5"), net.address("0.20")});

    // The lease's MAC and host name are the record's inventory; the vendor comes from the MAC prefix.
    const json& gs = records[net.address("0.1")];
    REQUIRE(gs.at("status") == "ok");
    CHECK(gs.at("inventory").at("mac") == "000B82000001");
    CHECK(gs.at("inventory").at("hostname") == "gs-1");
    CHECK(gs.at("inventory").at("extra").at("dhcp_lease") == leases.dnsmasq + ":1");
    CHECK(gs.at("assessment").at("vendor").at("name") == "Grandstream");
    CHECK(gs.at("assessment").at("vendor").at("source") == "mac-prefix");
    CHECK(finding_codes(gs.at("assessment").at("findings")).count("mac-mismatch") == 0);
    CHECK(finding_codes(gs.at("assessment").at("findings")).count("not-in-inventory") == 0);
    // ISC: the last block of the address wins.
    CHECK(records[net.address("0.2")].at("inventory").at("hostname") == "vvx-2 {lobby}");
    CHECK(records[net.address("0.2")].at("inventory").at("extra").at("dhcp_lease") == leases.isc + ":17");
    CHECK(records[net.address("0.2")].at("assessment").at("vendor").at("name") == "Polycom");
    CHECK(records[net.address("0.3")].at("inventory").at("hostname") == "t54-3");
    CHECK(records[net.address("0.3")].at("inventory").at("mac") == "805EC0000003");
    CHECK(records[net.address("0.3")].at("assessment").at("vendor").at("name") == "Yealink");
    // A generic CN: the lease gives the vendor the certificate does not.
    CHECK(records[net.address("0.5")].at("assessment").at("vendor").at("name") == "Gigaset");
    CHECK(records[net.address("0.5")].at("inventory").at("mac") == "7C2F80000005");
    // The lease names another MAC than the certificate: mac-mismatch.
    const json& moved = records[net.address("0.4")];
    CHECK(moved.at("inventory").at("mac") == "0004F20000FF");
    CHECK(finding_codes(moved.at("assessment").at("findings")).count("mac-mismatch") == 1);
    // A lease whose device does not answer: not-answering.
    const json& off = records[net.address("0.20")];
    CHECK(off.at("status") == "error");
    CHECK(off.at("error").at("class") == "refused");
    CHECK(off.at("inventory").at("hostname") == "vvx-off");
    const json* off_device = find_device(report, net.address("0.20"));
    REQUIRE(off_device != nullptr);
    CHECK(finding_codes(off_device->at("findings")).count("not-answering") == 1);
    CHECK(report.at("inventory_check").at("not_answering") == json::array({net.address("0.20")}));
    CHECK(report.at("inventory_check").at("not_in_inventory") == json::array());

    // The Prometheus report: strict format, one not-after series per certificate, equal to the
    // JSON document's dates, with the device's labels.
    const Exposition metrics = parse_exposition(read_file(dir.file("fleetcert.prom")));
    const auto not_after = metrics.of("fleetcert_certificate_not_after_seconds");
    CHECK(not_after.size() == 5);
    for (const Sample& sample : not_after) {
      const std::string ip = sample.labels.at("ip");
      REQUIRE(records.count(ip) == 1);
      const json& record = records[ip];
      CHECK(sample.labels.at("port") == k_port);
      CHECK(sample.labels.at("signature") == record.at("leaf").at("signature").at("label"));
      CHECK(sample.labels.at("provenance") == record.at("assessment").at("provenance").at("kind"));
      CHECK(sample.labels.at("vendor") == record.at("assessment").at("vendor").at("name"));
      CHECK(sample.labels.at("mac") == record.at("inventory").at("mac"));
      CHECK(sample.labels.at("cn") == record.at("leaf").at("cn"));
      const std::string iso = record.at("leaf").at("not_after");
      std::tm tm{};
      REQUIRE(strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) != nullptr);
      CHECK(sample.value == static_cast<double>(timegm(&tm)));
    }
    CHECK(metrics.value("fleetcert_scan_endpoints") == 6);
    CHECK(metrics.value("fleetcert_scan_endpoints_ok") == 5);
    CHECK(metrics.value("fleetcert_scan_endpoint_errors", {{"class", "refused"}}) == 1);
    CHECK(metrics.value("fleetcert_scan_interrupted") == 0);
    CHECK(metrics.value("fleetcert_devices_with_finding", {{"code", "mac-mismatch"}}) == 1);
    CHECK(metrics.value("fleetcert_devices_with_finding", {{"code", "not-answering"}}) == 1);
    CHECK(metrics.value("fleetcert_devices_with_finding", {{"code", "generic-cn"}}) == 1);
    CHECK(metrics.value("fleetcert_endpoints_by_provenance", {{"provenance", "self-signed"}}) == 5);
    CHECK(metrics.value("fleetcert_scan_finish_timestamp_seconds") >=
          metrics.value("fleetcert_scan_start_timestamp_seconds"));
    const std::string scan_started = report.at("scan").at("started_at");
    std::tm started{};
    REQUIRE(strptime(scan_started.c_str(), "%Y-%m-%dT%H:%M:%SZ", &started) != nullptr);
    CHECK(metrics.value("fleetcert_scan_start_timestamp_seconds") == static_cast<double>(timegm(&started)));
  }

  TEST_CASE("leases merged with an inventory: the inventory wins, leases fill in, a MAC conflict is warned")
  {
    const LoopbackBlock net;
    TempDir dir;
    FleetSimulator sim(FLEET_SIM_BINARY, dir, workflow_fleet(net));
    const LeaseFiles leases = write_lease_files(dir, net);
    // .1 without MAC and host name, .4 with the certificate's MAC (the lease says ...FF), and a
    // hostile site for the Prometheus labels.
    write_file(dir.file("inventory.csv"), net.expand("mac,ip,hostname,vendor,model,site\n"
                                                     ",{net}.0.1,,Grandstream,GXP2170,\"HQ \"\"north\"\"\\\n2\"\n"
                                                     "0004F2000004,{net}.0.4,vvx-inventory,Polycom,VVX 450,Branch\n"));
    const auto result = run_command({FLEETCERT_BINARY, "scan", "--inventory", dir.file("inventory.csv"),
                                     "--dhcp-leases", leases.dnsmasq, "--dhcp-format", "dnsmasq", "--ports", k_port,
                                     "--timeout", "3", "--json", dir.file("scan.json"),
                                     "--prometheus", dir.file("fleetcert.prom")},
                                    std::chrono::seconds(60));
    INFO("stderr: " << result.err);
    REQUIRE(result.status == 0);
    CHECK(result.err.find("warning: " + leases.dnsmasq + ":2: the lease of " + net.address("0.4") +
                          " is for MAC 0004F20000FF, the inventory lists 0004F2000004 (the inventory's is kept)") !=
          std::string::npos);
    const json report = json::parse(read_file(dir.file("scan.json")));
    auto records = records_by_ip(report);
    CHECK(records.size() == 3); // .1, .4, .20
    const json& gs = records[net.address("0.1")];
    CHECK(gs.at("inventory").at("mac") == "000B82000001"); // filled in by the lease
    CHECK(gs.at("inventory").at("hostname") == "gs-1");
    CHECK(gs.at("inventory").at("model") == "GXP2170"); // the inventory's
    CHECK(gs.at("assessment").at("vendor").at("source") == "inventory");
    const json& polycom = records[net.address("0.4")];
    CHECK(polycom.at("inventory").at("mac") == "0004F2000004"); // the inventory's is kept
    CHECK(polycom.at("inventory").at("hostname") == "vvx-inventory");
    CHECK(finding_codes(polycom.at("assessment").at("findings")).count("mac-mismatch") == 0);

    const Exposition metrics = parse_exposition(read_file(dir.file("fleetcert.prom")));
    CHECK(metrics.value("fleetcert_certificate_not_after_seconds",
                        {{"ip", net.address("0.1")}, {"site", "HQ \"north\"\\\n2"}}) > 0);
    CHECK(metrics.value("fleetcert_devices_with_finding", {{"code", "not-answering"}}) == 1);
  }

  TEST_CASE("bad lease files and bad options stop the scan before any connection (exit 2)")
  {
    const LoopbackBlock net; // the lenient run scans the one good lease
    TempDir dir;
    write_file(dir.file("bad.leases"), net.expand("lease {net}.0.30 {\n  ends never\n  binding state active;\n}\n"
                                                  "lease {net}.0.31 {\n  ends never;\n  binding state active;\n}\n"));
    auto run = [&](std::vector<std::string> extra) {
      std::vector<std::string> argv = {FLEETCERT_BINARY, "scan", "--ports", k_port, "--timeout", "1",
                                       "--json", dir.file("out.json")};
      argv.insert(argv.end(), extra.begin(), extra.end());
      return run_command(argv, std::chrono::seconds(30));
    };

    auto strict = run({"--dhcp-leases", dir.file("bad.leases")});
    CHECK(strict.status == 2);
    CHECK(strict.err == "fleetcert: scan: " + dir.file("bad.leases") + ":2: missing ';' at the end of the line\n");
    CHECK_FALSE(std::filesystem::exists(dir.file("out.json")));

    auto lenient = run({"--dhcp-leases", dir.file("bad.leases"), "--lenient"});
    CHECK(lenient.status == 0);
    CHECK(lenient.err.find("fleetcert: skipped " + dir.file("bad.leases") + ":2: missing ';'") != std::string::npos);
    const json report = json::parse(read_file(dir.file("out.json")));
    REQUIRE(report.at("records").size() == 1);
    CHECK(report.at("records")[0].at("target").at("ip") == net.address("0.31"));

    auto format = run({"--dhcp-leases", dir.file("bad.leases"), "--dhcp-format", "windows"});
    CHECK(format.status == 2);
    CHECK(format.err == "fleetcert: scan: --dhcp-format: windows not in {dnsmasq,isc,kea} (see fleetcert scan --help)\n");
    auto alone = run({net.address("0.31"), "--dhcp-include-expired"});
    CHECK(alone.status == 2);
    CHECK(alone.err.find("need --dhcp-leases") != std::string::npos);
    auto missing = run({"--dhcp-leases", dir.file("none.leases")});
    CHECK(missing.status == 2);
    CHECK(missing.err == "fleetcert: scan: cannot read DHCP leases '" + dir.file("none.leases") +
                             "': No such file or directory\n");
    auto unknown = run({"--dhcp-leases", dir.file("bad.leases"), "--dhcp-format", "kea"});
    CHECK(unknown.status == 2);
    CHECK(unknown.err.find(":1: header has no 'address' column") != std::string::npos);

    auto prometheus = run({net.address("0.31"), "--prometheus", dir.file("no/such/dir/x.prom")});
    CHECK(prometheus.status == 2);
    CHECK(prometheus.err.find("cannot write '" + dir.file("no/such/dir/x.prom") + "'") != std::string::npos);
  }
}
