#pragma once
// The audit settings (scanner/model/audit_settings.hpp) as the JSON document's scan.audit_settings
// (reports/README.md), and read back for `diff`.

#include "scanner/model/audit_settings.hpp"
#include "scanner/model/result.hpp"

#include <nlohmann/json.hpp>

namespace fleetcert {

// {"vendor_ca":[{"vendor","file","sha256"}],"trust":[{"file","sha256"}],"inventory":[...],
//  "dhcp_leases":[...],"profiles":{"builtin_sha256","files":[{"file","sha256"}]}}
nlohmann::ordered_json audit_settings_to_json(const AuditSettings& settings);

// Reads what audit_settings_to_json wrote; an error names the field that does not have that shape.
Result<AuditSettings> audit_settings_from_json(const nlohmann::json& value);

} // namespace fleetcert
