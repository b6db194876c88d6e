// End-to-end for the identity answers of fleet-sim (tests/fleets/identity.json) and fleetcert's
// parser: a TLS client written here (blocking OpenSSL, every read bounded in time) completes the
// handshake, sends a SIP OPTIONS or an HTTP GET /, reads the answer (at most 16 KiB, at most a few
// seconds) and gives it to read_announced_identity with the built-in profiles: honest devices are
// recognised, hostile answers (an 8 KiB header line, garbage, ANSI and bidi controls, a drip, a
// status with no headers, a reset, silence) each give a bounded, escaped identity with an error.
//
// The test case takes its own loopback block (support/loopback.hpp).

#include "scanner/assessment/identity.hpp"
#include "scanner/assessment/vendor_profiles.hpp"
#include "support/fleet_simulator.hpp"
#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/report_json.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace fleetcert;
using namespace fleetcert::testing;
using nlohmann::json;

namespace {

struct CtxDeleter
{
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslDeleter
{
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};

// A blocking TLS client connected to ip:port with its handshake complete (within `budget`); reads
// time out after 200 ms so callers can keep their own budget.
struct TlsClient
{
  TlsClient(const std::string& ip, int port, std::chrono::milliseconds budget)
  {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    timeval timeout{0, 200'000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    REQUIRE(::inet_pton(AF_INET, ip.c_str(), &address.sin_addr) == 1);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    ssl.reset(SSL_new(ctx.get()));
    SSL_set_fd(ssl.get(), fd);
    const auto started = std::chrono::steady_clock::now();
    int handshake = -1;
    while ((handshake = SSL_connect(ssl.get())) != 1 && std::chrono::steady_clock::now() - started < budget) {
      const int error = SSL_get_error(ssl.get(), handshake);
      if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_SYSCALL) {
        break;
      }
    }
    REQUIRE(handshake == 1);
  }
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;
  ~TlsClient()
  {
    ssl.reset();
    if (fd >= 0) {
      ::close(fd);
    }
  }

  int fd = -1;
  std::unique_ptr<SSL_CTX, CtxDeleter> ctx{SSL_CTX_new(TLS_client_method())};
  std::unique_ptr<SSL, SslDeleter> ssl;
};

// A request as fleetcert's probe sends it (probes/identity_request builds the real one).
std::string request_for(IdentityProtocol protocol, const std::string& ip, int port)
{
  if (protocol == IdentityProtocol::http) {
    return "GET / HTTP/1.1\r\nHost: " + ip + ":" + std::to_string(port) + "\r\nConnection: close\r\n\r\n";
  }
  const std::string target = ip + ":" + std::to_string(port);
  return "OPTIONS sip:" + target + ";transport=tls SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5;branch=z9hG4bKtest;rport\r\n"
         "Max-Forwards: 70\r\nFrom: <sip:fleetcert@127.0.0.1>;tag=t1\r\nTo: <sip:" + target + ">\r\n"
         "Call-ID: test1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
}

// Handshake, request, then what the device answered within `budget` (the exchange's error says
// why it ended: "closed", "reset", "deadline").
IdentityExchange exchange_with(const std::string& ip, int port, IdentityProtocol protocol,
                               std::chrono::milliseconds budget)
{
  IdentityExchange exchange;
  exchange.protocol = protocol;
  const auto started = std::chrono::steady_clock::now();
  const TlsClient client(ip, port, budget);
  SSL* ssl = client.ssl.get();
  const std::string request = request_for(protocol, ip, port);
  REQUIRE(SSL_write(ssl, request.data(), static_cast<int>(request.size())) == static_cast<int>(request.size()));

  char buffer[4096];
  while (exchange.response.size() < k_identity_response_cap) {
    if (std::chrono::steady_clock::now() - started >= budget) {
      exchange.error = "deadline";
      break;
    }
    const int n = SSL_read(ssl, buffer, sizeof buffer);
    if (n > 0) {
      exchange.response.append(buffer, static_cast<std::size_t>(std::min<std::size_t>(
                                           static_cast<std::size_t>(n), k_identity_response_cap - exchange.response.size())));
      continue;
    }
    const int error = SSL_get_error(ssl, n);
    if (error == SSL_ERROR_ZERO_RETURN) {
      exchange.error = exchange.response.empty() ? "closed" : "";
      break;
    }
    // SO_RCVTIMEO passed: OpenSSL says WANT_READ (or SYSCALL with EAGAIN); the time budget decides.
    if (error == SSL_ERROR_WANT_READ || (error == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK))) {
      if (protocol == IdentityProtocol::sip && exchange.response.find("\r\n\r\n") != std::string::npos) {
        break; // a SIP device keeps the connection: the head is in
      }
      continue;
    }
    exchange.error = "reset";
    break;
  }
  exchange.complete = exchange.error.empty();
  return exchange;
}

// Completes the handshake, sends close_notify without a request and waits (at most `budget`) for
// the device's close_notify: true when it came.
bool closes_cleanly(const std::string& ip, int port, std::chrono::milliseconds budget)
{
  const auto started = std::chrono::steady_clock::now();
  const TlsClient client(ip, port, budget);
  SSL* ssl = client.ssl.get();
  REQUIRE(SSL_shutdown(ssl) >= 0); // our close_notify
  bool answered = false;
  char buffer[256];
  while (!answered && std::chrono::steady_clock::now() - started < budget) {
    const int n = SSL_read(ssl, buffer, sizeof buffer); // session tickets, then close_notify
    if (n <= 0) {
      const int error = SSL_get_error(ssl, n);
      answered = error == SSL_ERROR_ZERO_RETURN;
      if (!answered && error != SSL_ERROR_WANT_READ
          && !(error == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK))) {
        break; // the connection ended without close_notify
      }
    }
  }
  return answered;
}

} // namespace

TEST_SUITE("integration.identity")
{
  TEST_CASE("fleet-sim's identity answers read by fleetcert's parser: honest and hostile devices")
  {
    const LoopbackBlock net;
    TempDir dir;
    const json fleet = relocate_fleet(
        json::parse(read_file(std::string(FLEETCERT_SOURCE_DIR) + "/tests/fleets/identity.json")), "127.96", net);
    FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet, {"--port-map", "443:26443", "--port-map", "5061:29061"});
    const VendorProfiles profiles = VendorProfiles::builtin();
    const auto identity = [&](const std::string& host, IdentityProtocol protocol,
                              std::chrono::milliseconds budget = std::chrono::seconds(5)) {
      const int port = protocol == IdentityProtocol::sip ? 29061 : 26443;
      return read_announced_identity(exchange_with(net.address(host), port, protocol, budget), profiles);
    };

    SUBCASE("a Grandstream phone on SIP and HTTP")
    {
      const AnnouncedIdentity sip = identity("0.10", IdentityProtocol::sip);
      CHECK(sip.error == "");
      CHECK(sip.vendor == "Grandstream");
      CHECK(sip.model == "GXP2170");
      CHECK(sip.firmware == "1.0.11.23");
      CHECK(sip.source == IdentitySource::sip_user_agent);
      const AnnouncedIdentity http = identity("0.10", IdentityProtocol::http);
      CHECK(http.vendor == "Grandstream");
      CHECK(http.source == IdentitySource::http_server);
    }
    SUBCASE("a Gigaset base announcing its MAC")
    {
      const AnnouncedIdentity sip = identity("0.11", IdentityProtocol::sip);
      CHECK(sip.vendor == "Gigaset");
      CHECK(sip.model == "N870 IP PRO");
      CHECK(sip.firmware == "2.61.0");
      CHECK(sip.mac == "7C2F80960011");
    }
    SUBCASE("an 8 KiB header line")
    {
      const AnnouncedIdentity sip = identity("0.12", IdentityProtocol::sip);
      CHECK(sip.vendor == "");
      CHECK(sip.error == "SIP response: header line 7 is longer than 4096 bytes");
      CHECK(sip.raw.size() <= k_identity_raw_cap);
    }
    SUBCASE("binary garbage")
    {
      const AnnouncedIdentity sip = identity("0.13", IdentityProtocol::sip, std::chrono::seconds(2));
      CHECK(sip.error.starts_with("SIP response: no SIP status line (the answer starts with '\\x00\\x01\\xffGARBAGE"));
      CHECK(sip.raw.starts_with("\\x00\\x01\\xffGARBAGE"));
      CHECK(sip.raw.size() <= k_identity_raw_cap);
    }
    SUBCASE("ANSI escapes and bidi controls in the User-Agent")
    {
      const AnnouncedIdentity sip = identity("0.14", IdentityProtocol::sip);
      CHECK(sip.vendor == "");
      CHECK(sip.error == "no pattern matched");
      CHECK(sip.raw == "Grandstream \\x1b[31mGXP2170\\u{202e} 1.0.11.23\\x1b[0m");
    }
    SUBCASE("a response dripped one byte per second: bounded by the deadline")
    {
      const auto started = std::chrono::steady_clock::now();
      const AnnouncedIdentity sip = identity("0.15", IdentityProtocol::sip, std::chrono::milliseconds(2500));
      CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
      CHECK(sip.vendor == "");
      CHECK(sip.error.ends_with("(deadline)"));
    }
    SUBCASE("a SIP status with no headers")
    {
      CHECK(identity("0.16", IdentityProtocol::sip).error == "the SIP response has no User-Agent or Server header");
    }
    SUBCASE("a reset after the handshake")
    {
      const AnnouncedIdentity sip = identity("0.17", IdentityProtocol::sip, std::chrono::seconds(2));
      CHECK(sip.vendor == "");
      CHECK((sip.error == "reset" || sip.error == "closed"));
    }
    SUBCASE("silence")
    {
      CHECK(identity("0.18", IdentityProtocol::sip, std::chrono::milliseconds(1500)).error == "deadline");
    }
    SUBCASE("a Yealink web interface answering 401")
    {
      const AnnouncedIdentity http = identity("0.19", IdentityProtocol::http);
      CHECK(http.vendor == "Yealink");
      CHECK(http.source == IdentitySource::http_server);
      CHECK(http.raw == "yealink embed httpd");
    }
    SUBCASE("one identity for both ports: the SIP answer names the device by User-Agent, the HTTP one by Server")
    {
      const IdentityExchange sip = exchange_with(net.address("0.20"), 29061, IdentityProtocol::sip, std::chrono::seconds(5));
      CHECK(sip.response.find("User-Agent: Grandstream GXP2170 1.0.11.23\r\n") != std::string::npos);
      CHECK(sip.response.find("Server:") == std::string::npos);
      CHECK(read_announced_identity(sip, profiles).source == IdentitySource::sip_user_agent);
      const IdentityExchange http = exchange_with(net.address("0.20"), 26443, IdentityProtocol::http, std::chrono::seconds(5));
      CHECK(http.response.find("Server: Grandstream GXP2170 1.0.11.23\r\n") != std::string::npos);
      CHECK(read_announced_identity(http, profiles).model == "GXP2170");
    }
    SUBCASE("a client closing without a request (certificate only) gets close_notify back at once")
    {
      CHECK(closes_cleanly(net.address("0.20"), 29061, std::chrono::seconds(3)));
    }
  }

  TEST_CASE("scan --identify sip,http: the announced identity in the records and the devices, the certificate never lost")
  {
    const LoopbackBlock net;
    TempDir dir;
    const json fleet = relocate_fleet(
        json::parse(read_file(std::string(FLEETCERT_SOURCE_DIR) + "/tests/fleets/identity.json")), "127.96", net);
    FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet, {"--port-map", "443:26443", "--port-map", "5061:29061"});
    std::vector<std::string> argv{FLEETCERT_BINARY, "scan", net.address("0.10") + "-" + net.address("0.19"), "--ports",
                                  "26443,29061", "--identify", "sip,http", "--sip-ports", "29061", "--http-ports", "26443",
                                  "--timeout", "3", "--concurrency", "32", "--no-progress", "--json", dir.file("scan.json")};
    const auto started = std::chrono::steady_clock::now();
    const CommandResult r = run_command(argv, std::chrono::seconds(60));
    INFO("stderr: " << r.err);
    REQUIRE(r.status == 0);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20)); // the drip ends at the deadline
    const json report = json::parse(read_file(dir.file("scan.json")));
    std::map<std::string, json> records; // "ip:port" -> record
    for (const json& record : report.at("records")) {
      records[record.at("target").at("ip").get<std::string>() + ":" + std::to_string(record.at("target").at("port").get<int>())] = record;
    }
    const auto record = [&](const std::string& host, int port) -> const json& {
      return records.at(net.address(host) + ":" + std::to_string(port));
    };

    SUBCASE("honest devices: vendor, model, firmware, MAC and where they were read")
    {
      const json& grandstream_sip = record("0.10", 29061).at("identity");
      CHECK(grandstream_sip.at("vendor") == "Grandstream");
      CHECK(grandstream_sip.at("model") == "GXP2170");
      CHECK(grandstream_sip.at("firmware") == "1.0.11.23");
      CHECK(grandstream_sip.at("source") == "sip-user-agent");
      CHECK(grandstream_sip.at("request") == "sip");
      CHECK(record("0.10", 26443).at("identity").at("source") == "http-server");
      CHECK(record("0.10", 26443).at("identity").at("request") == "http");
      const json& gigaset = record("0.11", 29061).at("identity");
      CHECK(gigaset.at("model") == "N870 IP PRO");
      CHECK(gigaset.at("firmware") == "2.61.0");
      CHECK(gigaset.at("mac") == "7C2F80960011");
      for (const json& device : report.at("devices")) {
        if (device.at("ip") == net.address("0.10")) {
          CHECK(device.at("model").at("name") == "GXP2170");
          CHECK(device.at("firmware").at("version") == "1.0.11.23");
          CHECK(device.at("firmware").at("source") == "sip-user-agent");
        }
      }
    }
    SUBCASE("hostile answers: an identity error, and the certificate all the same")
    {
      for (const char* host : {"0.12", "0.13", "0.14", "0.15", "0.16", "0.17", "0.18"}) {
        CAPTURE(host);
        const json& r5061 = record(host, 29061);
        CHECK(r5061.at("status") == "ok");
        CHECK_FALSE(r5061.at("chain").empty());
        REQUIRE(r5061.contains("identity"));
        CHECK_FALSE(r5061.at("identity").contains("model"));
        CHECK_FALSE(r5061.at("identity").value("error", std::string()).empty());
        if (r5061.at("identity").contains("raw")) {
          CHECK(r5061.at("identity").at("raw").get<std::string>().size() <= k_identity_raw_cap);
        }
      }
    }
    SUBCASE("without --identify: sip,http is the default")
    {
      argv.erase(argv.begin() + 5, argv.begin() + 7);
      argv.back() = dir.file("default.json");
      REQUIRE(run_command(argv, std::chrono::seconds(60)).status == 0);
      const json defaulted = json::parse(read_file(dir.file("default.json")));
      std::size_t asked = 0;
      for (const json& r2 : defaulted.at("records")) {
        CAPTURE(r2.at("target").dump());
        if (r2.at("status") != "ok") {
          CHECK_FALSE(r2.contains("identity")); // no certificate, no answer: the record's error says why
          continue;
        }
        REQUIRE(r2.contains("identity"));
        const bool sip_port = r2.at("target").at("port") == 29061;
        CHECK(r2.at("identity").at("request") == (sip_port ? "sip" : "http"));
        ++asked;
        if (r2.at("target").at("ip") == net.address("0.10")) {
          CHECK(r2.at("identity").at("model") == "GXP2170");
        }
      }
      const auto& explicit_records = report.at("records");
      CHECK(asked == static_cast<std::size_t>(std::count_if(explicit_records.begin(), explicit_records.end(),
                                                             [](const json& r3) { return r3.contains("identity"); })));
      CHECK(asked >= 10);
    }
    SUBCASE("--identify none: no exchange, no identity")
    {
      argv[6] = "none";
      argv.back() = dir.file("none.json");
      REQUIRE(run_command(argv, std::chrono::seconds(60)).status == 0);
      const json none = json::parse(read_file(dir.file("none.json")));
      REQUIRE_FALSE(none.at("records").empty());
      for (const json& r2 : none.at("records")) {
        CHECK_FALSE(r2.contains("identity"));
      }
    }
  }

  TEST_CASE("--identify, --sip-ports and --http-ports: bad values are usage errors")
  {
    for (const std::vector<std::string>& option : {std::vector<std::string>{"--identify", "sip,ftp"},
                                                   std::vector<std::string>{"--identify", "none,sip"},
                                                   std::vector<std::string>{"--sip-ports", "0"},
                                                   std::vector<std::string>{"--http-ports", "abc"}}) {
      std::vector<std::string> argv{FLEETCERT_BINARY, "scan", "127.0.0.1", "--ports", "1"};
      argv.insert(argv.end(), option.begin(), option.end());
      const CommandResult r = run_command(argv, std::chrono::seconds(10));
      CAPTURE(option[0]);
      CAPTURE(option[1]);
      CHECK(r.status == 2);
      CHECK(r.err.find("fleetcert: scan: invalid " + option[0]) != std::string::npos);
    }
  }
}
