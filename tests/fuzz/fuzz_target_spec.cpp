// libFuzzer target: target specs from arbitrary text, and the lazy walk of what they cover.
//
//   input ──parse_target_spec (the whole input as one spec)──────────┐
//         └─read_target_specs (as a file)── add, add, exclude, ... ──┴─> TargetSet ──> TargetCursor
//                                                                                   (≤ 1000 targets)
//
// Beyond "no crash, no sanitizer report", it checks what targets.hpp promises: a spec is one
// range or one name, ranges stay within their family's bounds, ranges() is sorted and disjoint,
// the cursor yields canonical addresses that are not excluded, and exactly size() targets.

#include "scanner/targets/targets.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace fleetcert;

// Targets walked per input: enough to cross range and family boundaries, cheap for a /8.
constexpr std::size_t k_max_walk = 1000;
constexpr uint128 k_v4_max = 0xffffffffu;
constexpr uint128 k_max_ipv6_range = uint128{1} << (128 - k_min_ipv6_prefix);

// A broken promise is a finding: say which, and abort so that libFuzzer keeps the input.
void check(bool condition, const char* promise)
{
  if (!condition) {
    std::fprintf(stderr, "fuzz_target_spec: broken promise: %s\n", promise);
    std::abort();
  }
}

void check_spec(const TargetSpec& spec)
{
  check(spec.range.has_value() != !spec.hostname.empty(), "a spec is either a range or a hostname");
  if (const std::optional<IpRange>& range = spec.range) {
    check(range->first <= range->last, "a range's first address is not after its last");
    check(range->v6 || range->last <= k_v4_max, "an IPv4 range stays within 32 bits");
    check(!range->v6 || range->last - range->first < k_max_ipv6_range, "an IPv6 range is a /112 at most");
  }
}

void check_ranges(const TargetSet& set)
{
  const std::vector<IpRange> ranges = set.ranges();
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const IpRange& range = ranges[i];
    check(range.first <= range.last, "ranges() yields non-empty ranges");
    check(!set.is_excluded(range.v6, range.first) && !set.is_excluded(range.v6, range.last),
          "ranges() holds no excluded address");
    if (i > 0) {
      const IpRange& previous = ranges[i - 1];
      check(!previous.v6 || range.v6, "ranges() yields IPv4 before IPv6");
      check(previous.v6 != range.v6 || previous.last < range.first, "ranges() is sorted and disjoint");
    }
  }
}

void walk(const TargetSet& set)
{
  const uint128 expected = set.size();
  TargetCursor cursor(set);
  std::size_t walked = 0;
  for (; walked < k_max_walk; ++walked) {
    const std::optional<Target> target = cursor.next();
    if (!target) {
      break;
    }
    if (target->ip.empty()) {
      check(!target->host.empty(), "a target is an address or a name");
      continue;
    }
    const auto address = parse_address(target->ip);
    check(address.has_value(), "the cursor yields addresses parse_address reads");
    check(format_address(address->first, address->second) == target->ip, "the cursor yields canonical text");
    check(!set.is_excluded(target->ip), "the cursor never yields an excluded address");
  }
  if (walked < k_max_walk) {
    check(expected == walked, "the cursor yields exactly size() targets");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  TargetSet set;

  if (const Result<TargetSpec> spec = parse_target_spec(text)) {
    check_spec(*spec);
    set.add(*spec);
  }

  std::istringstream file{std::string(text)};
  if (const Result<std::vector<TargetSpec>> specs = read_target_specs(file, "fuzz-targets.txt")) {
    // Every third spec is an exclusion, so exclusions land before, between and after additions.
    for (std::size_t i = 0; i < specs->size(); ++i) {
      const TargetSpec& spec = (*specs)[i];
      check_spec(spec);
      if (i % 3 == 2) {
        set.exclude(spec);
      } else {
        set.add(spec);
      }
    }
  }

  check_ranges(set);
  walk(set);
  return 0;
}
