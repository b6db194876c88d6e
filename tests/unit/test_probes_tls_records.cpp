// TLS records as bytes: the Certificate message of TLS 1.2 and 1.3 (well-formed, cut at every
// byte, over-long lengths, caps), record headers and the first-record check (HTTP, SSLv2, other
// bytes), handshake messages reassembled across records by TlsReader, the CertificateRequest watch
// on a server's flight, alert names.

#include "probes/tls_records.hpp"

#include "support/cert_factory.hpp"

#include <doctest/doctest.h>

#include <openssl/x509.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

using namespace fleetcert;

namespace {

using Bytes = std::vector<unsigned char>;

void put_u16(Bytes& out, std::size_t value)
{
  out.push_back(static_cast<unsigned char>(value >> 8));
  out.push_back(static_cast<unsigned char>(value));
}

void put_u24(Bytes& out, std::size_t value)
{
  out.push_back(static_cast<unsigned char>(value >> 16));
  put_u16(out, value & 0xffff);
}

void append(Bytes& out, const Bytes& more)
{
  out.insert(out.end(), more.begin(), more.end());
}

// A stand-in certificate: the parser never looks inside the DER.
Bytes fake_der(std::size_t size, unsigned char fill)
{
  Bytes der(size, fill);
  der[0] = 0x30;
  return der;
}

// One entry of a certificate list: length(3) DER [extensions(2+n) in TLS 1.3].
Bytes entry(const Bytes& der, CertificateFormat format, const Bytes& extensions = {})
{
  Bytes out;
  put_u24(out, der.size());
  append(out, der);
  if (format == CertificateFormat::tls13) {
    put_u16(out, extensions.size());
    append(out, extensions);
  }
  return out;
}

// A handshake message: type(1) length(3) body.
Bytes handshake(HandshakeType type, const Bytes& body)
{
  Bytes out{static_cast<unsigned char>(type)};
  put_u24(out, body.size());
  append(out, body);
  return out;
}

// A Certificate message body: [context(1+n)] list_length(3) entries.
Bytes certificate_body(const Bytes& entries, CertificateFormat format, const Bytes& context = {})
{
  Bytes body;
  if (format == CertificateFormat::tls13) {
    body.push_back(static_cast<unsigned char>(context.size()));
    append(body, context);
  }
  put_u24(body, entries.size());
  append(body, entries);
  return body;
}

// A well-formed Certificate message carrying `ders` (TLS 1.3: a 2-byte context and, on the
// first entry, one status_request-like extension).
Bytes certificate_message(const std::vector<Bytes>& ders, CertificateFormat format)
{
  Bytes entries;
  for (std::size_t i = 0; i < ders.size(); ++i) {
    append(entries, entry(ders[i], format, i == 0 ? Bytes{0x00, 0x05, 0x00, 0x01, 0x07} : Bytes{}));
  }
  return handshake(HandshakeType::certificate, certificate_body(entries, format, Bytes{0xab, 0xcd}));
}

// A record: type(1) version(2) length(2) fragment.
Bytes record(ContentType type, const Bytes& fragment, std::uint16_t version = 0x0303)
{
  Bytes out{static_cast<unsigned char>(type)};
  put_u16(out, version);
  put_u16(out, fragment.size());
  append(out, fragment);
  return out;
}

// The records carrying `message`, cut into fragments of at most `piece` bytes.
Bytes handshake_records(const Bytes& message, std::size_t piece)
{
  Bytes out;
  for (std::size_t at = 0; at < message.size(); at += piece) {
    const std::size_t end = std::min(message.size(), at + piece);
    append(out, record(ContentType::handshake, Bytes(message.begin() + static_cast<std::ptrdiff_t>(at),
                                                     message.begin() + static_cast<std::ptrdiff_t>(end))));
  }
  return out;
}

Bytes to_bytes(ByteSpan span)
{
  return Bytes(span.begin(), span.end());
}

std::vector<Bytes> to_bytes(const std::vector<ByteSpan>& spans)
{
  std::vector<Bytes> out;
  for (const ByteSpan span : spans) {
    out.push_back(to_bytes(span));
  }
  return out;
}

bool inside(ByteSpan part, ByteSpan whole)
{
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

std::array<unsigned char, k_record_header_size> header_of(std::string_view text)
{
  std::array<unsigned char, k_record_header_size> out{};
  std::copy_n(text.begin(), out.size(), out.begin());
  return out;
}

// A TlsReader event with its bytes copied (the reader's spans live until its next read).
struct Seen
{
  TlsEventKind kind;
  RecordHeader header;
  Bytes bytes;
  TlsError error;
};

// Feeds `stream` to `reader` in pieces of `piece` bytes, reading every event until each piece is
// used up; need_more events are left out.
std::vector<Seen> read_stream(TlsReader& reader, const Bytes& stream, std::size_t piece)
{
  std::vector<Seen> seen;
  for (std::size_t at = 0; at < stream.size(); at += piece) {
    ByteSpan input = ByteSpan(stream).subspan(at, std::min(piece, stream.size() - at));
    while (true) {
      const TlsEvent event = reader.read(input);
      REQUIRE(event.consumed <= input.size());
      input = input.subspan(event.consumed);
      if (event.kind == TlsEventKind::need_more) {
        REQUIRE(input.empty());
        break;
      }
      seen.push_back({event.kind, event.header, to_bytes(event.bytes), event.error});
      if (event.kind == TlsEventKind::error) {
        return seen;
      }
    }
  }
  return seen;
}

// The watch's answer after `stream` was fed in pieces of `piece` bytes.
struct Watched
{
  std::optional<bool> requested;
  bool done = false;
};

Watched watch_stream(const Bytes& stream, std::size_t piece)
{
  CertificateRequestWatch watch;
  for (std::size_t at = 0; at < stream.size(); at += piece) {
    watch.feed(ByteSpan(stream).subspan(at, std::min(piece, stream.size() - at)));
  }
  return {watch.requested(), watch.done()};
}

} // namespace

TEST_SUITE("probes.tls_records")
{
  TEST_CASE("a Certificate message yields each certificate as a span into the message")
  {
    for (const CertificateFormat format : {CertificateFormat::tls12, CertificateFormat::tls13}) {
      CAPTURE(static_cast<int>(format));
      SUBCASE("one real certificate, byte for byte, that OpenSSL decodes")
      {
        namespace t = fleetcert::testing;
        const auto key = t::generate_key({"ec", 0, "P-256"});
        t::CertSpec spec;
        spec.subject = t::parse_subject("/CN=000B82ABCDEF");
        const Bytes der = t::to_der(t::make_certificate(spec, key.get(), nullptr, key.get()).get());
        const Bytes message = certificate_message({der}, format);

        const CertificateList list = parse_certificate_message(message, format);
        REQUIRE_FALSE(list.error);
        REQUIRE(list.certificates.size() == 1);
        CHECK(to_bytes(list.certificates[0]) == der);
        CHECK(inside(list.certificates[0], message));
        const unsigned char* p = list.certificates[0].data();
        X509* decoded = d2i_X509(nullptr, &p, static_cast<long>(list.certificates[0].size()));
        CHECK(decoded != nullptr);
        X509_free(decoded);
      }
      SUBCASE("several certificates, leaf first")
      {
        const std::vector<Bytes> ders{fake_der(700, 1), fake_der(1, 2), fake_der(70000, 3)};
        const Bytes message = certificate_message(ders, format);
        const CertificateList list = parse_certificate_message(message, format);
        REQUIRE_FALSE(list.error);
        CHECK(to_bytes(list.certificates) == ders);
        for (const ByteSpan certificate : list.certificates) {
          CHECK(inside(certificate, message));
        }
      }
      SUBCASE("257 certificates when the cap allows them")
      {
        std::vector<Bytes> ders;
        for (std::size_t i = 0; i < 257; ++i) {
          ders.push_back(fake_der(1 + i % 5, static_cast<unsigned char>(i)));
        }
        const Bytes message = certificate_message(ders, format);
        const CertificateList list =
            parse_certificate_message(message, format, TlsLimits{k_max_certificate_message_length, 257});
        REQUIRE_FALSE(list.error);
        CHECK(to_bytes(list.certificates) == ders);
      }
      SUBCASE("an empty list: no certificate and no error")
      {
        const Bytes message = handshake(HandshakeType::certificate, certificate_body({}, format));
        const CertificateList list = parse_certificate_message(message, format);
        CHECK_FALSE(list.error);
        CHECK(list.certificates.empty());
      }
    }
  }

  TEST_CASE("more certificates than the cap: the first ones are kept and the error says so")
  {
    for (const CertificateFormat format : {CertificateFormat::tls12, CertificateFormat::tls13}) {
      CAPTURE(static_cast<int>(format));
      std::vector<Bytes> ders;
      for (std::size_t i = 0; i < 257; ++i) {
        ders.push_back(fake_der(3, static_cast<unsigned char>(i)));
      }
      const Bytes message = certificate_message(ders, format);
      SUBCASE("the default cap: 256")
      {
        const CertificateList list = parse_certificate_message(message, format);
        REQUIRE(list.error);
        CHECK(*list.error == TlsError::too_many_certificates);
        REQUIRE(list.certificates.size() == k_max_chain_certificates);
        CHECK(to_bytes(list.certificates.back()) == ders[255]);
      }
      SUBCASE("exactly at the cap is no error")
      {
        ders.pop_back();
        const Bytes at_cap = certificate_message(ders, format);
        const CertificateList list = parse_certificate_message(at_cap, format);
        CHECK_FALSE(list.error);
        CHECK(list.certificates.size() == 256);
      }
      SUBCASE("a tight cap")
      {
        const CertificateList list =
            parse_certificate_message(message, format, TlsLimits{k_max_certificate_message_length, 2});
        CHECK(list.error == TlsError::too_many_certificates);
        CHECK(list.certificates.size() == 2);
      }
      SUBCASE("a message longer than the length cap is refused before its list is read")
      {
        const CertificateList list = parse_certificate_message(message, format, TlsLimits{message.size() - 5, 256});
        CHECK(list.error == TlsError::message_too_long);
        CHECK(list.certificates.empty());
        CHECK_FALSE(parse_certificate_message(message, format, TlsLimits{message.size() - 4, 257}).error);
      }
    }
  }

  TEST_CASE("a Certificate message cut at any byte is never a success")
  {
    for (const CertificateFormat format : {CertificateFormat::tls12, CertificateFormat::tls13}) {
      CAPTURE(static_cast<int>(format));
      const std::vector<Bytes> ders{fake_der(40, 1), fake_der(1, 2), fake_der(300, 3)};
      const Bytes message = certificate_message(ders, format);
      const Bytes body(message.begin() + 4, message.end());
      const std::size_t list_start = format == CertificateFormat::tls13 ? 1 + 2 + 3 : 3;
      const Bytes list(body.begin() + static_cast<std::ptrdiff_t>(list_start), body.end());

      SUBCASE("every prefix of the message: truncated")
      {
        for (std::size_t n = 0; n < message.size(); ++n) {
          CAPTURE(n);
          const Bytes prefix(message.begin(), message.begin() + static_cast<std::ptrdiff_t>(n));
          const CertificateList parsed = parse_certificate_message(prefix, format);
          REQUIRE(parsed.error);
          CHECK(*parsed.error == TlsError::truncated_message);
          CHECK(parsed.certificates.empty());
        }
      }
      SUBCASE("every prefix of the body under a header that agrees: the innermost field cut says why")
      {
        for (std::size_t n = 0; n < body.size(); ++n) {
          CAPTURE(n);
          const Bytes cut = handshake(HandshakeType::certificate, Bytes(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(n)));
          const CertificateList parsed = parse_certificate_message(cut, format);
          REQUIRE(parsed.error);
          if (format == CertificateFormat::tls13 && n < 3) {
            CHECK(*parsed.error == TlsError::truncated_context);
          } else {
            CHECK(*parsed.error == TlsError::truncated_list);
          }
          for (const ByteSpan certificate : parsed.certificates) {
            CHECK(inside(certificate, cut));
          }
        }
      }
      SUBCASE("every prefix of the list under lengths that agree: an error, or fewer whole entries")
      {
        const std::size_t entry_1 = entry(ders[0], format, format == CertificateFormat::tls13 ? Bytes{0, 5, 0, 1, 7} : Bytes{}).size();
        const std::size_t entry_2 = entry_1 + entry(ders[1], format).size();
        for (std::size_t n = 0; n < list.size(); ++n) {
          CAPTURE(n);
          const Bytes cut = handshake(HandshakeType::certificate,
                                      certificate_body(Bytes(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(n)),
                                                       format, Bytes{0xab, 0xcd}));
          const CertificateList parsed = parse_certificate_message(cut, format);
          if (n == 0 || n == entry_1 || n == entry_2) {
            CHECK_FALSE(parsed.error);
            CHECK(parsed.certificates.size() == (n == 0 ? 0 : n == entry_1 ? 1 : 2));
            continue;
          }
          REQUIRE(parsed.error);
          const std::size_t whole = n < entry_1 ? 0 : n < entry_2 ? 1 : 2;
          CHECK(parsed.certificates.size() <= whole + 1);
          CHECK(parsed.certificates.size() >= whole);
          for (std::size_t i = 0; i < parsed.certificates.size(); ++i) {
            CHECK(to_bytes(parsed.certificates[i]) == ders[i]);
          }
          if (parsed.certificates.size() == whole) {
            CHECK(*parsed.error == TlsError::truncated_certificate);
          } else {
            CHECK(*parsed.error == TlsError::truncated_extensions); // the DER was whole
            CHECK(format == CertificateFormat::tls13);
          }
        }
      }
    }
  }

  TEST_CASE("lengths that run past what encloses them are errors")
  {
    const Bytes der = fake_der(20, 9);
    SUBCASE("a list length larger than the message: the whole entries are kept beside the error")
    {
      Bytes body;
      put_u24(body, 1000);
      append(body, entry(der, CertificateFormat::tls12));
      const Bytes message = handshake(HandshakeType::certificate, body);
      const CertificateList list = parse_certificate_message(message, CertificateFormat::tls12);
      CHECK(list.error == TlsError::truncated_list);
      REQUIRE(list.certificates.size() == 1);
      CHECK(to_bytes(list.certificates[0]) == der);
    }
    SUBCASE("a list length smaller than the message: trailing bytes")
    {
      Bytes body = certificate_body(entry(der, CertificateFormat::tls12), CertificateFormat::tls12);
      body.push_back(0);
      const CertificateList list = parse_certificate_message(handshake(HandshakeType::certificate, body), CertificateFormat::tls12);
      CHECK(list.error == TlsError::trailing_bytes);
      CHECK(list.certificates.size() == 1);
    }
    SUBCASE("a certificate length larger than the list")
    {
      Bytes entries = entry(der, CertificateFormat::tls12);
      put_u24(entries, 0xffffff);
      append(entries, der);
      const CertificateList list = parse_certificate_message(
          handshake(HandshakeType::certificate, certificate_body(entries, CertificateFormat::tls12)), CertificateFormat::tls12);
      CHECK(list.error == TlsError::truncated_certificate);
      CHECK(list.certificates.size() == 1);
    }
    SUBCASE("TLS 1.3: an extensions length past the end of the list")
    {
      Bytes entries;
      put_u24(entries, der.size());
      append(entries, der);
      put_u16(entries, 4);
      append(entries, Bytes{0, 5, 0});
      const CertificateList list = parse_certificate_message(
          handshake(HandshakeType::certificate, certificate_body(entries, CertificateFormat::tls13)), CertificateFormat::tls13);
      CHECK(list.error == TlsError::truncated_extensions);
    }
    SUBCASE("TLS 1.3: an extensions length that swallows the next entry's length")
    {
      Bytes entries = entry(der, CertificateFormat::tls13, Bytes{1, 2, 3});
      entries[3 + der.size() + 1] = 6; // extensions length 6: runs 3 bytes past the end
      const CertificateList list = parse_certificate_message(
          handshake(HandshakeType::certificate, certificate_body(entries, CertificateFormat::tls13)), CertificateFormat::tls13);
      CHECK(list.error == TlsError::truncated_extensions);
    }
    SUBCASE("TLS 1.3: a certificate_request_context longer than the message")
    {
      const Bytes body{0x10, 0x00, 0x00};
      const CertificateList list =
          parse_certificate_message(handshake(HandshakeType::certificate, body), CertificateFormat::tls13);
      CHECK(list.error == TlsError::truncated_context);
    }
    SUBCASE("a TLS 1.3 message read as TLS 1.2 does not pass")
    {
      const Bytes message = certificate_message({der}, CertificateFormat::tls13);
      CHECK(parse_certificate_message(message, CertificateFormat::tls12).error);
    }
    SUBCASE("a handshake length shorter than the bytes given")
    {
      Bytes message = certificate_message({der}, CertificateFormat::tls12);
      message.push_back(0);
      CHECK(parse_certificate_message(message, CertificateFormat::tls12).error == TlsError::trailing_bytes);
    }
    SUBCASE("another handshake message")
    {
      const CertificateList list =
          parse_certificate_message(handshake(HandshakeType::server_hello, Bytes(40, 0)), CertificateFormat::tls12);
      CHECK(list.error == TlsError::not_certificate);
    }
  }

  TEST_CASE("a zero-length certificate is an error, the ones before it are kept")
  {
    for (const CertificateFormat format : {CertificateFormat::tls12, CertificateFormat::tls13}) {
      CAPTURE(static_cast<int>(format));
      const Bytes der = fake_der(10, 4);
      Bytes entries = entry(der, format);
      put_u24(entries, 0);
      if (format == CertificateFormat::tls13) {
        put_u16(entries, 0);
      }
      append(entries, entry(der, format));
      const Bytes message = handshake(HandshakeType::certificate, certificate_body(entries, format));
      const CertificateList list = parse_certificate_message(message, format);
      CHECK(list.error == TlsError::empty_certificate);
      REQUIRE(list.certificates.size() == 1);
      CHECK(to_bytes(list.certificates[0]) == der);
    }
  }

  TEST_CASE("the first record header tells TLS from HTTP, SSLv2 and other bytes")
  {
    CHECK(classify_answer(std::array<unsigned char, 5>{22, 3, 3, 0, 80}) == AnswerKind::tls);
    CHECK(classify_answer(std::array<unsigned char, 5>{21, 3, 0, 0, 2}) == AnswerKind::tls); // SSL 3.0 alert
    CHECK(classify_answer(header_of("HTTP/1.1 400")) == AnswerKind::http);
    CHECK(describe_answer(header_of("HTTP/")) == "plain HTTP answer, not TLS");
    // SSLv2 SERVER-HELLO: length 0x8123, type 4, session-id-hit 0, certificate type 1.
    CHECK(classify_answer(std::array<unsigned char, 5>{0x81, 0x23, 4, 0, 1}) == AnswerKind::sslv2);
    CHECK(classify_answer(std::array<unsigned char, 5>{0x80, 0x03, 0, 0, 1}) == AnswerKind::sslv2); // ERROR
    CHECK(describe_answer(std::array<unsigned char, 5>{0x81, 0x23, 4, 0, 1}) == "SSLv2 answer, not TLS");
    CHECK(classify_answer(header_of("SSH-2")) == AnswerKind::other);
    CHECK(describe_answer(header_of("SSH-2")) == "the device answered with non-TLS bytes \"SSH-2\"");
    CHECK(describe_answer(std::array<unsigned char, 5>{0, 'a', 0x7f, 0xff, '"'})
          == "the device answered with non-TLS bytes \".a..\"\"");
    CHECK(classify_answer(std::array<unsigned char, 5>{22, 2, 0, 0, 1}) == AnswerKind::other);
    CHECK(classify_answer(std::array<unsigned char, 5>{25, 3, 3, 0, 1}) == AnswerKind::other);
    CHECK(classify_answer(std::array<unsigned char, 5>{19, 3, 3, 0, 1}) == AnswerKind::other);
  }

  TEST_CASE("record headers: content type, version and the longest fragment TLS allows")
  {
    const RecordHeader header = read_record_header(std::array<unsigned char, 5>{22, 3, 1, 0x40, 0x00});
    CHECK(header.content_type == 22);
    CHECK(header.version == 0x0301);
    CHECK(header.length == 0x4000);
    CHECK_FALSE(check_record_header(header));
    CHECK_FALSE(check_record_header(RecordHeader{23, 0x0303, k_max_record_length}));
    CHECK(check_record_header(RecordHeader{23, 0x0303, k_max_record_length + 1}) == TlsError::record_too_long);
    CHECK(check_record_header(RecordHeader{22, 0x0303, 0xffff}) == TlsError::record_too_long);
    CHECK(check_record_header(RecordHeader{25, 0x0303, 10}) == TlsError::bad_record_header);
    CHECK(check_record_header(RecordHeader{22, 0x0203, 10}) == TlsError::bad_record_header);
    const HandshakeHeader message = read_handshake_header(std::array<unsigned char, 4>{11, 0x01, 0x02, 0x03});
    CHECK(message.type == 11);
    CHECK(message.length == 0x010203);
  }

  TEST_CASE("TlsReader refuses what is not TLS")
  {
    TlsReader reader;
    SUBCASE("a plain HTTP answer: not_tls with the five bytes, from then on")
    {
      const std::string http = "HTTP/1.1 400 Bad Request\r\n\r\n";
      const Bytes stream(http.begin(), http.end());
      const TlsEvent event = reader.read(stream);
      REQUIRE(event.kind == TlsEventKind::error);
      CHECK(event.error == TlsError::not_tls);
      CHECK(event.consumed == 5);
      REQUIRE(event.bytes.size() == 5);
      CHECK(describe_answer(event.bytes.first<5>()) == "plain HTTP answer, not TLS");
      const TlsEvent again = reader.read(ByteSpan(stream).subspan(5));
      CHECK(again.kind == TlsEventKind::error);
      CHECK(again.consumed == 0);
    }
    SUBCASE("an SSLv2 SERVER-HELLO")
    {
      const Bytes stream{0x81, 0x23, 4, 0, 1, 0, 2, 0, 0};
      const std::vector<Seen> seen = read_stream(reader, stream, 1);
      REQUIRE(seen.size() == 1);
      CHECK(seen[0].error == TlsError::not_tls);
      CHECK(classify_answer(std::array<unsigned char, 5>{seen[0].bytes[0], seen[0].bytes[1], seen[0].bytes[2],
                                                         seen[0].bytes[3], seen[0].bytes[4]})
            == AnswerKind::sslv2);
    }
    SUBCASE("a first record longer than 2^14+2048")
    {
      const Bytes stream{22, 3, 3, 0x48, 0x01};
      const std::vector<Seen> seen = read_stream(reader, stream, 5);
      REQUIRE(seen.size() == 1);
      CHECK(seen[0].error == TlsError::record_too_long);
    }
    SUBCASE("a later record with a content type TLS does not have")
    {
      Bytes stream = record(ContentType::handshake, handshake(HandshakeType::server_hello, Bytes(10, 1)));
      append(stream, Bytes{0x47, 0x45, 0x54, 0x20, 0x2f});
      const std::vector<Seen> seen = read_stream(reader, stream, stream.size());
      REQUIRE(seen.size() == 2);
      CHECK(seen[0].kind == TlsEventKind::handshake_message);
      CHECK(seen[1].kind == TlsEventKind::error);
      CHECK(seen[1].error == TlsError::bad_record_header);
    }
    SUBCASE("a record exactly 2^14+2048 long is read whole")
    {
      const Bytes stream = record(ContentType::application_data, Bytes(k_max_record_length, 0x55));
      const std::vector<Seen> seen = read_stream(reader, stream, 1000);
      REQUIRE(seen.size() == 1);
      CHECK(seen[0].kind == TlsEventKind::record);
      CHECK(seen[0].bytes.size() == k_max_record_length);
    }
  }

  TEST_CASE("TlsReader reassembles handshake messages across records and pieces")
  {
    const std::vector<Bytes> ders{fake_der(900, 1), fake_der(2500, 2)};
    const Bytes certificate = certificate_message(ders, CertificateFormat::tls12);
    const Bytes server_hello = handshake(HandshakeType::server_hello, Bytes(70, 0x42));
    const Bytes done = handshake(HandshakeType::server_hello_done, {});

    SUBCASE("one message split over several records, fed in pieces of any size")
    {
      const Bytes stream = handshake_records(certificate, 1000);
      REQUIRE(stream.size() == certificate.size() + 4 * 5);
      for (const std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{5}, std::size_t{999}, stream.size()}) {
        CAPTURE(piece);
        TlsReader reader;
        const std::vector<Seen> seen = read_stream(reader, stream, piece);
        REQUIRE(seen.size() == 1);
        CHECK(seen[0].kind == TlsEventKind::handshake_message);
        CHECK(seen[0].bytes == certificate);
        CHECK_FALSE(reader.mid_message());
        const CertificateList list = parse_certificate_message(seen[0].bytes, CertificateFormat::tls12);
        CHECK_FALSE(list.error);
        CHECK(to_bytes(list.certificates) == ders);
      }
    }
    SUBCASE("a message whose 4-byte header is split between records")
    {
      const Bytes stream = handshake_records(server_hello, 2);
      TlsReader reader;
      const std::vector<Seen> seen = read_stream(reader, stream, stream.size());
      REQUIRE(seen.size() == 1);
      CHECK(seen[0].bytes == server_hello);
    }
    SUBCASE("several messages in one record, then an alert")
    {
      Bytes flight = server_hello;
      append(flight, certificate);
      append(flight, done);
      Bytes stream = record(ContentType::handshake, flight);
      append(stream, record(ContentType::alert, Bytes{2, 40}));
      for (const std::size_t piece : {std::size_t{1}, std::size_t{64}, stream.size()}) {
        CAPTURE(piece);
        TlsReader reader;
        const std::vector<Seen> seen = read_stream(reader, stream, piece);
        REQUIRE(seen.size() == 4);
        CHECK(seen[0].bytes == server_hello);
        CHECK(seen[1].bytes == certificate);
        CHECK(seen[2].bytes == done);
        CHECK(seen[2].kind == TlsEventKind::handshake_message);
        CHECK(seen[3].kind == TlsEventKind::record);
        CHECK(seen[3].header.content_type == static_cast<std::uint8_t>(ContentType::alert));
        const std::optional<Alert> alert = read_alert(seen[3].bytes);
        REQUIRE(alert);
        CHECK(alert->level == 2);
        CHECK(alert_name(alert->description) == "handshake_failure");
      }
    }
    SUBCASE("a message that goes on in the next record after another record in between")
    {
      Bytes stream = record(ContentType::handshake, Bytes(server_hello.begin(), server_hello.begin() + 10));
      append(stream, record(ContentType::change_cipher_spec, Bytes{1}));
      append(stream, record(ContentType::handshake, Bytes(server_hello.begin() + 10, server_hello.end())));
      TlsReader reader;
      const std::vector<Seen> seen = read_stream(reader, stream, stream.size());
      REQUIRE(seen.size() == 2);
      CHECK(seen[0].kind == TlsEventKind::record);
      CHECK(seen[1].bytes == server_hello);
    }
    SUBCASE("a stream that stops mid-message says so")
    {
      const Bytes stream = handshake_records(certificate, 1000);
      TlsReader reader;
      const std::vector<Seen> seen = read_stream(reader, Bytes(stream.begin(), stream.begin() + 2000), 2000);
      CHECK(seen.empty());
      CHECK(reader.mid_message());
    }
    SUBCASE("every prefix of the records: need more, never a message")
    {
      const Bytes stream = handshake_records(certificate, 1000);
      for (std::size_t n = 0; n < stream.size(); ++n) {
        CAPTURE(n);
        TlsReader reader;
        CHECK(read_stream(reader, Bytes(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(n)), 64).empty());
      }
    }
    SUBCASE("empty records are skipped or yielded, never stuck")
    {
      Bytes stream = record(ContentType::handshake, {});
      append(stream, record(ContentType::application_data, {}));
      append(stream, record(ContentType::handshake, done));
      TlsReader reader;
      const std::vector<Seen> seen = read_stream(reader, stream, stream.size());
      REQUIRE(seen.size() == 2);
      CHECK(seen[0].kind == TlsEventKind::record);
      CHECK(seen[0].bytes.empty());
      CHECK(seen[1].bytes == done);
    }
    SUBCASE("a message longer than the cap is refused at its header, before its body is kept")
    {
      TlsReader reader(TlsLimits{certificate.size() - 5, 256});
      const Bytes stream = handshake_records(certificate, 1000);
      const TlsEvent event = reader.read(stream);
      CHECK(event.kind == TlsEventKind::error);
      CHECK(event.error == TlsError::message_too_long);
      CHECK(event.consumed == 5 + 4);
      TlsReader roomy(TlsLimits{certificate.size() - 4, 256});
      const std::vector<Seen> seen = read_stream(roomy, stream, stream.size());
      REQUIRE(seen.size() == 1);
      CHECK(seen[0].bytes == certificate);
    }
  }

  TEST_CASE("CertificateRequestWatch finds a TLS 1.2 server's CertificateRequest in its flight")
  {
    const Bytes server_hello = handshake(HandshakeType::server_hello, Bytes(70, 0x42));
    const Bytes certificate = certificate_message({fake_der(900, 1), fake_der(2500, 2)}, CertificateFormat::tls12);
    const Bytes key_exchange = handshake(HandshakeType::server_key_exchange, Bytes(300, 0x0c));
    // certificate_types(1+n) signature_algorithms(2+n) certificate_authorities(2+n), 13 (0x0d) in its body
    const Bytes request = handshake(HandshakeType::certificate_request,
                                    Bytes{0x02, 0x01, 0x40, 0x00, 0x02, 0x04, 0x03, 0x00, 0x00});
    const Bytes done = handshake(HandshakeType::server_hello_done, {});
    const auto flight = [&](bool with_request) {
      Bytes out = server_hello;
      append(out, certificate);
      append(out, key_exchange);
      if (with_request) {
        append(out, request);
      }
      append(out, done);
      return out;
    };
    const std::vector<std::size_t> pieces{1, 2, 3, 5, 7, 1000, 100000};

    SUBCASE("a CertificateRequest: true, in one record or many, fed in pieces of any size")
    {
      for (const std::size_t record_size : {std::size_t{1}, std::size_t{3}, std::size_t{512}, std::size_t{16384}}) {
        const Bytes stream = handshake_records(flight(true), record_size);
        for (const std::size_t piece : pieces) {
          CAPTURE(record_size);
          CAPTURE(piece);
          const Watched watched = watch_stream(stream, piece);
          CHECK(watched.requested == true);
          CHECK(watched.done);
        }
      }
    }
    SUBCASE("ServerHelloDone without one: false")
    {
      for (const std::size_t record_size : {std::size_t{1}, std::size_t{512}, std::size_t{16384}}) {
        const Bytes stream = handshake_records(flight(false), record_size);
        for (const std::size_t piece : pieces) {
          CAPTURE(record_size);
          CAPTURE(piece);
          const Watched watched = watch_stream(stream, piece);
          CHECK(watched.requested == false);
          CHECK(watched.done);
        }
      }
    }
    SUBCASE("a flight cut before its end is undecided, never false")
    {
      const Bytes with = handshake_records(flight(true), 1000);
      const Bytes without = handshake_records(flight(false), 1000);
      // Up to the last byte before the CertificateRequest's (or ServerHelloDone's) type byte.
      const std::size_t request_at = 5 * 4 + server_hello.size() + certificate.size() + key_exchange.size();
      REQUIRE(with[request_at] == static_cast<unsigned char>(HandshakeType::certificate_request));
      REQUIRE(without[request_at] == static_cast<unsigned char>(HandshakeType::server_hello_done));
      for (std::size_t n = 0; n < request_at + 3; ++n) {
        CAPTURE(n);
        const Watched cut_with = watch_stream(Bytes(with.begin(), with.begin() + static_cast<std::ptrdiff_t>(n)), 64);
        const Watched cut_without = watch_stream(Bytes(without.begin(), without.begin() + static_cast<std::ptrdiff_t>(n)), 64);
        CHECK_FALSE(cut_with.requested);
        CHECK_FALSE(cut_with.done);
        CHECK_FALSE(cut_without.requested);
        CHECK_FALSE(cut_without.done);
      }
      // The type and length of the message decide: its body need not have arrived.
      CHECK(watch_stream(Bytes(with.begin(), with.begin() + static_cast<std::ptrdiff_t>(request_at + 4)), 64).requested == true);
      CHECK(watch_stream(Bytes(without.begin(), without.begin() + static_cast<std::ptrdiff_t>(request_at + 4)), 64).requested == false);
    }
    SUBCASE("the type byte 13 inside another message's body is no CertificateRequest")
    {
      Bytes stream = record(ContentType::handshake, handshake(HandshakeType::server_key_exchange, Bytes(40, 13)));
      append(stream, record(ContentType::handshake, done));
      CHECK(watch_stream(stream, 7).requested == false);
    }
    SUBCASE("a message header split between records; empty handshake records are skipped")
    {
      Bytes stream = record(ContentType::handshake, {});
      append(stream, handshake_records(request, 2));
      CHECK(watch_stream(stream, 1).requested == true);
    }
    SUBCASE("TLS 1.3: after the plaintext ServerHello only encrypted records, so it gives up undecided")
    {
      Bytes compat = record(ContentType::handshake, server_hello);
      append(compat, record(ContentType::change_cipher_spec, Bytes{1}));
      append(compat, record(ContentType::application_data, Bytes(200, 0x17)));
      Bytes direct = record(ContentType::handshake, server_hello);
      append(direct, record(ContentType::application_data, Bytes(200, 0x0d)));
      for (const Bytes& stream : {compat, direct}) {
        const Watched watched = watch_stream(stream, 3);
        CHECK_FALSE(watched.requested);
        CHECK(watched.done);
      }
    }
    SUBCASE("an alert or bytes that are not TLS: undecided, and done")
    {
      Bytes alert = record(ContentType::handshake, server_hello);
      append(alert, record(ContentType::alert, Bytes{2, 40}));
      append(alert, record(ContentType::handshake, request));
      const Bytes http{'H', 'T', 'T', 'P', '/', '1', '.', '1', ' ', '4', '0', '0'};
      Bytes too_long = record(ContentType::handshake, server_hello);
      too_long.insert(too_long.end(), {0x16, 0x03, 0x03, 0xff, 0xff});
      for (const Bytes& stream : {alert, http, too_long}) {
        const Watched watched = watch_stream(stream, 1);
        CHECK_FALSE(watched.requested);
        CHECK(watched.done);
      }
    }
    SUBCASE("bytes after the decision change nothing")
    {
      CertificateRequestWatch watch;
      Bytes stream = handshake_records(flight(false), 16384);
      watch.feed(stream);
      REQUIRE(watch.requested() == false);
      watch.feed(record(ContentType::handshake, request));
      CHECK(watch.requested() == false);
      CHECK(watch.done());
    }
  }

  TEST_CASE("alert names")
  {
    CHECK(alert_name(0) == "close_notify");
    CHECK(alert_name(40) == "handshake_failure");
    CHECK(alert_name(41) == "no_certificate");
    CHECK(alert_name(48) == "unknown_ca");
    CHECK(alert_name(70) == "protocol_version");
    CHECK(alert_name(112) == "unrecognized_name");
    CHECK(alert_name(116) == "certificate_required");
    CHECK(alert_name(120) == "no_application_protocol");
    CHECK(alert_name(1) == "alert_1");
    CHECK(alert_name(255) == "alert_255");
    CHECK_FALSE(read_alert(Bytes{2}));
    CHECK_FALSE(read_alert(Bytes{}));
    const std::optional<Alert> alert = read_alert(Bytes{1, 0, 2, 40});
    REQUIRE(alert);
    CHECK(alert->level == 1);
    CHECK(alert->description == 0);
  }

  TEST_CASE("error words")
  {
    CHECK(to_string(TlsError::truncated_list) == "truncated certificate list");
    CHECK(to_string(TlsError::truncated_context) == "truncated certificate_request_context");
    CHECK(to_string(TlsError::truncated_extensions) == "truncated certificate extensions");
    CHECK(to_string(TlsError::empty_certificate) == "empty certificate entry");
  }
}
