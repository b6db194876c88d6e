#pragma once
// One-line distinguished names as fleetcert writes them ("C=DE, O=Gigaset Communications GmbH,
// CN=Gigaset.net", RFC 2253 escapes) or as a person types them (unescaped): their attributes, and
// the organisation and common name that vendor matching and the issuer inventory go by.
// Pure text handling: the name may hold any bytes a certificate carried.

#include <string>
#include <string_view>
#include <vector>

namespace fleetcert {

// One attribute of a one-line name.
struct NameAttribute
{
  std::string type;  // as written: "O", "CN", "organizationName", "2.5.4.10", ...
  std::string value; // RFC 2253 escapes removed
};

// `text` with the RFC 2253 backslash removed before each special character ("Networks\, Inc." ->
// "Networks, Inc."); any other backslash stays.
std::string unescape_rfc2253(std::string_view text);

// Splits "C=US, O=Grandstream Networks, Inc., CN=Grandstream Device CA" into attributes. Splits at
// unescaped ',' and '+'; a piece without "<type>=" continues the previous value, so both the
// escaped form OpenSSL prints and an unescaped hand-written one come out right.
std::vector<NameAttribute> split_name(std::string_view name);

// True when `type` names the organisation ("O", "organizationName", "2.5.4.10"; any case).
bool is_organization_type(std::string_view type);
// True when `type` names the common name ("CN", "commonName", "2.5.4.3"; any case).
bool is_common_name_type(std::string_view type);

// The value of the name's last organisation attribute; "" when it has none.
std::string name_organization(std::string_view name);
// The value of the name's last common name attribute (the one decode_certificate reports as
// the CN); "" when it has none.
std::string name_common_name(std::string_view name);

} // namespace fleetcert
