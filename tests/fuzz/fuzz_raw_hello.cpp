// libFuzzer target: the reading of a device's answer to the raw ClientHello (probes/raw_hello):
// parse_server_hello and ServerFlight on arbitrary server byte streams, and the hello builder on
// arbitrary server names.
//
//   input (copied into a buffer of exactly its size: ASan sees any read past either end)
//     ├─ parse_server_hello (the input as one handshake message)
//     ├─ ServerFlight, fed whole, in 7-byte pieces and byte by byte (default caps and tight ones)
//     ├─ the TLS probe's plaintext stage: the input as the device's answer to OpenSSL's hello, read
//     │  in pieces of the probe's read size, the bytes kept for OpenSSL counted, plaintext_chain_suite
//     └─ build_client_hello (TLS and SSL 3.0) with the first bytes as the server name, read back by TlsReader
//
// Beyond "no crash, no sanitizer report", it checks what raw_hello.hpp promises: how the bytes are
// cut into pieces changes nothing (status, error, ServerHello, chain); a chain is never empty
// when the status is certificate, never has more certificates than the cap, no certificate is
// empty or larger than the input; a final status takes no more bytes; a failure has an error and a
// description; the hello is one handshake record whose lengths agree; the probe's plaintext stage
// decides once (a chain or a hand-over to OpenSSL), never keeps more than the flight's cap plus one
// read while undecided, and takes a chain only from TLS 1.0-1.2 with every certificate whole.
//
// Seeds (written once by a script from the DER of corpus/certificate): flights choosing 3DES under TLS 1.0, RC4 under
// SSL 3.0, a chain of two over several records with a warning alert first, an anonymous suite, a
// TLS 1.3 ServerHello, a fatal alert, plain HTTP, an unknown suite, truncated and over-long ones).

#include "probes/cipher_suites.hpp"
#include "probes/raw_hello.hpp"

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

// A broken promise is a finding: say which, and abort so that libFuzzer keeps the input.
void check(bool condition, const char* promise)
{
  if (!condition) {
    std::fprintf(stderr, "fuzz_raw_hello: broken promise: %s\n", promise);
    std::abort();
  }
}

ServerFlight feed(ByteSpan input, std::size_t piece, TlsLimits limits)
{
  ServerFlight flight(limits);
  if (piece == 0) {
    flight.feed(input);
    return flight;
  }
  for (std::size_t at = 0; at < input.size(); at += piece) {
    flight.feed(input.subspan(at, std::min(piece, input.size() - at)));
  }
  return flight;
}

bool same(const ServerFlight& a, const ServerFlight& b)
{
  const bool hello = a.server_hello().has_value() == b.server_hello().has_value()
                     && (!a.server_hello()
                         || (a.server_hello()->version == b.server_hello()->version
                             && a.server_hello()->cipher_suite == b.server_hello()->cipher_suite));
  return a.status() == b.status() && a.error() == b.error() && a.record_error() == b.record_error()
         && a.chain() == b.chain() && a.chain_error() == b.chain_error() && hello;
}

void check_flight(ByteSpan input, TlsLimits limits)
{
  const ServerFlight whole = feed(input, 0, limits);
  check(same(whole, feed(input, 7, limits)), "7-byte pieces read like the whole input");
  check(same(whole, feed(input, 1, limits)), "single bytes read like the whole input");
  check(whole.chain().size() <= limits.max_certificates, "no more certificates than the cap");
  for (const auto& der : whole.chain()) {
    check(!der.empty() && der.size() <= input.size(), "every certificate non-empty and inside the input");
  }
  switch (whole.status()) {
  case FlightStatus::certificate:
    check(!whole.chain().empty() && whole.server_hello().has_value() && !whole.error(),
          "a certificate status has a ServerHello, a chain and no error");
    break;
  case FlightStatus::failed:
    check(whole.error().has_value() && !whole.describe().empty(), "a failure has an error and words for it");
    break;
  case FlightStatus::need_more: check(!whole.error(), "an incomplete flight has no error"); break;
  }
  if (whole.server_hello()) {
    check(!cipher_suite_name(whole.server_hello()->cipher_suite).empty(), "every suite has a name");
  }
  if (whole.status() != FlightStatus::need_more) {
    ServerFlight again = feed(input, 0, limits);
    const unsigned char more[] = {22, 3, 1, 0, 1, 14};
    check(again.feed(more) == whole.status() && same(again, whole), "a final status takes no more bytes");
  }
}

// The TLS probe's plaintext stage (probes/tls_probe, certificate-only mode): reads of at most
// `read_size` bytes go to a ServerFlight and are kept for OpenSSL until the flight decides.
void check_probe_stage(ByteSpan input, std::size_t read_size, TlsLimits limits)
{
  const std::size_t flight_cap = limits.max_message_length + 4 * k_max_record_length;
  ServerFlight flight(limits);
  std::size_t held = 0;
  int decisions = 0;
  for (std::size_t at = 0; at < input.size() && decisions == 0; at += read_size) {
    const ByteSpan read = input.subspan(at, std::min(read_size, input.size() - at));
    held += read.size();
    flight.feed(read);
    check(held <= flight_cap + read_size, "the bytes kept for OpenSSL stay under the flight's cap plus one read");
    if (flight.status() != FlightStatus::need_more) {
      ++decisions;
    }
  }
  check(decisions <= 1, "one decision per connection");
  if (const std::optional<std::uint16_t> suite = plaintext_chain_suite(flight)) {
    check(flight.status() == FlightStatus::certificate && !flight.chain().empty()
              && flight.chain().size() <= limits.max_certificates,
          "a plaintext chain is a non-empty capped chain");
    const ServerHello& hello = *flight.server_hello();
    check(hello.version >= 0x0301 && hello.version <= 0x0303 && !hello.supported_version && hello.compression == 0
              && hello.cipher_suite == *suite,
          "a plaintext chain comes from TLS 1.0-1.2 without compression, with the suite the ServerHello named");
  }
}

void check_hello(RawHelloVersion version, std::string_view sni)
{
  const std::vector<unsigned char> hello = build_client_hello(version, sni, HelloRandom{});
  TlsReader reader;
  const TlsEvent event = reader.read(hello);
  check(event.kind == TlsEventKind::handshake_message && event.consumed == hello.size()
            && event.header.length + k_record_header_size == hello.size(),
        "the hello is one handshake record holding one message");
  check(event.bytes[0] == 1, "the message is a ClientHello");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  const auto buffer = std::make_unique<unsigned char[]>(size); // exactly `size`: ASan sees overreads
  std::copy_n(data, size, buffer.get());
  const ByteSpan input(buffer.get(), size);

  const ParsedServerHello parsed = parse_server_hello(input);
  if (!parsed.error) {
    check(size >= 4 + 2 + 32 + 1 + 3, "a parsed ServerHello holds its fixed fields");
  }
  check_flight(input, {});
  check_flight(input, k_tight_limits);
  check_probe_stage(input, 8 * 1024, {});
  check_probe_stage(input, 5, k_tight_limits);
  const std::string_view sni(reinterpret_cast<const char*>(buffer.get()), std::min<std::size_t>(size, 300));
  check_hello(RawHelloVersion::tls, sni);
  check_hello(RawHelloVersion::sslv3, sni);
  return 0;
}
