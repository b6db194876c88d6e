#include "reports/encoding/record_json.hpp"

#include "reports/encoding/text_safety.hpp"

#include <cmath>
#include <optional>
#include <utility>
#include <vector>

namespace fleetcert {

namespace {

using nlohmann::json;

// Milliseconds rounded to three decimals (microseconds).
double round_ms(double ms) { return std::round(ms * 1000.0) / 1000.0; }

json error_to_json(const RecordError& error)
{
  json object = json::object();
  object["class"] = std::string(to_string(error.error_class));
  if (!error.stage.empty()) {
    put_text(object, "stage", error.stage);
  }
  if (!error.detail.empty()) {
    put_text(object, "detail", error.detail);
  }
  return object;
}

json target_to_json(const Endpoint& endpoint)
{
  json object = json::object();
  if (!endpoint.ip.empty()) { // a name that did not resolve has no address
    put_text(object, "ip", endpoint.ip);
  }
  object["port"] = endpoint.port;
  if (!endpoint.host.empty()) {
    put_text(object, "host", endpoint.host);
  }
  if (!endpoint.sni.empty()) {
    put_text(object, "sni", endpoint.sni);
  }
  return object;
}

json tls_to_json(const Record& record)
{
  const Observation& observation = record.observation;
  json object = json::object();
  if (!observation.tls_version.empty()) {
    put_text(object, "version", observation.tls_version);
  }
  if (!observation.cipher.empty()) {
    put_text(object, "cipher", observation.cipher);
  }
  if (!observation.cipher_suite.empty()) {
    put_text(object, "cipher_suite", observation.cipher_suite);
  }
  if (!observation.tls_version.empty() || !observation.chain.empty()) {
    object["hello"] = std::string(to_string(observation.hello));
  }
  if (observation.connect_ms >= 0) {
    object["connect_ms"] = round_ms(observation.connect_ms);
  }
  if (observation.handshake_ms >= 0) {
    object["handshake_ms"] = round_ms(observation.handshake_ms);
  }
  object["handshake_complete"] = observation.handshake_complete;
  object["legacy_retry"] = observation.legacy_retry;
  object["handshake_mode"] = std::string(to_string(observation.handshake_mode));
  if (!observation.alert.empty()) {
    put_text(object, "alert", observation.alert);
  }
  if (observation.client_certificate_requested) {
    object["client_certificate_requested"] = *observation.client_certificate_requested;
  }
  if (record.ok() && observation.error != ErrorClass::none) {
    object["handshake_error"] = error_to_json(record_error(record));
  }
  return object;
}

json leaf_to_json(const CertificateInfo& leaf, std::optional<SignatureVerdict> verdict)
{
  json object = json::object();
  if (leaf.parsed) {
    put_text(object, "subject", leaf.subject);
    put_text(object, "issuer", leaf.issuer);
    if (leaf.has_cn) {
      put_text(object, "cn", leaf.cn);
    }
    json san = json::array();
    json san_hex = json::array();
    bool san_invalid = false;
    for (const std::string& name : leaf.san) {
      const bool valid = is_valid_utf8(name);
      san_invalid = san_invalid || !valid;
      san.push_back(valid ? name : to_valid_utf8(name));
      san_hex.push_back(hex_encode(name));
    }
    object["san"] = std::move(san);
    if (san_invalid) {
      object["san_hex"] = std::move(san_hex);
    }
    if (leaf.san_truncated) {
      object["san_truncated"] = true;
    }
    if (!leaf.serial.empty()) {
      put_text(object, "serial", leaf.serial);
    }
    if (leaf.not_before) {
      object["not_before"] = format_iso8601(*leaf.not_before);
    }
    if (leaf.not_after) {
      object["not_after"] = format_iso8601(*leaf.not_after);
    }
  }
  put_text(object, "sha256", leaf.sha256);
  put_text(object, "sha1", leaf.sha1);
  put_text(object, "md5", leaf.md5);
  if (leaf.parsed) {
    json signature = json::object();
    if (!leaf.signature.algorithm.empty()) {
      put_text(signature, "algorithm", leaf.signature.algorithm);
    }
    if (!leaf.signature.label.empty()) {
      put_text(signature, "label", leaf.signature.label);
    }
    if (verdict) {
      signature["verdict"] = std::string(to_string(*verdict));
    }
    object["signature"] = std::move(signature);

    json key = json::object();
    if (!leaf.key.type.empty()) {
      put_text(key, "type", leaf.key.type);
    }
    if (leaf.key.bits > 0) {
      key["bits"] = leaf.key.bits;
    }
    if (!leaf.key.curve.empty()) {
      put_text(key, "curve", leaf.key.curve);
    }
    object["key"] = std::move(key);
    object["self_signed"] = leaf.self_signed;
  }
  object["parsed"] = leaf.parsed;
  if (!leaf.parsed) {
    put_text(object, "parse_error", leaf.parse_error);
  }
  return object;
}

json chain_item_to_json(const CertificateInfo& certificate, const Der* der)
{
  json object = json::object();
  if (certificate.parsed) {
    put_text(object, "subject", certificate.subject);
    put_text(object, "issuer", certificate.issuer);
  }
  put_text(object, "sha256", certificate.sha256);
  if (certificate.parsed && certificate.not_after) {
    object["not_after"] = format_iso8601(*certificate.not_after);
  }
  if (der != nullptr) {
    object["pem"] = der_to_pem(*der);
  }
  return object;
}

json vendor_to_json(const std::string& name, const std::string& source)
{
  json object = json::object();
  put_text(object, "name", name);
  if (!source.empty()) {
    put_text(object, "source", source);
  }
  return object;
}

json provenance_to_json(const Provenance& provenance)
{
  json object = json::object();
  object["kind"] = std::string(to_string(provenance.kind));
  object["basis"] = std::string(to_string(provenance.basis));
  if (!provenance.vendor.empty()) {
    put_text(object, "vendor", provenance.vendor);
  }
  object["chain_incomplete"] = provenance.chain_incomplete;
  if (provenance.issuer_verified) {
    object["issuer_verified"] = *provenance.issuer_verified;
  }
  put_text(object, "detail", provenance.detail);
  return object;
}

json findings_to_json(const std::vector<Finding>& findings)
{
  json array = json::array();
  for (const Finding& finding : findings) {
    array.push_back(finding_to_json(finding));
  }
  return array;
}

json port_to_json(const DevicePort& port)
{
  json object = json::object();
  object["port"] = port.port;
  put_text(object, "status", port.status);
  if (!port.sha256.empty()) {
    put_text(object, "sha256", port.sha256);
  }
  if (!port.signature_label.empty()) {
    put_text(object, "signature_label", port.signature_label);
  }
  if (!port.provenance.empty()) {
    put_text(object, "provenance", port.provenance);
  }
  if (!port.not_after.empty()) {
    put_text(object, "not_after", port.not_after);
  }
  return object;
}

json assessment_to_json(const Assessment& assessment)
{
  json object = json::object();
  object["cn_class"] = std::string(to_string(assessment.cn_class));
  if (!assessment.mac.empty()) {
    put_text(object, "mac", assessment.mac);
  }
  if (assessment.validity) {
    object["validity"] = std::string(to_string(*assessment.validity));
  }
  if (assessment.days_left) {
    object["days_left"] = *assessment.days_left;
  }
  if (!assessment.vendor.empty()) {
    object["vendor"] = vendor_to_json(assessment.vendor, assessment.vendor_source);
  }
  object["provenance"] = provenance_to_json(assessment.provenance);
  object["findings"] = findings_to_json(assessment.findings);
  return object;
}

} // namespace

std::string_view record_status(const Record& record)
{
  return record.ok() ? "ok" : record.skipped() ? "skipped" : "error";
}

RecordError record_error(const Record& record)
{
  const Observation& observation = record.observation;
  RecordError error{observation.error, observation.error_stage, observation.error_detail};
  if (!record.ok() && !record.skipped() && error.error_class == ErrorClass::none) {
    error.error_class = ErrorClass::protocol;
    if (error.stage.empty()) {
      error.stage = "handshake";
    }
    if (error.detail.empty()) {
      error.detail = "no certificate received";
    }
  }
  return error;
}

void put_text(nlohmann::json& object, std::string_view key, std::string_view value)
{
  if (is_valid_utf8(value)) {
    object[std::string(key)] = std::string(value);
    return;
  }
  object[std::string(key)] = to_valid_utf8(value);
  object[std::string(key) + "_hex"] = hex_encode(value);
}

nlohmann::json record_to_json(const Record& record)
{
  json object = json::object();
  object["target"] = target_to_json(record.observation.endpoint);
  object["status"] = std::string(record_status(record));
  if (record.skipped()) {
    json skipped = json::object();
    skipped["reason"] = std::string(to_string(record.observation.skipped));
    put_text(skipped, "detail", record.observation.skip_detail);
    object["skipped"] = std::move(skipped);
  } else if (!record.ok()) {
    object["error"] = error_to_json(record_error(record));
  }
  if (!record.skipped()) { // nothing was sent: no TLS facts
    object["tls"] = tls_to_json(record);
  }
  if (const CertificateInfo* leaf = record.leaf()) {
    object["leaf"] = leaf_to_json(*leaf, record.assessment.signature_verdict);
  }
  json chain = json::array();
  for (std::size_t i = 0; i < record.chain.size(); ++i) {
    const Der* der = i < record.observation.chain.size() ? &record.observation.chain[i] : nullptr;
    chain.push_back(chain_item_to_json(record.chain[i], der));
  }
  object["chain"] = std::move(chain);
  if (record.ok()) {
    object["assessment"] = assessment_to_json(record.assessment);
  }
  if (record.assessment.inventory) {
    object["inventory"] = inventory_to_json(*record.assessment.inventory);
  }
  return object;
}

nlohmann::json finding_to_json(const Finding& finding)
{
  json object = json::object();
  put_text(object, "code", finding.code);
  object["severity"] = std::string(to_string(finding.severity));
  put_text(object, "message", finding.message);
  put_text(object, "remediation", finding.remediation);
  return object;
}

nlohmann::json inventory_to_json(const InventoryRow& row)
{
  json object = json::object();
  const std::pair<const char*, const std::string*> fields[] = {
    {"mac", &row.mac}, {"hostname", &row.hostname}, {"vendor", &row.vendor}, {"model", &row.model},
    {"site", &row.site}};
  for (const auto& [key, value] : fields) {
    if (!value->empty()) {
      put_text(object, key, *value);
    }
  }
  if (!row.extra.empty()) {
    // Column names come from the user's file too: made valid UTF-8 (a "<column>_hex" sibling
    // carries the bytes of an invalid value, not of an invalid name).
    json extra = json::object();
    for (const auto& [column, value] : row.extra) {
      put_text(extra, to_valid_utf8(column), value);
    }
    object["extra"] = std::move(extra);
  }
  return object;
}

nlohmann::json device_to_json(const Device& device)
{
  json object = json::object();
  if (!device.ip.empty()) { // a name that did not resolve has no address
    put_text(object, "ip", device.ip);
  }
  if (!device.host.empty()) {
    put_text(object, "host", device.host);
  }
  if (!device.mac.empty()) {
    put_text(object, "mac", device.mac);
  }
  if (!device.vendor.empty()) {
    object["vendor"] = vendor_to_json(device.vendor, device.vendor_source);
  }
  if (device.inventory) {
    object["inventory"] = inventory_to_json(*device.inventory);
  }
  object["answered"] = device.answered();
  if (const std::optional<Severity> worst = device.worst()) {
    object["worst_severity"] = std::string(to_string(*worst));
  }
  json ports = json::array();
  for (const DevicePort& port : device.ports) {
    ports.push_back(port_to_json(port));
  }
  object["ports"] = std::move(ports);
  object["findings"] = findings_to_json(device.findings);
  return object;
}

std::string dump_json(const nlohmann::json& value)
{
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace fleetcert
