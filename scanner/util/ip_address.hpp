#pragma once
// IP addresses as text, in the one form fleetcert writes everywhere (targets, inventories, DHCP
// leases, certificate SANs, reports, resume keys): IPv4 as a dotted quad, IPv6 in RFC 5952 form.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace fleetcert {

__extension__ typedef unsigned __int128 uint128;

inline constexpr uint128 k_v4_mapped_prefix = uint128{0xffff} << 32; // ::ffff:0.0.0.0
inline constexpr uint128 k_v4_max = 0xffffffffu;

// One decimal octet, 0-255, without leading zeros ("010" could mean 8 or 10).
std::optional<unsigned> parse_octet(std::string_view text);

// Parses text produced by format_address or written by a user ("192.0.2.1", "2001:db8::1").
// Returns {v6, value}; IPv4 must be a strict dotted quad (no leading zeros), IPv6 any RFC 4291 form
// (leading zeros, upper case, uncompressed, embedded IPv4); no zone ids.
std::optional<std::pair<bool, uint128>> parse_address(std::string_view text);

// IPv4 as a dotted quad, IPv6 in RFC 5952 form: lower case, no leading zeros, "::" for the longest
// run of two or more zero fields (the first on a tie), "::ffff:192.0.2.1" for IPv4-mapped addresses.
std::string format_address(bool v6, uint128 value);

// format_address's text in a fixed buffer, for loops over many addresses that must not allocate.
struct AddressText
{
  std::array<char, 48> chars{};
  std::size_t size = 0;

  std::string_view view() const { return {chars.data(), size}; }
};
AddressText address_text(bool v6, uint128 value);

// An address in network byte order (4 or 16 bytes, as in a certificate's iPAddress) as
// format_address writes it; nullopt for any other size.
std::optional<std::string> format_address_bytes(std::span<const unsigned char> bytes);

// `text` in the form format_address writes when it is an address ("2001:DB8:0:0:0:0:0:1" ->
// "2001:db8::1"), else unchanged (a host name): what addresses read back from files are keyed by.
std::string canonical_address(std::string_view text);

} // namespace fleetcert
