// The simulated devices on the wire.
//
//   thread k ── io_context k ── accept_loop (one per endpoint whose index % threads == k)
//                                  │ accepted socket
//                                  ▼
//                               serve_connection ── behaviour: serve_tls | close | garbage | http
//                                  │                            | alert | reset | reset-mid | tarpit
//                                  │                            | drip (serve_drip below) | raw-flight
//                                  └─ deadline timer: closes the socket after 30 s (not tarpits)
//   serve_tls, for a port with an "identity": after the handshake, reads the SIP OPTIONS or HTTP
//   GET head and answers it (answer_identity): normally or in one of the hostile ways.
//   io_context 0 also holds the signal set (SIGTERM, SIGINT) and the --duration timer; either
//   stops every io_context, and the pending coroutines are destroyed with them.
//
// Each io_context is run by exactly one thread, so a connection's coroutine and its timer never
// race. Every connection that is not a tarpit is closed within k_session_limit.
//
// raw-flight answers a ClientHello that offers its suite (and, for SSL 3.0, has client_version
// 0x0300) with a hand-built plaintext flight: ServerHello (that suite) + Certificate (+
// CertificateRequest) + ServerHelloDone, then waits for the peer to close; any other hello gets a
// fatal alert. It plays the devices no OpenSSL ClientHello reaches.
//
// drip runs a real server handshake over memory BIOs:
//   socket ──read──> rbio ──SSL_do_handshake──> wbio ──one byte, pause 1 s, one byte...──> socket
// so a client sees a valid handshake that would need minutes, and only a total deadline stops it.

#include "device_server.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/signal_set.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <csignal>
#include <map>
#include <optional>
#include <random>
#include <vector>

namespace fleetcert::sim {
namespace {

using asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto use_ec = asio::experimental::as_tuple(asio::use_awaitable);
constexpr auto k_session_limit = 30s;
constexpr auto k_accept_backoff = 100ms;
constexpr auto k_drip_interval = 1s;
constexpr const char* k_http_response =
    "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
// A fatal handshake_failure alert in a TLS 1.0 record.
constexpr std::array<unsigned char, 7> k_alert = {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28};

// What a connection counts in: its address's counters and the server's change counter; the
// accept times are taken from `epoch` on.
struct Counting
{
  AddressCounters* address = nullptr;
  std::atomic<std::uint64_t>* version = nullptr;
  std::chrono::steady_clock::time_point epoch;
};

// One accepted connection and its deadline; counted as open for as long as it lives.
struct Session
{
  Session(tcp::socket accepted, Counting counting)
      : socket(std::move(accepted))
      , deadline(socket.get_executor())
      , counted(counting)
  {
    const unsigned open = ++counted.address->open;
    unsigned seen = counted.address->max_open.load();
    while (open > seen && !counted.address->max_open.compare_exchange_weak(seen, open)) {
    }
    ++counted.address->total;
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - counted.epoch).count();
    std::int64_t none = -1;
    counted.address->first_accept_us.compare_exchange_strong(none, now);
    std::int64_t last = counted.address->last_accept_us.load();
    while (now > last && !counted.address->last_accept_us.compare_exchange_weak(last, now)) {
    }
    ++*counted.version;
  }
  ~Session()
  {
    --counted.address->open;
    ++*counted.version;
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  tcp::socket socket;
  asio::steady_timer deadline;
  Counting counted;
};

// Closes the session's socket when k_session_limit passes, so every pending operation ends.
void arm_deadline(const std::shared_ptr<Session>& session)
{
  session->deadline.expires_after(k_session_limit);
  session->deadline.async_wait([weak = std::weak_ptr<Session>(session)](std::error_code ec) {
    if (ec) {
      return;
    }
    if (const auto alive = weak.lock()) {
      std::error_code ignored;
      alive->socket.close(ignored);
    }
  });
}

// Reads and discards until the peer closes or the socket is closed.
asio::awaitable<void> drain(std::shared_ptr<Session> session)
{
  std::array<char, 4096> buffer;
  for (;;) {
    auto [ec, n] = co_await session->socket.async_read_some(asio::buffer(buffer), use_ec);
    if (ec) {
      co_return;
    }
  }
}

// Sends FIN, then waits for the peer's, so unread input never turns the close into a reset.
asio::awaitable<void> finish(std::shared_ptr<Session> session)
{
  std::error_code ignored;
  session->socket.shutdown(tcp::socket::shutdown_send, ignored);
  co_await drain(session);
}

// 64 bytes that cannot start a TLS record (content type 0x00).
std::array<unsigned char, 64> garbage_bytes()
{
  thread_local std::minstd_rand random{std::random_device{}()};
  std::array<unsigned char, 64> bytes{};
  const char prefix[] = "\x00\x01\xffGARBAGE";
  std::copy(prefix, prefix + sizeof prefix - 1, bytes.begin());
  for (std::size_t i = sizeof prefix - 1; i < bytes.size(); ++i) {
    bytes[i] = static_cast<unsigned char>(random());
  }
  return bytes;
}

int version_number(const std::string& version)
{
  if (version == "1.0") {
    return TLS1_VERSION;
  }
  if (version == "1.1") {
    return TLS1_1_VERSION;
  }
  if (version == "1.2") {
    return TLS1_2_VERSION;
  }
  return TLS1_3_VERSION;
}

int accept_any_certificate(int, X509_STORE_CTX*)
{
  return 1;
}

// Gives `ssl` the endpoint's certificate, key, chain, versions and client-certificate demand.
bool present(SSL* ssl, const Endpoint& endpoint)
{
  const CertificateTemplate& cert = endpoint.spec->certificate;
  if (SSL_use_certificate(ssl, endpoint.leaf.get()) != 1
      || SSL_use_PrivateKey(ssl, endpoint.key.get()) != 1) {
    return false;
  }
  for (X509* ca : endpoint.chain) {
    if (SSL_add1_chain_cert(ssl, ca) != 1) {
      return false;
    }
  }
  // Allowed versions: the range from the lowest to the highest, minus any gap.
  SSL_set_min_proto_version(ssl, version_number(cert.tls.front()));
  SSL_set_max_proto_version(ssl, version_number(cert.tls.back()));
  const std::pair<const char*, std::uint64_t> k_gaps[] = {
      {"1.1", SSL_OP_NO_TLSv1_1}, {"1.2", SSL_OP_NO_TLSv1_2}};
  for (const auto& [version, option] : k_gaps) {
    if (std::find(cert.tls.begin(), cert.tls.end(), version) == cert.tls.end()) {
      SSL_set_options(ssl, option);
    }
  }
  if (cert.require_client_cert) {
    SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any_certificate);
  } else if (cert.request_client_cert) {
    SSL_set_verify(ssl, SSL_VERIFY_PEER, accept_any_certificate);
  }
  return true;
}

void reset(const std::shared_ptr<Session>& session)
{
  std::error_code ignored;
  session->socket.set_option(asio::socket_base::linger(true, 0), ignored);
  session->socket.close(ignored);
}

using TlsStream = asio::ssl::stream<tcp::socket&>;

// The bytes of one header line `name` of a request head ("" when absent), without its line end.
std::string request_header(const std::string& head, const std::string& name)
{
  std::size_t at = 0;
  while (at < head.size()) {
    std::size_t end = head.find('\n', at);
    if (end == std::string::npos) {
      end = head.size();
    }
    std::string line = head.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    const std::size_t colon = line.find(':');
    if (colon != std::string::npos && colon == name.size()
        && std::equal(name.begin(), name.end(), line.begin(),
                      [](char a, char b) { return std::tolower(static_cast<unsigned char>(a))
                                                  == std::tolower(static_cast<unsigned char>(b)); })) {
      std::size_t value = colon + 1;
      while (value < line.size() && line[value] == ' ') {
        ++value;
      }
      return line.substr(value);
    }
    at = end + 1;
  }
  return {};
}

// The answer a port with an "identity" gives to `request` (a SIP OPTIONS or an HTTP GET).
std::string identity_answer(const IdentityTemplate& identity, const Endpoint& endpoint, const std::string& request)
{
  const bool sip = request.starts_with("OPTIONS ");
  const std::string reason = identity.status == 200 ? "OK" : "Response";
  std::string answer = (sip ? "SIP/2.0 " : "HTTP/1.1 ") + std::to_string(identity.status) + " " + reason + "\r\n";
  if (identity.answer == IdentityAnswer::status_only) {
    return answer + "\r\n";
  }
  std::string body;
  if (sip) {
    for (const char* name : {"Via", "From", "To", "Call-ID", "CSeq"}) {
      std::string value = request_header(request, name);
      if (!value.empty()) {
        answer += std::string(name) + ": " + value + (std::string(name) == "To" ? ";tag=fleetsim" : "") + "\r\n";
      }
    }
  } else {
    answer += "Content-Type: text/html\r\nConnection: close\r\n";
    body = "<html><head>";
    if (!identity.title.empty()) {
      body += "<title>" + substitute(identity.title, endpoint) + "</title>";
    }
    body += "</head><body>fleet-sim</body></html>\n";
  }
  if (identity.answer == IdentityAnswer::long_header) {
    answer += "X-Padding: " + std::string(8192, 'A') + "\r\n";
  }
  if (sip && !identity.user_agent.empty()) {
    answer += "User-Agent: " + substitute(identity.user_agent, endpoint) + "\r\n";
  }
  // A device names itself once: in a SIP answer by its User-Agent, the Server only without one.
  if (!identity.server.empty() && !(sip && !identity.user_agent.empty())) {
    answer += "Server: " + substitute(identity.server, endpoint) + "\r\n";
  }
  if (sip) {
    answer += "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n";
  }
  answer += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return answer;
}

// After the handshake: reads the request head (at most 16 KiB), then answers as the port's
// identity says: normally, with an 8 KiB header line, binary garbage, one byte per second, a
// status line alone, a reset, or silence.
asio::awaitable<void> answer_identity(std::shared_ptr<Session> session, TlsStream* stream,
                                      const IdentityTemplate* identity, const Endpoint* endpoint)
{
  std::string request;
  std::array<char, 4096> buffer;
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < 16384) {
    auto [ec, n] = co_await stream->async_read_some(asio::buffer(buffer), use_ec);
    if (ec) {
      if (ec == asio::error::eof) {
        // The client closed without a request (it wanted the certificate only): answer its
        // close_notify as a port without an identity does.
        auto [shutdown_error] = co_await stream->async_shutdown(use_ec);
        (void)shutdown_error;
      }
      co_return;
    }
    request.append(buffer.data(), n);
  }
  if (identity->answer == IdentityAnswer::reset) {
    reset(session);
    co_return;
  }
  if (identity->answer == IdentityAnswer::silence) {
    for (;;) {
      auto [ec, n] = co_await stream->async_read_some(asio::buffer(buffer), use_ec);
      if (ec) {
        co_return;
      }
    }
  }
  std::string answer;
  if (identity->answer == IdentityAnswer::garbage) {
    const auto bytes = garbage_bytes();
    answer.assign(bytes.begin(), bytes.end());
  } else {
    answer = identity_answer(*identity, *endpoint, request);
  }
  if (identity->answer == IdentityAnswer::drip) {
    asio::steady_timer pause(session->socket.get_executor());
    for (char byte : answer) {
      auto [write_error, written] = co_await asio::async_write(*stream, asio::buffer(&byte, 1), use_ec);
      (void)written;
      if (write_error) {
        co_return;
      }
      pause.expires_after(k_drip_interval);
      auto [pause_error] = co_await pause.async_wait(use_ec);
      (void)pause_error;
      if (!session->socket.is_open()) {
        co_return;
      }
    }
  } else {
    auto [write_error, written] = co_await asio::async_write(*stream, asio::buffer(answer), use_ec);
    (void)written;
    if (write_error) {
      co_return;
    }
  }
  // Then wait for the client to close (an HTTP client was told Connection: close).
  for (;;) {
    auto [ec, n] = co_await stream->async_read_some(asio::buffer(buffer), use_ec);
    if (ec) {
      if (ec == asio::error::eof) {
        auto [shutdown_error] = co_await stream->async_shutdown(use_ec);
        (void)shutdown_error;
      }
      co_return;
    }
  }
}

asio::awaitable<void> serve_tls(std::shared_ptr<Session> session, const Endpoint* endpoint,
                                asio::ssl::context* tls)
{
  asio::ssl::stream<tcp::socket&> stream(session->socket, *tls);
  if (!present(stream.native_handle(), *endpoint)) {
    co_return;
  }
  auto [handshake_error] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_ec);
  if (!handshake_error && endpoint->identity != nullptr) {
    co_await answer_identity(session, &stream, endpoint->identity, endpoint);
    if (!session->socket.is_open()) {
      co_return; // reset, or closed at the session limit
    }
  } else if (!handshake_error) {
    // Hold the session until the client is done with it.
    std::array<char, 4096> buffer;
    std::error_code read_error;
    while (!read_error) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(buffer), use_ec);
      read_error = ec;
    }
    if (read_error == asio::error::eof) {
      // The client sent close_notify: answer it, so a client waiting for ours is not kept.
      auto [shutdown_error] = co_await stream.async_shutdown(use_ec);
      (void)shutdown_error;
    }
  }
  co_await finish(session);
}

asio::awaitable<void> send_garbage(std::shared_ptr<Session> session)
{
  const auto bytes = garbage_bytes();
  auto [ec, n] = co_await asio::async_write(session->socket, asio::buffer(bytes), use_ec);
  (void)n;
  if (!ec) {
    co_await finish(session);
  }
}

asio::awaitable<void> answer_http(std::shared_ptr<Session> session)
{
  std::array<char, 4096> buffer;
  auto [read_error, n] = co_await session->socket.async_read_some(asio::buffer(buffer), use_ec);
  (void)n;
  if (read_error) {
    co_return;
  }
  auto [write_error, written] =
      co_await asio::async_write(session->socket, asio::buffer(std::string_view(k_http_response)), use_ec);
  (void)written;
  if (!write_error) {
    co_await finish(session);
  }
}

// Reads one whole TLS record (the ClientHello) into `*complete`; false when the peer stopped or
// failed first. (An out-parameter: g++ 12 miscompiles some co_await expressions with values.)
asio::awaitable<void> read_record(std::shared_ptr<Session> session, bool* complete)
{
  *complete = false;
  std::array<unsigned char, 5 + 16384> record;
  std::size_t have = 0;
  while (have < record.size()) {
    auto [ec, n] = co_await session->socket.async_read_some(
        asio::buffer(record.data() + have, record.size() - have), use_ec);
    if (ec) {
      break;
    }
    have += n;
    if (have >= 5 && have >= 5 + (std::size_t{record[3]} << 8 | record[4])) {
      *complete = true;
      break;
    }
  }
}

asio::awaitable<void> answer_alert(std::shared_ptr<Session> session)
{
  bool complete = false;
  co_await read_record(session, &complete);
  if (!complete) {
    co_return;
  }
  auto [ec, n] = co_await asio::async_write(session->socket, asio::buffer(k_alert), use_ec);
  (void)n;
  if (!ec) {
    co_await finish(session);
  }
}

// Holds the connection open, reading and discarding, until the peer closes or the sim exits.
asio::awaitable<void> hold(std::shared_ptr<Session> session)
{
  co_await drain(session);
}

// Reads the ClientHello, then resets: the peer's handshake dies half-way.
asio::awaitable<void> reset_mid_handshake(std::shared_ptr<Session> session)
{
  bool complete = false;
  co_await read_record(session, &complete);
  if (complete) {
    reset(session);
  }
}

struct SslDeleter
{
  void operator()(SSL* p) const { SSL_free(p); }
};

// A real server handshake over memory BIOs whose output reaches the peer one byte per
// k_drip_interval; ends when the handshake completes, fails, or the socket is closed (the peer
// gave up, or the session deadline passed).
asio::awaitable<void> serve_drip(std::shared_ptr<Session> session, const Endpoint* endpoint,
                                 asio::ssl::context* tls)
{
  std::unique_ptr<SSL, SslDeleter> ssl(SSL_new(tls->native_handle()));
  BIO* input = BIO_new(BIO_s_mem());
  BIO* output = BIO_new(BIO_s_mem());
  if (!ssl || input == nullptr || output == nullptr) {
    BIO_free(input);
    BIO_free(output);
    co_return;
  }
  SSL_set_bio(ssl.get(), input, output); // ssl owns both now
  SSL_set_accept_state(ssl.get());
  if (!present(ssl.get(), *endpoint)) {
    co_return;
  }
  std::array<char, 4096> buffer;
  asio::steady_timer pause(session->socket.get_executor());
  for (;;) {
    auto [read_error, n] = co_await session->socket.async_read_some(asio::buffer(buffer), use_ec);
    if (read_error) {
      co_return;
    }
    BIO_write(input, buffer.data(), static_cast<int>(n));
    const int result = SSL_do_handshake(ssl.get());
    const bool want_more = result != 1 && SSL_get_error(ssl.get(), result) == SSL_ERROR_WANT_READ;
    ERR_clear_error();
    // Whatever the handshake produced (an alert too), one byte at a time.
    char byte = 0;
    while (BIO_read(output, &byte, 1) == 1) {
      auto [write_error, written] =
          co_await asio::async_write(session->socket, asio::buffer(&byte, 1), use_ec);
      (void)written;
      if (write_error) {
        co_return;
      }
      pause.expires_after(k_drip_interval);
      auto [pause_error] = co_await pause.async_wait(use_ec);
      (void)pause_error;
      if (!session->socket.is_open()) {
        co_return;
      }
    }
    if (!want_more) {
      break;
    }
  }
  co_await finish(session);
}

using Bytes = std::vector<unsigned char>;

void put_u16(Bytes& out, std::size_t value)
{
  out.push_back(static_cast<unsigned char>((value >> 8) & 0xFF));
  out.push_back(static_cast<unsigned char>(value & 0xFF));
}

void put_u24(Bytes& out, std::size_t value)
{
  out.push_back(static_cast<unsigned char>((value >> 16) & 0xFF));
  put_u16(out, value & 0xFFFF);
}

void put_message(Bytes& out, unsigned char type, const Bytes& body)
{
  out.push_back(type);
  put_u24(out, body.size());
  out.insert(out.end(), body.begin(), body.end());
}

// What a raw-flight device makes of a ClientHello record: nullopt when it is none (then it
// closes); otherwise the alert description to answer with, or 0 to answer with its flight.
std::optional<unsigned char> judge_client_hello(const Bytes& record, const PortTemplate& spec)
{
  // record(5) type(1) length(3) version(2) random(32) session_id(1+n) suites(2+n)
  if (record.size() < 5 + 4 + 2 + 32 + 1 || record[0] != 22 || record[5] != 1) {
    return std::nullopt;
  }
  const std::uint16_t client_version = static_cast<std::uint16_t>((record[9] << 8) | record[10]);
  std::size_t at = 5 + 4 + 2 + 32;
  at += 1 + record[at];
  if (at + 2 > record.size()) {
    return std::nullopt;
  }
  const std::size_t suites_length = (std::size_t{record[at]} << 8) | record[at + 1];
  at += 2;
  if (at + suites_length > record.size()) {
    return std::nullopt;
  }
  if (spec.raw_version == 0x0300 ? client_version != 0x0300 : client_version < spec.raw_version) {
    return static_cast<unsigned char>(70); // protocol_version: an SSL 3.0 stack intolerant of newer hellos
  }
  for (std::size_t i = 0; i + 1 < suites_length; i += 2) {
    if (((record[at + i] << 8) | record[at + i + 1]) == spec.raw_suite) {
      return static_cast<unsigned char>(0);
    }
  }
  return static_cast<unsigned char>(40); // handshake_failure: no suite in common
}

// ServerHello (raw_suite, raw_version) + Certificate + [CertificateRequest] + ServerHelloDone, in
// handshake records of at most 2^14 bytes.
Bytes raw_flight(const Endpoint& endpoint)
{
  const PortTemplate& spec = *endpoint.spec;
  Bytes messages;
  Bytes hello;
  put_u16(hello, spec.raw_version);
  std::mt19937 random(std::random_device{}());
  for (int i = 0; i < 32; ++i) {
    hello.push_back(static_cast<unsigned char>(random() & 0xFF));
  }
  hello.push_back(0); // no session id
  put_u16(hello, spec.raw_suite);
  hello.push_back(0); // null compression; no extensions
  put_message(messages, 2, hello);

  Bytes list;
  const auto add = [&list](const X509* cert) {
    const Bytes der = testing::to_der(cert);
    put_u24(list, der.size());
    list.insert(list.end(), der.begin(), der.end());
  };
  add(endpoint.leaf.get());
  for (const X509* ca : endpoint.chain) {
    add(ca);
  }
  Bytes certificate;
  put_u24(certificate, list.size());
  certificate.insert(certificate.end(), list.begin(), list.end());
  put_message(messages, 11, certificate);

  const CertificateTemplate& cert = spec.certificate;
  if (cert.request_client_cert || cert.require_client_cert) {
    Bytes request{1, 1}; // certificate_types: rsa_sign
    if (spec.raw_version >= 0x0303) {
      put_u16(request, 2);
      put_u16(request, 0x0401); // rsa_pkcs1_sha256
    }
    put_u16(request, 0); // no certificate_authorities
    put_message(messages, 13, request);
  }
  put_message(messages, 14, {});

  Bytes out;
  for (std::size_t at = 0; at < messages.size(); at += 16384) {
    const std::size_t n = std::min<std::size_t>(16384, messages.size() - at);
    out.push_back(22);
    put_u16(out, spec.raw_version);
    put_u16(out, n);
    out.insert(out.end(), messages.begin() + static_cast<std::ptrdiff_t>(at),
               messages.begin() + static_cast<std::ptrdiff_t>(at + n));
  }
  return out;
}

// Reads one whole TLS record (the ClientHello, up to 2^14 bytes) into `*record`; empty when the
// peer stopped first or sent more than a record can hold.
asio::awaitable<void> read_whole_record(std::shared_ptr<Session> session, Bytes* record)
{
  record->assign(5 + 16384, 0);
  std::size_t have = 0;
  while (have < record->size()) {
    auto [ec, n] = co_await session->socket.async_read_some(
        asio::buffer(record->data() + have, record->size() - have), use_ec);
    if (ec) {
      break;
    }
    have += n;
    const std::size_t length = (std::size_t{(*record)[3]} << 8) | (*record)[4];
    if (have >= 5 && have >= 5 + length) {
      record->resize(5 + length);
      co_return;
    }
  }
  record->clear();
}

asio::awaitable<void> serve_raw_flight(std::shared_ptr<Session> session, const Endpoint* endpoint)
{
  Bytes record;
  co_await read_whole_record(session, &record);
  const std::optional<unsigned char> verdict = judge_client_hello(record, *endpoint->spec);
  if (!verdict) {
    co_return;
  }
  Bytes answer;
  if (*verdict == 0) {
    answer = raw_flight(*endpoint);
  } else {
    answer = {0x15}; // a fatal alert in a record of the device's version
    put_u16(answer, endpoint->spec->raw_version);
    answer.insert(answer.end(), {0x00, 0x02, 0x02, *verdict});
  }
  auto [ec, n] = co_await asio::async_write(session->socket, asio::buffer(answer), use_ec);
  (void)n;
  if (ec) {
    co_return;
  }
  if (*verdict == 0) {
    co_await drain(session); // waits for the client's next move, as a device mid-handshake does
  } else {
    co_await finish(session);
  }
}

asio::awaitable<void> serve_connection(tcp::socket socket, const Endpoint* endpoint,
                                       asio::ssl::context* tls, Counting counting)
{
  auto session = std::make_shared<Session>(std::move(socket), counting);
  const Behaviour behaviour = endpoint->spec->behaviour;
  if (behaviour == Behaviour::reset) {
    reset(session);
    co_return;
  }
  if (behaviour == Behaviour::tarpit) {
    co_await hold(session);
    co_return;
  }
  arm_deadline(session);
  if (behaviour == Behaviour::tls) {
    co_await serve_tls(session, endpoint, tls);
  } else if (behaviour == Behaviour::close) {
    co_await finish(session);
  } else if (behaviour == Behaviour::garbage) {
    co_await send_garbage(session);
  } else if (behaviour == Behaviour::http) {
    co_await answer_http(session);
  } else if (behaviour == Behaviour::alert) {
    co_await answer_alert(session);
  } else if (behaviour == Behaviour::reset_mid) {
    co_await reset_mid_handshake(session);
  } else if (behaviour == Behaviour::drip) {
    co_await serve_drip(session, endpoint, tls);
  } else if (behaviour == Behaviour::raw_flight) {
    co_await serve_raw_flight(session, endpoint);
  }
  std::error_code ignored;
  session->deadline.cancel();
  session->socket.close(ignored);
}

asio::awaitable<void> accept_loop(tcp::acceptor acceptor, const Endpoint* endpoint,
                                  asio::ssl::context* tls, Counting counting)
{
  const auto executor = acceptor.get_executor();
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_ec);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
      co_return;
    }
    if (ec) {
      // Out of descriptors and the like: wait a little instead of spinning.
      asio::steady_timer pause(executor, k_accept_backoff);
      auto [pause_error] = co_await pause.async_wait(use_ec);
      (void)pause_error;
      continue;
    }
    asio::co_spawn(executor, serve_connection(std::move(socket), endpoint, tls, counting), asio::detached);
  }
}

// The one permissive server context: every version and cipher, security level 0.
asio::ssl::context make_server_context()
{
  asio::ssl::context context(asio::ssl::context::tls_server);
  SSL_CTX* ctx = context.native_handle();
  SSL_CTX_set_security_level(ctx, 0);
  SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
  SSL_CTX_set_options(ctx, SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_dh_auto(ctx, 1);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  return context;
}

} // namespace

DeviceServer::DeviceServer(unsigned threads)
    : m_tls(make_server_context())
{
  for (unsigned i = 0; i < std::max(1u, threads); ++i) {
    m_contexts.push_back(std::make_unique<asio::io_context>(1));
  }
}

DeviceServer::~DeviceServer()
{
  for (auto& context : m_contexts) {
    context->stop();
  }
  for (std::thread& thread : m_threads) {
    if (thread.joinable()) {
      thread.join();
    }
  }
  m_signals.reset();
  m_duration.reset();
  m_acceptors.clear();
  // Pending connections die with their io_context and uncount themselves: before the counters go.
  m_contexts.clear();
}

std::optional<BindFailure> DeviceServer::bind(const std::vector<Endpoint>& endpoints)
{
  m_acceptors.reserve(endpoints.size());
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    const Endpoint& endpoint = endpoints[i];
    const std::string name = (endpoint.ipv6 ? "[" + endpoint.ip + "]" : endpoint.ip) + ":"
                             + std::to_string(endpoint.port);
    // The description checked this already; a listener is never opened anywhere else.
    if (!is_allowed_address(endpoint.ip)) {
      return BindFailure{"refusing to listen on " + name + ": not a loopback address"};
    }
    std::error_code ec;
    const tcp::endpoint address(asio::ip::make_address(endpoint.ip, ec), endpoint.port);
    if (ec) {
      return BindFailure{"bad address " + name + ": " + ec.message()};
    }
    tcp::acceptor acceptor(*m_contexts[i % m_contexts.size()]);
    const char* step = "open";
    acceptor.open(address.protocol(), ec);
    if (!ec) {
      step = "set SO_REUSEADDR on";
      acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec && endpoint.ipv6) {
      step = "set IPV6_V6ONLY on";
      acceptor.set_option(asio::ip::v6_only(true), ec);
    }
    if (!ec) {
      step = "bind";
      acceptor.bind(address, ec);
    }
    if (!ec) {
      step = "listen on";
      acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      std::string message = std::string("cannot ") + step + " " + name + ": " + ec.message();
      if (ec == std::errc::too_many_files_open) {
        message += " (the fleet needs one descriptor per endpoint: raise the hard RLIMIT_NOFILE)";
      }
      return BindFailure{message};
    }
    m_acceptors.push_back(std::move(acceptor));
  }
  return std::nullopt;
}

void DeviceServer::start(const std::vector<Endpoint>& endpoints, std::chrono::seconds duration)
{
  std::map<std::string, std::size_t> address_index;
  for (const Endpoint& endpoint : endpoints) {
    if (address_index.emplace(endpoint.ip, m_addresses.size()).second) {
      m_addresses.push_back(endpoint.ip);
    }
  }
  m_counters = std::make_unique<AddressCounters[]>(m_addresses.size());
  for (std::size_t i = 0; i < m_acceptors.size() && i < endpoints.size(); ++i) {
    const auto executor = m_acceptors[i].get_executor();
    const Counting counting{&m_counters[address_index.at(endpoints[i].ip)], &m_stats_version, m_epoch};
    asio::co_spawn(executor, accept_loop(std::move(m_acceptors[i]), &endpoints[i], &m_tls, counting),
                   asio::detached);
  }
  m_acceptors.clear();

  auto stop_all = [this] {
    for (auto& context : m_contexts) {
      context->stop();
    }
  };
  asio::io_context& control = *m_contexts.front();
  m_signals = std::make_unique<asio::signal_set>(control, SIGTERM, SIGINT);
  m_signals->async_wait([this, stop_all](std::error_code ec, int signal_number) {
    if (!ec) {
      m_stop_signal = signal_number;
      stop_all();
    }
  });
  m_duration = std::make_unique<asio::steady_timer>(control, duration);
  m_duration->async_wait([stop_all](std::error_code ec) {
    if (!ec) {
      stop_all();
    }
  });
  for (auto& context : m_contexts) {
    m_threads.emplace_back([&io = *context] { io.run(); });
  }
}

nlohmann::json DeviceServer::stats() const
{
  nlohmann::json addresses = nlohmann::json::array();
  unsigned max_open = 0;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < m_addresses.size(); ++i) {
    const AddressCounters& counters = m_counters[i];
    max_open = std::max(max_open, counters.max_open.load());
    total += counters.total.load();
    nlohmann::json address = {{"ip", m_addresses[i]}, {"max_concurrent", counters.max_open.load()},
                              {"connections", counters.total.load()}, {"open", counters.open.load()}};
    if (const std::int64_t first = counters.first_accept_us.load(); first >= 0) {
      address["first_accept_ms"] = static_cast<double>(first) / 1000.0;
      address["last_accept_ms"] = static_cast<double>(counters.last_accept_us.load()) / 1000.0;
    }
    addresses.push_back(std::move(address));
  }
  return {{"max_concurrent_per_address", max_open}, {"connections", total}, {"addresses", std::move(addresses)}};
}

int DeviceServer::wait()
{
  for (std::thread& thread : m_threads) {
    if (thread.joinable()) {
      thread.join();
    }
  }
  return m_stop_signal;
}

} // namespace fleetcert::sim
