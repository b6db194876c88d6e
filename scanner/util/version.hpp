#pragma once
// Vendor firmware version strings ("2.57", "1.0.11.23", "83.V2.43.0", "4.0.9.0434") compared
// field by field, numbers as numbers.

#include <string_view>

namespace fleetcert {

// Negative, zero or positive as `a` is below, equal to or above `b`. Fields are split at '.', '-',
// '_', '+' and blanks; within a field, runs of digits compare numerically ("10" > "9", leading
// zeros ignored) and other runs as text, ignoring ASCII case ("V2" < "V10", "rc1" < "rc2"); a digit
// run sorts before a text run. A missing field counts as "0", so "2.57" equals "2.57.0".
int compare_versions(std::string_view a, std::string_view b);

} // namespace fleetcert
