#include "reports/sinks/summary.hpp"

#include "reports/encoding/record_json.hpp"
#include "reports/encoding/text_safety.hpp"
#include "scanner/assessment/fleet_view.hpp"
#include "scanner/model/device_identity.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>

namespace fleetcert {

static_assert(static_cast<std::size_t>(Severity::critical) + 1 == std::tuple_size_v<decltype(DeviceGroupCount::findings)>,
              "DeviceGroupCount has one slot per severity");

namespace {

nlohmann::json counts_to_json(const std::map<std::string, std::uint64_t>& counts)
{
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [name, count] : counts) {
    // Two invalid names may map to the same replacement text: add rather than overwrite.
    nlohmann::json& slot = object[to_valid_utf8(name)];
    slot = (slot.is_null() ? 0 : slot.get<std::uint64_t>()) + count;
  }
  return object;
}

} // namespace

void ScanSummary::add(const Record& record)
{
  ++endpoints;
  if (record.skipped()) {
    ++skipped;
    return;
  }
  if (!record.ok()) {
    ++errors;
    ++error_classes[std::string(to_string(record_error(record).error_class))];
    return;
  }
  ++ok;
  const Assessment& assessment = record.assessment;
  std::optional<Severity> worst;
  std::set<std::string_view> codes; // a code counts once per endpoint, and once per severity
  std::set<std::pair<std::string_view, Severity>> graded;
  for (const Finding& finding : assessment.findings) {
    if (codes.insert(finding.code).second) {
      ++findings[finding.code];
    }
    if (graded.insert({finding.code, finding.severity}).second) {
      ++finding_severities[{finding.code, finding.severity}];
    }
    worst = worst ? std::max(*worst, finding.severity) : finding.severity;
  }
  if (worst) {
    ++severities[std::string(to_string(*worst))];
  }
  ++provenance[std::string(to_string(assessment.provenance.kind))];
  if (assessment.provenance.issuer_verified.has_value() && !*assessment.provenance.issuer_verified) {
    ++unverified_issuer_names[assessment.provenance.vendor];
  }
  if (!assessment.vendor.empty()) {
    ++vendors[assessment.vendor];
  }
  const CertificateInfo& leaf = *record.leaf();
  if (!leaf.parsed) {
    return;
  }
  ++signature_labels[leaf.signature.label.empty() ? std::string("unknown") : leaf.signature.label];
  if (record.assessment.signature_verdict) {
    ++signature_verdicts[std::string(to_string(*record.assessment.signature_verdict))];
  }
  if (record.assessment.validity) {
    ++validity[std::string(to_string(*record.assessment.validity))];
  }
  ++cn_classes[std::string(to_string(record.assessment.cn_class))];
  if (!record.observation.tls_version.empty()) {
    ++tls_versions[record.observation.tls_version];
  }
  if (leaf.self_signed) {
    ++self_signed;
  }
}

void DeviceGroupCount::add(const Device& device)
{
  ++devices;
  const bool answered_somehow = std::any_of(device.ports.begin(), device.ports.end(), [](const DevicePort& port) {
    const std::optional<ErrorClass> error_class = parse_error_class(port.status);
    return port.status == "ok" || (error_class && something_answered(*error_class));
  });
  if (answered_somehow) {
    ++reachable;
  }
  if (device.answered()) {
    ++answering;
  }
  for (const Finding& finding : device.findings) {
    ++findings[static_cast<std::size_t>(finding.severity)];
  }
  if (const std::optional<Severity> severity = device.worst()) {
    ++worst[static_cast<std::size_t>(*severity)];
  }
}

DeviceGroups device_groups(const FleetView& view)
{
  DeviceGroups groups;
  for (const Device& device : view.devices()) {
    groups.overall.add(device);
    groups.by_site[to_valid_utf8(group_name(device.site))].add(device);
    groups.by_vendor[to_valid_utf8(group_name(device.vendor))].add(device);
  }
  return groups;
}

nlohmann::json device_group_to_json(const DeviceGroupCount& count)
{
  nlohmann::json findings = nlohmann::json::object();
  nlohmann::json worst = nlohmann::json::object();
  for (std::size_t i = 0; i < count.findings.size(); ++i) {
    const std::string name(to_string(static_cast<Severity>(i)));
    findings[name] = count.findings[i];
    worst[name] = count.worst[i];
  }
  nlohmann::json object = nlohmann::json::object();
  object["devices"] = count.devices;
  object["reachable"] = count.reachable;
  object["answering"] = count.answering;
  object["findings_by_severity"] = std::move(findings);
  object["devices_by_worst_severity"] = std::move(worst);
  return object;
}

nlohmann::json summary_to_json(const ScanSummary& summary, const FleetView* view)
{
  nlohmann::json object = nlohmann::json::object();
  object["endpoints"] = summary.endpoints;
  object["ok"] = summary.ok;
  object["errors"] = summary.errors;
  object["skipped"] = summary.skipped;
  object["error_classes"] = counts_to_json(summary.error_classes);
  object["signature_labels"] = counts_to_json(summary.signature_labels);
  object["signature_verdicts"] = counts_to_json(summary.signature_verdicts);
  object["validity"] = counts_to_json(summary.validity);
  object["cn_classes"] = counts_to_json(summary.cn_classes);
  object["tls_versions"] = counts_to_json(summary.tls_versions);
  object["self_signed"] = summary.self_signed;
  object["findings"] = counts_to_json(summary.findings);
  object["severities"] = counts_to_json(summary.severities);
  object["provenance"] = counts_to_json(summary.provenance);
  object["unverified_issuer_names"] = counts_to_json(summary.unverified_issuer_names);
  object["vendors"] = counts_to_json(summary.vendors);
  if (view != nullptr) {
    const DeviceGroups groups = device_groups(*view);
    for (const auto& [key, by] : {std::pair{"by_site", &groups.by_site}, std::pair{"by_vendor", &groups.by_vendor}}) {
      nlohmann::json named = nlohmann::json::object();
      for (const auto& [name, count] : *by) {
        named[name] = device_group_to_json(count);
      }
      object[key] = std::move(named);
    }
  }
  return object;
}

} // namespace fleetcert
