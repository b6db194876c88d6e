#include "scanner/util/time.hpp"

#include <array>
#include <chrono>
#include <cstdio>

namespace fleetcert {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

constexpr std::int64_t k_seconds_per_day = 86400;

// The value of `count` ASCII digits at text[at], or -1 when any is not a digit.
int digits(std::string_view text, std::size_t at, std::size_t count)
{
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return -1;
    }
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

} // namespace

std::optional<std::int64_t> epoch_of(int year, int month, int day, int hour, int minute, int second)
{
  if (year < 0 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
      second < 0 || second > 60) {
    return std::nullopt;
  }
  const year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                            std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) {
    return std::nullopt;
  }
  const std::int64_t day_number = sys_days{date}.time_since_epoch().count();
  return day_number * k_seconds_per_day + hour * 3600 + minute * 60 + second;
}

std::string format_iso8601(std::int64_t epoch_seconds)
{
  // Clamp to 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z, the years four digits can write.
  constexpr std::int64_t k_first = -62167219200;
  constexpr std::int64_t k_last = 253402300799;
  epoch_seconds = epoch_seconds < k_first ? k_first : epoch_seconds > k_last ? k_last : epoch_seconds;
  std::int64_t day_number = epoch_seconds / k_seconds_per_day;
  std::int64_t seconds = epoch_seconds % k_seconds_per_day;
  if (seconds < 0) {
    seconds += k_seconds_per_day;
    day_number -= 1;
  }
  const year_month_day date{sys_days{days{day_number}}};
  // "YYYY-MM-DDTHH:MM:SSZ", digit by digit (every record writes several; snprintf was most of it).
  std::string text = "0000-00-00T00:00:00Z";
  const auto put = [&text](std::size_t at, std::size_t width, std::int64_t value) {
    for (std::size_t i = width; i-- > 0; value /= 10) {
      text[at + i] = static_cast<char>('0' + value % 10);
    }
  };
  put(0, 4, static_cast<int>(date.year()));
  put(5, 2, static_cast<unsigned>(date.month()));
  put(8, 2, static_cast<unsigned>(date.day()));
  put(11, 2, seconds / 3600);
  put(14, 2, seconds / 60 % 60);
  put(17, 2, seconds % 60);
  return text;
}

std::optional<std::int64_t> parse_iso8601(std::string_view text)
{
  // YYYY-MM-DD, then optionally THH:MM:SS and optionally Z.
  if (text.size() != 10 && text.size() != 19 && text.size() != 20) {
    return std::nullopt;
  }
  if (text[4] != '-' || text[7] != '-') {
    return std::nullopt;
  }
  const int year = digits(text, 0, 4);
  const int month = digits(text, 5, 2);
  const int day = digits(text, 8, 2);
  int hour = 0, minute = 0, second = 0;
  if (text.size() > 10) {
    if (text[10] != 'T' || text[13] != ':' || text[16] != ':' || (text.size() == 20 && text[19] != 'Z')) {
      return std::nullopt;
    }
    hour = digits(text, 11, 2);
    minute = digits(text, 14, 2);
    second = digits(text, 17, 2);
  }
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) {
    return std::nullopt;
  }
  return epoch_of(year, month, day, hour, minute, second);
}

} // namespace fleetcert
