#pragma once
// A ClientHello the probe writes itself, and the device's plaintext answer read back: for the
// devices no ClientHello OpenSSL builds can reach (a TLS 1.0 stack with only 3DES or RC4, an export
// or SEED suite, a group OpenSSL does not offer, SSL 3.0 only). In TLS 1.2 and older the server's
// Certificate travels in plaintext right after its ServerHello, whatever suite it chose: the probe
// takes the chain from there and closes the connection, without any key exchange.
//
//   build_client_hello ──> socket ──> bytes ──ServerFlight (TlsReader)──> ServerHello ──> Certificate ──> chain
//                                                               │
//                                                               └── alert, not TLS, anonymous suite, ... ──> FlightError
//
// No sockets and no OpenSSL (the fuzz build compiles it with clang, like tls_records).

#include "probes/tls_records.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fleetcert {

// The two raw ClientHellos.
enum class RawHelloVersion
{
  tls,   // record version 0x0301, client_version 0x0303: TLS 1.0 to 1.2, every suite, group, sigalg
  sslv3, // record and client version 0x0300, SSL 3.0 suites, no extensions: the last resort
};

// The random of a ClientHello (any 32 bytes will do: no key exchange follows).
using HelloRandom = std::array<unsigned char, 32>;

// The cipher suites a raw hello offers, in its order: every registry suite that version can carry
// (never TLS 1.3's), those that send a certificate first, then the anonymous, PSK, SRP and
// Kerberos ones, then TLS_EMPTY_RENEGOTIATION_INFO_SCSV.
std::vector<std::uint16_t> raw_hello_cipher_suites(RawHelloVersion version);

// The named groups of the TLS raw hello (supported_groups): x25519, the NIST and SECG curves
// (binary ones included), brainpoolP256r1/384r1/512r1 (26, 27, 28), x448, ffdhe2048..8192.
std::span<const std::uint16_t> raw_hello_groups();

// The signature algorithms of the TLS raw hello: RSA, DSA and ECDSA with MD5 to SHA512, RSA-PSS,
// EdDSA and the brainpool ECDSA code points.
std::span<const std::uint16_t> raw_hello_signature_algorithms();

// The whole first record: a handshake record holding one ClientHello. The TLS hello carries
// server_name (when `sni` is a host name of 1..255 bytes), supported_groups, ec_point_formats
// (uncompressed and both compressed forms) and signature_algorithms; the SSL 3.0 hello no extension.
std::vector<unsigned char> build_client_hello(RawHelloVersion version, std::string_view sni,
                                              const HelloRandom& random);

// What a ServerHello says (RFC 5246 7.4.1.3, RFC 8446 4.1.3).
struct ServerHello
{
  std::uint16_t version = 0;      // server_version (legacy_version in TLS 1.3)
  std::uint16_t cipher_suite = 0;
  std::uint8_t compression = 0;
  std::optional<std::uint16_t> supported_version; // TLS 1.3's supported_versions extension
};

// What is wrong with a device's answer to a raw hello.
enum class FlightError : std::uint8_t
{
  records,                 // the record layer failed (record_error() says how)
  not_server_hello,        // the first handshake message is not a ServerHello
  truncated_server_hello,  // a ServerHello shorter than its fixed fields or its session id
  bad_session_id,          // a session id longer than 32 bytes
  truncated_extensions,    // extensions that run past the message, or an extension past them
  trailing_bytes,          // bytes after the ServerHello's extensions
  unsupported_version,     // a version the hello did not offer (TLS 1.3, or not 3.x)
  no_certificate,          // the flight goes on without a Certificate (anonymous suite, empty list)
  bad_certificate_message, // a Certificate message with no whole certificate in it
  unexpected_record,       // change_cipher_spec or application data before the Certificate
  alert,                   // a fatal alert, or close_notify (alert() says which)
  flight_too_long,         // more bytes than a ServerHello and a capped Certificate need
};

// Words for the error detail, e.g. "truncated ServerHello".
std::string_view to_string(FlightError error);

// Parses one whole ServerHello handshake message, header included, as TlsReader yields it.
// Extensions are optional (SSL 3.0, TLS 1.0); when present each must fit inside them, and
// supported_versions is read. Any cipher suite is accepted (the caller names it).
struct ParsedServerHello
{
  ServerHello hello;
  std::optional<FlightError> error;
};
ParsedServerHello parse_server_hello(ByteSpan message);

// Where the reading of a device's answer stands.
enum class FlightStatus
{
  need_more,   // no certificate yet and no error: feed more bytes
  certificate, // the chain is in (chain(), never empty)
  failed,      // error() says why
};

// Reads a device's answer to a raw hello, fed in pieces of any size as they arrive: a ServerHello,
// then the Certificate message right after it; a warning alert (other than close_notify) and
// HelloRequest are skipped. Once it answers certificate or failed it takes no more bytes. Holds at
// most what TlsReader holds (one record, one capped message) and the chain's bytes.
class ServerFlight
{
public:
  explicit ServerFlight(TlsLimits limits = {});

  // Takes the next bytes the device sent.
  FlightStatus feed(ByteSpan bytes);

  FlightStatus status() const { return m_status; }
  // The ServerHello, once one arrived.
  const std::optional<ServerHello>& server_hello() const { return m_server_hello; }
  // Every certificate, leaf first, exactly as sent (at most TlsLimits::max_certificates).
  const std::vector<std::vector<unsigned char>>& chain() const { return m_chain; }
  // A fault in a Certificate message whose whole certificates before it were kept.
  std::optional<TlsError> chain_error() const { return m_chain_error; }
  std::optional<FlightError> error() const { return m_error; }
  // With FlightError::records (or bad_certificate_message): the record layer's or the message's fault.
  std::optional<TlsError> record_error() const { return m_record_error; }
  // The alert that ended the flight, or else the first warning alert skipped.
  std::optional<Alert> alert() const { return m_alert; }
  // With TlsError::not_tls: the first 5 bytes the device sent (for describe_answer).
  const std::array<unsigned char, k_record_header_size>& first_bytes() const { return m_first_bytes; }
  // Some bytes came from the device.
  bool answered() const { return m_bytes_seen > 0; }
  // The error in words, e.g. "the device chose TLS_DH_anon_WITH_AES_128_CBC_SHA: no certificate".
  std::string describe() const;

private:
  FlightStatus fail(FlightError error);
  void on_message(ByteSpan message);
  void on_record(const TlsEvent& event);

  TlsReader m_reader;
  TlsLimits m_limits;
  std::size_t m_bytes_seen = 0;
  std::array<unsigned char, k_record_header_size> m_first_bytes{};
  FlightStatus m_status = FlightStatus::need_more;
  std::optional<ServerHello> m_server_hello;
  std::vector<std::vector<unsigned char>> m_chain;
  std::optional<TlsError> m_chain_error;
  std::optional<FlightError> m_error;
  std::optional<TlsError> m_record_error;
  std::optional<Alert> m_alert;
  std::optional<std::uint8_t> m_unexpected_message; // the handshake type met instead of a Certificate
};

// The suite of a flight whose plaintext chain can stand for what OpenSSL would make of the same
// bytes, for the probe that reads OpenSSL's hello's answer itself: status certificate, a
// ServerHello of TLS 1.0 to 1.2 (what both OpenSSL hellos and the raw TLS hello offer) without a
// supported_versions extension and without compression, every certificate whole (one cut at the
// cap counts as whole). nullopt for anything else, which the probe leaves to OpenSSL. The caller
// still checks that its hello offered the suite.
std::optional<std::uint16_t> plaintext_chain_suite(const ServerFlight& flight);

} // namespace fleetcert
