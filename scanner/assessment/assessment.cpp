// Assessment of a leaf certificate: what its signature is worth, what its CN is and where "now"
// falls in its validity period.
// Pure: no I/O, no clock; "now" comes in with the settings.

#include "scanner/assessment/assessment.hpp"
#include "scanner/certificate/distinguished_name.hpp"
#include "scanner/util/ascii.hpp"
#include "scanner/util/mac.hpp"
#include "scanner/util/text.hpp"

#include <array>

namespace fleetcert {
namespace {

constexpr std::int64_t k_seconds_per_day = 86400;

// CNs that many devices share, so they name no device. Vendor profiles will extend this list.
constexpr std::array<std::string_view, 1> k_generic_cns = {
  "Einstein2", // Gigaset N610/N670/N870 factory client certificates (wrong: should be the MAC)
};

constexpr VocabularyWord<CnClass> k_cn_classes[] = {
    {CnClass::mac, "mac"}, {CnClass::generic, "generic"}, {CnClass::other, "other"}, {CnClass::none, "none"}};

constexpr VocabularyWord<Validity> k_validities[] = {{Validity::valid, "valid"},
                                                     {Validity::expiring, "expiring"},
                                                     {Validity::expired, "expired"},
                                                     {Validity::not_yet_valid, "not-yet-valid"}};

constexpr VocabularyWord<SignatureVerdict> k_signature_verdicts[] = {{SignatureVerdict::current, "current"},
                                                                     {SignatureVerdict::legacy, "legacy"},
                                                                     {SignatureVerdict::rejected, "rejected"}};

// Rounds towards negative infinity (C++ division rounds towards zero).
std::int64_t floor_div(std::int64_t a, std::int64_t b)
{
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// The attribute types of stateOrProvinceName as one-line names write it.
bool is_state_type(std::string_view type)
{
  return ascii_iequals(type, "ST") || ascii_iequals(type, "S") || ascii_iequals(type, "stateOrProvinceName")
         || type == "2.5.4.8";
}

} // namespace

std::optional<std::string> mac_of_cn(std::string_view cn)
{
  if (std::optional<std::string> mac = normalize_mac(cn)) {
    return mac;
  }
  // "SEP<MAC>" or "...-SEP<MAC>": the MAC is everything after the last such SEP.
  for (std::size_t at = cn.size() < 3 ? std::string_view::npos : cn.size() - 3; at != std::string_view::npos;
       at = at == 0 ? std::string_view::npos : at - 1) {
    if (ascii_iequals(cn.substr(at, 3), "SEP") && (at == 0 || cn[at - 1] == '-')) {
      return normalize_mac(cn.substr(at + 3));
    }
  }
  return std::nullopt;
}

std::optional<std::string> mac_of_subject(const CertificateInfo& leaf)
{
  if (leaf.has_cn) {
    if (std::optional<std::string> mac = mac_of_cn(leaf.cn)) {
      return mac;
    }
  }
  for (const NameAttribute& attribute : split_name(leaf.subject)) {
    if (is_state_type(trim_blanks(attribute.type))) {
      if (std::optional<std::string> mac = normalize_mac(trim_blanks(attribute.value))) {
        return mac;
      }
    }
  }
  return std::nullopt;
}

std::string_view to_string(CnClass cn_class)
{
  return vocabulary_word(k_cn_classes, cn_class);
}

std::optional<CnClass> parse_cn_class(std::string_view text)
{
  return vocabulary_value(k_cn_classes, text);
}

std::string_view to_string(Validity validity)
{
  return vocabulary_word(k_validities, validity);
}

std::optional<Validity> parse_validity(std::string_view text)
{
  return vocabulary_value(k_validities, text);
}

std::string_view to_string(SignatureVerdict verdict)
{
  return vocabulary_word(k_signature_verdicts, verdict);
}

std::optional<SignatureVerdict> parse_signature_verdict(std::string_view text)
{
  return vocabulary_value(k_signature_verdicts, text);
}

SignatureVerdict judge_signature(const SignatureInfo& signature)
{
  const std::string& hash = signature.hash;
  if (hash == "MD2" || hash == "MD4" || hash == "MD5" || hash == "SHA1" || hash == "MDC2" || hash == "RIPEMD160") {
    return SignatureVerdict::rejected;
  }
  if (hash.empty()) { // only EdDSA signs without a separate hash; else the algorithm is unknown
    return signature.key == "Ed25519" || signature.key == "Ed448" ? SignatureVerdict::current
                                                                  : SignatureVerdict::rejected;
  }
  if (hash == "SHA224" || signature.key == "DSA" || signature.key.empty()) {
    return SignatureVerdict::legacy;
  }
  return SignatureVerdict::current;
}

CnClass classify_cn(const CertificateInfo& leaf)
{
  if (!leaf.has_cn || leaf.cn.empty()) {
    return CnClass::none;
  }
  if (mac_of_cn(leaf.cn)) {
    return CnClass::mac;
  }
  for (std::string_view generic : k_generic_cns) {
    if (ascii_iequals(leaf.cn, generic)) {
      return CnClass::generic;
    }
  }
  return CnClass::other;
}

Assessment assess(const CertificateInfo& leaf, const AssessmentSettings& settings)
{
  Assessment assessment;
  assessment.cn_class = classify_cn(leaf);
  assessment.mac = mac_of_subject(leaf).value_or(std::string());
  if (leaf.parsed) {
    assessment.signature_verdict = judge_signature(leaf.signature);
  }
  if (!leaf.parsed || !leaf.not_before || !leaf.not_after) {
    return assessment;
  }
  // Dates come from ASN.1 times (years 0000-9999), so these differences cannot overflow.
  const std::int64_t left = *leaf.not_after - settings.now;
  const std::int64_t warning = static_cast<std::int64_t>(settings.expiry_warning_days) * k_seconds_per_day;
  if (settings.now < *leaf.not_before) {
    assessment.validity = Validity::not_yet_valid;
  } else if (left < 0) {
    assessment.validity = Validity::expired; // not_after itself is still inside the period (RFC 5280)
  } else if (left < warning) {
    assessment.validity = Validity::expiring;
  } else {
    assessment.validity = Validity::valid;
  }
  assessment.days_left = floor_div(left, k_seconds_per_day);
  return assessment;
}

} // namespace fleetcert
