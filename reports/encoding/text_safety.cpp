#include "reports/encoding/text_safety.hpp"

#include "scanner/util/text.hpp"

#include <vector>

namespace fleetcert {

namespace {

// Calls `fn(code_point)` for each code point of `text`, U+FFFD for each ill-formed sequence.
template <typename Fn> void for_each_code_point(std::string_view text, Fn&& fn)
{
  std::size_t pos = 0;
  while (pos < text.size()) {
    const Utf8Step step = decode_utf8(text, pos);
    fn(step.code_point);
    pos += step.length;
  }
}

// The terminal-safe form of one code point.
std::string terminal_piece(char32_t cp)
{
  std::string piece;
  append_terminal_escaped(piece, cp);
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
    const Utf8Step step = decode_utf8(text, pos);
    if (!step.valid) {
      return false;
    }
    pos += step.length;
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
    const Utf8Step step = decode_utf8(text, pos);
    if (step.valid) {
      out.append(text.substr(pos, step.length));
    } else {
      append_utf8(out, step.code_point); // U+FFFD
    }
    pos += step.length;
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
      if ((cp < 0x20 && !line_character) || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) { // C0, DEL, C1
        append_byte_escape(cell, static_cast<unsigned>(cp));
      } else if (is_layout_control(cp)) { // bidi controls, line separators: as the terminal shows them
        append_terminal_escaped(cell, cp);
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
