#pragma once
// Instants as fleetcert reads and writes them: epoch seconds (UTC) and ISO 8601 text, with the
// calendar of C++20's std::chrono (proleptic Gregorian; impossible dates are rejected, not rolled).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fleetcert {

// Epoch seconds of a calendar date and time of day (UTC); nullopt when the date does not exist
// (2026-02-31, month 13), the year is outside 0000-9999 or a field is out of range (hour 24, minute 60; second 60 is a leap
// second and counts as the next minute's 0).
std::optional<std::int64_t> epoch_of(int year, int month, int day, int hour = 0, int minute = 0, int second = 0);

// ISO 8601 UTC, "2026-11-23T15:50:00Z"; years outside 0000-9999 are clamped to that range's ends.
std::string format_iso8601(std::int64_t epoch_seconds);

// Parses exactly "2026-11-23", "2026-11-23T15:50:00Z" or "2026-11-23T15:50:00" (UTC) into epoch
// seconds: four-digit year, two-digit fields, nothing before or after; nullopt otherwise or when
// the date does not exist.
std::optional<std::int64_t> parse_iso8601(std::string_view text);

} // namespace fleetcert
