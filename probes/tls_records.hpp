#pragma once
// What a device sends over TLS, as plain bytes: record headers (and the first-record check that
// tells TLS from plain HTTP, SSLv2 or other bytes), handshake messages reassembled across records,
// the chain of a Certificate message (SSL 3.0 to TLS 1.2, and TLS 1.3), alert names.
//
//   bytes, in pieces of any size ──TlsReader──> records ──> handshake messages (reassembled)
//                                                               │
//                         OpenSSL's message callback ──> Certificate message ──parse_certificate_message──> DER spans
//
//   bytes, in pieces of any size ──CertificateRequestWatch──> did the server ask for a client certificate?
//
// No sockets and no OpenSSL: every length is checked against the bytes present and against hard
// caps (TlsLimits), and every failure is a value. The probe uses the parsers in its OpenSSL message
// callback and the watch on the bytes it reads from the socket; TlsReader is how the probe walks
// the records itself (ServerFlight: a raw ClientHello's answer, and OpenSSL's in certificate-only mode).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fleetcert {

using ByteSpan = std::span<const unsigned char>;

// A record header's size and the longest fragment any TLS version allows (TLSCiphertext of
// TLS 1.2, RFC 5246 6.2.3: 2^14 + 2048); a longer record is a record_overflow.
constexpr std::size_t k_record_header_size = 5;
constexpr std::size_t k_max_record_length = (std::size_t{1} << 14) + 2048;
// A handshake message's header: type(1) length(3).
constexpr std::size_t k_handshake_header_size = 4;
// The caps on one device's Certificate message: the body's length (also the OpenSSL contexts'
// max_cert_list) and the certificates kept from it.
constexpr std::size_t k_max_certificate_message_length = 1024 * 1024;
constexpr std::size_t k_max_chain_certificates = 256;

// Record content types (RFC 8446 5.1; heartbeat: RFC 6520).
enum class ContentType : std::uint8_t
{
  change_cipher_spec = 20,
  alert = 21,
  handshake = 22,
  application_data = 23,
  heartbeat = 24,
};

// Handshake message types a server sends (RFC 5246 7.4, RFC 8446 4); the wire may carry others.
enum class HandshakeType : std::uint8_t
{
  hello_request = 0,
  server_hello = 2,
  new_session_ticket = 4,
  encrypted_extensions = 8,
  certificate = 11,
  server_key_exchange = 12,
  certificate_request = 13,
  server_hello_done = 14,
  certificate_verify = 15,
  finished = 20,
  certificate_status = 22,
};

// Hard caps on what the parsers keep from one device.
struct TlsLimits
{
  std::size_t max_message_length = k_max_certificate_message_length; // a handshake message's body
  std::size_t max_certificates = k_max_chain_certificates;           // kept from one Certificate message
};

// What is wrong with the bytes a device sent.
enum class TlsError : std::uint8_t
{
  not_tls,               // the first record header is not a TLS one (plain HTTP, SSLv2, other bytes)
  bad_record_header,     // a later record header has no TLS content type or major version 3
  record_too_long,       // a record longer than k_max_record_length
  message_too_long,      // a handshake message longer than TlsLimits::max_message_length
  truncated_message,     // a handshake message shorter than its header says
  trailing_bytes,        // bytes after the message or after the certificate list
  not_certificate,       // parse_certificate_message was given another handshake message
  truncated_context,     // TLS 1.3: the certificate_request_context runs past the message
  truncated_list,        // the certificate list's length runs past the message
  empty_certificate,     // a certificate of length zero (RFC: 1..2^24-1 bytes)
  truncated_certificate, // a certificate's length field or bytes run past the list
  truncated_extensions,  // TLS 1.3: an entry's extensions run past the list
  too_many_certificates, // more than TlsLimits::max_certificates certificates
};

// Words for the error detail, e.g. "truncated certificate list".
std::string_view to_string(TlsError error);

// A record header (RFC 8446 5.1): content type, legacy record version (0x0300 SSL 3.0 to 0x0303),
// length of the fragment that follows.
struct RecordHeader
{
  std::uint8_t content_type = 0;
  std::uint16_t version = 0;
  std::uint16_t length = 0;
};

// Reads the 5 bytes of a record header, without judging them.
RecordHeader read_record_header(std::span<const unsigned char, k_record_header_size> bytes);

// Why `header` cannot start a TLS record: a content type outside 20-24 or a major version other
// than 3 (bad_record_header), or a fragment longer than k_max_record_length (record_too_long).
std::optional<TlsError> check_record_header(const RecordHeader& header);

// What the first bytes of a device's answer look like.
enum class AnswerKind
{
  tls,   // a TLS record header: content type 20-24, major version 3 (its length is not judged)
  http,  // "HTTP": a web server answering in plain text
  sslv2, // an SSLv2 record: 2-byte header with the high bit set, then SERVER-HELLO or ERROR
  other, // anything else
};

// Classifies the first record header a device sent.
AnswerKind classify_answer(std::span<const unsigned char, k_record_header_size> first);

// The error detail for a first record header that is not TLS: "plain HTTP answer, not TLS",
// "SSLv2 answer, not TLS", or "the device answered with non-TLS bytes \"<printable>\"".
std::string describe_answer(std::span<const unsigned char, k_record_header_size> first);

// A handshake message's header: its type and its body's length.
struct HandshakeHeader
{
  std::uint8_t type = 0;
  std::uint32_t length = 0;
};

// Reads the 4 bytes of a handshake message header.
HandshakeHeader read_handshake_header(std::span<const unsigned char, k_handshake_header_size> bytes);

// The layout of a Certificate message: SSL 3.0 to TLS 1.2 (RFC 5246 7.4.2) or TLS 1.3 (RFC 8446
// 4.4.2: a certificate_request_context first, extensions after each certificate).
enum class CertificateFormat
{
  tls12,
  tls13,
};

// The chain of a Certificate message: each certificate's DER as a span into the message, leaf
// first. With an error, `certificates` holds the whole ones before the fault (the probe keeps
// them beside the error) and never more than TlsLimits::max_certificates.
struct CertificateList
{
  std::vector<ByteSpan> certificates;
  std::optional<TlsError> error;
};

// Parses one whole Certificate handshake message, header included, as OpenSSL's message callback
// and TlsReader give it: type(1) length(3) [context(1+n)] list_length(3) { length(3) DER
// [extensions(2+n)] }*. Every length must fit the one that encloses it; an empty list is no error.
CertificateList parse_certificate_message(ByteSpan message, CertificateFormat format,
                                          const TlsLimits& limits = {});

// An alert (RFC 8446 6): level (1 warning, 2 fatal) and description.
struct Alert
{
  std::uint8_t level = 0;
  std::uint8_t description = 0;
};

// The first alert of an alert record's fragment; nullopt when it holds fewer than 2 bytes.
std::optional<Alert> read_alert(ByteSpan fragment);

// The description's name from the TLS registry ("handshake_failure", "unknown_ca", ...), or
// "alert_<n>" for a number no RFC names.
std::string alert_name(std::uint8_t description);

// What TlsReader::read found.
enum class TlsEventKind
{
  need_more,         // every byte given was taken; no record or message is complete yet
  record,            // a whole record other than handshake: alert, change_cipher_spec, application data
  handshake_message, // a whole handshake message, reassembled from one or more handshake records
  error,             // not TLS, or over a cap: the reader answers this from now on
};

struct TlsEvent
{
  TlsEventKind kind = TlsEventKind::need_more;
  std::size_t consumed = 0; // bytes of read()'s input taken; the rest goes to the next call
  RecordHeader header;      // the record (for a message: the record that completed it)
  // record: its fragment; handshake_message: the message, 4-byte header included; error not_tls:
  // the 5 bytes that are no record header (for describe_answer). Valid until the next read().
  ByteSpan bytes;
  TlsError error = TlsError::not_tls; // when kind is error
};

// Whether a server asks for a client certificate, from its plaintext first flight (SSL 3.0 to
// TLS 1.2: ServerHello, Certificate, [CertificateStatus], [ServerKeyExchange],
// [CertificateRequest], ServerHelloDone), fed the bytes the device sends as they arrive, in pieces
// of any size. It reads record and handshake headers only and keeps no message (a few bytes of
// state, whatever the chain's size). Decided at the header of a CertificateRequest (true) or of a
// ServerHelloDone (false: the flight ended without one). It gives up for good, undecided, at the
// first record that is not a handshake record (a ChangeCipherSpec, an alert, TLS 1.3's encrypted
// records: its CertificateRequest is encrypted, the probe's message callback sees that one) and at
// bytes that are no TLS record header; while the flight is incomplete it is simply undecided.
class CertificateRequestWatch
{
public:
  // Takes the next bytes the device sent; ignored once done().
  void feed(ByteSpan bytes);
  // true: a CertificateRequest; false: ServerHelloDone without one; nullopt: undecided.
  std::optional<bool> requested() const { return m_requested; }
  // Nothing more to learn from further bytes: decided, or given up.
  bool done() const { return m_done; }

private:
  // Reads handshake message headers in `fragment` (bytes of a handshake record).
  void walk_messages(ByteSpan fragment);

  std::array<unsigned char, k_record_header_size> m_record_header{};
  std::size_t m_record_fill = 0;  // bytes of the next record header read so far
  std::size_t m_record_left = 0;  // fragment bytes of the current handshake record still to come
  std::array<unsigned char, k_handshake_header_size> m_message_header{};
  std::size_t m_message_fill = 0; // bytes of the next message header read so far
  std::size_t m_message_left = 0; // body bytes of the current message still to come (skipped)
  std::optional<bool> m_requested;
  bool m_done = false;
};

// Walks the records a device sends, fed in pieces of any size as they arrive, and yields them one
// at a time, handshake messages reassembled (one message over several records, several messages
// in one record). Keeps at most one record's fragment (k_max_record_length) and one handshake
// message (TlsLimits::max_message_length + 4). It cannot tell encrypted records: after the
// device's change_cipher_spec (TLS 1.2) or ServerHello (TLS 1.3), the caller stops reading.
class TlsReader
{
public:
  explicit TlsReader(TlsLimits limits = {});

  // Takes bytes from `input` until one event is complete or `input` is used up. Call it again
  // with what it did not consume (event.consumed) until it answers need_more, then feed more.
  TlsEvent read(ByteSpan input);

  // A handshake message has begun and is not complete: the device stopping now truncated it.
  bool mid_message() const;

private:
  TlsEvent fail(TlsError error, std::size_t consumed);

  TlsLimits m_limits;
  std::array<unsigned char, k_record_header_size> m_header_bytes{};
  std::size_t m_header_fill = 0;
  RecordHeader m_header;
  bool m_in_record = false;     // the header is read, m_record_left fragment bytes follow
  std::size_t m_record_left = 0;
  std::size_t m_records = 0;    // record headers read
  std::vector<unsigned char> m_fragment; // the current non-handshake record's fragment
  std::vector<unsigned char> m_message;  // the handshake message being reassembled
  bool m_yielded_fragment = false;       // the last event handed out m_fragment: clear it first
  bool m_yielded_message = false;        // the last event handed out m_message: clear it first
  std::optional<TlsError> m_error;
};

} // namespace fleetcert
