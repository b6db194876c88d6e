#include "probes/tls_records.hpp"

#include <algorithm>

namespace fleetcert {
namespace {

std::uint32_t read_u24(const unsigned char* p)
{
  return (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2];
}

std::uint16_t read_u16(const unsigned char* p)
{
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

// A 3-byte length at the start of `bytes` and the bytes after it, or nullopt when fewer than 3.
std::optional<std::size_t> take_u24(ByteSpan& bytes)
{
  if (bytes.size() < 3) {
    return std::nullopt;
  }
  const std::size_t value = read_u24(bytes.data());
  bytes = bytes.subspan(3);
  return value;
}

// The entries of a certificate list (every byte of `list` belongs to it) into `out`.
void parse_certificate_entries(ByteSpan list, CertificateFormat format, const TlsLimits& limits,
                               CertificateList& out)
{
  while (!list.empty()) {
    if (out.certificates.size() >= limits.max_certificates) {
      out.error = TlsError::too_many_certificates;
      return;
    }
    const std::optional<std::size_t> length = take_u24(list);
    if (!length || *length > list.size()) {
      out.error = TlsError::truncated_certificate;
      return;
    }
    if (*length == 0) {
      out.error = TlsError::empty_certificate;
      return;
    }
    out.certificates.push_back(list.first(*length));
    list = list.subspan(*length);
    if (format == CertificateFormat::tls13) {
      if (list.size() < 2 || std::size_t{2} + read_u16(list.data()) > list.size()) {
        out.error = TlsError::truncated_extensions;
        return;
      }
      list = list.subspan(std::size_t{2} + read_u16(list.data()));
    }
  }
}

} // namespace

std::string_view to_string(TlsError error)
{
  switch (error) {
  case TlsError::not_tls: return "not a TLS record";
  case TlsError::bad_record_header: return "not a TLS record header";
  case TlsError::record_too_long: return "record longer than 2^14+2048 bytes";
  case TlsError::message_too_long: return "handshake message longer than the cap";
  case TlsError::truncated_message: return "truncated handshake message";
  case TlsError::trailing_bytes: return "bytes after the certificate list";
  case TlsError::not_certificate: return "not a Certificate message";
  case TlsError::truncated_context: return "truncated certificate_request_context";
  case TlsError::truncated_list: return "truncated certificate list";
  case TlsError::empty_certificate: return "empty certificate entry";
  case TlsError::truncated_certificate: return "truncated certificate entry";
  case TlsError::truncated_extensions: return "truncated certificate extensions";
  case TlsError::too_many_certificates: return "more certificates than the cap";
  }
  return "unknown TLS error";
}

RecordHeader read_record_header(std::span<const unsigned char, k_record_header_size> bytes)
{
  return RecordHeader{bytes[0], read_u16(&bytes[1]), read_u16(&bytes[3])};
}

std::optional<TlsError> check_record_header(const RecordHeader& header)
{
  if (header.content_type < 20 || header.content_type > 24 || (header.version >> 8) != 3) {
    return TlsError::bad_record_header;
  }
  if (header.length > k_max_record_length) {
    return TlsError::record_too_long;
  }
  return std::nullopt;
}

AnswerKind classify_answer(std::span<const unsigned char, k_record_header_size> first)
{
  if (first[0] >= 20 && first[0] <= 24 && first[1] == 3) {
    return AnswerKind::tls;
  }
  if (first[0] == 'H' && first[1] == 'T' && first[2] == 'T' && first[3] == 'P') {
    return AnswerKind::http;
  }
  // SSLv2 (draft-hickman-netscape-ssl-00): length with the high bit, then message type 4
  // (SERVER-HELLO, whose session-id-hit is 0 or 1) or 0 (ERROR).
  const bool long_header = (first[0] & 0x80) != 0 && ((first[0] & 0x7f) != 0 || first[1] != 0);
  if (long_header && ((first[2] == 4 && first[3] <= 1) || first[2] == 0)) {
    return AnswerKind::sslv2;
  }
  return AnswerKind::other;
}

std::string describe_answer(std::span<const unsigned char, k_record_header_size> first)
{
  switch (classify_answer(first)) {
  case AnswerKind::http: return "plain HTTP answer, not TLS";
  case AnswerKind::sslv2: return "SSLv2 answer, not TLS";
  case AnswerKind::tls:
  case AnswerKind::other: break;
  }
  std::string printable;
  for (unsigned char c : first) {
    printable.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.');
  }
  return "the device answered with non-TLS bytes \"" + printable + "\"";
}

HandshakeHeader read_handshake_header(std::span<const unsigned char, k_handshake_header_size> bytes)
{
  return HandshakeHeader{bytes[0], read_u24(&bytes[1])};
}

CertificateList parse_certificate_message(ByteSpan message, CertificateFormat format, const TlsLimits& limits)
{
  CertificateList out;
  if (message.size() < k_handshake_header_size) {
    out.error = TlsError::truncated_message;
    return out;
  }
  const HandshakeHeader header = read_handshake_header(message.first<k_handshake_header_size>());
  if (header.type != static_cast<std::uint8_t>(HandshakeType::certificate)) {
    out.error = TlsError::not_certificate;
  } else if (header.length > limits.max_message_length) {
    out.error = TlsError::message_too_long;
  } else if (header.length > message.size() - k_handshake_header_size) {
    out.error = TlsError::truncated_message;
  } else if (header.length < message.size() - k_handshake_header_size) {
    out.error = TlsError::trailing_bytes;
  }
  if (out.error) {
    return out;
  }

  ByteSpan body = message.subspan(k_handshake_header_size);
  if (format == CertificateFormat::tls13) {
    if (body.empty() || std::size_t{1} + body[0] > body.size()) {
      out.error = TlsError::truncated_context;
      return out;
    }
    body = body.subspan(std::size_t{1} + body[0]);
  }
  const std::optional<std::size_t> list_length = take_u24(body);
  if (!list_length) {
    out.error = TlsError::truncated_list;
    return out;
  }
  // The whole entries of a list that runs past the message are still kept (beside the error).
  parse_certificate_entries(body.first(std::min(*list_length, body.size())), format, limits, out);
  if (*list_length > body.size()) {
    out.error = TlsError::truncated_list;
  } else if (!out.error && *list_length < body.size()) {
    out.error = TlsError::trailing_bytes;
  }
  return out;
}

std::optional<Alert> read_alert(ByteSpan fragment)
{
  if (fragment.size() < 2) {
    return std::nullopt;
  }
  return Alert{fragment[0], fragment[1]};
}

std::string alert_name(std::uint8_t description)
{
  // The TLS Alerts registry (RFC 8446 6, RFC 5246 7.2, RFC 6101 5.4.2 for SSL 3.0's, RFC 7301,
  // RFC 7507, RFC 9147); the ones marked reserved there are what old stacks still send.
  switch (description) {
  case 0: return "close_notify";
  case 10: return "unexpected_message";
  case 20: return "bad_record_mac";
  case 21: return "decryption_failed";
  case 22: return "record_overflow";
  case 30: return "decompression_failure";
  case 40: return "handshake_failure";
  case 41: return "no_certificate";
  case 42: return "bad_certificate";
  case 43: return "unsupported_certificate";
  case 44: return "certificate_revoked";
  case 45: return "certificate_expired";
  case 46: return "certificate_unknown";
  case 47: return "illegal_parameter";
  case 48: return "unknown_ca";
  case 49: return "access_denied";
  case 50: return "decode_error";
  case 51: return "decrypt_error";
  case 52: return "too_many_cids_requested";
  case 60: return "export_restriction";
  case 70: return "protocol_version";
  case 71: return "insufficient_security";
  case 80: return "internal_error";
  case 86: return "inappropriate_fallback";
  case 90: return "user_canceled";
  case 100: return "no_renegotiation";
  case 109: return "missing_extension";
  case 110: return "unsupported_extension";
  case 111: return "certificate_unobtainable";
  case 112: return "unrecognized_name";
  case 113: return "bad_certificate_status_response";
  case 114: return "bad_certificate_hash_value";
  case 115: return "unknown_psk_identity";
  case 116: return "certificate_required";
  case 120: return "no_application_protocol";
  default: return "alert_" + std::to_string(description);
  }
}

void CertificateRequestWatch::feed(ByteSpan bytes)
{
  while (!m_done && !bytes.empty()) {
    if (m_record_left == 0) {
      const std::size_t n = std::min(k_record_header_size - m_record_fill, bytes.size());
      std::copy_n(bytes.begin(), n, m_record_header.begin() + static_cast<std::ptrdiff_t>(m_record_fill));
      m_record_fill += n;
      bytes = bytes.subspan(n);
      if (m_record_fill < k_record_header_size) {
        return;
      }
      m_record_fill = 0;
      const RecordHeader header = read_record_header(m_record_header);
      if (check_record_header(header) || header.content_type != static_cast<std::uint8_t>(ContentType::handshake)) {
        m_done = true; // not TLS, or the plaintext handshake records are over
        return;
      }
      m_record_left = header.length; // an empty record is skipped, as TlsReader does
      continue;
    }
    const ByteSpan fragment = bytes.first(std::min(m_record_left, bytes.size()));
    bytes = bytes.subspan(fragment.size());
    m_record_left -= fragment.size();
    walk_messages(fragment);
  }
}

void CertificateRequestWatch::walk_messages(ByteSpan fragment)
{
  while (!m_done && !fragment.empty()) {
    if (m_message_left > 0) {
      const std::size_t skipped = std::min(m_message_left, fragment.size());
      m_message_left -= skipped;
      fragment = fragment.subspan(skipped);
      continue;
    }
    const std::size_t n = std::min(k_handshake_header_size - m_message_fill, fragment.size());
    std::copy_n(fragment.begin(), n, m_message_header.begin() + static_cast<std::ptrdiff_t>(m_message_fill));
    m_message_fill += n;
    fragment = fragment.subspan(n);
    if (m_message_fill < k_handshake_header_size) {
      return;
    }
    m_message_fill = 0;
    const HandshakeHeader header = read_handshake_header(m_message_header);
    if (header.type == static_cast<std::uint8_t>(HandshakeType::certificate_request)) {
      m_requested = true;
      m_done = true;
    } else if (header.type == static_cast<std::uint8_t>(HandshakeType::server_hello_done)) {
      m_requested = false;
      m_done = true;
    }
    m_message_left = header.length;
  }
}

TlsReader::TlsReader(TlsLimits limits) : m_limits(limits) {}

bool TlsReader::mid_message() const
{
  return !m_message.empty() && !m_yielded_message;
}

TlsEvent TlsReader::fail(TlsError error, std::size_t consumed)
{
  m_error = error;
  TlsEvent event;
  event.kind = TlsEventKind::error;
  event.consumed = consumed;
  event.header = m_header;
  event.error = error;
  if (error == TlsError::not_tls) {
    event.bytes = ByteSpan(m_header_bytes);
  }
  return event;
}

TlsEvent TlsReader::read(ByteSpan input)
{
  if (m_error) {
    return fail(*m_error, 0);
  }
  if (m_yielded_fragment) {
    m_fragment.clear();
    m_yielded_fragment = false;
  }
  if (m_yielded_message) {
    m_message.clear();
    m_yielded_message = false;
  }

  std::size_t pos = 0;
  // Moves up to `wanted` bytes of the input (and of the current record) into `to`.
  const auto take = [&](std::vector<unsigned char>& to, std::size_t wanted) {
    const std::size_t n = std::min({wanted, m_record_left, input.size() - pos});
    to.insert(to.end(), input.begin() + static_cast<std::ptrdiff_t>(pos),
              input.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
    m_record_left -= n;
  };

  while (true) {
    if (!m_in_record) {
      const std::size_t n = std::min(k_record_header_size - m_header_fill, input.size() - pos);
      std::copy_n(input.begin() + static_cast<std::ptrdiff_t>(pos), n, m_header_bytes.begin() + m_header_fill);
      m_header_fill += n;
      pos += n;
      if (m_header_fill < k_record_header_size) {
        return TlsEvent{TlsEventKind::need_more, pos, m_header, {}, {}};
      }
      m_header_fill = 0;
      m_header = read_record_header(m_header_bytes);
      if (m_records++ == 0 && classify_answer(m_header_bytes) != AnswerKind::tls) {
        return fail(TlsError::not_tls, pos);
      }
      if (const std::optional<TlsError> error = check_record_header(m_header)) {
        return fail(*error, pos);
      }
      m_in_record = true;
      m_record_left = m_header.length;
    }

    if (m_header.content_type != static_cast<std::uint8_t>(ContentType::handshake)) {
      take(m_fragment, m_record_left);
      if (m_record_left > 0) {
        return TlsEvent{TlsEventKind::need_more, pos, m_header, {}, {}};
      }
      m_in_record = false;
      m_yielded_fragment = true;
      return TlsEvent{TlsEventKind::record, pos, m_header, ByteSpan(m_fragment), {}};
    }

    // A handshake record: its bytes go straight into the message being reassembled.
    while (m_record_left > 0 && pos < input.size()) {
      if (m_message.size() < k_handshake_header_size) {
        take(m_message, k_handshake_header_size - m_message.size());
        if (m_message.size() < k_handshake_header_size) {
          continue;
        }
      }
      const std::size_t length = read_u24(&m_message[1]);
      if (length > m_limits.max_message_length) {
        return fail(TlsError::message_too_long, pos);
      }
      take(m_message, k_handshake_header_size + length - m_message.size());
      if (m_message.size() == k_handshake_header_size + length) {
        m_in_record = m_record_left > 0;
        m_yielded_message = true;
        return TlsEvent{TlsEventKind::handshake_message, pos, m_header, ByteSpan(m_message), {}};
      }
    }
    if (m_record_left > 0) {
      return TlsEvent{TlsEventKind::need_more, pos, m_header, {}, {}};
    }
    m_in_record = false; // the record is used up (a message may go on in the next one)
  }
}

} // namespace fleetcert
