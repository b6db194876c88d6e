#pragma once
// Target specifications (addresses, hostnames, CIDR blocks, ranges) and their lazy expansion.
//
//   "192.0.2.7"  "2001:db8::1"  "phone-12.example.net"  "192.0.2.0/24"  "2001:db8::/112"
//   "192.0.2.10-20"  "192.0.2.10-192.0.2.20"
//
// A TargetSet holds specs as inclusive address ranges (never one entry per address), merges
// overlaps, subtracts exclusions, and a TargetCursor walks it one address at a time.

#include "result.hpp"

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleetcert {

__extension__ typedef unsigned __int128 uint128;

// An inclusive range of addresses of one family. IPv4 values are in the low 32 bits.
struct IpRange
{
  bool v6 = false;
  uint128 first = 0;
  uint128 last = 0;

  uint128 size() const { return last - first + 1; } // may wrap for ::/0; we never allow that
};

struct TargetSpec
{
  std::string text;             // as the user wrote it (trimmed)
  std::optional<IpRange> range; // set for addresses, CIDR blocks and ranges
  std::string hostname;         // set for names, lower-cased, no trailing dot
};

// Largest IPv6 block accepted (a /112 is 65536 addresses).
inline constexpr int k_min_ipv6_prefix = 112;

// Parses one spec. Errors say what is wrong ("invalid CIDR prefix '33' in '10.0.0.0/33'").
Result<TargetSpec> parse_target_spec(std::string_view text);

// Reads specs one per line; '#' starts a comment, blank lines are skipped.
// Errors name the source and the line: "targets.txt:12: invalid address '300.1.1.1'".
Result<std::vector<TargetSpec>> read_target_specs(std::istream& in, std::string_view source_name);

// Parses text produced by format_address or written by a user ("192.0.2.1", "2001:db8::1").
std::optional<std::pair<bool, uint128>> parse_address(std::string_view text);
std::string format_address(bool v6, uint128 value);

// One target: an address (ip set, host empty) or a name still to resolve (ip empty, host set).
struct Target
{
  std::string ip;
  std::string host;
};

class TargetSet
{
public:
  void add(const TargetSpec& spec);
  void exclude(const TargetSpec& spec);

  // Number of targets the cursor will yield (addresses after exclusion, plus hostnames).
  uint128 size() const;

  // True when an address (e.g. one a hostname resolved to) is excluded.
  bool is_excluded(bool v6, uint128 value) const;
  bool is_excluded(std::string_view ip) const;

  // Disjoint, sorted ranges left after merging and exclusion (v4 before v6).
  std::vector<IpRange> ranges() const;
  const std::vector<std::string>& hostnames() const { return m_hostnames; }

private:
  std::vector<IpRange> m_include;
  std::vector<IpRange> m_exclude;
  std::vector<std::string> m_hostnames;
  std::vector<std::string> m_excluded_hostnames;
};

// Walks a TargetSet lazily: memory does not depend on how many addresses it covers.
// Addresses first, in ascending order, then hostnames in the order given.
class TargetCursor
{
public:
  explicit TargetCursor(const TargetSet& set);
  std::optional<Target> next();

private:
  std::vector<IpRange> m_ranges;
  std::vector<std::string> m_hostnames;
  std::size_t m_range_index = 0;
  uint128 m_next = 0;
  bool m_started = false;
  std::size_t m_host_index = 0;
};

} // namespace fleetcert
