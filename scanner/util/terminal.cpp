#include "scanner/util/terminal.hpp"

#include <charconv>
#include <cstring>

#include <sys/ioctl.h>
#include <unistd.h>

namespace fleetcert {

std::optional<std::size_t> terminal_columns(int fd)
{
  if (isatty(fd) == 0) {
    return std::nullopt;
  }
  winsize size{};
  if (ioctl(fd, TIOCGWINSZ, &size) != 0 || size.ws_col == 0) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(size.ws_col);
}

std::optional<std::size_t> parse_columns(const char* text)
{
  if (text == nullptr) {
    return std::nullopt;
  }
  const std::size_t length = std::strlen(text);
  std::size_t columns = 0;
  const auto [end, ec] = std::from_chars(text, text + length, columns);
  if (ec != std::errc() || end != text + length || columns == 0 || columns > 100000) {
    return std::nullopt;
  }
  return columns;
}

} // namespace fleetcert
