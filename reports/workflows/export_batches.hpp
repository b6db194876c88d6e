#pragma once
// `fleetcert export`: lists made from a loaded report (report_reader.hpp). Pure: the command
// writes the files.
//
// - Grandstream update batches: the MACs of Grandstream devices whose factory certificate the
//   vendor's certificate portal replaces (findings `legacy-generation`, `sha1-rejected`,
//   `weak-signature` on a Grandstream factory certificate), as the portal takes them (12 upper-case
//   hex digits, one per line, at most 1000 per request), plus an index of which device is on which
//   line of which file and why.
// - Device lists: one CSV row per device, selected by `--where KEY=VALUE` conditions.

#include "reports/workflows/report_reader.hpp"
#include "scanner/assessment/vendor_profiles.hpp"

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace fleetcert {

// The Grandstream certificate portal takes at most this many MACs per request.
constexpr std::size_t k_grandstream_portal_limit = 1000;

// The findings on a Grandstream factory certificate that the portal's update fixes, in the order
// an index row names them: "legacy-generation", "sha1-rejected", "weak-signature".
const std::vector<std::string>& grandstream_update_reasons();

// One device of a Grandstream update export: a row of the index. Its mac is the one listed
// (12 upper-case hex digits), empty when skipped for want of one.
struct UpdateEntry : DeviceIdentity
{
  std::size_t batch = 0;  // 1-based batch number; 0 when not in a batch
  std::size_t line = 0;   // 1-based line in that batch
  // "batched", "duplicate" (its MAC is on an earlier row), "skipped" (no MAC), "not-eligible" (its
  // model is not one the portal updates: not batched, the MAC kept in the row)
  std::string status;
  std::string reason;     // the codes of grandstream_update_reasons() it has, joined with a space
  std::string mac_source; // "inventory" (DHCP leases included), "certificate" (its CN); "" when skipped
  std::string note;       // why skipped, or what to know (a certificate issued to another MAC)
};

struct UpdateBatches
{
  std::vector<std::vector<std::string>> batches; // MACs, sorted, each at most batch_size
  std::vector<UpdateEntry> entries;              // by MAC, then the skipped ones by address
  std::size_t skipped() const;
  std::size_t not_eligible() const;
};

// Grandstream devices (the device's vendor) with a port that presented a Grandstream factory
// certificate (provenance factory, vendor Grandstream) having one of grandstream_update_reasons(),
// their MACs deduplicated and sorted, cut into batches of `batch_size` (1..k_grandstream_portal_limit).
// The MAC is the device's own: the inventory's (DHCP leases fill the inventory), else, saying so in
// the note, the one in its certificate's CN; a certificate issued to another MAC than the device's
// is named in the note (the record has `mac-mismatch`), never listed. A device whose model (the
// inventory's, else the one it announced) is not in `grandstream`'s portal_models is not batched:
// its row says "not-eligible" and why; a device whose model is unknown is batched with a note that
// its eligibility was not checked. `grandstream` null: the built-in Grandstream profile.
UpdateBatches grandstream_update_batches(const ScanReport& report, std::size_t batch_size,
                                         const VendorProfile* grandstream = nullptr);

// "grandstream-update-001.txt": the batch's file name (at least three digits).
std::string batch_file_name(const std::string& prefix, std::size_t batch);

// Conditions of `export devices --where KEY=VALUE`: the same key repeated means any of its values
// (OR), different keys must all match (AND). Values are compared case-insensitively.
struct DeviceFilter
{
  std::map<std::string, std::vector<std::string>> conditions; // key -> accepted values
  bool matches(const ReportDevice& device) const;
};

// The keys `--where` knows, for help and errors.
const std::vector<std::string>& device_filter_keys();

// Parses "KEY=VALUE" conditions; errors name the condition ("--where 'colour=red': unknown key ...").
Result<DeviceFilter> parse_device_filter(const std::vector<std::string>& conditions);

// Columns and one encoded CSV row (formula-neutralised) of a device export.
const std::vector<std::string>& device_export_columns();
std::vector<std::string> device_export_row(const ReportDevice& device);

// The devices of `devices` that match, worst first, then by address.
std::vector<const ReportDevice*> select_devices(const std::vector<ReportDevice>& devices, const DeviceFilter& filter);

} // namespace fleetcert
