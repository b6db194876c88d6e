// libFuzzer target: the probe's own reading of a device's answer to OpenSSL's ClientHello as the
// probe replays it (probes/own_hello): OwnTls13Flight on arbitrary server byte streams.
//
//   input (copied into a buffer of exactly its size: ASan sees any read past either end)
//     ├─ OwnTls13Flight fed whole, in 7-byte pieces and byte by byte (default caps and tight ones):
//     │  the ServerHello (TLS 1.3, HelloRetryRequest, key_share), X25519 with whatever key the
//     │  device sent, the records after it (change_cipher_spec skipped, application data to decrypt)
//     └─ fill_hello with the first bytes as the server name, read back by TlsReader
//
// Random bytes never carry a valid AEAD tag, so what is fuzzed is everything up to and around the
// decryption: it must fail cleanly, with a reason. Beyond "no crash, no sanitizer report": how the
// bytes are cut changes nothing (status, failure, suite); a final status takes no more bytes; a
// certificate status has a chain, within the cap; a failure says why.
//
// Seeds: a TLS 1.3 ServerHello with an X25519 share then change_cipher_spec and an application
// data record, a HelloRetryRequest, a ServerHello with another group, an alert, plain bytes.

#include "probes/own_hello.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <vector>

namespace {

using namespace fleetcert;

constexpr TlsLimits k_tight_limits{512, 3};

void check(bool condition, const char* promise)
{
  if (!condition) {
    std::fprintf(stderr, "fuzz_own_hello: broken promise: %s\n", promise);
    std::abort();
  }
}

// OpenSSL's modern ClientHello template, as the probe captures it (an SSL_CTX like the probe's is
// not needed: any client context gives a hello with an X25519 share).
const HelloTemplate& hello_template()
{
  static const HelloTemplate hello = [] {
    std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
    std::optional<HelloTemplate> captured = capture_hello_template(ctx.get());
    check(captured.has_value(), "OpenSSL's ClientHello can be captured as a template");
    return *captured;
  }();
  return hello;
}

struct Outcome
{
  FlightStatus status;
  std::string failure;
  std::uint16_t suite;
  std::size_t chain;
};

Outcome run(const std::vector<unsigned char>& client_hello, const std::shared_ptr<const X25519Share>& share,
            const unsigned char* data, std::size_t size, std::size_t piece, const TlsLimits& limits)
{
  OwnTls13Flight flight(client_hello, share, limits);
  std::size_t at = 0;
  while (at < size && flight.status() == FlightStatus::need_more) {
    const std::size_t n = std::min(piece, size - at);
    flight.feed(ByteSpan(data + at, n));
    at += n;
  }
  if (flight.status() != FlightStatus::need_more) {
    const FlightStatus final_status = flight.status();
    const unsigned char more[] = {0x17, 0x03, 0x03, 0x00, 0x01, 0x00};
    check(flight.feed(ByteSpan(more, sizeof more)) == final_status, "a final status takes no more bytes");
  }
  if (flight.status() == FlightStatus::certificate) {
    check(!flight.chain().empty() && flight.chain().size() <= limits.max_certificates, "a chain within the cap");
  }
  if (flight.status() == FlightStatus::failed) {
    check(!flight.failure().empty(), "a failure says why");
  }
  return Outcome{flight.status(), flight.failure(), flight.cipher_suite(), flight.chain().size()};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  const std::unique_ptr<unsigned char[]> copy(new unsigned char[size == 0 ? 1 : size]);
  std::copy_n(data, size, copy.get());
  static const std::shared_ptr<const X25519Share> share = thread_share();
  check(share != nullptr, "an X25519 share");
  const std::vector<unsigned char> client_hello = fill_hello(hello_template(), "", *share);

  for (const TlsLimits& limits : {TlsLimits{}, k_tight_limits}) {
    const Outcome whole = run(client_hello, share, copy.get(), size, size == 0 ? 1 : size, limits);
    for (const std::size_t piece : {std::size_t{7}, std::size_t{1}}) {
      const Outcome pieces = run(client_hello, share, copy.get(), size, piece, limits);
      check(pieces.status == whole.status && pieces.failure == whole.failure && pieces.suite == whole.suite
                && pieces.chain == whole.chain,
            "how the bytes are cut changes nothing");
    }
  }

  // The hello with the input's first bytes as server name: one handshake record whose lengths agree.
  const std::string_view name(reinterpret_cast<const char*>(copy.get()), std::min<std::size_t>(size, 300));
  const std::vector<unsigned char> hello = fill_hello(hello_template(), name, *share);
  TlsReader reader;
  const TlsEvent event = reader.read(ByteSpan(hello));
  check(event.kind == TlsEventKind::handshake_message && event.consumed == hello.size(),
        "the filled hello is one handshake record holding one ClientHello");
  return 0;
}
