// Text safety for attacker-controlled certificate text: UTF-8 repair, CSV cells, terminal output;
// and the summary table, which must never let an escape sequence reach the terminal.

#include "reports/sinks/sink.hpp"
#include "reports/sinks/summary_table.hpp"
#include "reports/encoding/text_safety.hpp"
#include "scanner/util/text.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string>

using namespace fleetcert;
using namespace std::string_literals;

namespace {

const std::string k_fffd = "\xEF\xBF\xBD";

// True when no C0 control other than LF, no DEL and no C1 control (as UTF-8) is in `text`.
bool has_raw_controls(const std::string& text, bool allow_newline)
{
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\n' && allow_newline) {
      continue;
    }
    if (byte < 0x20 || byte == 0x7F) {
      return true;
    }
    if (byte == 0xC2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9F) {
        return true;
      }
    }
  }
  return false;
}

} // namespace

TEST_SUITE("reports.text_safety")
{
  TEST_CASE("is_valid_utf8 follows the Unicode well-formedness table")
  {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("plain ascii"));
    CHECK(is_valid_utf8("Caf\xC3\xA9"));
    CHECK(is_valid_utf8("\xE2\x82\xAC \xF0\x9F\x94\x92"));
    CHECK(is_valid_utf8("nul\0inside"s));
    CHECK_FALSE(is_valid_utf8("Caf\xE9"));         // Latin-1
    CHECK_FALSE(is_valid_utf8("\xC0\xAF"));         // overlong "/"
    CHECK_FALSE(is_valid_utf8("\xE0\x80\xAF"));     // overlong
    CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));     // surrogate
    CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80")); // above U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xE2\x82"));         // truncated
    CHECK_FALSE(is_valid_utf8("\xFF"));
  }

  TEST_CASE("to_valid_utf8 replaces each maximal ill-formed subpart with U+FFFD")
  {
    CHECK(to_valid_utf8("Caf\xE9") == "Caf" + k_fffd);
    CHECK(to_valid_utf8("Caf\xC3\xA9") == "Caf\xC3\xA9");
    CHECK(to_valid_utf8("a\xE2\x82z") == "a" + k_fffd + "z"); // one replacement for a truncated sequence
    CHECK(to_valid_utf8("\xF0\x80") == k_fffd + k_fffd);       // F0 80 is not a prefix of anything
    CHECK(to_valid_utf8("\xED\xA0\x80") == k_fffd + k_fffd + k_fffd);
    CHECK(to_valid_utf8("nul\0inside"s) == "nul\0inside"s);
    CHECK(is_valid_utf8(to_valid_utf8("\xFF\xFE\x80\xC3")));
  }

  TEST_CASE("hex_encode is lower-case, two digits a byte")
  {
    CHECK(hex_encode("") == "");
    CHECK(hex_encode("Caf\xE9") == "436166e9");
    CHECK(hex_encode("\0\xFF"s) == "00ff");
  }

  TEST_CASE("csv_cell quotes per RFC 4180")
  {
    CHECK(csv_cell("plain", false) == "plain");
    CHECK(csv_cell("a,b", false) == "\"a,b\"");
    CHECK(csv_cell("say \"hi\"", false) == "\"say \"\"hi\"\"\"");
    CHECK(csv_cell("two\nlines", false) == "\"two\nlines\"");
    CHECK(csv_cell("cr\rhere", false) == "\"cr\rhere\"");
    CHECK(csv_cell("", true) == "");
  }

  TEST_CASE("csv_cell neutralises formulas in untrusted text only")
  {
    CHECK(csv_cell("=HYPERLINK(\"http://x\")", true) == "\"'=HYPERLINK(\"\"http://x\"\")\"");
    CHECK(csv_cell("+1", true) == "'+1");
    CHECK(csv_cell("-1+2", true) == "'-1+2");
    CHECK(csv_cell("@SUM(A1)", true) == "'@SUM(A1)");
    CHECK(csv_cell("\t=1", true) == "'\t=1");
    CHECK(csv_cell("\r=1", true) == "\"'\r=1\"");
    CHECK(csv_cell("a=1", true) == "a=1");
    // Our own values stay as they are: a negative number is not a formula.
    CHECK(csv_cell("-5", false) == "-5");
  }

  TEST_CASE("csv_cell shows control characters in untrusted text as escapes")
  {
    CHECK(csv_cell("a\x01z", true) == "a\\x01z");
    CHECK(csv_cell("\x1b[31mred", true) == "\\x1b[31mred");
    CHECK(csv_cell("del\x7F", true) == "del\\x7f");
    CHECK(csv_cell("c1\xC2\x9B", true) == "c1\\x9b");
    CHECK(csv_cell("nul\0"s, true) == "nul\\x00");
    CHECK(csv_cell("Caf\xE9", true) == "Caf" + k_fffd);
    CHECK(csv_cell("tab\tok", true) == "tab\tok");
    CHECK(csv_cell("a\x01z", false) == "a\x01z");
  }

  TEST_CASE("csv_cell shows bidirectional controls in untrusted text as the terminal does")
  {
    // Every bidi embedding, override, isolate and mark, and the line separators: escaped, never raw.
    const char32_t layout[] = {0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A, 0x202B, 0x202C,
                               0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069};
    for (const char32_t cp : layout) {
      std::string raw;
      append_utf8(raw, cp);
      CAPTURE(static_cast<unsigned>(cp));
      const std::string cell = csv_cell("a" + raw + "b", true);
      CHECK(cell.find(raw) == std::string::npos);
      CHECK(cell == "a" + terminal_safe(raw) + "b");
    }
    CHECK(csv_cell("invoice\xE2\x80\xAEgpj.exe", true) == "invoice\\u{202e}gpj.exe");
    CHECK(csv_cell("\xE2\x81\xA6x\xE2\x81\xA9", true) == "\\u{2066}x\\u{2069}");
    // A formula behind a leading override starts with the escape: nothing to evaluate.
    CHECK(csv_cell("\xE2\x80\xAE=1+1", true) == "\\u{202e}=1+1");
    // A formula with an override inside is still neutralised.
    CHECK(csv_cell("=1+1\xE2\x80\xAE", true) == "'=1+1\\u{202e}");
    // Neighbours of the ranges are ordinary text: zero-width joiner, U+202F, U+2065, U+206A.
    for (const char* kept : {"\xE2\x80\x8D", "\xE2\x80\xAF", "\xE2\x81\xA5", "\xE2\x81\xAA"}) {
      CHECK(csv_cell(kept, true) == kept);
    }
    // Our own values are not rewritten.
    CHECK(csv_cell("a\xE2\x80\xAE" "b", false) == "a\xE2\x80\xAE" "b");
  }

  TEST_CASE("terminal_safe lets no control character through")
  {
    CHECK(terminal_safe("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m");
    CHECK(terminal_safe("a\rb\nc\td") == "a\\x0db\\x0ac\\x09d");
    CHECK(terminal_safe("del\x7F") == "del\\x7f");
    CHECK(terminal_safe("csi\xC2\x9B" "2J") == "csi\\u{9b}2J");
    CHECK(terminal_safe("rlo\xE2\x80\xAEgnp.exe") == "rlo\\u{202e}gnp.exe");
    CHECK(terminal_safe("Caf\xE9") == "Caf" + k_fffd);
    CHECK(terminal_safe("Caf\xC3\xA9") == "Caf\xC3\xA9");

    const std::string hostile = "\x1b]0;title\x07\x1b[2J\r\n\x00\x9b\xC2\x9B"s;
    const std::string safe = terminal_safe(hostile);
    CHECK(is_valid_utf8(safe));
    CHECK_FALSE(has_raw_controls(safe, false));
  }

  TEST_CASE("terminal_safe_fit cuts to the display width with an ellipsis")
  {
    CHECK(terminal_safe_fit("short", 32) == "short");
    const std::string fitted = terminal_safe_fit(std::string(40, 'x'), 32);
    CHECK(fitted == std::string(31, 'x') + "\u2026");
    CHECK(display_width(fitted) == 32);
    // An escape is kept whole or dropped whole.
    const std::string cut = terminal_safe_fit("abc\x1b[31m", 6);
    CHECK(cut == "abc\u2026");
    CHECK(display_width("\xE4\xB8\xAD\xE6\x96\x87") == 4); // two wide CJK characters
  }
}

TEST_SUITE("reports.summary_table")
{
  TEST_CASE("rows and totals are terminal-safe")
  {
    Record ok;
    ok.observation.endpoint = {"127.0.0.5", 5061, "", ""};
    ok.observation.tls_version = "TLSv1.2";
    CertificateInfo leaf;
    leaf.parsed = true;
    leaf.cn = "\x1b[31mEVIL\x1b[0m\r\nfake row\x07";
    leaf.has_cn = true;
    leaf.sha256 = std::string(64, 'a');
    leaf.signature = {"sha1WithRSAEncryption", "RSA+SHA1", "RSA", "SHA1"};
    leaf.not_after = 1798041000; // 2026-12-23
    ok.chain.push_back(leaf);
    ok.assessment.signature_verdict = SignatureVerdict::rejected;
    ok.assessment.cn_class = CnClass::other;
    ok.assessment.validity = Validity::valid;

    Record v6;
    v6.observation.endpoint = {"::1", 443, "", ""};
    v6.observation.error = ErrorClass::refused;

    std::ostringstream out;
    SummaryTable table(out);
    ScanInfo info;
    info.endpoints_planned = 10;
    info.interrupted = true;
    ScanSummary summary;
    table.begin(info);
    for (const Record* record : {&ok, &v6}) {
      summary.add(*record);
      table.write(*record);
    }
    summary.signature_labels["\x1b[5mblink"] = 1; // names in the totals are escaped too
    table.finish(info, summary);

    const std::string text = out.str();
    INFO(text);
    CHECK_FALSE(has_raw_controls(text, true));
    CHECK(is_valid_utf8(text));
    CHECK(text.find("\\x1b[31mEVIL") != std::string::npos);
    CHECK(text.find("127.0.0.5:5061") != std::string::npos);
    CHECK(text.find("[::1]:443") != std::string::npos);
    CHECK(text.find("refused") != std::string::npos);
    CHECK(text.find("RSA+SHA1") != std::string::npos);
    CHECK(text.find("2026-12-23") != std::string::npos);
    CHECK(text.find("INTERRUPTED") != std::string::npos);
    CHECK(text.find("\\x1b[5mblink 1") != std::string::npos);

    // Header, two rows, then the totals: the CR/LF in the CN made no extra row.
    std::istringstream lines(text);
    std::string line;
    int rows = 0;
    while (std::getline(lines, line) && !line.empty()) {
      ++rows;
    }
    CHECK(rows == 3);
  }

  TEST_CASE("format_endpoint brackets IPv6")
  {
    CHECK(format_endpoint({"127.0.2.1", 443, "", ""}) == "127.0.2.1:443");
    CHECK(format_endpoint({"2001:db8::1", 5061, "", ""}) == "[2001:db8::1]:5061");
  }
}
