#pragma once
// Runs fleet-sim for a test: writes the description, starts it, waits until it is ready, reads
// its truth, and stops it (by PID) when destroyed. Also builds the pieces of a description.

#include "support/process.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace fleetcert::testing {

// A certificate of a fleet description (see tests/fleet-sim/main.cpp), valid from 30 days ago for
// ten years; `issuer` is "self" or the name of a CA of the description.
nlohmann::json cert(const std::string& subject, const nlohmann::json& key, const std::string& hash,
                    const std::string& issuer);

// A CA of a fleet description; `issuer` is "self" or another CA's name, and "" leaves it out
// (fleet-sim then makes the CA self-signed).
nlohmann::json ca(const std::string& name, const std::string& subject, const nlohmann::json& key,
                  const std::string& hash, const std::string& issuer = "");

class FleetSimulator
{
public:
  // Throws std::runtime_error when the simulator exits early or is not ready within 120 s.
  FleetSimulator(const std::string& binary, const TempDir& dir, const nlohmann::json& fleet,
                 const std::vector<std::string>& extra_arguments = {});

  const nlohmann::json& truth() const { return m_truth; }
  // The PEM of a CA of the description, from the truth file.
  std::string ca_pem(const std::string& name) const;
  // The SHA-256 (lower-case hex) of a CA certificate, from the truth file.
  std::string ca_sha256(const std::string& name) const;

private:
  static std::vector<std::string> arguments(const std::string& binary, const TempDir& dir, const nlohmann::json& fleet,
                                            const std::vector<std::string>& extra);
  ChildProcess m_process;
  nlohmann::json m_truth;
};

} // namespace fleetcert::testing
