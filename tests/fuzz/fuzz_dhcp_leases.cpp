// libFuzzer target: the DHCP lease readers (dnsmasq, ISC dhcpd.leases, Kea CSV) on arbitrary bytes,
// with the format detected and forced to each of the three, strict and lenient, with the default
// caps and with tight ones; then the leases merged into an inventory, and every host name through
// the Prometheus label escaping.
//
//   input ──read_dhcp_leases(detected | dnsmasq | isc | kea) x (strict, lenient, tight caps)
//         ──> lease checks ──> merge_dhcp_leases ──> inventory checks
//         ──> prometheus_label_value(hostname) ──> unescape round trip
//
// Beyond "no crash, no sanitizer report", it checks what dhcp_leases.hpp promises: addresses
// canonical and unique, MACs normalised, expired leases only on request, the caps hold, one warning
// per skipped entry, a strict read that succeeds reads the same leniently, and the merge keeps
// every row findable by its address.

#include "reports/sinks/prometheus_report.hpp"
#include "reports/encoding/text_safety.hpp"
#include "scanner/inputs/dhcp_leases.hpp"
#include "scanner/targets/targets.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace {

using namespace fleetcert;

constexpr std::int64_t k_now = 1795435200; // 2026-11-23T12:00:00Z

void check(bool condition, const char* promise)
{
  if (!condition) {
    std::fprintf(stderr, "fuzz_dhcp_leases: broken promise: %s\n", promise);
    std::abort();
  }
}

bool is_upper_hex(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

void check_leases(const DhcpLeases& leases, const DhcpLeaseOptions& options)
{
  check(leases.leases.size() <= options.max_leases, "no more leases than max_leases");
  check(leases.warnings.size() == leases.skipped, "one warning per skipped entry");
  check(options.lenient || leases.skipped == 0, "a strict read skips nothing");
  std::set<std::string> addresses;
  for (const DhcpLease& lease : leases.leases) {
    const auto address = parse_address(lease.ip);
    check(address && format_address(address->first, address->second) == lease.ip, "an address is canonical text");
    check(addresses.insert(lease.ip).second, "an address appears once");
    check(lease.mac.empty() || (lease.mac.size() == 12 && std::all_of(lease.mac.begin(), lease.mac.end(), is_upper_hex)),
          "a MAC is 12 upper-case hex digits");
    check(lease.hostname.size() <= options.max_field_bytes, "no host name longer than max_field_bytes");
    check(options.include_expired || !lease.expired, "expired leases only on request");
    check(lease.expired || !lease.expires || *lease.expires > options.now, "a kept lease that ended is marked expired");
  }
}

// \\ \" \n undone: what prometheus_label_value escaped.
std::string unescape(std::string_view text)
{
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\') {
      check(i + 1 < text.size(), "no dangling backslash in a label value");
      const char e = text[++i];
      check(e == '\\' || e == '"' || e == 'n', "only \\\\ \\\" \\n escapes in a label value");
      out.push_back(e == 'n' ? '\n' : e);
    } else {
      check(text[i] != '"' && text[i] != '\n', "no raw quote or newline in a label value");
      out.push_back(text[i]);
    }
  }
  return out;
}

void check_merge(const DhcpLeases& leases)
{
  Inventory inventory;
  InventoryRow row;
  row.line = 2;
  row.ip = "192.0.2.7";
  row.mac = "000B82A1B2C3";
  inventory.rows.push_back(row);
  inventory.index();
  const std::size_t before = inventory.rows.size();
  const LeaseMerge merge = merge_dhcp_leases(inventory, leases, "fuzz");
  check(inventory.rows.size() == before + merge.added_rows.size(), "one row per added lease");
  for (const DhcpLease& lease : leases.leases) {
    const InventoryRow* found = inventory.find_by_ip(lease.ip);
    check(found != nullptr, "every lease's address has a row");
  }
  check(inventory.find_by_ip("192.0.2.7")->mac == "000B82A1B2C3", "the inventory's MAC is kept");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::optional<DhcpFormat> formats[] = {std::nullopt, DhcpFormat::dnsmasq, DhcpFormat::isc, DhcpFormat::kea};
  for (const auto& format : formats) {
    DhcpLeaseOptions options;
    options.now = k_now;
    const auto strict = read_dhcp_leases(text, "fuzz", format, options);
    options.lenient = true;
    options.include_expired = size % 2 == 0;
    const auto lenient = read_dhcp_leases(text, "fuzz", format, options);
    if (strict) {
      DhcpLeaseOptions strict_options;
      strict_options.now = k_now;
      check_leases(*strict, strict_options);
      check(lenient && lenient->skipped == 0 &&
                (options.include_expired || lenient->leases.size() == strict->leases.size()),
            "what reads strictly reads the same leniently");
      check_merge(*strict);
    }
    if (lenient) {
      check_leases(*lenient, options);
      check_merge(*lenient);
      for (const DhcpLease& lease : lenient->leases) {
        const std::string escaped = prometheus_label_value(lease.hostname, 64);
        const std::string plain = unescape(escaped);
        check(plain.size() <= 64, "a label value is capped");
        check(is_valid_utf8(plain), "a label value is valid UTF-8");
      }
    }
    DhcpLeaseOptions tight;
    tight.now = k_now;
    tight.lenient = true;
    tight.max_leases = 4;
    tight.max_field_bytes = 16;
    if (const auto capped = read_dhcp_leases(text, "fuzz", format, tight)) {
      check_leases(*capped, tight);
    }
  }
  return 0;
}
