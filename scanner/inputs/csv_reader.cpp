// RFC 4180 records, read a byte at a time from the stream buffer with every field capped.

#include "scanner/inputs/csv_reader.hpp"

#include <istream>
#include <string>

namespace fleetcert {

namespace {

constexpr int k_eof = std::char_traits<char>::eof();

} // namespace

CsvReader::CsvReader(std::istream& in, std::string_view source_name, CsvOptions options,
                     std::size_t first_line)
  : m_stream(&in), m_buf(in.rdbuf()), m_source(source_name), m_options(options), m_line(first_line)
{
}

int CsvReader::peek() const
{
  return m_buf ? m_buf->sgetc() : k_eof;
}

int CsvReader::take()
{
  return m_buf ? m_buf->sbumpc() : k_eof;
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
      if (after != ',' && after != '\r' && after != '\n' && after != k_eof &&
          record.problem.empty()) {
        record.problem = "text after the closing quote in field " + std::to_string(record.field_count);
      }
    }
    // Unquoted text (or what follows a closing quote): up to a comma or the end of the line.
    for (int c = peek(); c != k_eof && c != ',' && c != '\r' && c != '\n'; c = peek()) {
      add(take());
    }
    if (record.field_count <= m_options.max_fields) {
      record.fields.push_back(std::move(field));
    } else if (record.problem.empty()) {
      record.problem = "more than " + std::to_string(m_options.max_fields) + " fields";
    }
    if (peek() == ',') {
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
