// libFuzzer target: the TLS record and Certificate message parsers (probes/tls_records) on
// arbitrary bytes, read both ways a device's bytes reach them.
//
//   input (copied into a buffer of exactly its size: ASan sees any read past either end)
//     ├─ parse_certificate_message (TLS 1.2 and 1.3 layouts; default caps and tight ones)
//     ├─ TlsReader as a record stream, fed whole, in 7-byte pieces and byte by byte
//     │    └─ each Certificate message it reassembles ──> parse_certificate_message
//     └─ CertificateRequestWatch on the same stream, fed whole, in 7-byte pieces and byte by byte
//
// Beyond "no crash, no sanitizer report", it checks what tls_records.hpp promises: every
// certificate is a non-empty span inside the message, never more certificates than the cap, a
// success means every byte was accounted for, a tight cap never succeeds where the default fails,
// the reader keeps no more than a record and a capped message, and how the bytes are cut into
// pieces changes none of the events; the watch answers the same whatever the pieces, and agrees
// with the messages the reader reassembles from the same bytes.
//
// Seeds: Certificate messages built from real certificates (TLS 1.2 and 1.3) and record streams
// (a server's flight over several records, with and without a CertificateRequest, an alert, plain
// HTTP, an SSLv2 answer).

#include "probes/tls_records.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace {

using namespace fleetcert;

constexpr TlsLimits k_tight_limits{512, 3};

// A broken promise is a finding: say which, and abort so that libFuzzer keeps the input.
void check(bool condition, const char* promise)
{
  if (!condition) {
    std::fprintf(stderr, "fuzz_tls_records: broken promise: %s\n", promise);
    std::abort();
  }
}

bool inside(ByteSpan part, ByteSpan whole)
{
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

bool same_spans(const std::vector<ByteSpan>& a, const std::vector<ByteSpan>& b)
{
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](ByteSpan x, ByteSpan y) { return x.data() == y.data() && x.size() == y.size(); });
}

std::uint32_t body_length(ByteSpan message)
{
  return read_handshake_header(message.first<k_handshake_header_size>()).length;
}

CertificateList check_certificates(ByteSpan message, CertificateFormat format, const TlsLimits& limits)
{
  const CertificateList list = parse_certificate_message(message, format, limits);
  check(list.certificates.size() <= limits.max_certificates, "never more certificates than the cap");
  for (const ByteSpan certificate : list.certificates) {
    check(!certificate.empty(), "no certificate is empty");
    check(inside(certificate, message), "every certificate lies inside the message");
  }
  if (!list.error) {
    check(message.size() >= k_handshake_header_size && message[0] == 11, "a success is a Certificate message");
    check(body_length(message) + k_handshake_header_size == message.size(), "a success is exactly one message");
    check(body_length(message) <= limits.max_message_length, "a success is within the length cap");
    // Every byte of the body is a length or what it counts: the certificates plus their framing.
    std::size_t framed = 3;
    if (format == CertificateFormat::tls13) {
      framed += 1 + message[k_handshake_header_size];
    }
    for (const ByteSpan certificate : list.certificates) {
      framed += 3 + certificate.size() + (format == CertificateFormat::tls13 ? 2 : 0);
    }
    check(framed <= body_length(message), "the certificates and their framing fit the body");
    check(format == CertificateFormat::tls13 || framed == body_length(message),
          "a TLS 1.2 success accounts for every byte of the body");
  }
  return list;
}

void check_message(ByteSpan message)
{
  for (const CertificateFormat format : {CertificateFormat::tls12, CertificateFormat::tls13}) {
    const CertificateList roomy = check_certificates(message, format, TlsLimits{});
    const CertificateList tight = check_certificates(message, format, k_tight_limits);
    if (!tight.error) {
      check(!roomy.error && same_spans(roomy.certificates, tight.certificates), "what passes a tight cap passes the default");
    }
    if (!roomy.error && roomy.certificates.size() <= k_tight_limits.max_certificates
        && body_length(message) <= k_tight_limits.max_message_length) {
      check(!tight.error, "a tight cap refuses only what is over it");
    }
  }
}

// One reader event with its bytes copied (the reader's spans live until its next read).
struct Seen
{
  TlsEventKind kind;
  std::uint8_t content_type;
  std::vector<unsigned char> bytes;
  TlsError error;

  bool operator==(const Seen&) const = default;
};

// Feeds `input` to a reader in pieces of `piece` bytes; every event but need_more, in order.
std::vector<Seen> read_records(ByteSpan input, std::size_t piece, const TlsLimits& limits)
{
  TlsReader reader(limits);
  std::vector<Seen> seen;
  for (std::size_t at = 0; at < input.size(); at += piece) {
    ByteSpan rest = input.subspan(at, std::min(piece, input.size() - at));
    while (true) {
      const TlsEvent event = reader.read(rest);
      check(event.consumed <= rest.size(), "a read consumes no more than it was given");
      rest = rest.subspan(event.consumed);
      if (event.kind == TlsEventKind::need_more) {
        check(rest.empty(), "need_more only once the input is used up");
        break;
      }
      if (event.kind == TlsEventKind::record) {
        check(event.bytes.size() == event.header.length && event.bytes.size() <= k_max_record_length,
              "a record is its whole fragment, within 2^14+2048");
      }
      if (event.kind == TlsEventKind::handshake_message) {
        check(event.bytes.size() >= k_handshake_header_size
                  && body_length(event.bytes) + k_handshake_header_size == event.bytes.size()
                  && body_length(event.bytes) <= limits.max_message_length,
              "a handshake message is whole and within the cap");
        if (event.bytes[0] == static_cast<unsigned char>(HandshakeType::certificate)) {
          check_message(event.bytes);
        }
      }
      if (event.kind == TlsEventKind::error) {
        check(event.error != TlsError::not_tls || event.bytes.size() == k_record_header_size,
              "not_tls comes with the five bytes");
      }
      seen.push_back({event.kind, event.header.content_type, std::vector<unsigned char>(event.bytes.begin(), event.bytes.end()),
                      event.kind == TlsEventKind::error ? event.error : TlsError::not_tls});
      if (event.kind == TlsEventKind::error) {
        check(reader.read(rest).kind == TlsEventKind::error, "an error is final");
        return seen;
      }
    }
  }
  return seen;
}

// The watch's answer after `input` was fed in pieces of `piece` bytes.
std::pair<std::optional<bool>, bool> watch_records(ByteSpan input, std::size_t piece)
{
  CertificateRequestWatch watch;
  for (std::size_t at = 0; at < input.size(); at += piece) {
    watch.feed(input.subspan(at, std::min(piece, input.size() - at)));
  }
  check(!watch.requested() || watch.done(), "a decision is final");
  return {watch.requested(), watch.done()};
}

// What the reader's messages say: the first CertificateRequest or ServerHelloDone before any other
// record, or nullopt. `mid_message`: it stopped inside a message; `failed`: it refused the bytes.
struct ReaderVerdict
{
  std::optional<bool> requested;
  bool mid_message = false;
  bool failed = false;
};

ReaderVerdict reader_verdict(ByteSpan input)
{
  TlsReader reader;
  ReaderVerdict verdict;
  while (true) {
    const TlsEvent event = reader.read(input);
    input = input.subspan(event.consumed);
    switch (event.kind) {
    case TlsEventKind::need_more:
      verdict.mid_message = reader.mid_message();
      return verdict;
    case TlsEventKind::error:
      verdict.failed = true;
      return verdict;
    case TlsEventKind::record:
      if (event.header.content_type != static_cast<std::uint8_t>(ContentType::handshake)) {
        verdict.mid_message = reader.mid_message(); // a message cut by this record
        return verdict; // the plaintext handshake is over: undecided
      }
      break;
    case TlsEventKind::handshake_message:
      if (event.bytes[0] == static_cast<unsigned char>(HandshakeType::certificate_request)) {
        verdict.requested = true;
        return verdict;
      }
      if (event.bytes[0] == static_cast<unsigned char>(HandshakeType::server_hello_done)) {
        verdict.requested = false;
        return verdict;
      }
      break;
    }
  }
}

void check_watch(ByteSpan input)
{
  const auto whole = watch_records(input, std::max<std::size_t>(input.size(), 1));
  check(watch_records(input, 7) == whole, "the watch answers the same for 7-byte pieces");
  check(watch_records(input, 1) == whole, "the watch answers the same for single bytes");
  const ReaderVerdict reader = reader_verdict(input);
  if (reader.failed) {
    return; // the reader refuses what the watch may skip (a message over its cap)
  }
  if (reader.requested) {
    check(whole.first == reader.requested, "the watch agrees with the reader's messages");
  } else if (whole.first) {
    // The watch decides at the message's header; the reader yields the message once whole.
    check(reader.mid_message, "the watch decides only on a message the reader has begun");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  // Exactly `size` bytes on the heap, so that ASan reports a read one byte past either end.
  const std::unique_ptr<unsigned char[]> copy(new unsigned char[size]);
  std::copy_n(data, size, copy.get());
  const ByteSpan input(copy.get(), size);

  check_message(input);

  for (const TlsLimits& limits : {TlsLimits{}, k_tight_limits}) {
    const std::vector<Seen> whole = read_records(input, std::max<std::size_t>(size, 1), limits);
    check(read_records(input, 7, limits) == whole, "7-byte pieces give the same events as the whole");
    check(read_records(input, 1, limits) == whole, "single bytes give the same events as the whole");
  }
  check_watch(input);
  return 0;
}
