// The lease readers. Each format ends in the same place: a candidate lease (address, MAC, host
// name, end, state) goes into a LeaseTable, which applies the format's rule for an address seen
// twice (dnsmasq: an error; ISC and Kea, append logs: the later entry wins), the caps and the
// lenient mode, and at the end leaves out what is not active or has expired.
//
//   dnsmasq: lines ───────────────────────────────┐
//   ISC:     IscLexer tokens ──> IscStatement tree ┼─> LeaseTable ──> DhcpLeases ──> merge_dhcp_leases
//   Kea:     header + comma-separated rows ───────┘

#include "scanner/inputs/dhcp_leases.hpp"

#include "scanner/util/digest.hpp"
#include "scanner/util/input_file.hpp"
#include "scanner/util/mac.hpp"
#include "scanner/util/text.hpp"
#include "scanner/util/time.hpp"
#include "scanner/inputs/csv_reader.hpp"
#include "scanner/targets/targets.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <iterator>
#include <filesystem>
#include <fstream>
#include <unordered_map>

namespace fleetcert {

namespace {

constexpr std::size_t k_max_isc_depth = 16; // nested blocks ("on commit { ... }")

constexpr VocabularyWord<DhcpFormat> k_dhcp_formats[] = {
    {DhcpFormat::dnsmasq, "dnsmasq"}, {DhcpFormat::isc, "isc"}, {DhcpFormat::kea, "kea"}};

// Where a lease stands before "now" is applied.
enum class LeaseState
{
  active,   // counts (unless its end has passed)
  expired,  // the server says expired: kept only with include_expired
  inactive, // free, released, declined, abandoned, deleted: never kept
};

struct Candidate
{
  std::size_t line = 0;
  std::string ip;
  std::string mac;
  std::string hostname;
  std::optional<std::int64_t> expires;
  LeaseState state = LeaseState::active;
};

std::string_view next_line(std::string_view text, std::size_t& pos)
{
  const std::size_t end = std::min(text.find('\n', pos), text.size());
  std::string_view line = text.substr(pos, end - pos);
  pos = end + 1;
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  return line;
}

std::vector<std::string_view> split_blanks(std::string_view line)
{
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
      ++i;
    }
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') {
      ++i;
    }
    if (i > start) {
      words.push_back(line.substr(start, i - start));
    }
  }
  return words;
}

template <typename Integer> std::optional<Integer> parse_integer(std::string_view text)
{
  Integer value{};
  if (text.empty() || text.front() == '+') {
    return std::nullopt;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

bool all_digits(std::string_view text)
{
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::string> canonical_address(std::string_view text, bool* v6 = nullptr)
{
  const auto address = parse_address(text);
  if (!address) {
    return std::nullopt;
  }
  if (v6 != nullptr) {
    *v6 = address->first;
  }
  return format_address(address->first, address->second);
}

// Collects candidates and decides which leases count.
class LeaseTable
{
public:
  LeaseTable(std::string_view source, DhcpFormat format, const DhcpLeaseOptions& options, bool last_wins)
    : m_source(source), m_options(options), m_last_wins(last_wins)
  {
    m_result.format = format;
  }

  Error fatal(std::size_t line, std::string_view message) const
  {
    return Error{m_source + ":" + std::to_string(line) + ": " + std::string(message)};
  }

  // A bad entry: the error when strict, else a warning and nothing.
  std::optional<Error> reject(std::size_t line, std::string_view message)
  {
    Error error = fatal(line, message);
    if (!m_options.lenient) {
      return error;
    }
    ++m_result.skipped;
    m_result.warnings.push_back(std::move(error.message));
    return std::nullopt;
  }

  std::optional<Error> add(Candidate candidate)
  {
    if (candidate.hostname.size() > m_options.max_field_bytes) {
      return reject(candidate.line, "host name longer than " + std::to_string(m_options.max_field_bytes) + " bytes");
    }
    const auto found = m_by_ip.find(candidate.ip);
    if (found != m_by_ip.end()) {
      Candidate& first = m_candidates[found->second];
      if (!m_last_wins) {
        return reject(candidate.line, "duplicate address '" + candidate.ip + "' (first on line " +
                                          std::to_string(first.line) + ")");
      }
      first = std::move(candidate); // an append log: the later entry is the current one
      return std::nullopt;
    }
    if (m_candidates.size() >= m_options.max_leases) {
      return fatal(candidate.line, "more than " + std::to_string(m_options.max_leases) + " leases");
    }
    m_by_ip.emplace(candidate.ip, m_candidates.size());
    m_candidates.push_back(std::move(candidate));
    return std::nullopt;
  }

  DhcpLeases finish()
  {
    for (Candidate& candidate : m_candidates) {
      if (candidate.state == LeaseState::inactive) {
        ++m_result.inactive;
        continue;
      }
      const bool expired = candidate.state == LeaseState::expired ||
                           (candidate.expires && *candidate.expires <= m_options.now);
      if (expired && !m_options.include_expired) {
        ++m_result.expired;
        continue;
      }
      DhcpLease lease;
      lease.line = candidate.line;
      lease.ip = std::move(candidate.ip);
      lease.mac = std::move(candidate.mac);
      lease.hostname = std::move(candidate.hostname);
      lease.expires = candidate.expires;
      lease.expired = expired;
      m_result.leases.push_back(std::move(lease));
    }
    m_candidates.clear();
    return std::move(m_result);
  }

private:
  std::string m_source;
  DhcpLeaseOptions m_options;
  bool m_last_wins;
  std::vector<Candidate> m_candidates;
  std::unordered_map<std::string, std::size_t> m_by_ip;
  DhcpLeases m_result;
};

// ---- dnsmasq -----------------------------------------------------------------------------------

// "01-aa:bb:..." (hardware type, then the address): the type in hex, or nothing.
bool is_typed_hardware_address(std::string_view text)
{
  const std::size_t dash = text.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash > 2) {
    return false;
  }
  const auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
  if (!std::all_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(dash), hex)) {
    return false;
  }
  const std::string_view rest = text.substr(dash + 1);
  return rest == "<null>" ||
         (!rest.empty() && std::all_of(rest.begin(), rest.end(), [&](char c) { return hex(c) || c == ':'; }));
}

Result<DhcpLeases> read_dnsmasq(std::string_view text, std::string_view source, const DhcpLeaseOptions& options)
{
  LeaseTable table(source, DhcpFormat::dnsmasq, options, false);
  std::size_t pos = 0;
  for (std::size_t number = 1; pos < text.size(); ++number) {
    const std::string_view line = next_line(text, pos);
    const auto words = split_blanks(line);
    if (words.empty()) {
      continue;
    }
    // Why the line is bad (empty: it is not).
    std::string problem;
    Candidate candidate;
    candidate.line = number;
    const auto too_long = std::find_if(words.begin(), words.end(),
                                       [&](std::string_view w) { return w.size() > options.max_field_bytes; });
    if (too_long != words.end()) {
      problem = "field longer than " + std::to_string(options.max_field_bytes) + " bytes";
    } else if (words[0] == "duid") {
      if (words.size() != 2) {
        problem = "a duid line holds one DUID";
      }
    } else if (words.size() < 4 || words.size() > 5) {
      problem = "expected 'expiry MAC address hostname client-id', found " + std::to_string(words.size()) + " fields";
    } else {
      bool v6 = false;
      const auto expiry = all_digits(words[0]) ? parse_integer<std::int64_t>(words[0]) : std::nullopt;
      const std::int64_t expiry_time = expiry.value_or(0); // 0: an infinite lease
      const auto ip = canonical_address(words[2], &v6);
      if (!expiry) {
        problem = "invalid expiry time " + quote_for_message(words[0]);
      } else if (!ip) {
        problem = "invalid IP address " + quote_for_message(words[2]);
      } else if (v6) {
        // IPv6 lines carry the IAID ("T" prefix: a temporary address), not a MAC.
        const std::string_view iaid = words[1].substr(words[1].rfind('T', 0) == 0 ? 1 : 0);
        if (!all_digits(iaid)) {
          problem = "invalid IAID " + quote_for_message(words[1]);
        }
      } else if (!is_typed_hardware_address(words[1])) { // typed: not Ethernet, no MAC to compare
        if (auto mac = normalize_mac(words[1])) {
          candidate.mac = std::move(*mac);
        } else {
          problem = "invalid MAC " + quote_for_message(words[1]);
        }
      }
      if (problem.empty()) {
        candidate.ip = *ip;
        if (expiry_time != 0) {
          candidate.expires = expiry_time;
        }
        if (words[3] != "*") {
          candidate.hostname = std::string(words[3]);
        }
      }
    }
    std::optional<Error> error;
    if (!problem.empty()) {
      error = table.reject(number, problem);
    } else if (!candidate.ip.empty()) {
      error = table.add(std::move(candidate));
    }
    if (error) {
      return *error;
    }
  }
  return table.finish();
}


// ---- ISC dhcpd -----------------------------------------------------------------------------------

struct IscToken
{
  enum class Kind
  {
    word,
    string,
    open,
    close,
    semicolon,
    end,
  };
  Kind kind = Kind::end;
  std::string text; // a word as written, a string unescaped
  std::size_t line = 0;
};

struct IscError
{
  std::size_t line = 0;
  std::string message;
};

// The words that start a statement at the top of a lease file; after an error (lenient), reading
// resumes at the next line that starts with one of them.
bool is_isc_top_level_word(std::string_view word)
{
  static constexpr std::string_view k_words[] = {"lease",       "ia-na", "ia-ta",    "ia-pd",
                                                 "host",        "class", "subclass", "failover",
                                                 "server-duid", "authoring-byte-order"};
  return std::find(std::begin(k_words), std::end(k_words), word) != std::end(k_words);
}

// Splits dhcpd.leases into words, quoted strings, braces and semicolons; '#' starts a comment
// (outside strings). A quoted string ends on its line: dhcpd writes a newline as an escape.
class IscLexer
{
public:
  IscLexer(std::string_view text, std::size_t max_token_bytes) : m_text(text), m_max(max_token_bytes)
  {
    m_line_starts.push_back(0);
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') {
        m_line_starts.push_back(i + 1);
      }
    }
  }

  // The next token; false with `error` set on a lexical error.
  bool next(IscToken& token, IscError& error)
  {
    skip_blanks_and_comments();
    token.text.clear();
    token.line = m_line;
    if (m_pos >= m_text.size()) {
      token.kind = IscToken::Kind::end;
      return true;
    }
    const char c = m_text[m_pos];
    if (c == '{' || c == '}' || c == ';') {
      ++m_pos;
      token.kind = c == '{' ? IscToken::Kind::open : c == '}' ? IscToken::Kind::close : IscToken::Kind::semicolon;
      return true;
    }
    if (c == '"') {
      token.kind = IscToken::Kind::string;
      return quoted(token.text, error);
    }
    token.kind = IscToken::Kind::word;
    while (m_pos < m_text.size() && !is_separator(m_text[m_pos])) {
      token.text.push_back(m_text[m_pos++]);
      if (token.text.size() > m_max) {
        error = IscError{m_line, "word longer than " + std::to_string(m_max) + " bytes"};
        return false;
      }
    }
    return true;
  }

  // Moves to the first line after `after_line` that starts a top-level statement (or the end).
  void resync(std::size_t after_line)
  {
    for (std::size_t line = after_line + 1; line <= m_line_starts.size(); ++line) {
      std::size_t i = m_line_starts[line - 1];
      while (i < m_text.size() && (m_text[i] == ' ' || m_text[i] == '\t')) {
        ++i;
      }
      std::size_t end = i;
      while (end < m_text.size() && !is_separator(m_text[end])) {
        ++end;
      }
      if (is_isc_top_level_word(m_text.substr(i, end - i))) {
        m_pos = m_line_starts[line - 1];
        m_line = line;
        return;
      }
    }
    m_pos = m_text.size();
    m_line = m_line_starts.size();
  }

private:
  static bool is_separator(char c)
  {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v' || c == '{' || c == '}' ||
           c == ';' || c == '"' || c == '#';
  }

  void skip_blanks_and_comments()
  {
    while (m_pos < m_text.size()) {
      const char c = m_text[m_pos];
      if (c == '\n') {
        ++m_line;
        ++m_pos;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
        ++m_pos;
      } else if (c == '#') {
        while (m_pos < m_text.size() && m_text[m_pos] != '\n') {
          ++m_pos;
        }
      } else {
        return;
      }
    }
  }

  bool quoted(std::string& out, IscError& error)
  {
    const std::size_t start_line = m_line;
    ++m_pos; // the opening quote
    for (;;) {
      if (m_pos >= m_text.size() || m_text[m_pos] == '\n') {
        error = IscError{start_line, "unterminated quoted string"};
        return false;
      }
      char c = m_text[m_pos++];
      if (c == '"') {
        return true;
      }
      if (c == '\\') {
        if (m_pos >= m_text.size() || m_text[m_pos] == '\n') {
          error = IscError{start_line, "unterminated quoted string"};
          return false;
        }
        c = m_text[m_pos++];
        if (c >= '0' && c <= '7') { // \ooo: one to three octal digits
          unsigned value = static_cast<unsigned>(c - '0');
          for (int i = 0; i < 2 && m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '7'; ++i) {
            value = value * 8 + static_cast<unsigned>(m_text[m_pos++] - '0');
          }
          if (value > 0xFF) {
            error = IscError{start_line, "invalid octal escape in a quoted string"};
            return false;
          }
          c = static_cast<char>(value);
        } else if (c == 'n') {
          c = '\n';
        } else if (c == 't') {
          c = '\t';
        } else if (c == 'r') {
          c = '\r';
        } else if (c == 'b') {
          c = '\b';
        }
      }
      out.push_back(c);
      if (out.size() > m_max) {
        error = IscError{start_line, "quoted string longer than " + std::to_string(m_max) + " bytes"};
        return false;
      }
    }
  }

  std::string_view m_text;
  std::size_t m_max;
  std::size_t m_pos = 0;
  std::size_t m_line = 1;
  std::vector<std::size_t> m_line_starts;
};

// One statement: its words up to ';' or '{', and its block when it has one.
struct IscStatement
{
  std::vector<IscToken> words;
  std::size_t line = 0;
  bool has_block = false;
  std::vector<IscStatement> body;
};

enum class IscStep
{
  statement, // `out` holds one
  close,     // a '}' ended the enclosing block
  end,       // the input ended
  error,
};

std::string statement_head(const IscStatement& statement)
{
  std::string head;
  for (std::size_t i = 0; i < statement.words.size() && i < 2; ++i) {
    head += (i == 0 ? "" : " ") + statement.words[i].text;
  }
  return quote_for_message(head);
}

// Reads one statement with its block. dhcpd writes every simple statement on one line, so words of
// one statement on several lines mean a missing ';'.
IscStep parse_isc_statement(IscLexer& lexer, IscStatement& out, IscError& error, std::size_t depth)
{
  out = IscStatement{};
  IscToken token;
  for (;;) {
    if (!lexer.next(token, error)) {
      return IscStep::error;
    }
    switch (token.kind) {
    case IscToken::Kind::word:
    case IscToken::Kind::string:
      if (out.words.empty()) {
        out.line = token.line;
      } else if (token.line != out.line) {
        error = IscError{out.line, "missing ';' at the end of the line"};
        return IscStep::error;
      }
      out.words.push_back(std::move(token));
      break;
    case IscToken::Kind::semicolon:
      if (out.words.empty()) {
        out.line = token.line; // an empty statement
      }
      return IscStep::statement;
    case IscToken::Kind::close:
      if (!out.words.empty()) {
        error = IscError{out.line, "missing ';' before '}'"};
        return IscStep::error;
      }
      if (depth == 0) {
        error = IscError{token.line, "'}' without a block to close"};
        return IscStep::error;
      }
      return IscStep::close;
    case IscToken::Kind::end:
      if (!out.words.empty() && depth == 0) { // inside a block, the block's error says more
        error = IscError{out.line, "missing ';' at the end of the file"};
        return IscStep::error;
      }
      return IscStep::end;
    case IscToken::Kind::open:
      if (out.words.empty()) {
        error = IscError{token.line, "'{' without a statement before it"};
        return IscStep::error;
      }
      if (depth + 1 > k_max_isc_depth) {
        error = IscError{out.line, "blocks nested deeper than " + std::to_string(k_max_isc_depth) + " levels"};
        return IscStep::error;
      }
      out.has_block = true;
      for (;;) {
        IscStatement inner;
        const IscStep step = parse_isc_statement(lexer, inner, error, depth + 1);
        if (step == IscStep::close) {
          return IscStep::statement;
        }
        if (step == IscStep::end) {
          error = IscError{out.line, "block " + statement_head(out) + " is not closed (the file ends first)"};
          return IscStep::error;
        }
        if (step == IscStep::error) {
          return step;
        }
        if (!inner.words.empty()) {
          out.body.push_back(std::move(inner));
        }
      }
    }
  }
}

// "2023/11/23" and "10:00:00" (UTC, as dhcpd writes them) into epoch seconds.
std::optional<std::int64_t> isc_date_time(std::string_view date, std::string_view time)
{
  const auto field = [](std::string_view text, std::size_t at, std::size_t width) -> int {
    const std::string_view digits = text.substr(at, width);
    return digits.size() == width && all_digits(digits) ? *parse_integer<int>(digits) : -1;
  };
  if (date.size() != 10 || date[4] != '/' || date[7] != '/' || time.size() != 8 || time[2] != ':' || time[5] != ':') {
    return std::nullopt;
  }
  return epoch_of(field(date, 0, 4), field(date, 5, 2), field(date, 8, 2), field(time, 0, 2), field(time, 3, 2),
                  field(time, 6, 2));
}

// The time of "starts"/"ends"/...: "W YYYY/MM/DD HH:MM:SS", "epoch N" or "never" (absent).
// False when the statement is malformed.
bool isc_time(const IscStatement& statement, std::optional<std::int64_t>& out)
{
  const auto& w = statement.words;
  const auto word = [&](std::size_t i) { return w[i].kind == IscToken::Kind::word; };
  if (w.size() == 2 && word(1) && w[1].text == "never") {
    out.reset();
    return true;
  }
  if (w.size() == 3 && word(1) && word(2) && w[1].text == "epoch") {
    out = all_digits(w[2].text) ? parse_integer<std::int64_t>(w[2].text) : std::nullopt;
    return out.has_value();
  }
  if (w.size() == 4 && word(1) && word(2) && word(3) && w[1].text.size() == 1 && w[1].text[0] >= '0' &&
      w[1].text[0] <= '6') {
    out = isc_date_time(w[2].text, w[3].text);
    return out.has_value();
  }
  return false;
}

// The lease state of a "binding state X" statement, or nullopt when X is not a state.
std::optional<LeaseState> isc_binding_state(std::string_view state)
{
  if (state == "active" || state == "bootp") {
    return LeaseState::active;
  }
  if (state == "expired") {
    return LeaseState::expired;
  }
  if (state == "free" || state == "released" || state == "abandoned" || state == "reset" || state == "backup" ||
      state == "reserved") {
    return LeaseState::inactive;
  }
  return std::nullopt;
}

// Fills `candidate` from the statements of a lease or iaaddr block; returns why it is bad, or "".
std::string isc_lease_body(const std::vector<IscStatement>& body, Candidate& candidate)
{
  for (const IscStatement& statement : body) {
    const auto& w = statement.words;
    if (statement.has_block || w.front().kind != IscToken::Kind::word) {
      continue; // "on commit { ... }" and the like
    }
    const std::string& key = w.front().text;
    const std::string at = " on line " + std::to_string(statement.line);
    if (key == "starts" || key == "ends" || key == "cltt" || key == "tstp" || key == "tsfp" || key == "atsfp") {
      std::optional<std::int64_t> time;
      if (!isc_time(statement, time)) {
        return "invalid time in '" + key + "'" + at + " (expected 'W YYYY/MM/DD HH:MM:SS', 'epoch N' or 'never')";
      }
      if (key == "ends") {
        candidate.expires = time;
      }
    } else if (key == "binding") {
      if (w.size() != 3 || w[1].text != "state" || w[2].kind != IscToken::Kind::word) {
        return "expected 'binding state STATE'" + at;
      }
      const auto state = isc_binding_state(w[2].text);
      if (!state) {
        return "unknown binding state " + quote_for_message(w[2].text) + at;
      }
      candidate.state = *state;
    } else if (key == "hardware") {
      if (w.size() != 3 || w[1].kind != IscToken::Kind::word || w[2].kind != IscToken::Kind::word) {
        return "expected 'hardware TYPE ADDRESS'" + at;
      }
      if (w[1].text == "ethernet") {
        auto mac = normalize_mac(w[2].text);
        if (!mac) {
          return "invalid MAC " + quote_for_message(w[2].text) + at;
        }
        candidate.mac = std::move(*mac);
      }
    } else if (key == "client-hostname") {
      if (w.size() != 2 || w[1].kind != IscToken::Kind::string) {
        return "expected 'client-hostname \"NAME\"'" + at;
      }
      candidate.hostname = w[1].text;
    } else if (key == "abandoned") {
      candidate.state = LeaseState::inactive;
    }
  }
  return {};
}

// Adds the leases of one top-level statement (a lease, or an ia-na/ia-ta with iaaddr blocks).
std::optional<Error> add_isc_statement(const IscStatement& statement, LeaseTable& table)
{
  const auto& w = statement.words;
  const std::string& key = w.front().text;
  if (w.front().kind != IscToken::Kind::word) {
    return std::nullopt;
  }
  if (key == "lease") {
    if (w.size() != 2 || !statement.has_block) {
      return table.reject(statement.line, "expected 'lease ADDRESS { ... }'");
    }
    Candidate candidate;
    candidate.line = statement.line;
    const auto ip = canonical_address(w[1].text);
    if (!ip) {
      return table.reject(statement.line, "invalid IP address " + quote_for_message(w[1].text));
    }
    candidate.ip = *ip;
    if (auto problem = isc_lease_body(statement.body, candidate); !problem.empty()) {
      return table.reject(statement.line, "lease " + *ip + ": " + problem);
    }
    return table.add(std::move(candidate));
  }
  if ((key == "ia-na" || key == "ia-ta") && statement.has_block) {
    for (const IscStatement& inner : statement.body) {
      if (inner.words.front().text != "iaaddr" || inner.words.front().kind != IscToken::Kind::word) {
        continue;
      }
      Candidate candidate;
      candidate.line = inner.line;
      bool v6 = false;
      const auto ip = inner.words.size() == 2 && inner.has_block ? canonical_address(inner.words[1].text, &v6)
                                                                : std::nullopt;
      if (!ip || !v6) {
        if (auto error = table.reject(inner.line, "expected 'iaaddr IPV6-ADDRESS { ... }'")) {
          return error;
        }
        continue;
      }
      candidate.ip = *ip;
      std::optional<Error> error;
      if (auto problem = isc_lease_body(inner.body, candidate); !problem.empty()) {
        error = table.reject(inner.line, "iaaddr " + *ip + ": " + problem);
      } else {
        error = table.add(std::move(candidate));
      }
      if (error) {
        return error;
      }
    }
  }
  return std::nullopt; // other statements (host, failover, server-duid, ia-pd, ...) hold no lease
}

Result<DhcpLeases> read_isc(std::string_view text, std::string_view source, const DhcpLeaseOptions& options)
{
  LeaseTable table(source, DhcpFormat::isc, options, true);
  IscLexer lexer(text, options.max_field_bytes);
  for (;;) {
    IscStatement statement;
    IscError error;
    const IscStep step = parse_isc_statement(lexer, statement, error, 0);
    if (step == IscStep::end) {
      break;
    }
    if (step == IscStep::error) {
      if (auto fatal = table.reject(error.line, error.message)) {
        return *fatal;
      }
      lexer.resync(error.line);
      continue;
    }
    if (!statement.words.empty()) {
      if (auto fatal = add_isc_statement(statement, table)) {
        return *fatal;
      }
    }
  }
  return table.finish();
}

// ---- Kea -----------------------------------------------------------------------------------------

// Kea's CSV has no quoting: it writes a comma inside a value as "&#x2c" (any byte as &#xNN).
std::string kea_unescape(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 3, "&#x") == 0 && i + 5 <= text.size()) {
      unsigned value = 0;
      const auto [end, ec] = std::from_chars(text.data() + i + 3, text.data() + i + 5, value, 16);
      if (ec == std::errc() && end == text.data() + i + 5) {
        out.push_back(static_cast<char>(value));
        i += 4;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

Result<DhcpLeases> read_kea(std::string_view text, std::string_view source, const DhcpLeaseOptions& options)
{
  LeaseTable table(source, DhcpFormat::kea, options, true);
  std::size_t pos = 0;
  std::size_t number = 0;
  std::string_view header_line;
  while (pos < text.size() && header_line.empty()) {
    ++number;
    header_line = trim_blanks(next_line(text, pos));
  }
  if (header_line.empty()) {
    return table.finish();
  }
  // Column index by name; every column Kea has written since 1.0 is optional but these.
  std::unordered_map<std::string, std::size_t> columns;
  const auto names = split(header_line, ',');
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!columns.emplace(std::string(trim_blanks(names[i])), i).second) {
      return table.fatal(number, "header: duplicate column " + quote_for_message(trim_blanks(names[i])));
    }
  }
  for (const char* required : {"address", "expire", "valid_lifetime"}) {
    if (columns.count(required) == 0) {
      return table.fatal(number, std::string("header has no '") + required + "' column (not a Kea lease file?)");
    }
  }
  const auto column = [&](const char* name) {
    const auto found = columns.find(name);
    return found == columns.end() ? names.size() : found->second;
  };
  const std::size_t address = column("address");
  const std::size_t hwaddr = column("hwaddr");
  const std::size_t hostname = column("hostname");
  const std::size_t valid_lifetime = column("valid_lifetime");
  const std::size_t expire = column("expire");
  const std::size_t state = column("state");
  const std::size_t lease_type = column("lease_type");
  const std::size_t used[] = {address, hwaddr, hostname, valid_lifetime, expire, state, lease_type};

  while (pos < text.size()) {
    ++number;
    const std::string_view line = next_line(text, pos);
    if (trim_blanks(line).empty()) {
      continue;
    }
    const auto fields = split(line, ',');
    const auto field = [&](std::size_t index) {
      return index < fields.size() ? trim_blanks(fields[index]) : std::string_view();
    };
    std::string problem;
    Candidate candidate;
    candidate.line = number;
    const auto lifetime = parse_integer<std::uint32_t>(field(valid_lifetime));
    const auto expires = parse_integer<std::int64_t>(field(expire));
    const auto state_value = field(state).empty() ? std::optional<int>(0) : parse_integer<int>(field(state));
    const auto type_value = field(lease_type).empty() ? std::optional<int>(0) : parse_integer<int>(field(lease_type));
    // Only the columns read are capped: user_context may hold any amount of JSON.
    const bool too_long = std::any_of(std::begin(used), std::end(used), [&](std::size_t index) {
      return field(index).size() > options.max_field_bytes;
    });
    if (fields.size() != names.size()) {
      problem = "row has " + std::to_string(fields.size()) + " fields, header has " + std::to_string(names.size());
    } else if (too_long) {
      problem = "field longer than " + std::to_string(options.max_field_bytes) + " bytes";
    } else if (!lifetime) {
      problem = "invalid valid_lifetime " + quote_for_message(field(valid_lifetime));
    } else if (!expires) {
      problem = "invalid expire " + quote_for_message(field(expire));
    } else if (!state_value || *state_value < 0 || *state_value > 3) {
      problem = "invalid state " + quote_for_message(field(state)) +
                " (0 default, 1 declined, 2 expired-reclaimed, 3 released)";
    } else if (!type_value || *type_value < 0 || *type_value > 2) {
      problem = "invalid lease_type " + quote_for_message(field(lease_type)) + " (0 IA_NA, 1 IA_TA, 2 IA_PD)";
    } else if (*type_value == 2) {
      continue; // a delegated prefix: a router's, not a device address
    } else if (auto ip = canonical_address(field(address)); !ip) {
      problem = "invalid IP address " + quote_for_message(field(address));
    } else {
      candidate.ip = *ip;
      if (!field(hwaddr).empty()) {
        if (auto mac = normalize_mac(field(hwaddr))) {
          candidate.mac = std::move(*mac);
        } else {
          problem = "invalid MAC " + quote_for_message(field(hwaddr));
        }
      }
      candidate.hostname = kea_unescape(field(hostname));
      if (*lifetime != 0xFFFFFFFFu) { // infinite
        candidate.expires = *expires;
      }
      candidate.state = *lifetime == 0 || *state_value == 1 || *state_value == 3 ? LeaseState::inactive
                        : *state_value == 2                                     ? LeaseState::expired
                                                                                 : LeaseState::active;
    }
    std::optional<Error> error = problem.empty() ? table.add(std::move(candidate)) : table.reject(number, problem);
    if (error) {
      return *error;
    }
  }
  return table.finish();
}

} // namespace

std::string_view to_string(DhcpFormat format)
{
  return vocabulary_word(k_dhcp_formats, format);
}

std::optional<DhcpFormat> parse_dhcp_format(std::string_view text)
{
  return vocabulary_value(k_dhcp_formats, text);
}

std::optional<DhcpFormat> detect_dhcp_format(std::string_view text)
{
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::string_view line = next_line(text, pos);
    if (line.substr(0, 3) == "\xEF\xBB\xBF") {
      line.remove_prefix(3);
    }
    line = trim_blanks(line);
    if (line.empty()) {
      continue;
    }
    if (line.substr(0, 8) == "address,") {
      return DhcpFormat::kea;
    }
    if (line.front() == '#') {
      return DhcpFormat::isc; // dhcpd writes a comment first; dnsmasq and Kea write none
    }
    const std::size_t end = std::min(line.find_first_of(" \t{;\""), line.size());
    const std::string_view first = line.substr(0, end);
    if (is_isc_top_level_word(first)) {
      return DhcpFormat::isc;
    }
    if (first == "duid" || all_digits(first)) {
      return DhcpFormat::dnsmasq;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

Result<DhcpLeases> read_dhcp_leases(std::string_view text, std::string_view source_name,
                                    std::optional<DhcpFormat> format, const DhcpLeaseOptions& options)
{
  if (text.size() > options.max_file_bytes) {
    return Error{std::string(source_name) + ": larger than " + std::to_string(options.max_file_bytes) + " bytes"};
  }
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    text.remove_prefix(3);
  }
  if (!format) {
    if (trim_blanks(text).empty()) {
      DhcpLeases empty; // an empty lease file: a server that has handed out nothing yet
      return empty;
    }
    format = detect_dhcp_format(text);
    if (!format) {
      return Error{std::string(source_name) +
                   ": not a lease file fleetcert knows (dnsmasq, ISC dhcpd.leases or a Kea lease CSV); "
                   "--dhcp-format dnsmasq|isc|kea says which"};
    }
  }
  switch (*format) {
  case DhcpFormat::dnsmasq: return read_dnsmasq(text, source_name, options);
  case DhcpFormat::isc: return read_isc(text, source_name, options);
  case DhcpFormat::kea: return read_kea(text, source_name, options);
  }
  return Error{"unknown lease format"};
}

Result<DhcpLeases> load_dhcp_leases_file(const std::string& path, std::optional<DhcpFormat> format,
                                         const DhcpLeaseOptions& options)
{
  std::ifstream in;
  if (const std::string problem = open_input_file(in, path); !problem.empty()) {
    return Error{"cannot read DHCP leases '" + path + "': " + problem};
  }
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > options.max_file_bytes) {
      return Error{path + ": larger than " + std::to_string(options.max_file_bytes) + " bytes"};
    }
  }
  if (in.bad()) {
    return Error{"cannot read DHCP leases '" + path + "': read error"};
  }
  Result<DhcpLeases> leases = read_dhcp_leases(text, path, format, options);
  if (leases) {
    leases->sha256 = sha256_hex_of(text); // for the report's audit settings
  }
  return leases;
}

LeaseMerge merge_dhcp_leases(Inventory& inventory, const DhcpLeases& leases, std::string_view source_name)
{
  LeaseMerge merge;
  std::unordered_map<std::string, std::size_t> by_ip;
  std::unordered_map<std::string, std::size_t> by_mac;
  for (std::size_t i = 0; i < inventory.rows.size(); ++i) {
    if (!inventory.rows[i].ip.empty()) {
      by_ip.emplace(inventory.rows[i].ip, i);
    }
    if (!inventory.rows[i].mac.empty()) {
      by_mac.emplace(inventory.rows[i].mac, i);
    }
  }
  static constexpr std::string_view k_extra = "dhcp_lease";
  const auto mark = [&](InventoryRow& row, const std::string& where) {
    for (const auto& [name, value] : row.extra) {
      if (name == k_extra) {
        return;
      }
    }
    row.extra.emplace_back(std::string(k_extra), where);
  };

  for (const DhcpLease& lease : leases.leases) {
    const std::string where = std::string(source_name) + ":" + std::to_string(lease.line);
    if (const auto found = by_ip.find(lease.ip); found != by_ip.end()) {
      InventoryRow& row = inventory.rows[found->second];
      bool filled = false;
      if (row.mac.empty() && !lease.mac.empty()) {
        row.mac = lease.mac;
        by_mac.emplace(row.mac, found->second);
        filled = true;
      } else if (!lease.mac.empty() && row.mac != lease.mac) {
        merge.conflicts.push_back(where + ": the lease of " + lease.ip + " is for MAC " + lease.mac +
                                  ", the inventory lists " + row.mac + " (the inventory's is kept)");
      }
      if (row.hostname.empty() && !lease.hostname.empty()) {
        row.hostname = lease.hostname;
        filled = true;
      }
      merge.filled += filled ? 1 : 0;
      mark(row, where);
      continue;
    }
    if (!lease.mac.empty()) {
      if (const auto found = by_mac.find(lease.mac); found != by_mac.end()) {
        const InventoryRow& other = inventory.rows[found->second];
        if (!other.ip.empty()) {
          merge.conflicts.push_back(where + ": MAC " + lease.mac + " has a lease for " + lease.ip +
                                    ", the inventory lists it at " + other.ip);
        }
      }
    }
    InventoryRow row;
    row.line = lease.line;
    row.ip = lease.ip;
    row.mac = lease.mac;
    row.hostname = lease.hostname;
    mark(row, where);
    by_ip.emplace(row.ip, inventory.rows.size());
    if (!row.mac.empty()) {
      by_mac.emplace(row.mac, inventory.rows.size());
    }
    merge.added_rows.push_back(inventory.rows.size());
    inventory.rows.push_back(std::move(row));
  }
  inventory.index();
  return merge;
}

} // namespace fleetcert
