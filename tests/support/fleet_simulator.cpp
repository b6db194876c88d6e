#include "support/fleet_simulator.hpp"

#include <filesystem>
#include <stdexcept>

namespace fleetcert::testing {

nlohmann::json cert(const std::string& subject, const nlohmann::json& key, const std::string& hash,
                    const std::string& issuer)
{
  return {{"subject", subject}, {"key", key}, {"hash", hash}, {"issuer", issuer}, {"valid_from_days", -30},
          {"valid_days", 3650}};
}

nlohmann::json ca(const std::string& name, const std::string& subject, const nlohmann::json& key,
                  const std::string& hash, const std::string& issuer)
{
  nlohmann::json out = {{"name", name}, {"subject", subject}, {"key", key}, {"hash", hash}};
  if (!issuer.empty()) {
    out["issuer"] = issuer;
  }
  return out;
}

std::vector<std::string> FleetSimulator::arguments(const std::string& binary, const TempDir& dir,
                                                   const nlohmann::json& fleet, const std::vector<std::string>& extra)
{
  write_file(dir.file("fleet.json"), fleet.dump(2));
  std::vector<std::string> args{binary, "--fleet", dir.file("fleet.json"), "--truth", dir.file("truth.json"),
                                "--ready-file", dir.file("ready"), "--duration", "240"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

FleetSimulator::FleetSimulator(const std::string& binary, const TempDir& dir, const nlohmann::json& fleet,
                               const std::vector<std::string>& extra_arguments)
    : m_process(arguments(binary, dir, fleet, extra_arguments), dir.file("sim.out"), dir.file("sim.err"))
{
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!std::filesystem::exists(dir.file("ready"))) {
    if (m_process.wait(std::chrono::milliseconds(50)) >= 0) {
      throw std::runtime_error("fleet-sim exited early: " + read_file(dir.file("sim.err")));
    }
    if (std::chrono::steady_clock::now() > until) {
      throw std::runtime_error("fleet-sim did not become ready in 120 s");
    }
  }
  m_truth = nlohmann::json::parse(read_file(dir.file("truth.json")));
}

std::string FleetSimulator::ca_pem(const std::string& name) const
{
  for (const auto& ca : m_truth.at("cas")) {
    if (ca.at("name") == name) {
      return ca.at("pem");
    }
  }
  throw std::runtime_error("no CA named " + name + " in the truth file");
}

std::string FleetSimulator::ca_sha256(const std::string& name) const
{
  for (const auto& ca : m_truth.at("cas")) {
    if (ca.at("name") == name) {
      return ca.at("sha256");
    }
  }
  throw std::runtime_error("no CA named " + name + " in the truth file");
}

} // namespace fleetcert::testing
