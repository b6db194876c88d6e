// Text helpers: trimming, splitting, quoting untrusted text for messages, vocabulary words.

#include "scanner/util/text.hpp"

#include "scanner/assessment/findings.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace fleetcert;
using namespace std::string_literals;

TEST_SUITE("util.text")
{
  TEST_CASE("trim_blanks removes blanks at both ends only")
  {
    CHECK(trim_blanks(" \t a b \r\n") == "a b");
    CHECK(trim_blanks("\v\fx\f") == "x");
    CHECK(trim_blanks(" \t ").empty());
    CHECK(trim_blanks("").empty());
    CHECK(trim_blanks("a") == "a");
  }

  TEST_CASE("split keeps empty pieces and trims nothing")
  {
    using Pieces = std::vector<std::string_view>;
    CHECK(split("443,5061", ',') == Pieces{"443", "5061"});
    CHECK(split("a,,b", ',') == Pieces{"a", "", "b"});
    CHECK(split(",a,", ',') == Pieces{"", "a", ""});
    CHECK(split(" a , b", ',') == Pieces{" a ", " b"});
    CHECK(split("", ',') == Pieces{""});
    CHECK(split("a;b", ',') == Pieces{"a;b"});
  }

  TEST_CASE("quote_for_message is safe for a terminal and keeps readable text")
  {
    SUBCASE("plain and UTF-8 text is kept")
    {
      CHECK(quote_for_message("10.0.0.0/33") == "'10.0.0.0/33'");
      CHECK(quote_for_message("M\xC3\xBCller") == "'M\xC3\xBCller'");
      CHECK(quote_for_message("") == "''");
    }
    SUBCASE("controls are escaped as the terminal writers escape them")
    {
      CHECK(quote_for_message("a\x1b[31m\x7f") == "'a\\x1b[31m\\x7f'");
      CHECK(quote_for_message("nul\0x"s) == "'nul\\x00x'");
      CHECK(quote_for_message("a\r\nb\t") == "'a\\x0d\\x0ab\\x09'");
      CHECK(quote_for_message("csi\xC2\x9B" "2J") == "'csi\\u{9b}2J'");
      CHECK(quote_for_message("rlo\xE2\x80\xAEgnp.exe") == "'rlo\\u{202e}gnp.exe'");
    }
    SUBCASE("bytes that are not UTF-8 are shown as \\xNN")
    {
      CHECK(quote_for_message("Caf\xE9") == "'Caf\\xe9'");
      CHECK(quote_for_message("\x9b[2J") == "'\\x9b[2J'");
      CHECK(quote_for_message("\xE2\x80") == "'\\xe2\\x80'"); // truncated sequence
      CHECK(quote_for_message("\xC0\xAF") == "'\\xc0\\xaf'"); // overlong '/'
    }
    SUBCASE("long text is cut, never inside a character")
    {
      const std::string long_text(k_quote_max_bytes + 1, 'x');
      CHECK(quote_for_message(long_text) == "'" + std::string(k_quote_max_bytes, 'x') + "...'");
      CHECK(quote_for_message(std::string(k_quote_max_bytes, 'x')) == "'" + std::string(k_quote_max_bytes, 'x') + "'");
      const std::string straddling = std::string(k_quote_max_bytes - 1, 'x') + "\xC3\xBC";
      CHECK(quote_for_message(straddling) == "'" + std::string(k_quote_max_bytes - 1, 'x') + "...'");
    }
  }

  TEST_CASE("a vocabulary table gives both directions")
  {
    enum class Colour
    {
      red,
      dark_blue,
      none,
    };
    constexpr VocabularyWord<Colour> words[] = {{Colour::red, "red"}, {Colour::dark_blue, "dark-blue"}, {Colour::none, ""}};
    for (const Colour colour : {Colour::red, Colour::dark_blue}) {
      CHECK(vocabulary_value(words, vocabulary_word(words, colour)) == colour);
    }
    CHECK(vocabulary_word(words, Colour::dark_blue) == "dark-blue");
    CHECK(vocabulary_word(words, Colour::none).empty());
    CHECK_FALSE(vocabulary_value(words, "dark_blue").has_value());
    CHECK_FALSE(vocabulary_value(words, "RED").has_value());
    CHECK_FALSE(vocabulary_value(words, "").has_value()); // "" is no word, even when a value writes as ""
    static_assert(vocabulary_word(words, Colour::red) == "red");
  }

  TEST_CASE("word_of: a value's word, empty without one")
  {
    CHECK(word_of(std::optional<Severity>(Severity::high)) == "high");
    CHECK(word_of(std::optional<Severity>()).empty());
  }

  TEST_CASE("decode_utf8 steps over maximal subparts")
  {
    const Utf8Step ok = decode_utf8("\xE2\x82\xAC", 0);
    CHECK(ok.valid);
    CHECK(ok.code_point == 0x20AC);
    CHECK(ok.length == 3);
    const Utf8Step bad = decode_utf8("\xE2\x82x", 0);
    CHECK_FALSE(bad.valid);
    CHECK(bad.code_point == 0xFFFD);
    CHECK(bad.length == 2);
    std::string out;
    append_utf8(out, 0x1F600);
    CHECK(out == "\xF0\x9F\x98\x80");
  }
}
