// Target specs: parsing (addresses, CIDR blocks, ranges, hostnames), the TargetSet that merges
// and subtracts them as ranges, and the TargetCursor that walks the result one address at a time.
//
//   spec text ──parse_target_spec──> TargetSpec ──add/exclude──> TargetSet ──ranges()──> TargetCursor
//                                    (one range or              (ranges, never       (one range index
//                                     one hostname)              addresses)           and one counter)

#include "scanner/targets/targets.hpp"

#include "scanner/model/device_identity.hpp"

#include "scanner/util/text.hpp"

#include <algorithm>
#include <array>
#include <istream>
#include <iterator>

namespace fleetcert {
namespace {

constexpr std::size_t k_max_hostname = 253;
constexpr std::size_t k_max_label = 63;
constexpr uint128 k_max_ipv6_range = 65536;  // the size of a /112

bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

bool is_alpha(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool all_of(std::string_view text, bool (*pred)(char))
{
  return std::all_of(text.begin(), text.end(), pred);
}

// "1.2.3", "300.1.1.1": meant as an IPv4 address, never a hostname.
bool is_digits_and_dots(std::string_view text)
{
  return std::any_of(text.begin(), text.end(), is_digit)
         && all_of(text, [](char c) { return is_digit(c) || c == '.'; });
}

Error error(std::string message)
{
  return Error{std::move(message)};
}

// "invalid IPv4 address '010.0.0.1' (...)" for text made only of digits and dots.
std::string ipv4_error(std::string_view text, std::string_view whole)
{
  std::string message = "invalid IPv4 address " + quote_for_message(text);
  if (text != whole) {
    message += " in " + quote_for_message(whole);
  }
  bool leading_zero = false;
  bool empty_part = false;
  std::size_t parts = 0;
  for (std::size_t start = 0; start <= text.size(); ++parts) {
    std::size_t dot = text.find('.', start);
    dot = dot == std::string_view::npos ? text.size() : dot;
    const std::string_view part = text.substr(start, dot - start);
    leading_zero = leading_zero || (part.size() > 1 && part[0] == '0');
    empty_part = empty_part || part.empty();
    start = dot + 1;
  }
  if (parts != 4 || empty_part) {
    message += ": expected four numbers separated by dots";
  } else if (leading_zero) {
    message += ": leading zeros are ambiguous (octal or decimal?)";
  } else {
    message += ": each number must be 0 to 255";
  }
  return message;
}

// [a, b] of one family as a spec.
TargetSpec range_spec(std::string_view text, bool v6, uint128 first, uint128 last)
{
  TargetSpec spec;
  spec.text = std::string(text);
  spec.range = IpRange{v6, first, last};
  return spec;
}

// "a.b.c.d/n" or "x::y/n": the enclosing block (host bits set mean the block, as nmap does).
Result<TargetSpec> parse_cidr(std::string_view text, std::size_t slash)
{
  const std::string_view address_text = text.substr(0, slash);
  const std::string_view prefix_text = text.substr(slash + 1);
  const auto address = parse_address(address_text);
  if (!address) {
    if (is_digits_and_dots(address_text)) {
      return error(ipv4_error(address_text, text));
    }
    return error("invalid address " + quote_for_message(address_text) + " in " + quote_for_message(text));
  }
  const auto [v6, value] = *address;
  const int bits = v6 ? 128 : 32;
  int prefix = -1;
  if (!prefix_text.empty() && prefix_text.size() <= 3 && all_of(prefix_text, is_digit)) {
    prefix = std::stoi(std::string(prefix_text));
  }
  if (prefix < 0 || prefix > bits) {
    return error("invalid CIDR prefix " + quote_for_message(prefix_text) + " in " + quote_for_message(text) + " (0 to "
                 + std::to_string(bits) + ")");
  }
  if (v6 && prefix < k_min_ipv6_prefix) {
    return error("IPv6 blocks larger than /" + std::to_string(k_min_ipv6_prefix) + " are not supported: "
                 + quote_for_message(text));
  }
  const uint128 host_mask = (uint128{1} << (bits - prefix)) - 1;
  return range_spec(text, v6, value & ~host_mask, value | host_mask);
}

// "a.b.c.d-e" (last octet) or "first-last" (full addresses, same family).
Result<TargetSpec> parse_range(std::string_view text, std::size_t dash, bool v6, uint128 first)
{
  const std::string_view end_text = text.substr(dash + 1);
  if (end_text.empty()) {
    return error("missing range end in " + quote_for_message(text));
  }
  uint128 last = 0;
  if (!v6 && all_of(end_text, is_digit)) {
    const auto octet = parse_octet(end_text);
    if (!octet) {
      return error("invalid range end " + quote_for_message(end_text) + " in " + quote_for_message(text)
                   + " (0 to 255)");
    }
    last = (first & ~uint128{0xff}) | *octet;
  } else {
    const auto end = parse_address(end_text);
    if (!end) {
      return error("invalid range end " + quote_for_message(end_text) + " in " + quote_for_message(text));
    }
    if (end->first != v6) {
      return error("range mixes IPv4 and IPv6 in " + quote_for_message(text));
    }
    last = end->second;
  }
  if (first > last) {
    return error("range start is after its end in " + quote_for_message(text));
  }
  if (v6 && last - first >= k_max_ipv6_range) {
    return error("IPv6 ranges larger than 65536 addresses are not supported: " + quote_for_message(text));
  }
  return range_spec(text, v6, first, last);
}

// RFC 1123 host name: letters, digits and hyphens, labels of 1-63, at most 253 in all, one
// optional trailing dot. Lower-cased.
Result<TargetSpec> parse_hostname(std::string_view text)
{
  std::string_view name = text;
  if (name.back() == '.') {
    name.remove_suffix(1);
  }
  const std::string prefix = "invalid hostname " + quote_for_message(text) + ": ";
  for (char c : name) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return error(prefix + "non-ASCII character (write internationalized names in their xn-- form)");
    }
    if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.') {
      return error(prefix + "unexpected character " + quote_for_message(std::string_view(&c, 1)));
    }
  }
  if (name.size() > k_max_hostname) {
    return error(prefix + "longer than 253 characters");
  }
  std::string_view label;
  for (std::size_t start = 0; start <= name.size();) {
    std::size_t dot = name.find('.', start);
    dot = dot == std::string_view::npos ? name.size() : dot;
    label = name.substr(start, dot - start);
    if (label.empty()) {
      return error(prefix + "empty label");
    }
    if (label.size() > k_max_label) {
      return error(prefix + "label " + quote_for_message(label) + " is longer than 63 characters");
    }
    if (label.front() == '-' || label.back() == '-') {
      return error(prefix + "label " + quote_for_message(label) + " starts or ends with '-'");
    }
    start = dot + 1;
  }
  if (all_of(label, is_digit)) {
    return error(prefix + "the last label is all digits");
  }
  TargetSpec spec;
  spec.text = std::string(text);
  spec.hostname.reserve(name.size());
  for (char c : name) {
    spec.hostname.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return spec;
}

// The v4 addresses of a v6 range inside ::ffff:0:0/96, or of a v4 range in v4-mapped form.
std::optional<IpRange> mapped_counterpart(const IpRange& range)
{
  if (!range.v6) {
    return IpRange{true, k_v4_mapped_prefix | range.first, k_v4_mapped_prefix | range.last};
  }
  const uint128 low = k_v4_mapped_prefix;
  const uint128 high = k_v4_mapped_prefix | k_v4_max;
  if (range.last < low || range.first > high) {
    return std::nullopt;
  }
  return IpRange{false, std::max(range.first, low) - low, std::min(range.last, high) - low};
}

// True when b (starting at or after a's start) overlaps a or begins right after it.
bool touches(uint128 a_last, uint128 b_first)
{
  return b_first <= a_last || b_first - a_last == 1;
}

} // namespace

Result<TargetSpec> parse_target_spec(std::string_view raw)
{
  const std::string_view text = trim_blanks(raw);
  if (text.empty()) {
    return error("empty target");
  }
  const bool has_colon = text.find(':') != std::string_view::npos;
  if (has_colon && text.find('%') != std::string_view::npos) {
    return error("IPv6 zone ids are not supported: " + quote_for_message(text));
  }
  if (const std::size_t slash = text.find('/'); slash != std::string_view::npos) {
    return parse_cidr(text, slash);
  }
  if (const std::size_t dash = text.find('-'); dash != std::string_view::npos) {
    if (const auto start = parse_address(text.substr(0, dash))) {
      return parse_range(text, dash, start->first, start->second);
    }
  }
  if (const auto address = parse_address(text)) {
    return range_spec(text, address->first, address->second, address->second);
  }
  if (has_colon) {
    if (std::count(text.begin(), text.end(), ':') == 1) {
      return error("invalid target " + quote_for_message(text) + ": a port cannot be part of a target");
    }
    return error("invalid IPv6 address " + quote_for_message(text));
  }
  if (is_digits_and_dots(text)) {
    return error(ipv4_error(text, text));
  }
  return parse_hostname(text);
}

Result<std::vector<TargetSpec>> read_target_specs(std::istream& in, std::string_view source_name)
{
  std::vector<TargetSpec> specs;
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string_view view = line;
    if (number == 1 && view.substr(0, 3) == "\xef\xbb\xbf") {
      view.remove_prefix(3); // UTF-8 byte order mark, as some Windows editors write
    }
    view = trim_blanks(view.substr(0, view.find('#')));
    if (view.empty()) {
      continue;
    }
    auto spec = parse_target_spec(view);
    if (!spec) {
      return error(std::string(source_name) + ":" + std::to_string(number) + ": " + spec.error());
    }
    specs.push_back(std::move(*spec));
  }
  if (in.bad()) {
    return error(std::string(source_name) + ":" + std::to_string(number + 1) + ": read error");
  }
  return specs;
}

void TargetSet::add(const TargetSpec& spec)
{
  if (spec.range) {
    m_include.push_back(*spec.range);
    return;
  }
  if (spec.hostname.empty() || m_excluded_hostnames.count(spec.hostname) != 0) {
    return;
  }
  if (m_hostname_index.insert(spec.hostname).second) {
    m_hostnames.push_back(spec.hostname);
  }
}

void TargetSet::exclude(const TargetSpec& spec)
{
  if (!spec.range) {
    if (spec.hostname.empty() || !m_excluded_hostnames.insert(spec.hostname).second) {
      return;
    }
    if (m_hostname_index.erase(spec.hostname) != 0) {
      m_hostnames.erase(std::find(m_hostnames.begin(), m_hostnames.end(), spec.hostname));
    }
    return;
  }
  std::array<std::optional<IpRange>, 2> pieces{*spec.range, mapped_counterpart(*spec.range)};
  for (const auto& piece : pieces) {
    if (!piece) {
      continue;
    }
    // Absorb every stored range that overlaps or touches this one, then insert the union.
    IpRange merged = *piece;
    auto it = m_exclude.lower_bound(merged);
    if (it != m_exclude.begin()) {
      const auto previous = std::prev(it);
      if (previous->v6 == merged.v6 && touches(previous->last, merged.first)) {
        it = previous;
      }
    }
    while (it != m_exclude.end() && it->v6 == merged.v6 && touches(merged.last, it->first)) {
      merged.first = std::min(merged.first, it->first);
      merged.last = std::max(merged.last, it->last);
      it = m_exclude.erase(it);
    }
    m_exclude.insert(it, merged);
  }
}

std::vector<IpRange> TargetSet::ranges() const
{
  std::vector<IpRange> sorted = m_include;
  std::sort(sorted.begin(), sorted.end(), RangeOrder{});
  std::vector<IpRange> merged;
  for (const IpRange& range : sorted) {
    if (!merged.empty() && merged.back().v6 == range.v6 && touches(merged.back().last, range.first)) {
      merged.back().last = std::max(merged.back().last, range.last);
    } else {
      merged.push_back(range);
    }
  }

  // Subtract the exclusions: both lists are sorted and disjoint, so one pass over each.
  std::vector<IpRange> out;
  auto exclusion = m_exclude.begin();
  for (const IpRange& range : merged) {
    while (exclusion != m_exclude.end()
           && (exclusion->v6 != range.v6 ? !exclusion->v6 : exclusion->last < range.first)) {
      ++exclusion;
    }
    uint128 next = range.first;
    bool covered = false;
    for (auto it = exclusion; it != m_exclude.end() && it->v6 == range.v6 && it->first <= range.last; ++it) {
      if (it->first > next) {
        out.push_back(IpRange{range.v6, next, it->first - 1});
      }
      if (it->last >= range.last) {
        covered = true;
        break;
      }
      next = it->last + 1;
    }
    if (!covered) {
      out.push_back(IpRange{range.v6, next, range.last});
    }
  }
  return out;
}

uint128 TargetSet::size() const
{
  uint128 total = m_hostnames.size();
  for (const IpRange& range : ranges()) {
    total += range.size();
  }
  return total;
}

bool TargetSet::is_excluded(bool v6, uint128 value) const
{
  // The last exclusion that starts at or before the value is the only one that can hold it.
  auto it = m_exclude.upper_bound(IpRange{v6, value, value});
  if (it == m_exclude.begin()) {
    return false;
  }
  --it;
  return it->v6 == v6 && it->first <= value && value <= it->last;
}

bool TargetSet::is_excluded(std::string_view ip) const
{
  const auto address = parse_address(trim_blanks(ip));
  return address && is_excluded(address->first, address->second);
}

TargetCursor::TargetCursor(const TargetSet& set) : m_ranges(set.ranges()), m_hostnames(set.hostnames())
{
  if (!m_ranges.empty()) {
    m_next = m_ranges.front().first;
  }
}

std::optional<Target> TargetCursor::next()
{
  if (m_range_index < m_ranges.size()) {
    const IpRange& range = m_ranges[m_range_index];
    const uint128 value = m_next;
    if (value == range.last) {
      ++m_range_index;
      if (m_range_index < m_ranges.size()) {
        m_next = m_ranges[m_range_index].first;
      }
    } else {
      ++m_next;
    }
    Target target;
    target.ip = format_address(range.v6, value);
    return target;
  }
  if (m_host_index < m_hostnames.size()) {
    Target target;
    target.host = m_hostnames[m_host_index++];
    return target;
  }
  return std::nullopt;
}

TargetIndex::TargetIndex(const TargetSet& set, const std::vector<NameResolution>& names) : m_ranges(set.ranges())
{
  m_offsets.reserve(m_ranges.size());
  for (const IpRange& range : m_ranges) {
    m_offsets.push_back(m_addresses);
    m_addresses += range.size();
  }
  std::unordered_map<std::string, const NameResolution*> by_name;
  for (const NameResolution& name : names) {
    by_name.emplace(name.host, &name);
  }
  std::unordered_set<std::string> seen; // addresses a name already claimed
  for (const std::string& host : set.hostnames()) {
    const auto found = by_name.find(host);
    if (found == by_name.end() || found->second->addresses.empty()) {
      Target target{{}, host, TargetDisposition::unresolved, ErrorClass::dns, "the name was not resolved"};
      if (found != by_name.end()) {
        target.error = found->second->error == ErrorClass::none ? ErrorClass::dns : found->second->error;
        target.detail = found->second->detail.empty() ? std::string("no address") : found->second->detail;
      }
      m_named.push_back(std::move(target));
      continue;
    }
    for (const std::string& text : found->second->addresses) {
      const auto address = parse_address(text);
      if (!address) {
        continue; // resolvers give addresses; nothing else can be connected to
      }
      const auto [v6, value] = *address;
      std::string ip = format_address(v6, value);
      if (!seen.insert(ip).second) {
        continue;
      }
      if (set.is_excluded(v6, value)) {
        std::string detail = host + " resolves to " + ip + ", which is excluded: not connected to";
        m_named.push_back(Target{std::move(ip), host, TargetDisposition::excluded, ErrorClass::none, std::move(detail)});
      } else if (in_ranges(v6, value)) {
        m_hosts.emplace(std::move(ip), host);
      } else {
        m_named.push_back(Target{std::move(ip), host, TargetDisposition::probe, ErrorClass::none, {}});
      }
    }
  }
}

bool TargetIndex::in_ranges(bool v6, uint128 value) const
{
  // The last range that starts at or before the value is the only one that can hold it.
  const auto it = std::upper_bound(m_ranges.begin(), m_ranges.end(), IpRange{v6, value, value},
                                   [](const IpRange& a, const IpRange& b) {
                                     return a.v6 != b.v6 ? b.v6 : a.first < b.first;
                                   });
  if (it == m_ranges.begin()) {
    return false;
  }
  const IpRange& range = *std::prev(it);
  return range.v6 == v6 && range.first <= value && value <= range.last;
}

Target TargetIndex::at(uint128 index) const
{
  if (index >= m_addresses) {
    return m_named.at(static_cast<std::size_t>(index - m_addresses));
  }
  // The last range whose first index is at or before `index`.
  const auto it = std::upper_bound(m_offsets.begin(), m_offsets.end(), index) - 1;
  const IpRange& range = m_ranges[static_cast<std::size_t>(it - m_offsets.begin())];
  Target target;
  target.ip = format_address(range.v6, range.first + (index - *it));
  if (!m_hosts.empty()) {
    if (const auto host = m_hosts.find(target.ip); host != m_hosts.end()) {
      target.host = host->second;
    }
  }
  return target;
}

bool TargetIndex::in_shard(uint128 index, const Shard& shard) const
{
  if (shard.count == 1) {
    return true;
  }
  if (index >= m_addresses) {
    const Target& named = m_named.at(static_cast<std::size_t>(index - m_addresses));
    return shard_of_key(device_address(named.ip, named.host), shard.count) == shard.index;
  }
  const auto it = std::upper_bound(m_offsets.begin(), m_offsets.end(), index) - 1;
  const IpRange& range = m_ranges[static_cast<std::size_t>(it - m_offsets.begin())];
  return shard_of_address(range.v6, range.first + (index - *it), shard.count) == shard.index;
}

uint128 TargetIndex::count_in_shard(const Shard& shard) const
{
  if (shard.count == 1) {
    return size();
  }
  uint128 count = 0;
  for (const IpRange& range : m_ranges) {
    for (uint128 value = range.first;; ++value) {
      count += shard_of_address(range.v6, value, shard.count) == shard.index ? 1 : 0;
      if (value == range.last) {
        break;
      }
    }
  }
  for (const Target& named : m_named) {
    count += shard_of_key(device_address(named.ip, named.host), shard.count) == shard.index ? 1 : 0;
  }
  return count;
}

namespace {

// SplitMix64's finaliser: a fast 64-bit mixing function.
std::uint64_t mix64(std::uint64_t x)
{
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

} // namespace

IndexPermutation::IndexPermutation(std::uint64_t size, std::uint64_t seed) : m_size(size)
{
  unsigned bits = 0;
  for (std::uint64_t rest = size > 0 ? size - 1 : 0; rest != 0; rest >>= 1) {
    ++bits;
  }
  m_half_bits = std::max(1u, (bits + 1) / 2);
  m_half_mask = m_half_bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << m_half_bits) - 1;
  std::uint64_t state = seed;
  for (std::uint64_t& key : m_keys) {
    state = mix64(state);
    key = state;
  }
}

std::uint64_t IndexPermutation::encrypt(std::uint64_t value) const
{
  std::uint64_t left = value >> m_half_bits;
  std::uint64_t right = value & m_half_mask;
  for (const std::uint64_t key : m_keys) {
    const std::uint64_t next = left ^ (mix64(right ^ key) & m_half_mask);
    left = right;
    right = next;
  }
  return (left << m_half_bits) | right;
}

std::uint64_t IndexPermutation::at(std::uint64_t position) const
{
  // The Feistel network permutes [0, 2^(2 * half_bits)), which is less than 4 * size: on average
  // fewer than four rounds of walking bring the value back inside [0, size).
  std::uint64_t value = encrypt(position);
  while (value >= m_size) {
    value = encrypt(value);
  }
  return value;
}

} // namespace fleetcert
