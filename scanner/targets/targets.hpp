#pragma once
// Target specifications (addresses, hostnames, CIDR blocks, ranges) and their lazy expansion.
//
//   "192.0.2.7"  "2001:db8::1"  "phone-12.example.net"  "192.0.2.0/24"  "2001:db8::/112"
//   "192.0.2.10-20"  "192.0.2.10-192.0.2.20"
//
// A TargetSet holds specs as inclusive address ranges (never one entry per address), merges
// overlaps, subtracts exclusions, and a TargetCursor walks it one address at a time.

#include "scanner/model/observation.hpp"
#include "scanner/model/result.hpp"
#include "scanner/targets/shard.hpp"
#include "scanner/util/ip_address.hpp"

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace fleetcert {

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

// Parses one spec (surrounding whitespace ignored). Errors quote the offending text and say what
// is wrong ("invalid CIDR prefix '33' in '10.0.0.0/33' (0 to 32)").
Result<TargetSpec> parse_target_spec(std::string_view text);

// Reads specs one per line; '#' starts a comment, blank lines are skipped.
// Errors name the source and the line: "targets.txt:12: invalid IPv4 address '300.1.1.1': ...".
// CRLF line ends and a UTF-8 byte order mark are tolerated.
Result<std::vector<TargetSpec>> read_target_specs(std::istream& in, std::string_view source_name);

// What becomes of a target: probed, or given a record without a connection.
enum class TargetDisposition
{
  probe,      // connect to `ip`
  unresolved, // a name that did not resolve: `ip` is empty, `error` and `detail` say why
  excluded,   // a name that resolved to an excluded address: `ip` is that address
};

// One target: an address (host empty), an address a name resolved to (both set), or a name that
// did not resolve (ip empty). `detail` says why a target is not probed.
struct Target
{
  std::string ip;
  std::string host;
  TargetDisposition disposition = TargetDisposition::probe;
  ErrorClass error = ErrorClass::none; // dns or timeout, when unresolved
  std::string detail;
};

// What a name given as a target resolved to, before the scan (resolve_names, scanner/engine).
struct NameResolution
{
  std::string host;                    // as TargetSet::hostnames() has it
  std::vector<std::string> addresses;  // every address, in the resolver's order; empty when it failed
  ErrorClass error = ErrorClass::none; // dns or timeout when it did not resolve
  std::string detail;                  // why it did not resolve
};

// The targets of one scan: included ranges and hostnames minus the exclusions, whatever the order
// in which they were given. Cheap for any block size: it stores ranges, not addresses.
class TargetSet
{
public:
  // Adds an address range or a hostname (a hostname given twice is kept once, where it came first).
  void add(const TargetSpec& spec);
  // Excludes an address range (wins over any add) or removes that hostname.
  void exclude(const TargetSpec& spec);

  // Number of targets the cursor will yield (addresses after exclusion, plus hostnames).
  uint128 size() const;

  // True when an address (e.g. one a hostname resolved to) is excluded; "::ffff:a.b.c.d" counts
  // as excluded when a.b.c.d is. Safe to call from several threads at once.
  bool is_excluded(bool v6, uint128 value) const;
  // Same for an address in text form; false when the text is not an address.
  bool is_excluded(std::string_view ip) const;

  // Disjoint, sorted ranges left after merging and exclusion (v4 before v6).
  std::vector<IpRange> ranges() const;
  // Hostnames to resolve, in the order first added, without the excluded ones.
  const std::vector<std::string>& hostnames() const { return m_hostnames; }

private:
  // Orders ranges by family (v4 first), then by first address.
  struct RangeOrder
  {
    bool operator()(const IpRange& a, const IpRange& b) const
    {
      return a.v6 != b.v6 ? b.v6 : a.first < b.first;
    }
  };

  std::vector<IpRange> m_include; // as added; merged by ranges()
  // Merged and disjoint at all times, so that concurrent is_excluded calls only read. A v4
  // exclusion is stored in its v4-mapped v6 form too (and the v4 part of a v6 one as v4).
  std::set<IpRange, RangeOrder> m_exclude;
  std::vector<std::string> m_hostnames;
  std::unordered_set<std::string> m_hostname_index;
  std::unordered_set<std::string> m_excluded_hostnames;
};

// Walks a TargetSet lazily: memory does not depend on how many addresses it covers.
// Addresses first, in ascending order, then hostnames in the order given, as given (ip empty: the
// scan resolves them first, see TargetIndex).
class TargetCursor
{
public:
  // Copies the set's merged ranges and hostnames (not its addresses).
  explicit TargetCursor(const TargetSet& set);
  // The next target, or nullopt when all have been yielded.
  std::optional<Target> next();

private:
  std::vector<IpRange> m_ranges;
  std::vector<std::string> m_hostnames;
  std::size_t m_range_index = 0;
  uint128 m_next = 0; // next address of m_ranges[m_range_index]
  std::size_t m_host_index = 0;
};

// Random access to the targets of a scan: the set's addresses ascending, then what its names
// resolved to. Holds the set's merged ranges and their offsets, never one entry per address.
//
// A name and the address it resolves to are one target: an address of the ranges that a name
// resolved to carries that name (the first one given, when several resolved to it), and only a
// name's addresses outside the ranges are added after them, each once. Per name, in the order
// given: each new address (probe), each excluded one (excluded: a record says so), or the name
// alone when it did not resolve (unresolved). Memory: the ranges plus the names' addresses.
class TargetIndex
{
public:
  // `names`: what each of set.hostnames() resolved to; a name without an entry counts as
  // unresolved (error dns).
  explicit TargetIndex(const TargetSet& set, const std::vector<NameResolution>& names = {});
  // Number of targets: addresses after exclusion, plus the names' targets.
  uint128 size() const { return m_addresses + m_named.size(); }
  // The target at `index` (0 <= index < size()); O(log ranges).
  Target at(uint128 index) const;
  // True when the target at `index` is in `shard` (shard.hpp: keyed by its address, or by its name
  // when it did not resolve). Allocates nothing for the ranges' addresses; O(log ranges).
  bool in_shard(uint128 index, const Shard& shard) const;
  // Number of targets in `shard`: one pass over the ranges, one hash per address, no allocation.
  uint128 count_in_shard(const Shard& shard) const;

private:
  // True when `address` (parsed) is in m_ranges.
  bool in_ranges(bool v6, uint128 value) const;

  std::vector<IpRange> m_ranges;
  std::vector<uint128> m_offsets; // index of each range's first address
  uint128 m_addresses = 0;
  std::unordered_map<std::string, std::string> m_hosts; // address of the ranges -> the name that resolved to it
  std::vector<Target> m_named;                           // the names' targets after the addresses
};

// A pseudo-random bijection of [0, size): a 4-round Feistel network over the smallest even
// number of bits that holds size-1, with cycle walking (an output >= size is fed back in until it
// falls inside). Visits every index exactly once in O(1) memory; the seed picks the order.
class IndexPermutation
{
public:
  IndexPermutation(std::uint64_t size, std::uint64_t seed);
  std::uint64_t size() const { return m_size; }
  // The index that comes `position`-th (0 <= position < size()).
  std::uint64_t at(std::uint64_t position) const;

private:
  std::uint64_t encrypt(std::uint64_t value) const;

  std::uint64_t m_size;
  unsigned m_half_bits = 1;
  std::uint64_t m_half_mask = 1;
  std::uint64_t m_keys[4] = {};
};

} // namespace fleetcert
