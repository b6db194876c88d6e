#include "reports/encoding/text_safety.hpp"

#include <cstdio>
#include <vector>

namespace fleetcert {

namespace {

constexpr char32_t k_replacement = 0xFFFD;

// One step of UTF-8 decoding at `pos`: a code point, or an ill-formed sequence whose length is
// its maximal subpart (Unicode 15, section 3.9, table 3-7: well-formed byte sequences).
struct Decoded
{
  char32_t code_point = 0;
  std::size_t length = 1;
  bool valid = false;
};

Decoded decode_one(std::string_view text, std::size_t pos)
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

// Calls `fn(code_point)` for each code point of `text`, U+FFFD for each ill-formed sequence.
template <typename Fn> void for_each_code_point(std::string_view text, Fn&& fn)
{
  std::size_t pos = 0;
  while (pos < text.size()) {
    const Decoded decoded = decode_one(text, pos);
    fn(decoded.code_point);
    pos += decoded.length;
  }
}

void append_byte_escape(std::string& out, char32_t cp)
{
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned>(cp));
  out += buffer;
}

void append_code_point_escape(std::string& out, char32_t cp)
{
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "\\u{%x}", static_cast<unsigned>(cp));
  out += buffer;
}

bool is_c1_control(char32_t cp) { return cp >= 0x80 && cp <= 0x9F; }

// Characters that reorder or break the lines a terminal shows ("Trojan Source" spoofing).
bool is_layout_control(char32_t cp)
{
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

// The terminal-safe form of one code point.
std::string terminal_piece(char32_t cp)
{
  std::string piece;
  if (cp < 0x20 || cp == 0x7F) {
    append_byte_escape(piece, cp);
  } else if (is_c1_control(cp) || is_layout_control(cp)) {
    append_code_point_escape(piece, cp);
  } else {
    append_utf8(piece, cp);
  }
  return piece;
}

std::size_t code_point_width(char32_t cp)
{
  if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200D) || cp == 0xFEFF) {
    return 0; // combining diacritical marks, zero-width characters
  }
  const bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
                    (cp >= 0x3041 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
                    (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
                    (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) ||
                    (cp >= 0x1F300 && cp <= 0x1F64F) || (cp >= 0x1F900 && cp <= 0x1F9FF) ||
                    (cp >= 0x20000 && cp <= 0x3FFFD);
  return wide ? 2 : 1;
}

} // namespace

bool is_valid_utf8(std::string_view text)
{
  std::size_t pos = 0;
  while (pos < text.size()) {
    const Decoded decoded = decode_one(text, pos);
    if (!decoded.valid) {
      return false;
    }
    pos += decoded.length;
  }
  return true;
}

std::string to_valid_utf8(std::string_view text)
{
  if (is_valid_utf8(text)) {
    return std::string(text);
  }
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t pos = 0;
  while (pos < text.size()) {
    const Decoded decoded = decode_one(text, pos);
    if (decoded.valid) {
      out.append(text.substr(pos, decoded.length));
    } else {
      append_utf8(out, k_replacement);
    }
    pos += decoded.length;
  }
  return out;
}

std::string hex_encode(std::string_view bytes)
{
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out += k_digits[byte >> 4];
    out += k_digits[byte & 0x0F];
  }
  return out;
}

std::string csv_cell(std::string_view text, bool untrusted)
{
  std::string cell;
  if (untrusted) {
    cell.reserve(text.size() + 2);
    for_each_code_point(text, [&cell](char32_t cp) {
      const bool line_character = cp == '\t' || cp == '\r' || cp == '\n';
      if ((cp < 0x20 && !line_character) || cp == 0x7F || is_c1_control(cp)) {
        append_byte_escape(cell, cp);
      } else {
        append_utf8(cell, cp);
      }
    });
    // OWASP "CSV injection": these leading characters make spreadsheets evaluate a formula.
    if (!cell.empty() && std::string_view("=+-@\t\r").find(cell.front()) != std::string_view::npos) {
      cell.insert(cell.begin(), '\'');
    }
  } else {
    cell.assign(text);
  }

  if (cell.find_first_of(",\"\r\n") == std::string::npos) {
    return cell;
  }
  std::string quoted;
  quoted.reserve(cell.size() + 4);
  quoted += '"';
  for (const char c : cell) {
    if (c == '"') {
      quoted += '"';
    }
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string terminal_safe(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  for_each_code_point(text, [&out](char32_t cp) { out += terminal_piece(cp); });
  return out;
}

std::size_t display_width(std::string_view text)
{
  std::size_t width = 0;
  for_each_code_point(text, [&width](char32_t cp) { width += code_point_width(cp); });
  return width;
}

std::string terminal_safe_fit(std::string_view text, std::size_t max_width)
{
  struct Piece
  {
    std::string text;
    std::size_t width;
  };
  std::vector<Piece> pieces;
  std::size_t total = 0;
  for_each_code_point(text, [&](char32_t cp) {
    std::string piece = terminal_piece(cp);
    const std::size_t width = piece.size() > 1 && piece.front() == '\\' ? piece.size()
                                                                         : code_point_width(cp);
    total += width;
    pieces.push_back({std::move(piece), width});
  });

  std::string out;
  if (total <= max_width) {
    for (const Piece& piece : pieces) {
      out += piece.text;
    }
    return out;
  }
  if (max_width == 0) {
    return out;
  }
  std::size_t width = 0;
  for (const Piece& piece : pieces) {
    if (width + piece.width > max_width - 1) {
      break;
    }
    out += piece.text;
    width += piece.width;
  }
  out += "\u2026";
  return out;
}

} // namespace fleetcert
