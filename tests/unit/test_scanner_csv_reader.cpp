// Tests for scanner/csv_reader: RFC 4180 records, line numbers, caps and recoverable problems.

#include "scanner/inputs/csv_reader.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

using namespace fleetcert;

namespace {

using Fields = std::vector<std::string>;

// Every record as its fields; lines and problems collected beside.
std::vector<Fields> records(const std::string& text, std::vector<std::size_t>* lines = nullptr,
                            std::vector<std::string>* problems = nullptr, CsvOptions options = {})
{
  std::istringstream in(text);
  CsvReader reader(in, "t.csv", options);
  CsvRecord record;
  std::vector<Fields> out;
  for (;;) {
    auto more = reader.next(record);
    REQUIRE_MESSAGE(more.ok(), (more.ok() ? "" : more.error()));
    if (!*more) {
      return out;
    }
    out.push_back(record.fields);
    if (lines) {
      lines->push_back(record.line);
    }
    if (problems) {
      problems->push_back(record.problem);
    }
  }
}

} // namespace

TEST_SUITE("scanner.csv_reader")
{
  TEST_CASE("records, quoting and line numbers")
  {
    std::vector<std::size_t> lines;
    CHECK(records("a,b\r\n\"x,1\",\"say \"\"hi\"\"\"\n\n\"two\r\nlines\",\nlast", &lines) ==
          std::vector<Fields>{{"a", "b"}, {"x,1", "say \"hi\""}, {"two\r\nlines", ""}, {"last"}});
    CHECK(lines == std::vector<std::size_t>{1, 2, 4, 6});
    CHECK(records("\xEF\xBB\xBFh\rv\r") == std::vector<Fields>{{"h"}, {"v"}}); // BOM, CR line ends
    CHECK(records("\"\"\n,\n") == std::vector<Fields>{{""}, {"", ""}});
    CHECK(records("a 12\" b\n") == std::vector<Fields>{{"a 12\" b"}}); // a bare quote is data
  }

  TEST_CASE("the delimiter is detected from the first record when asked for")
  {
    CsvOptions detect;
    detect.detect_delimiter = true;
    detect.comments = true;
    // A German spreadsheet's export: ';' between fields, ',' inside them (decimal commas).
    CHECK(records("Host Name;IP Address;Preis\ngs-1;127.0.0.1;1,5\n", nullptr, nullptr, detect)
          == std::vector<Fields>{{"Host Name", "IP Address", "Preis"}, {"gs-1", "127.0.0.1", "1,5"}});
    CHECK(records("\xEF\xBB\xBF# exported\n\nip\thostname\n127.0.0.1\tgs-1\n", nullptr, nullptr, detect)
          == std::vector<Fields>{{"ip", "hostname"}, {"127.0.0.1", "gs-1"}});
    // Delimiters inside quotes do not count; a tie or none keeps ','.
    CHECK(records("\"a;b;c\",d\n1,2\n", nullptr, nullptr, detect) == std::vector<Fields>{{"a;b;c", "d"}, {"1", "2"}});
    CHECK(records("a;b,c\n", nullptr, nullptr, detect) == std::vector<Fields>{{"a;b", "c"}});
    CHECK(records("ip\n127.0.0.1;x\n", nullptr, nullptr, detect) == std::vector<Fields>{{"ip"}, {"127.0.0.1;x"}});
    // Without detection ';' is data.
    CHECK(records("a;b\n") == std::vector<Fields>{{"a;b"}});

    std::istringstream in("a;b\n");
    CsvReader reader(in, "t.csv", detect);
    CHECK(reader.delimiter() == ',');
    CsvRecord record;
    REQUIRE(reader.next(record).ok());
    CHECK(reader.delimiter() == ';');
    CHECK(std::string(delimiter_name(reader.delimiter())) == "semicolon");
    CHECK(std::string(delimiter_name('\t')) == "tab");
  }

  TEST_CASE("comments only when asked for")
  {
    CsvOptions options;
    options.comments = true;
    std::vector<std::size_t> lines;
    CHECK(records("# c\nh\n# \"c\nv\n", &lines, nullptr, options) == std::vector<Fields>{{"h"}, {"v"}});
    CHECK(lines == std::vector<std::size_t>{2, 4});
    CHECK(records("# c\nh\n") == std::vector<Fields>{{"# c"}, {"h"}});
  }

  TEST_CASE("caps and problems")
  {
    CsvOptions options;
    options.max_field_bytes = 4;
    options.max_fields = 2;
    std::vector<std::string> problems;
    const auto got = records("abcd,ef\nabcde\na,b,c\n\"ab\"c,d\n", nullptr, &problems, options);
    CHECK(got == std::vector<Fields>{{"abcd", "ef"}, {"abcd"}, {"a", "b"}, {"abc", "d"}});
    CHECK(problems == std::vector<std::string>{"", "field 1 longer than 4 bytes", "more than 2 fields",
                                               "text after the closing quote in field 1"});

    std::istringstream in("ok\n\"open\nstill open");
    CsvReader reader(in, "t.csv");
    CsvRecord record;
    REQUIRE(reader.next(record).ok());
    const auto broken = reader.next(record);
    REQUIRE_FALSE(broken.ok());
    CHECK(broken.error() == "t.csv:2: unterminated quoted field");

    std::istringstream bad_bom("\xEF\xBBx\n");
    CsvReader bom_reader(bad_bom, "t.csv");
    const auto bom = bom_reader.next(record);
    REQUIRE_FALSE(bom.ok());
    CHECK(bom.error() == "t.csv:1: invalid byte order mark");
  }
}
