// The inventory readers. Both forms end in the same place: a raw row (six known columns and the
// extras, as written) goes through RowCollector, which checks it, normalises MAC and address,
// rejects duplicates and either fails the read or, when lenient, skips the row with a warning.
//
//   CSV:  CsvReader records ──> header ──────────────────────────────> RawRow ─┐
//   JSON: JsonCursor (bytes) ──> json::sax_parse ──> JsonRowReader ──> RawRow ─┴─> RowCollector ──> Inventory

#include "scanner/inputs/inventory.hpp"

#include "scanner/util/ascii.hpp"
#include "scanner/util/digest.hpp"

#include "scanner/util/input_file.hpp"
#include "scanner/util/mac.hpp"
#include "scanner/util/text.hpp"
#include "scanner/inputs/csv_reader.hpp"
#include "scanner/targets/targets.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <iterator>
#include <optional>

namespace fleetcert {

namespace {

constexpr std::size_t k_max_columns = 1024; // CSV columns, or keys of one JSON object
constexpr std::size_t k_max_json_depth = 64;
constexpr int k_eof = std::char_traits<char>::eof();

// The known columns, in the order of RawRow::known.
enum class Column : std::size_t { mac, ip, hostname, vendor, model, site };
constexpr std::size_t k_known_columns = 6;

// The known column a (trimmed, lower-case) name stands for, aliases included; spaces, '-' and '_'
// do not count ("Host Name", "host-name", "HOSTNAME", "MAC_Address").
std::optional<Column> known_column(std::string_view lower)
{
  std::string name;
  for (const char c : lower) {
    if (c != ' ' && c != '-' && c != '_') {
      name.push_back(c);
    }
  }
  if (name == "mac" || name == "macaddress") {
    return Column::mac;
  }
  if (name == "ip" || name == "ipaddress" || name == "address") {
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

// The hint for a header without an address column.
constexpr std::string_view k_accepted_columns =
    "an ip column is named ip, ip address or address, a hostname column hostname, host name, host or name "
    "(any case; spaces, '-' and '_' alike; the delimiter is ',', ';' or TAB)";

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
  options.detect_delimiter = true;
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
    std::string found;
    for (const std::string& field : record.fields) {
      found += (found.empty() ? "" : ", ") + quote_for_message(trim_blanks(field));
    }
    return collector.fatal(record.line, "header has neither an ip nor a hostname column: found " + found + " (read as "
                                            + delimiter_name(reader.delimiter())
                                            + "-separated); " + std::string(k_accepted_columns));
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

using Json = nlohmann::json;

// A place in the inventory file: line and column, both 1-based; the column counts bytes.
struct TextPosition
{
  std::size_t line = 1;
  std::size_t column = 1;
};

// The bytes nlohmann's lexer reads, taken from the stream one at a time and counted, so that an
// error's byte offset becomes a line and column. The lexer holds in memory what it read since the
// last string or number began; the cursor caps that run at `max_run` bytes by ending the input
// early, and remembers doing so.
class JsonCursor
{
public:
  // An input iterator over the cursor's bytes; a default-constructed one is the end.
  class Iterator
  {
  public:
    using iterator_category = std::input_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char*;
    using reference = char;

    Iterator() = default;
    explicit Iterator(JsonCursor& cursor) : m_cursor(&cursor) {}
    char operator*() const { return static_cast<char>(m_cursor->m_buf.sgetc()); }
    Iterator& operator++()
    {
      m_cursor->advance();
      return *this;
    }
    bool operator==(const Iterator& other) const { return at_end() == other.at_end(); }

  private:
    bool at_end() const { return m_cursor == nullptr || m_cursor->at_end(); }
    JsonCursor* m_cursor = nullptr;
  };

  JsonCursor(std::streambuf& buf, TextPosition start, std::size_t max_run)
    : m_buf(buf), m_line{start.line, 0, start.column}, m_previous_line(m_line), m_run_start(start),
      m_max_run(max_run)
  {
  }

  Iterator begin() { return Iterator(*this); }
  static Iterator end() { return Iterator(); }

  // The place of the byte at `offset` (0-based, from where the cursor started; the end of the
  // input is one past the last byte). Only the last two lines are known: nlohmann's lexer reports
  // the byte it read last, or the one before it.
  TextPosition place(std::size_t offset) const
  {
    const LineStart& line = offset >= m_line.offset ? m_line : m_previous_line;
    return {line.line, line.column + (offset >= line.offset ? offset - line.offset : 0)};
  }
  // The place of the byte read last.
  TextPosition last_read() const { return place(m_offset == 0 ? 0 : m_offset - 1); }

  // A string or number was read: the lexer's run starts over. A number ends at the byte after it,
  // which the lexer has read ahead (and will read again) unless the input ended.
  void token_ended(bool read_ahead)
  {
    const std::size_t ahead = read_ahead && m_offset > 0 && !m_ended ? 1 : 0;
    m_run = ahead;
    m_run_start = place(m_offset - ahead);
  }
  // Whether the input was cut at the cap, and where the run that went over it began.
  bool cut() const { return m_cut; }
  TextPosition run_start() const { return m_run_start; }

private:
  // Where a line begins: its number, the offset of its first byte and that byte's column.
  struct LineStart
  {
    std::size_t line;
    std::size_t offset;
    std::size_t column;
  };

  bool at_end()
  {
    m_cut = m_cut || m_run >= m_max_run;
    m_ended = m_cut || m_buf.sgetc() == k_eof;
    return m_ended;
  }

  // Line ends as in the CSV reader: CRLF, LF or CR.
  void advance()
  {
    const int c = m_buf.sbumpc();
    ++m_offset;
    ++m_run;
    if (c == '\n' && m_after_cr) {
      m_line.offset = m_offset; // the LF of a CRLF: counted at the CR, the line begins after it
    } else if (c == '\n' || c == '\r') {
      m_previous_line = m_line;
      m_line = LineStart{m_line.line + 1, m_offset, 1};
    }
    m_after_cr = c == '\r';
  }

  std::streambuf& m_buf;
  std::size_t m_offset = 0; // bytes read
  LineStart m_line;
  LineStart m_previous_line;
  TextPosition m_run_start;
  std::size_t m_max_run;
  std::size_t m_run = 0;
  bool m_after_cr = false;
  bool m_ended = false;
  bool m_cut = false;
};

// nlohmann's message without its prefix ("[json.exception.parse_error.101] parse error at line 1,
// column 4: ") and without the text it last read: the position says where, and the text may be
// long or not UTF-8.
std::string json_error_text(const std::string& last_token, const nlohmann::detail::exception& error)
{
  if (error.id == 406) { // the only out_of_range error of a JSON text: a number beyond a double
    return "number out of range " + quote_for_message(last_token);
  }
  std::string text = error.what();
  if (const auto at = text.find(": syntax error"); at != std::string::npos) {
    text.erase(0, at + 2);
  } else if (const auto end = text.find("] "); end != std::string::npos) {
    text.erase(0, end + 2);
  }
  const std::string last_read = "; last read: '" + last_token + "'";
  if (const auto at = text.find(last_read); at != std::string::npos) {
    text.erase(at, last_read.size());
  }
  // After a value in an array or object nlohmann names only the closing bracket; a comma fits too.
  for (const std::string_view tail : {"; expected ']'", "; expected '}'"}) {
    if (text.ends_with(tail)) {
      text.insert(text.size() - 3, "',' or ");
    }
  }
  return text;
}

// Turns nlohmann's SAX events for an array of flat objects into RawRows, one entry at a time.
// Syntax errors (and the caps on nesting and on the lexer's run) are fatal; a bad entry is the
// collector's business. m_depth counts the open arrays and objects: 1 in the array, 2 in an entry.
class JsonRowReader final : public nlohmann::json_sax<Json>
{
public:
  JsonRowReader(JsonCursor& cursor, std::string_view source, const InventoryLimits& limits,
                RowCollector& collector)
    : m_cursor(cursor), m_source(source), m_limits(limits), m_collector(collector)
  {
  }

  bool null() override { return scalar({}); }
  bool boolean(bool value) override { return scalar(value ? "true" : "false"); }
  bool number_integer(number_integer_t value) override { return number(std::to_string(value)); }
  bool number_unsigned(number_unsigned_t value) override { return number(std::to_string(value)); }
  bool number_float(number_float_t /*value*/, const string_t& text) override { return number(text); }
  bool string(string_t& text) override
  {
    m_cursor.token_ended(false);
    return scalar(std::move(text));
  }
  bool binary(binary_t& /*value*/) override { return true; } // JSON text has none
  bool key(string_t& name) override
  {
    m_cursor.token_ended(false);
    m_key = std::move(name);
    return true;
  }
  bool start_object(std::size_t /*elements*/) override { return open(true); }
  bool start_array(std::size_t /*elements*/) override { return open(false); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }

  // `position` counts the bytes read, the offending one included.
  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& error) override
  {
    if (m_cursor.cut()) {
      return fail(m_cursor.run_start(), run_cap_message());
    }
    return fail(m_cursor.place(position == 0 ? 0 : position - 1), json_error_text(last_token, error));
  }

  // After sax_parse: why it stopped, if it did. A parse that went through may still have had its
  // input cut, in the blanks after the array.
  std::optional<Error> finish()
  {
    if (!m_error && m_cursor.cut()) {
      fail(m_cursor.run_start(), run_cap_message());
    }
    return m_error;
  }

private:
  std::string run_cap_message() const
  {
    return "no string or number ends in the " + std::to_string(m_limits.max_json_run_bytes) +
           " bytes from here";
  }

  bool fail(TextPosition where, const std::string& message)
  {
    m_error = Error{m_source + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) +
                    ": invalid JSON: " + message};
    return false;
  }

  void note(std::string problem)
  {
    if (m_problem.empty()) {
      m_problem = std::move(problem);
    }
  }

  bool number(std::string text)
  {
    m_cursor.token_ended(true);
    return scalar(std::move(text));
  }

  bool open(bool object)
  {
    if (m_depth == k_max_json_depth) {
      return fail(m_cursor.last_read(), "nested deeper than " + std::to_string(k_max_json_depth) + " levels");
    }
    ++m_depth;
    if (m_depth == 2) {
      if (!begin_entry()) {
        return false;
      }
      m_in_object = object;
      if (!object) {
        note("entry is not an object");
      }
    } else if (m_depth == 3 && m_in_object) {
      add_column({}, object ? "an object" : "an array");
    }
    return true;
  }

  bool close()
  {
    --m_depth;
    return m_depth != 1 || end_entry();
  }

  bool scalar(std::string text)
  {
    if (m_depth == 1) {
      if (!begin_entry()) {
        return false;
      }
      note("entry is not an object");
      return end_entry();
    }
    if (m_depth == 2 && m_in_object) {
      add_column(std::move(text), nullptr);
    }
    return true;
  }

  bool begin_entry()
  {
    ++m_entry;
    if (auto error = m_collector.count(m_entry)) {
      m_error = std::move(error);
      return false;
    }
    m_raw = RawRow{};
    m_raw.line = m_entry;
    m_problem.clear();
    m_names = ColumnNames{};
    m_keys = 0;
    m_in_object = false;
    return true;
  }

  bool end_entry()
  {
    auto error = m_problem.empty() ? m_collector.add(std::move(m_raw)) : m_collector.reject(m_entry, m_problem);
    if (error) {
      m_error = std::move(error);
      return false;
    }
    return true;
  }

  // The entry's key m_key has `value`, or a nested value of the kind `nested` names.
  void add_column(std::string value, const char* nested)
  {
    ++m_keys;
    const std::size_t cap = m_limits.max_field_bytes;
    if (nested != nullptr) {
      note("value of " + quote_for_message(m_key) + " is " + nested);
    }
    const auto name = trim_blanks(m_key);
    if (m_key.size() > cap) {
      note("key longer than " + std::to_string(cap) + " bytes");
    } else if (value.size() > cap) {
      note("value of " + quote_for_message(name) + " longer than " + std::to_string(cap) + " bytes");
    } else if (name.empty()) {
      note("empty key");
    } else if (m_keys > k_max_columns) {
      note("more than " + std::to_string(k_max_columns) + " keys");
    } else if (m_problem.empty()) {
      std::string duplicate;
      const auto known = m_names.add(name, duplicate);
      if (!duplicate.empty()) {
        note(duplicate_message("key", name, duplicate));
      } else if (known) {
        m_raw.known[static_cast<std::size_t>(*known)] = std::move(value);
      } else {
        m_raw.extra.emplace_back(std::string(name), std::move(value));
      }
    }
  }

  JsonCursor& m_cursor;
  std::string m_source;
  InventoryLimits m_limits;
  RowCollector& m_collector;
  std::optional<Error> m_error;
  std::size_t m_depth = 0;
  std::size_t m_entry = 0;
  // The entry being read.
  bool m_in_object = false;
  RawRow m_raw;
  std::string m_problem;
  ColumnNames m_names;
  std::size_t m_keys = 0;
  std::string m_key;
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
  TextPosition start;
  for (int c = buf.sgetc(); c == ' ' || c == '\t' || c == '\r' || c == '\n'; c = buf.sgetc()) {
    buf.sbumpc();
    if (c == '\n' || (c == '\r' && buf.sgetc() != '\n')) {
      ++start.line;
      start.column = 1;
    } else if (c != '\r') {
      ++start.column;
    }
  }
  if (buf.sgetc() == '[') {
    RowCollector collector(source_name, lenient, true, limits);
    JsonCursor cursor(buf, start, limits.max_json_run_bytes);
    JsonRowReader reader(cursor, source_name, limits, collector);
    Json::sax_parse(cursor.begin(), cursor.end(), &reader, Json::input_format_t::json, true);
    if (auto error = reader.finish()) {
      return *error;
    }
    return collector.finish();
  }
  return read_csv(in, source_name, lenient, limits, start.line);
}

Result<Inventory> load_inventory_file(const std::string& path, bool lenient)
{
  std::ifstream in;
  if (const std::string problem = open_input_file(in, path); !problem.empty()) {
    return Error{"cannot read inventory '" + path + "': " + problem};
  }
  // Hashed as the reader pulls the bytes (the file is read once), for the report's audit settings.
  HashingStreambuf hashing(*in.rdbuf());
  std::istream hashed(&hashing);
  Result<Inventory> inventory = read_inventory(hashed, path, lenient);
  if (inventory) {
    hashing.drain();
    inventory->sha256 = hashing.hex();
  }
  return inventory;
}

} // namespace fleetcert
