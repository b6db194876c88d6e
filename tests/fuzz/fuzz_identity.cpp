// libFuzzer target: a device's answer to the identity request (scanner/assessment/identity) on
// arbitrary bytes, parsed and matched against the built-in profiles' identity_patterns and a user
// profile with a catastrophic pattern.
//
//   input[0] (even: SIP, odd: HTTP; bit 1: the exchange ended with an error)
//   input[1..] ──parse_sip_response / parse_http_response──> ResponseHead
//              ──read_announced_identity (built-in + "Slow" profile)──> AnnouncedIdentity
//
// Beyond "no crash, no sanitizer report", it checks what identity.hpp promises: a head has a status
// of 100..699, headers with token names and values of at most 4096 bytes, at most 128 of them, a
// title of at most 1024 bytes before decoding; an identity has a vendor exactly when it has a source
// and no error, groups of at most 64 bytes without control characters, a MAC of 12 upper-case hex
// digits or none, and a raw text of at most 256 bytes with no control byte.
//
// Seeds: SIP and HTTP answers of every shipped vendor format, provisional responses, folded
// headers, a status with no headers, hostile answers (an 8 KiB header line, ANSI and bidi controls,
// NULs, binary garbage, a cut answer).

#include "scanner/assessment/identity.hpp"
#include "scanner/assessment/vendor_profiles.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace fleetcert;

// A broken promise is a finding: say which, and abort so that libFuzzer keeps the input.
void check(bool condition, const char* promise)
{
  if (!condition) {
    std::fprintf(stderr, "fuzz_identity: broken promise: %s\n", promise);
    std::abort();
  }
}

bool has_control_byte(std::string_view text)
{
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      return true;
    }
  }
  return false;
}

const VendorProfiles& profiles()
{
  static const VendorProfiles loaded = [] {
    VendorProfiles all = VendorProfiles::builtin();
    Result<VendorProfile> slow = VendorProfiles::parse(
        R"({"name": "Slow", "identity_patterns": [
             {"sources": ["sip-user-agent", "sip-server", "http-server", "http-title"], "pattern": "^(a|aa|\\w+)+$"},
             {"sources": ["sip-user-agent"], "pattern": "^(?<model>[^ ]+) (?<firmware>[0-9.]+)(?: (?<mac>\\S+))?$"}]})",
        "slow.json");
    if (!slow) {
      std::fprintf(stderr, "fuzz_identity: %s\n", slow.error().c_str());
      std::abort();
    }
    all.add(std::move(*slow));
    return all;
  }();
  return loaded;
}

void check_head(const ResponseHead& head)
{
  check(head.status >= 100 && head.status <= 699, "a status is 100..699");
  check(head.headers.size() <= k_identity_max_headers, "at most k_identity_max_headers headers");
  for (const ResponseHeader& header : head.headers) {
    check(!header.name.empty(), "a header has a name");
    check(header.value.size() <= k_identity_max_header_line, "a header value is bounded");
  }
  if (head.title) {
    check(head.title->size() <= 4 * k_identity_max_title, "a title is bounded");
  }
}

void check_identity(const AnnouncedIdentity& identity)
{
  check(identity.vendor.empty() == !identity.source.has_value(), "a vendor exactly when a source");
  check(identity.vendor.empty() != identity.error.empty(), "either a vendor or an error");
  check(identity.raw.size() <= k_identity_raw_cap, "raw is capped");
  check(!has_control_byte(identity.raw), "raw is escaped");
  for (const std::string* field : {&identity.model, &identity.firmware}) {
    check(field->size() <= k_identity_max_field, "a group is bounded");
    check(!has_control_byte(*field), "a group has no control character");
  }
  check(identity.mac.empty() || identity.mac.size() == 12, "a MAC is 12 digits or none");
  for (char c : identity.mac) {
    check((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'), "a MAC is upper-case hex");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  if (size == 0) {
    return 0;
  }
  IdentityExchange exchange;
  exchange.protocol = (data[0] & 1) == 0 ? IdentityProtocol::sip : IdentityProtocol::http;
  exchange.error = (data[0] & 2) == 0 ? std::string() : std::string("timeout");
  exchange.response.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  exchange.complete = exchange.error.empty();

  const Result<ResponseHead> head = exchange.protocol == IdentityProtocol::sip ? parse_sip_response(exchange.response)
                                                                               : parse_http_response(exchange.response);
  if (head) {
    check_head(*head);
  } else {
    check(!head.error().empty(), "an error says something");
  }
  check_identity(read_announced_identity(exchange, profiles()));
  return 0;
}
