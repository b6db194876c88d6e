#pragma once
// What a finished scan says for its exit status: whether a device has a finding that `--fail-on`
// names, and whether enough devices answered (`--min-answering`). One evaluation for `scan` (its
// live device view) and `check` (a saved report's), so both give the same status and the same line.
//
//   ScanVerdict(policy, minimum) ── add_device(findings, answered, in_inventory) per device
//                                ── set_addresses_scanned(n)
//                                ──> fail_on_matched() / fail_on_line(), too_few_answering() / answering_line()

#include "scanner/assessment/findings.hpp"
#include "scanner/model/result.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fleetcert {

// --fail-on: finding codes and/or a minimum severity ("sha1-rejected,expired", "severity>=high").
struct FailOnPolicy
{
  std::set<std::string> codes;
  std::optional<Severity> minimum;

  bool empty() const { return codes.empty() && !minimum; }
  bool matches(const Finding& finding) const;
};

// Parses a --fail-on expression (comma-separated; empty: no policy). An unknown code lists the valid ones.
Result<FailOnPolicy> parse_fail_on(std::string_view text);

// --min-answering: a count of devices ("10") or a share of the scan's devices ("80%", "99.5%").
struct MinAnswering
{
  std::string text;              // as given, for messages
  bool is_percent = false;
  std::uint64_t count = 0;       // when !is_percent: at least 1
  std::uint32_t basis_points = 0; // when is_percent: hundredths of a percent, 1..10000

  // How many of `of` devices must answer.
  std::uint64_t required(std::uint64_t of) const;
};

// Parses "N" (a whole number, at least 1) or "N%" (above 0 and at most 100, two decimals at most).
Result<MinAnswering> parse_min_answering(std::string_view text);

// Fed every device of a finished scan's device view (FleetView, or a saved report's `fleet_devices()`).
//
// "devices" in the --fail-on line are devices with at least one finding that matches; each code is
// followed by how many of those devices have it (a device with two matching codes counts under
// both). A device "answers" when it presented a certificate on at least one port. The devices that
// count for --min-answering are the inventory's when the view has inventory devices (every device
// with an inventory row, answering or not), else every address scanned.
class ScanVerdict
{
public:
  ScanVerdict(FailOnPolicy fail_on, std::optional<MinAnswering> min_answering);

  // One device: its findings (fleet-wide ones included), whether it answered, whether it has an inventory row.
  void add_device(const std::vector<Finding>& findings, bool answered, bool in_inventory);
  // The addresses scanned: one per address (or name that did not resolve) with a record that was not skipped.
  void set_addresses_scanned(std::uint64_t addresses) { m_addresses_scanned = addresses; }

  bool fail_on_matched() const { return m_matched_devices > 0; }
  // "--fail-on matched 12 devices: sha1-rejected 9, expired 3" (codes by count, then by name).
  std::string fail_on_line() const;

  bool too_few_answering() const;
  // "--min-answering 50%: 2 of 16 addresses scanned answered (a certificate on at least one port), 8 needed".
  std::string answering_line() const;

  std::uint64_t answering() const;    // the numerator: answering devices of the population counted
  std::uint64_t population() const;   // the denominator: inventory devices, or addresses scanned
  bool by_inventory() const { return m_inventory_devices > 0; }

private:
  FailOnPolicy m_fail_on;
  std::optional<MinAnswering> m_min_answering;
  std::uint64_t m_matched_devices = 0;
  std::map<std::string, std::uint64_t> m_matched_by_code;
  std::uint64_t m_answering = 0;
  std::uint64_t m_inventory_devices = 0;
  std::uint64_t m_inventory_answering = 0;
  std::uint64_t m_addresses_scanned = 0;
};

} // namespace fleetcert
