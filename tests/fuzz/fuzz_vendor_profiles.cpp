// libFuzzer target: vendor profile loading (scanner/assessment/vendor_profiles) on arbitrary bytes
// as a profile file, then the lookups the audit makes with the profile added to the built-in ones.
//
//   input ──VendorProfiles::parse──> VendorProfile ──add (to the built-in profiles)──> find, by_mac,
//         │                                                                        by_factory_issuer
//         └─ as a certificate's issuer name ──> by_factory_issuer, by_name_text (built-in + parsed)
//
// Beyond "no crash, no sanitizer report", it checks what vendor_profiles.hpp and the README's
// profile format promise: an error names the source; a profile has a trimmed non-empty name,
// MAC prefixes of 6 to 9 upper-case hex digits, pins of the right length in lower-case hex, no
// label in both generations and no SHA1 or weaker one, factory issuers with a trimmed CN; once
// added, it is found by its name, by each of its MAC prefixes and by each of its factory issuers
// (written as a one-line name, other attributes around its O and CN).
//
// Seeds: the shipped profiles (scanner/assessment/profiles/*.json), a minimal one, one with every
// field (factory issuers in the older one-line form), a refused one.

#include "scanner/assessment/vendor_profiles.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace fleetcert;

constexpr std::string_view k_source = "fuzz-profile.json";
// Lookups per list of a profile: enough to see each kind of entry, cheap for long lists.
constexpr std::size_t k_max_lookups = 32;

// A broken promise is a finding: say which, and abort so that libFuzzer keeps the input.
void check(bool condition, const char* promise)
{
  if (!condition) {
    std::fprintf(stderr, "fuzz_vendor_profiles: broken promise: %s\n", promise);
    std::abort();
  }
}

bool is_blank(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool trimmed_non_empty(const std::string& text)
{
  return !text.empty() && !is_blank(text.front()) && !is_blank(text.back());
}

bool all_of(const std::string& text, bool (*predicate)(char))
{
  return std::all_of(text.begin(), text.end(), predicate);
}

bool is_upper_hex(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

bool is_lower_hex(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

// The hash of a signature label "<KEY>+<HASH>", trimmed, upper case.
std::string label_hash(const std::string& label)
{
  const std::size_t plus = label.rfind('+');
  std::string hash = plus == std::string::npos ? std::string() : label.substr(plus + 1);
  hash.erase(hash.begin(), std::find_if_not(hash.begin(), hash.end(), is_blank));
  hash.erase(std::find_if_not(hash.rbegin(), hash.rend(), is_blank).base(), hash.end());
  std::transform(hash.begin(), hash.end(), hash.begin(), [](char c) { return c >= 'a' && c <= 'z' ? c - 32 : c; });
  return hash;
}

void check_profile(const VendorProfile& profile)
{
  check(trimmed_non_empty(profile.name), "the name is trimmed and not empty");
  check(profile.source == k_source, "the source is the name given");
  for (const auto* list : {&profile.aliases, &profile.generic_cns, &profile.current_generation,
                           &profile.legacy_generation}) {
    check(std::all_of(list->begin(), list->end(), trimmed_non_empty), "list entries are trimmed and not empty");
  }
  for (const FactoryIssuer& issuer : profile.factory_issuers) {
    check(trimmed_non_empty(issuer.cn), "a factory issuer's CN is trimmed and not empty");
    check(issuer.o.empty() || trimmed_non_empty(issuer.o), "a factory issuer's O is trimmed, or empty (any)");
  }
  for (const std::string& prefix : profile.mac_prefixes) {
    check(prefix.size() >= 6 && prefix.size() <= 9 && all_of(prefix, is_upper_hex),
          "a MAC prefix is 6 to 9 upper-case hex digits");
  }
  for (const IssuerPin& pin : profile.issuer_pins) {
    const std::size_t length = pin.algorithm == "sha256" ? 64 : pin.algorithm == "sha1" ? 40 : pin.algorithm == "md5" ? 32 : 0;
    check(length != 0 && pin.hex.size() == length && all_of(pin.hex, is_lower_hex),
          "a pin is sha256, sha1 or md5 in lower-case hex of its length");
  }
  for (const std::string& label : profile.current_generation) {
    check(std::find(profile.legacy_generation.begin(), profile.legacy_generation.end(), label)
              == profile.legacy_generation.end(),
          "no label is in both generations");
  }
  for (const auto* list : {&profile.current_generation, &profile.legacy_generation}) {
    for (const std::string& label : *list) {
      check(std::count(label.begin(), label.end(), '+') <= 1, "a generation label has at most one '+'");
      const std::string hash = label_hash(label);
      check(hash != "SHA1" && hash != "MD5" && hash != "MD4" && hash != "MD2", "no generation is SHA1 or weaker");
    }
  }
}

// The profile added to the built-in ones is found the ways the audit looks for it.
void check_lookups(const VendorProfile& parsed)
{
  VendorProfiles profiles = VendorProfiles::builtin();
  profiles.add(parsed);
  const VendorProfile* by_name = profiles.find(parsed.name);
  check(by_name != nullptr && by_name->name == parsed.name, "an added profile is found by its name");
  for (std::size_t i = 0; i < std::min(parsed.mac_prefixes.size(), k_max_lookups); ++i) {
    const std::string& prefix = parsed.mac_prefixes[i];
    const std::string mac = prefix + std::string(12 - prefix.size(), '0');
    const VendorProfile* by_mac = profiles.by_mac(mac);
    check(by_mac != nullptr, "an added profile's MAC prefix finds a profile");
    check(std::any_of(by_mac->mac_prefixes.begin(), by_mac->mac_prefixes.end(),
                      [&](const std::string& p) { return mac.starts_with(p) && p.size() >= prefix.size(); }),
          "by_mac finds the longest matching prefix");
  }
  for (std::size_t i = 0; i < std::min(parsed.factory_issuers.size(), k_max_lookups); ++i) {
    const FactoryIssuer& issuer = parsed.factory_issuers[i];
    const std::string text = factory_issuer_text(issuer);
    const FactoryIssuerMatch match = profiles.match_factory_issuer(text);
    check(match.profile != nullptr && match.issuer != nullptr, "an added profile's factory issuer finds a profile");
    check(profiles.by_factory_issuer("C=ZZ, L=Anywhere, " + text + ", OU=Any") == match.profile,
          "a factory issuer matches on O and CN whatever the other attributes say");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const Result<VendorProfile> profile = VendorProfiles::parse(text, k_source);
  if (profile) {
    check_profile(*profile);
    check_lookups(*profile);
  } else {
    check(profile.error().starts_with(std::string(k_source) + ": "), "an error names the source");
  }

  // The same bytes as an issuer or subject name from a certificate (attacker-controlled text).
  static const VendorProfiles builtin = VendorProfiles::builtin();
  const VendorProfile* by_issuer = builtin.by_factory_issuer(text);
  const VendorProfile* by_text = builtin.by_name_text(text);
  check(by_issuer == nullptr || by_issuer->source == "built-in", "a lookup returns one of the profiles");
  check(by_text == nullptr || by_text->source == "built-in", "a lookup returns one of the profiles");
  return 0;
}
