#include "scanner/util/port_status.hpp"

namespace fleetcert {

std::string format_port_statuses(const std::vector<PortStatus>& ports)
{
  std::string text;
  for (const PortStatus& port : ports) {
    if (!text.empty()) {
      text += ';';
    }
    text += std::to_string(port.port);
    text += ':';
    text += port.status;
  }
  return text;
}

} // namespace fleetcert
