// Reading a fleet description: strict about unknown keys (typos would silently change a test),
// lenient about keys starting with '_' or named "comment" (notes for the reader).

#include "fleet_description.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>
#include <utility>

namespace fleetcert::sim {
namespace {

using nlohmann::json;

constexpr int k_max_group_count = 100000;
constexpr int k_max_san_bytes = 1 << 20;
constexpr int k_max_chain_padding = 1000;
const std::vector<std::string> k_all_versions = {"1.0", "1.1", "1.2", "1.3"};

[[noreturn]] void fail(const std::string& where, const std::string& what)
{
  throw DescriptionError(where + ": " + what);
}

bool is_comment_key(const std::string& key)
{
  return (!key.empty() && key.front() == '_') || key == "comment";
}

// Throws unless every key of `object` is allowed (or a comment).
void check_keys(const json& object, const std::string& where, std::initializer_list<const char*> allowed)
{
  if (!object.is_object()) {
    fail(where, "expected an object");
  }
  for (const auto& item : object.items()) {
    if (is_comment_key(item.key())) {
      continue;
    }
    const bool known = std::any_of(allowed.begin(), allowed.end(),
                                   [&](const char* name) { return item.key() == name; });
    if (!known) {
      fail(where, "unknown key '" + item.key() + "'");
    }
  }
}

std::string get_string(const json& object, const char* key, const std::string& where,
                       const std::string& fallback)
{
  const auto found = object.find(key);
  if (found == object.end()) {
    return fallback;
  }
  if (!found->is_string()) {
    fail(where + "." + key, "expected a string");
  }
  return found->get<std::string>();
}

double get_number(const json& object, const char* key, const std::string& where, double fallback)
{
  const auto found = object.find(key);
  if (found == object.end()) {
    return fallback;
  }
  if (!found->is_number()) {
    fail(where + "." + key, "expected a number");
  }
  return found->get<double>();
}

bool get_bool(const json& object, const char* key, const std::string& where, bool fallback)
{
  const auto found = object.find(key);
  if (found == object.end()) {
    return fallback;
  }
  if (!found->is_boolean()) {
    fail(where + "." + key, "expected true or false");
  }
  return found->get<bool>();
}

// A non-negative integer no larger than `limit`, 0 when absent.
int get_count(const json& object, const char* key, const std::string& where, int limit)
{
  const auto found = object.find(key);
  if (found == object.end()) {
    return 0;
  }
  if (!found->is_number_integer() || found->get<long long>() < 0 || found->get<long long>() > limit) {
    fail(where + "." + key, "expected an integer 0.." + std::to_string(limit));
  }
  return found->get<int>();
}

std::vector<std::string> get_strings(const json& object, const char* key, const std::string& where)
{
  std::vector<std::string> values;
  const auto found = object.find(key);
  if (found == object.end()) {
    return values;
  }
  if (!found->is_array()) {
    fail(where + "." + key, "expected a list of strings");
  }
  for (const json& value : *found) {
    if (!value.is_string()) {
      fail(where + "." + key, "expected a list of strings");
    }
    values.push_back(value.get<std::string>());
  }
  return values;
}

std::string lower(std::string text)
{
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// {"type": "rsa", "bits": 2048}, {"type": "ec", "curve": "P-384"}, or "rsa:2048" / "ec:P-384".
testing::KeySpec parse_key(const json& value, const std::string& where)
{
  testing::KeySpec key;
  std::string bits_text;
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    const auto colon = text.find(':');
    key.type = lower(text.substr(0, colon));
    if (colon != std::string::npos) {
      const std::string rest = text.substr(colon + 1);
      if (key.type == "ec") {
        key.curve = rest;
      } else {
        bits_text = rest;
      }
    }
  } else {
    check_keys(value, where, {"type", "bits", "curve"});
    key.type = lower(get_string(value, "type", where, "rsa"));
    key.curve = get_string(value, "curve", where, "P-256");
    if (value.contains("bits")) {
      if (!value["bits"].is_number_integer()) {
        fail(where + ".bits", "expected an integer");
      }
      bits_text = std::to_string(value["bits"].get<long long>());
    }
  }
  static const std::set<std::string> k_types = {"rsa", "ec", "ed25519", "ed448", "rsa-pss", "dsa"};
  if (k_types.count(key.type) == 0) {
    fail(where, "unknown key type '" + key.type + "' (rsa, ec, ed25519, ed448, rsa-pss, dsa)");
  }
  if (!bits_text.empty()) {
    try {
      key.bits = std::stoi(bits_text);
    } catch (const std::exception&) {
      fail(where, "bad key size '" + bits_text + "'");
    }
  }
  if ((key.type == "rsa" || key.type == "rsa-pss" || key.type == "dsa")
      && (key.bits < 512 || key.bits > 16384)) {
    fail(where, "key size " + std::to_string(key.bits) + " out of range 512..16384");
  }
  return key;
}

Behaviour parse_behaviour(const std::string& text, const std::string& where)
{
  static const std::pair<const char*, Behaviour> k_names[] = {
      {"tls", Behaviour::tls},         {"tarpit", Behaviour::tarpit}, {"close", Behaviour::close},
      {"garbage", Behaviour::garbage}, {"http", Behaviour::http},     {"alert", Behaviour::alert},
      {"reset", Behaviour::reset},     {"drip", Behaviour::drip},     {"reset-mid", Behaviour::reset_mid},
      {"raw-flight", Behaviour::raw_flight}};
  for (const auto& [name, behaviour] : k_names) {
    if (text == name) {
      return behaviour;
    }
  }
  fail(where, "unknown behaviour '" + text
                  + "' (tls, tarpit, close, garbage, http, alert, reset, drip, reset-mid, raw-flight)");
}

// raw_suite (required: a number or "0x000A") and raw_version ("ssl3", "1.0" (default), "1.1", "1.2").
void parse_raw_flight(const nlohmann::json& value, const std::string& where, PortTemplate& port)
{
  if (!value.contains("raw_suite")) {
    fail(where + ".raw_suite", "required for the behaviour raw-flight (the cipher-suite code its ServerHello chooses)");
  }
  const nlohmann::json& suite = value["raw_suite"];
  long long code = -1;
  if (suite.is_number_integer()) {
    code = suite.get<long long>();
  } else if (suite.is_string()) {
    const std::string text = suite.get<std::string>();
    std::size_t used = 0;
    try {
      code = text.starts_with("0x") ? std::stoll(text.substr(2), &used, 16) : -1;
      used += 2;
    } catch (const std::exception&) {
      code = -1;
    }
    if (used != text.size()) {
      code = -1;
    }
  }
  if (code < 0 || code > 0xFFFF) {
    fail(where + ".raw_suite", "expected a cipher-suite code 0..65535 (a number or \"0x000A\")");
  }
  port.raw_suite = static_cast<std::uint16_t>(code);
  static const std::pair<const char*, std::uint16_t> k_versions[] = {
      {"ssl3", 0x0300}, {"1.0", 0x0301}, {"1.1", 0x0302}, {"1.2", 0x0303}};
  const std::string version = get_string(value, "raw_version", where, "1.0");
  for (const auto& [name, number] : k_versions) {
    if (version == name) {
      port.raw_version = number;
      return;
    }
  }
  fail(where + ".raw_version", "unknown version '" + version + "' (ssl3, 1.0, 1.1, 1.2)");
}

int parse_string_type(const std::string& text, const std::string& where)
{
  // ASN.1 universal tags: the V_ASN1_* values.
  static const std::pair<const char*, int> k_types[] = {
      {"utf8", 12}, {"printable", 19}, {"t61", 20}, {"teletex", 20}, {"ia5", 22},
      {"bmp", 30},  {"universal", 28}, {"visible", 26}};
  for (const auto& [name, tag] : k_types) {
    if (text == name) {
      return tag;
    }
  }
  fail(where, "unknown string type '" + text + "' (utf8, printable, t61, ia5, bmp, universal, visible)");
}

std::uint16_t parse_port_number(const std::string& text, const std::string& where)
{
  if (text.empty() || text.size() > 5
      || !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
    fail(where, "bad port '" + text + "'");
  }
  const int port = std::stoi(text);
  if (port < 1 || port > 65535) {
    fail(where, "port " + text + " out of range 1..65535");
  }
  return static_cast<std::uint16_t>(port);
}

// {"answer": "normal"|..., "user_agent", "server", "title", "status"}: how a TLS port answers the
// identity request.
IdentityTemplate parse_identity(const json& value, const std::string& where)
{
  if (!value.is_object()) {
    fail(where, "expected an object");
  }
  check_keys(value, where, {"answer", "user_agent", "server", "title", "status"});
  IdentityTemplate identity;
  const std::string answer = get_string(value, "answer", where, "normal");
  static constexpr IdentityAnswer k_answers[] = {IdentityAnswer::normal,      IdentityAnswer::long_header,
                                                 IdentityAnswer::garbage,     IdentityAnswer::drip,
                                                 IdentityAnswer::status_only, IdentityAnswer::reset,
                                                 IdentityAnswer::silence};
  bool known = false;
  for (IdentityAnswer candidate : k_answers) {
    if (answer == to_string(candidate)) {
      identity.answer = candidate;
      known = true;
    }
  }
  if (!known) {
    fail(where + ".answer", "unknown answer '" + answer
                                + "' (normal, long-header, garbage, drip, status-only, reset, silence)");
  }
  identity.user_agent = get_string(value, "user_agent", where, "");
  identity.server = get_string(value, "server", where, "");
  identity.title = get_string(value, "title", where, "");
  const double status = get_number(value, "status", where, 200);
  if (status < 100 || status > 699 || status != static_cast<int>(status)) {
    fail(where + ".status", "expected a status code 100..699");
  }
  identity.status = static_cast<int>(status);
  return identity;
}

std::unique_ptr<PortTemplate> parse_port(const json& value, const std::string& where)
{
  auto port = std::make_unique<PortTemplate>();
  if (!value.is_object()) {
    fail(where, "expected an object");
  }
  if (value.contains("same_as")) {
    check_keys(value, where, {"same_as", "identity"});
    if (value.contains("identity")) {
      port->identity = parse_identity(value["identity"], where + ".identity"); // this port's own answer
    }
    const json& target = value["same_as"];
    const std::string text = target.is_number_unsigned() ? std::to_string(target.get<unsigned>())
                                                         : get_string(value, "same_as", where, "");
    if (text.find_first_of(".:") != std::string::npos) {
      port->same_as_endpoint = text; // another device's endpoint, resolved once every device is known
      return port;
    }
    port->same_as = parse_port_number(text, where + ".same_as");
    return port;
  }
  port->behaviour = parse_behaviour(get_string(value, "behaviour", where, "tls"), where + ".behaviour");
  if (!has_certificate(port->behaviour)) {
    check_keys(value, where, {"behaviour"});
    return port;
  }
  check_keys(value, where,
             {"behaviour", "subject", "subject_raw_cn_hex", "subject_raw_cn_type", "san", "key",
              "hash", "issuer", "send_chain", "valid_from_days", "valid_days", "not_before",
              "not_after", "serial_hex", "tls", "request_client_cert", "require_client_cert",
              "unique_key",
              "empty_subject", "san_bytes", "chain_padding", "unknown_signature_oid", "raw_suite", "raw_version",
              "identity"});
  if (value.contains("identity")) {
    if (port->behaviour != Behaviour::tls) {
      fail(where + ".identity", "only for the behaviour tls");
    }
    port->identity = parse_identity(value["identity"], where + ".identity");
  }
  if (port->behaviour == Behaviour::raw_flight) {
    parse_raw_flight(value, where, *port);
  } else if (value.contains("raw_suite") || value.contains("raw_version")) {
    fail(where + (value.contains("raw_suite") ? ".raw_suite" : ".raw_version"), "only for the behaviour raw-flight");
  }
  CertificateTemplate& cert = port->certificate;
  cert.subject = get_string(value, "subject", where, cert.subject);
  cert.raw_cn_hex = get_string(value, "subject_raw_cn_hex", where, "");
  if (!cert.raw_cn_hex.empty()) {
    try {
      (void)testing::from_hex(cert.raw_cn_hex);
    } catch (const std::exception& error) {
      fail(where + ".subject_raw_cn_hex", error.what());
    }
  }
  cert.raw_cn_type = parse_string_type(get_string(value, "subject_raw_cn_type", where, "utf8"),
                                       where + ".subject_raw_cn_type");
  cert.san = get_strings(value, "san", where);
  if (value.contains("key")) {
    cert.key = parse_key(value["key"], where + ".key");
  }
  cert.hash = lower(get_string(value, "hash", where, cert.hash));
  cert.issuer = get_string(value, "issuer", where, cert.issuer);
  cert.send_chain = get_bool(value, "send_chain", where, cert.send_chain);
  cert.valid_from_days = get_number(value, "valid_from_days", where, cert.valid_from_days);
  cert.valid_days = get_number(value, "valid_days", where, cert.valid_days);
  cert.not_before = get_string(value, "not_before", where, "");
  cert.not_after = get_string(value, "not_after", where, "");
  cert.serial_hex = get_string(value, "serial_hex", where, "");
  cert.request_client_cert = get_bool(value, "request_client_cert", where, false);
  cert.require_client_cert = get_bool(value, "require_client_cert", where, false);
  if (cert.request_client_cert && cert.require_client_cert) {
    fail(where + ".request_client_cert", "cannot be combined with require_client_cert (which requests one too)");
  }
  cert.unique_key = get_bool(value, "unique_key", where, false);
  cert.empty_subject = get_bool(value, "empty_subject", where, false);
  if (cert.empty_subject && (value.contains("subject") || !cert.raw_cn_hex.empty())) {
    fail(where + ".empty_subject", "cannot be combined with subject or subject_raw_cn_hex");
  }
  cert.san_bytes = get_count(value, "san_bytes", where, k_max_san_bytes);
  cert.chain_padding = get_count(value, "chain_padding", where, k_max_chain_padding);
  cert.unknown_signature_oid = get_bool(value, "unknown_signature_oid", where, false);

  std::vector<std::string> versions = get_strings(value, "tls", where);
  if (versions.empty()) {
    // TLS 1.3 has no DSA signature scheme: a DSA certificate could never be presented there.
    versions = cert.key.type == "dsa" ? std::vector<std::string>{"1.0", "1.1", "1.2"} : k_all_versions;
  }
  for (const std::string& version : versions) {
    if (std::find(k_all_versions.begin(), k_all_versions.end(), version) == k_all_versions.end()) {
      fail(where + ".tls", "unknown version '" + version + "' (1.0, 1.1, 1.2, 1.3)");
    }
  }
  std::sort(versions.begin(), versions.end());
  versions.erase(std::unique(versions.begin(), versions.end()), versions.end());
  cert.tls = versions;
  return port;
}

// "7C:2F:80:12:34:56", "7c2f.8012.3456" -> "7C2F80123456".
std::string normalize_mac(const std::string& text, const std::string& where)
{
  std::string mac;
  for (char c : text) {
    if (std::isxdigit(static_cast<unsigned char>(c))) {
      mac += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else if (c != ':' && c != '-' && c != '.') {
      fail(where, "bad MAC '" + text + "'");
    }
  }
  if (mac.size() != 12) {
    fail(where, "MAC '" + text + "' does not have 12 hex digits");
  }
  return mac;
}

// Canonical text of a loopback address, or a DescriptionError (the simulator's safety rule).
std::pair<std::string, bool> parse_address(const std::string& text, const std::string& where)
{
  unsigned char bytes[16];
  char buffer[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1) {
    if (bytes[0] != 127) {
      fail(where, "refusing address " + text + ": only 127.0.0.0/8 and ::1 are allowed");
    }
    inet_ntop(AF_INET, bytes, buffer, sizeof buffer);
    return {buffer, false};
  }
  if (inet_pton(AF_INET6, text.c_str(), bytes) == 1) {
    static const unsigned char k_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (std::equal(bytes, bytes + 16, k_loopback) == false) {
      fail(where, "refusing address " + text + ": only 127.0.0.0/8 and ::1 are allowed");
    }
    return {"::1", true};
  }
  fail(where, "bad IP address '" + text + "'");
}

// A device's or group's "ports" object, parsed once and shared by every device of a group.
std::vector<std::pair<std::uint16_t, const PortTemplate*>>
parse_ports(const json& object, const std::string& where, FleetDescription& fleet)
{
  std::vector<std::pair<std::uint16_t, const PortTemplate*>> ports;
  const auto found = object.find("ports");
  if (found == object.end() || !found->is_object() || found->empty()) {
    fail(where + ".ports", "expected an object with at least one port");
  }
  for (const auto& item : found->items()) {
    const std::string port_where = where + ".ports." + item.key();
    const std::uint16_t port = parse_port_number(item.key(), port_where);
    fleet.templates.push_back(parse_port(item.value(), port_where));
    ports.emplace_back(port, fleet.templates.back().get());
  }
  for (const auto& [port, spec] : ports) {
    if (spec->same_as == 0 || !spec->same_as_endpoint.empty()) {
      continue;
    }
    const auto target = std::find_if(ports.begin(), ports.end(),
                                     [&](const auto& other) { return other.first == spec->same_as; });
    if (target == ports.end() || target->second->same_as != 0
        || target->second->behaviour != Behaviour::tls) {
      fail(where + ".ports." + std::to_string(port) + ".same_as",
           "must name another TLS port of the same device");
    }
  }
  return ports;
}

const DeviceLabels* parse_labels(const json& object, FleetDescription& fleet, const std::string& where)
{
  auto labels = std::make_unique<DeviceLabels>();
  for (const char* key : {"vendor", "model", "hostname", "site", "note"}) {
    if (object.contains(key)) {
      (*labels)[key] = get_string(object, key, where, "");
    }
  }
  if (labels->empty()) {
    return nullptr;
  }
  fleet.labels.push_back(std::move(labels));
  return fleet.labels.back().get();
}

void add_endpoints(FleetDescription& fleet, const std::string& ip, bool ipv6, const std::string& mac,
                   const std::vector<std::pair<std::uint16_t, const PortTemplate*>>& ports,
                   const DeviceLabels* labels, const std::map<std::uint16_t, std::uint16_t>& port_map)
{
  const std::size_t first = fleet.endpoints.size();
  for (const auto& [port, spec] : ports) {
    Endpoint endpoint;
    endpoint.ip = ip;
    endpoint.ipv6 = ipv6;
    const auto mapped = port_map.find(port);
    endpoint.port = mapped == port_map.end() ? port : mapped->second;
    endpoint.mac = mac;
    endpoint.spec = spec;
    endpoint.identity = spec->identity ? &*spec->identity : nullptr;
    endpoint.labels = labels;
    fleet.endpoints.push_back(std::move(endpoint));
  }
  // "same_as" ports present their sibling's certificate with its settings.
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const std::uint16_t same_as = ports[i].second->same_as;
    if (same_as == 0) {
      continue;
    }
    for (std::size_t j = 0; j < ports.size(); ++j) {
      if (ports[j].first == same_as) {
        fleet.endpoints[first + i].spec = ports[j].second;
        if (fleet.endpoints[first + i].identity == nullptr && ports[j].second->identity) {
          fleet.endpoints[first + i].identity = &*ports[j].second->identity;
        }
        fleet.endpoints[first + i].certificate_source = static_cast<std::ptrdiff_t>(first + j);
      }
    }
  }
}

CaDescription parse_ca(const json& value, const std::string& where)
{
  check_keys(value, where,
             {"name", "subject", "key", "hash", "issuer", "valid_from_days", "valid_days",
              "not_before", "not_after", "serial_hex"});
  CaDescription ca;
  ca.name = get_string(value, "name", where, "");
  if (ca.name.empty() || ca.name == "self") {
    fail(where + ".name", "a CA needs a name (and not \"self\")");
  }
  ca.subject = get_string(value, "subject", where, "/CN=" + ca.name);
  if (value.contains("key")) {
    ca.key = parse_key(value["key"], where + ".key");
  }
  ca.hash = lower(get_string(value, "hash", where, ca.hash));
  ca.issuer = get_string(value, "issuer", where, ca.issuer);
  ca.valid_from_days = get_number(value, "valid_from_days", where, ca.valid_from_days);
  ca.valid_days = get_number(value, "valid_days", where, ca.valid_days);
  ca.not_before = get_string(value, "not_before", where, "");
  ca.not_after = get_string(value, "not_after", where, "");
  ca.serial_hex = get_string(value, "serial_hex", where, "");
  return ca;
}

void replace_all(std::string& text, const std::string& from, const std::string& to)
{
  for (auto position = text.find(from); position != std::string::npos;
       position = text.find(from, position + to.size())) {
    text.replace(position, from.size(), to);
  }
}

} // namespace

const char* to_string(IdentityAnswer answer)
{
  switch (answer) {
  case IdentityAnswer::normal:
    return "normal";
  case IdentityAnswer::long_header:
    return "long-header";
  case IdentityAnswer::garbage:
    return "garbage";
  case IdentityAnswer::drip:
    return "drip";
  case IdentityAnswer::status_only:
    return "status-only";
  case IdentityAnswer::reset:
    return "reset";
  case IdentityAnswer::silence:
    return "silence";
  }
  return "normal";
}

const char* to_string(Behaviour behaviour)
{
  switch (behaviour) {
  case Behaviour::tls: return "tls";
  case Behaviour::tarpit: return "tarpit";
  case Behaviour::close: return "close";
  case Behaviour::garbage: return "garbage";
  case Behaviour::http: return "http";
  case Behaviour::alert: return "alert";
  case Behaviour::reset: return "reset";
  case Behaviour::drip: return "drip";
  case Behaviour::reset_mid: return "reset-mid";
  case Behaviour::raw_flight: return "raw-flight";
  }
  return "?";
}

bool has_certificate(Behaviour behaviour)
{
  return behaviour == Behaviour::tls || behaviour == Behaviour::drip || behaviour == Behaviour::raw_flight;
}

bool is_allowed_address(const std::string& ip)
{
  try {
    (void)parse_address(ip, "address");
    return true;
  } catch (const DescriptionError&) {
    return false;
  }
}

std::string substitute(const std::string& text, const Endpoint& endpoint)
{
  if (text.find('{') == std::string::npos) {
    return text;
  }
  std::string result = text;
  if (result.find("{MAC}") != std::string::npos || result.find("{mac}") != std::string::npos
      || result.find("{mac:}") != std::string::npos) {
    if (endpoint.mac.empty()) {
      throw DescriptionError(endpoint.ip + ":" + std::to_string(endpoint.port) + ": '" + text
                             + "' uses the MAC but the device has none");
    }
    const std::string lower_mac = lower(endpoint.mac);
    std::string colons;
    for (std::size_t i = 0; i < lower_mac.size(); i += 2) {
      colons += (i == 0 ? "" : ":") + lower_mac.substr(i, 2);
    }
    replace_all(result, "{MAC}", endpoint.mac);
    replace_all(result, "{mac:}", colons);
    replace_all(result, "{mac}", lower_mac);
  }
  replace_all(result, "{ip}", endpoint.ip);
  replace_all(result, "{port}", std::to_string(endpoint.port));
  return result;
}

// Ports described as {"same_as": "IP:PORT"} present that other device's certificate (and key).
void resolve_shared_endpoints(FleetDescription& fleet, const std::map<std::uint16_t, std::uint16_t>& port_map)
{
  for (std::size_t i = 0; i < fleet.endpoints.size(); ++i) {
    const std::string& text = fleet.endpoints[i].spec->same_as_endpoint;
    if (text.empty()) {
      continue;
    }
    const std::string where = fleet.endpoints[i].ip + ":" + std::to_string(fleet.endpoints[i].port) + ".same_as";
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) {
      fail(where, "expected IP:PORT, got '" + text + "'");
    }
    const std::uint16_t described = parse_port_number(text.substr(colon + 1), where);
    const auto mapped = port_map.find(described);
    const std::uint16_t port = mapped == port_map.end() ? described : mapped->second;
    const std::string ip = text.substr(0, colon);
    bool found = false;
    for (std::size_t j = 0; j < fleet.endpoints.size() && !found; ++j) {
      const Endpoint& source = fleet.endpoints[j];
      if (source.ip == ip && source.port == port && source.spec->behaviour == Behaviour::tls
          && source.certificate_source < 0 && source.spec->same_as_endpoint.empty()) {
        fleet.endpoints[i].spec = source.spec;
        if (fleet.endpoints[i].identity == nullptr && source.spec->identity) {
          fleet.endpoints[i].identity = &*source.spec->identity;
        }
        fleet.endpoints[i].certificate_source = static_cast<std::ptrdiff_t>(j);
        found = true;
      }
    }
    if (!found) {
      fail(where, "'" + text + "' is not a TLS endpoint of the description with its own certificate");
    }
  }
}

FleetDescription load_fleet_description(const json& document,
                                        const std::map<std::uint16_t, std::uint16_t>& port_map)
{
  FleetDescription fleet;
  check_keys(document, "fleet", {"key_pool", "cas", "devices", "groups"});
  if (document.contains("key_pool")) {
    if (!document["key_pool"].is_number_integer() || document["key_pool"].get<int>() < 1
        || document["key_pool"].get<int>() > 1000) {
      fail("fleet.key_pool", "expected an integer 1..1000");
    }
    fleet.key_pool = document["key_pool"].get<int>();
  }

  if (document.contains("cas")) {
    if (!document["cas"].is_array()) {
      fail("fleet.cas", "expected a list");
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < document["cas"].size(); ++i) {
      const std::string where = "cas[" + std::to_string(i) + "]";
      fleet.cas.push_back(parse_ca(document["cas"][i], where));
      if (!names.insert(fleet.cas.back().name).second) {
        fail(where + ".name", "duplicate CA name '" + fleet.cas.back().name + "'");
      }
    }
    for (const CaDescription& ca : fleet.cas) {
      if (ca.issuer != "self" && names.count(ca.issuer) == 0) {
        fail("CA '" + ca.name + "'", "unknown issuer '" + ca.issuer + "'");
      }
    }
  }

  if (document.contains("devices")) {
    if (!document["devices"].is_array()) {
      fail("fleet.devices", "expected a list");
    }
    for (std::size_t i = 0; i < document["devices"].size(); ++i) {
      const json& device = document["devices"][i];
      const std::string where = "devices[" + std::to_string(i) + "]";
      check_keys(device, where, {"ip", "mac", "ports", "vendor", "model", "hostname", "site", "note"});
      const auto [ip, ipv6] = parse_address(get_string(device, "ip", where, ""), where + ".ip");
      const std::string mac_text = get_string(device, "mac", where, "");
      const std::string mac = mac_text.empty() ? "" : normalize_mac(mac_text, where + ".mac");
      const auto ports = parse_ports(device, where, fleet);
      add_endpoints(fleet, ip, ipv6, mac, ports, parse_labels(device, fleet, where), port_map);
    }
  }

  if (document.contains("groups")) {
    if (!document["groups"].is_array()) {
      fail("fleet.groups", "expected a list");
    }
    for (std::size_t i = 0; i < document["groups"].size(); ++i) {
      const json& group = document["groups"][i];
      const std::string where = "groups[" + std::to_string(i) + "]";
      check_keys(group, where,
                 {"first_ip", "count", "mac_prefix", "first_mac_suffix", "ports", "vendor", "model",
                  "site", "note"});
      const std::string first_ip = get_string(group, "first_ip", where, "");
      const auto [first, ipv6] = parse_address(first_ip, where + ".first_ip");
      if (ipv6) {
        fail(where + ".first_ip", "groups take IPv4 addresses only");
      }
      if (!group.contains("count") || !group["count"].is_number_integer()
          || group["count"].get<long long>() < 1 || group["count"].get<long long>() > k_max_group_count) {
        fail(where + ".count", "expected an integer 1.." + std::to_string(k_max_group_count));
      }
      const auto count = group["count"].get<long long>();
      const std::string prefix_text = get_string(group, "mac_prefix", where, "");
      std::string prefix;
      if (!prefix_text.empty()) {
        prefix = normalize_mac(prefix_text + "000000", where + ".mac_prefix").substr(0, 6);
      }
      long long suffix = 1;
      if (group.contains("first_mac_suffix")) {
        const json& value = group["first_mac_suffix"];
        if (value.is_number_integer()) {
          suffix = value.get<long long>();
        } else if (value.is_string()) {
          try {
            suffix = std::stoll(value.get<std::string>(), nullptr, 16);
          } catch (const std::exception&) {
            fail(where + ".first_mac_suffix", "expected an integer or hex text");
          }
        } else {
          fail(where + ".first_mac_suffix", "expected an integer or hex text");
        }
      }
      if (!prefix.empty() && (suffix < 0 || suffix + count - 1 > 0xFFFFFF)) {
        fail(where + ".first_mac_suffix", "MAC suffixes run past FFFFFF");
      }
      const auto ports = parse_ports(group, where, fleet);
      const DeviceLabels* labels = parse_labels(group, fleet, where);

      in_addr base{};
      inet_pton(AF_INET, first.c_str(), &base);
      const std::uint32_t base_host = ntohl(base.s_addr);
      for (long long n = 0; n < count; ++n) {
        const std::uint64_t host = static_cast<std::uint64_t>(base_host) + static_cast<std::uint64_t>(n);
        if ((host >> 24) != 127) {
          fail(where, "addresses run out of 127.0.0.0/8 after " + std::to_string(n) + " devices");
        }
        in_addr address{};
        address.s_addr = htonl(static_cast<std::uint32_t>(host));
        char buffer[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &address, buffer, sizeof buffer);
        std::string mac;
        if (!prefix.empty()) {
          char digits[8];
          std::snprintf(digits, sizeof digits, "%06llX", suffix + n);
          mac = prefix + digits;
        }
        add_endpoints(fleet, buffer, false, mac, ports, labels, port_map);
      }
    }
  }

  if (fleet.endpoints.empty()) {
    fail("fleet", "no devices");
  }
  std::set<std::pair<std::string, std::uint16_t>> seen;
  for (const Endpoint& endpoint : fleet.endpoints) {
    if (!seen.emplace(endpoint.ip, endpoint.port).second) {
      fail("fleet", "endpoint " + endpoint.ip + ":" + std::to_string(endpoint.port)
                        + " is described twice (after --port-map)");
    }
    if (has_certificate(endpoint.spec->behaviour) && endpoint.spec->certificate.issuer != "self") {
      const std::string& issuer = endpoint.spec->certificate.issuer;
      const bool known = std::any_of(fleet.cas.begin(), fleet.cas.end(),
                                     [&](const CaDescription& ca) { return ca.name == issuer; });
      if (!known) {
        fail(endpoint.ip + ":" + std::to_string(endpoint.port), "unknown issuer '" + issuer + "'");
      }
    }
  }
  resolve_shared_endpoints(fleet, port_map);
  return fleet;
}

} // namespace fleetcert::sim
