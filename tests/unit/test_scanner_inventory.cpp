// Tests for scanner/inventory: the CSV and JSON forms, aliases, every error with its line, lenient
// skipping, duplicates, lookups, the caps and the repository's sample inventory.

#include "scanner/inputs/inventory.hpp"
#include "scanner/util/digest.hpp"
#include "scanner/util/text.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace fleetcert;

namespace {

using Extras = std::vector<std::pair<std::string, std::string>>;

Inventory read_ok(const std::string& text, bool lenient = false, const InventoryLimits& limits = {})
{
  std::istringstream in(text);
  auto inventory = read_inventory(in, "inv.csv", lenient, limits);
  REQUIRE_MESSAGE(inventory.ok(), (inventory.ok() ? "" : inventory.error()));
  return std::move(*inventory);
}

std::string read_error(const std::string& text, bool lenient = false, const InventoryLimits& limits = {})
{
  std::istringstream in(text);
  auto inventory = read_inventory(in, "inv.csv", lenient, limits);
  REQUIRE_MESSAGE(!inventory.ok(), "the inventory should not load");
  return inventory.error();
}

const std::string k_header = "mac,ip,hostname,vendor,model,site\n";

} // namespace

TEST_SUITE("scanner.inventory")
{
  TEST_CASE("a CSV inventory with extra columns")
  {
    const Inventory inventory = read_ok("mac,ip,hostname,vendor,model,site,owner,room\n"
                                        "00:0b:82:75:13:27,127.77.0.12,gs-12,Grandstream,GXP2170,HQ,alice,101\n"
                                        "0004F2ABCDEF,127.77.0.13,,Polycom,VVX 411,Branch-1,bob,\n");
    REQUIRE(inventory.rows.size() == 2);
    CHECK(inventory.skipped == 0);
    CHECK(inventory.warnings.empty());

    const InventoryRow& first = inventory.rows[0];
    CHECK(first.line == 2);
    CHECK(first.mac == "000B82751327");
    CHECK(first.ip == "127.77.0.12");
    CHECK(first.hostname == "gs-12");
    CHECK(first.vendor == "Grandstream");
    CHECK(first.model == "GXP2170");
    CHECK(first.site == "HQ");
    CHECK(first.extra == Extras{{"owner", "alice"}, {"room", "101"}});

    const InventoryRow& second = inventory.rows[1];
    CHECK(second.line == 3);
    CHECK(second.hostname.empty());
    CHECK(second.model == "VVX 411");
    CHECK(second.extra == Extras{{"owner", "bob"}, {"room", ""}});

    CHECK(inventory.find_by_ip("127.77.0.13") == &second);
    CHECK(inventory.find_by_mac("000B82751327") == &first);
    CHECK(inventory.find_by_mac("00-0b-82-75-13-27") == &first); // normalised on lookup too
    CHECK(inventory.find_by_ip("127.77.0.14") == nullptr);
    CHECK(inventory.find_by_mac("000B82000000") == nullptr);
    CHECK(inventory.find_by_ip("not an address") == nullptr);
  }

  TEST_CASE("column order is free and only ip or hostname is needed")
  {
    const Inventory by_name = read_ok("hostname\nphone-1.example\nphone-2.example\n");
    REQUIRE(by_name.rows.size() == 2);
    CHECK(by_name.rows[1].hostname == "phone-2.example");
    CHECK(by_name.rows[1].ip.empty());
    CHECK(by_name.rows[1].mac.empty());

    const Inventory reordered = read_ok("site,ip\nHQ,192.0.2.1\n");
    REQUIRE(reordered.rows.size() == 1);
    CHECK(reordered.rows[0].site == "HQ");
    CHECK(reordered.rows[0].ip == "192.0.2.1");
  }

  TEST_CASE("quoted fields hold commas, quotes and line breaks")
  {
    const Inventory inventory = read_ok(k_header +
                                        "\"000B82751327\",127.77.0.12,gs-12,\"Grandstream Networks, Inc.\","
                                        "\"GXP \"\"2170\"\"\",\"Main building\nFloor 2\"\n"
                                        "0004F2ABCDEF,127.77.0.13,pc-13,Polycom,VVX,HQ\n");
    REQUIRE(inventory.rows.size() == 2);
    CHECK(inventory.rows[0].vendor == "Grandstream Networks, Inc.");
    CHECK(inventory.rows[0].model == "GXP \"2170\"");
    CHECK(inventory.rows[0].site == "Main building\nFloor 2");
    // The row after a line break inside quotes is on physical line 4.
    CHECK(inventory.rows[1].line == 4);
  }

  TEST_CASE("CRLF line ends, a byte order mark, blank lines and comments")
  {
    const Inventory inventory = read_ok("\xEF\xBB\xBF# exported from the asset database\r\n"
                                        "\r\n"
                                        "mac,ip,hostname\r\n"
                                        "000B82751327,127.77.0.12,gs-12\r\n"
                                        "\r\n"
                                        "# the Polycom in the lobby\r\n"
                                        "0004F2ABCDEF,127.77.0.13,\"pc\r\n13\"\r\n"
                                        ",,\r\n"
                                        "0004F2ABCDE0,127.77.0.14,pc-14");
    REQUIRE(inventory.rows.size() == 3);
    CHECK(inventory.rows[0].line == 4);
    CHECK(inventory.rows[0].hostname == "gs-12"); // no stray CR
    CHECK(inventory.rows[1].line == 7);
    CHECK(inventory.rows[1].hostname == "pc\r\n13");
    CHECK(inventory.rows[2].line == 10); // ",," counts as a blank line; no final line end needed
    CHECK(inventory.rows[2].hostname == "pc-14");
  }

  TEST_CASE("header names: aliases, any case, surrounding blanks")
  {
    const Inventory inventory = read_ok(" MAC Address ,IP_Address,Host,VENDOR, Model ,Location,Asset Tag\n"
                                        "000B82751327,127.77.0.12,gs-12,Grandstream,GXP2170,HQ,A-17\n");
    REQUIRE(inventory.rows.size() == 1);
    const InventoryRow& row = inventory.rows[0];
    CHECK(row.mac == "000B82751327");
    CHECK(row.ip == "127.77.0.12");
    CHECK(row.hostname == "gs-12");
    CHECK(row.vendor == "Grandstream");
    CHECK(row.model == "GXP2170");
    CHECK(row.site == "HQ");
    CHECK(row.extra == Extras{{"Asset Tag", "A-17"}});

    for (const char* header : {"mac_address,address,name\n", "Mac,Ip Address,HOSTNAME\n", "mac address,ip,host\n"}) {
      CAPTURE(header);
      const Inventory aliased = read_ok(std::string(header) + "000B82751327,127.77.0.12,gs-12\n");
      REQUIRE(aliased.rows.size() == 1);
      CHECK(aliased.rows[0].mac == "000B82751327");
      CHECK(aliased.rows[0].ip == "127.77.0.12");
      CHECK(aliased.rows[0].hostname == "gs-12");
    }
  }

  TEST_CASE("header names: spaces, dashes and underscores alike")
  {
    for (const char* header : {"MAC Address,IP Address,Host Name\n", "mac-address,ip-address,host-name\n",
                               "MACADDRESS,IPADDRESS,HOSTNAME\n", "Mac_Address,Ip Address,host_name\n",
                               "M A C,I-P,Host Name\n"}) {
      CAPTURE(header);
      const Inventory inventory = read_ok(std::string(header) + "000B82751327,127.77.0.12,gs-12\n");
      REQUIRE(inventory.rows.size() == 1);
      CHECK(inventory.rows[0].mac == "000B82751327");
      CHECK(inventory.rows[0].ip == "127.77.0.12");
      CHECK(inventory.rows[0].hostname == "gs-12");
      CHECK(inventory.rows[0].extra.empty());
    }
    CHECK(read_error("hostname,Host Name\n") == "inv.csv:1: header: duplicate column 'Host Name' (also 'hostname')");
  }

  TEST_CASE("a semicolon or TAB separated inventory, with a byte order mark")
  {
    const Inventory semicolons = read_ok("\xEF\xBB\xBFMAC-Adresse;IP Address;Host Name;Standort\n"
                                         "00:0b:82:75:13:27;127.77.0.12;gs-12;Berlin, Haus 2\n");
    REQUIRE(semicolons.rows.size() == 1);
    CHECK(semicolons.rows[0].ip == "127.77.0.12");
    CHECK(semicolons.rows[0].hostname == "gs-12");
    CHECK(semicolons.rows[0].extra == Extras{{"MAC-Adresse", "00:0b:82:75:13:27"}, {"Standort", "Berlin, Haus 2"}});
    const Inventory tabs = read_ok("ip\thostname\tsite\n127.77.0.12\tgs-12\tHQ\n");
    REQUIRE(tabs.rows.size() == 1);
    CHECK(tabs.rows[0].hostname == "gs-12");
    CHECK(tabs.rows[0].site == "HQ");
  }

  TEST_CASE("a header without an address column says what it found and what is accepted")
  {
    const std::string error = read_error("Gerät;Raum\nGXP2170;1.02\n");
    CHECK(error.starts_with("inv.csv:1: header has neither an ip nor a hostname column: found 'Gerät', 'Raum' "
                            "(read as semicolon-separated); an ip column is named ip, ip address or address, a "
                            "hostname column hostname, host name, host or name"));
  }

  TEST_CASE("values are trimmed, MACs and addresses normalised")
  {
    const Inventory inventory = read_ok("mac,ip,hostname\n"
                                        " 00-04-f2-ab-cd-ef , 2001:DB8:0:0:0:0:0:0001 , pc-1 \n"
                                        "0004.f2ab.cde0,::FFFF:192.0.2.1,pc-2\n");
    REQUIRE(inventory.rows.size() == 2);
    CHECK(inventory.rows[0].mac == "0004F2ABCDEF");
    CHECK(inventory.rows[0].ip == "2001:db8::1");
    CHECK(inventory.rows[0].hostname == "pc-1");
    CHECK(inventory.rows[1].mac == "0004F2ABCDE0");
    CHECK(inventory.rows[1].ip == "::ffff:192.0.2.1");

    // Lookups take the canonical text, and any other spelling of the same address.
    CHECK(inventory.find_by_ip("2001:db8::1") == &inventory.rows[0]);
    CHECK(inventory.find_by_ip("2001:DB8::0:1") == &inventory.rows[0]);
    CHECK(inventory.find_by_ip("::ffff:192.0.2.1") == &inventory.rows[1]);
    CHECK(inventory.find_by_ip("192.0.2.1") == nullptr); // IPv4 and IPv4-mapped IPv6 differ
  }

  TEST_CASE("the JSON form")
  {
    const std::string text = R"(
      [
        {"mac": "00:0b:82:75:13:27", "IP": "127.77.0.12", "hostname": "gs-12", "vendor": "Grandstream",
         "model": "GXP2170", "Location": "HQ", "owner": "alice", "port": 5061, "managed": true, "note": null},
        {"ip_address": "2001:DB8::0001", "name": "caf\u00e9-\ud83d\ude00 \"quoted\"", "rack": -1.5e3, "row": -0,
         "big": 123456789012345678901234567890}
      ]
    )";
    std::istringstream in(text);
    auto loaded = read_inventory(in, "inv.json", false);
    REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? "" : loaded.error()));
    const Inventory& inventory = *loaded;
    REQUIRE(inventory.rows.size() == 2);
    const InventoryRow& first = inventory.rows[0];
    CHECK(first.line == 1);
    CHECK(first.mac == "000B82751327");
    CHECK(first.ip == "127.77.0.12");
    CHECK(first.hostname == "gs-12");
    CHECK(first.vendor == "Grandstream");
    CHECK(first.model == "GXP2170");
    CHECK(first.site == "HQ");
    CHECK(first.extra == Extras{{"owner", "alice"}, {"port", "5061"}, {"managed", "true"}, {"note", ""}});
    const InventoryRow& second = inventory.rows[1];
    CHECK(second.line == 2);
    CHECK(second.ip == "2001:db8::1");
    CHECK(second.hostname == "caf\xC3\xA9-\xF0\x9F\x98\x80 \"quoted\"");
    // Numbers as written; an integer as its decimal value, so -0 is 0.
    CHECK(second.extra == Extras{{"rack", "-1.5e3"}, {"row", "0"}, {"big", "123456789012345678901234567890"}});
    CHECK(inventory.find_by_ip("2001:db8::1") == &second);

    SUBCASE("an empty array is an empty inventory")
    {
      std::istringstream empty("\xEF\xBB\xBF  [ ]\n");
      auto none = read_inventory(empty, "inv.json", false);
      REQUIRE(none.ok());
      CHECK(none->rows.empty());
    }
  }

  TEST_CASE("JSON errors: bad entries name the entry, bad syntax the line")
  {
    const auto json_error = [](const std::string& text, bool lenient = false) {
      std::istringstream in(text);
      auto loaded = read_inventory(in, "inv.json", lenient);
      REQUIRE_MESSAGE(!loaded.ok(), "the inventory should not load");
      return loaded.error();
    };
    CHECK(json_error(R"([{"ip": "127.0.0.1"}, {"ip": "127.0.0.1"}])") ==
          "inv.json: entry 2: duplicate ip '127.0.0.1' (first on entry 1)");
    CHECK(json_error(R"([{"ip": "127.0.0.1", "extra": {"a": 1}}])") ==
          "inv.json: entry 1: value of 'extra' is an object");
    CHECK(json_error(R"([{"ip": "127.0.0.1", "tags": [1, 2]}])") ==
          "inv.json: entry 1: value of 'tags' is an array");
    CHECK(json_error(R"([{"ip": "127.0.0.1"}, "127.0.0.2"])") == "inv.json: entry 2: entry is not an object");
    CHECK(json_error(R"([{"mac": "xyz", "ip": "127.0.0.1"}])") == "inv.json: entry 1: invalid MAC 'xyz'");
    CHECK(json_error(R"([{"ip": "127.0.0.1", "address": "127.0.0.2"}])") ==
          "inv.json: entry 1: duplicate key 'address' (also 'ip')");
    CHECK(json_error(R"([{"vendor": "Polycom"}])") == "inv.json: entry 1: row has neither ip nor hostname");

    // Syntax errors (nlohmann's words) name the line and the column, in bytes, where the parser stopped.
    CHECK(json_error("[\n{\"ip\": \"127.0.0.1\"}\n{\"ip\": \"127.0.0.2\"}\n]") ==
          "inv.json:3:1: invalid JSON: syntax error while parsing array - unexpected '{'; expected ',' or ']'");
    CHECK(json_error("[{\"ip\": \"127.0.0.1\"},]") ==
          "inv.json:1:22: invalid JSON: syntax error while parsing value - unexpected ']'; expected '[', '{', or a "
          "literal");
    CHECK(json_error("[{\"ip\": 01}]") ==
          "inv.json:1:10: invalid JSON: syntax error while parsing object - unexpected number literal; expected ',' "
          "or '}'");
    CHECK(json_error("[{\"ip\": \"a\\qb\"}]") ==
          "inv.json:1:12: invalid JSON: syntax error while parsing value - invalid string: forbidden character after "
          "backslash");
    CHECK(json_error("[{\"ip\": tru}]") == "inv.json:1:12: invalid JSON: syntax error while parsing value - invalid literal");
    SUBCASE("lenient skips bad entries, never bad syntax")
    {
      std::istringstream in(R"([{"ip": "127.0.0.1"}, {"ip": "127.0.0.1"}, {"ip": "127.0.0.3", "x": {}}, 7,
                               {"hostname": "h"}])");
      auto loaded = read_inventory(in, "inv.json", true);
      REQUIRE(loaded.ok());
      CHECK(loaded->rows.size() == 2);
      CHECK(loaded->skipped == 3);
      CHECK(loaded->warnings == std::vector<std::string>{
                                  "inv.json: entry 2: duplicate ip '127.0.0.1' (first on entry 1)",
                                  "inv.json: entry 3: value of 'x' is an object",
                                  "inv.json: entry 4: entry is not an object"});
      CHECK(json_error("[{\"ip\": \"127.0.0.1\"}, {]", true) ==
            "inv.json:1:24: invalid JSON: syntax error while parsing object key - unexpected ']'; expected string "
            "literal");
    }
  }

  TEST_CASE("JSON syntax errors name the line and column, strict or lenient")
  {
    // The error of a strict read, which a lenient one must give too.
    const auto json_error = [](const std::string& text, const InventoryLimits& limits = {}) {
      std::vector<std::string> errors;
      for (const bool lenient : {false, true}) {
        std::istringstream in(text);
        auto loaded = read_inventory(in, "inv.json", lenient, limits);
        REQUIRE_MESSAGE(!loaded.ok(), "the inventory should not load");
        errors.push_back(loaded.error());
      }
      CHECK(errors[1] == errors[0]);
      return errors[0];
    };

    SUBCASE("a truncated document")
    {
      CHECK(json_error("[") ==
            "inv.json:1:2: invalid JSON: syntax error while parsing value - unexpected end of input; expected '[', "
            "'{', or a literal");
      CHECK(json_error("[{\"ip\": \"127.0.0.1") ==
            "inv.json:1:19: invalid JSON: syntax error while parsing value - invalid string: missing closing quote");
      // The end of input is after the last byte: here the start of line 3.
      CHECK(json_error("[\n  {\"ip\": \"127.0.0.1\"},\n") ==
            "inv.json:3:1: invalid JSON: syntax error while parsing value - unexpected end of input; expected '[', "
            "'{', or a literal");
    }
    SUBCASE("trailing garbage after the array")
    {
      CHECK(json_error("[{\"ip\": \"127.0.0.1\"}] x") ==
            "inv.json:1:23: invalid JSON: syntax error while parsing value - invalid literal; expected end of input");
      CHECK(json_error("[{\"ip\": \"127.0.0.1\"}]\n\n  ]") ==
            "inv.json:3:3: invalid JSON: syntax error while parsing value - unexpected ']'; expected end of input");
    }
    SUBCASE("a number where an object or a key is expected, or out of range")
    {
      // As an entry it is well-formed JSON, so a bad entry (skipped when lenient); as a key it is a syntax error.
      std::istringstream entry(R"([{"ip": "127.0.0.1"}, 7])");
      auto loaded = read_inventory(entry, "inv.json", false);
      REQUIRE_FALSE(loaded.ok());
      CHECK(loaded.error() == "inv.json: entry 2: entry is not an object");
      CHECK(json_error("[\n  {\"ip\": \"127.0.0.1\", 7: 1}\n]") ==
            "inv.json:2:23: invalid JSON: syntax error while parsing object key - unexpected number literal; expected "
            "string literal");
      CHECK(json_error("[{\"ip\": \"127.0.0.1\", \"rack\": 1e999}]") ==
            "inv.json:1:34: invalid JSON: number out of range '1e999'");
      CHECK(json_error("[{\"ip\": -}]") ==
            "inv.json:1:10: invalid JSON: syntax error while parsing value - invalid number; expected digit after '-'");
    }
    SUBCASE("strings must be UTF-8, with whole surrogate pairs")
    {
      // A Latin-1 'e' acute reads as the lead byte of a 3-byte sequence, found wrong at the quote after
      // it; a lone continuation byte at once; a lone surrogate where its second half should begin.
      CHECK(json_error("[{\"ip\": \"127.0.0.1\",\n \"site\": \"caf\xE9\"}]") ==
            "inv.json:2:15: invalid JSON: syntax error while parsing value - invalid string: ill-formed UTF-8 byte");
      CHECK(json_error("[{\"ip\": \"127.0.0.1\", \"site\": \"\x80\"}]") ==
            "inv.json:1:31: invalid JSON: syntax error while parsing value - invalid string: ill-formed UTF-8 byte");
      CHECK(json_error(R"([{"ip": "127.0.0.1", "site": "\ud83d"}])") ==
            "inv.json:1:37: invalid JSON: syntax error while parsing value - invalid string: surrogate U+D800..U+DBFF "
            "must be followed by U+DC00..U+DFFF");
      CHECK(json_error("[{\"ip\": \"a\tb\"}]") ==
            "inv.json:1:11: invalid JSON: syntax error while parsing value - invalid string: control character U+0009 "
            "(HT) must be escaped to \\u0009 or \\t");
    }
    SUBCASE("nesting: 64 levels are a bad entry, 65 a broken file")
    {
      // The array is level 1, the entry level 2: 62 more are allowed.
      const auto nested = [](std::size_t levels) {
        return "[{\"ip\": \"127.0.0.1\", \"a\": " + std::string(levels, '[') + std::string(levels, ']') + "}]";
      };
      std::istringstream fits(nested(62));
      auto loaded = read_inventory(fits, "inv.json", true);
      REQUIRE(loaded.ok());
      CHECK(loaded->warnings == std::vector<std::string>{"inv.json: entry 1: value of 'a' is an array"});
      CHECK(json_error(nested(63)) == "inv.json:1:89: invalid JSON: nested deeper than 64 levels");
      CHECK(json_error("[{\"a\": " + std::string(100, '[') + std::string(100, ']') + "}]") ==
            "inv.json:1:70: invalid JSON: nested deeper than 64 levels");
    }
    SUBCASE("lines: CR, LF and CRLF ends, blanks before the array")
    {
      CHECK(json_error("\r\n\r  [ {\"ip\": \"127.0.0.1\"}\r\n, x") ==
            "inv.json:4:3: invalid JSON: syntax error while parsing value - invalid literal");
      CHECK(json_error("\xEF\xBB\xBF [{\"ip\": tru}]") ==
            "inv.json:1:13: invalid JSON: syntax error while parsing value - invalid literal");
    }
    SUBCASE("the parser's run is capped: long strings and blank runs fail where they begin")
    {
      InventoryLimits limits;
      limits.max_field_bytes = 16;
      limits.max_json_run_bytes = 64;
      // Longer than a field but within the run: a bad entry.
      std::istringstream in("[{\"ip\": \"127.0.0.1\", \"site\": \"" + std::string(40, 's') + "\"}]");
      auto loaded = read_inventory(in, "inv.json", true, limits);
      REQUIRE(loaded.ok());
      CHECK(loaded->warnings == std::vector<std::string>{"inv.json: entry 1: value of 'site' longer than 16 bytes"});
      // Past the run: the read fails where the run began, after the last string or number.
      CHECK(json_error("[{\"ip\": \"127.0.0.1\",\n  \"site\": \"" + std::string(100, 's') + "\"}]", limits) ==
            "inv.json:2:9: invalid JSON: no string or number ends in the 64 bytes from here");
      CHECK(json_error("[{\"ip\": \"127.0.0.1\", \"port\": 5061" + std::string(100, ' ') + "}]", limits) ==
            "inv.json:1:34: invalid JSON: no string or number ends in the 64 bytes from here");
      // Blanks after the array count too: what follows them is not read unseen.
      CHECK(json_error("[{\"ip\": \"127.0.0.1\"}]" + std::string(100, '\n') + "x", limits) ==
            "inv.json:1:20: invalid JSON: no string or number ends in the 64 bytes from here");
      CHECK(InventoryLimits{}.max_json_run_bytes == 1U << 20);
    }
  }

  TEST_CASE("every CSV error names the file and the line")
  {
    SUBCASE("header problems")
    {
      CHECK(read_error("") == "inv.csv: no header row");
      CHECK(read_error("# only a comment\n\n") == "inv.csv: no header row");
      CHECK(read_error("\n# exported\nmac,vendor,model\n000B82751327,Grandstream,GXP2170\n")
                .starts_with("inv.csv:3: header has neither an ip nor a hostname column: found 'mac', 'vendor', 'model' "
                             "(read as comma-separated); an ip column is named ip, ip address or address"));
      CHECK(read_error("ip,hostname,ip address\n") == "inv.csv:1: header: duplicate column 'ip address' (also 'ip')");
      CHECK(read_error("ip,Owner,owner\n") == "inv.csv:1: header: duplicate column 'owner' (also 'Owner')");
      CHECK(read_error("ip,,hostname\n") == "inv.csv:1: header: column 2 has no name");
      CHECK(read_error("ip,\"host\"x\n") == "inv.csv:1: header: text after the closing quote in field 2");
    }
    SUBCASE("row problems")
    {
      CHECK(read_error(k_header + "000B82751327,127.0.0.1,a,b,c\n") == "inv.csv:2: row has 5 fields, header has 6");
      CHECK(read_error(k_header + "000B82751327,127.0.0.1,a,b,c,d,e\n") ==
            "inv.csv:2: row has 7 fields, header has 6");
      CHECK(read_error(k_header + "\n# c\n000B8275132,127.0.0.1,a,,,\n") == "inv.csv:4: invalid MAC '000B8275132'");
      CHECK(read_error(k_header + "000B82751327,127.0.0.256,a,,,\n") == "inv.csv:2: invalid IP address '127.0.0.256'");
      CHECK(read_error(k_header + "000B82751327,,,Grandstream,,\n") == "inv.csv:2: row has neither ip nor hostname");
      CHECK(read_error(k_header + "000B82751327,127.0.0.1,\"a\"b,,,\n") ==
            "inv.csv:2: text after the closing quote in field 3");
      CHECK(read_error(k_header + "000B82751327,127.0.0.1,\"never closed,,,\n") ==
            "inv.csv:2: unterminated quoted field");
      // Control characters in a bad value do not reach the message raw; long values are cut.
      CHECK(read_error("ip\n\x1b[31m\n") == "inv.csv:2: invalid IP address '\\x1b[31m'");
      CHECK(read_error("ip\n" + std::string(k_quote_max_bytes + 20, '9') + "\n") ==
            "inv.csv:2: invalid IP address '" + std::string(k_quote_max_bytes, '9') + "...'");
    }
    SUBCASE("duplicates name the first line")
    {
      CHECK(read_error(k_header + "000B82751327,127.0.0.1,a,,,\n0004F2ABCDEF,127.0.0.1,b,,,\n") ==
            "inv.csv:3: duplicate ip '127.0.0.1' (first on line 2)");
      CHECK(read_error(k_header + "000B82751327,127.0.0.1,a,,,\n\n00:0b:82:75:13:27,127.0.0.2,b,,,\n") ==
            "inv.csv:4: duplicate MAC '000B82751327' (first on line 2)");
      // Two spellings of one address are one address.
      CHECK(read_error("ip\n2001:db8::1\n2001:DB8:0::0:1\n") == "inv.csv:3: duplicate ip '2001:db8::1' (first on line 2)");
      // Hostnames may repeat, and rows without a MAC do not collide.
      CHECK(read_ok("mac,ip,hostname\n,127.0.0.1,same\n,127.0.0.2,same\n").rows.size() == 2);
    }
  }

  TEST_CASE("lenient skips bad rows and says why")
  {
    const Inventory inventory = read_ok(k_header +
                                            "000B82751327,127.0.0.1,a,,,\n"     // 2 good
                                            "zz,127.0.0.2,b,,,\n"               // 3 invalid MAC
                                            "0004F2ABCDEF,127.0.0.1,c,,,\n"     // 4 duplicate ip
                                            "000B82751327,127.0.0.5,d,,,\n"     // 5 duplicate MAC
                                            "0004F2ABCDE0,127.0.0.6\n"          // 6 field count
                                            "0004F2ABCDE1,,,,,\n"               // 7 no ip or hostname
                                            "0004F2ABCDE2,127.0.0.8,\"e\"f,,,\n" // 8 after quote
                                            "0004F2ABCDE3,127.0.0.9,g,,,\n",    // 9 good
                                        true);
    REQUIRE(inventory.rows.size() == 2);
    CHECK(inventory.rows[0].line == 2);
    CHECK(inventory.rows[1].line == 9);
    CHECK(inventory.skipped == 6);
    CHECK(inventory.warnings == std::vector<std::string>{
                                  "inv.csv:3: invalid MAC 'zz'",
                                  "inv.csv:4: duplicate ip '127.0.0.1' (first on line 2)",
                                  "inv.csv:5: duplicate MAC '000B82751327' (first on line 2)",
                                  "inv.csv:6: row has 2 fields, header has 6",
                                  "inv.csv:7: row has neither ip nor hostname",
                                  "inv.csv:8: text after the closing quote in field 3"});
    // The skipped rows are not in the indexes.
    CHECK(inventory.find_by_ip("127.0.0.2") == nullptr);
    CHECK(inventory.find_by_ip("127.0.0.1") == &inventory.rows[0]);

    // Header problems and broken files stay fatal.
    CHECK(read_error("mac,vendor\n000B82751327,Grandstream\n", true)
              .starts_with("inv.csv:1: header has neither an ip nor a hostname column: found 'mac', 'vendor' "));
    CHECK(read_error("ip\n\"127.0.0.1\n", true) == "inv.csv:2: unterminated quoted field");
  }

  TEST_CASE("caps: field size and row count")
  {
    SUBCASE("a field of 4096 bytes is fine, 4097 is not")
    {
      const std::string fits(4096, 'h');
      const Inventory inventory = read_ok("ip,hostname\n127.0.0.1," + fits + "\n");
      REQUIRE(inventory.rows.size() == 1);
      CHECK(inventory.rows[0].hostname == fits);

      CHECK(read_error("ip,hostname\n127.0.0.1," + fits + "h\n") == "inv.csv:2: field 2 longer than 4096 bytes");
      CHECK(read_error("ip,\"" + fits + "x\"\n") == "inv.csv:1: header: field 2 longer than 4096 bytes");
      // An unterminated quote does not grow the field past the cap either.
      CHECK(read_error("ip\n\"" + std::string(200000, 'x')) == "inv.csv:2: unterminated quoted field");

      const Inventory lenient = read_ok("ip,hostname\n127.0.0.1," + fits + "h\n127.0.0.2,b\n", true);
      CHECK(lenient.rows.size() == 1);
      CHECK(lenient.skipped == 1);

      std::istringstream json("[{\"ip\": \"127.0.0.1\", \"hostname\": \"" + fits + "h\"}]");
      auto loaded = read_inventory(json, "inv.json", false);
      REQUIRE_FALSE(loaded.ok());
      CHECK(loaded.error() == "inv.json: entry 1: value of 'hostname' longer than 4096 bytes");
    }
    SUBCASE("too many columns")
    {
      std::string header = "ip";
      for (int i = 0; i < 1100; ++i) {
        header += ",c" + std::to_string(i);
      }
      CHECK(read_error(header + "\n") == "inv.csv:1: header: more than 1024 fields");
    }
    SUBCASE("row count, bad rows included, fatal even when lenient")
    {
      CHECK(InventoryLimits{}.max_rows == 1'000'000);
      CHECK(InventoryLimits{}.max_field_bytes == 4096);
      InventoryLimits limits;
      limits.max_rows = 3;
      CHECK(read_ok("ip\n127.0.0.1\n127.0.0.2\n\n127.0.0.3\n", false, limits).rows.size() == 3);
      CHECK(read_error("ip\n127.0.0.1\n127.0.0.2\nbad\n127.0.0.4\n", true, limits) ==
            "inv.csv:5: more than 3 rows");
      std::istringstream json(R"([{"ip": "127.0.0.1"}, {"ip": "127.0.0.2"}, {"ip": "127.0.0.3"}, {"ip": "127.0.0.4"}])");
      auto loaded = read_inventory(json, "inv.json", true, limits);
      REQUIRE_FALSE(loaded.ok());
      CHECK(loaded.error() == "inv.json: entry 4: more than 3 rows");
    }
  }

  TEST_CASE("rows filled by hand are indexed by index()")
  {
    Inventory inventory;
    InventoryRow row;
    row.ip = "192.0.2.9";
    row.mac = "0004F2000009";
    inventory.rows.push_back(row);
    CHECK(inventory.find_by_ip("192.0.2.9") == nullptr);
    inventory.index();
    CHECK(inventory.find_by_ip("192.0.2.9") == &inventory.rows[0]);
    CHECK(inventory.find_by_mac("0004F2000009") == &inventory.rows[0]);
  }

  TEST_CASE("files: the sample inventory, and a missing file")
  {
    const std::string path = std::string(FLEETCERT_SOURCE_DIR) + "/sample-inventories/demo-inventory.csv";
    auto loaded = load_inventory_file(path, false);
    REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? "" : loaded.error()));
    CHECK(loaded->rows.size() == 58);
    CHECK(loaded->skipped == 0);
    const InventoryRow* row = loaded->find_by_ip("127.77.0.12");
    REQUIRE(row != nullptr);
    CHECK(row->mac == "000B82751327");
    CHECK(row->vendor == "Grandstream");
    CHECK(loaded->find_by_mac("000B82751327") == row);
    // The whole file's SHA-256, hashed while it was read (for the report's audit settings).
    std::ifstream sample(path, std::ios::binary);
    const std::string sample_text((std::istreambuf_iterator<char>(sample)), std::istreambuf_iterator<char>());
    CHECK(loaded->sha256 == sha256_hex_of(sample_text));

    const std::string missing = std::string(FLEETCERT_SOURCE_DIR) + "/sample-inventories/no-such-file.csv";
    auto failed = load_inventory_file(missing, false);
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error() == "cannot read inventory '" + missing + "': No such file or directory");

    auto directory = load_inventory_file(FLEETCERT_SOURCE_DIR, true);
    REQUIRE_FALSE(directory.ok());
    CHECK(directory.error() == "cannot read inventory '" FLEETCERT_SOURCE_DIR "': Is a directory");

    // A JSON file: the source name in errors is the path.
    const auto json_path = std::filesystem::temp_directory_path() / "fleetcert-test-inventory.json";
    {
      std::ofstream out(json_path);
      out << "[\n  {\"ip\": \"127.0.0.1\"},\n  {\"ip\": \"bad\"}\n]\n";
    }
    auto json = load_inventory_file(json_path.string(), false);
    std::filesystem::remove(json_path);
    REQUIRE_FALSE(json.ok());
    CHECK(json.error() == json_path.string() + ": entry 2: invalid IP address 'bad'");
  }
}
