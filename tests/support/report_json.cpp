#include "support/report_json.hpp"

namespace fleetcert::testing {

std::map<std::string, nlohmann::json> records_by_ip(const nlohmann::json& report)
{
  std::map<std::string, nlohmann::json> out;
  for (const auto& record : report.at("records")) {
    out[record.at("target").at("ip")] = record;
  }
  return out;
}

std::set<std::string> finding_codes(const nlohmann::json& findings)
{
  std::set<std::string> out;
  for (const auto& finding : findings) {
    out.insert(finding.at("code"));
  }
  return out;
}

double spent_ms(const nlohmann::json& record)
{
  const nlohmann::json& tls = record.at("tls");
  return tls.value("connect_ms", 0.0) + tls.value("handshake_ms", 0.0);
}

} // namespace fleetcert::testing
