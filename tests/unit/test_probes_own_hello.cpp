// The probe's own replay of OpenSSL's ClientHello (probes/own_hello): the template captured from the
// probe's modern context, the filled hello, and OwnTls13Flight's refusals (everything it does not
// read goes back to OpenSSL). Decrypting real TLS 1.3 servers' flights is tested with real servers
// in test_probes_tls_probe.cpp.

#include "probes/own_hello.hpp"
#include "probes/tls_context.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

using namespace fleetcert;

namespace {

using Bytes = std::vector<unsigned char>;

Bytes handshake(unsigned char type, const Bytes& body)
{
  Bytes out{type, static_cast<unsigned char>(body.size() >> 16), static_cast<unsigned char>(body.size() >> 8),
            static_cast<unsigned char>(body.size())};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes record(unsigned char type, const Bytes& fragment)
{
  Bytes out{type, 3, 3, static_cast<unsigned char>(fragment.size() >> 8), static_cast<unsigned char>(fragment.size())};
  out.insert(out.end(), fragment.begin(), fragment.end());
  return out;
}

Bytes extension(std::uint16_t type, const Bytes& data)
{
  Bytes out{static_cast<unsigned char>(type >> 8), static_cast<unsigned char>(type),
            static_cast<unsigned char>(data.size() >> 8), static_cast<unsigned char>(data.size())};
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

// A TLS 1.3 ServerHello record: `random`, `suite`, supported_versions 1.3 and `key_share`.
Bytes server_hello(unsigned char random_byte, std::uint16_t suite, const Bytes& key_share)
{
  Bytes body{3, 3};
  body.insert(body.end(), 32, random_byte);
  body.push_back(32);
  body.insert(body.end(), 32, 0x11);
  body.insert(body.end(), {static_cast<unsigned char>(suite >> 8), static_cast<unsigned char>(suite), 0});
  Bytes extensions = extension(43, {3, 4});
  const Bytes share = extension(51, key_share);
  extensions.insert(extensions.end(), share.begin(), share.end());
  body.insert(body.end(), {static_cast<unsigned char>(extensions.size() >> 8), static_cast<unsigned char>(extensions.size())});
  body.insert(body.end(), extensions.begin(), extensions.end());
  return record(22, handshake(2, body));
}

Bytes x25519_share()
{
  Bytes share{0, 29, 0, 32};
  for (unsigned char i = 1; i <= 32; ++i) {
    share.push_back(i);
  }
  return share;
}

const ProbeContexts& contexts()
{
  static const ProbeContexts instance;
  return instance;
}

FlightStatus feed(OwnTls13Flight& flight, const Bytes& bytes)
{
  return flight.feed(ByteSpan(bytes));
}

} // namespace

TEST_SUITE("probes.own_hello")
{
  TEST_CASE("the modern context's hello is a template: session id, an X25519 share, every suite named")
  {
    REQUIRE(contexts().modern_hello.has_value());
    const HelloTemplate& hello = *contexts().modern_hello;
    CHECK(hello.record.size() > 200);
    CHECK(hello.suite_name(0x1301) != nullptr);
    CHECK(*hello.suite_name(0x1302) == "TLS_AES_256_GCM_SHA384");
    CHECK(*hello.suite_name(0xC02F) == "ECDHE-RSA-AES128-GCM-SHA256");
    CHECK(hello.suite_name(0x000A) == nullptr); // 3DES: not in OpenSSL 3.0's default provider

    const auto share = thread_share();
    REQUIRE(share != nullptr);
    const Bytes first = fill_hello(hello, "", *share);
    const Bytes second = fill_hello(hello, "", *share);
    CHECK(first.size() == hello.record.size());
    CHECK(first != second); // a fresh random and session id each time
    CHECK(Bytes(first.begin() + static_cast<long>(hello.key_share_offset),
                first.begin() + static_cast<long>(hello.key_share_offset) + 32)
          == Bytes(share->public_key.begin(), share->public_key.end()));

    SUBCASE("with SNI: server_name first, every length grown by it, still one ClientHello")
    {
      const std::string name = "phone-17.voice.example.net";
      const Bytes with_sni = fill_hello(hello, name, *share);
      CHECK(with_sni.size() == first.size() + 9 + name.size());
      TlsReader reader;
      const TlsEvent event = reader.read(ByteSpan(with_sni));
      REQUIRE(event.kind == TlsEventKind::handshake_message);
      CHECK(event.consumed == with_sni.size());
      const std::string text(with_sni.begin(), with_sni.end());
      CHECK(text.find(name) == hello.extensions_offset + 2 + 9);
      CHECK(fill_hello(hello, std::string(256, 'a'), *share).size() == first.size()); // too long: none
    }
  }

  TEST_CASE("OwnTls13Flight reads only what it can decrypt, and everything else fails with a reason")
  {
    const auto share = thread_share();
    REQUIRE(share != nullptr);
    const Bytes client_hello = fill_hello(*contexts().modern_hello, "", *share);
    const auto check_fails = [&](const Bytes& answer, const std::string& reason) {
      CAPTURE(reason);
      OwnTls13Flight flight(client_hello, share);
      CHECK(feed(flight, answer) == FlightStatus::failed);
      CHECK(flight.failure().find(reason) != std::string::npos);
      CHECK(flight.chain().empty());
    };
    SUBCASE("a ServerHello with an X25519 share wants more; a record that does not decrypt fails")
    {
      OwnTls13Flight flight(client_hello, share);
      CHECK(feed(flight, server_hello(0x42, 0x1301, x25519_share())) == FlightStatus::need_more);
      CHECK(feed(flight, record(20, {1})) == FlightStatus::need_more); // change_cipher_spec: skipped
      CHECK(feed(flight, record(23, Bytes(40, 0xAA))) == FlightStatus::failed);
      CHECK(flight.failure() == "a record that does not decrypt");
      CHECK(flight.cipher_suite() == 0x1301);
    }
    const Bytes retry_random{0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
                             0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};
    Bytes retry = server_hello(0, 0x1301, {0, 23});
    std::copy(retry_random.begin(), retry_random.end(), retry.begin() + 5 + 4 + 2);
    check_fails(retry, "HelloRetryRequest");
    Bytes p256{0, 23, 0, 65, 4};
    p256.insert(p256.end(), 64, 1);
    check_fails(server_hello(0x42, 0x1301, p256), "no X25519 key share");
    check_fails(server_hello(0x42, 0x1304, x25519_share()), "suite not handled"); // CCM
    check_fails(record(21, {2, 40}), "a record before the ServerHello");
    Bytes small_order{0, 29, 0, 32};
    small_order.insert(small_order.end(), 32, 0); // the all-zero point: no shared secret
    check_fails(server_hello(0x42, 0x1301, small_order), "X25519 failed");

    SUBCASE("a device that streams change_cipher_spec records without end is cut at the flight's cap")
    {
      OwnTls13Flight flight(client_hello, share, TlsLimits{1024, 4});
      FlightStatus status = feed(flight, server_hello(0x42, 0x1301, x25519_share()));
      for (int i = 0; i < 100000 && status == FlightStatus::need_more; ++i) {
        status = feed(flight, record(20, {1}));
      }
      CHECK(status == FlightStatus::failed);
      CHECK(flight.failure() == "flight too long");
    }
  }
}
