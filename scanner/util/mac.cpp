#include "scanner/util/mac.hpp"

namespace fleetcert {
namespace {

bool is_mac_separator(char c)
{
  return c == ':' || c == '-' || c == '.' || c == ' ';
}

} // namespace

std::optional<std::string> normalize_mac(std::string_view text)
{
  static constexpr char k_upper[] = "0123456789ABCDEF";
  std::string mac;
  bool after_separator = false;
  for (char c : text) {
    if (is_mac_separator(c)) {
      // Separators only between digits: not first, not last, never two in a row.
      if (mac.empty() || after_separator) {
        return std::nullopt;
      }
      after_separator = true;
      continue;
    }
    int value = -1;
    if (c >= '0' && c <= '9') {
      value = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      value = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      value = c - 'A' + 10;
    }
    if (value < 0 || mac.size() == 12) {
      return std::nullopt;
    }
    mac.push_back(k_upper[value]);
    after_separator = false;
  }
  if (mac.size() != 12 || after_separator) {
    return std::nullopt;
  }
  return mac;
}

} // namespace fleetcert
