#pragma once
// Making attacker-controlled text safe for each output: valid UTF-8 for JSON, cells a spreadsheet
// never evaluates for CSV, and no raw control characters (ANSI escapes) for a terminal.
// Every text field of a certificate may hold any bytes; these functions accept any bytes too.

#include <cstddef>
#include <string>
#include <string_view>

namespace fleetcert {

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points
// above U+10FFFF). NUL and other control characters are valid UTF-8.
bool is_valid_utf8(std::string_view text);

// `text` with every ill-formed byte sequence (maximal subpart, as Unicode recommends) replaced by
// U+FFFD; well-formed text comes back unchanged, NUL and control characters included.
std::string to_valid_utf8(std::string_view text);

// Lower-case hex of the bytes, two digits per byte: "Caf\xE9" -> "436166e9".
std::string hex_encode(std::string_view bytes);

// One RFC 4180 CSV cell, quoted when it holds a comma, a quote, CR or LF. For `untrusted` text:
// made valid UTF-8, control characters other than TAB/CR/LF shown as `\xNN`, bidirectional
// controls and line separators (is_layout_control) as `\u{NNNN}` like terminal_safe, and prefixed
// by `'` when it starts with = + - @ TAB or CR, so that a spreadsheet never evaluates it as a formula.
std::string csv_cell(std::string_view text, bool untrusted);

// `text` as valid UTF-8 with every control character shown as an escape: C0 and DEL as `\xNN`,
// C1 (U+0080-U+009F), bidirectional overrides and line separators as `\u{NNNN}`. No terminal
// escape sequence survives.
std::string terminal_safe(std::string_view text);

// Columns a terminal uses for valid UTF-8 `text` (wide East Asian characters count 2, combining
// marks 0). An approximation of wcwidth() that does not depend on the locale.
std::size_t display_width(std::string_view text);

// terminal_safe(text) cut to at most `max_width` columns, ending in "…" when it was cut. An
// escape is never cut in the middle.
std::string terminal_safe_fit(std::string_view text, std::size_t max_width);

} // namespace fleetcert
