// Version comparison (see version.hpp).

#include "scanner/util/version.hpp"

#include "scanner/util/ascii.hpp"

#include <algorithm>
#include <vector>

namespace fleetcert {
namespace {

bool is_separator(char c)
{
  return c == '.' || c == '-' || c == '_' || c == '+' || c == ' ' || c == '\t';
}

bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

std::vector<std::string_view> version_fields(std::string_view text)
{
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || is_separator(text[i])) {
      if (i > start) {
        fields.push_back(text.substr(start, i - start));
      }
      start = i + 1;
    }
  }
  return fields;
}

// Digit runs by value, whatever their length: leading zeros dropped, then the longer is larger.
int compare_numbers(std::string_view a, std::string_view b)
{
  while (a.size() > 1 && a.front() == '0') {
    a.remove_prefix(1);
  }
  while (b.size() > 1 && b.front() == '0') {
    b.remove_prefix(1);
  }
  if (a.size() != b.size()) {
    return a.size() < b.size() ? -1 : 1;
  }
  const int order = a.compare(b);
  return order < 0 ? -1 : order > 0 ? 1 : 0;
}

int compare_text(std::string_view a, std::string_view b)
{
  const int order = ascii_lower(a).compare(ascii_lower(b));
  return order < 0 ? -1 : order > 0 ? 1 : 0;
}

// The next run of digits or of other characters at the start of `field`, taken off it.
std::string_view next_run(std::string_view& field)
{
  std::size_t end = 1;
  const bool digits = is_digit(field.front());
  while (end < field.size() && is_digit(field[end]) == digits) {
    ++end;
  }
  const std::string_view run = field.substr(0, end);
  field.remove_prefix(end);
  return run;
}

int compare_fields(std::string_view a, std::string_view b)
{
  while (!a.empty() && !b.empty()) {
    const std::string_view run_a = next_run(a);
    const std::string_view run_b = next_run(b);
    const bool digits_a = is_digit(run_a.front());
    const bool digits_b = is_digit(run_b.front());
    if (digits_a != digits_b) {
      return digits_a ? -1 : 1;
    }
    if (const int order = digits_a ? compare_numbers(run_a, run_b) : compare_text(run_a, run_b); order != 0) {
      return order;
    }
  }
  if (a.empty() && b.empty()) {
    return 0;
  }
  return a.empty() ? -1 : 1;
}

} // namespace

int compare_versions(std::string_view a, std::string_view b)
{
  const std::vector<std::string_view> fields_a = version_fields(a);
  const std::vector<std::string_view> fields_b = version_fields(b);
  const std::size_t count = std::max(fields_a.size(), fields_b.size());
  for (std::size_t i = 0; i < count; ++i) {
    const std::string_view field_a = i < fields_a.size() ? fields_a[i] : std::string_view("0");
    const std::string_view field_b = i < fields_b.size() ? fields_b[i] : std::string_view("0");
    if (const int order = compare_fields(field_a, field_b); order != 0) {
      return order;
    }
  }
  return 0;
}

} // namespace fleetcert
