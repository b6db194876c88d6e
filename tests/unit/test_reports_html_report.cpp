// The scan's HTML page: what the sink puts into the page's data (devices from the FleetView, the
// records' chain details, repeated texts once) and the clock of a rebuilt report.

#include "reports/sinks/html_report.hpp"
#include "scanner/assessment/fleet_view.hpp"

#include "support/process.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace fleetcert;
using fleetcert::testing::TempDir;

namespace {

Record ok_record(const std::string& ip, std::uint16_t port, const std::string& cn)
{
  Record record;
  record.observation.endpoint = {ip, port, "", ""};
  record.observation.tls_version = "TLSv1.2";
  record.observation.handshake_complete = true;
  CertificateInfo leaf;
  leaf.parsed = true;
  leaf.subject = "CN=" + cn;
  leaf.issuer = "CN=Factory CA";
  leaf.has_cn = true;
  leaf.cn = cn;
  leaf.not_after = 1'800'000'000;
  leaf.sha256 = std::string(64, 'a');
  leaf.signature.label = "RSA+SHA1";
  leaf.key.type = "RSA";
  leaf.key.bits = 1024;
  record.chain = {leaf};
  record.assessment.signature_verdict = SignatureVerdict::rejected;
  record.assessment.vendor = "Grandstream";
  record.assessment.vendor_source = "mac-prefix";
  record.assessment.findings = {{"sha1-rejected", Severity::high, "SHA-1 on " + ip, "Replace the certificate."}};
  return record;
}

// A packed row (data.layout, data.texts) as an object, as the page's script unpacks it.
nlohmann::json unpack(const nlohmann::json& row, const std::string& layout, const nlohmann::json& data)
{
  nlohmann::json object = nlohmann::json::object();
  const nlohmann::json& fields = data["layout"][layout];
  for (std::size_t i = 0; i < fields.size() && i < row.size(); ++i) {
    const nlohmann::json& field = fields[i];
    if (row[i].is_null()) {
      continue;
    }
    if (field.value("text", false)) {
      object[field["name"].get<std::string>()] = data["texts"][row[i].get<std::size_t>()];
    } else if (field.contains("of")) {
      nlohmann::json items = nlohmann::json::array();
      for (const nlohmann::json& item : row[i]) {
        items.push_back(unpack(item, field["of"].get<std::string>(), data));
      }
      object[field["name"].get<std::string>()] = std::move(items);
    } else {
      object[field["name"].get<std::string>()] = row[i];
    }
  }
  return object;
}

// The data block of the page the sink writes for `records`, its devices unpacked.
nlohmann::json page_data_of(const std::vector<Record>& records, std::optional<HtmlClock> clock, const ScanInfo& info)
{
  TempDir dir;
  const std::string path = dir.file("scan.html");
  HtmlReport report(path, std::move(clock));
  FleetView view;
  ScanSummary summary;
  report.begin(info);
  for (const Record& record : records) {
    summary.add(record);
    view.add(record);
    report.write(record);
  }
  view.finish();
  report.fleet(view);
  report.finish(info, summary);
  std::ifstream in(path);
  const std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string open = "<script type=\"application/json\" id=\"fleetcert-data\">";
  const std::size_t begin = page.find(open);
  REQUIRE(begin != std::string::npos);
  const std::size_t end = page.find("</script>", begin);
  nlohmann::json data = nlohmann::json::parse(page.substr(begin + open.size(), end - begin - open.size()));
  nlohmann::json devices = nlohmann::json::array();
  for (const nlohmann::json& row : data["devices"]) {
    devices.push_back(unpack(row, "device", data));
  }
  data["devices"] = std::move(devices);
  return data;
}

} // namespace

TEST_SUITE("html_report")
{
  TEST_CASE("the page data holds every device with its ports, chain and findings")
  {
    Record error;
    error.observation.endpoint = {"10.0.0.1", 5061, "", ""};
    error.observation.error = ErrorClass::timeout;
    error.observation.error_stage = "connect";
    const nlohmann::json data =
      page_data_of({ok_record("10.0.0.1", 443, "<b>x</b>"), ok_record("10.0.0.3", 443, "y"), error},
                   HtmlClock{1'700'000'000, "--now", 30}, ScanInfo{});
    // An address that presented no certificate (and is in no inventory) is no device of the view.
    REQUIRE(data["devices"].size() == 2);
    CHECK(data["page"] == "scan");
    CHECK(data["now"] == "2023-11-14T22:13:20Z");
    CHECK(data["now_source"] == "--now");
    CHECK(data["expiry_warning_days"] == 30);
    CHECK(data["scan"]["endpoints_done"] == 3);
    const nlohmann::json* first = nullptr;
    for (const nlohmann::json& device : data["devices"]) {
      if (device.value("ip", "") == "10.0.0.1") {
        first = &device;
      }
    }
    REQUIRE(first != nullptr);
    const nlohmann::json& port = (*first)["ports"][0];
    CHECK(port["cn"] == "<b>x</b>");
    CHECK(port["verdict"] == "rejected");
    CHECK(port["label"] == "RSA+SHA1");
    CHECK(port["tls"] == "TLSv1.2");
    CHECK(port["chain"][0]["issuer"] == "CN=Factory CA");
    CHECK(port["chain"][0]["key"] == "RSA 1024");
    CHECK((*first)["vendor"] == "Grandstream");
    CHECK((*first)["worst"] == "high");
    SUBCASE("repeated names are kept once")
    {
      std::size_t issuers = 0;
      for (const nlohmann::json& text : data["texts"]) {
        issuers += text == "CN=Factory CA" ? 1 : 0;
      }
      CHECK(issuers == 1);
    }
    SUBCASE("findings refer to their texts, each text once")
    {
      REQUIRE((*first)["findings"].size() >= 1);
      const nlohmann::json& finding = (*first)["findings"][0];
      CHECK(finding[0] == "sha1-rejected");
      CHECK(finding[1] == "high");
      CHECK(data["texts"][finding[2].get<std::size_t>()] == "port 443: SHA-1 on 10.0.0.1");
      CHECK(data["texts"][finding[3].get<std::size_t>()] == "Replace the certificate.");
      std::size_t remediations = 0;
      for (const nlohmann::json& text : data["texts"]) {
        remediations += text == "Replace the certificate." ? 1 : 0;
      }
      CHECK(remediations == 1);
    }
    SUBCASE("a port without a certificate says why")
    {
      REQUIRE((*first)["ports"].size() == 2);
      const nlohmann::json& silent = (*first)["ports"][1];
      CHECK(silent["port"] == 5061);
      CHECK(silent["status"] == "timeout");
      CHECK(!silent.contains("chain"));
      CHECK(!silent.contains("tls"));
    }
  }

  TEST_CASE("each port's details carry the identity it announced, hostile text as data only")
  {
    const std::string hostile = "Gigaset N870 IP PRO/83.V2.61.0;7C2F80C6E5C2 </script><img src=x onerror=alert(1)>";
    Record sip = ok_record("10.0.0.7", 5061, "7C2F80C6E5C2");
    AnnouncedIdentity announced;
    announced.vendor = "Gigaset";
    announced.model = "N870 IP PRO";
    announced.firmware = "2.61";
    announced.mac = "7C2F80C6E5C2";
    announced.source = IdentitySource::sip_user_agent;
    announced.raw = hostile;
    sip.identity = announced;
    Record web = ok_record("10.0.0.7", 443, "7C2F80C6E5C2");
    AnnouncedIdentity failed;
    failed.raw = "<title><script>alert(2)</script>";
    failed.error = "no pattern matched";
    web.identity = failed;
    Record plain = ok_record("10.0.0.8", 443, "plain"); // no identity exchange
    const nlohmann::json data = page_data_of({sip, web, plain}, std::nullopt, ScanInfo{});
    const nlohmann::json* device = nullptr;
    const nlohmann::json* other = nullptr;
    for (const nlohmann::json& entry : data["devices"]) {
      (entry.value("ip", "") == "10.0.0.7" ? device : other) = &entry;
    }
    REQUIRE(device != nullptr);
    REQUIRE(other != nullptr);
    REQUIRE((*device)["ports"].size() == 2);
    const nlohmann::json& https = (*device)["ports"][0];
    const nlohmann::json& sips = (*device)["ports"][1];
    CHECK(sips["port"] == 5061);
    CHECK(sips["identity_source"] == "sip-user-agent");
    CHECK(sips["identity_vendor"] == "Gigaset");
    CHECK(sips["identity_model"] == "N870 IP PRO");
    CHECK(sips["identity_firmware"] == "2.61");
    CHECK(sips["identity_mac"] == "7C2F80C6E5C2");
    CHECK(sips["identity_raw"] == hostile);
    CHECK(!sips.contains("identity_error"));
    CHECK(https["port"] == 443);
    CHECK(https["identity_error"] == "no pattern matched");
    CHECK(https["identity_raw"] == "<title><script>alert(2)</script>");
    CHECK(!https.contains("identity_source"));
    CHECK(!https.contains("identity_model"));
    // The device view merged what the ports announced (SIP first).
    CHECK((*device)["model"] == "N870 IP PRO");
    CHECK((*device)["model_source"] == "sip-user-agent");
    CHECK((*device)["firmware"] == "2.61");
    const nlohmann::json& unannounced = (*other)["ports"][0];
    for (const char* key : {"identity_source", "identity_raw", "identity_error", "identity_model"}) {
      CHECK(!unannounced.contains(key));
    }
    // Identity fields are the port layout's last, so a port without one packs no trailing nulls.
    const nlohmann::json& layout = data["layout"]["port"];
    CHECK(layout[layout.size() - 1]["name"] == "identity_error");
  }

  TEST_CASE("a rebuilt report takes its clock from the saved scan's arguments")
  {
    ScanInfo info;
    info.started_at = 1'700'000'000;
    info.arguments = {"fleetcert", "scan", "--now", "2026-11-20", "--expiry-warning=45"};
    HtmlClock clock = clock_of_saved_scan(info);
    REQUIRE(clock.now);
    CHECK(*clock.now == 1'795'132'800);
    CHECK(clock.now_source == "--now");
    CHECK(clock.expiry_warning_days == 45);
    SUBCASE("without --now: the scan's start and the default window")
    {
      info.arguments = {"fleetcert", "scan"};
      clock = clock_of_saved_scan(info);
      CHECK(clock.now == 1'700'000'000);
      CHECK(clock.now_source == "scan start");
      CHECK(clock.expiry_warning_days == 30);
    }
    SUBCASE("a JSONL report carries no arguments: nothing is guessed")
    {
      info.unknown = {ScanFact::arguments, ScanFact::times};
      clock = clock_of_saved_scan(info);
      CHECK(!clock.now);
      CHECK(!clock.expiry_warning_days);
    }
    SUBCASE("the rebuilt page says so")
    {
      info.rebuilt_from = RebuiltFrom{};
      info.rebuilt_from->path = "scan.jsonl";
      info.rebuilt_from->format = "jsonl";
      info.unknown = {ScanFact::arguments, ScanFact::times};
      const nlohmann::json data = page_data_of({ok_record("10.0.0.1", 443, "x")}, std::nullopt, info);
      CHECK(data["scan"]["rebuilt_from"]["format"] == "jsonl");
      CHECK(!data.contains("now"));
      CHECK(!data["scan"].contains("arguments"));
    }
  }
}
