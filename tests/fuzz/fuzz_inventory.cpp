// libFuzzer target: the inventory reader (CSV or JSON, told apart by the first character) on
// arbitrary bytes, strict and lenient, with the default caps and with tight ones; then each row
// through the JSON writer, as the reports would write it.
//
//   input ──read_inventory(strict)────────┐
//         ├─read_inventory(lenient)───────┼─> row checks ──> inventory_to_json ──> dump_json
//         └─read_inventory(lenient, 8 rows x 64 bytes)
//
// Beyond "no crash, no sanitizer report", it checks what inventory.hpp promises: MACs and
// addresses normalised, every row has an address or a name, the indexes find each row, the caps
// hold, one warning per skipped row, and a strict read that succeeds reads the same leniently.

#include "reports/encoding/record_json.hpp"
#include "scanner/inputs/inventory.hpp"
#include "scanner/targets/targets.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

namespace {

using namespace fleetcert;

constexpr InventoryLimits k_tight_limits{8, 64};
// Rows written as JSON per input: the writer's cost is per row, a few show it all.
constexpr std::size_t k_max_rows_written = 64;

// A broken promise is a finding: say which, and abort so that libFuzzer keeps the input.
void check(bool condition, const char* promise)
{
  if (!condition) {
    std::fprintf(stderr, "fuzz_inventory: broken promise: %s\n", promise);
    std::abort();
  }
}

bool is_upper_hex(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

Result<Inventory> read(const std::string& text, bool lenient, const InventoryLimits& limits)
{
  std::istringstream in(text);
  return read_inventory(in, "fuzz-inventory", lenient, limits);
}

void check_inventory(const Inventory& inventory, const InventoryLimits& limits)
{
  check(inventory.rows.size() + inventory.skipped <= limits.max_rows, "no more rows than max_rows");
  check(inventory.warnings.size() == inventory.skipped, "one warning per skipped row");
  for (const InventoryRow& row : inventory.rows) {
    check(row.mac.empty() || (row.mac.size() == 12 && std::all_of(row.mac.begin(), row.mac.end(), is_upper_hex)),
          "a MAC is 12 upper-case hex digits");
    check(!row.ip.empty() || !row.hostname.empty(), "a row has an ip or a hostname");
    if (!row.ip.empty()) {
      const auto address = parse_address(row.ip);
      check(address && format_address(address->first, address->second) == row.ip, "an ip is canonical text");
      check(inventory.find_by_ip(row.ip) == &row, "find_by_ip finds the row of its ip");
    }
    if (!row.mac.empty()) {
      check(inventory.find_by_mac(row.mac) == &row, "find_by_mac finds the row of its MAC");
    }
    const std::size_t cap = limits.max_field_bytes;
    check(row.hostname.size() <= cap && row.vendor.size() <= cap && row.model.size() <= cap &&
              row.site.size() <= cap,
          "no value longer than max_field_bytes");
    for (const auto& [name, value] : row.extra) {
      check(name.size() <= cap && value.size() <= cap, "no extra column longer than max_field_bytes");
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  const std::string text(reinterpret_cast<const char*>(data), size);
  const InventoryLimits defaults;

  const Result<Inventory> strict = read(text, false, defaults);
  const Result<Inventory> lenient = read(text, true, defaults);
  if (strict) {
    check_inventory(*strict, defaults);
    check(strict->skipped == 0, "a strict read skips nothing");
    check(lenient && lenient->rows.size() == strict->rows.size() && lenient->skipped == 0,
          "what reads strictly reads the same leniently");
  }
  if (lenient) {
    check_inventory(*lenient, defaults);
    const std::size_t written = std::min(lenient->rows.size(), k_max_rows_written);
    for (std::size_t i = 0; i < written; ++i) {
      check(!dump_json(inventory_to_json(lenient->rows[i])).empty(), "a row writes as JSON");
    }
  }

  if (const Result<Inventory> capped = read(text, true, k_tight_limits)) {
    check_inventory(*capped, k_tight_limits);
  }
  return 0;
}
