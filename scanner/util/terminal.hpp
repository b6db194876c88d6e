#pragma once
// How wide a terminal is: what the kernel says of the one a descriptor is on (TIOCGWINSZ), and the
// COLUMNS environment variable for when it says nothing or the output is not a terminal.

#include <cstddef>
#include <optional>

namespace fleetcert {

// Columns of the terminal `fd` is on; nullopt when `fd` is not a terminal or its size is unknown (0).
std::optional<std::size_t> terminal_columns(int fd);

// A COLUMNS value as a width: a whole number from 1 to 100000, nothing around it; nullopt for
// anything else (unset, empty, "0", "80x", "-1").
std::optional<std::size_t> parse_columns(const char* text);

} // namespace fleetcert
