#pragma once
// Text helpers every stage uses: trimming, splitting lists, quoting untrusted text in messages,
// naming vocabulary words, and the UTF-8 decoding and terminal escaping they rest on
// (reports/encoding/text_safety builds its writers on the same pieces).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleetcert {

// `text` without blanks (space, TAB, CR, LF, VT, FF) at either end.
std::string_view trim_blanks(std::string_view text);

// The pieces between `separator`s, empty ones included and nothing trimmed: "a,,b" -> "a", "", "b";
// "" -> one empty piece. The pieces point into `text`.
std::vector<std::string_view> split(std::string_view text, char separator);

// Untrusted text quoted for an error or warning message: in single quotes, valid UTF-8 kept, every
// control character escaped as the terminal writers do (append_terminal_escaped), each byte of an
// invalid UTF-8 sequence as \xNN; cut after k_quote_max_bytes of input, never inside a character,
// with "..." before the closing quote.
std::string quote_for_message(std::string_view text);
inline constexpr std::size_t k_quote_max_bytes = 256;

// One word of a vocabulary (DESIGN.md): an enum value and how reports write it. A vocabulary's
// to_string and its parse function both read one table of these.
template <typename Enum> struct VocabularyWord
{
  Enum value;
  std::string_view word;
};

// The word of `value` in `words`; "" when the table has none.
template <typename Enum, std::size_t N>
constexpr std::string_view vocabulary_word(const VocabularyWord<Enum> (&words)[N], Enum value)
{
  for (const VocabularyWord<Enum>& entry : words) {
    if (entry.value == value) {
      return entry.word;
    }
  }
  return {};
}

// The value whose word is exactly `text`; nullopt for any other text, and for "".
template <typename Enum, std::size_t N>
constexpr std::optional<Enum> vocabulary_value(const VocabularyWord<Enum> (&words)[N], std::string_view text)
{
  for (const VocabularyWord<Enum>& entry : words) {
    if (!text.empty() && entry.word == text) {
      return entry.value;
    }
  }
  return std::nullopt;
}

// The vocabulary word of a value, "" when there is none.
template <typename Enum> std::string word_of(const std::optional<Enum>& value)
{
  return value ? std::string(to_string(*value)) : std::string();
}

// One step of UTF-8 decoding at a position: a code point, or an ill-formed sequence whose length
// is its maximal subpart (Unicode 15, section 3.9, table 3-7), with code_point U+FFFD.
struct Utf8Step
{
  char32_t code_point = 0;
  std::size_t length = 1;
  bool valid = false;
};
Utf8Step decode_utf8(std::string_view text, std::size_t pos);

// Appends the UTF-8 encoding of `code_point`.
void append_utf8(std::string& out, char32_t code_point);

// True for the characters that reorder or break the lines a reader sees ("Trojan Source"
// spoofing): the bidirectional marks, embeddings, overrides and isolates (U+061C, U+200E, U+200F,
// U+202A-U+202E, U+2066-U+2069) and the line and paragraph separators (U+2028, U+2029).
bool is_layout_control(char32_t code_point);

// Appends `code_point` as a terminal may show it: C0 controls and DEL as \xNN, C1 controls,
// bidirectional overrides and line separators as \u{NNNN}, anything else as UTF-8.
void append_terminal_escaped(std::string& out, char32_t code_point);

// Appends "\xNN" for a byte (or a code point below 0x100).
void append_byte_escape(std::string& out, unsigned value);

} // namespace fleetcert
