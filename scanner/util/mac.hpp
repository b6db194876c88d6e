#pragma once
// MAC addresses in the one form fleetcert writes: 12 upper-case hex digits, no separators.

#include <optional>
#include <string>
#include <string_view>

namespace fleetcert {

// 12 hex digits with any separators (":", "-", ".", " ") and any case -> "0004F2ABCDEF".
std::optional<std::string> normalize_mac(std::string_view text);

} // namespace fleetcert
