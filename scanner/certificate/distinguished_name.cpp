// One-line distinguished names (see distinguished_name.hpp).

#include "scanner/certificate/distinguished_name.hpp"
#include "scanner/util/ascii.hpp"
#include "scanner/util/text.hpp"

#include <algorithm>
#include <cctype>

namespace fleetcert {
namespace {

bool is_alnum(char c)
{
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

// The characters RFC 2253 escapes with a backslash.
bool is_rfc2253_special(char c)
{
  return c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';' || c == '='
         || c == '#' || c == ' ';
}

// "O", "CN", "organizationName", "2.5.4.10": what may stand before '=' in a one-line name.
bool looks_like_attribute_type(std::string_view key)
{
  if (key.empty() || !is_alnum(key.front())) {
    return false;
  }
  return std::all_of(key.begin(), key.end(), [](char c) { return is_alnum(c) || c == '.' || c == '-'; });
}

// The value of the last attribute whose type `is_type` accepts; "" when none.
std::string last_value(std::string_view name, bool (*is_type)(std::string_view))
{
  std::string value;
  for (NameAttribute& attribute : split_name(name)) {
    if (is_type(attribute.type)) {
      value = std::move(attribute.value);
    }
  }
  return value;
}

} // namespace

std::string unescape_rfc2253(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && is_rfc2253_special(text[i + 1])) {
      ++i;
    }
    out.push_back(text[i]);
  }
  return out;
}

std::vector<NameAttribute> split_name(std::string_view name)
{
  std::vector<std::string> raw_values; // still escaped, to unescape once complete
  std::vector<NameAttribute> attributes;
  std::size_t start = 0;
  char separator = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    const bool at_end = i == name.size();
    if (!at_end && name[i] == '\\') {
      if (i + 1 < name.size()) {
        ++i; // the escaped character never separates
      }
      continue;
    }
    if (!at_end && name[i] != ',' && name[i] != '+') {
      continue;
    }
    const std::string_view piece = name.substr(start, i - start);
    const std::size_t equals = piece.find('=');
    const std::string_view key =
        equals == std::string_view::npos ? std::string_view{} : trim_blanks(piece.substr(0, equals));
    if (looks_like_attribute_type(key)) {
      attributes.push_back({std::string(key), {}});
      raw_values.emplace_back(trim_blanks(piece.substr(equals + 1)));
    } else if (!raw_values.empty()) {
      raw_values.back().push_back(separator);
      raw_values.back().append(piece);
      raw_values.back() = std::string(trim_blanks(raw_values.back()));
    }
    if (!at_end) {
      separator = name[i];
      start = i + 1;
    }
  }
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    attributes[i].value = unescape_rfc2253(raw_values[i]);
  }
  return attributes;
}

bool is_organization_type(std::string_view type)
{
  const std::string folded = ascii_lower(trim_blanks(type));
  return folded == "o" || folded == "organizationname" || folded == "2.5.4.10";
}

bool is_common_name_type(std::string_view type)
{
  const std::string folded = ascii_lower(trim_blanks(type));
  return folded == "cn" || folded == "commonname" || folded == "2.5.4.3";
}

std::string name_organization(std::string_view name)
{
  return last_value(name, is_organization_type);
}

std::string name_common_name(std::string_view name)
{
  return last_value(name, is_common_name_type);
}

} // namespace fleetcert
