// The probe's own ClientHello and the device's plaintext answer: the hello's bytes (lengths that
// agree, read back through TlsReader, the suites, groups and signature algorithms it must carry,
// SNI only for host names, the SSL 3.0 hello), ServerHello parsing (every truncation, over-long
// extensions, a session id too long, unknown suites), and ServerFlight over whole flights, fed in
// any pieces, and hostile ones (alerts, anonymous suites, TLS 1.3, not TLS, endless records).

#include "probes/cipher_suites.hpp"
#include "probes/raw_hello.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

using namespace fleetcert;

namespace {

using Bytes = std::vector<unsigned char>;

std::uint16_t u16(const Bytes& b, std::size_t at)
{
  return static_cast<std::uint16_t>((b.at(at) << 8) | b.at(at + 1));
}

std::size_t u24(const Bytes& b, std::size_t at)
{
  return (std::size_t{b.at(at)} << 16) | (std::size_t{b.at(at + 1)} << 8) | b.at(at + 2);
}

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

// A ClientHello read back field by field (a parser of the test's own, strict about every length).
struct ClientHelloFields
{
  std::uint16_t version = 0;
  std::vector<std::uint16_t> suites;
  Bytes compression;
  bool has_extensions = false;
  std::map<std::uint16_t, Bytes> extensions;
};

ClientHelloFields read_client_hello(const Bytes& message)
{
  ClientHelloFields out;
  REQUIRE(message.at(0) == 1);
  REQUIRE(u24(message, 1) == message.size() - 4);
  std::size_t at = 4;
  out.version = u16(message, at);
  at += 2 + 32;
  const std::size_t session = message.at(at);
  at += 1 + session;
  const std::size_t suites_length = u16(message, at);
  REQUIRE(suites_length % 2 == 0);
  at += 2;
  for (std::size_t i = 0; i < suites_length; i += 2) {
    out.suites.push_back(u16(message, at + i));
  }
  at += suites_length;
  const std::size_t compression_length = message.at(at);
  out.compression.assign(message.begin() + static_cast<std::ptrdiff_t>(at + 1),
                         message.begin() + static_cast<std::ptrdiff_t>(at + 1 + compression_length));
  at += 1 + compression_length;
  if (at == message.size()) {
    return out;
  }
  out.has_extensions = true;
  const std::size_t extensions_end = at + 2 + u16(message, at);
  REQUIRE(extensions_end == message.size());
  at += 2;
  while (at < extensions_end) {
    const std::uint16_t type = u16(message, at);
    const std::size_t length = u16(message, at + 2);
    REQUIRE(at + 4 + length <= extensions_end);
    REQUIRE(out.extensions.count(type) == 0);
    out.extensions[type].assign(message.begin() + static_cast<std::ptrdiff_t>(at + 4),
                                message.begin() + static_cast<std::ptrdiff_t>(at + 4 + length));
    at += 4 + length;
  }
  return out;
}

// The hello's one record through TlsReader: its header and the one message it holds.
Bytes hello_message(const Bytes& record, std::uint16_t record_version)
{
  TlsReader reader;
  const TlsEvent event = reader.read(record);
  REQUIRE(event.kind == TlsEventKind::handshake_message);
  CHECK(event.consumed == record.size());
  CHECK(event.header.version == record_version);
  CHECK(event.header.length == record.size() - 5);
  return Bytes(event.bytes.begin(), event.bytes.end());
}

// A 2-byte list with a 2-byte length, as supported_groups and signature_algorithms carry it.
std::vector<std::uint16_t> u16_list(const Bytes& extension)
{
  REQUIRE(extension.size() >= 2);
  REQUIRE(u16(extension, 0) == extension.size() - 2);
  std::vector<std::uint16_t> out;
  for (std::size_t i = 2; i < extension.size(); i += 2) {
    out.push_back(u16(extension, i));
  }
  return out;
}

bool has(const std::vector<std::uint16_t>& list, std::uint16_t value)
{
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::ptrdiff_t index_of(const std::vector<std::uint16_t>& list, std::uint16_t value)
{
  return std::find(list.begin(), list.end(), value) - list.begin();
}

// A ServerHello message: version, random, session id, suite, compression, [extensions].
Bytes server_hello(std::uint16_t version, std::uint16_t suite, std::size_t session_id = 0,
                   const std::optional<Bytes>& extensions = std::nullopt)
{
  Bytes body;
  put_u16(body, version);
  body.insert(body.end(), 32, 0x5A);
  body.push_back(static_cast<unsigned char>(session_id));
  body.insert(body.end(), session_id, 0x11);
  put_u16(body, suite);
  body.push_back(0);
  if (extensions) {
    put_u16(body, extensions->size());
    body.insert(body.end(), extensions->begin(), extensions->end());
  }
  Bytes message{2};
  put_u24(message, body.size());
  message.insert(message.end(), body.begin(), body.end());
  return message;
}

Bytes certificate_message(const std::vector<Bytes>& chain)
{
  Bytes list;
  for (const Bytes& der : chain) {
    put_u24(list, der.size());
    list.insert(list.end(), der.begin(), der.end());
  }
  Bytes message{11};
  put_u24(message, list.size() + 3);
  put_u24(message, list.size());
  message.insert(message.end(), list.begin(), list.end());
  return message;
}

Bytes record(std::uint8_t type, std::uint16_t version, const Bytes& fragment)
{
  Bytes out{type};
  put_u16(out, version);
  put_u16(out, fragment.size());
  out.insert(out.end(), fragment.begin(), fragment.end());
  return out;
}

Bytes handshake_record(const std::vector<Bytes>& messages, std::uint16_t version = 0x0301)
{
  Bytes fragment;
  for (const Bytes& m : messages) {
    fragment.insert(fragment.end(), m.begin(), m.end());
  }
  return record(22, version, fragment);
}

const Bytes k_leaf = [] {
  Bytes der(300, 0xAB);
  der[0] = 0x30;
  return der;
}();
const Bytes k_ca = [] {
  Bytes der(200, 0xCD);
  der[0] = 0x30;
  return der;
}();
const Bytes k_done{14, 0, 0, 0};

// Feeds `bytes` to a new flight in pieces of `piece` bytes (0: whole).
ServerFlight feed_in_pieces(const Bytes& bytes, std::size_t piece, TlsLimits limits = {})
{
  ServerFlight flight(limits);
  if (piece == 0) {
    flight.feed(bytes);
    return flight;
  }
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    flight.feed(ByteSpan(bytes).subspan(at, std::min(piece, bytes.size() - at)));
  }
  return flight;
}

const HelloRandom k_random = [] {
  HelloRandom random{};
  for (std::size_t i = 0; i < random.size(); ++i) {
    random[i] = static_cast<unsigned char>(i * 7 + 1);
  }
  return random;
}();

} // namespace

TEST_SUITE("raw_hello")
{
  TEST_CASE("the TLS hello is one record whose lengths agree and TlsReader reads back")
  {
    const Bytes hello = build_client_hello(RawHelloVersion::tls, "phone-1.example", k_random);
    REQUIRE(hello.size() > 5);
    CHECK(hello[0] == 22);
    CHECK(u16(hello, 1) == 0x0301);
    const Bytes message = hello_message(hello, 0x0301);
    const ClientHelloFields fields = read_client_hello(message);
    CHECK(fields.version == 0x0303);
    CHECK(std::equal(k_random.begin(), k_random.end(), message.begin() + 6));
    CHECK(fields.compression == Bytes{0});

    SUBCASE("every suite a device may pick, none twice, no TLS 1.3 suite, the SCSV last")
    {
      CHECK(has(fields.suites, 0x000A)); // TLS_RSA_WITH_3DES_EDE_CBC_SHA
      CHECK(has(fields.suites, 0x0005)); // TLS_RSA_WITH_RC4_128_SHA
      CHECK(has(fields.suites, 0x0004)); // TLS_RSA_WITH_RC4_128_MD5
      CHECK(has(fields.suites, 0x0003)); // TLS_RSA_EXPORT_WITH_RC4_40_MD5
      CHECK(has(fields.suites, 0x0096)); // TLS_RSA_WITH_SEED_CBC_SHA
      CHECK(has(fields.suites, 0x0041)); // TLS_RSA_WITH_CAMELLIA_128_CBC_SHA
      CHECK(has(fields.suites, 0xC03C)); // TLS_RSA_WITH_ARIA_128_CBC_SHA256
      CHECK(has(fields.suites, 0x0013)); // TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA
      CHECK(has(fields.suites, 0x0034)); // TLS_DH_anon_WITH_AES_128_CBC_SHA
      CHECK(has(fields.suites, 0xC02F)); // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
      CHECK_FALSE(has(fields.suites, 0x1301));
      CHECK_FALSE(has(fields.suites, 0x0000));
      CHECK_FALSE(has(fields.suites, 0x5600));
      CHECK(fields.suites.back() == 0x00FF);
      std::vector<std::uint16_t> sorted = fields.suites;
      std::sort(sorted.begin(), sorted.end());
      CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
      CHECK(fields.suites == raw_hello_cipher_suites(RawHelloVersion::tls));
      // Suites that bring a certificate come before anonymous and PSK ones.
      CHECK(index_of(fields.suites, 0x000A) < index_of(fields.suites, 0x0034));
      CHECK(index_of(fields.suites, 0x0005) < index_of(fields.suites, 0x008C));
    }

    SUBCASE("every named group of TLS 1.2, brainpool included, and every point format")
    {
      REQUIRE(fields.extensions.count(10) == 1);
      const std::vector<std::uint16_t> groups = u16_list(fields.extensions.at(10));
      CHECK(has(groups, 26));
      CHECK(has(groups, 27));
      CHECK(has(groups, 28));
      CHECK(has(groups, 29));
      CHECK(has(groups, 23));
      CHECK(has(groups, 1));
      CHECK(has(groups, 256));
      CHECK_FALSE(has(groups, 31)); // brainpoolP256r1tls13 has no place in a TLS 1.2 hello
      REQUIRE(fields.extensions.count(11) == 1);
      CHECK(fields.extensions.at(11) == Bytes{3, 0, 1, 2});
    }

    SUBCASE("every signature algorithm, MD5 and SHA1 included")
    {
      REQUIRE(fields.extensions.count(13) == 1);
      const std::vector<std::uint16_t> sigalgs = u16_list(fields.extensions.at(13));
      CHECK(has(sigalgs, 0x0201)); // rsa_pkcs1_sha1
      CHECK(has(sigalgs, 0x0203)); // ecdsa_sha1
      CHECK(has(sigalgs, 0x0202)); // dsa_sha1
      CHECK(has(sigalgs, 0x0101)); // rsa_pkcs1_md5
      CHECK(has(sigalgs, 0x0804)); // rsa_pss_rsae_sha256
      CHECK(has(sigalgs, 0x0807)); // ed25519
      CHECK(has(sigalgs, 0x081A)); // ecdsa_brainpoolP256r1tls13_sha256
    }

    SUBCASE("SNI carries the host name")
    {
      REQUIRE(fields.extensions.count(0) == 1);
      const Bytes& sni = fields.extensions.at(0);
      REQUIRE(sni.size() == 2 + 1 + 2 + 15);
      CHECK(u16(sni, 0) == sni.size() - 2);
      CHECK(sni[2] == 0);
      CHECK(std::string(sni.begin() + 5, sni.end()) == "phone-1.example");
    }
  }

  TEST_CASE("no SNI for an address, an empty name or one too long")
  {
    for (const std::string& sni : {std::string(), std::string("10.1.2.3"), std::string("::1"), std::string(256, 'a'),
                                  std::string("bad name"), std::string("phone.example.")}) {
      CAPTURE(sni);
      const Bytes hello = build_client_hello(RawHelloVersion::tls, sni, k_random);
      const ClientHelloFields fields = read_client_hello(hello_message(hello, 0x0301));
      CHECK(fields.extensions.count(0) == 0);
      CHECK(fields.extensions.count(10) == 1);
    }
  }

  TEST_CASE("the SSL 3.0 hello: version 0x0300, SSL 3.0 suites, no extensions")
  {
    const Bytes hello = build_client_hello(RawHelloVersion::sslv3, "phone.example", k_random);
    CHECK(u16(hello, 1) == 0x0300);
    const ClientHelloFields fields = read_client_hello(hello_message(hello, 0x0300));
    CHECK(fields.version == 0x0300);
    CHECK_FALSE(fields.has_extensions);
    CHECK(has(fields.suites, 0x000A));
    CHECK(has(fields.suites, 0x0005));
    CHECK(has(fields.suites, 0x0004));
    CHECK(has(fields.suites, 0x0003));
    CHECK(has(fields.suites, 0x002F)); // TLS_RSA_WITH_AES_128_CBC_SHA
    CHECK(has(fields.suites, 0x0013));
    CHECK_FALSE(has(fields.suites, 0x003C)); // SHA256: TLS 1.2 only
    CHECK_FALSE(has(fields.suites, 0x009C)); // GCM: TLS 1.2 only
    CHECK_FALSE(has(fields.suites, 0xC013)); // ECC: TLS only
    CHECK(fields.suites.back() == 0x00FF);
    CHECK(hello.size() < 255); // short, as the oldest stacks want
  }

  TEST_CASE("ServerHello parsing")
  {
    SUBCASE("without extensions (SSL 3.0, TLS 1.0)")
    {
      const ParsedServerHello parsed = parse_server_hello(server_hello(0x0300, 0x000A, 32));
      REQUIRE_FALSE(parsed.error);
      CHECK(parsed.hello.version == 0x0300);
      CHECK(parsed.hello.cipher_suite == 0x000A);
      CHECK_FALSE(parsed.hello.supported_version);
    }
    SUBCASE("with extensions, supported_versions read")
    {
      Bytes extensions{0xFF, 0x01, 0x00, 0x01, 0x00, 0x00, 0x2B, 0x00, 0x02, 0x03, 0x04};
      const ParsedServerHello parsed = parse_server_hello(server_hello(0x0303, 0x1301, 0, extensions));
      REQUIRE_FALSE(parsed.error);
      CHECK(parsed.hello.supported_version == 0x0304);
    }
    SUBCASE("an empty extension block")
    {
      const ParsedServerHello parsed = parse_server_hello(server_hello(0x0301, 0x0005, 0, Bytes{}));
      CHECK_FALSE(parsed.error);
      CHECK(parsed.hello.cipher_suite == 0x0005);
    }
    SUBCASE("an unknown suite is kept, and named by its hex")
    {
      const ParsedServerHello parsed = parse_server_hello(server_hello(0x0303, 0x0A0A));
      REQUIRE_FALSE(parsed.error);
      CHECK(cipher_suite_name(parsed.hello.cipher_suite) == "0x0A0A");
    }
    SUBCASE("cut at every byte: an error, never a read past the end")
    {
      const Bytes whole = server_hello(0x0303, 0xC02F, 16, Bytes{0xFF, 0x01, 0x00, 0x01, 0x00});
      for (std::size_t n = 0; n < whole.size(); ++n) {
        CAPTURE(n);
        Bytes cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n));
        CHECK(parse_server_hello(cut).error);
        if (n >= 4) { // the header says the message is complete: the body itself is cut
          cut[1] = 0;
          cut[2] = static_cast<unsigned char>((n - 4) >> 8);
          cut[3] = static_cast<unsigned char>(n - 4);
          const bool complete_without_extensions = n == 4 + 2 + 32 + 1 + 16 + 3;
          CHECK(static_cast<bool>(parse_server_hello(cut).error) != complete_without_extensions);
        }
      }
    }
    SUBCASE("over-long extensions, an extension past its block, trailing bytes")
    {
      Bytes overlong = server_hello(0x0303, 0xC02F, 0, Bytes{0xFF, 0x01, 0x00, 0x01, 0x00});
      overlong[4 + 2 + 32 + 1 + 3] = 0x40; // the block's length: 0x4005
      CHECK(parse_server_hello(overlong).error == FlightError::truncated_extensions);
      const Bytes past = server_hello(0x0303, 0xC02F, 0, Bytes{0xFF, 0x01, 0x00, 0x09, 0x00});
      CHECK(parse_server_hello(past).error == FlightError::truncated_extensions);
      const Bytes bad_versions = server_hello(0x0303, 0xC02F, 0, Bytes{0x00, 0x2B, 0x00, 0x01, 0x03});
      CHECK(parse_server_hello(bad_versions).error == FlightError::truncated_extensions);
      Bytes trailing = server_hello(0x0303, 0xC02F, 0, Bytes{});
      trailing.push_back(0);
      CHECK(parse_server_hello(trailing).error == FlightError::trailing_bytes);
    }
    SUBCASE("a session id over 32 bytes, another message")
    {
      CHECK(parse_server_hello(server_hello(0x0303, 0xC02F, 33)).error == FlightError::bad_session_id);
      CHECK(parse_server_hello(k_done).error == FlightError::not_server_hello);
      CHECK(parse_server_hello(Bytes{}).error == FlightError::not_server_hello);
    }
  }

  TEST_CASE("ServerFlight takes the chain from a whole flight, in pieces of any size")
  {
    const Bytes flight = handshake_record({server_hello(0x0301, 0x000A), certificate_message({k_leaf, k_ca}), k_done});
    for (const std::size_t piece : {0, 1, 2, 5, 7, 64, 1000}) {
      CAPTURE(piece);
      const ServerFlight result = feed_in_pieces(flight, piece);
      REQUIRE(result.status() == FlightStatus::certificate);
      REQUIRE(result.server_hello());
      CHECK(result.server_hello()->version == 0x0301);
      CHECK(cipher_suite_name(result.server_hello()->cipher_suite) == "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
      REQUIRE(result.chain().size() == 2);
      CHECK(result.chain()[0] == k_leaf);
      CHECK(result.chain()[1] == k_ca);
      CHECK_FALSE(result.error());
    }
    SUBCASE("each message in its own record, a warning alert and a HelloRequest before")
    {
      Bytes bytes = record(21, 0x0301, Bytes{1, 112}); // warning unrecognized_name
      const Bytes hello_request = handshake_record({Bytes{0, 0, 0, 0}});
      bytes.insert(bytes.end(), hello_request.begin(), hello_request.end());
      for (const Bytes& m : {server_hello(0x0300, 0x0005), certificate_message({k_leaf})}) {
        const Bytes r = handshake_record({m}, 0x0300);
        bytes.insert(bytes.end(), r.begin(), r.end());
      }
      const ServerFlight result = feed_in_pieces(bytes, 3);
      REQUIRE(result.status() == FlightStatus::certificate);
      CHECK(result.chain().size() == 1);
      REQUIRE(result.alert());
      CHECK(result.alert()->description == 112);
    }
    SUBCASE("bytes after the certificate are not taken")
    {
      ServerFlight result;
      result.feed(flight);
      CHECK(result.feed(Bytes{0x00, 0x01, 0x02}) == FlightStatus::certificate);
    }
  }

  TEST_CASE("ServerFlight failures")
  {
    SUBCASE("a fatal alert")
    {
      const ServerFlight result = feed_in_pieces(record(21, 0x0301, Bytes{2, 40}), 0);
      CHECK(result.status() == FlightStatus::failed);
      CHECK(result.error() == FlightError::alert);
      CHECK(result.describe() == "received TLS alert handshake_failure");
    }
    SUBCASE("close_notify ends it too")
    {
      CHECK(feed_in_pieces(record(21, 0x0301, Bytes{1, 0}), 0).error() == FlightError::alert);
    }
    SUBCASE("an anonymous suite: no certificate, and the suite is named")
    {
      const Bytes key_exchange{12, 0, 0, 2, 0, 0};
      const ServerFlight result = feed_in_pieces(handshake_record({server_hello(0x0303, 0x0034), key_exchange}), 0);
      CHECK(result.error() == FlightError::no_certificate);
      CHECK(result.describe().find("TLS_DH_anon_WITH_AES_128_CBC_SHA") != std::string::npos);
    }
    SUBCASE("an empty certificate list, a broken Certificate message")
    {
      CHECK(feed_in_pieces(handshake_record({server_hello(0x0303, 0x002F), certificate_message({})}), 0).error()
            == FlightError::no_certificate);
      Bytes broken{11, 0, 0, 6, 0, 0, 3, 0, 0, 9};
      const ServerFlight result = feed_in_pieces(handshake_record({server_hello(0x0303, 0x002F), broken}), 0);
      CHECK(result.error() == FlightError::bad_certificate_message);
      CHECK(result.describe().find("Certificate message") != std::string::npos);
    }
    SUBCASE("TLS 1.3 chosen, or a version that is no TLS")
    {
      const Bytes tls13 = server_hello(0x0303, 0x1301, 0, Bytes{0x00, 0x2B, 0x00, 0x02, 0x03, 0x04});
      const ServerFlight result = feed_in_pieces(handshake_record({tls13}), 0);
      CHECK(result.error() == FlightError::unsupported_version);
      CHECK(result.describe().find("TLSv1.3") != std::string::npos);
      CHECK(feed_in_pieces(handshake_record({server_hello(0x0200, 0x000A)}), 0).error()
            == FlightError::unsupported_version);
    }
    SUBCASE("plain HTTP")
    {
      const std::string http = "HTTP/1.1 400 Bad Request\r\n\r\n";
      const ServerFlight result = feed_in_pieces(Bytes(http.begin(), http.end()), 2);
      CHECK(result.error() == FlightError::records);
      CHECK(result.record_error() == TlsError::not_tls);
      CHECK(result.describe() == "plain HTTP answer, not TLS");
    }
    SUBCASE("change_cipher_spec before any certificate")
    {
      Bytes bytes = handshake_record({server_hello(0x0303, 0x002F, 32)});
      const Bytes ccs = record(20, 0x0303, Bytes{1});
      bytes.insert(bytes.end(), ccs.begin(), ccs.end());
      CHECK(feed_in_pieces(bytes, 0).error() == FlightError::unexpected_record);
    }
    SUBCASE("a truncated flight is simply incomplete")
    {
      const Bytes flight = handshake_record({server_hello(0x0301, 0x000A), certificate_message({k_leaf})});
      for (std::size_t n = 0; n < flight.size(); n += 13) {
        Bytes cut(flight.begin(), flight.begin() + static_cast<std::ptrdiff_t>(n));
        CHECK(feed_in_pieces(cut, 0).status() == FlightStatus::need_more);
      }
    }
    SUBCASE("endless warning alerts stop at the cap")
    {
      const TlsLimits limits{512, 4};
      Bytes bytes;
      while (bytes.size() < 512 + 4 * k_max_record_length + 64) {
        const Bytes warning = record(21, 0x0301, Bytes{1, 112});
        bytes.insert(bytes.end(), warning.begin(), warning.end());
      }
      const ServerFlight result = feed_in_pieces(bytes, 4096, limits);
      CHECK(result.error() == FlightError::flight_too_long);
    }
  }

  TEST_CASE("plaintext_chain_suite: the flights whose plaintext chain stands for OpenSSL's reading")
  {
    const auto suite_of = [](const Bytes& hello, const std::vector<Bytes>& chain) {
      return plaintext_chain_suite(feed_in_pieces(handshake_record({hello, certificate_message(chain), k_done}), 7));
    };
    for (const std::uint16_t version : {0x0301, 0x0302, 0x0303}) {
      CAPTURE(version);
      CHECK(suite_of(server_hello(static_cast<std::uint16_t>(version), 0xC02F), {k_leaf, k_ca}) == 0xC02F);
    }
    SUBCASE("SSL 3.0, which OpenSSL's hellos do not offer: left to OpenSSL")
    {
      CHECK_FALSE(suite_of(server_hello(0x0300, 0x000A), {k_leaf}));
    }
    SUBCASE("a supported_versions extension in a TLS 1.2 ServerHello: left to OpenSSL")
    {
      const Bytes extension{0x00, 0x2B, 0x00, 0x02, 0x03, 0x03};
      CHECK_FALSE(suite_of(server_hello(0x0303, 0xC02F, 0, extension), {k_leaf}));
    }
    SUBCASE("no certificate yet, or a malformed Certificate message: left to OpenSSL")
    {
      CHECK_FALSE(plaintext_chain_suite(feed_in_pieces(handshake_record({server_hello(0x0303, 0xC02F)}), 0)));
      Bytes broken = certificate_message({k_leaf, k_ca});
      broken.resize(broken.size() - 5); // the second certificate runs past the message
      broken[1] = 0;
      broken[2] = static_cast<unsigned char>((broken.size() - 4) >> 8);
      broken[3] = static_cast<unsigned char>((broken.size() - 4) & 0xFF);
      const ServerFlight flight = feed_in_pieces(handshake_record({server_hello(0x0303, 0xC02F), broken, k_done}), 0);
      CHECK_FALSE(plaintext_chain_suite(flight));
    }
  }
}
