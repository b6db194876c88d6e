// libFuzzer target: certificate decoding, assessment and the vendor audit on arbitrary DER, then
// the record's JSON and CSV writers: everything that happens to the bytes a device sent.
//
//   input ──split_chain──> Observation.chain (1 to 3 DER blobs, leaf first)
//         ──make_record (built-in profiles, no bundles, empty registry, fixed "now")──> Record
//         ──> record_to_json ──> dump_json ──> parses back        ──> csv_row
//   each certificate: decode_certificate_plain, where it answers, equals decode_certificate
//
// Seeds are DER files, a chain is DER files concatenated (cat leaf.der ca.der): the split follows
// each DER header, so a mutated length moves the boundary between certificates.

#include "reports/sinks/csv_report.hpp"
#include "reports/encoding/record_json.hpp"
#include "scanner/assessment/audit.hpp"
#include "scanner/assessment/record.hpp"
#include "scanner/certificate/certificate.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace {

using namespace fleetcert;

constexpr std::size_t k_max_chain = 3;
constexpr std::int64_t k_now = 1795435200; // 2026-11-23T12:00:00Z: the audit is reproducible

// A broken promise is a finding: say which, and abort so that libFuzzer keeps the input.
void check(bool condition, const char* promise)
{
  if (!condition) {
    std::fprintf(stderr, "fuzz_certificate: broken promise: %s\n", promise);
    std::abort();
  }
}

// Bytes taken by the DER element at the start of `input` (header plus content, definite lengths
// of up to 4 bytes), or nullopt when its header does not say.
std::optional<std::size_t> der_element_size(std::span<const std::uint8_t> input)
{
  if (input.size() < 2) {
    return std::nullopt;
  }
  const std::uint8_t first = input[1];
  if (first < 0x80) {
    return 2 + std::size_t{first};
  }
  const std::size_t length_bytes = first & 0x7f;
  if (length_bytes == 0 || length_bytes > 4 || input.size() < 2 + length_bytes) {
    return std::nullopt;
  }
  std::size_t length = 0;
  for (std::size_t i = 0; i < length_bytes; ++i) {
    length = (length << 8) | input[2 + i];
  }
  return 2 + length_bytes + length;
}

// The chain as a device would send it: up to two elements by their DER headers, then whatever is
// left as the last certificate (the whole input when the first header does not fit).
std::vector<Der> split_chain(std::span<const std::uint8_t> input)
{
  std::vector<Der> chain;
  while (chain.size() + 1 < k_max_chain) {
    const std::optional<std::size_t> element = der_element_size(input);
    if (!element || *element >= input.size()) {
      break;
    }
    chain.emplace_back(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(*element));
    input = input.subspan(*element);
  }
  chain.emplace_back(input.begin(), input.end());
  return chain;
}

// What the audit knows: the built-in profiles and nothing else. Built once, read by every input.
struct Audit
{
  VendorProfiles profiles = VendorProfiles::builtin();
  TrustStores trust;
  OuiRegistry registry;
  AuditContext context{&profiles, &trust, nullptr, &registry};
};

const Audit& audit()
{
  static const Audit instance;
  return instance;
}

bool same_facts(const CertificateInfo& a, const CertificateInfo& b)
{
  return a.parsed == b.parsed && a.parse_error == b.parse_error && a.subject == b.subject && a.issuer == b.issuer
         && a.cn == b.cn && a.has_cn == b.has_cn && a.san == b.san && a.san_truncated == b.san_truncated
         && a.serial == b.serial && a.not_before == b.not_before && a.not_after == b.not_after && a.sha256 == b.sha256
         && a.sha1 == b.sha1 && a.md5 == b.md5 && a.signature.algorithm == b.signature.algorithm
         && a.signature.label == b.signature.label && a.signature.key == b.signature.key
         && a.signature.hash == b.signature.hash && a.key.type == b.key.type && a.key.bits == b.key.bits
         && a.key.curve == b.key.curve && a.key.spki_sha256 == b.key.spki_sha256 && a.self_signed == b.self_signed;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  Observation observation;
  observation.endpoint = Endpoint{"192.0.2.7", 5061, "", ""};
  observation.chain = split_chain(std::span<const std::uint8_t>(data, size));
  observation.tls_version = "TLSv1.2";
  observation.cipher = "ECDHE-RSA-AES128-GCM-SHA256";
  observation.connect_ms = 1.0;
  observation.handshake_ms = 2.0;
  observation.handshake_complete = true;
  const std::size_t received = observation.chain.size();

  AssessmentSettings settings;
  settings.now = k_now;
  settings.audit = &audit().context;
  const Record record = make_record(std::move(observation), settings);
  check(record.chain.size() == received, "every certificate received is in the record");
  for (const CertificateInfo& certificate : record.chain) {
    check(certificate.sha256.size() == 64 && certificate.sha1.size() == 40 && certificate.md5.size() == 32,
          "fingerprints are always set");
  }

  // The record decodes plain certificates part by part (decode_certificate_plain); wherever that
  // answers, it must say what OpenSSL's whole parse says.
  for (const Der& der : split_chain(std::span<const std::uint8_t>(data, size))) {
    if (const std::optional<CertificateInfo> plain = decode_certificate_plain(der)) {
      check(same_facts(*plain, decode_certificate(der)), "the part-by-part decoding equals OpenSSL's whole parse");
    }
  }

  const std::string json_text = dump_json(record_to_json(record));
  check(nlohmann::json::accept(json_text), "the record's JSON is valid JSON (and UTF-8)");
  check(csv_row(record).size() == csv_columns().size(), "a CSV row has every column");
  return 0;
}
