#include "reports/encoding/audit_settings_json.hpp"

#include "reports/encoding/text_safety.hpp"

#include <string>
#include <tuple>

namespace fleetcert {
namespace {

nlohmann::ordered_json files_to_json(const std::vector<AuditInputFile>& files, bool with_vendor)
{
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const AuditInputFile& file : files) {
    nlohmann::ordered_json item = nlohmann::ordered_json::object();
    if (with_vendor) {
      item["vendor"] = to_valid_utf8(file.vendor);
    }
    item["file"] = to_valid_utf8(file.file);
    item["sha256"] = file.sha256;
    out.push_back(std::move(item));
  }
  return out;
}

bool is_sha256(const std::string& text)
{
  return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

Result<std::vector<AuditInputFile>> files_from_json(const nlohmann::json& object, const char* key, bool with_vendor,
                                                    const std::string& parent = "scan.audit_settings")
{
  const std::string where = parent + "." + key;
  if (!object.contains(key)) {
    return std::vector<AuditInputFile>{};
  }
  const nlohmann::json& array = object.at(key);
  if (!array.is_array()) {
    return Error{where + " is not an array"};
  }
  std::vector<AuditInputFile> out;
  for (const nlohmann::json& item : array) {
    const std::string at = where + "[" + std::to_string(out.size()) + "]";
    if (!item.is_object() || !item.contains("file") || !item["file"].is_string() || !item.contains("sha256") ||
        !item["sha256"].is_string() || !is_sha256(item["sha256"].get<std::string>())) {
      return Error{at + " needs \"file\" and a \"sha256\" of 64 hex digits"};
    }
    AuditInputFile file;
    file.file = item["file"].get<std::string>();
    file.sha256 = item["sha256"].get<std::string>();
    if (with_vendor) {
      if (!item.contains("vendor") || !item["vendor"].is_string()) {
        return Error{at + " needs \"vendor\""};
      }
      file.vendor = item["vendor"].get<std::string>();
    }
    out.push_back(std::move(file));
  }
  return out;
}

} // namespace

nlohmann::ordered_json audit_settings_to_json(const AuditSettings& settings)
{
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["vendor_ca"] = files_to_json(settings.vendor_cas, true);
  out["trust"] = files_to_json(settings.trust, false);
  out["inventory"] = files_to_json(settings.inventory, false);
  out["dhcp_leases"] = files_to_json(settings.dhcp_leases, false);
  nlohmann::ordered_json profiles = nlohmann::ordered_json::object();
  profiles["builtin_sha256"] = settings.builtin_profiles_sha256;
  profiles["files"] = files_to_json(settings.profile_files, false);
  out["profiles"] = std::move(profiles);
  return out;
}

Result<AuditSettings> audit_settings_from_json(const nlohmann::json& value)
{
  if (!value.is_object()) {
    return Error{"scan.audit_settings is not an object"};
  }
  AuditSettings settings;
  for (auto [key, target, with_vendor] :
       {std::tuple{"vendor_ca", &settings.vendor_cas, true}, std::tuple{"trust", &settings.trust, false},
        std::tuple{"inventory", &settings.inventory, false}, std::tuple{"dhcp_leases", &settings.dhcp_leases, false}}) {
    auto files = files_from_json(value, key, with_vendor);
    if (!files) {
      return Error{files.error()};
    }
    *target = std::move(*files);
  }
  const nlohmann::json profiles = value.value("profiles", nlohmann::json::object());
  if (!profiles.is_object() || !profiles.contains("builtin_sha256") || !profiles["builtin_sha256"].is_string() ||
      !is_sha256(profiles["builtin_sha256"].get<std::string>())) {
    return Error{"scan.audit_settings.profiles needs a \"builtin_sha256\" of 64 hex digits"};
  }
  settings.builtin_profiles_sha256 = profiles["builtin_sha256"].get<std::string>();
  auto files = files_from_json(profiles, "files", false, "scan.audit_settings.profiles");
  if (!files) {
    return Error{files.error()};
  }
  settings.profile_files = std::move(*files);
  return settings;
}

} // namespace fleetcert
