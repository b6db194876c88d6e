#pragma once
// The scan summary (ScanSummary, declared in sink.hpp) as JSON, for the JSON report.

#include "reports/sinks/sink.hpp"

#include <nlohmann/json.hpp>

namespace fleetcert {

// {"endpoints", "ok", "errors", "error_classes": {class: n}, "signature_labels", "signature_verdicts",
//  "validity", "cn_classes", "tls_versions", "self_signed", "findings": {code: n}, "severities",
//  "provenance", "unverified_issuer_names": {vendor: n}, "vendors"}; map keys made valid UTF-8.
nlohmann::json summary_to_json(const ScanSummary& summary);

} // namespace fleetcert
