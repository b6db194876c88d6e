#include "scanner/util/text.hpp"

#include <cstdio>

namespace fleetcert {
namespace {

constexpr std::string_view k_blanks = " \t\r\n\v\f";
constexpr char32_t k_replacement = 0xFFFD;

bool is_c1_control(char32_t cp)
{
  return cp >= 0x80 && cp <= 0x9F;
}

} // namespace

bool is_layout_control(char32_t cp)
{
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

std::string_view trim_blanks(std::string_view text)
{
  const auto first = text.find_first_not_of(k_blanks);
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(k_blanks);
  return text.substr(first, last - first + 1);
}

std::vector<std::string_view> split(std::string_view text, char separator)
{
  std::vector<std::string_view> pieces;
  std::size_t start = 0;
  for (;;) {
    const std::size_t at = text.find(separator, start);
    if (at == std::string_view::npos) {
      pieces.push_back(text.substr(start));
      return pieces;
    }
    pieces.push_back(text.substr(start, at - start));
    start = at + 1;
  }
}

std::string quote_for_message(std::string_view text)
{
  std::string out = "'";
  std::size_t pos = 0;
  while (pos < text.size()) {
    const Utf8Step step = decode_utf8(text, pos);
    if (pos + step.length > k_quote_max_bytes) {
      break;
    }
    if (step.valid) {
      append_terminal_escaped(out, step.code_point);
    } else {
      for (std::size_t i = 0; i < step.length; ++i) {
        append_byte_escape(out, static_cast<unsigned char>(text[pos + i]));
      }
    }
    pos += step.length;
  }
  if (pos < text.size()) {
    out += "...";
  }
  out += "'";
  return out;
}

Utf8Step decode_utf8(std::string_view text, std::size_t pos)
{
  const auto lead = static_cast<unsigned char>(text[pos]);
  if (lead < 0x80) {
    return {lead, 1, true};
  }
  std::size_t trailing = 0;
  char32_t code_point = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    trailing = 1;
    code_point = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    trailing = 2;
    code_point = lead & 0x0Fu;
    if (lead == 0xE0) {
      low = 0xA0; // no overlong forms
    } else if (lead == 0xED) {
      high = 0x9F; // no surrogates
    }
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    trailing = 3;
    code_point = lead & 0x07u;
    if (lead == 0xF0) {
      low = 0x90; // no overlong forms
    } else if (lead == 0xF4) {
      high = 0x8F; // nothing above U+10FFFF
    }
  } else {
    return {k_replacement, 1, false};
  }
  for (std::size_t k = 1; k <= trailing; ++k) {
    if (pos + k >= text.size()) {
      return {k_replacement, k, false};
    }
    const auto byte = static_cast<unsigned char>(text[pos + k]);
    if (byte < low || byte > high) {
      return {k_replacement, k, false};
    }
    low = 0x80;
    high = 0xBF;
    code_point = (code_point << 6) | (byte & 0x3Fu);
  }
  return {code_point, trailing + 1, true};
}

void append_utf8(std::string& out, char32_t cp)
{
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

void append_terminal_escaped(std::string& out, char32_t cp)
{
  if (cp < 0x20 || cp == 0x7F) {
    append_byte_escape(out, static_cast<unsigned>(cp));
  } else if (is_c1_control(cp) || is_layout_control(cp)) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "\\u{%x}", static_cast<unsigned>(cp));
    out += buffer;
  } else {
    append_utf8(out, cp);
  }
}

void append_byte_escape(std::string& out, unsigned value)
{
  static constexpr char k_hex[] = "0123456789abcdef";
  out += "\\x";
  out += k_hex[(value >> 4) & 0x0F];
  out += k_hex[value & 0x0F];
}

} // namespace fleetcert
