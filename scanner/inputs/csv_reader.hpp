#pragma once
// An RFC 4180 record reader for the inventory and the IEEE registry files: quoted fields with
// commas, doubled quotes and line breaks; CRLF, LF or CR line ends; a UTF-8 BOM is skipped. The
// delimiter is ',' or, when asked, detected from the first record (';' or TAB as spreadsheets in
// some locales write them).
// Every field and every record has a cap, so hostile input cannot make it grow without bound.

#include "scanner/model/result.hpp"

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace fleetcert {

// Caps and dialect of a CsvReader.
struct CsvOptions
{
  std::size_t max_field_bytes = 4096; // a longer field is cut here and reported in `problem`
  std::size_t max_fields = 1024;      // fields past this are counted, not stored
  bool comments = false;              // a line starting with '#' between records is skipped
  char delimiter = ',';                // between fields (unless detected)
  bool detect_delimiter = false;       // ',', ';' or TAB: whichever the first record's line has most
                                       // of outside quotes (',' when none or tied)
};

// "comma", "semicolon", "tab": a delimiter named in a message.
const char* delimiter_name(char delimiter);

// One record as read: the fields, where it started, and what was wrong with it, if anything.
struct CsvRecord
{
  std::vector<std::string> fields; // at most max_fields, each at most max_field_bytes
  std::size_t field_count = 0;     // fields in the record, stored or not
  std::size_t line = 0;            // physical line the record starts on
  std::string problem;             // first recoverable problem ("field 3 longer than 4096 bytes")
};

class CsvReader
{
public:
  // Reads from `in`; errors name `source_name`. `first_line` is the number of the current line.
  CsvReader(std::istream& in, std::string_view source_name, CsvOptions options = {},
            std::size_t first_line = 1);

  // Reads the next record, skipping blank lines (and comments if enabled). False at the end.
  // An unterminated quoted field is an error: "inv.csv:7: unterminated quoted field".
  Result<bool> next(CsvRecord& record);

  // The line the reader is on (1-based).
  std::size_t line() const { return m_line; }

  // The delimiter in use (detected once the first record is read, when asked to).
  char delimiter() const { return m_options.delimiter; }

private:
  int peek() const;
  int take();
  // Reads the rest of the current line ahead into m_ahead and picks the delimiter from it.
  void detect_delimiter();
  // Consumes one line end (CRLF, LF or CR) if one is next; true if it did.
  bool take_line_end();

  std::istream* m_stream;
  std::streambuf* m_buf;
  std::string m_source;
  CsvOptions m_options;
  std::size_t m_line;
  bool m_started = false;
  std::string m_ahead;           // bytes read ahead for detect_delimiter, taken before the stream's
  std::size_t m_ahead_taken = 0;
};

// Consumes a UTF-8 byte order mark (EF BB BF) at the start of `in`; false if `in` starts with
// EF BB but not the third byte. Anything else is left in place.
bool skip_byte_order_mark(std::istream& in);

} // namespace fleetcert
