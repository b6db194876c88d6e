#pragma once
// Reading a fleetcert JSON report in tests: records by address, JSONL records, finding codes, time spent.

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace fleetcert::testing {

// The document's records keyed by target.ip (the last one wins when an address has several ports).
std::map<std::string, nlohmann::json> records_by_ip(const nlohmann::json& report);

// The codes of a findings array ([{code, severity, ...}]).
std::set<std::string> finding_codes(const nlohmann::json& findings);

// Milliseconds a record says its endpoint took: tls.connect_ms + tls.handshake_ms (0 when absent).
double spent_ms(const nlohmann::json& record);

// The records of a JSONL text, in order (each line parsed; a line that is not JSON throws).
std::vector<nlohmann::json> jsonl_records(const std::string& text);

// A JSONL report as an older fleetcert wrote it: every record's chain[] without "pem".
std::string without_chain_pem(const std::string& jsonl);

} // namespace fleetcert::testing
