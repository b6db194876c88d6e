#include "scanner/app/resume.hpp"

#include "scanner/util/input_file.hpp"
#include "scanner/util/ip_address.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <unistd.h>

namespace fleetcert {

std::string endpoint_key(std::string_view ip, std::string_view host, std::uint16_t port)
{
  std::string key(ip.empty() ? host : canonical_address(ip));
  key += ':';
  key += std::to_string(port);
  return key;
}

Result<ResumeState> load_resume_state(const std::string& path)
{
  ResumeState state;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return state;
  }
  std::ifstream in;
  if (const std::string problem = open_input_file(in, path); !problem.empty()) {
    return Error{"cannot read --resume file '" + path + "': " + problem};
  }
  std::string line;
  std::size_t line_number = 0;
  std::uintmax_t complete_bytes = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (in.eof()) {
      // No newline after it: the process was killed while writing this line.
      state.truncated_bytes = line.size();
      break;
    }
    complete_bytes += line.size() + 1;
    if (line.empty()) {
      continue;
    }
    const nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
    const auto target = record.is_object() ? record.find("target") : record.end();
    // target.ip is absent for a name that did not resolve (older versions wrote ""): its host keys it.
    auto string_field = [&](const char* key) -> std::optional<std::string> {
      const auto it = target->find(key);
      if (it == target->end()) {
        return std::string();
      }
      return it->is_string() ? std::optional<std::string>(it->get<std::string>()) : std::nullopt;
    };
    const bool shaped = !record.is_discarded() && target != record.end() && target->is_object()
                        && target->contains("port") && (*target)["port"].is_number_unsigned()
                        && (*target)["port"].get<std::uint64_t>() <= 65535;
    const std::optional<std::string> ip = shaped ? string_field("ip") : std::nullopt;
    const std::optional<std::string> host = shaped ? string_field("host") : std::nullopt;
    if (!ip || !host || (ip->empty() && host->empty())) {
      return Error{path + ":" + std::to_string(line_number) + ": not a fleetcert JSONL record"};
    }
    state.done.insert(endpoint_key(*ip, *host, (*target)["port"].get<std::uint16_t>()));
  }
  if (state.truncated_bytes > 0) {
    in.close();
    std::filesystem::resize_file(path, complete_bytes, ec);
    if (ec) {
      return Error{"cannot cut the partial last line of '" + path + "': " + ec.message()};
    }
  }
  return state;
}

} // namespace fleetcert
