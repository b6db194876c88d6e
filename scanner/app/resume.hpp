#pragma once
// --resume: the endpoints a JSONL report of an interrupted or killed scan already holds.

#include "scanner/model/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

namespace fleetcert {

struct ResumeState
{
  std::unordered_set<std::string> done; // endpoint_key() of every complete record
  std::size_t truncated_bytes = 0;      // a partial last line (killed mid-write), cut off
};

// "ip:port" (the address as format_address writes it) whenever there is an address, also for a
// name that resolved to it: the address is the device. "host:port" for a name that did not resolve.
std::string endpoint_key(std::string_view ip, std::string_view host, std::uint16_t port);

// Reads the JSONL report at `path` (a missing file is an empty state), cutting a partial last line
// off the file so that appending continues cleanly. Errors name the file and line.
Result<ResumeState> load_resume_state(const std::string& path);

} // namespace fleetcert
