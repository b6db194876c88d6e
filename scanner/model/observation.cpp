// Names of the observation vocabulary (DESIGN.md), as reports write them.

#include "scanner/model/observation.hpp"

#include "scanner/util/text.hpp"

namespace fleetcert {

std::string_view to_string(ErrorClass error_class)
{
  switch (error_class) {
  case ErrorClass::none:
    return "";
  case ErrorClass::refused:
    return "refused";
  case ErrorClass::timeout:
    return "timeout";
  case ErrorClass::reset:
    return "reset";
  case ErrorClass::not_tls:
    return "not-tls";
  case ErrorClass::tls_alert:
    return "tls-alert";
  case ErrorClass::protocol:
    return "protocol";
  case ErrorClass::unreachable:
    return "unreachable";
  case ErrorClass::dns:
    return "dns";
  }
  return "";
}

std::optional<ErrorClass> parse_error_class(std::string_view text)
{
  return parse_word(text, {ErrorClass::refused, ErrorClass::timeout, ErrorClass::reset, ErrorClass::not_tls,
                           ErrorClass::tls_alert, ErrorClass::protocol, ErrorClass::unreachable, ErrorClass::dns});
}

std::string_view to_string(HandshakeMode mode)
{
  return mode == HandshakeMode::full ? "full" : "certificate-only";
}

} // namespace fleetcert
