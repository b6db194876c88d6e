#pragma once
// What a device says it is (issue 14): its answer to the identity request (a SIP OPTIONS response,
// an HTTP response to GET /) parsed with hard bounds, and the vendor profiles' identity_patterns
// matched against its User-Agent, Server and <title>. Pure: the bytes come from the probe.

#include "scanner/assessment/vendor_profiles.hpp"
#include "scanner/model/announced_identity.hpp"
#include "scanner/model/observation.hpp"
#include "scanner/model/result.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleetcert {

// Bounds of the response parsers: a header line (folded continuations included), the number of
// header lines, a page title (before entity decoding).
inline constexpr std::size_t k_identity_max_header_line = 4096;
inline constexpr std::size_t k_identity_max_headers = 128;
inline constexpr std::size_t k_identity_max_title = 1024;
// The longest model, firmware or mac group an identity keeps; a longer one is not accepted.
inline constexpr std::size_t k_identity_max_field = 64;

// One header as received: the name as written, the value trimmed (folded lines joined by a space).
struct ResponseHeader
{
  std::string name;
  std::string value;
};

// The head of a SIP or HTTP response, and for HTTP the page title.
struct ResponseHead
{
  int status = 0;         // 100..699
  std::string reason;     // as received, may be empty
  std::vector<ResponseHeader> headers;
  bool head_complete = false; // the blank line that ends the head was seen
  std::optional<std::string> title; // HTTP only: the <title>'s text, entities decoded, blanks folded
};

// The first value of header `name` (case-insensitive); nullopt when there is none.
std::optional<std::string_view> find_header(const ResponseHead& head, std::string_view name);

// A SIP response: "SIP/2.0 NNN reason", header lines (CRLF or bare LF, folded continuations)
// until the blank line. Provisional (1xx) responses before the final one are skipped. Reads at
// most k_identity_response_cap bytes; an incomplete head gives the complete lines read. Errors
// say what is wrong ("no SIP status line", "header line 3 is longer than 4096 bytes", ...).
Result<ResponseHead> parse_sip_response(std::string_view response);

// An HTTP/1.x response: status line, headers as for SIP, then the <title> of the body (any case,
// attributes allowed; &amp; &lt; &gt; &quot; &apos; and numeric references decoded).
Result<ResponseHead> parse_http_response(std::string_view response);

// One text an identity may be read from, in the order they are tried.
struct IdentityCandidate
{
  IdentitySource source = IdentitySource::sip_user_agent;
  std::string text;
};

// The candidates of a parsed response: SIP User-Agent then Server; HTTP Server then title.
std::vector<IdentityCandidate> identity_candidates(IdentityProtocol protocol, const ResponseHead& head);

// The first candidate that a profile's pattern (for its source) matches, profiles and patterns in
// order; the groups must be short printable text and the mac a MAC (normalised). Without a match,
// `error` says "no pattern matched" (or why a match was refused, or a pattern's limit error) and
// `raw` keeps the first candidate.
AnnouncedIdentity match_identity(const std::vector<IdentityCandidate>& candidates, const VendorProfiles& profiles);

// The announced identity of one exchange: the exchange's error when it read nothing usable, the
// parser's error, or match_identity of its candidates.
AnnouncedIdentity read_announced_identity(const IdentityExchange& exchange, const VendorProfiles& profiles);

// Untrusted text as an AnnouncedIdentity keeps it in `raw`: controls, layout controls and invalid
// UTF-8 escaped (\xNN, \u{NNNN}), cut at k_identity_raw_cap bytes, never inside an escape.
std::string identity_raw_text(std::string_view text);

} // namespace fleetcert
