#include "reports/encoding/record_json.hpp"

#include "reports/encoding/text_safety.hpp"

#include "scanner/util/text.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <set>
#include <stdexcept>
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

// ---- Reading a record back (record_from_json) ----

// Thrown while reading a record; record_from_json turns it into an Error.
struct BadRecordJson : std::runtime_error
{
  using std::runtime_error::runtime_error;
};

std::optional<std::string> hex_decode(std::string_view hex)
{
  auto nibble = [](char c) -> int {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
  };
  if (hex.size() % 2 != 0) {
    return std::nullopt;
  }
  std::string bytes;
  bytes.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int high = nibble(hex[i]);
    const int low = nibble(hex[i + 1]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    bytes += static_cast<char>(high * 16 + low);
  }
  return bytes;
}

std::optional<HandshakeMode> parse_handshake_mode(std::string_view text)
{
  for (const HandshakeMode mode : {HandshakeMode::certificate_only, HandshakeMode::full}) {
    if (text == to_string(mode)) {
      return mode;
    }
  }
  return std::nullopt;
}

std::optional<HelloKind> parse_hello_kind(std::string_view text)
{
  for (const HelloKind hello : {HelloKind::openssl, HelloKind::legacy, HelloKind::raw, HelloKind::raw_sslv3}) {
    if (text == to_string(hello)) {
      return hello;
    }
  }
  return std::nullopt;
}

// One object of a record being read. Keys are taken one at a time; finish() names the keys nothing
// took (a newer fleetcert's) in `unknown`.
class Fields
{
public:
  Fields(const json& value, std::string path, std::vector<std::string>* unknown)
      : m_value(value), m_path(std::move(path)), m_unknown(unknown)
  {
    if (!value.is_object()) {
      throw BadRecordJson((m_path.empty() ? std::string("the record") : m_path) + " is not an object");
    }
  }

  std::string name(std::string_view key) const
  {
    return m_path.empty() ? std::string(key) : m_path + "." + std::string(key);
  }
  bool has(std::string_view key) const { return m_value.find(std::string(key)) != m_value.end(); }

  // The value under `key` (taken), or null when absent.
  const json* take(std::string_view key)
  {
    const auto it = m_value.find(std::string(key));
    if (it == m_value.end()) {
      return nullptr;
    }
    m_taken.insert(std::string(key));
    return &*it;
  }
  const json& require(std::string_view key)
  {
    const json* value = take(key);
    if (value == nullptr) {
      throw BadRecordJson(name(key) + " is missing");
    }
    return *value;
  }

  // Text written by put_text: the "<key>_hex" sibling's bytes when there is one.
  std::optional<std::string> text(std::string_view key)
  {
    const json* value = take(key);
    if (value == nullptr) {
      return std::nullopt;
    }
    if (!value->is_string()) {
      throw BadRecordJson(name(key) + " is not a string");
    }
    const std::string hex_key = std::string(key) + "_hex";
    const json* hex = take(hex_key);
    if (hex == nullptr) {
      return value->get<std::string>();
    }
    const std::optional<std::string> bytes = hex->is_string() ? hex_decode(hex->get_ref<const std::string&>()) : std::nullopt;
    if (!bytes) {
      throw BadRecordJson(name(hex_key) + " is not a string of hex digits");
    }
    if (to_valid_utf8(*bytes) != value->get_ref<const std::string&>()) {
      throw BadRecordJson(name(hex_key) + " does not hold the bytes of " + name(key));
    }
    return bytes;
  }
  std::string text_or_empty(std::string_view key) { return text(key).value_or(std::string()); }
  std::string required_text(std::string_view key)
  {
    if (!has(key)) {
      throw BadRecordJson(name(key) + " is missing");
    }
    return *text(key);
  }

  std::optional<bool> flag(std::string_view key)
  {
    const json* value = take(key);
    if (value == nullptr) {
      return std::nullopt;
    }
    if (!value->is_boolean()) {
      throw BadRecordJson(name(key) + " is not true or false");
    }
    return value->get<bool>();
  }
  bool required_flag(std::string_view key)
  {
    if (!has(key)) {
      throw BadRecordJson(name(key) + " is missing");
    }
    return *flag(key);
  }

  std::optional<std::int64_t> integer(std::string_view key)
  {
    const json* value = take(key);
    if (value == nullptr) {
      return std::nullopt;
    }
    if (!value->is_number_integer()) {
      throw BadRecordJson(name(key) + " is not a whole number");
    }
    return value->get<std::int64_t>();
  }

  std::optional<double> number(std::string_view key)
  {
    const json* value = take(key);
    if (value == nullptr) {
      return std::nullopt;
    }
    // A day at most: a bound that rounding to microseconds (and writing) keeps finite and exact.
    if (!value->is_number() || !(value->get<double>() >= 0 && value->get<double>() <= 86'400'000.0)) {
      throw BadRecordJson(name(key) + " is not a number of milliseconds");
    }
    return value->get<double>();
  }

  std::optional<std::int64_t> instant(std::string_view key)
  {
    const std::optional<std::string> value = text(key);
    if (!value) {
      return std::nullopt;
    }
    const std::optional<std::int64_t> parsed = parse_iso8601(*value);
    if (!parsed || format_iso8601(*parsed) != *value) {
      throw BadRecordJson(name(key) + " " + quote_for_message(*value) + " is not an ISO 8601 time as fleetcert writes it");
    }
    return parsed;
  }

  // A word of the vocabulary: one this version does not know cannot be represented.
  template <typename Enum>
  std::optional<Enum> word(std::string_view key, std::optional<Enum> (*parse)(std::string_view))
  {
    const std::optional<std::string> value = text(key);
    if (!value) {
      return std::nullopt;
    }
    const std::optional<Enum> parsed = parse(*value);
    if (!parsed) {
      throw BadRecordJson(name(key) + " " + quote_for_message(*value)
                          + " is unknown to this fleetcert (a report of a newer version?): rebuild it with that version");
    }
    return parsed;
  }
  template <typename Enum>
  Enum required_word(std::string_view key, std::optional<Enum> (*parse)(std::string_view))
  {
    if (!has(key)) {
      throw BadRecordJson(name(key) + " is missing");
    }
    return *word(key, parse);
  }

  Fields object(std::string_view key) { return Fields(require(key), name(key), m_unknown); }

  const json& array(std::string_view key)
  {
    const json& value = require(key);
    if (!value.is_array()) {
      throw BadRecordJson(name(key) + " is not an array");
    }
    return value;
  }

  std::vector<std::string>* unknown() const { return m_unknown; }

  // Names the keys nothing took.
  void finish() const
  {
    if (m_unknown == nullptr) {
      return;
    }
    for (const auto& [key, value] : m_value.items()) {
      if (m_taken.count(key) == 0) {
        m_unknown->push_back(name(key));
      }
    }
  }

private:
  const json& m_value;
  std::string m_path;
  std::vector<std::string>* m_unknown;
  std::set<std::string> m_taken;
};

Finding read_finding(Fields finding)
{
  Finding out;
  out.code = finding.required_text("code");
  out.severity = finding.required_word("severity", parse_severity);
  out.message = finding.required_text("message");
  out.remediation = finding.required_text("remediation");
  finding.finish();
  return out;
}

std::vector<Finding> read_findings(Fields& owner)
{
  std::vector<Finding> findings;
  const json& array = owner.array("findings");
  for (std::size_t i = 0; i < array.size(); ++i) {
    findings.push_back(read_finding(Fields(array[i], owner.name("findings") + "[" + std::to_string(i) + "]", owner.unknown())));
  }
  return findings;
}

InventoryRow read_inventory(Fields row)
{
  InventoryRow out;
  out.mac = row.text_or_empty("mac");
  out.hostname = row.text_or_empty("hostname");
  out.vendor = row.text_or_empty("vendor");
  out.model = row.text_or_empty("model");
  out.site = row.text_or_empty("site");
  if (row.has("extra")) {
    const json& extra = row.require("extra");
    if (!extra.is_object()) {
      throw BadRecordJson(row.name("extra") + " is not an object");
    }
    // A "<column>_hex" beside "<column>" holding its bytes is that column's, not a column of its own.
    Fields columns(extra, row.name("extra"), nullptr); // every key is a column: none is unknown
    for (const auto& [column, value] : extra.items()) {
      const bool sibling = column.size() > 4 && column.compare(column.size() - 4, 4, "_hex") == 0
                           && extra.contains(column.substr(0, column.size() - 4)) && value.is_string()
                           && extra[column.substr(0, column.size() - 4)].is_string()
                           && hex_decode(value.get_ref<const std::string&>())
                           && to_valid_utf8(*hex_decode(value.get_ref<const std::string&>()))
                                  == extra[column.substr(0, column.size() - 4)].get_ref<const std::string&>();
      if (!sibling) {
        out.extra.emplace_back(column, *columns.text(column));
      }
    }
  }
  row.finish();
  return out;
}

AnnouncedIdentity read_identity(Fields identity)
{
  AnnouncedIdentity out;
  out.vendor = identity.text_or_empty("vendor");
  out.model = identity.text_or_empty("model");
  out.firmware = identity.text_or_empty("firmware");
  out.mac = identity.text_or_empty("mac");
  out.source = identity.word("source", parse_identity_source);
  out.raw = identity.text_or_empty("raw");
  out.error = identity.text_or_empty("error");
  out.request = identity.word("request", parse_identity_protocol);
  identity.finish();
  return out;
}

// A certificate of chain[] (`item`), with what its PEM says when it has one; the DER goes to `ders`.
CertificateInfo read_chain_item(Fields item, std::vector<Der>& ders, bool& pem_missing)
{
  CertificateInfo info;
  if (const std::optional<std::string> pem = item.text("pem")) {
    if (pem_missing) {
      throw BadRecordJson(item.name("pem") + " follows a chain certificate without one");
    }
    Result<std::vector<Der>> der = pem_to_ders(*pem);
    if (!der || der->size() != 1) {
      throw BadRecordJson(item.name("pem") + " is not one PEM certificate" + (der ? std::string() : ": " + der.error()));
    }
    info = decode_certificate(der->front());
    ders.push_back(std::move(der->front()));
  } else {
    pem_missing = true;
  }
  const std::string sha256 = item.required_text("sha256");
  if (!info.sha256.empty() && info.sha256 != sha256) {
    throw BadRecordJson(item.name("pem") + " is not the certificate of " + item.name("sha256"));
  }
  info.sha256 = sha256;
  info.parsed = item.has("subject");
  if (info.parsed) {
    info.subject = item.required_text("subject");
    info.issuer = item.required_text("issuer");
    info.not_after = item.instant("not_after");
  } else {
    CertificateInfo bare; // what the scan had of a certificate OpenSSL refused: its fingerprints
    bare.sha256 = info.sha256;
    bare.sha1 = info.sha1;
    bare.md5 = info.md5;
    info = std::move(bare);
  }
  item.finish();
  return info;
}

// The leaf object on top of what chain[0] gave (`info`); its signature verdict to `verdict`.
void read_leaf(Fields leaf, CertificateInfo& info, std::optional<SignatureVerdict>& verdict)
{
  info.parsed = leaf.required_flag("parsed");
  info.sha256 = leaf.required_text("sha256");
  info.sha1 = leaf.required_text("sha1");
  info.md5 = leaf.required_text("md5");
  if (!info.parsed) {
    info.parse_error = leaf.required_text("parse_error");
    leaf.finish();
    return;
  }
  info.parse_error.clear();
  info.subject = leaf.required_text("subject");
  info.issuer = leaf.required_text("issuer");
  const std::optional<std::string> cn = leaf.text("cn");
  info.has_cn = cn.has_value();
  info.cn = cn.value_or(std::string());
  const json& san = leaf.array("san");
  const json* san_hex = leaf.take("san_hex");
  if (san_hex != nullptr && (!san_hex->is_array() || san_hex->size() != san.size())) {
    throw BadRecordJson(leaf.name("san_hex") + " is not an array as long as " + leaf.name("san"));
  }
  info.san.clear();
  for (std::size_t i = 0; i < san.size(); ++i) {
    if (!san[i].is_string()) {
      throw BadRecordJson(leaf.name("san") + "[" + std::to_string(i) + "] is not a string");
    }
    std::string name = san[i].get<std::string>();
    if (san_hex != nullptr) {
      const std::optional<std::string> bytes =
          (*san_hex)[i].is_string() ? hex_decode((*san_hex)[i].get_ref<const std::string&>()) : std::nullopt;
      if (!bytes || to_valid_utf8(*bytes) != name) {
        throw BadRecordJson(leaf.name("san_hex") + "[" + std::to_string(i) + "] does not hold the bytes of "
                            + leaf.name("san") + "[" + std::to_string(i) + "]");
      }
      name = *bytes;
    }
    info.san.push_back(std::move(name));
  }
  info.san_truncated = leaf.flag("san_truncated").value_or(false);
  info.serial = leaf.text_or_empty("serial");
  info.not_before = leaf.instant("not_before");
  info.not_after = leaf.instant("not_after");
  {
    Fields signature = leaf.object("signature");
    info.signature.algorithm = signature.text_or_empty("algorithm");
    const std::optional<std::string> label = signature.text("label");
    info.signature.label = label.value_or(std::string());
    if (label && info.signature.hash.empty()) {
      info.signature.hash = std::string(hash_of_label(*label));
    }
    verdict = signature.word("verdict", parse_signature_verdict);
    signature.finish();
  }
  {
    Fields key = leaf.object("key");
    info.key.type = key.text_or_empty("type");
    const std::optional<std::int64_t> bits = key.integer("bits");
    if (bits && (*bits <= 0 || *bits > 1'000'000)) {
      throw BadRecordJson(key.name("bits") + " is out of range");
    }
    info.key.bits = bits ? static_cast<int>(*bits) : 0;
    info.key.curve = key.text_or_empty("curve");
    key.finish();
  }
  info.self_signed = leaf.required_flag("self_signed");
  leaf.finish();
}

void read_error(Fields error, Observation& observation)
{
  observation.error = error.required_word("class", parse_error_class);
  observation.error_stage = error.text_or_empty("stage");
  observation.error_detail = error.text_or_empty("detail");
  error.finish();
}

Record read_record(const json& object, std::vector<std::string>* unknown)
{
  Fields fields(object, "", unknown);
  Record record;
  Observation& observation = record.observation;
  {
    Fields target = fields.object("target");
    observation.endpoint.ip = target.text_or_empty("ip");
    const json& port = target.require("port");
    if (!port.is_number_unsigned() || port.get<std::uint64_t>() > 65535) {
      throw BadRecordJson("target.port is not a port number");
    }
    observation.endpoint.port = port.get<std::uint16_t>();
    observation.endpoint.host = target.text_or_empty("host");
    observation.endpoint.sni = target.text_or_empty("sni");
    target.finish();
    if (observation.endpoint.ip.empty() && observation.endpoint.host.empty()) {
      throw BadRecordJson("target has neither ip nor host");
    }
  }
  const std::string status = fields.required_text("status");
  if (status != "ok" && status != "error" && status != "skipped") {
    throw BadRecordJson("status " + quote_for_message(status)
                        + " is unknown to this fleetcert (a report of a newer version?): rebuild it with that version");
  }
  if (status == "skipped") {
    Fields skipped = fields.object("skipped");
    observation.skipped = skipped.required_word("reason", parse_skip_reason);
    observation.skip_detail = skipped.required_text("detail");
    skipped.finish();
  } else if (fields.has("skipped")) {
    throw BadRecordJson("skipped is given but status is " + status);
  }
  if (status == "error") {
    read_error(fields.object("error"), observation);
  } else if (fields.has("error")) {
    throw BadRecordJson("error is given but status is " + status);
  }
  if (status != "skipped") {
    Fields tls = fields.object("tls");
    observation.tls_version = tls.text_or_empty("version");
    observation.cipher = tls.text_or_empty("cipher");
    observation.cipher_suite = tls.text_or_empty("cipher_suite");
    observation.hello = tls.word("hello", parse_hello_kind).value_or(HelloKind::openssl);
    observation.connect_ms = tls.number("connect_ms").value_or(-1);
    observation.handshake_ms = tls.number("handshake_ms").value_or(-1);
    observation.handshake_complete = tls.required_flag("handshake_complete");
    observation.legacy_retry = tls.required_flag("legacy_retry");
    observation.handshake_mode = tls.required_word("handshake_mode", parse_handshake_mode);
    observation.alert = tls.text_or_empty("alert");
    observation.client_certificate_requested = tls.flag("client_certificate_requested");
    if (tls.has("handshake_error")) {
      if (status != "ok") {
        throw BadRecordJson("tls.handshake_error is given but status is " + status);
      }
      read_error(tls.object("handshake_error"), observation);
    }
    tls.finish();
  } else if (fields.has("tls")) {
    throw BadRecordJson("tls is given but status is skipped");
  }

  const json& chain = fields.array("chain");
  bool pem_missing = false;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    record.chain.push_back(read_chain_item(Fields(chain[i], "chain[" + std::to_string(i) + "]", unknown),
                                           observation.chain, pem_missing));
  }
  if ((status == "ok") != !record.chain.empty()) {
    throw BadRecordJson(status == "ok" ? "status is ok but the chain is empty" : "status is " + status + " but the chain is not empty");
  }
  if (record.ok()) {
    const CertificateInfo first = record.chain.front();
    read_leaf(fields.object("leaf"), record.chain.front(), record.assessment.signature_verdict);
    const CertificateInfo& leaf = record.chain.front();
    if (first.sha256 != leaf.sha256 || first.parsed != leaf.parsed
        || (leaf.parsed && (first.subject != leaf.subject || first.issuer != leaf.issuer || first.not_after != leaf.not_after))) {
      throw BadRecordJson("chain[0] is not the leaf");
    }
    Fields assessment = fields.object("assessment");
    Assessment& a = record.assessment;
    a.cn_class = assessment.required_word("cn_class", parse_cn_class);
    a.mac = assessment.text_or_empty("mac");
    a.validity = assessment.word("validity", parse_validity);
    a.days_left = assessment.integer("days_left");
    if (assessment.has("vendor")) {
      Fields vendor = assessment.object("vendor");
      a.vendor = vendor.required_text("name");
      a.vendor_source = vendor.text_or_empty("source");
      vendor.finish();
    }
    {
      Fields provenance = assessment.object("provenance");
      a.provenance.kind = provenance.required_word("kind", parse_provenance_kind);
      a.provenance.basis = provenance.required_word("basis", parse_provenance_basis);
      a.provenance.vendor = provenance.text_or_empty("vendor");
      a.provenance.chain_incomplete = provenance.required_flag("chain_incomplete");
      a.provenance.issuer_verified = provenance.flag("issuer_verified");
      a.provenance.detail = provenance.required_text("detail");
      provenance.finish();
    }
    a.findings = read_findings(assessment);
    assessment.finish();
  } else {
    for (const char* key : {"leaf", "assessment"}) {
      if (fields.has(key)) {
        throw BadRecordJson(std::string(key) + " is given but status is " + status);
      }
    }
  }
  if (fields.has("inventory")) {
    record.assessment.inventory = read_inventory(fields.object("inventory"));
  }
  if (fields.has("identity")) {
    record.identity = read_identity(fields.object("identity"));
  }
  record.site = fields.text_or_empty("site");
  fields.finish();
  return record;
}

} // namespace

json identity_to_json(const AnnouncedIdentity& identity)
{
  json object = json::object();
  const std::pair<const char*, const std::string*> fields[] = {
      {"vendor", &identity.vendor}, {"model", &identity.model}, {"firmware", &identity.firmware}, {"mac", &identity.mac}};
  for (const auto& [key, value] : fields) {
    if (!value->empty()) {
      put_text(object, key, *value);
    }
  }
  if (identity.source) {
    object["source"] = std::string(to_string(*identity.source));
  }
  if (!identity.raw.empty()) {
    put_text(object, "raw", identity.raw);
  }
  if (!identity.error.empty()) {
    put_text(object, "error", identity.error);
  }
  if (identity.request) {
    object["request"] = std::string(to_string(*identity.request));
  }
  return object;
}

Result<Record> record_from_json(const nlohmann::json& object, std::vector<std::string>* unknown_keys)
{
  try {
    return read_record(object, unknown_keys);
  } catch (const BadRecordJson& e) {
    return Error{e.what()};
  } catch (const nlohmann::json::exception& e) {
    return Error{e.what()};
  }
}

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

namespace {

// True when the inventory row names a site: it wins over --site, and is written as inventory.site.
bool inventory_names_site(const std::optional<InventoryRow>& row)
{
  return row && !row->site.empty();
}

} // namespace

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
  if (record.identity) {
    object["identity"] = identity_to_json(*record.identity);
  }
  if (const std::string site = record_identity(record).site; !site.empty() && !inventory_names_site(record.assessment.inventory)) {
    put_text(object, "site", site); // the scan's --site; the inventory's own is inventory.site
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
  if (!device.model.empty()) {
    object["model"] = vendor_to_json(device.model, device.model_source);
  }
  if (!device.firmware.empty()) {
    json firmware = json::object();
    put_text(firmware, "version", device.firmware);
    if (!device.firmware_source.empty()) {
      firmware["source"] = device.firmware_source;
    }
    object["firmware"] = std::move(firmware);
  }
  if (device.inventory) {
    object["inventory"] = inventory_to_json(*device.inventory);
  }
  if (!device.site.empty() && !inventory_names_site(device.inventory)) {
    put_text(object, "site", device.site); // the scan's --site; the inventory's own is inventory.site
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

namespace {

// nlohmann's own compact dump of one value, the reference dump_json must match byte for byte.
void dump_with_nlohmann(const json& value, std::string& out)
{
  out += value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// A string as nlohmann writes it with ensure_ascii off: ASCII escaped by its rules (the short escapes,
// \u00XX for other control characters, DEL as it is), anything with a byte of 0x80 or more through
// nlohmann itself, which checks the UTF-8 and replaces invalid bytes. Record strings are nearly all
// ASCII (PEM, hex digests, names, dates), and nlohmann's serializer runs a UTF-8 decoder over every
// byte of them.
// True when none of the 8 bytes at `at` is below 0x20, '"', '\\' or 0x80 and up (exact: each test
// is nonzero exactly when some byte matches).
bool plain_word(const char* at)
{
  std::uint64_t word = 0;
  std::memcpy(&word, at, sizeof word);
  constexpr std::uint64_t k_ones = 0x0101010101010101ULL;
  constexpr std::uint64_t k_highs = 0x8080808080808080ULL;
  const auto has_zero = [](std::uint64_t v) { return (v - k_ones) & ~v & k_highs; };
  const std::uint64_t below_space = (word - k_ones * 0x20) & ~word & k_highs;
  return (word & k_highs) == 0 && below_space == 0 && has_zero(word ^ (k_ones * '"')) == 0
         && has_zero(word ^ (k_ones * '\\')) == 0;
}

void dump_string(const std::string& text, std::string& out)
{
  // Per byte: 0 as it is, 1 escaped, 2 not ASCII.
  static constexpr std::array<unsigned char, 256> k_kind = [] {
    std::array<unsigned char, 256> kind{};
    for (std::size_t byte = 0; byte < kind.size(); ++byte) {
      kind[byte] = byte >= 0x80 ? 2 : byte < 0x20 || byte == '"' || byte == '\\' ? 1 : 0;
    }
    return kind;
  }();
  static constexpr char k_hex[] = "0123456789abcdef";
  const std::size_t start = out.size();
  out += '"';
  std::size_t plain_from = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    // Eight bytes at a time while none needs a look (a control character, '"', '\\', 0x80 and up).
    while (i + 8 <= text.size() && plain_word(text.data() + i)) {
      i += 8;
    }
    if (i == text.size()) {
      break;
    }
    const auto byte = static_cast<unsigned char>(text[i]);
    const unsigned char kind = k_kind[byte];
    if (kind == 0) {
      continue;
    }
    if (kind == 2) {
      out.resize(start);
      dump_with_nlohmann(json(text), out); // checks the UTF-8, replaces invalid bytes
      return;
    }
    out.append(text, plain_from, i - plain_from);
    plain_from = i + 1;
    switch (byte) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\b': out += "\\b"; break;
    case '\t': out += "\\t"; break;
    case '\n': out += "\\n"; break;
    case '\f': out += "\\f"; break;
    case '\r': out += "\\r"; break;
    default:
      out += "\\u00";
      out += k_hex[byte >> 4];
      out += k_hex[byte & 0x0f];
      break;
    }
  }
  out.append(text, plain_from, text.size() - plain_from);
  out += '"';
}

void dump_value(const json& value, std::string& out)
{
  switch (value.type()) {
  case json::value_t::object: {
    out += '{';
    bool first = true;
    for (const auto& [key, member] : value.get_ref<const json::object_t&>()) { // sorted, as dump writes them
      if (!first) {
        out += ',';
      }
      first = false;
      dump_string(key, out);
      out += ':';
      dump_value(member, out);
    }
    out += '}';
    return;
  }
  case json::value_t::array: {
    out += '[';
    bool first = true;
    for (const json& element : value) {
      if (!first) {
        out += ',';
      }
      first = false;
      dump_value(element, out);
    }
    out += ']';
    return;
  }
  case json::value_t::string:
    dump_string(value.get_ref<const std::string&>(), out);
    return;
  case json::value_t::boolean:
    out += value.get<bool>() ? "true" : "false";
    return;
  case json::value_t::null:
    out += "null";
    return;
  case json::value_t::number_integer:
  case json::value_t::number_unsigned: {
    std::array<char, 24> digits{};
    const auto [end, error] = value.is_number_unsigned()
                                  ? std::to_chars(digits.data(), digits.data() + digits.size(), value.get<std::uint64_t>())
                                  : std::to_chars(digits.data(), digits.data() + digits.size(), value.get<std::int64_t>());
    (void)error; // 24 characters hold any 64-bit integer
    out.append(digits.data(), end);
    return;
  }
  default: // floating point, binary, discarded: nlohmann's own formatting
    dump_with_nlohmann(value, out);
    return;
  }
}

} // namespace

std::string dump_json(const nlohmann::json& value)
{
  // The same bytes as value.dump(-1, ' ', false, replace) (a unit test compares them), written
  // without running nlohmann's UTF-8 decoder over the plain ASCII that makes up most of a record.
  std::string out;
  out.reserve(4096);
  dump_value(value, out);
  return out;
}

} // namespace fleetcert
