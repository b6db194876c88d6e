// A device's announced identity, from its answer to the identity request.
//
//   IdentityExchange.response ──parse_sip_response / parse_http_response──> ResponseHead
//     ──identity_candidates──> User-Agent, Server (SIP) | Server, <title> (HTTP)
//     ──match_identity (profiles' identity_patterns, PCRE2 with limits)──> AnnouncedIdentity
//
// Every byte here came from the device: every loop is bounded by the input (itself capped at
// k_identity_response_cap) and by the limits in identity.hpp.

#include "scanner/assessment/identity.hpp"
#include "scanner/util/ascii.hpp"
#include "scanner/util/mac.hpp"
#include "scanner/util/text.hpp"

#include <algorithm>
#include <cstring>

namespace fleetcert {
namespace {

// Provisional SIP responses skipped before the final one, at most.
constexpr int k_max_provisional = 8;

bool is_blank(char c)
{
  return c == ' ' || c == '\t';
}

bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

// RFC 3261 / RFC 9110 token characters: the characters of a header name.
bool is_token_char(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)
         || std::strchr("-.!%*_+`'~#$&^|", c) != nullptr;
}

// The head's lines, one at a time: CRLF or bare LF ends a line.
class LineReader
{
public:
  explicit LineReader(std::string_view text) : m_text(text) {}

  // The next complete line without its line end; nullopt when no complete line is left.
  std::optional<std::string_view> next()
  {
    const std::size_t end = m_text.find('\n', m_at);
    if (end == std::string_view::npos) {
      return std::nullopt;
    }
    std::string_view line = m_text.substr(m_at, end - m_at);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    m_at = end + 1;
    return line;
  }
  // Skips CR and LF bytes (RFC 3261 7.5: CRLFs before a start line are ignored).
  void skip_line_ends()
  {
    while (m_at < m_text.size() && (m_text[m_at] == '\r' || m_text[m_at] == '\n')) {
      ++m_at;
    }
  }
  std::size_t offset() const { return m_at; }
  // The start of the incomplete last line (text after the last line end).
  std::string_view rest() const { return m_text.substr(m_at); }

private:
  std::string_view m_text;
  std::size_t m_at = 0;
};

std::string start_of(std::string_view text)
{
  return quote_for_message(text.substr(0, 40));
}

// "SIP/2.0 200 OK" or "HTTP/1.1 200 OK": status and reason; an error names what is wrong.
std::optional<std::string> read_status_line(std::string_view line, IdentityProtocol protocol, ResponseHead& head)
{
  const std::string_view what = protocol == IdentityProtocol::sip ? "SIP" : "HTTP";
  const std::size_t space = line.find(' ');
  const std::string_view version = line.substr(0, space);
  const bool version_ok = protocol == IdentityProtocol::sip
                              ? ascii_iequals(version, "SIP/2.0")
                              : version.size() == 8 && version.starts_with("HTTP/1.") && is_digit(version[7]);
  if (!version_ok || space == std::string_view::npos || line.size() < space + 4) {
    return "no " + std::string(what) + " status line (the answer starts with " + start_of(line) + ")";
  }
  const std::string_view code = line.substr(space + 1, 3);
  if (!std::all_of(code.begin(), code.end(), is_digit) || code[0] < '1' || code[0] > '6'
      || (line.size() > space + 4 && line[space + 4] != ' ')) {
    return "bad " + std::string(what) + " status code in " + start_of(line);
  }
  head.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  head.reason = line.size() > space + 5 ? std::string(line.substr(space + 5)) : std::string();
  return std::nullopt;
}

// Reads one head (status line and headers) from `lines`; the error says what is wrong.
std::optional<std::string> read_head(LineReader& lines, IdentityProtocol protocol, ResponseHead& head)
{
  head = ResponseHead{};
  lines.skip_line_ends();
  const std::optional<std::string_view> status_line = lines.next();
  if (!status_line) {
    const std::string_view partial = lines.rest();
    if (partial.size() > k_identity_max_header_line) {
      return "status line longer than " + std::to_string(k_identity_max_header_line) + " bytes";
    }
    // Not even a whole status line: say whether what came looks like one.
    ResponseHead probe;
    if (auto error = read_status_line(partial, protocol, probe)) {
      return error;
    }
    return "incomplete status line " + start_of(partial);
  }
  if (status_line->size() > k_identity_max_header_line) {
    return "status line longer than " + std::to_string(k_identity_max_header_line) + " bytes";
  }
  if (auto error = read_status_line(*status_line, protocol, head)) {
    return error;
  }
  std::size_t line_number = 1;
  while (const std::optional<std::string_view> line = lines.next()) {
    ++line_number;
    if (line->empty()) {
      head.head_complete = true;
      return std::nullopt;
    }
    if (line->size() > k_identity_max_header_line) {
      return "header line " + std::to_string(line_number) + " is longer than "
             + std::to_string(k_identity_max_header_line) + " bytes";
    }
    if (is_blank(line->front())) { // a folded continuation of the previous header's value
      if (head.headers.empty()) {
        return "header line " + std::to_string(line_number) + " continues no header";
      }
      std::string& value = head.headers.back().value;
      const std::string_view more = trim_blanks(*line);
      if (value.size() + 1 + more.size() + head.headers.back().name.size() + 1 > k_identity_max_header_line) {
        return "header line " + std::to_string(line_number) + " makes a folded header longer than "
               + std::to_string(k_identity_max_header_line) + " bytes";
      }
      if (!more.empty()) {
        value += value.empty() ? "" : " ";
        value += more;
      }
      continue;
    }
    const std::size_t colon = line->find(':');
    const std::string_view name = colon == std::string_view::npos ? std::string_view()
                                                                   : trim_blanks(line->substr(0, colon));
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) {
      return "header line " + std::to_string(line_number) + " is not a header: " + start_of(*line);
    }
    if (head.headers.size() == k_identity_max_headers) {
      return "more than " + std::to_string(k_identity_max_headers) + " header lines";
    }
    head.headers.push_back({std::string(name), std::string(trim_blanks(line->substr(colon + 1)))});
  }
  if (lines.rest().size() > k_identity_max_header_line) {
    return "header line " + std::to_string(line_number + 1) + " is longer than "
           + std::to_string(k_identity_max_header_line) + " bytes";
  }
  return std::nullopt; // the head ended before its blank line: the complete lines read
}

// Position of `needle` (lower-case ASCII) in `text`, case-insensitive, from `from`.
std::size_t find_folded(std::string_view text, std::string_view needle, std::size_t from)
{
  if (needle.size() > text.size()) {
    return std::string_view::npos;
  }
  for (std::size_t at = from; at + needle.size() <= text.size(); ++at) {
    bool same = true;
    for (std::size_t i = 0; i < needle.size() && same; ++i) {
      same = ascii_lower(text[at + i]) == needle[i];
    }
    if (same) {
      return at;
    }
  }
  return std::string_view::npos;
}

// The code point of "&...;" at the start of `text` and its length; nullopt when not one we decode.
std::optional<std::pair<char32_t, std::size_t>> read_entity(std::string_view text)
{
  static constexpr std::pair<std::string_view, char32_t> k_named[] = {
      {"&amp;", U'&'}, {"&lt;", U'<'}, {"&gt;", U'>'}, {"&quot;", U'"'}, {"&apos;", U'\''}, {"&nbsp;", U' '}};
  for (const auto& [name, code_point] : k_named) {
    if (text.size() >= name.size() && ascii_iequals(text.substr(0, name.size()), name)) {
      return std::make_pair(code_point, name.size());
    }
  }
  if (text.size() < 4 || text[1] != '#') {
    return std::nullopt;
  }
  const bool hex = text[2] == 'x' || text[2] == 'X';
  std::size_t at = hex ? 3 : 2;
  std::uint32_t value = 0;
  const std::size_t first_digit = at;
  for (; at < text.size() && at < first_digit + 8 && text[at] != ';'; ++at) {
    const char c = text[at];
    int digit = -1;
    if (is_digit(c)) {
      digit = c - '0';
    } else if (hex && c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (hex && c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    }
    if (digit < 0) {
      return std::nullopt;
    }
    value = value * (hex ? 16 : 10) + static_cast<std::uint32_t>(digit);
  }
  if (at == first_digit || at >= text.size() || text[at] != ';' || value == 0 || value > 0x10FFFF
      || (value >= 0xD800 && value <= 0xDFFF)) {
    return std::nullopt;
  }
  return std::make_pair(static_cast<char32_t>(value), at + 1);
}

// The title text: entities decoded, runs of blanks and line ends as one space, trimmed.
std::string decode_title(std::string_view raw)
{
  std::string decoded;
  for (std::size_t at = 0; at < raw.size();) {
    if (raw[at] == '&') {
      if (const auto entity = read_entity(raw.substr(at))) {
        append_utf8(decoded, entity->first);
        at += entity->second;
        continue;
      }
    }
    decoded.push_back(raw[at]);
    ++at;
  }
  std::string folded;
  for (char c : decoded) {
    const bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
    if (space) {
      if (!folded.empty() && folded.back() != ' ') {
        folded.push_back(' ');
      }
    } else {
      folded.push_back(c);
    }
  }
  if (!folded.empty() && folded.back() == ' ') {
    folded.pop_back();
  }
  return folded;
}

// The <title> of an HTML body; nullopt when there is none, it does not end, or it is too long.
std::optional<std::string> find_title(std::string_view body)
{
  for (std::size_t at = find_folded(body, "<title", 0); at != std::string_view::npos;
       at = find_folded(body, "<title", at + 1)) {
    const std::size_t after = at + 6;
    if (after < body.size() && body[after] != '>' && !is_blank(body[after]) && body[after] != '\r'
        && body[after] != '\n') {
      continue; // <titlebar>, not <title>
    }
    const std::size_t open_end = body.find('>', after);
    if (open_end == std::string_view::npos) {
      return std::nullopt;
    }
    const std::size_t content = open_end + 1;
    const std::string_view window = body.substr(content, k_identity_max_title + 8);
    const std::size_t close = find_folded(window, "</title", 0);
    if (close == std::string_view::npos || close > k_identity_max_title) {
      return std::nullopt;
    }
    return decode_title(window.substr(0, close));
  }
  return std::nullopt;
}

// Why a group's text is not kept as a model or firmware; nullopt when it is fine.
std::optional<std::string> field_problem(std::string_view group, std::string_view text)
{
  if (text.size() > k_identity_max_field) {
    return std::string(group) + " longer than " + std::to_string(k_identity_max_field) + " bytes";
  }
  for (std::size_t at = 0; at < text.size();) {
    const Utf8Step step = decode_utf8(text, at);
    if (!step.valid) {
      return std::string(group) + " is not UTF-8";
    }
    const char32_t c = step.code_point;
    if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) || is_layout_control(c)) {
      return std::string(group) + " holds control characters";
    }
    at += step.length;
  }
  return std::nullopt;
}

std::string source_word(IdentitySource source)
{
  return std::string(to_string(source));
}

} // namespace

std::optional<std::string_view> find_header(const ResponseHead& head, std::string_view name)
{
  for (const ResponseHeader& header : head.headers) {
    if (ascii_iequals(header.name, name)) {
      return std::string_view(header.value);
    }
  }
  return std::nullopt;
}

Result<ResponseHead> parse_sip_response(std::string_view response)
{
  LineReader lines(response.substr(0, k_identity_response_cap));
  ResponseHead head;
  for (int provisional = 0;; ++provisional) {
    if (auto error = read_head(lines, IdentityProtocol::sip, head)) {
      return Error{"SIP response: " + *error};
    }
    if (head.status >= 200 || !head.head_complete || provisional == k_max_provisional) {
      return head;
    }
    // A provisional response (100 Trying): its body, if any, is skipped by its Content-Length.
    if (const auto length = find_header(head, "Content-Length")) {
      if (trim_blanks(*length) != "0") {
        return head; // a provisional response with a body: not worth following
      }
    }
    if (lines.rest().empty()) {
      return head; // nothing after it yet
    }
  }
}

Result<ResponseHead> parse_http_response(std::string_view response)
{
  const std::string_view capped = response.substr(0, k_identity_response_cap);
  LineReader lines(capped);
  ResponseHead head;
  if (auto error = read_head(lines, IdentityProtocol::http, head)) {
    return Error{"HTTP response: " + *error};
  }
  if (head.head_complete) {
    head.title = find_title(capped.substr(lines.offset()));
  }
  return head;
}

std::vector<IdentityCandidate> identity_candidates(IdentityProtocol protocol, const ResponseHead& head)
{
  std::vector<IdentityCandidate> candidates;
  const auto add = [&](IdentitySource source, std::optional<std::string_view> text) {
    if (text && !text->empty()) {
      candidates.push_back({source, std::string(*text)});
    }
  };
  if (protocol == IdentityProtocol::sip) {
    add(IdentitySource::sip_user_agent, find_header(head, "User-Agent"));
    add(IdentitySource::sip_server, find_header(head, "Server"));
  } else {
    add(IdentitySource::http_server, find_header(head, "Server"));
    if (head.title) {
      add(IdentitySource::http_title, std::string_view(*head.title));
    }
  }
  return candidates;
}

AnnouncedIdentity match_identity(const std::vector<IdentityCandidate>& candidates, const VendorProfiles& profiles)
{
  AnnouncedIdentity identity;
  std::string trouble; // the first limit error or refused match, for the error when none is kept
  for (const IdentityCandidate& candidate : candidates) {
    for (const VendorProfile& profile : profiles.all()) {
      for (std::size_t i = 0; i < profile.identity_patterns.size(); ++i) {
        const IdentityPattern& pattern = profile.identity_patterns[i];
        if (!pattern.applies_to(candidate.source)) {
          continue;
        }
        IdentityPatternMatch match = pattern.match(candidate.text);
        const std::string where =
            profile.name + " identity_patterns[" + std::to_string(i) + "] on " + source_word(candidate.source);
        if (!match.error.empty()) {
          trouble = trouble.empty() ? where + ": " + match.error : trouble;
          continue;
        }
        if (!match.matched) {
          continue;
        }
        std::optional<std::string> problem = field_problem("model", match.model);
        problem = problem ? problem : field_problem("firmware", match.firmware);
        std::optional<std::string> mac;
        if (!problem && !match.mac.empty()) {
          mac = normalize_mac(match.mac);
          if (!mac) {
            problem = "mac " + quote_for_message(match.mac.substr(0, k_identity_max_field)) + " is not a MAC";
          }
        }
        if (problem) {
          trouble = trouble.empty() ? where + ": matched, but the " + *problem : trouble;
          continue;
        }
        identity.vendor = profile.name;
        identity.model = std::move(match.model);
        identity.firmware = std::move(match.firmware);
        identity.mac = mac.value_or(std::string());
        identity.source = candidate.source;
        identity.raw = identity_raw_text(candidate.text);
        return identity;
      }
    }
  }
  if (candidates.empty()) {
    identity.error = "nothing to match: no User-Agent, Server or title";
    return identity;
  }
  identity.raw = identity_raw_text(candidates.front().text);
  identity.error = trouble.empty() ? "no pattern matched" : "no pattern matched; " + trouble;
  return identity;
}

namespace {

// read_announced_identity without the request it answered.
AnnouncedIdentity read_response(const IdentityExchange& exchange, const VendorProfiles& profiles)
{
  AnnouncedIdentity identity;
  const auto with_exchange_error = [&](std::string message) {
    return exchange.error.empty() ? message : message + " (" + exchange.error + ")";
  };
  if (exchange.response.empty()) {
    identity.error = exchange.error.empty() ? std::string("no response") : exchange.error;
    return identity;
  }
  const Result<ResponseHead> head = exchange.protocol == IdentityProtocol::sip
                                        ? parse_sip_response(exchange.response)
                                        : parse_http_response(exchange.response);
  if (!head) {
    identity.raw = identity_raw_text(exchange.response.substr(0, k_identity_raw_cap));
    identity.error = with_exchange_error(head.error());
    return identity;
  }
  const std::vector<IdentityCandidate> candidates = identity_candidates(exchange.protocol, *head);
  if (candidates.empty()) {
    identity.error = with_exchange_error(exchange.protocol == IdentityProtocol::sip
                                             ? "the SIP response has no User-Agent or Server header"
                                             : "the HTTP response has no Server header or title");
    return identity;
  }
  identity = match_identity(candidates, profiles);
  if (!identity.error.empty()) {
    identity.error = with_exchange_error(identity.error);
  }
  return identity;
}

} // namespace

AnnouncedIdentity read_announced_identity(const IdentityExchange& exchange, const VendorProfiles& profiles)
{
  AnnouncedIdentity identity = read_response(exchange, profiles);
  identity.request = exchange.protocol;
  return identity;
}

std::string identity_raw_text(std::string_view text)
{
  constexpr std::string_view k_cut = "...";
  std::string out;
  std::string piece;
  for (std::size_t at = 0; at < text.size();) {
    const Utf8Step step = decode_utf8(text, at);
    piece.clear();
    if (step.valid) {
      append_terminal_escaped(piece, step.code_point);
    } else {
      for (std::size_t i = 0; i < step.length; ++i) {
        append_byte_escape(piece, static_cast<unsigned char>(text[at + i]));
      }
    }
    const bool last = at + step.length >= text.size();
    if (out.size() + piece.size() + (last ? 0 : k_cut.size()) > k_identity_raw_cap) {
      out += k_cut;
      return out;
    }
    out += piece;
    at += step.length;
  }
  return out;
}

} // namespace fleetcert
