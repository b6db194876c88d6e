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
//   attempt:  connect ──> handshake ──> close
//                │            │
//                │            ├── message callback: records the first record header (not TLS?),
//                │            │   alerts, the raw Certificate message as soon as it arrives (the
//                │            │   bytes are parsed by tls_records), and whether a CertificateRequest
//                │            │   came (TLS 1.3's, decrypted, always comes before the Certificate)
//                │            ├── tapped socket: every byte read from the device also goes to a
//                │            │   CertificateRequestWatch, which finds TLS 1.2's CertificateRequest
//                │            │   in the plaintext flight although OpenSSL stops reading at the
//                │            │   Certificate before it (certificate-only mode)
//                │            └── certificate verify callback (tls_context): in certificate-only
//                │                mode, aborts the handshake right after the Certificate message,
//                │                before the key exchange's signature is checked
//                │            └── full mode, TLS 1.3, CertificateRequest seen: the handshake is complete
//                │                on the client's side before the device has judged the (empty) client
//                │                certificate; one read, up to k_client_certificate_verdict_wait, for its
//                │                alert (certificate_required)
//                └── one steady_timer per attempt: at the connect deadline, then at the endpoint's
//                    deadline, it closes the socket, so every pending operation completes at once
//
// The probe never throws; every failure becomes an ErrorClass with the stage it happened in.

#include "probes/tls_probe.hpp"
#include "scanner/util/ip_address.hpp"
#include "scanner/util/ascii.hpp"

#include "probes/cipher_suites.hpp"
#include "probes/raw_hello.hpp"
#include "probes/tls_records.hpp"

#include <asio/async_result.hpp>
#include <asio/buffer.hpp>
#include <asio/compose.hpp>
#include <asio/co_spawn.hpp>
#include <asio/write.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/error.hpp>
#include <asio/ssl/stream.hpp>
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
    if (const std::optional<Alert> alert = read_alert(bytes); alert && capture.alert < 0) {
      capture.alert = alert->description;
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

// The TCP socket as the TLS stream's next layer: every byte read from the device also goes to the
// CertificateRequestWatch before OpenSSL gets it. In TLS 1.2 the CertificateRequest follows the
// Certificate, usually in the same read, but OpenSSL stops processing at the Certificate when the
// probe stops there; the watch still sees it. Writes go straight to the socket.
class TappedSocket
{
public:
  using lowest_layer_type = asio::ip::tcp::socket::lowest_layer_type;
  using executor_type = asio::ip::tcp::socket::executor_type;

  TappedSocket(asio::ip::tcp::socket& socket, CertificateRequestWatch& watch) : m_socket(&socket), m_watch(&watch) {}

  executor_type get_executor() { return m_socket->get_executor(); }
  lowest_layer_type& lowest_layer() { return m_socket->lowest_layer(); }
  const lowest_layer_type& lowest_layer() const { return m_socket->lowest_layer(); }

  // Reads from the socket, then shows what was read to the watch.
  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token)
  {
    return asio::async_compose<Token, void(asio::error_code, std::size_t)>(
        [socket = m_socket, watch = m_watch, buffers, started = false](
            auto& self, asio::error_code ec = {}, std::size_t n = 0) mutable {
          if (!started) {
            started = true;
            socket->async_read_some(buffers, std::move(self));
            return;
          }
          std::size_t left = n;
          for (auto it = asio::buffer_sequence_begin(buffers); left > 0 && it != asio::buffer_sequence_end(buffers); ++it) {
            const asio::const_buffer piece(*it);
            const std::size_t used = std::min(left, piece.size());
            watch->feed(ByteSpan(static_cast<const unsigned char*>(piece.data()), used));
            left -= used;
          }
          self.complete(ec, n);
        },
        token, *m_socket);
  }

  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token)
  {
    return m_socket->async_write_some(buffers, std::forward<Token>(token));
  }

private:
  asio::ip::tcp::socket* m_socket;
  CertificateRequestWatch* m_watch;
};

// One connection attempt's sockets, shared with the deadline timer's handler so that the handler
// can close the socket but never touches it after the attempt has ended.
// The TLS layer (an SSL object and Asio's ~35 KB of record buffers) is made only once the TCP
// connection is up, so the many connections of a sweep that are refused or never answer the SYN
// cost a socket and nothing more: memory follows the devices that answer, not --concurrency.
struct Connection
{
  explicit Connection(const asio::any_io_executor& executor) : socket(executor) {}
  asio::ip::tcp::socket socket;
  Capture capture; // the TLS layer's callbacks and tap point into it
  std::optional<asio::ssl::stream<TappedSocket>> tls; // declared after `socket`: destroyed first
  bool timed_out = false;
};

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
      c->timed_out = true;
      asio::error_code ignored;
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
void classify_handshake_error(Observation& obs, const Connection& conn, const asio::error_code& ec)
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
  if (cap.alert >= 0) {
    set_error(obs, ErrorClass::tls_alert, "handshake", "received TLS alert " + alert_name(static_cast<std::uint8_t>(cap.alert)));
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

// One connection: connect, handshake, close. Fills `obs` (which already holds the endpoint).
asio::awaitable<void> attempt(Observation& obs, asio::ssl::context& context, HelloStyle style,
                              ProbeSettings settings)
{
  const auto executor = co_await asio::this_coro::executor;
  auto conn = std::make_shared<Connection>(executor);
  asio::steady_timer deadline(executor);
  if (!co_await connect_step(obs, conn, deadline, settings)) {
    co_return;
  }

  auto& stream = conn->tls.emplace(TappedSocket(conn->socket, conn->capture.watch), context);

  SSL* ssl = stream.native_handle();
  if (style == HelloStyle::modern && !obs.endpoint.sni.empty()) {
    SSL_set_tlsext_host_name(ssl, obs.endpoint.sni.c_str());
  }
  SSL_set_msg_callback(ssl, on_tls_message);
  SSL_set_msg_callback_arg(ssl, &conn->capture);
  conn->capture.stop.enabled = settings.mode == HandshakeMode::certificate_only;
  set_certificate_stop(ssl, &conn->capture.stop);

  const auto handshake_start = Clock::now();
  auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::client, use_ec);
  obs.handshake_ms = elapsed_ms(handshake_start);
  if (conn->capture.server_hello || !handshake_ec) {
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
    obs.hello = style == HelloStyle::legacy ? HelloKind::legacy : HelloKind::openssl;
  }
  if (conn->capture.stop.stopped && !conn->timed_out && !client_certificate_requested(conn->capture)) {
    drain_arrived(conn->socket, conn->capture.watch);
  }
  obs.client_certificate_requested = client_certificate_requested(conn->capture);
  obs.chain = std::move(conn->capture.chain);
  if (conn->capture.stop.stopped) {
    // Our own stop at the certificate: not an error, and the alert is ours, not the device's.
  } else if (handshake_ec || conn->timed_out) {
    classify_handshake_error(obs, *conn, handshake_ec);
    if (!obs.chain.empty() && !conn->capture.chain_error.empty()) {
      obs.error_detail += "; certificate message: " + conn->capture.chain_error;
    }
  } else if (obs.client_certificate_requested == true && SSL_version(ssl) == TLS1_3_VERSION) {
    // TLS 1.3: the device judges the client's (empty) Certificate after the client's Finished,
    // when the handshake is already complete on this side; a device that requires one says so
    // with an alert right after. Wait briefly for it; silence means it accepted the connection.
    arm_deadline(deadline, std::min(settings.deadline, Clock::now() + k_client_certificate_verdict_wait), conn);
    std::array<unsigned char, 64> sink{};
    auto [read_ec, read_n] = co_await stream.async_read_some(asio::buffer(sink), use_ec);
    (void)read_ec;
    (void)read_n;
    if (conn->capture.alert > 0) { // not close_notify
      set_error(obs, ErrorClass::tls_alert, "handshake",
                "received TLS alert " + alert_name(static_cast<std::uint8_t>(conn->capture.alert))
                    + " once the handshake was complete on fleetcert's side: the device asked for a client "
                      "certificate and refused the connection without one");
    } else {
      obs.handshake_complete = true;
    }
  } else {
    obs.handshake_complete = true;
  }
  if (conn->capture.alert >= 0) {
    obs.alert = alert_name(static_cast<std::uint8_t>(conn->capture.alert));
  }
  if (obs.chain.empty() && !handshake_ec) {
    // A completed handshake without a Certificate message (anonymous or PSK suites).
    set_error(obs, ErrorClass::protocol, "handshake", "the handshake completed without a certificate");
  }

  close_connection(*conn, deadline);
  ERR_clear_error();
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
    // The contexts are only read; asio's API wants them non-const to create streams.
    co_await attempt(retry, const_cast<asio::ssl::context&>(contexts->legacy), HelloStyle::legacy, settings);
  } else {
    co_await raw_attempt(retry, hello == HelloKind::raw ? RawHelloVersion::tls : RawHelloVersion::sslv3, settings);
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
  // The contexts are only read; asio's API wants them non-const to create streams.
  auto& modern = const_cast<asio::ssl::context&>(contexts->modern);

  co_await attempt(obs, modern, HelloStyle::modern, settings);
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
