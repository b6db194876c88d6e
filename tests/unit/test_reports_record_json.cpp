// Record JSON: the shape of each kind of record, invalid UTF-8 kept recoverable, and every kind
// validated against reports/schemas/record.schema.json with a small JSON Schema validator.

#include "reports/encoding/record_json.hpp"
#include "reports/workflows/report_diff.hpp"
#include "scanner/assessment/findings.hpp"
#include "scanner/readiness/readiness.hpp"
#include "scanner/util/ip_address.hpp"
#include "scanner/util/time.hpp"

#include "scanner/assessment/audit.hpp"
#include "support/cert_factory.hpp"

#include <openssl/asn1.h>

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <fstream>
#include <limits>
#include <random>
// GCC 12 with -fsanitize and -O2 (FLEETCERT_SANITIZE) gives false -Wmaybe-uninitialized inside <regex>.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>
#include <set>
#include <string>
#include <vector>

using namespace fleetcert;
using nlohmann::json;

namespace {

const std::string k_fffd = "\xEF\xBF\xBD";
constexpr std::int64_t k_2026_11_23 = 1795392000; // 2026-11-23T00:00:00Z

CertificateInfo parsed_certificate(const std::string& cn, char digit)
{
  CertificateInfo cert;
  cert.parsed = true;
  cert.subject = "CN=" + cn;
  cert.issuer = "CN=Vendor CA,O=Vendor";
  cert.cn = cn;
  cert.has_cn = true;
  cert.san = {"DNS:phone.example", "IP:127.0.0.1"};
  cert.serial = "0a1b2c";
  cert.not_before = k_2026_11_23 - 86400;
  cert.not_after = k_2026_11_23 + 10 * 86400;
  cert.sha256 = std::string(64, digit);
  cert.sha1 = std::string(40, digit);
  cert.md5 = std::string(32, digit);
  cert.signature = {"sha256WithRSAEncryption", "RSA+SHA256", "RSA", "SHA256"};
  cert.key = {"RSA", 2048, "", ""};
  return cert;
}

Record ok_record()
{
  Record record;
  record.observation.endpoint = {"127.0.0.1", 443, "phone-1.example", "phone-1.example"};
  record.observation.tls_version = "TLSv1.2";
  record.observation.cipher = "ECDHE-RSA-AES128-GCM-SHA256";
  record.observation.connect_ms = 1.23456;
  record.observation.handshake_ms = 5.6;
  record.observation.handshake_complete = true;
  record.chain = {parsed_certificate("0004F2ABCDEF", 'a'), parsed_certificate("Vendor CA", 'b')};
  record.assessment.signature_verdict = SignatureVerdict::current;
  record.assessment.cn_class = CnClass::mac;
  record.assessment.mac = "0004F2ABCDEF";
  record.assessment.validity = Validity::expiring;
  record.assessment.days_left = 10;
  return record;
}

Record error_record()
{
  Record record;
  record.observation.endpoint = {"127.0.0.2", 5061, "", ""};
  record.observation.connect_ms = -1;
  record.observation.error = ErrorClass::timeout;
  record.observation.error_stage = "connect";
  record.observation.error_detail = "no answer within 3000 ms";
  return record;
}

// A name that did not resolve: no address, nothing sent.
Record unresolved_record()
{
  Record record;
  record.observation.endpoint = {"", 443, "nonexistent.invalid", ""};
  record.observation.error = ErrorClass::dns;
  record.observation.error_stage = "resolve";
  record.observation.error_detail = "names under .invalid never resolve (RFC 6761); not looked up";
  return record;
}

// A name that resolved to an excluded address: not connected to.
Record skipped_record()
{
  Record record;
  record.observation.endpoint = {"127.0.0.1", 5061, "localhost", ""};
  record.observation.skipped = SkipReason::excluded;
  record.observation.skip_detail = "localhost resolves to 127.0.0.1, which is excluded: not connected to";
  return record;
}

// The device demanded a client certificate: the certificate arrived, then an alert.
Record failed_handshake_record()
{
  Record record = ok_record();
  record.chain.resize(1);
  record.observation.handshake_complete = false;
  record.observation.alert = "handshake_failure";
  record.observation.error = ErrorClass::tls_alert;
  record.observation.error_stage = "handshake";
  record.observation.error_detail = "sslv3 alert handshake failure";
  record.assessment.validity = Validity::expired;
  record.assessment.days_left = -5;
  return record;
}

Record unparsed_leaf_record()
{
  Record record = ok_record();
  CertificateInfo leaf;
  leaf.parsed = false;
  leaf.parse_error = "invalid string encoding";
  leaf.sha256 = std::string(64, 'c');
  leaf.sha1 = std::string(40, 'c');
  leaf.md5 = std::string(32, 'c');
  record.chain = {leaf};
  record.assessment = Assessment{};
  return record;
}

Record latin1_record()
{
  Record record = ok_record();
  record.chain.front().cn = "Caf\xE9";
  record.chain.front().subject = "CN=Caf\xE9";
  record.chain.front().san = {"DNS:ok.example", "DNS:caf\xE9.example"};
  record.assessment.cn_class = CnClass::other;
  record.assessment.mac.clear();
  return record;
}

InventoryRow inventory_row()
{
  InventoryRow row;
  row.line = 7;
  row.mac = "000B82A1B2C3";
  row.ip = "127.0.0.1";
  row.hostname = "reception-phone";
  row.vendor = "Grandstream";
  row.model = "GRP2614";
  row.site = "=HQ";
  row.extra = {{"room", "Caf\xE9 2"}, {"owner", "IT"}};
  return row;
}

// A record after the vendor-aware audit: vendor, provenance, findings (worst first), inventory.
Record audited_record()
{
  Record record = ok_record();
  Assessment& assessment = record.assessment;
  assessment.vendor = "Grandstream";
  assessment.vendor_source = "mac-prefix";
  assessment.provenance.kind = ProvenanceKind::factory;
  assessment.provenance.basis = ProvenanceBasis::chain;
  assessment.provenance.vendor = "Grandstream";
  assessment.provenance.chain_incomplete = true;
  assessment.provenance.detail = "verifies against the Grandstream bundle";
  assessment.findings = {
    {"sha1-rejected", Severity::high, "signed with RSA+SHA1", "Replace the certificate."},
    {"chain-incomplete", Severity::medium, "the intermediate \xC0 is missing", "Install the full chain."},
  };
  assessment.inventory = inventory_row();
  return record;
}

// An ok record whose device announced itself on SIP (the User-Agent with a Latin-1 byte: raw_hex).
Record identity_record()
{
  Record record = audited_record();
  AnnouncedIdentity identity;
  identity.vendor = "Gigaset";
  identity.model = "N870 IP PRO";
  identity.firmware = "83.V2.43.0+build.5f0a106";
  identity.mac = "7C2F80C6E5C2";
  identity.source = IdentitySource::sip_user_agent;
  identity.raw = "Gigaset N870 IP PRO/83.V2.43.0+build.5f0a106;7C2F80C6E5C2 \xE9";
  record.identity = identity;
  return record;
}

// An identity exchange that yielded nothing: only the error.
Record failed_identity_record()
{
  Record record = ok_record();
  AnnouncedIdentity identity;
  identity.error = "the device reset the connection after the handshake";
  record.identity = identity;
  return record;
}

// A JSON Schema (draft 2020-12) validator for the keywords record.schema.json uses, so the unit
// tests run without Python (tests/schemas/validate_documents.py, with python3-jsonschema, is the
// authority: it validates every document the binary writes). Any other keyword is reported as an
// error, so the schema cannot rely on something this does not check. "format" is checked for
// date-time (parse_iso8601: fleetcert's own UTC form), ipv4 and ipv6 (parse_address).
class SchemaValidator
{
public:
  explicit SchemaValidator(json root) : m_root(std::move(root)) {}

  std::vector<std::string> validate(const json& instance) const
  {
    std::vector<std::string> errors;
    check(m_root, instance, "$", errors);
    return errors;
  }

private:
  const json& resolve(const std::string& ref) const
  {
    REQUIRE(ref.rfind("#/", 0) == 0);
    return m_root.at(json::json_pointer(ref.substr(1)));
  }

  static bool has_type(const json& instance, const std::string& type)
  {
    if (type == "object") return instance.is_object();
    if (type == "array") return instance.is_array();
    if (type == "string") return instance.is_string();
    if (type == "integer") return instance.is_number_integer();
    if (type == "number") return instance.is_number();
    if (type == "boolean") return instance.is_boolean();
    if (type == "null") return instance.is_null();
    return false;
  }

  static bool matches(const std::string& pattern, const std::string& text)
  {
    return std::regex_search(text, std::regex(pattern, std::regex::ECMAScript));
  }

  void check(const json& schema, const json& instance, const std::string& where,
             std::vector<std::string>& errors) const
  {
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) {
        errors.push_back(where + ": not allowed");
      }
      return;
    }
    static const std::set<std::string> k_known = {
      "$schema", "$id", "$defs", "title", "description", "$ref", "type", "enum", "const",
      "minimum", "maximum", "pattern", "minItems", "maxItems", "items", "properties",
      "patternProperties", "additionalProperties", "required", "if", "then", "else", "allOf", "anyOf", "format"};
    for (const auto& [keyword, value] : schema.items()) {
      if (k_known.count(keyword) == 0) {
        errors.push_back(where + ": unsupported keyword " + keyword);
      }
    }
    if (schema.contains("$ref")) {
      check(resolve(schema["$ref"].get<std::string>()), instance, where, errors);
    }
    if (schema.contains("type") && !has_type(instance, schema["type"].get<std::string>())) {
      errors.push_back(where + ": not of type " + schema["type"].get<std::string>());
      return;
    }
    if (schema.contains("enum")) {
      bool found = false;
      for (const json& option : schema["enum"]) {
        found = found || option == instance;
      }
      if (!found) {
        errors.push_back(where + ": " + instance.dump() + " not in enum");
      }
    }
    if (schema.contains("const") && schema["const"] != instance) {
      errors.push_back(where + ": not " + schema["const"].dump());
    }
    if (instance.is_number()) {
      if (schema.contains("minimum") && instance.get<double>() < schema["minimum"].get<double>()) {
        errors.push_back(where + ": below minimum");
      }
      if (schema.contains("maximum") && instance.get<double>() > schema["maximum"].get<double>()) {
        errors.push_back(where + ": above maximum");
      }
    }
    if (instance.is_string() && schema.contains("pattern") &&
        !matches(schema["pattern"].get<std::string>(), instance.get<std::string>())) {
      errors.push_back(where + ": does not match " + schema["pattern"].get<std::string>());
    }
    if (instance.is_string() && schema.contains("format")) {
      const std::string format = schema["format"].get<std::string>();
      const std::string& text = instance.get_ref<const std::string&>();
      const auto address = format == "ipv4" || format == "ipv6" ? parse_address(text) : std::nullopt;
      const bool valid = format == "date-time" ? parse_iso8601(text).has_value()
                         : format == "ipv4"    ? address.has_value() && !address->first // first: IPv6
                         : format == "ipv6"    ? address.has_value() && address->first
                                               : false;
      if (!valid) {
        errors.push_back(where + ": not a valid " + format);
      }
    }
    if (instance.is_array()) {
      if (schema.contains("minItems") && instance.size() < schema["minItems"].get<std::size_t>()) {
        errors.push_back(where + ": too few items");
      }
      if (schema.contains("maxItems") && instance.size() > schema["maxItems"].get<std::size_t>()) {
        errors.push_back(where + ": too many items");
      }
      if (schema.contains("items")) {
        for (std::size_t i = 0; i < instance.size(); ++i) {
          check(schema["items"], instance[i], where + "[" + std::to_string(i) + "]", errors);
        }
      }
    }
    if (instance.is_object()) {
      for (const auto& [key, value] : instance.items()) {
        const std::string path = where + "." + key;
        bool described = false;
        if (schema.contains("properties") && schema["properties"].contains(key)) {
          described = true;
          check(schema["properties"][key], value, path, errors);
        }
        if (schema.contains("patternProperties")) {
          for (const auto& [pattern, subschema] : schema["patternProperties"].items()) {
            if (matches(pattern, key)) {
              described = true;
              check(subschema, value, path, errors);
            }
          }
        }
        if (!described && schema.contains("additionalProperties")) {
          check(schema["additionalProperties"], value, path, errors);
        }
      }
      if (schema.contains("required")) {
        for (const json& name : schema["required"]) {
          if (!instance.contains(name.get<std::string>())) {
            errors.push_back(where + ": missing " + name.get<std::string>());
          }
        }
      }
    }
    if (schema.contains("allOf")) {
      for (const json& subschema : schema["allOf"]) {
        check(subschema, instance, where, errors);
      }
    }
    if (schema.contains("anyOf")) {
      bool any = false;
      for (const json& subschema : schema["anyOf"]) {
        std::vector<std::string> sub_errors;
        check(subschema, instance, where, sub_errors);
        any = any || sub_errors.empty();
      }
      if (!any) {
        errors.push_back(where + ": matches none of anyOf");
      }
    }
    if (schema.contains("if")) {
      std::vector<std::string> if_errors;
      check(schema["if"], instance, where, if_errors);
      const char* branch = if_errors.empty() ? "then" : "else";
      if (schema.contains(branch)) {
        check(schema[branch], instance, where, errors);
      }
    }
  }

  json m_root;
};

json read_schema(const std::string& name)
{
  std::ifstream in(std::string(FLEETCERT_SOURCE_DIR) + "/reports/schemas/" + name);
  REQUIRE(in.good());
  return json::parse(in);
}

SchemaValidator load_schema() { return SchemaValidator(read_schema("record.schema.json")); }

// The words of an enum in a schema.
std::set<std::string> schema_words(const json& enum_schema)
{
  std::set<std::string> words;
  for (const json& word : enum_schema.at("enum")) {
    words.insert(word.get<std::string>());
  }
  return words;
}

// Every word `to_string` gives for an enumerator: the first 64 values of the enum's int, so an
// enumerator added later is included without naming it here ("" for a value that is none).
template <typename Enum> std::set<std::string> code_words(std::string_view (*to_string)(Enum))
{
  std::set<std::string> words;
  for (int value = 0; value < 64; ++value) {
    const std::string_view word = to_string(static_cast<Enum>(value));
    if (!word.empty()) {
      words.insert(std::string(word));
    }
  }
  return words;
}

std::string hex_of(const std::string& bytes)
{
  static const char* const k_digits = "0123456789abcdef";
  std::string hex;
  for (const unsigned char c : bytes) {
    hex += k_digits[c >> 4];
    hex += k_digits[c & 0x0f];
  }
  return hex;
}

std::string errors_text(const std::vector<std::string>& errors)
{
  std::string text;
  for (const std::string& error : errors) {
    text += error + "\n";
  }
  return text;
}

} // namespace

TEST_SUITE("reports.record_json")
{
  TEST_CASE("an ok record")
  {
    const json j = record_to_json(ok_record());
    CHECK(j["status"] == "ok");
    CHECK(j["target"] == json{{"ip", "127.0.0.1"}, {"port", 443}, {"host", "phone-1.example"},
                              {"sni", "phone-1.example"}});
    CHECK_FALSE(j.contains("error"));
    CHECK(j["tls"]["version"] == "TLSv1.2");
    CHECK(j["tls"]["connect_ms"].get<double>() == doctest::Approx(1.235).epsilon(1e-9));
    CHECK(j["tls"]["handshake_ms"].get<double>() == doctest::Approx(5.6));
    CHECK(j["tls"]["handshake_complete"] == true);
    CHECK(j["tls"]["legacy_retry"] == false);
    CHECK(j["tls"]["handshake_mode"] == "certificate-only");
    CHECK_FALSE(j["tls"].contains("alert"));
    CHECK_FALSE(j["tls"].contains("handshake_error"));
    Record full = ok_record();
    full.observation.handshake_mode = HandshakeMode::full;
    CHECK(record_to_json(full)["tls"]["handshake_mode"] == "full");

    const json& leaf = j["leaf"];
    CHECK(leaf["cn"] == "0004F2ABCDEF");
    CHECK(leaf["san"] == json{"DNS:phone.example", "IP:127.0.0.1"});
    CHECK_FALSE(leaf.contains("san_hex"));
    CHECK_FALSE(leaf.contains("san_truncated"));
    CHECK(leaf["not_before"] == "2026-11-22T00:00:00Z");
    CHECK(leaf["not_after"] == "2026-12-03T00:00:00Z");
    CHECK(leaf["signature"] == json{{"algorithm", "sha256WithRSAEncryption"}, {"label", "RSA+SHA256"},
                                    {"verdict", "current"}});
    CHECK(leaf["key"] == json{{"type", "RSA"}, {"bits", 2048}});
    CHECK(leaf["self_signed"] == false);
    CHECK(leaf["parsed"] == true);
    CHECK_FALSE(leaf.contains("parse_error"));

    REQUIRE(j["chain"].size() == 2);
    CHECK(j["chain"][1]["subject"] == "CN=Vendor CA");
    CHECK(j["chain"][1]["sha256"] == std::string(64, 'b'));
    CHECK(j["assessment"] == json{{"cn_class", "mac"},
                                  {"mac", "0004F2ABCDEF"},
                                  {"validity", "expiring"},
                                  {"days_left", 10},
                                  {"provenance",
                                   {{"kind", "unknown"}, {"basis", "none"}, {"chain_incomplete", false}, {"detail", ""}}},
                                  {"findings", json::array()}});
    CHECK_FALSE(j.contains("inventory"));
  }

  TEST_CASE("an error record has no leaf and an empty chain")
  {
    const json j = record_to_json(error_record());
    CHECK(j["status"] == "error");
    CHECK(j["error"] == json{{"class", "timeout"}, {"stage", "connect"}, {"detail", "no answer within 3000 ms"}});
    CHECK(j["target"] == json{{"ip", "127.0.0.2"}, {"port", 5061}});
    CHECK_FALSE(j["tls"].contains("connect_ms"));
    CHECK_FALSE(j["tls"].contains("version"));
    CHECK_FALSE(j.contains("leaf"));
    CHECK_FALSE(j.contains("assessment"));
    CHECK(j["chain"] == json::array());
  }

  TEST_CASE("a name that did not resolve has no ip key, its host and a dns error")
  {
    const json j = record_to_json(unresolved_record());
    CHECK(j["status"] == "error");
    CHECK(j["target"] == json{{"port", 443}, {"host", "nonexistent.invalid"}});
    CHECK(j["error"]["class"] == "dns");
    CHECK(j["error"]["stage"] == "resolve");
    CHECK(j["chain"] == json::array());
    CHECK_FALSE(j.contains("skipped"));
  }

  TEST_CASE("a skipped record says why, with no error and no TLS facts")
  {
    const Record record = skipped_record();
    REQUIRE(record.skipped());
    REQUIRE_FALSE(record.ok());
    const json j = record_to_json(record);
    CHECK(j["status"] == "skipped");
    CHECK(record_status(record) == "skipped");
    CHECK(j["skipped"] == json{{"reason", "excluded"}, {"detail", record.observation.skip_detail}});
    CHECK(j["target"] == json{{"ip", "127.0.0.1"}, {"port", 5061}, {"host", "localhost"}});
    CHECK_FALSE(j.contains("error"));
    CHECK_FALSE(j.contains("tls"));
    CHECK_FALSE(j.contains("leaf"));
    CHECK(j["chain"] == json::array());
    CHECK(record_error(record).error_class == ErrorClass::none);
  }

  TEST_CASE("no certificate and no error is reported as a protocol error")
  {
    Record record = error_record();
    record.observation.error = ErrorClass::none;
    record.observation.error_stage.clear();
    record.observation.error_detail.clear();
    const json j = record_to_json(record);
    CHECK(j["error"]["class"] == "protocol");
    CHECK(j["error"]["detail"] == "no certificate received");
  }

  TEST_CASE("a certificate followed by a failed handshake keeps both")
  {
    const json j = record_to_json(failed_handshake_record());
    CHECK(j["status"] == "ok");
    CHECK_FALSE(j.contains("error"));
    CHECK(j["tls"]["alert"] == "handshake_failure");
    CHECK(j["tls"]["handshake_error"]["class"] == "tls-alert");
    CHECK(j["tls"]["handshake_error"]["stage"] == "handshake");
    CHECK(j["assessment"]["days_left"] == -5);
  }

  TEST_CASE("client_certificate_requested: true, false, or absent when the probe could not tell")
  {
    Record record = ok_record();
    REQUIRE_FALSE(record.observation.client_certificate_requested);
    CHECK_FALSE(record_to_json(record)["tls"].contains("client_certificate_requested"));
    record.observation.client_certificate_requested = false;
    CHECK(record_to_json(record)["tls"]["client_certificate_requested"] == false);
    record.observation.client_certificate_requested = true;
    CHECK(record_to_json(record)["tls"]["client_certificate_requested"] == true);
    Record error = error_record();
    error.observation.client_certificate_requested = true;
    CHECK(record_to_json(error)["tls"]["client_certificate_requested"] == true);
  }

  TEST_CASE("tls.hello and tls.cipher_suite: which ClientHello the device answered and the suite by IANA name")
  {
    Record record = ok_record();
    record.observation.cipher_suite = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
    json j = record_to_json(record);
    CHECK(j["tls"]["hello"] == "openssl");
    CHECK(j["tls"]["cipher_suite"] == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");

    record.observation.hello = HelloKind::raw_sslv3;
    record.observation.tls_version = "SSLv3";
    record.observation.cipher.clear(); // a raw hello: OpenSSL named nothing
    record.observation.cipher_suite = "TLS_RSA_WITH_3DES_EDE_CBC_SHA";
    j = record_to_json(record);
    CHECK(j["tls"]["hello"] == "raw-sslv3");
    CHECK(j["tls"]["version"] == "SSLv3");
    CHECK_FALSE(j["tls"].contains("cipher"));
    CHECK(j["tls"]["cipher_suite"] == "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
    record.observation.hello = HelloKind::legacy;
    CHECK(record_to_json(record)["tls"]["hello"] == "legacy");
    record.observation.hello = HelloKind::raw;
    CHECK(record_to_json(record)["tls"]["hello"] == "raw");

    // No ServerHello: nothing to say about a hello.
    const json error = record_to_json(error_record());
    CHECK_FALSE(error["tls"].contains("hello"));
    CHECK_FALSE(error["tls"].contains("cipher_suite"));
  }

  TEST_CASE("an unparsed leaf has only fingerprints and the parse error")
  {
    const json j = record_to_json(unparsed_leaf_record());
    std::set<std::string> keys;
    for (const auto& [key, value] : j["leaf"].items()) {
      keys.insert(key);
    }
    CHECK(keys == std::set<std::string>{"sha256", "sha1", "md5", "parsed", "parse_error"});
    CHECK(j["leaf"]["parsed"] == false);
    CHECK(j["chain"][0] == json{{"sha256", std::string(64, 'c')}});
  }

  TEST_CASE("Latin-1 bytes in a CN keep the JSON valid and the bytes recoverable")
  {
    const json j = record_to_json(latin1_record());
    std::string text;
    REQUIRE_NOTHROW(text = dump_json(j));
    CHECK_NOTHROW(static_cast<void>(j.dump())); // valid even for the strict default handler
    const json back = json::parse(text);
    CHECK(back["leaf"]["cn"] == "Caf" + k_fffd);
    CHECK(back["leaf"]["cn_hex"] == "436166e9");
    CHECK(back["leaf"]["subject_hex"] == "434e3d436166e9");
    CHECK(back["leaf"]["san"] == json{"DNS:ok.example", "DNS:caf" + k_fffd + ".example"});
    CHECK(back["leaf"]["san_hex"] == json{"444e533a6f6b2e6578616d706c65", "444e533a636166e92e6578616d706c65"});
    CHECK_FALSE(back["leaf"].contains("issuer_hex"));
  }

  TEST_CASE("dump_json replaces invalid UTF-8 it is given directly")
  {
    const json raw = {{"x", std::string("Caf\xE9")}};
    CHECK_THROWS(static_cast<void>(raw.dump()));
    CHECK(dump_json(raw) == "{\"x\":\"Caf" + k_fffd + "\"}");
  }

  TEST_CASE("NUL and control characters survive JSON as escapes")
  {
    Record record = ok_record();
    record.chain.front().cn = std::string("a\0b\x1b[31m", 8);
    const json back = json::parse(dump_json(record_to_json(record)));
    CHECK(back["leaf"]["cn"].get<std::string>() == std::string("a\0b\x1b[31m", 8));
    CHECK_FALSE(back["leaf"].contains("cn_hex"));
  }

  TEST_CASE("an audited record has vendor, provenance, findings and its inventory row")
  {
    const json j = json::parse(dump_json(record_to_json(audited_record())));
    const json& assessment = j["assessment"];
    CHECK(assessment["vendor"] == json{{"name", "Grandstream"}, {"source", "mac-prefix"}});
    CHECK(assessment["provenance"] == json{{"kind", "factory"},
                                           {"basis", "chain"},
                                           {"vendor", "Grandstream"},
                                           {"chain_incomplete", true},
                                           {"detail", "verifies against the Grandstream bundle"}});
    REQUIRE(assessment["findings"].size() == 2);
    CHECK(assessment["findings"][0] == json{{"code", "sha1-rejected"},
                                            {"severity", "high"},
                                            {"message", "signed with RSA+SHA1"},
                                            {"remediation", "Replace the certificate."}});
    CHECK(assessment["findings"][1]["code"] == "chain-incomplete");
    CHECK(assessment["findings"][1]["message"] == "the intermediate " + k_fffd + " is missing");
    CHECK(assessment["findings"][1]["message_hex"] == hex_of("the intermediate \xC0 is missing"));

    // The inventory row sits beside the assessment, not in it; the ip is the target's.
    CHECK_FALSE(assessment.contains("inventory"));
    const json& inventory = j["inventory"];
    CHECK(inventory["mac"] == "000B82A1B2C3");
    CHECK(inventory["hostname"] == "reception-phone");
    CHECK(inventory["vendor"] == "Grandstream");
    CHECK(inventory["model"] == "GRP2614");
    CHECK(inventory["site"] == "=HQ");
    CHECK_FALSE(inventory.contains("ip"));
    CHECK(inventory["extra"] == json{{"room", "Caf" + k_fffd + " 2"}, {"room_hex", "436166e92032"}, {"owner", "IT"}});
  }

  TEST_CASE("issuer_verified is written only for a factory provenance decided by issuer name")
  {
    const SchemaValidator validator = load_schema();
    Record record = audited_record();
    CHECK_FALSE(record_to_json(record)["assessment"]["provenance"].contains("issuer_verified"));
    record.assessment.provenance.basis = ProvenanceBasis::issuer_name;
    record.assessment.provenance.issuer_verified = false;
    const json unverified = record_to_json(record);
    CHECK(unverified["assessment"]["provenance"]["issuer_verified"] == false);
    CHECK(validator.validate(unverified).empty());
    record.assessment.provenance.issuer_verified = true;
    CHECK(record_to_json(record)["assessment"]["provenance"]["issuer_verified"] == true);
    json wrong = unverified;
    wrong["assessment"]["provenance"]["issuer_verified"] = "no";
    CHECK_FALSE(validator.validate(wrong).empty());
  }

  TEST_CASE("empty vendor and inventory fields are left out")
  {
    Record record = audited_record();
    record.assessment.vendor.clear();
    record.assessment.provenance.vendor.clear();
    record.assessment.inventory->hostname.clear();
    record.assessment.inventory->vendor.clear();
    record.assessment.inventory->extra.clear();
    const json j = record_to_json(record);
    CHECK_FALSE(j["assessment"].contains("vendor"));
    CHECK_FALSE(j["assessment"]["provenance"].contains("vendor"));
    CHECK_FALSE(j["inventory"].contains("hostname"));
    CHECK_FALSE(j["inventory"].contains("vendor"));
    CHECK_FALSE(j["inventory"].contains("extra"));
  }

  TEST_CASE("an error record of an inventory device carries the row but no assessment")
  {
    Record record = error_record();
    record.assessment.inventory = inventory_row();
    record.assessment.vendor = "Grandstream";
    const json j = record_to_json(record);
    CHECK_FALSE(j.contains("assessment"));
    CHECK(j["inventory"]["model"] == "GRP2614");
  }

  TEST_CASE("finding_to_json and device_to_json")
  {
    CHECK(finding_to_json({"shared-key", Severity::critical, "also on 127.0.0.9", "Give each device its own key."}) ==
          json{{"code", "shared-key"},
               {"severity", "critical"},
               {"message", "also on 127.0.0.9"},
               {"remediation", "Give each device its own key."}});

    Device device;
    device.ip = "127.0.0.1";
    device.mac = "000B82A1B2C3";
    device.vendor = "Grandstream";
    device.vendor_source = "inventory";
    device.inventory = inventory_row();
    device.ports = {{443, "ok", std::string(64, 'a'), "RSA+SHA1", "factory", "2027-11-20T10:00:00Z", "000B82A1B2C3",
                     "valid", 358},
                    {5061, "refused", "", "", "", "", "", "", std::nullopt}};
    device.findings = {{"sha1-rejected", Severity::high, "port 443: signed with RSA+SHA1", "Replace it."}};
    const json j = json::parse(dump_json(device_to_json(device)));
    CHECK(j["ip"] == "127.0.0.1");
    CHECK_FALSE(j.contains("host"));
    CHECK(j["mac"] == "000B82A1B2C3");
    CHECK(j["vendor"] == json{{"name", "Grandstream"}, {"source", "inventory"}});
    CHECK(j["inventory"]["extra"]["room_hex"] == "436166e92032");
    CHECK(j["answered"] == true);
    CHECK(j["worst_severity"] == "high");
    CHECK(j["ports"] == json{{{"port", 443},
                              {"status", "ok"},
                              {"sha256", std::string(64, 'a')},
                              {"signature_label", "RSA+SHA1"},
                              {"provenance", "factory"},
                              {"not_after", "2027-11-20T10:00:00Z"}},
                             {{"port", 5061}, {"status", "refused"}}});
    REQUIRE(j["findings"].size() == 1);
    CHECK(j["findings"][0]["code"] == "sha1-rejected");

    Device silent;
    silent.ip = "127.0.0.2";
    silent.ports = {{443, "timeout", "", "", "", "", "", "", std::nullopt}};
    const json k = device_to_json(silent);
    CHECK(k["answered"] == false);
    CHECK_FALSE(k.contains("worst_severity"));
    CHECK_FALSE(k.contains("vendor"));
    CHECK_FALSE(k.contains("inventory"));
    CHECK(k["findings"] == json::array());
  }

  TEST_CASE("every kind of record validates against record.schema.json")
  {
    const SchemaValidator validator = load_schema();
    const std::vector<std::pair<const char*, Record>> records = {
      {"ok", ok_record()},
      {"error", error_record()},
      {"unresolved name", unresolved_record()},
      {"skipped", skipped_record()},
      {"failed handshake", failed_handshake_record()},
      {"unparsed leaf", unparsed_leaf_record()},
      {"latin-1", latin1_record()},
      {"audited", audited_record()},
      {"error with inventory", [] {
         Record record = error_record();
         record.assessment.inventory = inventory_row();
         return record;
       }()},
      {"client certificate requested", [] {
         Record record = failed_handshake_record();
         record.observation.client_certificate_requested = true;
         return record;
       }()},
      {"client certificate not requested", [] {
         Record record = ok_record();
         record.observation.client_certificate_requested = false;
         return record;
       }()},
      {"announced identity", identity_record()},
      {"failed identity exchange", failed_identity_record()},
      {"raw SSL 3.0 hello", [] {
         Record record = ok_record();
         record.observation.hello = HelloKind::raw_sslv3;
         record.observation.tls_version = "SSLv3";
         record.observation.cipher.clear();
         record.observation.cipher_suite = "0x0A0A";
         return record;
       }()},
    };
    for (const auto& [name, record] : records) {
      INFO(name);
      const auto errors = validator.validate(json::parse(dump_json(record_to_json(record))));
      CHECK_MESSAGE(errors.empty(), errors_text(errors));
    }
  }

  TEST_CASE("the schema rejects what a record must not hold")
  {
    const SchemaValidator validator = load_schema();
    const json ok = record_to_json(ok_record());
    const json error = record_to_json(error_record());
    REQUIRE(validator.validate(ok).empty());
    REQUIRE(validator.validate(error).empty());

    auto rejects = [&validator](json instance, const char* what) {
      INFO(what);
      CHECK_FALSE(validator.validate(instance).empty());
    };
    {
      json j = ok;
      j["unexpected"] = 1;
      rejects(j, "unknown top-level field");
    }
    {
      json j = ok;
      j["tls"]["hello"] = "gnutls";
      rejects(j, "a hello kind outside openssl, legacy, raw, raw-sslv3");
    }
    {
      json j = ok;
      j["leaf"]["colour"] = "blue";
      rejects(j, "unknown leaf field");
    }
    {
      json j = ok;
      j["target"]["ip_hex"] = "zz";
      rejects(j, "hex sibling that is not hex");
    }
    {
      json j = ok;
      j["status"] = "fine";
      rejects(j, "bad status enum");
    }
    {
      json j = ok;
      j["leaf"]["signature"]["verdict"] = "ok";
      rejects(j, "bad verdict enum");
    }
    {
      json j = ok;
      j["tls"]["client_certificate_requested"] = "unknown";
      rejects(j, "client_certificate_requested that is not a boolean");
    }
    {
      json j = ok;
      j.erase("assessment");
      rejects(j, "ok record without assessment");
    }
    {
      json j = error;
      j["error"]["class"] = "eaten-by-grue";
      rejects(j, "bad error class");
    }
    {
      json j = error;
      j["leaf"] = ok["leaf"];
      rejects(j, "error record with a leaf");
    }
    {
      json j = ok;
      j["leaf"]["parsed"] = false;
      rejects(j, "unparsed leaf with parsed fields and no parse_error");
    }
    {
      json j = ok;
      j["chain"][0]["port"] = 1;
      rejects(j, "unknown chain item field");
    }
    {
      json j = ok;
      j["target"]["port"] = "443";
      rejects(j, "port as a string");
    }
    {
      json j = ok;
      j["target"].erase("ip");
      rejects(j, "ok record without an address");
    }
    {
      json j = error;
      j["target"].erase("ip");
      rejects(j, "target with neither ip nor host");
    }
    const json skipped = record_to_json(skipped_record());
    REQUIRE(validator.validate(skipped).empty());
    {
      json j = skipped;
      j["skipped"]["reason"] = "busy";
      rejects(j, "unknown skip reason");
    }
    {
      json j = skipped;
      j["error"] = error["error"];
      rejects(j, "skipped record with an error");
    }
    {
      json j = skipped;
      j.erase("skipped");
      rejects(j, "skipped record without its reason");
    }
    {
      json j = error;
      j["skipped"] = skipped["skipped"];
      rejects(j, "error record with a skip reason");
    }

    const json audited = record_to_json(audited_record());
    REQUIRE(validator.validate(audited).empty());
    {
      json j = ok;
      j["assessment"].erase("findings");
      rejects(j, "ok record without findings");
    }
    {
      json j = audited;
      j["assessment"]["findings"][0]["severity"] = "severe";
      rejects(j, "bad severity enum");
    }
    {
      json j = audited;
      j["assessment"]["findings"][0]["code"] = "SHA1 Rejected";
      rejects(j, "finding code outside [a-z0-9-]");
    }
    {
      json j = audited;
      j["assessment"]["findings"][0]["code"] = "sha1-forbidden";
      rejects(j, "finding code fleetcert does not write");
    }
    {
      json j = ok;
      j["target"]["ip"] = "127.0.0.256";
      rejects(j, "an address with an octet above 255");
    }
    {
      json j = ok;
      j["target"]["ip"] = "phone.example";
      rejects(j, "a host name as the address");
    }
    {
      json j = ok;
      j["leaf"]["not_after"] = "2026-02-30T10:00:00Z";
      rejects(j, "a date that does not exist");
    }
    {
      json j = audited;
      j["assessment"]["findings"][0].erase("remediation");
      rejects(j, "finding without remediation");
    }
    {
      json j = audited;
      j["assessment"]["provenance"]["kind"] = "vendor";
      rejects(j, "bad provenance kind");
    }
    {
      json j = audited;
      j["assessment"]["provenance"]["pin"] = true;
      rejects(j, "unknown provenance field");
    }
    {
      json j = audited;
      j["inventory"]["extra"]["rack"] = 4;
      rejects(j, "inventory extra value that is not a string");
    }
    {
      json j = audited;
      j["inventory"]["ip"] = "127.0.0.1";
      rejects(j, "unknown inventory field");
    }
    {
      json j = audited;
      j["assessment"]["inventory"] = j["inventory"];
      rejects(j, "inventory inside the assessment");
    }
  }

  TEST_CASE("the schemas' enums are exactly the words the code writes")
  {
    const json record = read_schema("record.schema.json");
    const json& defs = record.at("$defs");
    std::set<std::string> codes;
    for (const FindingKind& kind : finding_kinds()) {
      codes.insert(std::string(kind.code));
    }
    CHECK(schema_words(defs.at("finding_code")) == codes);
    CHECK(schema_words(defs.at("severity")) == code_words<Severity>(&to_string));
    CHECK(schema_words(defs.at("error_class")) == code_words<ErrorClass>(&to_string));
    CHECK(schema_words(defs.at("provenance_kind")) == code_words<ProvenanceKind>(&to_string));
    CHECK(schema_words(defs.at("provenance_basis")) == code_words<ProvenanceBasis>(&to_string));
    CHECK(schema_words(defs.at("cn_class")) == code_words<CnClass>(&to_string));
    CHECK(schema_words(defs.at("validity")) == code_words<Validity>(&to_string));
    CHECK(schema_words(defs.at("signature_verdict")) == code_words<SignatureVerdict>(&to_string));
    CHECK(schema_words(defs.at("skipped").at("properties").at("reason")) == code_words<SkipReason>(&to_string));
    CHECK(schema_words(defs.at("identity_source")) == code_words<IdentitySource>(&to_string));
    std::set<std::string> field_sources = code_words<IdentitySource>(&to_string);
    field_sources.insert(std::string(k_inventory_source));
    CHECK(schema_words(defs.at("device_field_source")) == field_sources);
    CHECK(schema_words(defs.at("tls").at("properties").at("handshake_mode")) == code_words<HandshakeMode>(&to_string));
    CHECK(schema_words(read_schema("diff.schema.json").at("$defs").at("change_kind")) ==
          code_words<ChangeKind>(&to_string));
    CHECK(schema_words(read_schema("readiness.schema.json").at("$defs").at("status")) ==
          code_words<Readiness>(&to_string));
  }
}

namespace {

// The record as the JSONL line a scan writes.
std::string line_of(const Record& record)
{
  return dump_json(record_to_json(record));
}

// record_from_json of `line`; REQUIREs that it reads.
Record read_back(const std::string& line, std::vector<std::string>* unknown = nullptr)
{
  Result<Record> record = record_from_json(json::parse(line), unknown);
  INFO(line);
  INFO((record.ok() ? std::string() : record.error()));
  REQUIRE(record.ok());
  return std::move(*record);
}

// The error record_from_json gives for `object`.
std::string read_error(const json& object)
{
  Result<Record> record = record_from_json(object);
  REQUIRE_FALSE(record.ok());
  return record.error();
}

// A record made the way the scan makes one: a real chain (leaf with a T61String CN of Latin-1
// bytes and SANs, then its CA) through make_record.
Record decoded_record()
{
  using namespace fleetcert::testing;
  const PkeyPtr ca_key = generate_key({"ec", 0, "P-384"});
  CertSpec ca_spec;
  ca_spec.subject = parse_subject("/O=Vendor/CN=Vendor CA");
  ca_spec.ca = true;
  const X509Ptr ca = make_certificate(ca_spec, ca_key.get(), nullptr, ca_key.get());
  const PkeyPtr leaf_key = generate_key({"rsa", 2048, ""});
  CertSpec leaf_spec;
  leaf_spec.subject = {{"O", "Vendor"}, {"CN", "T\xE9l\xE9phone", V_ASN1_T61STRING}};
  leaf_spec.san = {"DNS:phone.example", "IP:127.0.0.1"};
  leaf_spec.hash = "sha1";
  const X509Ptr leaf = make_certificate(leaf_spec, leaf_key.get(), ca.get(), ca_key.get());
  Observation observation;
  observation.endpoint = {"127.0.0.9", 5061, "", ""};
  observation.chain = {to_der(leaf.get()), to_der(ca.get())};
  observation.tls_version = "TLSv1.2";
  observation.cipher = "ECDHE-RSA-AES256-GCM-SHA384";
  observation.connect_ms = 0.125;
  observation.handshake_ms = 2.5;
  observation.client_certificate_requested = true;
  observation.error = ErrorClass::tls_alert;
  observation.error_stage = "handshake";
  observation.error_detail = "certificate required";
  AssessmentSettings settings;
  settings.now = k_2026_11_23;
  return make_record(std::move(observation), settings);
}

} // namespace

TEST_SUITE("reports.record_json.from_json")
{
  TEST_CASE("every kind of record reads back into one that writes the same JSON, byte for byte")
  {
    Record inventory_error = error_record();
    inventory_error.assessment.inventory = inventory_row();
    Record skipped = skipped_record();
    const std::vector<std::pair<const char*, Record>> kinds = {
        {"ok", ok_record()},           {"error", error_record()},        {"unresolved", unresolved_record()},
        {"skipped", skipped},          {"failed handshake", failed_handshake_record()},
        {"unparsed leaf", unparsed_leaf_record()}, {"latin-1", latin1_record()}, {"audited", audited_record()},
        {"inventory error", inventory_error},       {"decoded", decoded_record()},
        {"identity", identity_record()},            {"failed identity", failed_identity_record()}};
    for (const auto& [name, record] : kinds) {
      CAPTURE(name);
      const std::string line = line_of(record);
      const Record back = read_back(line);
      CHECK(line_of(back) == line);
      CHECK(record_status(back) == record_status(record));
      CHECK(back.chain.size() == record.chain.size());
      CHECK(back.observation.chain == record.observation.chain);
    }
  }

  TEST_CASE("text that is not UTF-8 gets its bytes back from the _hex siblings")
  {
    const Record back = read_back(line_of(latin1_record()));
    REQUIRE(back.leaf() != nullptr);
    CHECK(back.leaf()->cn == "Caf\xE9");
    CHECK(back.leaf()->subject == "CN=Caf\xE9");
    CHECK(back.leaf()->san == std::vector<std::string>{"DNS:ok.example", "DNS:caf\xE9.example"});

    Record audited = audited_record();
    audited.assessment.inventory = inventory_row();
    const Record with_row = read_back(line_of(audited));
    REQUIRE(with_row.assessment.inventory.has_value());
    const InventoryRow& row = *with_row.assessment.inventory;
    CHECK(row.site == "=HQ");
    // extra is a JSON object: its columns come back in name order, the bytes of each value intact.
    CHECK(row.extra == std::vector<std::pair<std::string, std::string>>{{"owner", "IT"}, {"room", "Caf\xE9 2"}});
  }

  TEST_CASE("the PEM chain gives back the DER and what the JSON does not carry: the key fingerprint")
  {
    const Record record = decoded_record();
    REQUIRE(record.ok());
    REQUIRE_FALSE(record.leaf()->key.spki_sha256.empty());
    const Record back = read_back(line_of(record));
    CHECK(back.observation.chain == record.observation.chain);
    CHECK(back.leaf()->key.spki_sha256 == record.leaf()->key.spki_sha256);
    CHECK(back.leaf()->signature.hash == "SHA1");
    CHECK(back.leaf()->cn == record.leaf()->cn);
    CHECK(back.chain[1].key.spki_sha256 == record.chain[1].key.spki_sha256);
    CHECK(back.observation.error == ErrorClass::tls_alert);
    CHECK(back.observation.client_certificate_requested == std::optional<bool>(true));
    CHECK(back.assessment.signature_verdict == record.assessment.signature_verdict);
  }

  TEST_CASE("a record that cannot be represented is an error naming the key")
  {
    const json ok = json::parse(line_of(ok_record()));
    const json decoded = json::parse(line_of(decoded_record()));
    json missing_target = ok;
    missing_target.erase("target");
    CHECK(read_error(missing_target) == "target is missing");
    json missing_port = ok;
    missing_port["target"].erase("port");
    CHECK(read_error(missing_port) == "target.port is missing");
    CHECK(read_error(json::array()) == "the record is not an object");

    json revoked = ok;
    revoked["assessment"]["validity"] = "revoked";
    CHECK(read_error(revoked)
          == "assessment.validity 'revoked' is unknown to this fleetcert (a report of a newer version?): rebuild it "
             "with that version");
    json status = ok;
    status["status"] = "partial";
    CHECK(read_error(status).find("status 'partial' is unknown to this fleetcert") == 0);
    json severity = json::parse(line_of(audited_record()));
    severity["assessment"]["findings"][0]["severity"] = "catastrophic";
    CHECK(read_error(severity).find("assessment.findings[0].severity 'catastrophic' is unknown") == 0);

    json bad_number = ok;
    bad_number["tls"]["connect_ms"] = "fast";
    CHECK(read_error(bad_number) == "tls.connect_ms is not a number of milliseconds");
    json bad_hex = json::parse(line_of(latin1_record()));
    bad_hex["leaf"]["cn_hex"] = "zz";
    CHECK(read_error(bad_hex) == "leaf.cn_hex is not a string of hex digits");
    json other_bytes = json::parse(line_of(latin1_record()));
    other_bytes["leaf"]["cn_hex"] = "41";
    CHECK(read_error(other_bytes) == "leaf.cn_hex does not hold the bytes of leaf.cn");
    json bad_time = ok;
    bad_time["leaf"]["not_after"] = "next year";
    CHECK(read_error(bad_time).find("leaf.not_after 'next year' is not an ISO 8601 time") == 0);
    json empty_chain = ok;
    empty_chain["chain"] = json::array();
    CHECK(read_error(empty_chain) == "status is ok but the chain is empty");
    json no_leaf = ok;
    no_leaf.erase("leaf");
    CHECK(read_error(no_leaf) == "leaf is missing");
    json other_leaf = ok;
    other_leaf["chain"][0]["sha256"] = std::string(64, 'f');
    CHECK(read_error(other_leaf) == "chain[0] is not the leaf");
    json swapped_pem = decoded;
    swapped_pem["chain"][0]["pem"] = decoded["chain"][1]["pem"];
    CHECK(read_error(swapped_pem) == "chain[0].pem is not the certificate of chain[0].sha256");
    json bad_pem = decoded;
    bad_pem["chain"][1]["pem"] = "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n";
    CHECK(read_error(bad_pem).find("chain[1].pem is not one PEM certificate") == 0);
    json error_with_leaf = json::parse(line_of(error_record()));
    error_with_leaf["leaf"] = ok["leaf"];
    CHECK(read_error(error_with_leaf) == "leaf is given but status is error");
  }

  TEST_CASE("a key this version does not know is named and left out")
  {
    json newer = json::parse(line_of(audited_record()));
    const std::string expected = newer.dump();
    newer["leaf"]["ocsp"] = "good";
    newer["assessment"]["findings"][0]["cve"] = "CVE-2099-1";
    newer["rating"] = 5;
    std::vector<std::string> unknown;
    const Record back = read_back(newer.dump(), &unknown);
    CHECK(unknown == std::vector<std::string>{"leaf.ocsp", "assessment.findings[0].cve", "rating"});
    CHECK(line_of(back) == dump_json(json::parse(expected)));
  }

  TEST_CASE("the announced identity: its fields when known, compact, and read back exactly")
  {
    const json object = json::parse(line_of(identity_record()));
    REQUIRE(object.contains("identity"));
    const json& identity = object.at("identity");
    CHECK(identity.at("vendor") == "Gigaset");
    CHECK(identity.at("model") == "N870 IP PRO");
    CHECK(identity.at("firmware") == "83.V2.43.0+build.5f0a106");
    CHECK(identity.at("mac") == "7C2F80C6E5C2");
    CHECK(identity.at("source") == "sip-user-agent");
    CHECK(identity.contains("raw_hex"));
    CHECK_FALSE(identity.contains("error"));
    const Record back = read_back(line_of(identity_record()));
    REQUIRE(back.identity.has_value());
    CHECK(back.identity->raw == identity_record().identity->raw);
    CHECK(back.identity->source == IdentitySource::sip_user_agent);

    const json failed = json::parse(line_of(failed_identity_record())).at("identity");
    CHECK(failed == json{{"error", "the device reset the connection after the handshake"}});
    CHECK_FALSE(json::parse(line_of(ok_record())).contains("identity"));
    SUBCASE("an unknown source word is an error naming the key")
    {
      json bad = object;
      bad["identity"]["source"] = "sip-via";
      const std::string error = read_error(bad);
      CHECK(error.find("identity.source 'sip-via' is unknown") != std::string::npos);
    }
  }

  TEST_CASE("device_to_json writes the model and firmware with their sources")
  {
    Device device;
    device.ip = "127.0.0.9";
    device.model = "GXP2170";
    device.model_source = "inventory";
    device.firmware = "1.0.11.23";
    device.firmware_source = "sip-user-agent";
    const json object = device_to_json(device);
    CHECK(object.at("model") == json{{"name", "GXP2170"}, {"source", "inventory"}});
    CHECK(object.at("firmware") == json{{"version", "1.0.11.23"}, {"source", "sip-user-agent"}});
    CHECK_FALSE(device_to_json(Device{}).contains("model"));
    CHECK_FALSE(device_to_json(Device{}).contains("firmware"));
  }

  TEST_CASE("--site: written when the inventory names no site, and read back")
  {
    SUBCASE("no inventory row")
    {
      Record record = ok_record();
      record.site = "branch-7";
      const json object = record_to_json(record);
      CHECK(object.at("site") == "branch-7");
      const std::string line = line_of(record);
      const Record back = read_back(line);
      CHECK(back.site == "branch-7");
      CHECK(line_of(back) == line);
    }
    SUBCASE("the inventory's site wins: only inventory.site")
    {
      Record record = audited_record();
      REQUIRE(record.assessment.inventory.has_value());
      REQUIRE_FALSE(record.assessment.inventory->site.empty());
      record.site = "branch-7";
      const json object = record_to_json(record);
      CHECK_FALSE(object.contains("site"));
      CHECK(object.at("inventory").at("site") == record.assessment.inventory->site);
    }
    SUBCASE("an inventory row without a site")
    {
      Record record = audited_record();
      record.assessment.inventory->site.clear();
      record.site = "branch-7";
      const std::string line = line_of(record);
      CHECK(json::parse(line).at("site") == "branch-7");
      CHECK(line_of(read_back(line)) == line);
    }
    SUBCASE("no --site: no key")
    {
      CHECK_FALSE(record_to_json(ok_record()).contains("site"));
    }
  }
}

namespace {

// A random JSON value: nested objects and arrays, strings of any bytes (ASCII, escapes, control
// characters, UTF-8, invalid UTF-8), integers at their limits, floats, booleans, null.
nlohmann::json random_json(std::mt19937& rng, int depth)
{
  const auto pick = [&rng](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
  const auto random_text = [&]() {
    static const std::vector<std::string> pieces = {"a",    "Z",      " ",    "\"",   "\\",   "/",   "\n",
                                                    "\t",   "\x01",   "\x1f", "\x7f", "~",    "é",   "€", "\b", "\f", "\r",
                                                    "😀",   "\xff",   "\xc3", "\xe2\x82", "\xed\xa0\x80",
                                                    "-----BEGIN CERTIFICATE-----", "MIIB", "=", std::string(1, '\0')};
    std::string text;
    const std::uint32_t parts = pick(12);
    for (std::uint32_t i = 0; i < parts; ++i) {
      text += pieces[pick(static_cast<std::uint32_t>(pieces.size()))];
    }
    return text;
  };
  const std::uint32_t kind = depth > 3 ? 2 + pick(7) : pick(9);
  switch (kind) {
  case 0: {
    nlohmann::json object = nlohmann::json::object();
    const std::uint32_t members = pick(6);
    for (std::uint32_t i = 0; i < members; ++i) {
      object[random_text()] = random_json(rng, depth + 1);
    }
    return object;
  }
  case 1: {
    nlohmann::json array = nlohmann::json::array();
    const std::uint32_t elements = pick(6);
    for (std::uint32_t i = 0; i < elements; ++i) {
      array.push_back(random_json(rng, depth + 1));
    }
    return array;
  }
  case 2:
  case 3:
    return random_text();
  case 4: {
    static const std::vector<std::int64_t> integers = {0, -1, 1, 42, std::numeric_limits<std::int64_t>::min(),
                                                       std::numeric_limits<std::int64_t>::max(), -62167219200};
    return integers[pick(static_cast<std::uint32_t>(integers.size()))];
  }
  case 5:
    return pick(2) == 0 ? nlohmann::json(std::numeric_limits<std::uint64_t>::max()) : nlohmann::json(std::uint64_t{7});
  case 6: {
    static const std::vector<double> floats = {0.0, -0.0, 1.5, 0.1, 1e300, -2.5e-8, 12.345, 3.0};
    return floats[pick(static_cast<std::uint32_t>(floats.size()))];
  }
  case 7:
    return pick(2) == 0;
  default:
    return nullptr;
  }
}

} // namespace

TEST_SUITE("reports.record_json.dump")
{
  TEST_CASE("dump_json writes the same bytes as nlohmann's own compact dump with invalid UTF-8 replaced")
  {
    const auto reference = [](const nlohmann::json& value) {
      return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    };
    SUBCASE("real records")
    {
      for (const nlohmann::json& object :
           {record_to_json(ok_record()), record_to_json(error_record()), nlohmann::json::object(),
            nlohmann::json::array()}) {
        CHECK(dump_json(object) == reference(object));
      }
    }
    SUBCASE("20,000 strings of mostly plain ASCII with a byte to escape or check anywhere")
    {
      std::mt19937 rng(8);
      for (int i = 0; i < 20000; ++i) {
        std::string text(rng() % 41, 'a');
        for (char& c : text) {
          const std::uint32_t roll = rng() % 100;
          c = static_cast<char>(roll < 90 ? 0x20 + rng() % 0x5f // printable ASCII, '"' and '\\' included
                                          : rng() % 256);        // anything
        }
        const nlohmann::json value = text;
        REQUIRE_MESSAGE(dump_json(value) == reference(value), reference(value));
      }
    }
    SUBCASE("10,000 random values")
    {
      std::mt19937 rng(20261128);
      for (int i = 0; i < 10000; ++i) {
        const nlohmann::json value = random_json(rng, 0);
        REQUIRE_MESSAGE(dump_json(value) == reference(value), reference(value));
      }
    }
  }
}
