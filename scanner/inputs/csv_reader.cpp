// RFC 4180 records, read a byte at a time from the stream buffer with every field capped.

#include "scanner/inputs/csv_reader.hpp"

#include <istream>
#include <string>

namespace fleetcert {

namespace {

constexpr int k_eof = std::char_traits<char>::eof();
constexpr std::size_t k_max_detect_bytes = 65536; // of the first line, read ahead to pick the delimiter

} // namespace

const char* delimiter_name(char delimiter)
{
  switch (delimiter) {
  case ';':
    return "semicolon";
  case '\t':
    return "tab";
  default:
    return "comma";
  }
}

CsvReader::CsvReader(std::istream& in, std::string_view source_name, CsvOptions options,
                     std::size_t first_line)
  : m_stream(&in), m_buf(in.rdbuf()), m_source(source_name), m_options(options), m_line(first_line)
{
}

int CsvReader::peek() const
{
  if (m_ahead_taken < m_ahead.size()) {
    return std::char_traits<char>::to_int_type(m_ahead[m_ahead_taken]);
  }
  return m_buf ? m_buf->sgetc() : k_eof;
}

int CsvReader::take()
{
  if (m_ahead_taken < m_ahead.size()) {
    return std::char_traits<char>::to_int_type(m_ahead[m_ahead_taken++]);
  }
  return m_buf ? m_buf->sbumpc() : k_eof;
}

void CsvReader::detect_delimiter()
{
  for (int c = peek(); m_buf != nullptr && c != k_eof && c != '\r' && c != '\n' && m_ahead.size() < k_max_detect_bytes;
       c = m_buf->sgetc()) {
    m_ahead.push_back(static_cast<char>(m_buf->sbumpc()));
  }
  std::size_t commas = 0;
  std::size_t semicolons = 0;
  std::size_t tabs = 0;
  bool quoted = false;
  for (const char c : m_ahead) {
    if (c == '"') {
      quoted = !quoted; // a doubled quote toggles twice
    } else if (!quoted) {
      commas += c == ',' ? 1 : 0;
      semicolons += c == ';' ? 1 : 0;
      tabs += c == '\t' ? 1 : 0;
    }
  }
  m_options.delimiter = semicolons > commas && semicolons >= tabs ? ';' : tabs > commas && tabs > semicolons ? '\t' : ',';
}

bool CsvReader::take_line_end()
{
  const int c = peek();
  if (c == '\r') {
    take();
    if (peek() == '\n') {
      take();
    }
    return true;
  }
  if (c == '\n') {
    take();
    return true;
  }
  return false;
}

Result<bool> CsvReader::next(CsvRecord& record)
{
  if (!m_started) {
    m_started = true;
    if (!skip_byte_order_mark(*m_stream)) {
      return Error{m_source + ":" + std::to_string(m_line) + ": invalid byte order mark"};
    }
  }

  record.fields.clear();
  record.field_count = 0;
  record.problem.clear();

  // Blank lines and comments between records.
  for (;;) {
    const int c = peek();
    if (c == k_eof) {
      return false;
    }
    if (c == '\r' || c == '\n') {
      take_line_end();
      ++m_line;
      continue;
    }
    if (c == '#' && m_options.comments) {
      for (int d = peek(); d != k_eof && d != '\r' && d != '\n'; d = peek()) {
        take();
      }
      if (take_line_end()) {
        ++m_line;
      }
      continue;
    }
    break;
  }
  record.line = m_line;
  if (m_options.detect_delimiter) {
    m_options.detect_delimiter = false;
    detect_delimiter();
  }
  const int delimiter = std::char_traits<char>::to_int_type(m_options.delimiter);

  std::string field;
  const auto add = [&](int c) {
    if (field.size() < m_options.max_field_bytes) {
      field.push_back(static_cast<char>(c));
    } else if (record.problem.empty()) {
      record.problem = "field " + std::to_string(record.field_count) + " longer than " +
                       std::to_string(m_options.max_field_bytes) + " bytes";
    }
  };

  for (;;) {
    ++record.field_count;
    field.clear();
    if (peek() == '"') {
      take();
      for (;;) {
        const int c = take();
        if (c == k_eof) {
          return Error{m_source + ":" + std::to_string(record.line) + ": unterminated quoted field"};
        }
        if (c == '"') {
          if (peek() != '"') {
            break;
          }
          take();
        } else if (c == '\n' || (c == '\r' && peek() != '\n')) {
          ++m_line;
        }
        add(c);
      }
      const int after = peek();
      if (after != delimiter && after != '\r' && after != '\n' && after != k_eof &&
          record.problem.empty()) {
        record.problem = "text after the closing quote in field " + std::to_string(record.field_count);
      }
    }
    // Unquoted text (or what follows a closing quote): up to a delimiter or the end of the line.
    for (int c = peek(); c != k_eof && c != delimiter && c != '\r' && c != '\n'; c = peek()) {
      add(take());
    }
    if (record.field_count <= m_options.max_fields) {
      record.fields.push_back(std::move(field));
    } else if (record.problem.empty()) {
      record.problem = "more than " + std::to_string(m_options.max_fields) + " fields";
    }
    if (peek() == delimiter) {
      take();
      continue;
    }
    if (take_line_end()) {
      ++m_line;
    }
    return true;
  }
}

bool skip_byte_order_mark(std::istream& in)
{
  std::streambuf* buf = in.rdbuf();
  if (buf == nullptr || buf->sgetc() != 0xEF) {
    return true;
  }
  buf->sbumpc();
  if (buf->sgetc() != 0xBB) {
    buf->sputbackc(static_cast<char>(0xEF));
    return true;
  }
  buf->sbumpc();
  if (buf->sgetc() != 0xBF) {
    return false;
  }
  buf->sbumpc();
  return true;
}

} // namespace fleetcert
