// The probe's identity exchange (ProbeSettings::identity, issue 14's mechanism) against real TLS
// servers on loopback: `openssl s_server -www`, which answers a GET with a page and closes, and
// servers of this file that reset, stay silent, flood or ask for a client certificate once the
// handshake is done. The record's chain, TLS facts and error are those of the same probe without
// a plan; identity says what became of the exchange.
//
// Each test case takes its own loopback block (support/loopback.hpp).

#include "probes/tls_probe.hpp"

#include "reports/encoding/record_json.hpp"
#include "scanner/assessment/audit.hpp"

#include "support/cert_factory.hpp"
#include "support/loopback.hpp"
#include "support/process.hpp"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <doctest/doctest.h>

#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace fleetcert;
using namespace fleetcert::testing;

namespace {

constexpr const char* k_openssl = "/usr/bin/openssl";
const std::string k_http_get = "GET / HTTP/1.0\r\n\r\n";

// The server's key and self-signed certificate.
struct ServerIdentity
{
  PkeyPtr key = generate_key({"ec", 0, "P-256"});
  X509Ptr cert;
  ServerIdentity()
  {
    CertSpec spec;
    spec.subject = parse_subject("/O=Fleetcert Test/CN=identity-server");
    cert = make_certificate(spec, key.get(), nullptr, key.get());
  }
};

// Runs one probe to its end on a fresh io_context.
Observation run_probe(const std::string& ip, std::uint16_t port, ProbeSettings settings, const std::string& sni = "")
{
  static const ProbeContexts contexts;
  asio::io_context io;
  Observation result;
  asio::co_spawn(io, probe_endpoint(Endpoint{ip, port, "", sni}, &contexts, std::move(settings)),
                 [&result](std::exception_ptr error, Observation obs) {
                   if (error) {
                     std::rethrow_exception(error);
                   }
                   result = std::move(obs);
                 });
  io.run();
  return result;
}

ProbeSettings settings_for(HandshakeMode mode, std::chrono::milliseconds timeout = std::chrono::seconds(5))
{
  ProbeSettings settings;
  settings.deadline = Clock::now() + timeout;
  settings.mode = mode;
  return settings;
}

// An HTTP GET whose response is whole once the page's closing tag came.
IdentityPlan http_plan(std::string_view end_marker = "</HTML>")
{
  IdentityPlan plan;
  plan.protocol = IdentityProtocol::http;
  plan.request = [](const std::string&, std::uint16_t) { return k_http_get; };
  plan.complete = [end = std::string(end_marker)](std::string_view received) {
    return received.find(end) != std::string_view::npos;
  };
  return plan;
}

// `openssl s_server -www` on ip:port with the identity; stopped by PID when destroyed.
class OpensslServer
{
public:
  OpensslServer(const TempDir& dir, const ServerIdentity& identity, const std::string& ip, std::uint16_t port,
                const std::string& version_option)
  {
    write_file(dir.file("server.pem"), to_pem(identity.cert.get()));
    write_file(dir.file("server.key"), key_to_pem(identity.key.get()));
    const std::string out = dir.file("s_server" + version_option + ".out");
    m_process = std::make_unique<ChildProcess>(
        std::vector<std::string>{k_openssl, "s_server", "-accept", ip + ":" + std::to_string(port), "-cert",
                                 dir.file("server.pem"), "-key", dir.file("server.key"), "-www", version_option},
        out, dir.file("s_server" + version_option + ".err"));
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (read_file(out).find("ACCEPT") == std::string::npos) {
      if (m_process->wait(std::chrono::milliseconds(0)) >= 0 || std::chrono::steady_clock::now() > until) {
        throw std::runtime_error("openssl s_server did not start: " + read_file(dir.file("s_server" + version_option + ".err")));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

private:
  std::unique_ptr<ChildProcess> m_process;
};

// What the in-process server does once its handshake is done.
enum class After
{
  reset,  // closes with a TCP reset
  silent, // reads nothing, sends nothing, until the test ends
  flood,  // reads the request, then sends 20 KB and stays open
};

// A TLS server on a thread of the test: one connection at a time, each handled by `after`
// (a connection whose handshake fails is closed). Stops when destroyed.
class ScriptedServer
{
public:
  ScriptedServer(const ServerIdentity& identity, const std::string& ip, std::uint16_t port, int max_version,
                 After after, bool require_client_certificate = false, const char* tls13_suites = nullptr)
    : m_after(after)
  {
    m_ctx.reset(SSL_CTX_new(TLS_server_method()));
    if (!m_ctx || SSL_CTX_use_certificate(m_ctx.get(), identity.cert.get()) != 1
        || SSL_CTX_use_PrivateKey(m_ctx.get(), identity.key.get()) != 1
        || (tls13_suites != nullptr && SSL_CTX_set_ciphersuites(m_ctx.get(), tls13_suites) != 1)) {
      throw std::runtime_error("server context");
    }
    SSL_CTX_set_tlsext_servername_callback(m_ctx.get(), on_server_name);
    SSL_CTX_set_tlsext_servername_arg(m_ctx.get(), this);
    SSL_CTX_set_max_proto_version(m_ctx.get(), max_version);
    if (require_client_certificate) {
      SSL_CTX_set_verify(m_ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                         [](int, X509_STORE_CTX*) { return 1; });
    }
    m_listener = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(m_listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    ::inet_pton(AF_INET, ip.c_str(), &address.sin_addr);
    if (::bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(m_listener, 8) != 0) {
      ::close(m_listener);
      throw std::runtime_error("cannot listen on " + ip + ":" + std::to_string(port));
    }
    m_thread = std::thread([this] { serve(); });
  }

  ~ScriptedServer()
  {
    m_stop = true;
    m_thread.join();
    ::close(m_listener);
  }

  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  // Connections accepted so far, and the server name the last ClientHello asked for.
  int connections() const { return m_connections; }
  std::string last_server_name() const
  {
    const std::lock_guard lock(m_mutex);
    return m_server_name;
  }

private:
  struct CtxFree
  {
    void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
  };

  // Keeps the server name a ClientHello asked for.
  static int on_server_name(SSL* ssl, int* /*alert*/, void* arg)
  {
    auto* self = static_cast<ScriptedServer*>(arg);
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    const std::lock_guard lock(self->m_mutex);
    self->m_server_name = name != nullptr ? name : "";
    return SSL_TLSEXT_ERR_OK;
  }

  // Waits up to 50 ms for `fd` to become readable; false when the server stops.
  bool wait_readable(int fd) const
  {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 50) > 0;
  }

  void serve()
  {
    while (!m_stop) {
      if (!wait_readable(m_listener)) {
        continue;
      }
      const int fd = ::accept(m_listener, nullptr, nullptr);
      if (fd < 0) {
        continue;
      }
      ++m_connections;
      SSL* ssl = SSL_new(m_ctx.get());
      SSL_set_fd(ssl, fd);
      {
        const std::lock_guard lock(m_mutex);
        m_server_name.clear();
      }
      if (SSL_accept(ssl) == 1) {
        handle(ssl, fd);
      }
      SSL_free(ssl);
      ::close(fd);
    }
  }

  void handle(SSL* ssl, int fd)
  {
    switch (m_after) {
    case After::reset: {
      const linger hard{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
      return;
    }
    case After::silent:
      while (!m_stop) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      return;
    case After::flood: {
      std::array<char, 1024> request{};
      while (!m_stop && !wait_readable(fd)) {
      }
      if (SSL_read(ssl, request.data(), static_cast<int>(request.size())) <= 0) {
        return;
      }
      const std::string page = "HTTP/1.0 200 ok\r\n\r\n" + std::string(20 * 1024, 'x');
      SSL_write(ssl, page.data(), static_cast<int>(page.size()));
      while (!m_stop) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      return;
    }
    }
  }

  After m_after;
  std::unique_ptr<SSL_CTX, CtxFree> m_ctx;
  int m_listener = -1;
  std::atomic<bool> m_stop{false};
  std::atomic<int> m_connections{0};
  mutable std::mutex m_mutex;
  std::string m_server_name;
  std::thread m_thread;
};

// A TLS 1.2 "device" of plain bytes: answers the first record it reads (the ClientHello) with
// `flight`, then reads until the client closes and keeps every byte that came after the hello.
class FlightServer
{
public:
  FlightServer(const std::string& ip, std::uint16_t port, std::vector<unsigned char> flight) : m_flight(std::move(flight))
  {
    m_listener = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(m_listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    ::inet_pton(AF_INET, ip.c_str(), &address.sin_addr);
    if (::bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(m_listener, 8) != 0) {
      ::close(m_listener);
      throw std::runtime_error("cannot listen on " + ip + ":" + std::to_string(port));
    }
    m_thread = std::thread([this] { serve(); });
  }
  ~FlightServer()
  {
    m_stop = true;
    m_thread.join();
    ::close(m_listener);
  }
  FlightServer(const FlightServer&) = delete;
  FlightServer& operator=(const FlightServer&) = delete;

  // Bytes the client sent after its ClientHello record, over every connection so far; -1 before
  // the first connection has ended.
  long after_hello() const { return m_after_hello; }

private:
  bool readable(int fd) const
  {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 50) > 0;
  }

  void serve()
  {
    while (!m_stop) {
      if (!readable(m_listener)) {
        continue;
      }
      const int fd = ::accept(m_listener, nullptr, nullptr);
      if (fd < 0) {
        continue;
      }
      std::vector<unsigned char> received;
      std::array<unsigned char, 4096> buffer{};
      bool answered = false;
      long after = 0;
      for (;;) {
        if (!readable(fd)) {
          if (m_stop) {
            break;
          }
          continue;
        }
        const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
        if (n <= 0) {
          break;
        }
        received.insert(received.end(), buffer.begin(), buffer.begin() + n);
        const std::size_t hello = received.size() >= 5 ? 5 + (std::size_t{received[3]} << 8 | received[4]) : SIZE_MAX;
        if (!answered && received.size() >= hello) {
          answered = true;
          ::send(fd, m_flight.data(), m_flight.size(), MSG_NOSIGNAL);
        }
        if (answered) {
          after = static_cast<long>(received.size() - hello);
        }
      }
      ::close(fd);
      m_after_hello = std::max(0L, m_after_hello.load()) + after;
    }
  }

  std::vector<unsigned char> m_flight;
  int m_listener = -1;
  std::atomic<bool> m_stop{false};
  std::atomic<long> m_after_hello{-1};
  std::thread m_thread;
};

// A TLS 1.2 handshake record of the given messages (type, body).
std::vector<unsigned char> tls12_flight(const std::vector<std::pair<unsigned char, std::vector<unsigned char>>>& messages)
{
  std::vector<unsigned char> fragment;
  for (const auto& [type, body] : messages) {
    fragment.push_back(type);
    for (int shift = 16; shift >= 0; shift -= 8) {
      fragment.push_back(static_cast<unsigned char>(body.size() >> shift));
    }
    fragment.insert(fragment.end(), body.begin(), body.end());
  }
  std::vector<unsigned char> record{0x16, 0x03, 0x03, static_cast<unsigned char>(fragment.size() >> 8),
                                    static_cast<unsigned char>(fragment.size())};
  record.insert(record.end(), fragment.begin(), fragment.end());
  return record;
}

// A Certificate message body holding `certificates`.
std::vector<unsigned char> certificate_body(const std::vector<std::vector<unsigned char>>& certificates)
{
  std::vector<unsigned char> list;
  for (const auto& der : certificates) {
    for (int shift = 16; shift >= 0; shift -= 8) {
      list.push_back(static_cast<unsigned char>(der.size() >> shift));
    }
    list.insert(list.end(), der.begin(), der.end());
  }
  std::vector<unsigned char> body;
  for (int shift = 16; shift >= 0; shift -= 8) {
    body.push_back(static_cast<unsigned char>(list.size() >> shift));
  }
  body.insert(body.end(), list.begin(), list.end());
  return body;
}

// The record's parts that must not depend on the plan.
void check_same_record(const Observation& with_plan, const Observation& without)
{
  CHECK(with_plan.chain == without.chain);
  CHECK(with_plan.tls_version == without.tls_version);
  CHECK(with_plan.cipher_suite == without.cipher_suite);
  CHECK(with_plan.hello == without.hello);
  CHECK(with_plan.error == without.error);
  CHECK(with_plan.handshake_complete == without.handshake_complete);
  CHECK(with_plan.alert == without.alert);
}

} // namespace

TEST_SUITE("probes.tls_probe")
{
  TEST_CASE("certificate-only TLS 1.2: the chain comes from the plaintext, OpenSSL never parses it, nothing follows the hello")
  {
    const LoopbackBlock net;
    const std::string ip = net.address("0.50");
    // A ServerHello choosing ECDHE-RSA-AES128-GCM-SHA256 (0xC02F, which OpenSSL's hello offers),
    // a Certificate whose only "certificate" is no DER at all, ServerHelloDone.
    std::vector<unsigned char> hello{0x03, 0x03};
    hello.insert(hello.end(), 32, 0x5A);
    hello.insert(hello.end(), {0x00, 0xC0, 0x2F, 0x00});
    const std::vector<unsigned char> junk{'n', 'o', 't', ' ', 'a', ' ', 'c', 'e', 'r', 't'};
    const FlightServer server(ip, net.port(6), tls12_flight({{2, hello}, {11, certificate_body({junk})}, {14, {}}}));

    const Observation obs = run_probe(ip, net.port(6), settings_for(HandshakeMode::certificate_only));
    CHECK(obs.error == ErrorClass::none);
    REQUIRE(obs.chain.size() == 1);
    CHECK(obs.chain.front() == junk);
    CHECK(obs.tls_version == "TLSv1.2");
    CHECK(obs.cipher == "ECDHE-RSA-AES128-GCM-SHA256");
    CHECK(obs.cipher_suite == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    CHECK(obs.hello == HelloKind::openssl);
    CHECK(obs.client_certificate_requested == false);
    CHECK_FALSE(obs.handshake_complete);
    CHECK(obs.alert.empty());

    SUBCASE("--full-handshake: OpenSSL parses the chain and refuses it; the bytes are still kept")
    {
      const Observation full = run_probe(ip, net.port(6), settings_for(HandshakeMode::full));
      CHECK(full.error == ErrorClass::protocol);
      REQUIRE(full.chain.size() == 1);
      CHECK(full.chain.front() == junk);
    }
    SUBCASE("the device got nothing after the ClientHello: no alert, no key exchange")
    {
      const auto until = Clock::now() + std::chrono::seconds(5);
      while (server.after_hello() < 0 && Clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      CHECK(server.after_hello() == 0);
    }
  }

  TEST_CASE("the probe's own replay of OpenSSL's hello: one connection, OpenSSL's record, TLS 1.2 and every TLS 1.3 suite")
  {
    const LoopbackBlock net;
    const ServerIdentity identity;
    struct Case
    {
      const char* name;
      int max_version;
      const char* suites;
      bool own; // read by the probe itself (one connection); else OpenSSL asks again (two)
      const char* expected_suite;
    };
    const std::vector<Case> cases = {
        {"TLS 1.2", TLS1_2_VERSION, nullptr, true, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
        {"TLS 1.3 AES-128-GCM", TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", true, "TLS_AES_128_GCM_SHA256"},
        {"TLS 1.3 AES-256-GCM", TLS1_3_VERSION, "TLS_AES_256_GCM_SHA384", true, "TLS_AES_256_GCM_SHA384"},
        {"TLS 1.3 ChaCha20-Poly1305", TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256", true, "TLS_CHACHA20_POLY1305_SHA256"},
        {"TLS 1.3 AES-128-CCM: left to OpenSSL", TLS1_3_VERSION, "TLS_AES_128_CCM_SHA256", false, "TLS_AES_128_CCM_SHA256"},
    };
    const std::uint16_t port = net.port(7);
    int device = 60;
    for (const Case& c : cases) {
      for (const bool client_certificate : {false, true}) {
        CAPTURE(c.name);
        CAPTURE(client_certificate);
        const std::string ip = net.address("0." + std::to_string(device++)); // one device each
        const ScriptedServer server(identity, ip, port, c.max_version, After::reset, client_certificate, c.suites);
        ProbeSettings own_settings = settings_for(HandshakeMode::certificate_only);
        const Observation own = run_probe(ip, port, own_settings, "phone.example.net");
        CHECK(server.connections() == (c.own ? 1 : 2));
        CHECK(server.last_server_name() == "phone.example.net");
        ProbeSettings openssl_settings = settings_for(HandshakeMode::certificate_only);
        openssl_settings.own_hello = false;
        const int before = server.connections();
        const Observation openssl = run_probe(ip, port, openssl_settings, "phone.example.net");
        CHECK(server.connections() == before + 1);
        CHECK(own.error == ErrorClass::none);
        REQUIRE(own.chain.size() == 1);
        CHECK(own.chain.front() == to_der(identity.cert.get()));
        CHECK(own.cipher_suite == c.expected_suite);
        check_same_record(own, openssl);
        CHECK(own.cipher == openssl.cipher);
        CHECK(own.client_certificate_requested == openssl.client_certificate_requested);
        if (c.max_version == TLS1_3_VERSION) {
          CHECK(own.client_certificate_requested == client_certificate);
        }
      }
    }
  }

  TEST_CASE("identity exchange: openssl s_server -www answers a GET, TLS 1.2 and 1.3, both modes")
  {
    REQUIRE_MESSAGE(std::filesystem::exists(k_openssl),
                    "the openssl command line tool (Debian package openssl, ./install-deps.sh) is missing");
    const LoopbackBlock net;
    const TempDir dir;
    const ServerIdentity identity;
    const std::string ip = net.address("0.10");
    const std::vector<unsigned char> leaf = to_der(identity.cert.get());

    for (const char* version : {"-tls1_2", "-tls1_3"}) {
      CAPTURE(version);
      const OpensslServer server(dir, identity, ip, net.port(0), version);
      for (const HandshakeMode mode : {HandshakeMode::certificate_only, HandshakeMode::full}) {
        CAPTURE(static_cast<int>(mode));
        const Observation without = run_probe(ip, net.port(0), settings_for(mode));
        REQUIRE(without.error == ErrorClass::none);
        REQUIRE(without.chain.size() == 1);
        CHECK(without.chain.front() == leaf);
        CHECK_FALSE(without.identity.has_value());

        ProbeSettings settings = settings_for(mode);
        settings.identity = http_plan();
        std::string local_ip;
        settings.identity->request = [&local_ip](const std::string& own_ip, std::uint16_t own_port) {
          local_ip = own_ip;
          CHECK(own_port != 0);
          return k_http_get;
        };
        const Observation obs = run_probe(ip, net.port(0), settings);
        check_same_record(obs, without);
        CHECK(local_ip.starts_with("127.")); // the connection's own address
        REQUIRE(obs.identity.has_value());
        CHECK(obs.identity->protocol == IdentityProtocol::http);
        CHECK(obs.identity->complete);
        CHECK(obs.identity->error.empty());
        CHECK(obs.identity->response.starts_with("HTTP/1.0 200 ok"));
        CHECK(obs.identity->response.find("</HTML>") != std::string::npos);
        CHECK(obs.tls_version == (std::string_view(version) == "-tls1_2" ? "TLSv1.2" : "TLSv1.3"));
      }
      {
        // A response the plan never calls whole: the device's close ends it.
        ProbeSettings settings = settings_for(HandshakeMode::certificate_only);
        settings.identity = http_plan("no such marker");
        const Observation obs = run_probe(ip, net.port(0), settings);
        CHECK(obs.error == ErrorClass::none);
        CHECK(obs.chain.size() == 1);
        REQUIRE(obs.identity.has_value());
        CHECK_FALSE(obs.identity->complete);
        CHECK(obs.identity->error == "closed before a complete response");
        CHECK(obs.identity->response.starts_with("HTTP/1.0 200 ok"));
      }
    }
  }

  TEST_CASE("the certificates OpenSSL parsed in the handshake go to the record, which equals one parsed from the bytes")
  {
    REQUIRE_MESSAGE(std::filesystem::exists(k_openssl),
                    "the openssl command line tool (Debian package openssl, ./install-deps.sh) is missing");
    const LoopbackBlock net;
    const TempDir dir;
    const ServerIdentity identity;
    const std::string ip = net.address("0.20");
    const std::vector<unsigned char> leaf = to_der(identity.cert.get());
    AssessmentSettings assessment;
    assessment.now = 1'800'000'000;

    for (const char* version : {"-tls1_2", "-tls1_3"}) {
      CAPTURE(version);
      const OpensslServer server(dir, identity, ip, net.port(0), version);
      for (const HandshakeMode mode : {HandshakeMode::certificate_only, HandshakeMode::full}) {
        CAPTURE(static_cast<int>(mode));
        Observation obs = run_probe(ip, net.port(0), settings_for(mode));
        REQUIRE(obs.error == ErrorClass::none);
        REQUIRE(obs.chain.size() == 1);
        CHECK(obs.chain.front() == leaf);
        // Certificate-only mode: the probe read the chain itself (TLS 1.2 from the plaintext, TLS 1.3
        // decrypted with its own replay of OpenSSL's hello), OpenSSL parsed nothing.
        const bool parsed_by_openssl = mode == HandshakeMode::full;
        CHECK(obs.peer_certificates.size() == (parsed_by_openssl ? obs.chain.size() : 0));

        Observation copy = obs; // a copy carries no objects: its record parses the bytes
        CHECK(copy.peer_certificates.empty());
        CHECK(copy.chain == obs.chain);
        const Record from_openssl = make_record(std::move(obs), assessment);
        CHECK(from_openssl.observation.peer_certificates.empty()); // taken over and freed by make_record
        const Record from_bytes = make_record(std::move(copy), assessment);
        REQUIRE(from_openssl.chain.size() == 1);
        CHECK(from_openssl.chain.front().parsed);
        CHECK(from_openssl.chain.front().sha256 == sha256_hex(identity.cert.get()));
        CHECK(record_to_json(from_openssl) == record_to_json(from_bytes));
      }
    }
  }

  TEST_CASE("identity exchange: a reset, silence, a flood past the cap, after the handshake")
  {
    const LoopbackBlock net;
    const ServerIdentity identity;
    const std::string ip = net.address("0.20");
    const std::vector<unsigned char> leaf = to_der(identity.cert.get());
    for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
      CAPTURE(version);
      SUBCASE("reset")
      {
        const ScriptedServer server(identity, ip, net.port(1), version, After::reset);
        ProbeSettings settings = settings_for(HandshakeMode::certificate_only);
        settings.identity = http_plan();
        const Observation obs = run_probe(ip, net.port(1), settings);
        CHECK(obs.error == ErrorClass::none);
        REQUIRE(obs.chain.size() == 1);
        CHECK(obs.chain.front() == leaf);
        REQUIRE(obs.identity.has_value());
        CHECK_FALSE(obs.identity->complete);
        CHECK(obs.identity->error == "reset");
      }
      SUBCASE("silent: the endpoint's deadline ends the exchange, the certificate is kept")
      {
        const ScriptedServer server(identity, ip, net.port(2), version, After::silent);
        ProbeSettings settings = settings_for(HandshakeMode::certificate_only, std::chrono::milliseconds(1500));
        settings.identity = http_plan();
        const auto start = Clock::now();
        const Observation obs = run_probe(ip, net.port(2), settings);
        CHECK(Clock::now() - start < std::chrono::seconds(5));
        CHECK(obs.error == ErrorClass::none);
        REQUIRE(obs.chain.size() == 1);
        CHECK(obs.chain.front() == leaf);
        REQUIRE(obs.identity.has_value());
        CHECK(obs.identity->error == "timeout");
        CHECK(obs.identity->response.empty());
      }
      SUBCASE("flood: the response is cut at the cap")
      {
        const ScriptedServer server(identity, ip, net.port(3), version, After::flood);
        ProbeSettings settings = settings_for(HandshakeMode::full);
        settings.identity = http_plan();
        const Observation obs = run_probe(ip, net.port(3), settings);
        CHECK(obs.error == ErrorClass::none);
        CHECK(obs.handshake_complete);
        REQUIRE(obs.identity.has_value());
        CHECK_FALSE(obs.identity->complete);
        CHECK(obs.identity->response.size() == k_identity_response_cap);
        CHECK(obs.identity->error == "response cut at 16384 bytes");
      }
    }
  }

  TEST_CASE("identity exchange: a device that requires a client certificate keeps its certificate record")
  {
    const LoopbackBlock net;
    const ServerIdentity identity;
    const std::string ip = net.address("0.30");
    for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
      CAPTURE(version);
      const ScriptedServer server(identity, ip, net.port(4), version, After::silent, true);
      for (const HandshakeMode mode : {HandshakeMode::certificate_only, HandshakeMode::full}) {
        CAPTURE(static_cast<int>(mode));
        const Observation without = run_probe(ip, net.port(4), settings_for(mode));
        ProbeSettings settings = settings_for(mode);
        settings.identity = http_plan();
        const Observation obs = run_probe(ip, net.port(4), settings);
        REQUIRE(without.chain.size() == 1);
        check_same_record(obs, without);
        CHECK(obs.client_certificate_requested == true);
        REQUIRE(obs.identity.has_value());
        CAPTURE(obs.identity->error);
        CHECK_FALSE(obs.identity->complete);
        if (version == TLS1_2_VERSION) {
          // The device refuses the (empty) client certificate inside the handshake.
          CHECK(obs.identity->error.starts_with("handshake did not complete: received TLS alert"));
        } else {
          // TLS 1.3: complete on the client's side; the device's alert comes after.
          CHECK(obs.identity->error.find("certificate_required") != std::string::npos);
        }
        if (mode == HandshakeMode::full) {
          CHECK(obs.error == ErrorClass::tls_alert);
        } else {
          CHECK(obs.error == ErrorClass::none);
        }
      }
    }
  }

  TEST_CASE("identity exchange: no connection says why there was no exchange")
  {
    const LoopbackBlock net;
    ProbeSettings settings = settings_for(HandshakeMode::certificate_only);
    settings.identity = http_plan();
    const Observation obs = run_probe(net.address("0.40"), net.port(5), settings); // nothing listens
    CHECK(obs.error == ErrorClass::refused);
    REQUIRE(obs.identity.has_value());
    CHECK(obs.identity->error.starts_with("handshake did not complete: "));
    CHECK(obs.identity->response.empty());
  }
}
