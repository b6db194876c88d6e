// Vendor profiles: parsing (nlohmann/json), the compiled-in profiles, and the lookups that tell
// which vendor a device is.
//
//   inventory row vendor ──> MAC prefix (profiles) ──> IEEE registry ──> leaf issuer ──> leaf subject
//   first hit wins; each answer says which of these found it (VendorMatch::source).

#include "scanner/assessment/vendor_profiles.hpp"
#include "scanner/certificate/distinguished_name.hpp"
#include "scanner/util/ascii.hpp"
#include "scanner/util/digest.hpp"
#include "scanner/util/json_error.hpp"
#include "scanner/util/text.hpp"
#include "scanner/util/version.hpp"

#include "scanner/assessment/embedded_profiles.hpp"
#include "scanner/inputs/inventory.hpp"
#include "scanner/inputs/oui_registry.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace fleetcert {

namespace {

using Json = nlohmann::json;

constexpr std::uintmax_t k_max_profile_bytes = 1 << 20; // a profile is a few kilobytes
constexpr std::string_view k_builtin_source = "built-in";

// Inventory vendor values that mean "not known" rather than a vendor.
constexpr std::array<std::string_view, 4> k_unknown_vendor_words = {"unknown", "n/a", "-", "?"};

// Hashes that never make a certificate generation: such signatures are rejected outright.
constexpr std::array<std::string_view, 4> k_rejected_hashes = {"SHA1", "MD5", "MD4", "MD2"};

bool is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_alnum(char c)
{
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

bool is_hex(char c)
{
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

// Lower case, runs of white space as one space, trimmed: the form names are compared in.
std::string fold_text(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  for (char c : trim_blanks(text)) {
    if (is_space(c)) {
      if (out.empty() || out.back() != ' ') {
        out.push_back(' ');
      }
    } else {
      out.push_back(ascii_lower(c));
    }
  }
  return out;
}

bool same_text(std::string_view a, std::string_view b)
{
  return fold_text(a) == fold_text(b);
}

// `word` occurs in `text` (both folded) with no letter or digit right before or after it.
bool contains_whole_word(std::string_view text, std::string_view word)
{
  if (word.empty()) {
    return false;
  }
  for (std::size_t at = text.find(word); at != std::string_view::npos; at = text.find(word, at + 1)) {
    const bool starts_word = at == 0 || !is_alnum(text[at - 1]) || !is_alnum(word.front());
    const std::size_t end = at + word.size();
    const bool ends_word = end == text.size() || !is_alnum(text[end]) || !is_alnum(word.back());
    if (starts_word && ends_word) {
      return true;
    }
  }
  return false;
}

bool profile_named_in(const FoldedProfileNames& profile, std::string_view folded_value)
{
  if (contains_whole_word(folded_value, profile.name)) {
    return true;
  }
  return std::any_of(profile.aliases.begin(), profile.aliases.end(),
                     [&](const std::string& alias) { return contains_whole_word(folded_value, alias); });
}

FoldedProfileNames folded_names(const VendorProfile& profile)
{
  FoldedProfileNames names;
  names.name = fold_text(profile.name);
  for (const std::string& alias : profile.aliases) {
    names.aliases.push_back(fold_text(alias));
  }
  for (const FactoryIssuer& issuer : profile.factory_issuers) {
    FactoryIssuer folded_issuer = issuer;
    folded_issuer.o = fold_text(issuer.o);
    folded_issuer.cn = fold_text(issuer.cn);
    names.factory_issuers.push_back(std::move(folded_issuer));
  }
  return names;
}

// The O= and CN= values of a one-line name, unescaped and trimmed, in the order written.
struct OrganizationAndCommonNames
{
  std::vector<std::string> organizations;
  std::vector<std::string> common_names;
};

OrganizationAndCommonNames organization_and_common_names(std::string_view one_line_name)
{
  OrganizationAndCommonNames names;
  for (const NameAttribute& attribute : split_name(one_line_name)) {
    if (is_organization_type(attribute.type)) {
      names.organizations.emplace_back(trim_blanks(attribute.value));
    } else if (is_common_name_type(attribute.type)) {
      names.common_names.emplace_back(trim_blanks(attribute.value));
    }
  }
  return names;
}

// The names folded for comparison (fold_text).
OrganizationAndCommonNames folded(OrganizationAndCommonNames names)
{
  for (auto* values : {&names.organizations, &names.common_names}) {
    for (std::string& value : *values) {
      value = fold_text(value);
    }
  }
  return names;
}

bool contains_folded(const std::vector<std::string>& folded_values, std::string_view folded_text)
{
  return std::find(folded_values.begin(), folded_values.end(), folded_text) != folded_values.end();
}

// An issuer (its folded O= and CN= values) matches an entry when one of its CNs is the entry's and,
// when the entry gives an O, one of its Os is the entry's (`folded`: the entry's FoldedProfileNames form).
bool issuer_matches(const FactoryIssuer& entry, const FactoryIssuer& folded, const OrganizationAndCommonNames& folded_issuer)
{
  return contains_folded(folded_issuer.common_names, folded.cn)
         && (entry.o.empty() || contains_folded(folded_issuer.organizations, folded.o));
}

// RFC 2253 escaping of one attribute value, as fleetcert prints names: ',', '+', '"', '\', '<',
// '>', ';' and '=' anywhere, '#' and blanks at the start, blanks at the end.
std::string escape_value(std::string_view value)
{
  std::string out;
  out.reserve(value.size() + 4);
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const bool always = c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';' || c == '=';
    const bool at_start = i == 0 && (c == '#' || c == ' ');
    const bool at_end = i + 1 == value.size() && c == ' ';
    if (always || at_start || at_end) {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

// Upper-case hex digits of a MAC or MAC prefix, separators (':', '-', '.', ' ') dropped; nullopt
// when anything else is in it.
std::optional<std::string> hex_digits(std::string_view text)
{
  std::string out;
  for (char c : text) {
    if (is_hex(c)) {
      out.push_back(ascii_upper(c));
    } else if (c != ':' && c != '-' && c != '.' && c != ' ') {
      return std::nullopt;
    }
  }
  return out;
}

std::size_t pin_hex_length(std::string_view algorithm)
{
  if (algorithm == "sha256") {
    return 64;
  }
  if (algorithm == "sha1") {
    return 40;
  }
  if (algorithm == "md5") {
    return 32;
  }
  return 0;
}

// Reads and checks the fields of one profile; the first problem found is the error.
class ProfileReader
{
public:
  explicit ProfileReader(std::string_view source_name) : m_source(source_name) {}

  Result<VendorProfile> read(std::string_view json_text)
  {
    Json document;
    try {
      document = Json::parse(json_text.begin(), json_text.end());
    } catch (const Json::exception& e) {
      // parse_error, and out_of_range for a number too large for a double (1e400).
      return fail("", json_error_text(e));
    }
    if (!document.is_object()) {
      return fail("", "not a JSON object");
    }
    VendorProfile profile;
    profile.source = std::string(m_source);
    for (const auto& [key, value] : document.items()) {
      if (auto error = read_field(key, value, profile)) {
        return *error;
      }
    }
    if (!document.contains("name")) {
      return fail("name", "missing");
    }
    for (const std::string& label : profile.current_generation) {
      if (std::find(profile.legacy_generation.begin(), profile.legacy_generation.end(), label)
          != profile.legacy_generation.end()) {
        return fail("legacy_generation", quote_for_message(label) + " is also in current_generation");
      }
    }
    return profile;
  }

private:
  Error fail(std::string_view field, std::string_view problem) const
  {
    std::string message(m_source);
    message += ": ";
    if (!field.empty()) {
      message += field;
      message += ": ";
    }
    message += problem;
    return Error{std::move(message)};
  }

  std::optional<Error> read_field(const std::string& key, const Json& value, VendorProfile& profile) const
  {
    if (key.starts_with("_")) {
      return std::nullopt; // comment
    }
    if (key == "name") {
      if (!value.is_string() || trim_blanks(value.get_ref<const std::string&>()).empty()) {
        return fail(key, "must be a non-empty string");
      }
      profile.name = std::string(trim_blanks(value.get_ref<const std::string&>()));
      return std::nullopt;
    }
    if (key == "aliases") {
      return read_strings(key, value, profile.aliases);
    }
    if (key == "generic_cns") {
      return read_strings(key, value, profile.generic_cns);
    }
    if (key == "factory_issuers") {
      return read_factory_issuers(key, value, profile.factory_issuers);
    }
    if (key == "mac_prefixes") {
      return read_mac_prefixes(key, value, profile.mac_prefixes);
    }
    if (key == "current_generation") {
      return read_generation(key, value, profile.current_generation);
    }
    if (key == "legacy_generation") {
      return read_generation(key, value, profile.legacy_generation);
    }
    if (key == "issuer_pins") {
      return read_pins(key, value, profile.issuer_pins);
    }
    if (key == "firmware_version_after") {
      if (!value.is_string()) {
        return fail(key, "must be a string such as \".V\"");
      }
      profile.firmware_version_after = value.get<std::string>();
      return std::nullopt;
    }
    if (key == "firmware_stages") {
      return read_firmware_stages(key, value, profile.firmware_stages);
    }
    if (key == "portal_models") {
      return read_strings(key, value, profile.portal_models);
    }
    if (key == "model_decorations") {
      return read_strings(key, value, profile.model_decorations);
    }
    if (key == "sha1_rejected_from") {
      if (!value.is_string()) {
        return fail(key, "must be a firmware version string such as \"2.57\"");
      }
      profile.sha1_rejected_from = std::string(trim_blanks(value.get_ref<const std::string&>()));
      return std::nullopt;
    }
    if (key == "remediation") {
      return read_remediation(key, value, profile.remediation);
    }
    if (key == "identity_patterns") {
      return read_identity_patterns(key, value, profile.identity_patterns);
    }
    return fail(key, "unknown key (comments are keys starting with '_')");
  }

  // An array of non-empty strings.
  std::optional<Error> read_strings(const std::string& key, const Json& value, std::vector<std::string>& out) const
  {
    if (!value.is_array()) {
      return fail(key, "must be an array of strings");
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      const Json& item = value[i];
      const std::string field = key + "[" + std::to_string(i) + "]";
      if (!item.is_string()) {
        return fail(field, "must be a string");
      }
      const std::string_view text = trim_blanks(item.get_ref<const std::string&>());
      if (text.empty()) {
        return fail(field, "must not be empty");
      }
      out.emplace_back(text);
    }
    return std::nullopt;
  }

  // Objects {"o", "cn", "verified", "source"} or, the older form, one-line issuer names whose O
  // and CN are taken (unverified).
  std::optional<Error> read_factory_issuers(const std::string& key, const Json& value,
                                            std::vector<FactoryIssuer>& out) const
  {
    if (!value.is_array()) {
      return fail(key, "must be an array of objects such as {\"o\": \"...\", \"cn\": \"...\"}");
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      const Json& item = value[i];
      const std::string field = key + "[" + std::to_string(i) + "]";
      FactoryIssuer issuer;
      std::optional<Error> error;
      if (item.is_object()) {
        error = read_factory_issuer(field, item, issuer);
      } else if (item.is_string()) {
        error = read_factory_issuer_name(field, item.get_ref<const std::string&>(), issuer);
      } else {
        error = fail(field, "must be an object such as {\"o\": \"...\", \"cn\": \"...\"} or an issuer name");
      }
      if (error) {
        return error;
      }
      out.push_back(std::move(issuer));
    }
    return std::nullopt;
  }

  std::optional<Error> read_factory_issuer(const std::string& field, const Json& item, FactoryIssuer& out) const
  {
    for (const auto& [key, value] : item.items()) {
      const std::string member = field + "." + key;
      if (key.starts_with("_")) {
        continue; // comment
      }
      if (key == "o" || key == "cn") {
        if (!value.is_string() || trim_blanks(value.get_ref<const std::string&>()).empty()) {
          return fail(member, key == "o" ? "must be a non-empty string (leave it out to match any organisation)"
                                         : "must be a non-empty string");
        }
        (key == "o" ? out.o : out.cn) = std::string(trim_blanks(value.get_ref<const std::string&>()));
      } else if (key == "verified") {
        if (!value.is_boolean()) {
          return fail(member, "must be true or false");
        }
        out.verified = value.get<bool>();
      } else if (key == "source") {
        if (!value.is_string()) {
          return fail(member, "must be a string");
        }
        out.source = std::string(trim_blanks(value.get_ref<const std::string&>()));
      } else {
        return fail(member, "unknown key (o, cn, verified, source; comments start with '_')");
      }
    }
    if (out.cn.empty()) {
      return fail(field + ".cn", "missing");
    }
    return std::nullopt;
  }

  // "C=US, O=Acme\, Inc., CN=Acme CA": its O and CN; the other attributes are not compared.
  std::optional<Error> read_factory_issuer_name(const std::string& field, std::string_view text,
                                                FactoryIssuer& out) const
  {
    if (trim_blanks(text).empty()) {
      return fail(field, "must not be empty");
    }
    const OrganizationAndCommonNames names = organization_and_common_names(text);
    const std::string quoted = quote_for_message(text);
    if (names.common_names.empty() || names.common_names.front().empty()) {
      return fail(field, quoted + " has no CN= (give {\"o\": \"...\", \"cn\": \"...\"})");
    }
    if (names.common_names.size() > 1 || names.organizations.size() > 1) {
      return fail(field, quoted + " has more than one CN= or O= (give {\"o\": \"...\", \"cn\": \"...\"})");
    }
    if (!names.organizations.empty() && names.organizations.front().empty()) {
      return fail(field, quoted + " has an empty O= (give {\"o\": \"...\", \"cn\": \"...\"})");
    }
    out.cn = names.common_names.front();
    out.o = names.organizations.empty() ? std::string() : names.organizations.front();
    return std::nullopt;
  }

  std::optional<Error> read_mac_prefixes(const std::string& key, const Json& value,
                                         std::vector<std::string>& out) const
  {
    std::vector<std::string> texts;
    if (auto error = read_strings(key, value, texts)) {
      return error;
    }
    for (std::size_t i = 0; i < texts.size(); ++i) {
      const std::optional<std::string> digits = hex_digits(texts[i]);
      if (!digits || digits->size() < 6 || digits->size() > 9) {
        return fail(key + "[" + std::to_string(i) + "]", quote_for_message(texts[i]) + " is not 6 to 9 hex digits");
      }
      out.push_back(*digits);
    }
    return std::nullopt;
  }

  // Signature labels "<KEY>+<HASH>"; SHA1 and weaker are rejected, never a generation.
  std::optional<Error> read_generation(const std::string& key, const Json& value,
                                       std::vector<std::string>& out) const
  {
    if (auto error = read_strings(key, value, out)) {
      return error;
    }
    for (std::size_t i = 0; i < out.size(); ++i) {
      const std::string& label = out[i];
      // A signature label is KEY+HASH (one '+', nothing blank beside it) or a name without '+'
      // (Ed25519, an algorithm OpenSSL has no hash for): "RS+A+SHA1" would match no certificate
      // and hide the SHA1 behind the first '+'.
      const std::size_t plus = label.find('+');
      if (plus != std::string::npos
          && (label.find('+', plus + 1) != std::string::npos || plus == 0 || plus + 1 == label.size()
              || is_space(label[plus - 1]) || is_space(label[plus + 1]))) {
        return fail(key + "[" + std::to_string(i) + "]",
                    quote_for_message(label) + " is not a signature label (KEY+HASH, such as ECDSA+SHA384)");
      }
      const std::string hash = fold_text(hash_of_label(label));
      for (std::string_view rejected : k_rejected_hashes) {
        if (hash == fold_text(rejected)) {
          return fail(key + "[" + std::to_string(i) + "]",
                      quote_for_message(label) + " is rejected (SHA1 and weaker), never a generation");
        }
      }
    }
    return std::nullopt;
  }

  std::optional<Error> read_pins(const std::string& key, const Json& value, std::vector<IssuerPin>& out) const
  {
    if (!value.is_array()) {
      return fail(key, "must be an array of objects such as {\"sha256\": \"<hex>\"}");
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      const Json& item = value[i];
      const std::string field = key + "[" + std::to_string(i) + "]";
      if (!item.is_object() || item.size() != 1) {
        return fail(field, "must be an object with one key: sha256, sha1 or md5");
      }
      const auto entry = item.begin();
      const std::string& algorithm = entry.key();
      const std::size_t length = pin_hex_length(algorithm);
      if (length == 0) {
        return fail(field, "unknown algorithm " + quote_for_message(algorithm) + " (sha256, sha1 or md5)");
      }
      const std::string pin_field = field + "." + algorithm;
      if (!entry.value().is_string()) {
        return fail(pin_field, "must be a hex string");
      }
      IssuerPin pin;
      pin.algorithm = algorithm;
      for (char c : entry.value().get_ref<const std::string&>()) {
        if (is_hex(c)) {
          pin.hex.push_back(ascii_lower(c));
        } else if (c != ':') {
          pin.hex.clear();
          break;
        }
      }
      if (pin.hex.size() != length) {
        return fail(pin_field, "must be " + std::to_string(length) + " hex digits (':' separators allowed)");
      }
      out.push_back(std::move(pin));
    }
    return std::nullopt;
  }

  // Objects {"name", "models", "from", "below", "note", and the flags}; at least one of from and
  // below, from below below.
  std::optional<Error> read_firmware_stages(const std::string& key, const Json& value,
                                            std::vector<FirmwareStage>& out) const
  {
    if (!value.is_array()) {
      return fail(key, "must be an array of objects such as {\"name\": \"...\", \"below\": \"2.57\", \"note\": \"...\"}");
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      const Json& item = value[i];
      const std::string field = key + "[" + std::to_string(i) + "]";
      if (!item.is_object()) {
        return fail(field, "must be an object");
      }
      FirmwareStage stage;
      for (const auto& [member_key, member] : item.items()) {
        const std::string where = field + "." + member_key;
        if (member_key.starts_with("_")) {
          continue; // comment
        }
        if (member_key == "name" || member_key == "from" || member_key == "below" || member_key == "note") {
          if (!member.is_string() || trim_blanks(member.get_ref<const std::string&>()).empty()) {
            return fail(where, "must be a non-empty string");
          }
          const std::string text(trim_blanks(member.get_ref<const std::string&>()));
          (member_key == "name" ? stage.name : member_key == "from" ? stage.from : member_key == "below" ? stage.below : stage.note) = text;
        } else if (member_key == "models") {
          if (auto error = read_strings(where, member, stage.models)) {
            return error;
          }
        } else if (member_key == "sip_certificate_is_provisioning_certificate"
                   || member_key == "provisioning_needs_new_server_certificates" || member_key == "self_signed_generated") {
          if (!member.is_boolean()) {
            return fail(where, "must be true or false");
          }
          (member_key == "sip_certificate_is_provisioning_certificate" ? stage.sip_certificate_is_provisioning_certificate
           : member_key == "self_signed_generated"                      ? stage.self_signed_generated
                                                                        : stage.provisioning_needs_new_server_certificates) =
              member.get<bool>();
        } else {
          return fail(where, "unknown key (name, models, from, below, note, sip_certificate_is_provisioning_certificate, "
                             "provisioning_needs_new_server_certificates, self_signed_generated; comments start with '_')");
        }
      }
      for (const char* required : {"name", "note"}) {
        if (!item.contains(required)) {
          return fail(field + "." + required, "missing");
        }
      }
      if (stage.from.empty() && stage.below.empty()) {
        return fail(field, "needs from, below or both");
      }
      if (!stage.from.empty() && !stage.below.empty() && compare_versions(stage.from, stage.below) >= 0) {
        return fail(field, "from " + quote_for_message(stage.from) + " is not below " + quote_for_message(stage.below));
      }
      out.push_back(std::move(stage));
    }
    return std::nullopt;
  }

  // Finding code -> text; any code is allowed, its text must be a string.
  std::optional<Error> read_remediation(const std::string& key, const Json& value,
                                        std::map<std::string, std::string>& out) const
  {
    if (!value.is_object()) {
      return fail(key, "must be an object of finding code -> text");
    }
    for (const auto& [code, text] : value.items()) {
      if (!text.is_string()) {
        return fail(key + "." + code, "must be a string");
      }
      out[code] = text.get<std::string>();
    }
    return std::nullopt;
  }

  // Objects {"sources": ["sip-user-agent", ...], "pattern": "..."}, each pattern compiled here.
  std::optional<Error> read_identity_patterns(const std::string& key, const Json& value,
                                              std::vector<IdentityPattern>& out) const
  {
    if (!value.is_array()) {
      return fail(key, "must be an array of objects such as {\"sources\": [\"sip-user-agent\"], \"pattern\": \"...\"}");
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      const Json& item = value[i];
      const std::string field = key + "[" + std::to_string(i) + "]";
      if (!item.is_object()) {
        return fail(field, "must be an object such as {\"sources\": [\"sip-user-agent\"], \"pattern\": \"...\"}");
      }
      std::vector<IdentitySource> sources;
      std::optional<std::string> pattern;
      for (const auto& [member_key, member] : item.items()) {
        const std::string member_field = field + "." + member_key;
        if (member_key.starts_with("_")) {
          continue; // comment
        }
        if (member_key == "pattern") {
          if (!member.is_string()) {
            return fail(member_field, "must be a string");
          }
          pattern = member.get<std::string>();
        } else if (member_key == "sources") {
          if (!member.is_array() || member.empty()) {
            return fail(member_field, "must be a non-empty array of sip-user-agent, sip-server, http-server, http-title");
          }
          for (std::size_t j = 0; j < member.size(); ++j) {
            const std::string source_field = member_field + "[" + std::to_string(j) + "]";
            const std::optional<IdentitySource> source =
                member[j].is_string() ? parse_identity_source(member[j].get_ref<const std::string&>()) : std::nullopt;
            if (!source) {
              return fail(source_field, "must be one of sip-user-agent, sip-server, http-server, http-title");
            }
            if (std::find(sources.begin(), sources.end(), *source) == sources.end()) {
              sources.push_back(*source);
            }
          }
        } else {
          return fail(member_field, "unknown key (sources, pattern; comments start with '_')");
        }
      }
      if (sources.empty()) {
        return fail(field + ".sources", "missing");
      }
      if (!pattern) {
        return fail(field + ".pattern", "missing");
      }
      Result<IdentityPattern> compiled = IdentityPattern::compile(*pattern, std::move(sources));
      if (!compiled) {
        return fail(field + ".pattern", compiled.error());
      }
      out.push_back(std::move(*compiled));
    }
    return std::nullopt;
  }

  std::string_view m_source;
};

VendorProfiles parse_builtin()
{
  VendorProfiles profiles;
  for (const detail::EmbeddedProfile& embedded : detail::embedded_profiles()) {
    Result<VendorProfile> profile = VendorProfiles::parse(embedded.json, embedded.file);
    if (!profile) {
      throw std::logic_error("invalid built-in vendor profile: " + profile.error());
    }
    profile->source = std::string(k_builtin_source);
    profiles.add(std::move(*profile));
  }
  return profiles;
}

bool means_unknown_vendor(std::string_view vendor)
{
  const std::string folded = fold_text(vendor);
  return folded.empty()
         || std::find(k_unknown_vendor_words.begin(), k_unknown_vendor_words.end(), folded)
                != k_unknown_vendor_words.end();
}

} // namespace

std::string factory_issuer_text(const FactoryIssuer& issuer)
{
  std::string text;
  if (!issuer.o.empty()) {
    text = "O=" + escape_value(issuer.o) + ", ";
  }
  return text + "CN=" + escape_value(issuer.cn);
}

VendorProfiles VendorProfiles::builtin()
{
  static const VendorProfiles profiles = parse_builtin();
  return profiles;
}

std::string VendorProfiles::builtin_sha256()
{
  static const std::string digest = [] {
    Sha256 hash;
    for (const detail::EmbeddedProfile& embedded : detail::embedded_profiles()) {
      hash.update(embedded.file);
      hash.update(std::string_view("\0", 1));
      hash.update(embedded.json);
      hash.update(std::string_view("\0", 1));
    }
    return hash.hex();
  }();
  return digest;
}

bool same_model(std::string_view a, std::string_view b, const std::vector<std::string>& decorations)
{
  const auto key = [](std::string_view text) {
    std::string out;
    for (char c : text) {
      if (is_alnum(c)) {
        out.push_back(ascii_lower(c));
      }
    }
    return out;
  };
  // The model's key, and the key without each decoration at its start or its end.
  const auto variants = [&](std::string_view text) {
    std::vector<std::string> out{key(text)};
    for (const std::string& decoration : decorations) {
      const std::string word = key(decoration);
      if (word.empty() || out[0].size() <= word.size()) {
        continue;
      }
      if (out[0].starts_with(word)) {
        out.push_back(out[0].substr(word.size()));
      }
      if (out[0].ends_with(word)) {
        out.push_back(out[0].substr(0, out[0].size() - word.size()));
      }
    }
    return out;
  };
  const std::vector<std::string> keys_a = variants(a);
  if (keys_a[0].empty()) {
    return false;
  }
  const std::vector<std::string> keys_b = variants(b);
  return std::any_of(keys_a.begin(), keys_a.end(), [&](const std::string& k) {
    return std::find(keys_b.begin(), keys_b.end(), k) != keys_b.end();
  });
}

std::string_view to_string(RuleStatus status)
{
  switch (status) {
  case RuleStatus::applies:
    return "applies";
  case RuleStatus::not_applicable:
    return "not-applicable";
  case RuleStatus::unknown:
    return "unknown";
  }
  return "unknown";
}

namespace {

bool model_listed(const VendorProfile& profile, const std::vector<std::string>& models, std::string_view model)
{
  return std::any_of(models.begin(), models.end(),
                     [&](const std::string& listed) { return same_model(listed, model, profile.model_decorations); });
}

} // namespace

FirmwareStageMatch firmware_stage(const VendorProfile& profile, std::string_view model, std::string_view firmware)
{
  FirmwareStageMatch match;
  // The stages that could be this device's, whatever its firmware.
  std::vector<const FirmwareStage*> candidates;
  bool model_unknown_matters = false;
  for (const FirmwareStage& stage : profile.firmware_stages) {
    if (stage.models.empty() || model_listed(profile, stage.models, model)) {
      candidates.push_back(&stage);
    } else if (trim_blanks(model).empty()) {
      model_unknown_matters = true;
    }
  }
  if (candidates.empty()) {
    match.status = model_unknown_matters ? RuleStatus::unknown : RuleStatus::not_applicable;
    return match;
  }
  std::string_view version = trim_blanks(firmware);
  if (!profile.firmware_version_after.empty()) {
    if (const std::size_t at = version.rfind(profile.firmware_version_after); at != std::string_view::npos) {
      version = version.substr(at + profile.firmware_version_after.size());
    }
  }
  match.version = std::string(version);
  if (version.empty()) {
    match.status = RuleStatus::unknown;
    return match;
  }
  for (const FirmwareStage* stage : candidates) {
    if ((stage->from.empty() || compare_versions(version, stage->from) >= 0)
        && (stage->below.empty() || compare_versions(version, stage->below) < 0)) {
      match.status = RuleStatus::applies;
      match.stage = stage;
      return match;
    }
  }
  match.status = RuleStatus::not_applicable;
  return match;
}

RuleStatus portal_eligibility(const VendorProfile& profile, std::string_view model)
{
  if (profile.portal_models.empty() || trim_blanks(model).empty()) {
    return RuleStatus::unknown;
  }
  return model_listed(profile, profile.portal_models, model) ? RuleStatus::applies : RuleStatus::not_applicable;
}

Result<VendorProfile> VendorProfiles::parse(std::string_view json_text, std::string_view source_name)
{
  return ProfileReader(source_name).read(json_text);
}

Result<std::size_t> VendorProfiles::load_directory(const std::string& dir)
{
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> files;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const fs::path& path = it->path();
    const std::string file_name = path.filename().string();
    if (path.extension() == ".json" && !file_name.starts_with(".") && it->is_regular_file(ec)) {
      files.push_back(path);
    }
  }
  if (ec) {
    return Error{"cannot read profile directory '" + dir + "': " + ec.message()};
  }
  std::sort(files.begin(), files.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });

  // All files are read and checked before any replaces a profile: a bad one changes nothing.
  std::vector<VendorProfile> loaded;
  std::vector<LoadedFile> read;
  for (const fs::path& path : files) {
    const std::string source = path.string();
    const std::uintmax_t size = fs::file_size(path, ec);
    if (ec) {
      return Error{source + ": cannot read: " + ec.message()};
    }
    if (size > k_max_profile_bytes) {
      return Error{source + ": larger than " + std::to_string(k_max_profile_bytes) + " bytes"};
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return Error{source + ": cannot open"};
    }
    std::string text(std::istreambuf_iterator<char>(in), {});
    if (in.bad()) {
      return Error{source + ": cannot read"};
    }
    Result<VendorProfile> profile = parse(text, source);
    if (!profile) {
      return Error{profile.error()};
    }
    loaded.push_back(std::move(*profile));
    read.push_back({source, sha256_hex_of(text)});
  }
  for (VendorProfile& profile : loaded) {
    add(std::move(profile));
  }
  m_loaded_files.insert(m_loaded_files.end(), read.begin(), read.end());
  return loaded.size();
}

void VendorProfiles::add(VendorProfile profile)
{
  for (std::size_t i = 0; i < m_profiles.size(); ++i) {
    if (same_text(m_profiles[i].name, profile.name)) {
      m_folded[i] = folded_names(profile);
      m_profiles[i] = std::move(profile);
      return;
    }
  }
  m_folded.push_back(folded_names(profile));
  m_profiles.push_back(std::move(profile));
}

const VendorProfile* VendorProfiles::find(std::string_view name) const
{
  const std::string wanted = fold_text(name);
  if (wanted.empty()) {
    return nullptr;
  }
  for (std::size_t i = 0; i < m_profiles.size(); ++i) {
    if (m_folded[i].name == wanted) {
      return &m_profiles[i];
    }
  }
  for (std::size_t i = 0; i < m_profiles.size(); ++i) {
    if (contains_folded(m_folded[i].aliases, wanted)) {
      return &m_profiles[i];
    }
  }
  return nullptr;
}

const VendorProfile* VendorProfiles::by_mac(std::string_view mac) const
{
  const std::optional<std::string> digits = hex_digits(mac);
  if (!digits || digits->size() < 6) {
    return nullptr;
  }
  const VendorProfile* best = nullptr;
  std::size_t best_length = 0;
  for (const VendorProfile& profile : m_profiles) {
    for (const std::string& prefix : profile.mac_prefixes) {
      if (prefix.size() > best_length && digits->starts_with(prefix)) {
        best = &profile;
        best_length = prefix.size();
      }
    }
  }
  return best;
}

FactoryIssuerMatch VendorProfiles::match_factory_issuer(std::string_view issuer) const
{
  const OrganizationAndCommonNames names = folded(organization_and_common_names(issuer));
  if (names.common_names.empty()) {
    return {};
  }
  // An entry that names the organisation too is the more specific match.
  for (const bool with_organization : {true, false}) {
    for (std::size_t i = 0; i < m_profiles.size(); ++i) {
      const std::vector<FactoryIssuer>& entries = m_profiles[i].factory_issuers;
      for (std::size_t e = 0; e < entries.size(); ++e) {
        if (entries[e].o.empty() != with_organization
            && issuer_matches(entries[e], m_folded[i].factory_issuers[e], names)) {
          return FactoryIssuerMatch{&m_profiles[i], &entries[e]};
        }
      }
    }
  }
  return {};
}

const VendorProfile* VendorProfiles::by_factory_issuer(std::string_view issuer) const
{
  return match_factory_issuer(issuer).profile;
}

const VendorProfile* VendorProfiles::by_name_text(std::string_view one_line_name) const
{
  const OrganizationAndCommonNames names = folded(organization_and_common_names(one_line_name));
  // Organisation names first: a CN is more often a model or a host name than a vendor.
  for (const auto* values : {&names.organizations, &names.common_names}) {
    for (const std::string& value : *values) {
      for (std::size_t i = 0; i < m_profiles.size(); ++i) {
        if (profile_named_in(m_folded[i], value)) {
          return &m_profiles[i];
        }
      }
    }
  }
  return nullptr;
}

VendorMatch VendorProfiles::detect(const InventoryRow* row, std::string_view mac, const CertificateInfo* leaf,
                                   const OuiRegistry& registry) const
{
  const auto matched = [](const VendorProfile* profile, std::string_view source) {
    return VendorMatch{profile->name, std::string(source), profile};
  };

  if (row != nullptr && !means_unknown_vendor(row->vendor)) {
    const VendorProfile* profile = find(row->vendor);
    return VendorMatch{profile != nullptr ? profile->name : row->vendor, "inventory", profile};
  }

  const std::string_view device_mac = !mac.empty() || row == nullptr ? mac : std::string_view(row->mac);
  if (!device_mac.empty()) {
    if (const VendorProfile* profile = by_mac(device_mac)) {
      return matched(profile, "mac-prefix");
    }
    const std::optional<std::string> digits = hex_digits(device_mac);
    if (digits && digits->size() == 12) {
      if (std::optional<std::string> organization = registry.organization(*digits)) {
        if (const VendorProfile* profile = find(*organization)) {
          return matched(profile, "ieee-registry");
        }
        return VendorMatch{std::move(*organization), "ieee-registry", nullptr};
      }
    }
  }

  if (leaf != nullptr && leaf->parsed) {
    if (const VendorProfile* profile = by_factory_issuer(leaf->issuer)) {
      return matched(profile, "issuer-name");
    }
    if (const VendorProfile* profile = by_name_text(leaf->issuer)) {
      return matched(profile, "issuer-name");
    }
    if (const VendorProfile* profile = by_name_text(leaf->subject)) {
      return matched(profile, "subject-name");
    }
  }
  return {};
}

} // namespace fleetcert
