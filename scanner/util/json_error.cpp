#include "scanner/util/json_error.hpp"

#include <string_view>

namespace fleetcert {

std::string json_error_text(const nlohmann::json::exception& error)
{
  std::string_view what = error.what();
  if (what.starts_with("[json.exception.")) {
    if (const std::size_t close = what.find("] "); close != std::string_view::npos) {
      what.remove_prefix(close + 2);
    }
  }
  const auto* parse = dynamic_cast<const nlohmann::json::parse_error*>(&error);
  if (parse == nullptr) {
    return std::string(what);
  }
  std::string text = "parse error at byte " + std::to_string(parse->byte);
  constexpr std::string_view at = "parse error at ";
  if (what.starts_with(at)) {
    what.remove_prefix(at.size());
    if (const std::size_t colon = what.find(": "); colon != std::string_view::npos) {
      text += " (";
      text += what.substr(0, colon);
      text += "): ";
      text += what.substr(colon + 2);
      return text;
    }
  }
  if (what.starts_with("parse error: ")) {
    what.remove_prefix(std::string_view("parse error: ").size());
  }
  text += ": ";
  text += what;
  return text;
}

} // namespace fleetcert
