#pragma once
// A device's ports and what each gave, in the one text form every report writes them:
// "443:ok;5061:refused" (the device CSV, the devices export, readiness, diff and readiness texts).

#include <cstdint>
#include <string>
#include <vector>

namespace fleetcert {

// One port and its status word: "ok", an error class as the JSON writes it ("refused", "timeout",
// ...), or the word of another vocabulary (readiness: "ready", "not-ready", "no-certificate").
struct PortStatus
{
  std::uint16_t port = 0;
  std::string status;
};

// "<port>:<status>" for each port, in the order given, joined by ';' ("443:ok;5061:refused");
// "" for no ports.
std::string format_port_statuses(const std::vector<PortStatus>& ports);

} // namespace fleetcert
