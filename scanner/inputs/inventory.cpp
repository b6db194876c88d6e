// The inventory readers. Both forms end in the same place: a raw row (six known columns and the
// extras, as written) goes through RowCollector, which checks it, normalises MAC and address,
// rejects duplicates and either fails the read or, when lenient, skips the row with a warning.
//
//   CSV:  CsvReader records ──> header ──> RawRow ─┐
//   JSON: JsonInventoryReader (streaming) ──> RawRow ─┴─> RowCollector ──> Inventory

#include "scanner/inputs/inventory.hpp"
#include "scanner/util/ascii.hpp"

#include "scanner/util/mac.hpp"
#include "scanner/util/text.hpp"
#include "scanner/inputs/csv_reader.hpp"
#include "scanner/targets/targets.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <optional>

namespace fleetcert {

namespace {

constexpr std::size_t k_max_columns = 1024; // CSV columns, or keys of one JSON object
constexpr std::size_t k_max_json_depth = 64;
constexpr int k_eof = std::char_traits<char>::eof();

// The known columns, in the order of RawRow::known.
enum class Column : std::size_t { mac, ip, hostname, vendor, model, site };
constexpr std::size_t k_known_columns = 6;

// The known column a (trimmed, lower-case) name stands for, aliases included.
std::optional<Column> known_column(std::string_view name)
{
  if (name == "mac" || name == "mac address" || name == "mac_address") {
    return Column::mac;
  }
  if (name == "ip" || name == "ip address" || name == "ip_address" || name == "address") {
    return Column::ip;
  }
  if (name == "hostname" || name == "host" || name == "name") {
    return Column::hostname;
  }
  if (name == "vendor") {
    return Column::vendor;
  }
  if (name == "model") {
    return Column::model;
  }
  if (name == "site" || name == "location") {
    return Column::site;
  }
  return std::nullopt;
}

// Tells apart the column names of one header (or the keys of one JSON object): the second use of
// a known column (under any alias) or of an extra name (in any case) is a duplicate.
class ColumnNames
{
public:
  // The known column of `name`, or nullopt for an extra one; `duplicate` says what it repeats.
  std::optional<Column> add(std::string_view name, std::string& duplicate)
  {
    const std::string lower = ascii_lower(name);
    const auto known = known_column(lower);
    if (known) {
      auto& first = m_known[static_cast<std::size_t>(*known)];
      if (first) {
        duplicate = *first;
      } else {
        first = std::string(name);
      }
      return known;
    }
    for (const auto& [seen_lower, seen] : m_extra) {
      if (seen_lower == lower) {
        duplicate = seen;
        return std::nullopt;
      }
    }
    m_extra.emplace_back(lower, std::string(name));
    return std::nullopt;
  }

  bool has(Column column) const { return m_known[static_cast<std::size_t>(column)].has_value(); }

private:
  std::array<std::optional<std::string>, k_known_columns> m_known;
  std::vector<std::pair<std::string, std::string>> m_extra; // lower-case, as written
};

std::string duplicate_message(std::string_view what, std::string_view name, std::string_view first)
{
  std::string message = "duplicate " + std::string(what) + " " + quote_for_message(name);
  if (first != name) {
    message += " (also " + quote_for_message(first) + ")";
  }
  return message;
}

// A row as read, before any check.
struct RawRow
{
  std::size_t line = 0; // CSV line or JSON entry
  std::array<std::string, k_known_columns> known;
  std::vector<std::pair<std::string, std::string>> extra;
};

// Checks rows, keeps the good ones and decides what a bad one costs.
class RowCollector
{
public:
  RowCollector(std::string_view source, bool lenient, bool json, const InventoryLimits& limits)
    : m_source(source), m_lenient(lenient), m_json(json), m_limits(limits)
  {
  }

  // "inv.csv:7" or "inv.json: entry 7".
  std::string where(std::size_t line) const
  {
    return m_source + (m_json ? ": entry " : ":") + std::to_string(line);
  }

  Error fatal(std::size_t line, std::string_view message) const
  {
    return Error{where(line) + ": " + std::string(message)};
  }

  // Counts one more row; past the cap the read fails, lenient or not.
  std::optional<Error> count(std::size_t line)
  {
    if (++m_count > m_limits.max_rows) {
      return fatal(line, "more than " + std::to_string(m_limits.max_rows) + " rows");
    }
    return std::nullopt;
  }

  // A bad row: the error when strict, else a warning and nothing.
  std::optional<Error> reject(std::size_t line, std::string_view message)
  {
    Error error = fatal(line, message);
    if (!m_lenient) {
      return error;
    }
    ++m_inventory.skipped;
    m_inventory.warnings.push_back(std::move(error.message));
    return std::nullopt;
  }

  std::optional<Error> add(RawRow raw)
  {
    InventoryRow row;
    row.line = raw.line;
    const auto value = [&](Column column) {
      return trim_blanks(raw.known[static_cast<std::size_t>(column)]);
    };

    if (const auto mac = value(Column::mac); !mac.empty()) {
      auto normalized = normalize_mac(mac);
      if (!normalized) {
        return reject(raw.line, "invalid MAC " + quote_for_message(mac));
      }
      row.mac = std::move(*normalized);
    }
    if (const auto ip = value(Column::ip); !ip.empty()) {
      const auto address = parse_address(ip);
      if (!address) {
        return reject(raw.line, "invalid IP address " + quote_for_message(ip));
      }
      row.ip = format_address(address->first, address->second);
    }
    row.hostname = std::string(value(Column::hostname));
    row.vendor = std::string(value(Column::vendor));
    row.model = std::string(value(Column::model));
    row.site = std::string(value(Column::site));
    if (row.ip.empty() && row.hostname.empty()) {
      return reject(raw.line, "row has neither ip nor hostname");
    }

    const std::string_view unit = m_json ? "entry" : "line";
    if (!row.ip.empty()) {
      if (const auto found = m_ip_lines.find(row.ip); found != m_ip_lines.end()) {
        return reject(raw.line, "duplicate ip '" + row.ip + "' (first on " + std::string(unit) + " " +
                                  std::to_string(found->second) + ")");
      }
    }
    if (!row.mac.empty()) {
      if (const auto found = m_mac_lines.find(row.mac); found != m_mac_lines.end()) {
        return reject(raw.line, "duplicate MAC '" + row.mac + "' (first on " + std::string(unit) +
                                  " " + std::to_string(found->second) + ")");
      }
    }
    if (!row.ip.empty()) {
      m_ip_lines.emplace(row.ip, row.line);
    }
    if (!row.mac.empty()) {
      m_mac_lines.emplace(row.mac, row.line);
    }
    row.extra.reserve(raw.extra.size());
    for (auto& [name, text] : raw.extra) {
      row.extra.emplace_back(std::move(name), std::string(trim_blanks(text)));
    }
    m_inventory.rows.push_back(std::move(row));
    return std::nullopt;
  }

  Inventory finish()
  {
    m_inventory.index();
    return std::move(m_inventory);
  }

private:
  std::string m_source;
  bool m_lenient;
  bool m_json;
  InventoryLimits m_limits;
  std::size_t m_count = 0;
  Inventory m_inventory;
  std::unordered_map<std::string, std::size_t> m_ip_lines;
  std::unordered_map<std::string, std::size_t> m_mac_lines;
};

// ---- CSV -------------------------------------------------------------------------------------

Result<Inventory> read_csv(std::istream& in, std::string_view source, bool lenient,
                           const InventoryLimits& limits, std::size_t first_line)
{
  CsvOptions options;
  options.max_field_bytes = limits.max_field_bytes;
  options.max_fields = k_max_columns;
  options.comments = true;
  CsvReader reader(in, source, options, first_line);
  RowCollector collector(source, lenient, false, limits);

  CsvRecord record;
  auto more = reader.next(record);
  if (!more) {
    return Error{more.error()};
  }
  if (!*more) {
    return Error{std::string(source) + ": no header row"};
  }
  if (!record.problem.empty()) {
    return collector.fatal(record.line, "header: " + record.problem);
  }

  // Where each column goes: a known column, or an extra one under its name as written.
  struct Slot
  {
    std::optional<Column> known;
    std::string extra_name;
  };
  std::vector<Slot> slots;
  ColumnNames names;
  for (std::size_t i = 0; i < record.fields.size(); ++i) {
    const auto name = trim_blanks(record.fields[i]);
    if (name.empty()) {
      return collector.fatal(record.line, "header: column " + std::to_string(i + 1) + " has no name");
    }
    std::string duplicate;
    const auto known = names.add(name, duplicate);
    if (!duplicate.empty()) {
      return collector.fatal(record.line, "header: " + duplicate_message("column", name, duplicate));
    }
    slots.push_back(Slot{known, known ? std::string() : std::string(name)});
  }
  if (!names.has(Column::ip) && !names.has(Column::hostname)) {
    return collector.fatal(record.line, "header has neither an ip nor a hostname column");
  }

  for (;;) {
    more = reader.next(record);
    if (!more) {
      return Error{more.error()};
    }
    if (!*more) {
      break;
    }
    // A row of empty fields (",,,," as spreadsheets export) counts as a blank line.
    bool all_empty = record.field_count == record.fields.size();
    for (std::size_t i = 0; all_empty && i < record.fields.size(); ++i) {
      all_empty = trim_blanks(record.fields[i]).empty();
    }
    if (all_empty) {
      continue;
    }
    if (auto error = collector.count(record.line)) {
      return *error;
    }
    std::optional<Error> error;
    if (record.field_count != slots.size()) {
      error = collector.reject(record.line, "row has " + std::to_string(record.field_count) +
                                              " fields, header has " + std::to_string(slots.size()));
    } else if (!record.problem.empty()) {
      error = collector.reject(record.line, record.problem);
    } else {
      RawRow raw;
      raw.line = record.line;
      for (std::size_t i = 0; i < slots.size(); ++i) {
        if (slots[i].known) {
          raw.known[static_cast<std::size_t>(*slots[i].known)] = std::move(record.fields[i]);
        } else {
          raw.extra.emplace_back(slots[i].extra_name, std::move(record.fields[i]));
        }
      }
      error = collector.add(std::move(raw));
    }
    if (error) {
      return *error;
    }
  }
  return collector.finish();
}

// ---- JSON ------------------------------------------------------------------------------------

// Text that stops growing at a cap and remembers that it had to.
struct CappedText
{
  std::string text;
  std::size_t cap = 0;
  bool too_long = false;

  void push(char c)
  {
    if (text.size() < cap) {
      text.push_back(c);
    } else {
      too_long = true;
    }
  }

  void push_code_point(unsigned cp)
  {
    if (cp < 0x80) {
      push(static_cast<char>(cp));
    } else if (cp < 0x800) {
      push(static_cast<char>(0xC0 | (cp >> 6)));
      push(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      push(static_cast<char>(0xE0 | (cp >> 12)));
      push(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      push(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      push(static_cast<char>(0xF0 | (cp >> 18)));
      push(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      push(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      push(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
};

// A streaming reader of the one JSON shape an inventory has: an array of flat objects. It keeps
// one entry in memory at a time; syntax errors are fatal, a bad entry is the collector's business.
class JsonInventoryReader
{
public:
  JsonInventoryReader(std::istream& in, std::string_view source, std::size_t first_line,
                      const InventoryLimits& limits, RowCollector& collector)
    : m_buf(in.rdbuf()), m_source(source), m_line(first_line), m_limits(limits),
      m_collector(collector)
  {
  }

  std::optional<Error> read()
  {
    take(); // '['
    skip_blanks();
    if (peek() == ']') {
      take();
    } else {
      for (std::size_t entry = 1;; ++entry) {
        skip_blanks();
        if (auto error = m_collector.count(entry)) {
          return error;
        }
        RawRow raw;
        raw.line = entry;
        std::string problem;
        if (!parse_entry(raw, problem)) {
          return m_error;
        }
        auto error = problem.empty() ? m_collector.add(std::move(raw))
                                     : m_collector.reject(entry, problem);
        if (error) {
          return error;
        }
        skip_blanks();
        const int c = take();
        if (c == ']') {
          break;
        }
        if (c != ',') {
          return syntax(c, "',' or ']'");
        }
      }
    }
    skip_blanks();
    if (peek() != k_eof) {
      return syntax(peek(), "nothing after the closing ']'");
    }
    return std::nullopt;
  }

private:
  int peek() const { return m_buf->sgetc(); }
  int take() { return m_buf->sbumpc(); }

  void skip_blanks()
  {
    for (int c = peek(); c == ' ' || c == '\t' || c == '\n' || c == '\r'; c = peek()) {
      take();
      if (c == '\n') {
        ++m_line;
      }
    }
  }

  // Records a syntax error ("unexpected 'x', expected ..."); returns it for convenience.
  Error syntax(int found, std::string_view expected)
  {
    std::string what;
    if (found == k_eof) {
      what = "unexpected end of input";
    } else if (found >= 0x80) {
      static constexpr char k_hex[] = "0123456789abcdef";
      what = "unexpected byte 0x";
      what.push_back(k_hex[(found >> 4) & 0x0f]);
      what.push_back(k_hex[found & 0x0f]);
    } else {
      what = "unexpected " + quote_for_message(std::string(1, static_cast<char>(found)));
    }
    if (!expected.empty()) {
      what += ", expected " + std::string(expected);
    }
    m_error = Error{m_source + ":" + std::to_string(m_line) + ": invalid JSON: " + what};
    return *m_error;
  }

  bool fail(std::string_view what)
  {
    m_error = Error{m_source + ":" + std::to_string(m_line) + ": invalid JSON: " + std::string(what)};
    return false;
  }

  bool expect(char wanted, std::string_view expected)
  {
    const int c = take();
    if (c != wanted) {
      syntax(c, expected);
      return false;
    }
    return true;
  }

  bool hex4(unsigned& value)
  {
    value = 0;
    for (int i = 0; i < 4; ++i) {
      const int c = take();
      unsigned digit = 0;
      if (c >= '0' && c <= '9') {
        digit = static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<unsigned>(c - 'A' + 10);
      } else {
        return fail("invalid \\u escape");
      }
      value = value * 16 + digit;
    }
    return true;
  }

  // A string, unescaped into UTF-8; a lone surrogate becomes U+FFFD.
  bool parse_string(CappedText& out)
  {
    if (!expect('"', "a string")) {
      return false;
    }
    unsigned pending_high = 0; // a high surrogate waiting for its low half
    const auto flush_pending = [&] {
      if (pending_high != 0) {
        out.push_code_point(0xFFFD);
        pending_high = 0;
      }
    };
    for (;;) {
      const int c = take();
      if (c == k_eof) {
        return fail("unterminated string");
      }
      if (c == '"') {
        flush_pending();
        return true;
      }
      if (c < 0x20) {
        return fail("control character in a string");
      }
      if (c != '\\') {
        flush_pending();
        out.push(static_cast<char>(c));
        continue;
      }
      const int e = take();
      if (e == 'u') {
        unsigned cp = 0;
        if (!hex4(cp)) {
          return false;
        }
        const bool high = cp >= 0xD800 && cp <= 0xDBFF;
        const bool low = cp >= 0xDC00 && cp <= 0xDFFF;
        if (pending_high != 0 && low) {
          out.push_code_point(0x10000 + ((pending_high - 0xD800) << 10) + (cp - 0xDC00));
          pending_high = 0;
          continue;
        }
        flush_pending();
        if (high) {
          pending_high = cp;
        } else {
          out.push_code_point(low ? 0xFFFD : cp);
        }
        continue;
      }
      flush_pending();
      switch (e) {
      case '"': out.push('"'); break;
      case '\\': out.push('\\'); break;
      case '/': out.push('/'); break;
      case 'b': out.push('\b'); break;
      case 'f': out.push('\f'); break;
      case 'n': out.push('\n'); break;
      case 'r': out.push('\r'); break;
      case 't': out.push('\t'); break;
      default: return fail("invalid escape in a string");
      }
    }
  }

  bool digits(CappedText& out)
  {
    const int first = peek();
    if (first < '0' || first > '9') {
      syntax(first, "a digit");
      return false;
    }
    for (int c = peek(); c >= '0' && c <= '9'; c = peek()) {
      out.push(static_cast<char>(take()));
    }
    return true;
  }

  // A number, kept as written: "-12.5e3".
  bool parse_number(CappedText& out)
  {
    if (peek() == '-') {
      out.push(static_cast<char>(take()));
    }
    if (peek() == '0') {
      out.push(static_cast<char>(take()));
    } else if (!digits(out)) {
      return false;
    }
    if (peek() == '.') {
      out.push(static_cast<char>(take()));
      if (!digits(out)) {
        return false;
      }
    }
    if (peek() == 'e' || peek() == 'E') {
      out.push(static_cast<char>(take()));
      if (peek() == '+' || peek() == '-') {
        out.push(static_cast<char>(take()));
      }
      if (!digits(out)) {
        return false;
      }
    }
    return true;
  }

  bool parse_word(std::string_view word)
  {
    for (const char w : word) {
      const int c = take();
      if (c != w) {
        std::string expected(1, '\'');
        expected.append(word).push_back('\'');
        syntax(c, expected);
        return false;
      }
    }
    return true;
  }

  // Any value, checked and thrown away (nested values of a bad entry).
  bool skip_value(std::size_t depth)
  {
    if (depth > k_max_json_depth) {
      return fail("nested deeper than " + std::to_string(k_max_json_depth) + " levels");
    }
    skip_blanks();
    CappedText scratch;
    const int c = peek();
    if (c == '"') {
      return parse_string(scratch);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      return parse_number(scratch);
    }
    if (c == 't') {
      return parse_word("true");
    }
    if (c == 'f') {
      return parse_word("false");
    }
    if (c == 'n') {
      return parse_word("null");
    }
    if (c != '{' && c != '[') {
      syntax(c, "a value");
      return false;
    }
    const bool object = c == '{';
    const char close = object ? '}' : ']';
    take();
    skip_blanks();
    if (peek() == close) {
      take();
      return true;
    }
    for (;;) {
      if (object) {
        skip_blanks();
        if (!parse_string(scratch)) {
          return false;
        }
        skip_blanks();
        if (!expect(':', "':'")) {
          return false;
        }
      }
      if (!skip_value(depth + 1)) {
        return false;
      }
      skip_blanks();
      const int next = take();
      if (next == close) {
        return true;
      }
      if (next != ',') {
        syntax(next, object ? "',' or '}'" : "',' or ']'");
        return false;
      }
    }
  }

  // One entry of the array. False on a syntax error; `problem` says why a well-formed entry is bad.
  bool parse_entry(RawRow& raw, std::string& problem)
  {
    const auto note = [&](std::string text) {
      if (problem.empty()) {
        problem = std::move(text);
      }
    };
    if (peek() != '{') {
      note("entry is not an object");
      return skip_value(1);
    }
    take();
    skip_blanks();
    if (peek() == '}') {
      take();
      return true;
    }
    ColumnNames names;
    for (std::size_t keys = 1;; ++keys) {
      skip_blanks();
      CappedText key{{}, m_limits.max_field_bytes};
      if (!parse_string(key)) {
        return false;
      }
      skip_blanks();
      if (!expect(':', "':'")) {
        return false;
      }
      skip_blanks();

      CappedText value{{}, m_limits.max_field_bytes};
      const int c = peek();
      if (c == '"') {
        if (!parse_string(value)) {
          return false;
        }
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        if (!parse_number(value)) {
          return false;
        }
      } else if (c == 't' || c == 'f') {
        value.text = c == 't' ? "true" : "false";
        if (!parse_word(value.text)) {
          return false;
        }
      } else if (c == 'n') {
        if (!parse_word("null")) {
          return false;
        }
      } else if (c == '{' || c == '[') {
        note("value of " + quote_for_message(key.text) + " is " +
             (c == '{' ? "an object" : "an array"));
        if (!skip_value(2)) {
          return false;
        }
      } else {
        syntax(c, "a value");
        return false;
      }

      const auto name = trim_blanks(key.text);
      if (key.too_long) {
        note("key longer than " + std::to_string(m_limits.max_field_bytes) + " bytes");
      } else if (value.too_long) {
        note("value of " + quote_for_message(name) + " longer than " +
             std::to_string(m_limits.max_field_bytes) + " bytes");
      } else if (name.empty()) {
        note("empty key");
      } else if (keys > k_max_columns) {
        note("more than " + std::to_string(k_max_columns) + " keys");
      } else if (problem.empty()) {
        std::string duplicate;
        const auto known = names.add(name, duplicate);
        if (!duplicate.empty()) {
          note(duplicate_message("key", name, duplicate));
        } else if (known) {
          raw.known[static_cast<std::size_t>(*known)] = std::move(value.text);
        } else {
          raw.extra.emplace_back(std::string(name), std::move(value.text));
        }
      }

      skip_blanks();
      const int next = take();
      if (next == '}') {
        return true;
      }
      if (next != ',') {
        syntax(next, "',' or '}'");
        return false;
      }
    }
  }

  std::streambuf* m_buf;
  std::string m_source;
  std::size_t m_line;
  InventoryLimits m_limits;
  RowCollector& m_collector;
  std::optional<Error> m_error;
};

} // namespace

void Inventory::index()
{
  m_by_ip.clear();
  m_by_mac.clear();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].ip.empty()) {
      m_by_ip.emplace(rows[i].ip, i);
    }
    if (!rows[i].mac.empty()) {
      m_by_mac.emplace(rows[i].mac, i);
    }
  }
}

const InventoryRow* Inventory::find_by_ip(std::string_view ip) const
{
  auto found = m_by_ip.find(std::string(ip));
  if (found == m_by_ip.end()) {
    // Not canonical as given ("2001:DB8::0001")? Try the canonical text.
    const auto address = parse_address(ip);
    if (!address) {
      return nullptr;
    }
    found = m_by_ip.find(format_address(address->first, address->second));
    if (found == m_by_ip.end()) {
      return nullptr;
    }
  }
  return &rows[found->second];
}

const InventoryRow* Inventory::find_by_mac(std::string_view mac) const
{
  auto found = m_by_mac.find(std::string(mac));
  if (found == m_by_mac.end()) {
    const auto normalized = normalize_mac(mac);
    if (!normalized) {
      return nullptr;
    }
    found = m_by_mac.find(*normalized);
    if (found == m_by_mac.end()) {
      return nullptr;
    }
  }
  return &rows[found->second];
}

Result<Inventory> read_inventory(std::istream& in, std::string_view source_name, bool lenient,
                                 const InventoryLimits& limits)
{
  if (in.rdbuf() == nullptr) {
    return Error{std::string(source_name) + ": no input"};
  }
  if (!skip_byte_order_mark(in)) {
    return Error{std::string(source_name) + ":1: invalid byte order mark"};
  }
  // Blank space before the first character decides the form and moves the line count.
  std::streambuf& buf = *in.rdbuf();
  std::size_t line = 1;
  for (int c = buf.sgetc(); c == ' ' || c == '\t' || c == '\r' || c == '\n'; c = buf.sgetc()) {
    buf.sbumpc();
    if (c == '\n' || (c == '\r' && buf.sgetc() != '\n')) {
      ++line;
    }
  }
  if (buf.sgetc() == '[') {
    RowCollector collector(source_name, lenient, true, limits);
    JsonInventoryReader reader(in, source_name, line, limits, collector);
    if (auto error = reader.read()) {
      return *error;
    }
    return collector.finish();
  }
  return read_csv(in, source_name, lenient, limits, line);
}

Result<Inventory> load_inventory_file(const std::string& path, bool lenient)
{
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Error{"cannot read inventory '" + path + "': " + std::strerror(EISDIR)};
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno != 0 ? errno : ENOENT;
    return Error{"cannot read inventory '" + path + "': " + std::strerror(error)};
  }
  return read_inventory(in, path, lenient);
}

} // namespace fleetcert
