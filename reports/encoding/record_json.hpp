#pragma once
// One record as JSON (the shape documented in docs/records.md and reports/schemas/record.schema.json),
// shared by the JSON and JSONL reports.

#include "scanner/assessment/fleet_view.hpp"
#include "scanner/assessment/record.hpp"
#include "scanner/model/result.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace fleetcert {

// Why a record has no certificate, or why its handshake failed after the certificate arrived.
// A record without a certificate whose observation names no error (a handshake that completed
// without a certificate) is reported as class protocol, detail "no certificate received".
struct RecordError
{
  ErrorClass error_class = ErrorClass::none;
  std::string stage;
  std::string detail;
};

// The error to report for `record`; error_class is none for an ok record with a clean handshake,
// and for a skipped one.
RecordError record_error(const Record& record);

// The record's status as reports write it: "ok", "error" or "skipped".
std::string_view record_status(const Record& record);

// Stores untrusted text under `key`: as is when valid UTF-8, otherwise as to_valid_utf8(value)
// plus a sibling "<key>_hex" with hex_encode(value), so the original bytes stay recoverable.
void put_text(nlohmann::json& object, std::string_view key, std::string_view value);

// The record as JSON; every string from a certificate or the wire goes through put_text.
nlohmann::json record_to_json(const Record& record);

// A record's announced identity (its "identity" object): each field only when non-empty, text
// fields as put_text writes them, so an empty identity is {}.
nlohmann::json identity_to_json(const AnnouncedIdentity& identity);

// {"code", "severity", "message", "remediation"}; the texts through put_text.
nlohmann::json finding_to_json(const Finding& finding);

// The inventory row of a record or device: "mac", "hostname", "vendor", "model", "site" (each only
// when non-empty) and "extra": {column: value} when the row has other columns; all through put_text.
nlohmann::json inventory_to_json(const InventoryRow& row);

// One device of the fleet view: "ip", "host", "mac", "vendor": {"name", "source"}, "model":
// {"name", "source"}, "firmware": {"version", "source"} (each only when known), "inventory",
// "site" (the scan's --site, when the inventory row names none),
// "answered", "worst_severity", "ports": [{"port", "status", "sha256", ...}], "findings".
nlohmann::json device_to_json(const Device& device);

// The inverse of record_to_json: the record that writes `object` back byte for byte (through
// dump_json). Text with a "<key>_hex" sibling gets its original bytes back; chain[].pem gives the
// DER the device sent, and from it what the JSON does not carry (the leaf's key fingerprint, which
// FleetView needs for shared-key; the other chain certificates' details). A word this version does
// not know (a newer fleetcert's validity, error class, ...) cannot be represented and is an error
// naming its path ("assessment.validity 'revoked' is unknown to this fleetcert ..."); so is a
// missing or mistyped required key. A key this version does not know is left out and named in
// `unknown_keys` ("leaf.ocsp"), when given.
Result<Record> record_from_json(const nlohmann::json& object, std::vector<std::string>* unknown_keys = nullptr);

// Compact dump that never throws on invalid UTF-8 (replaced by U+FFFD, as a second line of defence).
std::string dump_json(const nlohmann::json& value);

} // namespace fleetcert
