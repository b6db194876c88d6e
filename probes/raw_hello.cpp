#include "probes/raw_hello.hpp"

#include "probes/cipher_suites.hpp"

#include <algorithm>

namespace fleetcert {
namespace {

constexpr std::uint16_t k_renegotiation_scsv = 0x00FF;
constexpr std::uint16_t k_sslv3 = 0x0300;
constexpr std::uint16_t k_tls10 = 0x0301;
constexpr std::uint16_t k_tls12 = 0x0303;

// Extension types (RFC 6066, 8422, 5246, 8446).
constexpr std::uint16_t k_ext_server_name = 0;
constexpr std::uint16_t k_ext_supported_groups = 10;
constexpr std::uint16_t k_ext_ec_point_formats = 11;
constexpr std::uint16_t k_ext_signature_algorithms = 13;
constexpr std::uint16_t k_ext_supported_versions = 43;

// x25519 and the common NIST curves first, then brainpool, x448, every other SECG curve, FFDHE.
constexpr std::array<std::uint16_t, 35> k_groups = {
    29, 23, 24, 25, 26, 27, 28, 30, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1,
    256, 257, 258, 259, 260};

// SignatureScheme code points (RFC 8446 4.2.3; TLS 1.2's hash(1) + signature(1) pairs of RFC 5246
// 7.4.1.4.1: hash md5 1 .. sha512 6, signature rsa 1, dsa 2, ecdsa 3).
constexpr std::array<std::uint16_t, 32> k_signature_algorithms = {
    0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0807, 0x0808, 0x0809, 0x080A, 0x080B,
    0x081A, 0x081B, 0x081C, 0x0401, 0x0501, 0x0601, 0x0402, 0x0502, 0x0602, 0x0303, 0x0301,
    0x0302, 0x0203, 0x0201, 0x0202, 0x0103, 0x0101, 0x0102, 0x0420, 0x0520, 0x0620};

bool contains(std::string_view text, std::string_view part)
{
  return text.find(part) != std::string_view::npos;
}

// Suites SSL 3.0 cannot carry: TLS 1.2's hashes and AEAD modes, ECC (RFC 4492 is TLS), PSK.
bool sslv3_suite(const CipherSuiteInfo& suite)
{
  return suite.code < 0x00C6 && !contains(suite.name, "SHA256") && !contains(suite.name, "SHA384")
         && !contains(suite.name, "_GCM_") && !contains(suite.name, "_CCM") && !contains(suite.name, "PSK");
}

void put_u8(std::vector<unsigned char>& out, std::size_t value)
{
  out.push_back(static_cast<unsigned char>(value & 0xFF));
}

void put_u16(std::vector<unsigned char>& out, std::size_t value)
{
  put_u8(out, value >> 8);
  put_u8(out, value);
}

void put_u24(std::vector<unsigned char>& out, std::size_t value)
{
  put_u8(out, value >> 16);
  put_u16(out, value & 0xFFFF);
}

// Writes the 2-byte length of everything appended to `out` since `start` (the length's own
// position) at `start`.
void patch_u16(std::vector<unsigned char>& out, std::size_t start)
{
  const std::size_t length = out.size() - start - 2;
  out[start] = static_cast<unsigned char>((length >> 8) & 0xFF);
  out[start + 1] = static_cast<unsigned char>(length & 0xFF);
}

void put_extension(std::vector<unsigned char>& out, std::uint16_t type, std::span<const std::uint16_t> list)
{
  put_u16(out, type);
  put_u16(out, 2 + 2 * list.size());
  put_u16(out, 2 * list.size());
  for (const std::uint16_t value : list) {
    put_u16(out, value);
  }
}

// A DNS name (RFC 6066 3: no IP literals, no trailing dot); anything else is not sent.
bool sendable_host_name(std::string_view sni)
{
  if (sni.empty() || sni.size() > 255 || sni.back() == '.') {
    return false;
  }
  bool letter = false;
  for (const char c : sni) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alpha && !(c >= '0' && c <= '9') && c != '-' && c != '.' && c != '_') {
      return false;
    }
    letter = letter || alpha;
  }
  return letter; // "10.0.0.1" is an address, not a name
}

std::uint16_t read_u16(const unsigned char* p)
{
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

} // namespace

std::vector<std::uint16_t> raw_hello_cipher_suites(RawHelloVersion version)
{
  std::vector<std::uint16_t> with_certificate;
  std::vector<std::uint16_t> without;
  const auto table = cipher_suite_table();
  for (auto it = table.rbegin(); it != table.rend(); ++it) {
    if (it->tls13 || it->signalling || it->code == 0x0000) {
      continue;
    }
    if (version == RawHelloVersion::sslv3 && !sslv3_suite(*it)) {
      continue;
    }
    (it->certificate ? with_certificate : without).push_back(it->code);
  }
  with_certificate.insert(with_certificate.end(), without.begin(), without.end());
  with_certificate.push_back(k_renegotiation_scsv);
  return with_certificate;
}

std::span<const std::uint16_t> raw_hello_groups()
{
  return k_groups;
}

std::span<const std::uint16_t> raw_hello_signature_algorithms()
{
  return k_signature_algorithms;
}

std::vector<unsigned char> build_client_hello(RawHelloVersion version, std::string_view sni, const HelloRandom& random)
{
  const bool tls = version == RawHelloVersion::tls;
  std::vector<unsigned char> out;
  out.reserve(1024);
  put_u8(out, static_cast<unsigned>(ContentType::handshake));
  put_u16(out, tls ? k_tls10 : k_sslv3);
  const std::size_t record_length_at = out.size();
  put_u16(out, 0);
  put_u8(out, 1); // client_hello
  const std::size_t message_length_at = out.size();
  put_u24(out, 0);

  put_u16(out, tls ? k_tls12 : k_sslv3);
  out.insert(out.end(), random.begin(), random.end());
  put_u8(out, 0); // no session id: nothing to resume
  const std::vector<std::uint16_t> suites = raw_hello_cipher_suites(version);
  put_u16(out, 2 * suites.size());
  for (const std::uint16_t suite : suites) {
    put_u16(out, suite);
  }
  put_u8(out, 1); // compression methods: null only
  put_u8(out, 0);

  if (tls) {
    const std::size_t extensions_at = out.size();
    put_u16(out, 0);
    if (sendable_host_name(sni)) {
      put_u16(out, k_ext_server_name);
      put_u16(out, 2 + 1 + 2 + sni.size());
      put_u16(out, 1 + 2 + sni.size());
      put_u8(out, 0); // host_name
      put_u16(out, sni.size());
      out.insert(out.end(), sni.begin(), sni.end());
    }
    put_extension(out, k_ext_supported_groups, k_groups);
    put_u16(out, k_ext_ec_point_formats);
    put_u16(out, 4);
    put_u8(out, 3);
    put_u8(out, 0); // uncompressed
    put_u8(out, 1); // ansiX962_compressed_prime
    put_u8(out, 2); // ansiX962_compressed_char2
    put_extension(out, k_ext_signature_algorithms, k_signature_algorithms);
    patch_u16(out, extensions_at);
  }

  const std::size_t message_length = out.size() - message_length_at - 3;
  out[message_length_at] = static_cast<unsigned char>((message_length >> 16) & 0xFF);
  out[message_length_at + 1] = static_cast<unsigned char>((message_length >> 8) & 0xFF);
  out[message_length_at + 2] = static_cast<unsigned char>(message_length & 0xFF);
  patch_u16(out, record_length_at);
  return out;
}

std::string_view to_string(FlightError error)
{
  switch (error) {
  case FlightError::records: return "bad TLS records";
  case FlightError::not_server_hello: return "the first handshake message is not a ServerHello";
  case FlightError::truncated_server_hello: return "truncated ServerHello";
  case FlightError::bad_session_id: return "ServerHello session id longer than 32 bytes";
  case FlightError::truncated_extensions: return "truncated ServerHello extensions";
  case FlightError::trailing_bytes: return "bytes after the ServerHello extensions";
  case FlightError::unsupported_version: return "the device chose a version the ClientHello did not offer";
  case FlightError::no_certificate: return "no Certificate after the ServerHello";
  case FlightError::bad_certificate_message: return "malformed Certificate message";
  case FlightError::unexpected_record: return "a record other than handshake before the Certificate";
  case FlightError::alert: return "alert";
  case FlightError::flight_too_long: return "more bytes than a ServerHello and a Certificate";
  }
  return "unknown error";
}

ParsedServerHello parse_server_hello(ByteSpan message)
{
  ParsedServerHello out;
  if (message.size() < k_handshake_header_size
      || message[0] != static_cast<unsigned char>(HandshakeType::server_hello)) {
    out.error = FlightError::not_server_hello;
    return out;
  }
  const HandshakeHeader header = read_handshake_header(message.first<k_handshake_header_size>());
  ByteSpan body = message.subspan(k_handshake_header_size);
  if (header.length != body.size()) {
    out.error = header.length > body.size() ? FlightError::truncated_server_hello : FlightError::trailing_bytes;
    return out;
  }
  // version(2) random(32) session_id_length(1)
  if (body.size() < 35) {
    out.error = FlightError::truncated_server_hello;
    return out;
  }
  out.hello.version = read_u16(body.data());
  const std::size_t session_id_length = body[34];
  if (session_id_length > 32) {
    out.error = FlightError::bad_session_id;
    return out;
  }
  body = body.subspan(35);
  // session_id cipher_suite(2) compression(1)
  if (body.size() < session_id_length + 3) {
    out.error = FlightError::truncated_server_hello;
    return out;
  }
  body = body.subspan(session_id_length);
  out.hello.cipher_suite = read_u16(body.data());
  out.hello.compression = body[2];
  body = body.subspan(3);
  if (body.empty()) {
    return out; // no extensions (SSL 3.0, TLS 1.0 without any)
  }
  if (body.size() < 2 || std::size_t{2} + read_u16(body.data()) > body.size()) {
    out.error = FlightError::truncated_extensions;
    return out;
  }
  const std::size_t extensions_length = read_u16(body.data());
  if (std::size_t{2} + extensions_length < body.size()) {
    out.error = FlightError::trailing_bytes;
    return out;
  }
  ByteSpan extensions = body.subspan(2, extensions_length);
  while (!extensions.empty()) {
    if (extensions.size() < 4 || std::size_t{4} + read_u16(extensions.data() + 2) > extensions.size()) {
      out.error = FlightError::truncated_extensions;
      return out;
    }
    const std::uint16_t type = read_u16(extensions.data());
    const std::size_t length = read_u16(extensions.data() + 2);
    if (type == k_ext_supported_versions) {
      if (length != 2) {
        out.error = FlightError::truncated_extensions;
        return out;
      }
      out.hello.supported_version = read_u16(extensions.data() + 4);
    }
    extensions = extensions.subspan(4 + length);
  }
  return out;
}

ServerFlight::ServerFlight(TlsLimits limits) : m_reader(limits), m_limits(limits) {}

FlightStatus ServerFlight::fail(FlightError error)
{
  m_error = error;
  m_status = FlightStatus::failed;
  return m_status;
}

FlightStatus ServerFlight::feed(ByteSpan bytes)
{
  // A ServerHello, a capped Certificate message and the records around them, with room to spare.
  const std::size_t cap = m_limits.max_message_length + 4 * k_max_record_length;
  while (m_status == FlightStatus::need_more && !bytes.empty()) {
    if (m_bytes_seen < k_record_header_size) { // kept for describe_answer
      const std::size_t n = std::min(bytes.size(), k_record_header_size - m_bytes_seen);
      std::copy_n(bytes.begin(), n, m_first_bytes.begin() + static_cast<std::ptrdiff_t>(m_bytes_seen));
    }
    const TlsEvent event = m_reader.read(bytes);
    m_bytes_seen += event.consumed;
    bytes = bytes.subspan(event.consumed);
    if (m_bytes_seen > cap) {
      return fail(FlightError::flight_too_long);
    }
    switch (event.kind) {
    case TlsEventKind::need_more: break;
    case TlsEventKind::error:
      m_record_error = event.error;
      return fail(FlightError::records);
    case TlsEventKind::record: on_record(event); break;
    case TlsEventKind::handshake_message: on_message(event.bytes); break;
    }
  }
  return m_status;
}

void ServerFlight::on_record(const TlsEvent& event)
{
  if (event.header.content_type == static_cast<std::uint8_t>(ContentType::alert)) {
    const std::optional<Alert> alert = read_alert(event.bytes);
    if (!alert) {
      fail(FlightError::unexpected_record);
      return;
    }
    if (!m_alert || alert->level != 1 || alert->description == 0) {
      m_alert = alert; // the first warning, replaced by the alert that ends the flight
    }
    if (alert->level != 1 || alert->description == 0) {
      fail(FlightError::alert);
    }
    return;
  }
  if (event.header.content_type == static_cast<std::uint8_t>(ContentType::heartbeat)) {
    return;
  }
  fail(FlightError::unexpected_record);
}

void ServerFlight::on_message(ByteSpan message)
{
  if (message[0] == static_cast<unsigned char>(HandshakeType::hello_request)) {
    return; // RFC 5246 7.4.1.1: ignored during a handshake
  }
  if (!m_server_hello) {
    ParsedServerHello parsed = parse_server_hello(message);
    if (parsed.error) {
      fail(*parsed.error);
      return;
    }
    m_server_hello = parsed.hello;
    const std::uint16_t version = parsed.hello.supported_version.value_or(parsed.hello.version);
    if (version < k_sslv3 || version > k_tls12) {
      fail(FlightError::unsupported_version);
    }
    return;
  }
  if (message[0] != static_cast<unsigned char>(HandshakeType::certificate)) {
    m_unexpected_message = message[0];
    fail(FlightError::no_certificate);
    return;
  }
  const CertificateList list = parse_certificate_message(message, CertificateFormat::tls12, m_limits);
  for (const ByteSpan der : list.certificates) {
    m_chain.emplace_back(der.begin(), der.end());
  }
  if (m_chain.empty()) {
    m_record_error = list.error;
    fail(list.error ? FlightError::bad_certificate_message : FlightError::no_certificate);
    return;
  }
  m_chain_error = list.error;
  m_status = FlightStatus::certificate;
}

std::string ServerFlight::describe() const
{
  if (!m_error) {
    return {};
  }
  switch (*m_error) {
  case FlightError::records:
    if (m_record_error == TlsError::not_tls) {
      return describe_answer(m_first_bytes);
    }
    return std::string(to_string(m_record_error.value_or(TlsError::bad_record_header)));
  case FlightError::alert:
    return "received TLS alert " + alert_name(m_alert ? m_alert->description : 0);
  case FlightError::unsupported_version:
    return "the device chose " + protocol_version_name(m_server_hello->supported_version.value_or(m_server_hello->version))
           + ", which the ClientHello did not offer";
  case FlightError::no_certificate: {
    std::string text = "the device chose " + cipher_suite_name(m_server_hello->cipher_suite) + " and sent no certificate";
    if (m_unexpected_message) {
      text += " (handshake message " + std::to_string(*m_unexpected_message) + " after the ServerHello)";
    }
    return text;
  }
  case FlightError::bad_certificate_message:
    return "Certificate message: " + std::string(to_string(m_record_error.value_or(TlsError::truncated_list)));
  default: return std::string(to_string(*m_error));
  }
}

std::optional<std::uint16_t> plaintext_chain_suite(const ServerFlight& flight)
{
  if (flight.status() != FlightStatus::certificate || !flight.server_hello()) {
    return std::nullopt;
  }
  const ServerHello& hello = *flight.server_hello();
  if (hello.version < 0x0301 || hello.version > 0x0303 || hello.supported_version || hello.compression != 0) {
    return std::nullopt;
  }
  if (flight.chain_error() && *flight.chain_error() != TlsError::too_many_certificates) {
    return std::nullopt;
  }
  return hello.cipher_suite;
}

} // namespace fleetcert
