#include "support/report_json.hpp"

#include <sstream>

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

std::vector<nlohmann::json> jsonl_records(const std::string& text)
{
  std::vector<nlohmann::json> records;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    records.push_back(nlohmann::json::parse(line));
  }
  return records;
}

std::string without_chain_pem(const std::string& jsonl)
{
  std::string out;
  std::size_t start = 0;
  while (start < jsonl.size()) {
    const std::size_t end = jsonl.find('\n', start);
    nlohmann::json record = nlohmann::json::parse(jsonl.substr(start, end - start));
    if (record.contains("chain")) {
      for (nlohmann::json& item : record["chain"]) {
        item.erase("pem");
      }
    }
    out += record.dump() + "\n";
    start = end == std::string::npos ? jsonl.size() : end + 1;
  }
  return out;
}

} // namespace fleetcert::testing
