// Identity patterns on PCRE2: compiled once per profile load, matched with a match, depth and heap
// limit so that a catastrophic pattern from a user's profile ends with an error on a long header.

#include "scanner/assessment/identity_pattern.hpp"
#include "scanner/util/text.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <array>

namespace fleetcert {
namespace {

constexpr std::array<std::string_view, 3> k_group_names = {"model", "firmware", "mac"};

std::string pcre2_message(int code)
{
  std::array<PCRE2_UCHAR, 256> buffer{};
  const int length = pcre2_get_error_message(code, buffer.data(), buffer.size());
  if (length < 0) {
    return "PCRE2 error " + std::to_string(code);
  }
  return std::string(reinterpret_cast<const char*>(buffer.data()), static_cast<std::size_t>(length));
}

// The name table of a compiled pattern: each named group's number and name.
struct NamedGroup
{
  std::uint32_t number = 0;
  std::string name;
};

std::vector<NamedGroup> named_groups(const pcre2_code* code)
{
  std::uint32_t count = 0;
  std::uint32_t entry_size = 0;
  PCRE2_SPTR table = nullptr;
  pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &count);
  pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
  pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
  std::vector<NamedGroup> groups;
  for (std::uint32_t i = 0; i < count && table != nullptr; ++i) {
    const PCRE2_SPTR entry = table + static_cast<std::size_t>(i) * entry_size;
    NamedGroup group;
    group.number = (static_cast<std::uint32_t>(entry[0]) << 8) | entry[1];
    group.name = reinterpret_cast<const char*>(entry + 2); // zero-terminated within the entry
    groups.push_back(std::move(group));
  }
  return groups;
}

struct MatchContextDeleter
{
  void operator()(pcre2_match_context* context) const { pcre2_match_context_free(context); }
};
struct MatchDataDeleter
{
  void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};

// One match context per thread, with the limits set.
pcre2_match_context* limited_context()
{
  thread_local const std::unique_ptr<pcre2_match_context, MatchContextDeleter> context = [] {
    std::unique_ptr<pcre2_match_context, MatchContextDeleter> made(pcre2_match_context_create(nullptr));
    if (made) {
      pcre2_set_match_limit(made.get(), k_identity_match_limit);
      pcre2_set_depth_limit(made.get(), k_identity_depth_limit);
      pcre2_set_heap_limit(made.get(), k_identity_heap_limit_kib);
    }
    return made;
  }();
  return context.get();
}

} // namespace

Result<IdentityPattern> IdentityPattern::compile(std::string_view pattern, std::vector<IdentitySource> sources)
{
  if (pattern.empty()) {
    return Error{"must not be empty"};
  }
  if (pattern.size() > k_identity_pattern_max_length) {
    return Error{"longer than " + std::to_string(k_identity_pattern_max_length) + " bytes"};
  }
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  // Bytes, never UTF: the text a device sends need not be UTF-8, and (*UTF) in a pattern would ask
  // PCRE2 to trust it. \C is refused as well (it splits characters).
  const std::uint32_t options = PCRE2_NEVER_UTF | PCRE2_NEVER_UCP | PCRE2_NEVER_BACKSLASH_C;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options,
                                   &error_code, &error_offset, nullptr);
  if (code == nullptr) {
    return Error{"PCRE2 error at offset " + std::to_string(error_offset) + ": " + pcre2_message(error_code)};
  }
  IdentityPattern compiled;
  compiled.m_code = std::shared_ptr<const pcre2_code>(code, [](const pcre2_code* c) {
    pcre2_code_free(const_cast<pcre2_code*>(c));
  });
  for (const NamedGroup& group : named_groups(code)) {
    if (std::find(k_group_names.begin(), k_group_names.end(), group.name) == k_group_names.end()) {
      return Error{"unknown named group " + quote_for_message(group.name) + " (model, firmware, mac)"};
    }
  }
  compiled.m_text = std::string(pattern);
  compiled.m_sources = std::move(sources);
  return compiled;
}

IdentityPatternMatch IdentityPattern::match(std::string_view text) const
{
  IdentityPatternMatch result;
  pcre2_match_context* context = limited_context();
  const std::unique_ptr<pcre2_match_data, MatchDataDeleter> data(
      pcre2_match_data_create_from_pattern(m_code.get(), nullptr));
  if (context == nullptr || data == nullptr) {
    result.error = "out of memory for PCRE2";
    return result;
  }
  const int rc = pcre2_match(m_code.get(), reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0, 0,
                             data.get(), context);
  if (rc == PCRE2_ERROR_NOMATCH) {
    return result;
  }
  if (rc < 0) {
    switch (rc) {
    case PCRE2_ERROR_MATCHLIMIT:
      result.error = "match limit reached";
      break;
    case PCRE2_ERROR_DEPTHLIMIT:
      result.error = "depth limit reached";
      break;
    case PCRE2_ERROR_HEAPLIMIT:
      result.error = "heap limit reached";
      break;
    default:
      result.error = pcre2_message(rc);
    }
    return result;
  }
  result.matched = true;
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data.get());
  const std::uint32_t pairs = pcre2_get_ovector_count(data.get());
  for (const NamedGroup& group : named_groups(m_code.get())) {
    if (group.number >= pairs) {
      continue;
    }
    const PCRE2_SIZE start = ovector[2 * group.number];
    const PCRE2_SIZE end = ovector[2 * group.number + 1];
    if (start == PCRE2_UNSET || end == PCRE2_UNSET || end < start) {
      continue; // the group took no part in the match
    }
    std::string value(text.substr(start, end - start));
    if (group.name == "model") {
      result.model = std::move(value);
    } else if (group.name == "firmware") {
      result.firmware = std::move(value);
    } else if (group.name == "mac") {
      result.mac = std::move(value);
    }
  }
  return result;
}

bool IdentityPattern::applies_to(IdentitySource source) const
{
  return std::find(m_sources.begin(), m_sources.end(), source) != m_sources.end();
}

} // namespace fleetcert
