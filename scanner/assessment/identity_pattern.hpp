#pragma once
// One identity pattern of a vendor profile (`identity_patterns`): a PCRE2 regular expression with
// the named groups `model`, `firmware` and `mac`, compiled once when the profile is read, matched
// with hard limits against header text a device sent (attacker-controlled).

#include "scanner/model/announced_identity.hpp"
#include "scanner/model/result.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct pcre2_real_code_8; // pcre2_code with PCRE2_CODE_UNIT_WIDTH 8 (pcre2.h stays in the .cpp)

namespace fleetcert {

// The longest pattern text a profile may give.
inline constexpr std::size_t k_identity_pattern_max_length = 1024;
// PCRE2's match limit (calls of its internal match function) and depth limit per match: far above
// what a vendor's format needs, far below what a catastrophic pattern spends on a long header.
inline constexpr std::uint32_t k_identity_match_limit = 100'000;
inline constexpr std::uint32_t k_identity_depth_limit = 1'000;
// PCRE2's heap limit per match, in KiB.
inline constexpr std::uint32_t k_identity_heap_limit_kib = 1'024;

// What one pattern made of one text.
struct IdentityPatternMatch
{
  bool matched = false;
  std::string model;    // the `model` group, when the pattern has one and it took part
  std::string firmware; // the `firmware` group
  std::string mac;      // the `mac` group, as matched (not normalised)
  std::string error;    // a PCRE2 failure other than "no match": "match limit reached", ...
};

// A compiled pattern and the sources it applies to. Copies share the compiled code (read-only,
// safe to match from several threads at once).
class IdentityPattern
{
public:
  // Compiles `pattern` (bytes, not UTF mode: `.` is one byte; (*UTF) is refused). Errors give
  // PCRE2's message and the offset in the pattern, or name an unknown named group (only model,
  // firmware and mac are read).
  static Result<IdentityPattern> compile(std::string_view pattern, std::vector<IdentitySource> sources);

  // Matches `text` under k_identity_match_limit, k_identity_depth_limit and
  // k_identity_heap_limit_kib; a limit reached is an error, never a hang.
  IdentityPatternMatch match(std::string_view text) const;

  // True when the pattern is to be tried on text read from `source`.
  bool applies_to(IdentitySource source) const;

  const std::string& text() const { return m_text; }
  const std::vector<IdentitySource>& sources() const { return m_sources; }

private:
  IdentityPattern() = default;
  std::string m_text;
  std::vector<IdentitySource> m_sources;
  std::shared_ptr<const pcre2_real_code_8> m_code;
};

} // namespace fleetcert
