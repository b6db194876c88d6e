#pragma once
// What went wrong in a JSON text, for a message: every reader of JSON files (reports, vendor
// profiles) words nlohmann's errors the same way.

#include <nlohmann/json.hpp>

#include <string>

namespace fleetcert {

// nlohmann's message without its "[json.exception.<kind>.<id>] " prefix. A parse error says where
// by byte and by line and column: "parse error at byte 12 (line 1, column 12): syntax error while
// parsing value - invalid literal; last read: '1x'". A number beyond a double (1e400), which
// nlohmann reports as out_of_range and not as a parse error, reads "number overflow parsing
// '1e400'". Every nlohmann::json::exception a parse can throw goes through here, so that a reader
// catching only parse_error cannot let a hostile file end the program.
std::string json_error_text(const nlohmann::json::exception& error);

} // namespace fleetcert
