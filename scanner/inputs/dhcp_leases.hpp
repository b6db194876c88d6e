#pragma once
// DHCP lease files as a source of targets and inventory: phones get their address (and their
// provisioning server) from DHCP, so the lease database knows which MAC holds which address.
// Three formats, told apart by their content:
//
//   dnsmasq  "1700000000 00:0b:82:a1:b2:c3 192.0.2.7 reception 01:00:0b:82:a1:b2:c3" per line;
//            "duid ..." then IPv6 lines "expiry iaid address hostname client-duid"; '*' = none
//   ISC      dhcpd.leases: "lease 192.0.2.7 { starts ...; ends ...; binding state active;
//            hardware ethernet ...; client-hostname "x"; }" and IPv6 "ia-na ... { iaaddr ... { } }",
//            an append log: the last block of an address wins
//   Kea      memfile CSV (kea-leases4.csv / kea-leases6.csv) with its header row; also an append
//            log: the last row of an address wins, a row with valid_lifetime 0 deletes the lease
//
// Reading is pure (the text and "now" are parameters); only load_dhcp_leases_file reads a file.

#include "scanner/inputs/inventory.hpp"
#include "scanner/model/result.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleetcert {

enum class DhcpFormat
{
  dnsmasq,
  isc,
  kea,
};
std::string_view to_string(DhcpFormat format);
// "dnsmasq", "isc" or "kea".
std::optional<DhcpFormat> parse_dhcp_format(std::string_view text);

// The format of a lease file, from its first line that is not blank: a Kea header
// ("address,..."), an ISC comment or statement, or a dnsmasq lease or "duid" line.
std::optional<DhcpFormat> detect_dhcp_format(std::string_view text);

// One lease that counts (active, or expired and kept on request).
struct DhcpLease
{
  std::size_t line = 0;  // where the lease that won starts in its file
  std::string ip;        // canonical address text (as format_address writes it)
  std::string mac;       // 12 upper-case hex digits; empty when the lease has none (IPv6, DUID only)
  std::string hostname;  // as the client sent it (any bytes), or empty
  std::optional<std::int64_t> expires; // seconds since the epoch; absent: never
  bool expired = false;  // kept only because DhcpLeaseOptions::include_expired
};

struct DhcpLeaseOptions
{
  std::int64_t now = 0;          // leases ending at or before this are expired
  bool include_expired = false;  // keep expired leases (never the declined, released or free ones)
  bool lenient = false;          // skip bad lines or blocks (counted, each named) instead of failing
  std::size_t max_leases = 1'000'000;   // distinct addresses; going over is an error, lenient or not
  std::size_t max_file_bytes = std::size_t{256} << 20;
  std::size_t max_field_bytes = 1024;   // one hostname, token or CSV field
};

struct DhcpLeases
{
  DhcpFormat format = DhcpFormat::dnsmasq;
  std::vector<DhcpLease> leases; // in order of each address's first appearance
  std::size_t expired = 0;       // left out: ended before "now"
  std::size_t inactive = 0;      // left out: free, released, declined, abandoned, deleted, ...
  std::size_t skipped = 0;       // bad entries skipped with `lenient`
  std::vector<std::string> warnings; // one "file:line: reason" per skipped entry
  std::string sha256;                // of the file load_dhcp_leases_file read (empty otherwise)
};

// Reads a lease file's text; `format` forces the format, else detect_dhcp_format decides.
// Errors name the source and line: "dhcpd.leases:12: invalid MAC 'zz:0b:...'".
Result<DhcpLeases> read_dhcp_leases(std::string_view text, std::string_view source_name,
                                    std::optional<DhcpFormat> format, const DhcpLeaseOptions& options);
Result<DhcpLeases> load_dhcp_leases_file(const std::string& path, std::optional<DhcpFormat> format,
                                         const DhcpLeaseOptions& options);

// What merge_dhcp_leases did.
struct LeaseMerge
{
  std::vector<std::size_t> added_rows; // indexes in inventory.rows of the rows the leases added
  std::size_t filled = 0;              // existing rows given a missing MAC or hostname
  std::vector<std::string> conflicts;  // "file:line: ..." when a lease's MAC contradicts the inventory
};

// Adds leases to the inventory. A lease whose address has a row fills the row's empty MAC and
// hostname; a different MAC is left as the inventory has it (the audit's mac-mismatch check then
// says which one the certificate names) and reported in `conflicts`, like a MAC the inventory lists
// at another address. Other leases become new rows (vendor left empty: the audit finds it from the
// MAC prefix). Every row a lease touched gets the extra column dhcp_lease = "<source>:<line>".
LeaseMerge merge_dhcp_leases(Inventory& inventory, const DhcpLeases& leases, std::string_view source_name);

} // namespace fleetcert
