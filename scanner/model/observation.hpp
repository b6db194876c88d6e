#pragma once
// What the wire said about one endpoint: the probe fills it, assessment reads it.
// Plain data, no I/O types, so that assessment and reports never depend on Asio.

#include "scanner/model/announced_identity.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct x509_st; // OpenSSL's X509 (only pointers here: the model includes no OpenSSL header)

namespace fleetcert {

// Why an endpoint gave no certificate (DESIGN.md vocabulary).
enum class ErrorClass
{
  none,
  refused,
  timeout,
  reset,
  not_tls,
  tls_alert,
  protocol,
  unreachable,
  dns,
};

// "refused", "timeout", ..., "not-tls", "tls-alert"; "" for none. parse_error_class is its inverse
// for every class but none (nullopt for "" and any other word).
std::string_view to_string(ErrorClass error_class);
std::optional<ErrorClass> parse_error_class(std::string_view text);

// True when an endpoint that gave no certificate still showed that a device is there: any error but
// refused, unreachable and dns (a timeout, a reset, not-tls: something took the connection).
bool something_answered(ErrorClass error_class);

// Why an endpoint the user asked for was not connected to (its record's status is `skipped`).
enum class SkipReason
{
  none,
  excluded, // a name resolved to an address that --exclude covers
};

// "excluded"; "" for none. parse_skip_reason is its inverse for every reason but none.
std::string_view to_string(SkipReason reason);
std::optional<SkipReason> parse_skip_reason(std::string_view text);

// One address and port to probe. `host` is the name the user gave (empty for IP literals), `ip`
// the address it resolved to (empty when it did not resolve); `sni` is the server name to send
// (empty: send none).
struct Endpoint
{
  std::string ip;
  std::uint16_t port = 0;
  std::string host;
  std::string sni;
};

using Der = std::vector<unsigned char>;

// How far the probe takes a handshake: stop once the certificate chain is in (the default), or
// complete it (--full-handshake).
enum class HandshakeMode
{
  certificate_only,
  full,
};

// "certificate-only" or "full".
std::string_view to_string(HandshakeMode mode);

// Which ClientHello the exchange a record reports answered (DESIGN.md vocabulary): OpenSSL's first
// one, its legacy retry, or the probe's own raw TLS 1.0-1.2 or SSL 3.0 hello.
enum class HelloKind
{
  openssl,
  legacy,
  raw,
  raw_sslv3,
};

// "openssl", "legacy", "raw", "raw-sslv3".
std::string_view to_string(HelloKind hello);

// What the device answered to the identity request, as received: never parsed by the probe.
// `response` holds the status line and headers (and, for HTTP, the body) up to the cap; `error`
// says why there is no complete response (empty when one was read): the handshake did not
// complete, the device reset or closed, the deadline came, the response was cut at the cap.
struct IdentityExchange
{
  IdentityProtocol protocol = IdentityProtocol::sip;
  std::string response; // raw bytes read, at most k_identity_response_cap
  bool complete = false; // the whole head (and HTTP body up to the cap or Content-Length) was read
  std::string error;    // empty, or why the exchange ended without a complete response
};

// At most this many bytes of a SIP or HTTP response are read (status line, headers, body).
inline constexpr std::size_t k_identity_response_cap = 16 * 1024;

// Certificates OpenSSL already parsed from an observation's chain during its handshake (TLS 1.3,
// a full handshake), one reference each, leaf first, so that the record need not parse their bytes
// again. Moves carry the references; a copy is empty (the copy's record parses its chain from the
// bytes), so no two observations share an object. Freed (X509_free) with the holder.
class PeerCertificates
{
public:
  PeerCertificates() = default;
  PeerCertificates(const PeerCertificates& /*other*/) noexcept {}
  PeerCertificates(PeerCertificates&& other) noexcept;
  PeerCertificates& operator=(const PeerCertificates& other) noexcept;
  PeerCertificates& operator=(PeerCertificates&& other) noexcept;
  ~PeerCertificates();

  // Takes a reference of its own to `cert` (X509_up_ref); the caller keeps its own.
  void add(x509_st* cert);
  std::size_t size() const { return m_certs.size(); }
  bool empty() const { return m_certs.empty(); }
  // Hands every reference to the caller, who frees each (X509_free); empty afterwards.
  std::vector<x509_st*> release();
  // Frees every reference held.
  void clear();

private:
  std::vector<x509_st*> m_certs;
};

struct Observation
{
  Endpoint endpoint;
  // Every certificate the device sent, leaf first, exactly as received (may not parse).
  std::vector<Der> chain;
  std::string tls_version; // "TLSv1.2", ...; empty when no ServerHello arrived
  std::string cipher;      // OpenSSL cipher name; empty for a raw hello's exchange
  std::string cipher_suite; // the suite the device chose by IANA name ("0xNNNN" for one without)
  double connect_ms = -1;   // -1: not reached
  double handshake_ms = -1; // -1: not reached
  bool handshake_complete = false;
  bool legacy_retry = false;  // the record comes from the legacy-ClientHello retry
  HelloKind hello = HelloKind::openssl; // the ClientHello the reported exchange answered
  HandshakeMode handshake_mode = HandshakeMode::certificate_only; // what the probe was asked to do
  std::string alert;          // alert received from the device, e.g. "handshake_failure"
  // Whether the device asked for a client certificate (a CertificateRequest in its handshake):
  // true, false (its whole first flight was seen without one), nullopt when the probe stopped
  // before it could tell (TLS <= 1.2 stopped at the certificate before ServerHelloDone arrived).
  std::optional<bool> client_certificate_requested;
  ErrorClass error = ErrorClass::none;
  std::string error_stage;  // "resolve", "connect", "handshake"
  std::string error_detail; // human readable, from the OS or OpenSSL
  // The identity exchange run after the handshake (--identify): nullopt when none was attempted.
  std::optional<IdentityExchange> identity;
  SkipReason skipped = SkipReason::none; // set: not connected to, on purpose (no error, no TLS facts)
  std::string skip_detail;               // why, in words, when skipped
  // `chain` as OpenSSL parsed it in the handshake, when it did (same order and count), else empty:
  // make_record uses each object that encodes to exactly its bytes instead of parsing them again.
  PeerCertificates peer_certificates;
};

} // namespace fleetcert
