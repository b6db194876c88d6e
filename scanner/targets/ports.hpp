#pragma once
// Port lists: "443,5061", "8440-8443", "443, 8443".

#include "scanner/model/result.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace fleetcert {

// Parses a comma-separated list of ports and ranges; duplicates are dropped, order is kept.
Result<std::vector<std::uint16_t>> parse_ports(std::string_view text);

} // namespace fleetcert
