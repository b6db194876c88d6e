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

// "host:port" when the target was a name, "ip:port" otherwise (the address as format_address writes it).
std::string endpoint_key(std::string_view ip, std::string_view host, std::uint16_t port);

// Reads the JSONL report at `path` (a missing file is an empty state), cutting a partial last line
// off the file so that appending continues cleanly. Errors name the file and line.
Result<ResumeState> load_resume_state(const std::string& path);

} // namespace fleetcert
