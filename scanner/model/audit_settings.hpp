#pragma once
// The inputs an audit's verdicts depend on, identified by the SHA-256 of their content: the
// --vendor-ca and --trust bundles, the inventory and DHCP lease files, the built-in and --profiles
// vendor profiles. A scan records them (the JSON document's scan.audit_settings) so that `diff`
// can tell a device that changed from a verdict that changed because the settings did.

#include <string>
#include <vector>

namespace fleetcert {

// One input file: where it was read and what it held.
struct AuditInputFile
{
  std::string vendor; // --vendor-ca only: the profile's name
  std::string file;   // the path as given
  std::string sha256; // of the file's content, lower-case hex

  bool operator==(const AuditInputFile&) const = default;
};

struct AuditSettings
{
  std::vector<AuditInputFile> vendor_cas;    // --vendor-ca, in command-line order
  std::vector<AuditInputFile> trust;         // --trust
  std::vector<AuditInputFile> inventory;     // --inventory (none or one)
  std::vector<AuditInputFile> dhcp_leases;   // --dhcp-leases
  std::string builtin_profiles_sha256;       // the built-in profile set
  std::vector<AuditInputFile> profile_files; // --profiles DIR: each *.json read

  bool operator==(const AuditSettings&) const = default;
};

} // namespace fleetcert
