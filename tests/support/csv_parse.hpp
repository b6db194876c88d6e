#pragma once
// A strict RFC 4180 reader for tests, independent of the product's CSV code: CRLF after every
// record, quoted fields with doubled quotes.

#include <string>
#include <vector>

namespace fleetcert::testing {

using CsvRows = std::vector<std::vector<std::string>>;

// Parses `text` into rows; false on any malformation (also a last record without CRLF).
bool parse_csv_strict(const std::string& text, CsvRows& rows);

} // namespace fleetcert::testing
