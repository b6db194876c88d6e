#pragma once
// ASCII case folding for names, codes, column headers and hex: locale-independent, and bytes
// outside A-Z / a-z (UTF-8 included) are left as they are.

#include <string>
#include <string_view>

namespace fleetcert {

inline char ascii_lower(char c)
{
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

inline char ascii_upper(char c)
{
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

inline std::string ascii_lower(std::string_view text)
{
  std::string out(text);
  for (char& c : out) {
    c = ascii_lower(c);
  }
  return out;
}

inline std::string ascii_upper(std::string_view text)
{
  std::string out(text);
  for (char& c : out) {
    c = ascii_upper(c);
  }
  return out;
}

// Equal when ASCII letters are compared without case.
inline bool ascii_iequals(std::string_view a, std::string_view b)
{
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) {
      return false;
    }
  }
  return true;
}

} // namespace fleetcert
