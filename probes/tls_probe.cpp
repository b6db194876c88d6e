// The TLS probe.
//
//   probe_endpoint ──> attempt(modern hello) ──> [no certificate, retryable] ──> attempt(legacy hello)
//                  ──> [still none] ──> raw_attempt(TLS) ──> [alert protocol_version / handshake_failure,
//                                                             or closed] ──> raw_attempt(SSL 3.0)
//
//   raw_attempt: connect ──> write the probe's own ClientHello (raw_hello) ──> read: ServerFlight walks
//                the records (TlsReader) to the ServerHello and the plaintext Certificate ──> close
//                (no key exchange; OpenSSL is not involved, so any suite the device picks will do)
//
//   attempt:  connect ──> SSL object on two memory BIOs ──> ClientHello (OpenSSL's) ──> socket
//                │
//                ├── the probe reads the socket into its own buffer (8 KiB); every byte also goes to
//                │   a CertificateRequestWatch (TLS 1.2's CertificateRequest follows the Certificate)
//                ├── certificate-only mode: ServerFlight walks the records (TlsReader, its caps) and
//                │   the bytes are kept ──> TLS 1.0-1.2 ServerHello with an offered suite, whole
//                │   Certificate ──> the chain from the plaintext, close (OpenSSL never sees it)
//                │                     └── anything else ──> the kept bytes to OpenSSL's read BIO
//                ├── OpenSSL (TLS 1.3, full mode, every hand-over): SSL_do_handshake over what it was
//                │   fed; what it writes to its write BIO goes to the socket
//                │     ├── message callback: the first record header (not TLS?), alerts, the raw
//                │     │   Certificate message as soon as it arrives (parsed by tls_records), and
//                │     │   whether a CertificateRequest came (TLS 1.3's, decrypted, comes first)
//                │     ├── certificate verify callback (tls_context): in certificate-only mode,
//                │     │   aborts the handshake right after the Certificate message
//                │     └── TLS 1.3, CertificateRequest seen, handshake complete on this side: one
//                │         read, up to k_client_certificate_verdict_wait, for the device's alert
//                ├── identity plan: complete the handshake, SSL_write the request, SSL_read the
//                │   response (cap, close, reset, deadline); the record stays as without the plan
//                └── one steady_timer per attempt: at the connect deadline, then at the endpoint's
//                    deadline, it closes the socket, so every pending operation completes at once
//
// The probe never throws; every failure becomes an ErrorClass with the stage it happened in.

#include "probes/tls_probe.hpp"
#include "scanner/util/ip_address.hpp"
#include "scanner/util/ascii.hpp"

#include "probes/cipher_suites.hpp"
#include "probes/own_hello.hpp"
#include "probes/raw_hello.hpp"
#include "probes/tls_records.hpp"

#include <asio/async_result.hpp>
#include <asio/buffer.hpp>
#include <asio/co_spawn.hpp>
#include <asio/write.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <memory>
#include <optional>

namespace fleetcert {
namespace {

constexpr auto use_ec = asio::experimental::as_tuple(asio::use_awaitable);

// How long a full TLS 1.3 handshake with a device that asked for a client certificate waits, once
// complete on the client's side, for the device's verdict on the certificate it did not get (an
// alert such as certificate_required); never beyond the endpoint's deadline. Devices that only
// ask (and accept a connection without one) cost this much more per endpoint.
constexpr auto k_client_certificate_verdict_wait = std::chrono::seconds(1);

// What the message callback saw, as the bytes arrived.
struct Capture
{
  bool header_seen = false;
  std::array<unsigned char, k_record_header_size> first_header{};
  bool server_hello = false;
  int alert = -1; // description of the first alert received
  std::vector<Der> chain;
  std::string chain_error; // the Certificate message was malformed
  CertificateStop stop;    // the early stop at the certificate (certificate-only mode)
  // What the handshake messages OpenSSL processed said about a CertificateRequest (true: one came;
  // false: the server's flight ended without one), and what the plaintext bytes said.
  std::optional<bool> certificate_requested;
  CertificateRequestWatch watch;
  // Certificate-only mode with an identity plan: the handshake goes on past the certificate, but
  // the record keeps what the stop would have seen; later alerts go to `last_alert` only.
  bool freeze_at_chain = false;
  int last_alert = -1; // description of the last alert received, whenever it came
};

// Whether the device asked for a client certificate, from both sources: true when either saw a
// CertificateRequest, false when either saw the flight end without one, nullopt when neither knows.
std::optional<bool> client_certificate_requested(const Capture& capture)
{
  const std::optional<bool> from_bytes = capture.watch.requested();
  if (capture.certificate_requested == true || from_bytes == true) {
    return true;
  }
  if (capture.certificate_requested || from_bytes) {
    return false;
  }
  return std::nullopt;
}

void on_tls_message(int write_p, int /*version*/, int content_type, const void* buf, std::size_t len,
                    SSL* ssl, void* arg)
{
  auto& capture = *static_cast<Capture*>(arg);
  const auto* p = static_cast<const unsigned char*>(buf);
  if (write_p != 0 || p == nullptr) {
    return;
  }
  const ByteSpan bytes(p, len);
  switch (content_type) {
  case SSL3_RT_HEADER:
    if (!capture.header_seen && len >= capture.first_header.size()) {
      capture.header_seen = true;
      std::copy_n(p, capture.first_header.size(), capture.first_header.begin());
    }
    break;
  case SSL3_RT_ALERT:
    if (const std::optional<Alert> alert = read_alert(bytes)) {
      capture.last_alert = alert->description;
      if (capture.alert < 0 && !(capture.freeze_at_chain && capture.stop.chain_ready)) {
        capture.alert = alert->description;
      }
    }
    break;
  case SSL3_RT_HANDSHAKE:
    if (len < k_handshake_header_size) {
      break;
    }
    if (p[0] == static_cast<unsigned char>(HandshakeType::server_hello)) {
      capture.server_hello = true;
    } else if (p[0] == static_cast<unsigned char>(HandshakeType::certificate_request)) {
      capture.certificate_requested = true;
    } else if (p[0] == static_cast<unsigned char>(HandshakeType::server_hello_done)
               || p[0] == static_cast<unsigned char>(HandshakeType::finished)) {
      // The end of the server's flight (TLS <= 1.2), or of its whole handshake: no request before.
      capture.certificate_requested = capture.certificate_requested.value_or(false);
    }
    if (p[0] == static_cast<unsigned char>(HandshakeType::certificate) && SSL_version(ssl) == TLS1_3_VERSION) {
      // RFC 8446 4.3.2: TLS 1.3's CertificateRequest comes before the server's Certificate.
      capture.certificate_requested = capture.certificate_requested.value_or(false);
    }
    if (p[0] == static_cast<unsigned char>(HandshakeType::certificate) && capture.chain.empty()) {
      const CertificateList list = parse_certificate_message(
          bytes, SSL_version(ssl) == TLS1_3_VERSION ? CertificateFormat::tls13 : CertificateFormat::tls12);
      for (const ByteSpan der : list.certificates) {
        capture.chain.emplace_back(der.begin(), der.end());
      }
      capture.chain_error = list.error ? std::string(to_string(*list.error)) : std::string();
      // A malformed message is left to OpenSSL: the full handshake then says what it made of it.
      // A chain cut at the cap is whole as far as it goes.
      capture.stop.chain_ready = !capture.chain.empty()
                                 && (!list.error || *list.error == TlsError::too_many_certificates);
    }
    break;
  default: break;
  }
}

// Milliseconds in whole microseconds, as every report writes them (JSON and CSV alike, so that a
// report rebuilt from the JSON says what the scan's CSV said).
double elapsed_ms(Clock::time_point since)
{
  return static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - since).count()) / 1000.0;
}

// One connection attempt's socket and OpenSSL state, shared with the deadline timer's handler so
// that the handler can close the socket but never touches it after the attempt has ended.
// OpenSSL is driven through two memory BIOs: the probe reads the socket into its own buffer, walks
// the records itself and hands OpenSSL only what it needs; what OpenSSL writes goes to the socket.
// The SSL object is made only once the TCP connection is up, so the many connections of a sweep
// that are refused or never answer the SYN cost a socket and nothing more.
struct SslFree
{
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};

struct Connection
{
  explicit Connection(const asio::any_io_executor& executor) : socket(executor) {}
  asio::ip::tcp::socket socket;
  Capture capture; // the SSL object's callbacks point into it
  std::unique_ptr<SSL, SslFree> ssl; // reads from `in`, writes to `out` (both owned by the SSL object)
  BIO* in = nullptr;
  BIO* out = nullptr;
  // The socket's reads land here (k_read_buffer_size bytes, uninitialised: nothing reads past a
  // read's size); allocated once the connection is up.
  std::unique_ptr<unsigned char[]> buffer;
  bool timed_out = false;
  bool cancel_only = false; // the timer cancels the pending read instead of closing (a bounded wait)
};

// The size of the probe's read buffer: a typical server flight in one read, a long chain in a few.
constexpr std::size_t k_read_buffer_size = 8 * 1024;

// After the early stop at the certificate: the rest of a TLS 1.2 server's flight (with its
// CertificateRequest, if any) may already wait in the socket's receive buffer, unread. Shows what
// is there to the watch, without waiting for more (at most 16 reads of 4 KiB).
void drain_arrived(asio::ip::tcp::socket& socket, CertificateRequestWatch& watch)
{
  asio::error_code ec;
  socket.non_blocking(true, ec);
  std::array<unsigned char, 4096> buffer{};
  for (int reads = 0; reads < 16 && !ec && !watch.done(); ++reads) {
    const std::size_t n = socket.read_some(asio::buffer(buffer), ec);
    watch.feed(ByteSpan(buffer.data(), n));
  }
}

void arm_deadline(asio::steady_timer& timer, Clock::time_point at, const std::shared_ptr<Connection>& conn)
{
  timer.expires_at(at);
  timer.async_wait([weak = std::weak_ptr<Connection>(conn)](const asio::error_code& ec) {
    if (ec) {
      return; // re-armed or the attempt ended
    }
    if (auto c = weak.lock()) {
      asio::error_code ignored;
      if (c->cancel_only) {
        c->socket.cancel(ignored); // a bounded wait inside the attempt, not its end
        return;
      }
      c->timed_out = true;
      c->socket.close(ignored);
    }
  });
}

void set_error(Observation& obs, ErrorClass error_class, std::string stage, std::string detail)
{
  obs.error = error_class;
  obs.error_stage = std::move(stage);
  obs.error_detail = std::move(detail);
}

ErrorClass classify_connect_error(const asio::error_code& ec)
{
  if (ec == asio::error::connection_refused) {
    return ErrorClass::refused;
  }
  if (ec == asio::error::connection_reset || ec == asio::error::connection_aborted) {
    return ErrorClass::reset;
  }
  if (ec == asio::error::timed_out) {
    return ErrorClass::timeout;
  }
  return ErrorClass::unreachable;
}

// Names the failure of a handshake from what the wire showed.
// `alert`: the alert that ended it (the first one received, unless the caller knows better).
void classify_handshake_error(Observation& obs, const Connection& conn, const asio::error_code& ec, int alert)
{
  const Capture& cap = conn.capture;
  if (conn.timed_out) {
    set_error(obs, ErrorClass::timeout, "handshake", "no complete TLS handshake before the deadline");
    return;
  }
  if (cap.header_seen && classify_answer(cap.first_header) != AnswerKind::tls) {
    set_error(obs, ErrorClass::not_tls, "handshake", describe_answer(cap.first_header));
    return;
  }
  if (alert >= 0) {
    set_error(obs, ErrorClass::tls_alert, "handshake", "received TLS alert " + alert_name(static_cast<std::uint8_t>(alert)));
    return;
  }
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe) {
    set_error(obs, ErrorClass::reset, "handshake", "connection reset by the device");
    return;
  }
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    set_error(obs, ErrorClass::reset, "handshake",
              cap.header_seen ? "the device closed the connection during the handshake"
                              : "the device closed the connection before answering");
    return;
  }
  if (ec.category() == asio::error::get_ssl_category()) {
    const int reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
    const bool wrong_record = reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG
                              || reason == SSL_R_HTTP_REQUEST || reason == SSL_R_HTTPS_PROXY_REQUEST;
    if (wrong_record && !cap.server_hello) {
      set_error(obs, ErrorClass::not_tls, "handshake", "not TLS: " + ec.message());
      return;
    }
  }
  set_error(obs, ErrorClass::protocol, "handshake", ec.message());
}

// Connects `conn` to the endpoint within the connect deadline, then arms `deadline` for the
// endpoint's deadline. False (with the error in `obs`) when no connection came.
asio::awaitable<bool> connect_step(Observation& obs, std::shared_ptr<Connection> conn, asio::steady_timer& deadline,
                                   ProbeSettings settings)
{
  asio::error_code ec;
  const auto address = asio::ip::make_address(obs.endpoint.ip, ec);
  if (ec) {
    set_error(obs, ErrorClass::unreachable, "connect", "invalid address '" + obs.endpoint.ip + "'");
    co_return false;
  }

  auto connect_deadline = settings.deadline;
  if (settings.connect_timeout > Clock::duration::zero()) {
    connect_deadline = std::min(connect_deadline, Clock::now() + settings.connect_timeout);
  }
  arm_deadline(deadline, connect_deadline, conn);

  const auto connect_start = Clock::now();
  auto [connect_ec] = co_await conn->socket.async_connect(
      asio::ip::tcp::endpoint(address, obs.endpoint.port), use_ec);
  if (connect_ec || conn->timed_out) {
    if (conn->timed_out) {
      set_error(obs, ErrorClass::timeout, "connect", "no TCP connection before the deadline");
    } else {
      set_error(obs, classify_connect_error(connect_ec), "connect", connect_ec.message());
    }
    co_return false;
  }
  obs.connect_ms = elapsed_ms(connect_start);
  if (connect_deadline != settings.deadline) {
    arm_deadline(deadline, settings.deadline, conn);
  }
  asio::error_code option_ec;
  conn->socket.set_option(asio::ip::tcp::no_delay(true), option_ec);
  co_return true;
}

void close_connection(Connection& conn, asio::steady_timer& deadline)
{
  deadline.cancel();
  asio::error_code ignored;
  conn.socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  conn.socket.close(ignored);
}

// Moves what OpenSSL wrote to its write BIO (a ClientHello, a Finished, a request) to the socket.
asio::awaitable<asio::error_code> flush_output(Connection& conn)
{
  const std::size_t pending = BIO_ctrl_pending(conn.out);
  if (pending == 0) {
    co_return asio::error_code();
  }
  std::vector<unsigned char> bytes(pending);
  const int n = BIO_read(conn.out, bytes.data(), static_cast<int>(bytes.size()));
  if (n <= 0) {
    co_return asio::error_code();
  }
  auto [ec, written] = co_await asio::async_write(conn.socket, asio::buffer(bytes.data(), static_cast<std::size_t>(n)), use_ec);
  (void)written;
  co_return ec;
}

struct SocketRead
{
  asio::error_code ec;
  ByteSpan bytes; // into conn.buffer, valid until the next read
};

// One read from the socket into the probe's buffer; every byte also goes to the
// CertificateRequestWatch (in TLS 1.2 the CertificateRequest follows the Certificate, usually in
// the same read, where neither OpenSSL nor the probe's own reading goes).
asio::awaitable<SocketRead> read_socket(Connection& conn)
{
  auto [ec, n] = co_await conn.socket.async_read_some(asio::buffer(conn.buffer.get(), k_read_buffer_size), use_ec);
  const ByteSpan bytes(conn.buffer.get(), n);
  conn.capture.watch.feed(bytes);
  co_return SocketRead{ec, bytes};
}

// Hands bytes from the device to OpenSSL (its read BIO copies them).
void feed_openssl(Connection& conn, ByteSpan bytes)
{
  if (!bytes.empty()) {
    BIO_write(conn.in, bytes.data(), static_cast<int>(bytes.size()));
  }
}

// A failed SSL call as an error code, as Asio's SSL stream reported it: the first queued OpenSSL
// error in the SSL category, eof for a close_notify.
asio::error_code ssl_failure(int ssl_error)
{
  const unsigned long queued = ERR_get_error();
  if (ssl_error == SSL_ERROR_ZERO_RETURN) {
    return asio::error::eof;
  }
  if (queued != 0) {
    return {static_cast<int>(queued), asio::error::get_ssl_category()};
  }
  return asio::ssl::error::unexpected_result;
}

// One step of OpenSSL's handshake over what it was fed: 1 complete, 0 it wants more bytes, -1
// failed (with `ec`).
int handshake_step(SSL* ssl, asio::error_code& ec)
{
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl);
  if (result == 1) {
    return 1;
  }
  const int error = SSL_get_error(ssl, result);
  if (error == SSL_ERROR_WANT_READ) {
    return 0;
  }
  ec = ssl_failure(error);
  return -1;
}

struct TlsRead
{
  std::size_t size = 0; // bytes of application data read (> 0 unless ec)
  asio::error_code ec;  // eof: the device closed (close_notify or not)
};

// Reads application data through OpenSSL (post-handshake messages and alerts are processed on the way).
asio::awaitable<TlsRead> tls_read(Connection& conn, char* into, std::size_t size)
{
  for (;;) {
    ERR_clear_error();
    const int result = SSL_read(conn.ssl.get(), into, static_cast<int>(size));
    if (result > 0) {
      co_return TlsRead{static_cast<std::size_t>(result), {}};
    }
    const int error = SSL_get_error(conn.ssl.get(), result);
    if (error != SSL_ERROR_WANT_READ) {
      co_return TlsRead{0, ssl_failure(error)};
    }
    if (const asio::error_code ec = co_await flush_output(conn)) {
      co_return TlsRead{0, ec};
    }
    const SocketRead read = co_await read_socket(conn);
    feed_openssl(conn, read.bytes);
    if (read.ec && read.bytes.empty()) {
      co_return TlsRead{0, read.ec};
    }
  }
}

// The suite of this connection's ClientHello with IANA code `code`, or nullptr if it offered none.
const SSL_CIPHER* offered_cipher(SSL* ssl, std::uint16_t code)
{
  STACK_OF(SSL_CIPHER)* offered = SSL_get1_supported_ciphers(ssl);
  const SSL_CIPHER* found = nullptr;
  for (int i = 0; offered != nullptr && i < sk_SSL_CIPHER_num(offered) && found == nullptr; ++i) {
    const SSL_CIPHER* cipher = sk_SSL_CIPHER_value(offered, i);
    if ((SSL_CIPHER_get_protocol_id(cipher) & 0xFFFF) == code) {
      found = cipher;
    }
  }
  sk_SSL_CIPHER_free(offered);
  return found;
}

// The suite this connection's ClientHello offered, when the plaintext flight the probe read can
// stand for what OpenSSL would have made of it (plaintext_chain_suite); nullptr: OpenSSL reads on,
// and names the fault as it always has.
const SSL_CIPHER* plaintext_certificate(const ServerFlight& flight, SSL* ssl)
{
  const std::optional<std::uint16_t> suite = plaintext_chain_suite(flight);
  return suite ? offered_cipher(ssl, *suite) : nullptr;
}

// Why an identity exchange ended without a whole response, from the error that ended it.
std::string exchange_failure(const Connection& conn, const asio::error_code& ec)
{
  if (conn.timed_out) {
    return "timeout";
  }
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe || ec == asio::error::connection_aborted) {
    return "reset";
  }
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    return "closed before a complete response";
  }
  if (ec.category() == asio::error::get_ssl_category() && conn.capture.last_alert >= 0) {
    return "received TLS alert " + alert_name(static_cast<std::uint8_t>(conn.capture.last_alert));
  }
  return ec.message();
}

// Sends the plan's request over the completed handshake and reads the response into `identity`
// until the plan calls it whole, the cap, a close or reset, or the endpoint's deadline (the timer
// closes the socket).
asio::awaitable<void> exchange_identity(Connection& conn, IdentityExchange& identity, const IdentityPlan& plan)
{
  asio::error_code ec;
  const asio::ip::tcp::endpoint local = conn.socket.local_endpoint(ec);
  if (ec) {
    identity.error = exchange_failure(conn, ec);
    co_return;
  }
  const std::string request =
      plan.request ? plan.request(canonical_address(local.address().to_string()), local.port()) : std::string();
  if (!request.empty()) {
    ERR_clear_error();
    const int written = SSL_write(conn.ssl.get(), request.data(), static_cast<int>(request.size()));
    if (written <= 0) {
      identity.error = "the request could not be written: " + ssl_failure(SSL_get_error(conn.ssl.get(), written)).message();
      co_return;
    }
    if (const asio::error_code write_ec = co_await flush_output(conn)) {
      identity.error = exchange_failure(conn, write_ec);
      co_return;
    }
  }
  std::vector<char> piece(4096);
  for (;;) {
    const std::size_t room = k_identity_response_cap - identity.response.size();
    if (room == 0) {
      identity.error = "response cut at " + std::to_string(k_identity_response_cap) + " bytes";
      co_return;
    }
    const TlsRead read = co_await tls_read(conn, piece.data(), std::min(room, piece.size()));
    if (read.ec) {
      identity.error = exchange_failure(conn, read.ec);
      co_return;
    }
    identity.response.append(piece.data(), read.size);
    if (plan.complete && plan.complete(identity.response)) {
      identity.complete = true;
      co_return;
    }
  }
}

// Full mode, TLS 1.3, a CertificateRequest: after the read that waited for the device's verdict on
// the client's (empty) certificate, an alert (not close_notify) means it refused the connection.
void judge_client_certificate_verdict(Observation& obs, const Connection& conn)
{
  if (conn.capture.alert > 0) {
    set_error(obs, ErrorClass::tls_alert, "handshake",
              "received TLS alert " + alert_name(static_cast<std::uint8_t>(conn.capture.alert))
                  + " once the handshake was complete on fleetcert's side: the device asked for a client "
                    "certificate and refused the connection without one");
  } else {
    obs.handshake_complete = true;
  }
}

// TLS 1.3, a CertificateRequest, the handshake complete on this side: one read, up to
// k_client_certificate_verdict_wait (never beyond the endpoint's deadline), for the device's
// verdict on the client's (empty) certificate; its alert lands in the capture. With `keep_open`
// the wait only cancels the read, so that an identity exchange can follow; application data read
// meanwhile is appended to `early`.
asio::awaitable<void> await_client_certificate_verdict(const std::shared_ptr<Connection>& conn, asio::steady_timer& deadline,
                                                       Clock::time_point endpoint_deadline, bool keep_open,
                                                       std::string& early)
{
  conn->cancel_only = keep_open;
  arm_deadline(deadline, std::min(endpoint_deadline, Clock::now() + k_client_certificate_verdict_wait), conn);
  std::array<char, 512> sink{};
  const TlsRead verdict = co_await tls_read(*conn, sink.data(), sink.size());
  early.append(sink.data(), verdict.size);
  if (keep_open) {
    conn->cancel_only = false;
    arm_deadline(deadline, endpoint_deadline, conn);
  }
}

// The detail a handshake failure would get in a record, for identity.error.
std::string handshake_failure_detail(const Connection& conn, const asio::error_code& ec)
{
  Observation failure;
  classify_handshake_error(failure, conn, ec, conn.capture.last_alert);
  return failure.error_detail;
}

// Hands the objects OpenSSL parsed from the chain's Certificate message to the record, when there
// is one for each certificate of obs.chain; otherwise the record parses the bytes.
void take_parsed_chain(Observation& obs, CertificateStop& stop)
{
  if (!stop.parsed.empty() && stop.parsed.size() == obs.chain.size()) {
    obs.peer_certificates = std::move(stop.parsed);
  }
  stop.parsed.clear();
}

// One connection: connect, handshake, close. Fills `obs` (which already holds the endpoint).
//
// The probe reads the socket itself. In certificate-only mode it first walks the records of the
// device's answer (ServerFlight, over TlsReader) and keeps the bytes: a TLS 1.0-1.2 ServerHello
// with a suite this hello offered, then a whole Certificate message, and the chain is taken from
// the plaintext and the connection closed (OpenSSL never sees the Certificate, no key exchange
// runs). Anything else (TLS 1.3, whose Certificate is encrypted, an alert, bytes that are not
// TLS, a malformed message) is handed to OpenSSL, bytes kept included, and OpenSSL goes on as the
// only reader: the message callback captures the chain, the early stop ends the handshake there.
asio::awaitable<void> attempt(Observation& obs, SSL_CTX* context, HelloStyle style, const ProbeSettings& settings)
{
  const auto executor = co_await asio::this_coro::executor;
  auto conn = std::make_shared<Connection>(executor);
  asio::steady_timer deadline(executor);
  if (!co_await connect_step(obs, conn, deadline, settings)) {
    co_return;
  }
  const bool plan = settings.identity.has_value();
  const bool certificate_only = settings.mode == HandshakeMode::certificate_only;

  conn->ssl.reset(SSL_new(context));
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  if (!conn->ssl || in == nullptr || out == nullptr) {
    BIO_free(in);
    BIO_free(out);
    ERR_clear_error();
    set_error(obs, ErrorClass::protocol, "handshake", "OpenSSL could not make a connection (out of memory?)");
    close_connection(*conn, deadline);
    co_return;
  }
  BIO_set_mem_eof_return(in, -1); // empty: "retry", never end of file
  SSL_set_bio(conn->ssl.get(), in, out);
  conn->in = in;
  conn->out = out;
  SSL* ssl = conn->ssl.get();
  SSL_set_connect_state(ssl);
  if (style == HelloStyle::modern && !obs.endpoint.sni.empty()) {
    SSL_set_tlsext_host_name(ssl, obs.endpoint.sni.c_str());
  }
  SSL_set_msg_callback(ssl, on_tls_message);
  SSL_set_msg_callback_arg(ssl, &conn->capture);
  conn->capture.stop.enabled = certificate_only && !plan;
  conn->capture.freeze_at_chain = certificate_only && plan;
  set_certificate_stop(ssl, &conn->capture.stop);
  conn->buffer.reset(new unsigned char[k_read_buffer_size]);

  // The device's plaintext flight as the probe reads it (certificate-only mode), and the bytes
  // read that OpenSSL has not been given yet.
  std::optional<ServerFlight> flight;
  if (certificate_only) {
    flight.emplace();
  }
  std::vector<unsigned char> held;
  bool own = false; // the chain came from the plaintext flight
  const HelloKind hello = style == HelloStyle::legacy ? HelloKind::legacy : HelloKind::openssl;

  const auto handshake_start = Clock::now();
  asio::error_code handshake_ec;
  int state = handshake_step(ssl, handshake_ec); // writes the ClientHello
  while (state == 0) {
    if (const asio::error_code write_ec = co_await flush_output(*conn)) {
      handshake_ec = write_ec;
      state = -1;
      break;
    }
    const SocketRead read = co_await read_socket(*conn);
    if (flight) {
      held.insert(held.end(), read.bytes.begin(), read.bytes.end());
      flight->feed(read.bytes);
      if (const SSL_CIPHER* cipher = plaintext_certificate(*flight, ssl)) {
        own = true;
        obs.handshake_ms = elapsed_ms(handshake_start);
        const ServerHello& server_hello = *flight->server_hello();
        obs.tls_version = protocol_version_name(server_hello.version);
        obs.cipher = SSL_CIPHER_get_name(cipher);
        obs.cipher_suite = cipher_suite_name(server_hello.cipher_suite);
        obs.hello = hello;
        obs.chain = flight->chain();
        if (const std::optional<Alert> alert = flight->alert()) {
          obs.alert = alert_name(alert->description);
        }
        if (!plan) {
          break; // the chain is in: no key exchange
        }
      } else if (flight->status() == FlightStatus::need_more && !read.ec) {
        continue;
      }
      // From here OpenSSL reads everything, beginning with what the probe kept.
      feed_openssl(*conn, held);
      held = {};
      flight.reset();
    } else {
      feed_openssl(*conn, read.bytes);
    }
    state = handshake_step(ssl, handshake_ec);
    if (state == 0 && read.ec) {
      handshake_ec = read.ec;
      state = -1;
    }
  }
  if (state == 1) {
    if (const asio::error_code write_ec = co_await flush_output(*conn)) { // the client's Finished
      handshake_ec = write_ec;
      state = -1;
    }
  }

  std::string identity_failure; // why no identity exchange can run
  std::string early_response; // application data read while waiting for a verdict
  if (own) {
    if (!plan && !conn->timed_out && !conn->capture.watch.done()) {
      drain_arrived(conn->socket, conn->capture.watch);
    }
    obs.client_certificate_requested = client_certificate_requested(conn->capture);
    if (plan && state != 1) {
      identity_failure = handshake_failure_detail(*conn, handshake_ec);
    }
    // With a plan OpenSSL went on and parsed the same Certificate message: its objects serve the
    // record (make_record checks each against the bytes kept).
    take_parsed_chain(obs, conn->capture.stop);
  } else {
    obs.handshake_ms = elapsed_ms(handshake_start);
    if (conn->capture.server_hello || state == 1) {
      obs.tls_version = SSL_get_version(ssl);
      // Before TLS 1.2's ChangeCipherSpec (a stop at the certificate), the suite is still pending.
      const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
      if (cipher == nullptr) {
        cipher = SSL_get_pending_cipher(ssl);
      }
      if (cipher != nullptr) {
        obs.cipher = SSL_CIPHER_get_name(cipher);
        obs.cipher_suite = cipher_suite_name(static_cast<std::uint16_t>(SSL_CIPHER_get_protocol_id(cipher) & 0xFFFF));
      }
      obs.hello = hello;
    }
    // Certificate-only mode with a plan: where the stop would have ended the handshake, the record
    // ends; what came after is the identity exchange's.
    const bool frozen = conn->capture.freeze_at_chain && conn->capture.stop.chain_ready;
    if (conn->capture.stop.stopped && !conn->timed_out && !client_certificate_requested(conn->capture)) {
      drain_arrived(conn->socket, conn->capture.watch);
    }
    obs.client_certificate_requested = client_certificate_requested(conn->capture);
    obs.chain = std::move(conn->capture.chain);
    take_parsed_chain(obs, conn->capture.stop);
    if (conn->capture.stop.stopped) {
      // Our own stop at the certificate: not an error, and the alert is ours, not the device's.
    } else if (frozen) {
      if (state != 1 || conn->timed_out) {
        identity_failure = handshake_failure_detail(*conn, handshake_ec);
      } else if (obs.client_certificate_requested == true && SSL_version(ssl) == TLS1_3_VERSION) {
        // The record stays as the stop would have left it; the verdict is the exchange's.
        co_await await_client_certificate_verdict(conn, deadline, settings.deadline, true, early_response);
        if (conn->capture.last_alert > 0) {
          identity_failure = "received TLS alert " + alert_name(static_cast<std::uint8_t>(conn->capture.last_alert))
                             + " once the handshake was complete on fleetcert's side";
        }
      }
    } else if (state != 1 || conn->timed_out) {
      classify_handshake_error(obs, *conn, handshake_ec, conn->capture.alert);
      if (!obs.chain.empty() && !conn->capture.chain_error.empty()) {
        obs.error_detail += "; certificate message: " + conn->capture.chain_error;
      }
      identity_failure = obs.error_detail;
    } else if (obs.client_certificate_requested == true && SSL_version(ssl) == TLS1_3_VERSION) {
      // TLS 1.3: the device judges the client's (empty) Certificate after the client's Finished,
      // when the handshake is already complete on this side; a device that requires one says so
      // with an alert right after. Wait briefly for it; silence means it accepted the connection.
      co_await await_client_certificate_verdict(conn, deadline, settings.deadline, plan, early_response);
      judge_client_certificate_verdict(obs, *conn);
      if (obs.error != ErrorClass::none) {
        identity_failure = obs.error_detail;
      }
    } else {
      obs.handshake_complete = true;
    }
    if (conn->capture.alert >= 0) {
      obs.alert = alert_name(static_cast<std::uint8_t>(conn->capture.alert));
    }
    if (obs.chain.empty() && state == 1) {
      // A completed handshake without a Certificate message (anonymous or PSK suites).
      set_error(obs, ErrorClass::protocol, "handshake", "the handshake completed without a certificate");
      identity_failure = obs.error_detail;
    }
  }

  if (plan) {
    IdentityExchange& identity = obs.identity.emplace();
    identity.protocol = settings.identity->protocol;
    if (state == 1 && identity_failure.empty() && !conn->timed_out) {
      identity.response = std::move(early_response);
      co_await exchange_identity(*conn, identity, *settings.identity);
    } else {
      identity.error = "handshake did not complete: "
                       + (identity_failure.empty() ? std::string("no complete TLS handshake before the deadline")
                                                   : identity_failure);
    }
  }
  close_connection(*conn, deadline);
  ERR_clear_error();
}

// The first connection of certificate-only mode without an identity plan: OpenSSL's modern
// ClientHello as the probe replays it (own_hello), the answer read without an SSL object. True when
// `obs` is the endpoint's observation: a chain (TLS 1.0-1.2 from the plaintext flight, TLS 1.3
// decrypted), no TCP connection, or the deadline. False when the answer is one the probe leaves to
// OpenSSL (an alert, a HelloRetryRequest, a suite or group not handled, not TLS, a close): the
// caller asks again through OpenSSL on a new connection, which reports it as it always has.
asio::awaitable<bool> own_hello_attempt(Observation& obs, const HelloTemplate& hello, const ProbeSettings& settings)
{
  const auto executor = co_await asio::this_coro::executor;
  auto conn = std::make_shared<Connection>(executor);
  asio::steady_timer deadline(executor);
  if (!co_await connect_step(obs, conn, deadline, settings)) {
    co_return true;
  }
  std::shared_ptr<const X25519Share> share = thread_share();
  if (!share) {
    close_connection(*conn, deadline);
    co_return false;
  }
  std::vector<unsigned char> client_hello = fill_hello(hello, obs.endpoint.sni, *share);
  const auto handshake_start = Clock::now();
  auto [write_ec, written] = co_await asio::async_write(conn->socket, asio::buffer(client_hello), use_ec);
  (void)written;
  conn->buffer.reset(new unsigned char[k_read_buffer_size]);

  ServerFlight flight;
  std::vector<unsigned char> held; // every byte read, for the TLS 1.3 reader to start from
  std::unique_ptr<OwnTls13Flight> tls13;
  asio::error_code read_ec = write_ec;
  bool done = false;
  while (!read_ec && !done) {
    const SocketRead read = co_await read_socket(*conn);
    read_ec = read.ec;
    if (tls13) {
      done = tls13->feed(read.bytes) != FlightStatus::need_more;
      continue;
    }
    held.insert(held.end(), read.bytes.begin(), read.bytes.end());
    if (flight.feed(read.bytes) == FlightStatus::need_more) {
      continue;
    }
    const auto& server_hello = flight.server_hello();
    if (flight.status() == FlightStatus::failed && flight.error() == FlightError::unsupported_version && server_hello
        && server_hello->supported_version == 0x0304) {
      tls13 = std::make_unique<OwnTls13Flight>(std::move(client_hello), share);
      done = tls13->feed(held) != FlightStatus::need_more;
      held = {};
      continue;
    }
    done = true;
  }

  bool final = false;
  if (tls13 && tls13->status() == FlightStatus::certificate) {
    final = true;
    obs.tls_version = protocol_version_name(0x0304);
    const std::string* name = hello.suite_name(tls13->cipher_suite());
    obs.cipher = name != nullptr ? *name : std::string();
    obs.cipher_suite = cipher_suite_name(tls13->cipher_suite());
    obs.chain = tls13->chain();
    // RFC 8446 4.3.2: a CertificateRequest comes before the Certificate, or not at all.
    obs.client_certificate_requested = tls13->certificate_requested();
  } else if (const std::optional<std::uint16_t> suite = tls13 ? std::nullopt : plaintext_chain_suite(flight)) {
    if (const std::string* name = hello.suite_name(*suite)) {
      final = true;
      obs.tls_version = protocol_version_name(flight.server_hello()->version);
      obs.cipher = *name;
      obs.cipher_suite = cipher_suite_name(*suite);
      obs.chain = flight.chain();
      if (const std::optional<Alert> alert = flight.alert()) {
        obs.alert = alert_name(alert->description);
      }
      if (!conn->timed_out && !conn->capture.watch.done()) {
        drain_arrived(conn->socket, conn->capture.watch);
      }
      obs.client_certificate_requested = conn->capture.watch.requested();
    }
  } else if (conn->timed_out) {
    final = true;
    set_error(obs, ErrorClass::timeout, "handshake", "no complete TLS handshake before the deadline");
    if (const auto& server_hello = flight.server_hello()) {
      // What the device chose before it stalled, as the OpenSSL attempt reports it.
      const std::uint16_t chosen = server_hello->cipher_suite;
      obs.tls_version = protocol_version_name(server_hello->supported_version.value_or(server_hello->version));
      const std::string* name = hello.suite_name(chosen);
      obs.cipher = name != nullptr ? *name : std::string();
      obs.cipher_suite = cipher_suite_name(chosen);
    }
  } else if (!tls13 && !flight.server_hello()) {
    // Before any ServerHello the device's answer does not depend on who wrote the hello: bytes that
    // are not TLS, an alert, a close or a reset are reported as the OpenSSL attempt reports them
    // (no second connection; --no-legacy-retry means one per endpoint).
    final = true;
    if (flight.error() == FlightError::records && flight.record_error() == TlsError::not_tls) {
      set_error(obs, ErrorClass::not_tls, "handshake", flight.describe());
    } else if (flight.alert() && (flight.error() == FlightError::alert || flight.status() == FlightStatus::need_more)) {
      // A fatal alert, or a warning before the device closed or reset: OpenSSL's attempt names
      // the first alert received before a close.
      set_error(obs, ErrorClass::tls_alert, "handshake", "received TLS alert " + alert_name(flight.alert()->description));
      obs.alert = alert_name(flight.alert()->description);
    } else if (flight.status() == FlightStatus::need_more && read_ec == asio::error::eof) {
      set_error(obs, ErrorClass::reset, "handshake",
                flight.answered() ? "the device closed the connection during the handshake"
                                  : "the device closed the connection before answering");
    } else if (flight.status() == FlightStatus::need_more
               && (read_ec == asio::error::connection_reset || read_ec == asio::error::broken_pipe)) {
      set_error(obs, ErrorClass::reset, "handshake", "connection reset by the device");
    } else {
      final = false;
    }
    if (final) {
      obs.handshake_ms = elapsed_ms(handshake_start);
      close_connection(*conn, deadline);
      co_return true;
    }
  }
  if (final) {
    obs.handshake_ms = elapsed_ms(handshake_start);
    obs.hello = HelloKind::openssl;
  }
  close_connection(*conn, deadline);
  co_return final;
}

// Fills `obs` from a raw hello's exchange that ended without a certificate.
void classify_raw_failure(Observation& obs, const Connection& conn, const ServerFlight& flight,
                          const asio::error_code& read_ec)
{
  if (flight.status() == FlightStatus::failed) {
    const FlightError error = *flight.error();
    if (error == FlightError::records && flight.record_error() == TlsError::not_tls) {
      set_error(obs, ErrorClass::not_tls, "handshake", flight.describe());
    } else if (error == FlightError::alert) {
      set_error(obs, ErrorClass::tls_alert, "handshake", flight.describe());
    } else {
      set_error(obs, ErrorClass::protocol, "handshake", flight.describe());
    }
  } else if (conn.timed_out) {
    set_error(obs, ErrorClass::timeout, "handshake", "no certificate before the deadline");
  } else if (read_ec == asio::error::eof || read_ec == asio::error::connection_reset
             || read_ec == asio::error::connection_aborted || read_ec == asio::error::broken_pipe) {
    const char* what = read_ec == asio::error::eof ? "closed the connection" : "reset the connection";
    set_error(obs, ErrorClass::reset, "handshake",
              std::string("the device ") + what + (flight.answered() ? " during the handshake" : " before answering"));
  } else {
    set_error(obs, ErrorClass::protocol, "handshake", read_ec ? read_ec.message() : "no certificate");
  }
}

// One connection with the probe's own ClientHello: connect, write it, read the device's plaintext
// flight up to its Certificate, close. Fills `obs` (which already holds the endpoint).
asio::awaitable<void> raw_attempt(Observation& obs, RawHelloVersion version, ProbeSettings settings)
{
  const auto executor = co_await asio::this_coro::executor;
  auto conn = std::make_shared<Connection>(executor);
  asio::steady_timer deadline(executor);
  if (!co_await connect_step(obs, conn, deadline, settings)) {
    co_return;
  }

  HelloRandom random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    ERR_clear_error(); // any bytes will do: no key exchange follows
  }
  const std::vector<unsigned char> hello = build_client_hello(version, obs.endpoint.sni, random);
  const auto handshake_start = Clock::now();
  auto [write_ec, written] = co_await asio::async_write(conn->socket, asio::buffer(hello), use_ec);
  (void)written;

  ServerFlight flight;
  asio::error_code read_ec = write_ec;
  std::vector<unsigned char> buffer(k_record_header_size + k_max_record_length);
  while (!read_ec && flight.status() == FlightStatus::need_more) {
    auto [ec, n] = co_await conn->socket.async_read_some(asio::buffer(buffer), use_ec);
    const ByteSpan bytes(buffer.data(), n);
    conn->capture.watch.feed(bytes); // the rest of the flight may follow the Certificate in this read
    flight.feed(bytes);
    read_ec = ec;
  }
  obs.handshake_ms = elapsed_ms(handshake_start);
  obs.hello = version == RawHelloVersion::sslv3 ? HelloKind::raw_sslv3 : HelloKind::raw;
  if (const auto& server_hello = flight.server_hello()) {
    obs.tls_version = protocol_version_name(server_hello->supported_version.value_or(server_hello->version));
    obs.cipher_suite = cipher_suite_name(server_hello->cipher_suite);
  }
  if (const std::optional<Alert> alert = flight.alert()) {
    obs.alert = alert_name(alert->description);
  }
  if (flight.status() == FlightStatus::certificate) {
    if (!conn->timed_out && !conn->capture.watch.done()) {
      drain_arrived(conn->socket, conn->capture.watch);
    }
    obs.client_certificate_requested = conn->capture.watch.requested();
    obs.chain = flight.chain();
    if (flight.chain_error() && *flight.chain_error() != TlsError::too_many_certificates) {
      set_error(obs, ErrorClass::protocol, "handshake",
                "certificate message: " + std::string(to_string(*flight.chain_error())));
    }
  } else {
    classify_raw_failure(obs, *conn, flight, read_ec);
  }
  close_connection(*conn, deadline);
}

bool worth_legacy_retry(const Observation& obs)
{
  return obs.chain.empty()
         && (obs.error == ErrorClass::reset || obs.error == ErrorClass::tls_alert
             || obs.error == ErrorClass::protocol);
}

// The SSL 3.0 hello is the last resort for a device that refused the TLS raw hello's version (or
// everything in it) or closed the connection on it.
bool worth_sslv3_hello(const Observation& raw)
{
  return raw.chain.empty()
         && (raw.error == ErrorClass::reset
             || (raw.error == ErrorClass::tls_alert
                 && (raw.alert == "protocol_version" || raw.alert == "handshake_failure")));
}

// One fallback ClientHello on a new connection, once the rate limiter gives a slot before the
// deadline: the fallback's observation, or nullopt (with the reason added to `obs`) when none came.
asio::awaitable<std::optional<Observation>> fallback(Observation& obs, const ProbeContexts* contexts,
                                                     HelloKind hello, ProbeSettings settings)
{
  std::string_view name = hello == HelloKind::legacy  ? "legacy ClientHello retry"
                          : hello == HelloKind::raw   ? "raw ClientHello"
                                                      : "raw SSL 3.0 ClientHello";
  if (Clock::now() >= settings.deadline) {
    obs.error_detail += "; no " + std::string(name) + ": the deadline has passed";
    co_return std::nullopt;
  }
  if (!co_await wait_for_slot(settings.rate, settings.deadline)) {
    obs.error_detail += "; no " + std::string(name) + ": --rate leaves no slot before the deadline";
    co_return std::nullopt;
  }
  Observation retry;
  retry.endpoint = obs.endpoint;
  retry.handshake_mode = settings.mode;
  if (hello == HelloKind::legacy) {
    retry.legacy_retry = true;
    // The contexts are only read (SSL_new does not change them).
    co_await attempt(retry, contexts->legacy.get(), HelloStyle::legacy, settings);
  } else {
    co_await raw_attempt(retry, hello == HelloKind::raw ? RawHelloVersion::tls : RawHelloVersion::sslv3, settings);
    if (settings.identity) {
      // The raw hello reads a plaintext flight and closes: there is no session to talk over.
      retry.identity = IdentityExchange{settings.identity->protocol, {}, false, "raw hello: no TLS session"};
    }
  }
  co_return retry;
}

} // namespace

asio::awaitable<Observation> probe_endpoint(Endpoint endpoint, const ProbeContexts* contexts,
                                            ProbeSettings settings)
{
  Observation obs;
  obs.endpoint = std::move(endpoint);
  obs.handshake_mode = settings.mode;
  bool observed = false;
  if (settings.own_hello && contexts->modern_hello && settings.mode == HandshakeMode::certificate_only
      && !settings.identity) {
    observed = co_await own_hello_attempt(obs, *contexts->modern_hello, settings);
    if (!observed) {
      // OpenSSL asks again on a new connection, paced like every retry; its record stands alone.
      const Endpoint asked = obs.endpoint;
      obs = Observation{};
      obs.endpoint = asked;
      obs.handshake_mode = settings.mode;
      if (!co_await wait_for_slot(settings.rate, settings.deadline)) {
        set_error(obs, ErrorClass::timeout, "handshake", "no certificate from fleetcert's own ClientHello, and --rate leaves no slot before the deadline");
        co_return obs;
      }
    }
  }
  if (!observed) {
    // The contexts are only read (SSL_new does not change them).
    co_await attempt(obs, contexts->modern.get(), HelloStyle::modern, settings);
  }
  if (settings.identity && !obs.identity) {
    // No connection: the record's error says why.
    obs.identity = IdentityExchange{settings.identity->protocol, {}, false, "handshake did not complete: " + obs.error_detail};
  }
  if (!worth_legacy_retry(obs)) {
    co_return obs;
  }
  // Each fallback that gets no certificate adds its reason to the first attempt's record.
  if (settings.legacy_retry) {
    std::optional<Observation> retry = co_await fallback(obs, contexts, HelloKind::legacy, settings);
    if (!retry) {
      co_return obs;
    }
    if (!retry->chain.empty()) {
      co_return std::move(*retry);
    }
    obs.error_detail += "; legacy ClientHello retry: " + retry->error_detail;
  }
  if (!settings.raw_hello) {
    co_return obs;
  }
  std::optional<Observation> raw = co_await fallback(obs, contexts, HelloKind::raw, settings);
  if (!raw) {
    co_return obs;
  }
  if (!raw->chain.empty()) {
    co_return std::move(*raw);
  }
  obs.error_detail += "; raw ClientHello: " + raw->error_detail;
  if (!worth_sslv3_hello(*raw)) {
    co_return obs;
  }
  std::optional<Observation> sslv3 = co_await fallback(obs, contexts, HelloKind::raw_sslv3, settings);
  if (!sslv3) {
    co_return obs;
  }
  if (!sslv3->chain.empty()) {
    co_return std::move(*sslv3);
  }
  obs.error_detail += "; raw SSL 3.0 ClientHello: " + sslv3->error_detail;
  co_return obs;
}

bool is_never_resolving(std::string_view host)
{
  if (!host.empty() && host.back() == '.') {
    host.remove_suffix(1);
  }
  constexpr std::string_view k_invalid = "invalid";
  if (host.size() < k_invalid.size() || !ascii_iequals(host.substr(host.size() - k_invalid.size()), k_invalid)) {
    return false;
  }
  return host.size() == k_invalid.size() || host[host.size() - k_invalid.size() - 1] == '.';
}

asio::awaitable<Resolution> resolve_host(std::string host, Clock::time_point deadline)
{
  Resolution resolution;
  if (is_never_resolving(host)) {
    resolution.error = ErrorClass::dns;
    resolution.detail = "names under .invalid never resolve (RFC 6761); not looked up";
    co_return resolution;
  }
  const auto executor = co_await asio::this_coro::executor;
  auto resolver = std::make_shared<asio::ip::tcp::resolver>(executor);
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer timer(executor);
  timer.expires_at(deadline);
  timer.async_wait([weak = std::weak_ptr<asio::ip::tcp::resolver>(resolver), timed_out](const asio::error_code& ec) {
    if (!ec) {
      *timed_out = true;
      if (auto r = weak.lock()) {
        r->cancel();
      }
    }
  });
  auto [ec, results] = co_await resolver->async_resolve(host, "", use_ec);
  timer.cancel();
  if (*timed_out) {
    resolution.error = ErrorClass::timeout;
    resolution.detail = "name resolution did not finish before the deadline";
  } else if (ec || results.empty()) {
    resolution.error = ErrorClass::dns;
    resolution.detail = ec ? ec.message() : "no address";
  } else {
    for (const auto& entry : results) {
      std::string ip = canonical_address(entry.endpoint().address().to_string());
      if (std::find(resolution.addresses.begin(), resolution.addresses.end(), ip) == resolution.addresses.end()) {
        resolution.addresses.push_back(std::move(ip));
      }
    }
  }
  co_return resolution;
}

} // namespace fleetcert
