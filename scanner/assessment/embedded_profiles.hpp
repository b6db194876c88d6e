#pragma once
// The vendor profiles compiled into the binary (scanner/assessment/profiles/*.json), for vendor_profiles.cpp.
// The definition is generated at configure time by scanner/CMakeLists.txt.

#include <span>
#include <string_view>

namespace fleetcert::detail {

struct EmbeddedProfile
{
  std::string_view file; // "gigaset.json"
  std::string_view json; // the file's text
};

// Every shipped profile, sorted by file name.
std::span<const EmbeddedProfile> embedded_profiles();

} // namespace fleetcert::detail
