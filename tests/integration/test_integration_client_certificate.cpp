// End-to-end: devices that ask for a client certificate say so in every record
// (tls.client_certificate_requested), in the default certificate-only mode and with
// --full-handshake, over TLS 1.0, 1.2 and 1.3: first against fleet-sim's OpenSSL servers that
// request one (and accept a client without) or require one, then against `openssl s_server
// -verify 1` / `-Verify 1`, a TLS server that shares no code with fleet-sim, and last against a
// scripted TLS 1.2 server that sends the rest of its flight after the Certificate only later (the
// default stop cannot see it: the record must not say false).
//
// Each test case takes its own loopback block (support/loopback.hpp).

#include "support/fleet_simulator.hpp"
#include "support/cert_factory.hpp"
#include "support/loopback.hpp"
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace fleetcert::testing;
using nlohmann::json;

namespace {

constexpr const char* k_port = "20443";

// Runs one scan of `targets` on port `port`; the records by "ip:port".
std::map<std::string, json> scan(const TempDir& dir, const std::vector<std::string>& targets, const std::string& port,
                                 const std::string& name, bool full)
{
  std::vector<std::string> argv{FLEETCERT_BINARY, "scan"};
  argv.insert(argv.end(), targets.begin(), targets.end());
  argv.insert(argv.end(), {"--ports", port, "--timeout", "4", "--json", dir.file(name)});
  if (full) {
    argv.emplace_back("--full-handshake");
  }
  const CommandResult result = run_command(argv, std::chrono::seconds(90));
  INFO("stderr: " << result.err);
  REQUIRE(result.status == 0);
  const json report = json::parse(read_file(dir.file(name)));
  std::map<std::string, json> records;
  for (const json& record : report.at("records")) {
    records[record.at("target").at("ip").get<std::string>() + ":"
            + std::to_string(record.at("target").at("port").get<int>())] = record;
  }
  return records;
}

// Calls check(item, record) for each of `items` (anything with a `name`): its record, found by
// address[name], must be there and "ok"; a failure names the item.
template <typename Item, typename Check>
void check_each(const std::map<std::string, json>& records, const std::vector<Item>& items,
                const std::map<std::string, std::string>& address, Check check)
{
  REQUIRE(records.size() == items.size());
  for (const Item& item : items) {
    const std::string name = item.name;
    CAPTURE(name);
    const json& r = records.at(address.at(item.name));
    REQUIRE(r.at("status") == "ok");
    check(item, r);
  }
}

// The record's tls.client_certificate_requested as text: "true", "false" or "absent".
std::string requested(const json& record)
{
  const json& tls = record.at("tls");
  if (!tls.contains("client_certificate_requested")) {
    return "absent";
  }
  return tls.at("client_certificate_requested").get<bool>() ? "true" : "false";
}

// Writes a self-signed P-256 certificate and its key for the s_server processes to dir/server.*.
void write_server_identity(const TempDir& dir)
{
  const PkeyPtr key = generate_key({"ec", 0, "P-256"});
  CertSpec spec;
  spec.subject = parse_subject("/O=Fleetcert Test/CN=s_server");
  const X509Ptr cert = make_certificate(spec, key.get(), nullptr, key.get());
  write_file(dir.file("server.pem"), to_pem(cert.get()));
  write_file(dir.file("server.key"), key_to_pem(key.get()));
}

constexpr const char* k_openssl = "/usr/bin/openssl";

// One `openssl s_server -www` on ip:port with dir/server.*; stopped by PID when destroyed.
class OpensslServer
{
public:
  OpensslServer(const TempDir& dir, const std::string& name, const std::string& ip, const std::string& port,
                const std::vector<std::string>& options)
  {
    std::vector<std::string> argv{k_openssl, "s_server", "-accept", ip + ":" + port, "-cert", dir.file("server.pem"),
                                  "-key", dir.file("server.key"), "-www"};
    argv.insert(argv.end(), options.begin(), options.end());
    const std::string out = dir.file(name + ".out");
    m_process = std::make_unique<ChildProcess>(argv, out, dir.file(name + ".err"));
    // s_server prints ACCEPT once it listens.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (read_file(out).find("ACCEPT") == std::string::npos) {
      if (m_process->wait(std::chrono::milliseconds(0)) >= 0 || std::chrono::steady_clock::now() > until) {
        throw std::runtime_error("openssl s_server " + name + " did not start: " + read_file(dir.file(name + ".err")));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

private:
  std::unique_ptr<ChildProcess> m_process;
};


using Bytes = std::vector<unsigned char>;

void put_length(Bytes& out, std::size_t value, int bytes)
{
  for (int i = bytes - 1; i >= 0; --i) {
    out.push_back(static_cast<unsigned char>(value >> (8 * i)));
  }
}

// A TLS 1.2 record holding one handshake message of `type` with `body`.
Bytes handshake_record(unsigned char type, const Bytes& body)
{
  Bytes out{0x16, 0x03, 0x03};
  put_length(out, body.size() + 4, 2);
  out.push_back(type);
  put_length(out, body.size(), 3);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// A scripted TLS 1.2 server on ip:port: for each connection it reads the ClientHello, sends
// ServerHello and Certificate (a real certificate, suite ECDHE-ECDSA-AES128-GCM-SHA256), waits
// `pause` (none: one write for the whole flight), then sends a ServerKeyExchange (never checked: the default mode stops at the
// Certificate), a CertificateRequest when `request`, and ServerHelloDone. Runs until destroyed.
class ScriptedServer
{
public:
  ScriptedServer(const std::string& ip, std::uint16_t port, std::chrono::milliseconds pause, bool request)
      : m_pause(pause)
  {
    Bytes hello{0x03, 0x03};
    for (int i = 0; i < 32; ++i) {
      hello.push_back(static_cast<unsigned char>(0x40 + i)); // no downgrade sentinel at the end
    }
    hello.insert(hello.end(), {0x00, 0xc0, 0x2b, 0x00, 0x00, 0x05, 0xff, 0x01, 0x00, 0x01, 0x00});
    const PkeyPtr key = generate_key({"ec", 0, "P-256"});
    CertSpec spec;
    spec.subject = parse_subject("/CN=scripted");
    const Bytes der = to_der(make_certificate(spec, key.get(), nullptr, key.get()).get());
    Bytes certificate;
    put_length(certificate, der.size() + 3, 3);
    put_length(certificate, der.size(), 3);
    certificate.insert(certificate.end(), der.begin(), der.end());
    m_first = handshake_record(2, hello);
    const Bytes record = handshake_record(11, certificate);
    m_first.insert(m_first.end(), record.begin(), record.end());
    m_rest = handshake_record(12, Bytes(100, 0x5a));
    if (request) {
      // certificate_types rsa_sign, ecdsa_sign; one signature algorithm; no CA names
      const Bytes request_record = handshake_record(13, Bytes{0x02, 0x01, 0x40, 0x00, 0x02, 0x04, 0x03, 0x00, 0x00});
      m_rest.insert(m_rest.end(), request_record.begin(), request_record.end());
    }
    const Bytes done = handshake_record(14, {});
    m_rest.insert(m_rest.end(), done.begin(), done.end());

    m_listener = socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    setsockopt(m_listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    inet_pton(AF_INET, ip.c_str(), &address.sin_addr);
    if (m_listener < 0 || bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0
        || listen(m_listener, 8) != 0) {
      throw std::runtime_error("scripted server: cannot listen on " + ip + ":" + std::to_string(port));
    }
    m_thread = std::thread([this] { serve(); });
  }

  ~ScriptedServer()
  {
    m_stop = true;
    m_thread.join();
    close(m_listener);
  }

  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

private:
  // Waits at most `ms` for `fd` to be readable.
  static bool readable(int fd, int ms)
  {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, ms) > 0;
  }

  void serve()
  {
    while (!m_stop) {
      if (!readable(m_listener, 50)) {
        continue;
      }
      const int client = accept(m_listener, nullptr, nullptr);
      if (client < 0) {
        continue;
      }
      // The ClientHello: one record, read whole (bounded: 5 s).
      Bytes in;
      std::array<unsigned char, 4096> buffer{};
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (std::chrono::steady_clock::now() < until && (in.size() < 5 || in.size() < 5 + (std::size_t{in[3]} << 8 | in[4]))) {
        if (!readable(client, 50)) {
          continue;
        }
        const ssize_t n = recv(client, buffer.data(), buffer.size(), 0);
        if (n <= 0) {
          break;
        }
        in.insert(in.end(), buffer.begin(), buffer.begin() + n);
      }
      if (m_pause.count() == 0) {
        Bytes flight = m_first; // one write: the client reads the whole flight at once
        flight.insert(flight.end(), m_rest.begin(), m_rest.end());
        send(client, flight.data(), flight.size(), MSG_NOSIGNAL);
      } else {
        send(client, m_first.data(), m_first.size(), MSG_NOSIGNAL);
        std::this_thread::sleep_for(m_pause);
        send(client, m_rest.data(), m_rest.size(), MSG_NOSIGNAL);
      }
      // Until the client has gone (bounded: 5 s).
      for (int i = 0; i < 100 && !m_stop; ++i) {
        if (readable(client, 50) && recv(client, buffer.data(), buffer.size(), 0) <= 0) {
          break;
        }
      }
      close(client);
    }
  }

  std::chrono::milliseconds m_pause;
  Bytes m_first;
  Bytes m_rest;
  int m_listener = -1;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

} // namespace

TEST_SUITE("integration.client_certificate")
{
  TEST_CASE("fleet-sim devices that request or require a client certificate, TLS 1.0 to 1.3, in both modes")
  {
    const LoopbackBlock net;
    TempDir dir;
    const json ecdsa = {{"subject", "/CN={MAC}"}, {"key", {{"type", "ec"}, {"curve", "P-256"}}}, {"issuer", "self"}};
    // name, TLS version, client certificate ("", "request", "require"), chain padding
    struct Device
    {
      const char* name;
      const char* tls;
      const char* client_cert;
      int padding = 0;
    };
    const std::vector<Device> devices{
        {"none12", "1.2", ""},        {"request12", "1.2", "request"}, {"require12", "1.2", "require"},
        {"none13", "1.3", ""},        {"request13", "1.3", "request"}, {"require13", "1.3", "require"},
        {"require10", "1.0", "require"}, {"none10", "1.0", ""},
        // ~110 KB of chain before the CertificateRequest: the default stop may come before the
        // rest of the flight has arrived, and then the record must not say false.
        {"padded12", "1.2", "require", 60},
    };
    json fleet;
    fleet["devices"] = json::array();
    std::map<std::string, std::string> address; // name -> "ip:port"
    for (std::size_t i = 0; i < devices.size(); ++i) {
      const Device& d = devices[i];
      json port = ecdsa;
      port["tls"] = {d.tls};
      if (std::string(d.client_cert) == "request") {
        port["request_client_cert"] = true;
      } else if (std::string(d.client_cert) == "require") {
        port["require_client_cert"] = true;
      }
      if (d.padding > 0) {
        port["chain_padding"] = d.padding;
      }
      const std::string ip = net.address("0." + std::to_string(i + 1));
      fleet["devices"].push_back({{"ip", ip}, {"mac", "0004F200000" + std::to_string(i + 1)}, {"ports", {{k_port, port}}}});
      address[d.name] = ip + ":" + k_port;
    }
    FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet);
    std::map<std::string, bool> truth; // "ip:port" -> request_client_cert
    for (const json& t : sim.truth().at("endpoints")) {
      truth[t.at("ip").get<std::string>() + ":" + std::to_string(t.at("port").get<int>())] =
          t.at("request_client_cert").get<bool>();
    }
    REQUIRE(truth.size() == devices.size());
    CHECK(truth.at(address["request12"]));
    CHECK(truth.at(address["require13"]));
    CHECK_FALSE(truth.at(address["none13"]));

    const std::vector<std::string> targets{net.address("0.1-" + std::to_string(devices.size()))};

    SUBCASE("certificate-only: the request is seen in the flight that brings the certificate")
    {
      const auto records = scan(dir, targets, k_port, "cert-only.json", false);
      check_each(records, devices, address, [&](const Device& d, const json& r) {
        CHECK(r.at("tls").at("handshake_mode") == "certificate-only");
        CHECK(r.at("tls").at("handshake_complete") == false);
        CHECK_FALSE(r.at("tls").contains("alert"));
        if (d.padding > 0) {
          // Known only if the rest of the flight had arrived when the probe stopped; never false.
          CHECK(requested(r) != "false");
        } else {
          CHECK(requested(r) == std::string(truth.at(address[d.name]) ? "true" : "false"));
        }
      });
    }
    SUBCASE("--full-handshake: the request, and the refusal of a device that requires one")
    {
      const auto records = scan(dir, targets, k_port, "full.json", true);
      check_each(records, devices, address, [&](const Device& d, const json& r) {
        CHECK(r.at("tls").at("handshake_mode") == "full");
        CHECK(requested(r) == std::string(truth.at(address[d.name]) ? "true" : "false"));
        const bool required = std::string(d.client_cert) == "require";
        CHECK(r.at("tls").at("handshake_complete") == !required);
        CHECK(r.at("tls").contains("handshake_error") == required);
        CHECK(r.at("tls").contains("alert") == required);
        if (required) {
          CHECK(r.at("tls").at("handshake_error").at("class") == "tls-alert");
        }
      });
      // TLS 1.3: the handshake completes on the client's side; the refusal comes after, as the
      // alert certificate_required, and is not lost.
      const json& require13 = records.at(address["require13"]);
      CHECK(require13.at("tls").at("version") == "TLSv1.3");
      CHECK(require13.at("tls").at("alert") == "certificate_required");
      CHECK(require13.at("tls").at("handshake_error").at("detail").get<std::string>().find("certificate_required")
            != std::string::npos);
      // TLS 1.2 refuses within the handshake.
      CHECK(records.at(address["require12"]).at("tls").at("version") == "TLSv1.2");
      CHECK(records.at(address["require12"]).at("tls").at("alert") == "handshake_failure");
      CHECK(records.at(address["request13"]).at("tls").at("version") == "TLSv1.3");
    }
  }

  TEST_CASE("openssl s_server -verify and -Verify, TLS 1.2 and 1.3, in both modes")
  {
    REQUIRE_MESSAGE(std::filesystem::exists(k_openssl),
                    "the openssl command line tool (Debian package openssl, ./install-deps.sh) is missing");
    const LoopbackBlock net;
    TempDir dir;
    const std::string port = "28443";
    write_server_identity(dir);
    struct Server
    {
      const char* name;
      const char* version; // s_server option
      const char* verify;  // "", "-verify" (request) or "-Verify" (require)
    };
    const std::vector<Server> servers{
        {"none12", "-tls1_2", ""},  {"request12", "-tls1_2", "-verify"}, {"require12", "-tls1_2", "-Verify"},
        {"none13", "-tls1_3", ""},  {"request13", "-tls1_3", "-verify"}, {"require13", "-tls1_3", "-Verify"},
    };
    std::vector<std::unique_ptr<OpensslServer>> running;
    std::map<std::string, std::string> address;
    for (std::size_t i = 0; i < servers.size(); ++i) {
      const Server& s = servers[i];
      std::vector<std::string> options{s.version};
      if (*s.verify != '\0') {
        options.insert(options.end(), {s.verify, "1"});
      }
      const std::string ip = net.address("0." + std::to_string(i + 1));
      running.push_back(std::make_unique<OpensslServer>(dir, s.name, ip, port, options));
      address[s.name] = ip + ":" + port;
    }
    const std::vector<std::string> targets{net.address("0.1-" + std::to_string(servers.size()))};

    for (const bool full : {false, true}) {
      CAPTURE(full);
      const auto records = scan(dir, targets, port, full ? "full.json" : "cert-only.json", full);
      check_each(records, servers, address, [&](const Server& s, const json& r) {
        CHECK(r.at("tls").at("version") == (std::string(s.version) == "-tls1_3" ? "TLSv1.3" : "TLSv1.2"));
        CHECK(requested(r) == std::string(*s.verify != '\0' ? "true" : "false"));
        const bool refused = full && std::string(s.verify) == "-Verify";
        CHECK(r.at("tls").at("handshake_complete") == (full && !refused));
        CHECK(r.at("tls").contains("handshake_error") == refused);
      });
      if (full) {
        CHECK(records.at(address["require13"]).at("tls").at("alert") == "certificate_required");
      }
    }
  }
  TEST_CASE("a TLS 1.2 flight whose end comes after the default stop: unknown, never false")
  {
    const LoopbackBlock net;
    TempDir dir;
    const std::uint16_t port = 28443;
    const auto pause = std::chrono::milliseconds(800);
    // The scripted servers hold the ServerKeyExchange, CertificateRequest and ServerHelloDone back
    // for 800 ms (late), or send them with the Certificate (at once).
    ScriptedServer late_request(net.address("0.1"), port, pause, true);
    ScriptedServer late_none(net.address("0.2"), port, pause, false);
    ScriptedServer prompt_request(net.address("0.3"), port, std::chrono::milliseconds(0), true);
    ScriptedServer prompt_none(net.address("0.4"), port, std::chrono::milliseconds(0), false);
    const auto records = scan(dir, {net.address("0.1-4")}, std::to_string(port), "scripted.json", false);
    REQUIRE(records.size() == 4);
    const std::map<std::string, std::string> expected{
        {"0.1", "absent"}, {"0.2", "absent"}, {"0.3", "true"}, {"0.4", "false"}};
    for (const auto& [host, want] : expected) {
      CAPTURE(host);
      const json& r = records.at(net.address(host) + ":" + std::to_string(port));
      REQUIRE(r.at("status") == "ok");
      CHECK(r.at("tls").at("version") == "TLSv1.2");
      CHECK(requested(r) == want);
    }
  }
}
