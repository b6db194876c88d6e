#include "scanner/util/ip_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstdio>

namespace fleetcert {
namespace {

bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

// The value of an address in network byte order.
uint128 value_of(std::span<const unsigned char> bytes)
{
  uint128 value = 0;
  for (unsigned char byte : bytes) {
    value = (value << 8) | byte;
  }
  return value;
}

std::optional<uint128> parse_ipv4(std::string_view text)
{
  uint128 value = 0;
  for (int part = 0; part < 4; ++part) {
    const std::size_t dot = part < 3 ? text.find('.') : text.size();
    if (dot == std::string_view::npos) {
      return std::nullopt;
    }
    const auto octet = parse_octet(text.substr(0, dot));
    if (!octet) {
      return std::nullopt;
    }
    value = (value << 8) | *octet;
    text.remove_prefix(part < 3 ? dot + 1 : dot);
  }
  return value;
}

std::optional<uint128> parse_ipv6(std::string_view text)
{
  std::array<char, INET6_ADDRSTRLEN> buf{};
  if (text.empty() || text.size() >= buf.size()) {
    return std::nullopt;
  }
  std::copy(text.begin(), text.end(), buf.begin());
  in6_addr addr{};
  if (inet_pton(AF_INET6, buf.data(), &addr) != 1) {
    return std::nullopt;
  }
  return value_of(addr.s6_addr);
}

} // namespace

std::optional<unsigned> parse_octet(std::string_view text)
{
  if (text.empty() || text.size() > 3 || !std::all_of(text.begin(), text.end(), is_digit)
      || (text.size() > 1 && text[0] == '0')) {
    return std::nullopt;
  }
  unsigned value = 0;
  for (char c : text) {
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value <= 255 ? std::optional<unsigned>(value) : std::nullopt;
}

std::optional<std::pair<bool, uint128>> parse_address(std::string_view text)
{
  if (text.find(':') != std::string_view::npos) {
    if (const auto value = parse_ipv6(text)) {
      return std::pair<bool, uint128>{true, *value};
    }
    return std::nullopt;
  }
  if (const auto value = parse_ipv4(text)) {
    return std::pair<bool, uint128>{false, *value};
  }
  return std::nullopt;
}

namespace {

// Appends `text` to `out`.
void append(AddressText& out, std::string_view text)
{
  for (const char c : text) {
    out.chars[out.size++] = c;
  }
}

// Appends `value` in decimal.
void append_decimal(AddressText& out, unsigned value)
{
  char digits[10];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) {
    out.chars[out.size++] = digits[--n];
  }
}

// Appends `value` (0 to 0xffff) in lower-case hex without leading zeros.
void append_hex(AddressText& out, unsigned value)
{
  static constexpr char k_hex[] = "0123456789abcdef";
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    const unsigned digit = (value >> shift) & 0xf;
    if (digit != 0 || started || shift == 0) {
      out.chars[out.size++] = k_hex[digit];
      started = true;
    }
  }
}

void append_v4(AddressText& out, std::uint32_t v)
{
  append_decimal(out, v >> 24);
  out.chars[out.size++] = '.';
  append_decimal(out, (v >> 16) & 0xff);
  out.chars[out.size++] = '.';
  append_decimal(out, (v >> 8) & 0xff);
  out.chars[out.size++] = '.';
  append_decimal(out, v & 0xff);
}

} // namespace

AddressText address_text(bool v6, uint128 value)
{
  AddressText out;
  if (!v6) {
    append_v4(out, static_cast<std::uint32_t>(value));
    return out;
  }
  if ((value >> 32) == 0xffff) {
    append(out, "::ffff:");
    append_v4(out, static_cast<std::uint32_t>(value & k_v4_max));
    return out;
  }
  std::array<unsigned, 8> words{};
  for (int i = 0; i < 8; ++i) {
    words[static_cast<std::size_t>(i)] = static_cast<unsigned>((value >> (112 - 16 * i)) & 0xffff);
  }
  // RFC 5952: "::" replaces the longest run of two or more zero words, the first one on a tie.
  int best_start = -1;
  int best_length = 1;
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && words[static_cast<std::size_t>(j)] == 0) {
      ++j;
    }
    if (j - i > best_length) {
      best_start = i;
      best_length = j - i;
    }
    i = j == i ? i + 1 : j;
  }
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      append(out, "::");
      i += best_length - 1;
      continue;
    }
    if (out.size > 0 && out.chars[out.size - 1] != ':') {
      out.chars[out.size++] = ':';
    }
    append_hex(out, words[static_cast<std::size_t>(i)]);
  }
  return out;
}

std::string format_address(bool v6, uint128 value)
{
  return std::string(address_text(v6, value).view());
}

std::optional<std::string> format_address_bytes(std::span<const unsigned char> bytes)
{
  if (bytes.size() != 4 && bytes.size() != 16) {
    return std::nullopt;
  }
  return format_address(bytes.size() == 16, value_of(bytes));
}

std::string canonical_address(std::string_view text)
{
  const auto address = parse_address(text);
  return address ? format_address(address->first, address->second) : std::string(text);
}

} // namespace fleetcert
