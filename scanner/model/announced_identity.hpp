#pragma once
// What a device says it is (issue 14): model, firmware and MAC read from the answer to the identity
// probes (SIP OPTIONS on a SIP port, HTTP GET / on a web port) with the vendor profiles'
// identity_patterns. Data only: the parsing is in assessment, the exchange in the probe.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace fleetcert {

// The application-level exchange a probe may run once a handshake is complete, to learn what the
// device is (issue 14's identity probes): a SIP OPTIONS on a SIP port, an HTTP GET / on a web port.
enum class IdentityProtocol
{
  sip,
  http,
};

// "sip" or "http"; parse_identity_protocol is its inverse (nullopt for any other text).
std::string_view to_string(IdentityProtocol protocol);
std::optional<IdentityProtocol> parse_identity_protocol(std::string_view text);

// Where an announced identity was read: the SIP response's User-Agent or Server header, the HTTP
// response's Server header or its page <title>.
enum class IdentitySource
{
  sip_user_agent,
  sip_server,
  http_server,
  http_title,
};

// "sip-user-agent", "sip-server", "http-server", "http-title"; parse_identity_source is its
// inverse (nullopt for any other text).
std::string_view to_string(IdentitySource source);
std::optional<IdentitySource> parse_identity_source(std::string_view text);

// One endpoint's announced identity. Every field is untrusted device text (escaped where written).
struct AnnouncedIdentity
{
  std::string vendor;   // the profile whose identity pattern matched; empty when none did
  std::string model;    // the pattern's `model` group, e.g. "GXP2170"
  std::string firmware; // the pattern's `firmware` group, e.g. "1.0.11.23"
  std::string mac;      // the pattern's `mac` group, normalised to 12 upper-case hex digits
  std::optional<IdentitySource> source; // where it was read; nullopt when nothing matched
  std::string raw;      // the header value (or title) it was read from, capped at 256 bytes
  std::string error;    // why there is no identity: the exchange's error, or "no pattern matched"
  std::optional<IdentityProtocol> request; // the request that was sent (SIP OPTIONS or HTTP GET);
                                           // nullopt in a report of a fleetcert that did not say
};

// The longest raw header value an AnnouncedIdentity keeps.
inline constexpr std::size_t k_identity_raw_cap = 256;

} // namespace fleetcert
