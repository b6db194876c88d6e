#include "scanner/targets/ports.hpp"

#include "scanner/util/text.hpp"

#include <algorithm>
#include <charconv>
#include <string>

namespace fleetcert {
namespace {

bool parse_port(std::string_view s, std::uint16_t& out)
{
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value == 0 || value > 65535) {
    return false;
  }
  out = static_cast<std::uint16_t>(value);
  return true;
}

} // namespace

Result<std::vector<std::uint16_t>> parse_ports(std::string_view text)
{
  std::vector<std::uint16_t> ports;
  std::vector<bool> seen(65536, false);
  for (const std::string_view piece : split(text, ',')) {
    const std::string_view item = trim_blanks(piece);
    if (item.empty()) {
      return Error{"empty port in " + quote_for_message(text)};
    }
    std::uint16_t first = 0;
    std::uint16_t last = 0;
    const std::size_t dash = item.find('-');
    const bool ok = dash == std::string_view::npos
                        ? parse_port(item, first) && parse_port(item, last)
                        : parse_port(trim_blanks(item.substr(0, dash)), first)
                              && parse_port(trim_blanks(item.substr(dash + 1)), last);
    if (!ok) {
      return Error{"invalid port " + quote_for_message(item) + " (ports are 1-65535)"};
    }
    if (first > last) {
      return Error{"invalid port range " + quote_for_message(item) + ": first port above last"};
    }
    for (unsigned p = first; p <= last; ++p) {
      if (!seen[p]) {
        seen[p] = true;
        ports.push_back(static_cast<std::uint16_t>(p));
      }
    }
  }
  return ports;
}

} // namespace fleetcert
