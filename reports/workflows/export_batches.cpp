// Lists made from a report for `fleetcert export` (see export_batches.hpp).

#include "reports/workflows/export_batches.hpp"

#include "reports/encoding/csv_file.hpp"
#include "scanner/util/ascii.hpp"
#include "scanner/assessment/assessment.hpp"
#include "scanner/assessment/findings.hpp"
#include "scanner/util/mac.hpp"
#include "scanner/util/port_status.hpp"
#include "scanner/util/text.hpp"
#include "scanner/certificate/certificate.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>
#include <tuple>

namespace fleetcert {
namespace {

constexpr std::string_view k_grandstream = "Grandstream";

bool has_finding(const ReportEndpoint& endpoint, std::string_view code)
{
  return std::any_of(endpoint.findings.begin(), endpoint.findings.end(),
                     [&](const Finding& finding) { return finding.code == code; });
}

// True when `endpoint` of `device` presented a Grandstream factory certificate on a Grandstream
// device: only then can the vendor's portal replace it (never a self-signed or enterprise one, nor
// a Grandstream certificate on another vendor's device).
bool grandstream_factory(const ReportDevice& device, const ReportEndpoint& endpoint)
{
  const std::string& vendor = endpoint.vendor.empty() ? device.vendor : endpoint.vendor;
  return endpoint.ok && ascii_iequals(vendor, k_grandstream) && endpoint.provenance_kind == ProvenanceKind::factory
         && ascii_iequals(endpoint.provenance_vendor, k_grandstream);
}

std::string inventory_mac(const ReportDevice& device)
{
  for (const ReportEndpoint* endpoint : device.endpoints) {
    if (endpoint->inventory && !endpoint->inventory->mac.empty()) {
      return endpoint->inventory->mac;
    }
  }
  return {};
}

void add_distinct(std::vector<std::string>& items, const std::string& item)
{
  if (!item.empty() && std::find(items.begin(), items.end(), item) == items.end()) {
    items.push_back(item);
  }
}

std::string join(const std::vector<std::string>& items)
{
  return join_items(items, " ");
}

// True when an endpoint of `device` that presented a certificate passes `test`.
template <typename Test> bool any_ok_endpoint(const ReportDevice& device, Test test)
{
  return std::any_of(device.endpoints.begin(), device.endpoints.end(),
                     [&](const ReportEndpoint* endpoint) { return endpoint->ok && test(*endpoint); });
}

// True when `value` is the value of one of the words `wanted` (any case).
template <typename Enum>
bool is_one_of(const std::optional<Enum>& value, const std::vector<std::string>& wanted,
               std::optional<Enum> (*parse)(std::string_view))
{
  return value && std::any_of(wanted.begin(), wanted.end(),
                              [&](const std::string& word) { return parse(ascii_lower(word)) == value; });
}

// "factory" (any basis) or "factory/chain", any case; nullopt parts when a word is unknown.
struct ProvenanceCondition
{
  std::optional<ProvenanceKind> kind;
  bool any_basis = true;
  std::optional<ProvenanceBasis> basis;
};
ProvenanceCondition parse_provenance_condition(const std::string& text)
{
  const std::size_t slash = text.find('/');
  ProvenanceCondition condition;
  condition.kind = parse_provenance_kind(ascii_lower(text.substr(0, slash)));
  if (slash != std::string::npos) {
    condition.any_basis = false;
    condition.basis = parse_provenance_basis(ascii_lower(text.substr(slash + 1)));
  }
  return condition;
}

bool provenance_is(const ReportEndpoint& endpoint, const std::string& wanted)
{
  const ProvenanceCondition condition = parse_provenance_condition(wanted);
  return condition.kind && endpoint.provenance_kind == condition.kind
         && (condition.any_basis || (condition.basis && endpoint.provenance_basis == condition.basis));
}

bool any_of_values(const std::string& value, const std::vector<std::string>& values)
{
  return std::any_of(values.begin(), values.end(), [&](const std::string& wanted) { return ascii_iequals(value, wanted); });
}

} // namespace

std::size_t UpdateBatches::not_eligible() const
{
  return static_cast<std::size_t>(
      std::count_if(entries.begin(), entries.end(), [](const UpdateEntry& e) { return e.status == "not-eligible"; }));
}

std::size_t UpdateBatches::skipped() const
{
  return static_cast<std::size_t>(
      std::count_if(entries.begin(), entries.end(), [](const UpdateEntry& e) { return e.status == "skipped"; }));
}

const std::vector<std::string>& grandstream_update_reasons()
{
  static const std::vector<std::string> k_reasons = {"legacy-generation", "sha1-rejected", "weak-signature"};
  return k_reasons;
}

UpdateBatches grandstream_update_batches(const ScanReport& report, std::size_t batch_size,
                                         const VendorProfile* grandstream)
{
  static const VendorProfiles k_builtin = VendorProfiles::builtin();
  if (grandstream == nullptr) {
    grandstream = k_builtin.find(k_grandstream);
  }
  batch_size = std::clamp<std::size_t>(batch_size, 1, k_grandstream_portal_limit);
  std::vector<UpdateEntry> listed;
  std::vector<UpdateEntry> skipped;
  for (const ReportDevice& device : report.fleet_devices()) {
    std::vector<std::string> reasons;          // in the order of grandstream_update_reasons()
    std::vector<std::string> certificate_macs; // the CNs' MACs of its eligible certificates, in port order
    for (const std::string& code : grandstream_update_reasons()) {
      for (const ReportEndpoint* endpoint : device.endpoints) {
        if (grandstream_factory(device, *endpoint) && has_finding(*endpoint, code)) {
          add_distinct(reasons, code);
        }
      }
    }
    for (const ReportEndpoint* endpoint : device.endpoints) {
      const bool eligible = grandstream_factory(device, *endpoint)
                            && std::any_of(reasons.begin(), reasons.end(),
                                           [&](const std::string& code) { return has_finding(*endpoint, code); });
      if (const auto mac = normalize_mac(endpoint->cn_mac); eligible && mac) {
        add_distinct(certificate_macs, *mac);
      }
    }
    if (reasons.empty()) {
      continue;
    }
    UpdateEntry entry;
    entry.identity() = device.identity();
    entry.mac.clear(); // set below to the MAC listed
    entry.reason = join(reasons);
    const std::string from_inventory = inventory_mac(device);
    if (!from_inventory.empty()) {
      const auto mac = normalize_mac(from_inventory);
      if (!mac) {
        entry.status = "skipped";
        entry.note = "the inventory's MAC " + quote_for_message(from_inventory) + " is not 12 hex digits";
        skipped.push_back(std::move(entry));
        continue;
      }
      entry.mac = *mac;
      entry.mac_source = "inventory";
      for (const std::string& other : certificate_macs) {
        if (other != entry.mac) {
          entry.note += std::string(entry.note.empty() ? "" : "; ") + "its certificate was issued to MAC " + other
                        + " (CN), another device's: a copied certificate (finding mac-mismatch); listed: this "
                          "device's own MAC";
        }
      }
    } else if (!certificate_macs.empty() || normalize_mac(device.mac)) {
      entry.mac = !certificate_macs.empty() ? certificate_macs.front() : *normalize_mac(device.mac);
      entry.mac_source = "certificate";
      entry.note = "the device's own MAC is unknown (no inventory or DHCP lease row for this address): listed the "
                   "MAC in its certificate's CN";
    } else {
      entry.status = "skipped";
      entry.note = "no MAC known: the certificate's CN is not a MAC and no inventory or DHCP lease row gives one for "
                   "this address";
      skipped.push_back(std::move(entry));
      continue;
    }
    const RuleStatus eligible = grandstream != nullptr ? portal_eligibility(*grandstream, device.model) : RuleStatus::unknown;
    if (eligible == RuleStatus::not_applicable) {
      entry.status = "not-eligible";
      entry.note = "model " + quote_for_message(device.model) + " (" + device.model_source
                   + ") is not one whose certificate Grandstream's portal updates (the profile's portal_models, from "
                     "the update guide's supported devices): the portal would answer 'Not eligible for update'; "
                     "ask Grandstream support, or install a certificate from your own CA";
      skipped.push_back(std::move(entry));
      continue;
    }
    if (eligible == RuleStatus::unknown) {
      entry.note += std::string(entry.note.empty() ? "" : "; ")
                    + (device.model.empty() ? "model unknown (no inventory model, nothing announced): "
                                            : "the profile lists no portal models: ")
                    + "portal eligibility not checked (the portal answers 'Not eligible for update' for models "
                      "outside its list)";
    }
    listed.push_back(std::move(entry));
  }
  std::stable_sort(listed.begin(), listed.end(), [](const UpdateEntry& a, const UpdateEntry& b) { return a.mac < b.mac; });

  UpdateBatches out;
  std::optional<std::size_t> previous; // index in out.entries of the row that placed the last MAC
  for (UpdateEntry& entry : listed) {
    if (previous && out.entries[*previous].mac == entry.mac) {
      const UpdateEntry& first = out.entries[*previous];
      entry.status = "duplicate";
      entry.batch = first.batch;
      entry.line = first.line;
      entry.note += std::string(entry.note.empty() ? "" : "; ") + "same MAC as " +
                    first.address() + ": listed once";
    } else {
      if (out.batches.empty() || out.batches.back().size() == batch_size) {
        out.batches.emplace_back();
      }
      out.batches.back().push_back(entry.mac);
      entry.status = "batched";
      entry.batch = out.batches.size();
      entry.line = out.batches.back().size();
      previous = out.entries.size();
    }
    out.entries.push_back(std::move(entry));
  }
  std::stable_sort(skipped.begin(), skipped.end(),
                   [](const UpdateEntry& a, const UpdateEntry& b) { return address_order(a) < address_order(b); });
  out.entries.insert(out.entries.end(), skipped.begin(), skipped.end());
  return out;
}

std::string batch_file_name(const std::string& prefix, std::size_t batch)
{
  char number[32];
  std::snprintf(number, sizeof number, "%03zu", batch);
  return prefix + "-" + number + ".txt";
}

const std::vector<std::string>& device_filter_keys()
{
  static const std::vector<std::string> k_keys = {"finding", "vendor",     "model",    "site",     "signature",
                                                  "verdict", "provenance", "validity", "severity", "answered"};
  return k_keys;
}

Result<DeviceFilter> parse_device_filter(const std::vector<std::string>& conditions)
{
  DeviceFilter filter;
  for (const std::string& condition : conditions) {
    const std::string where = "--where " + quote_for_message(condition) + ": ";
    const auto equals = condition.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == condition.size()) {
      return Error{where + "expected KEY=VALUE"};
    }
    const std::string key = ascii_lower(condition.substr(0, equals));
    const std::string value = condition.substr(equals + 1);
    const auto& keys = device_filter_keys();
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      std::string known;
      for (const std::string& k : keys) {
        known += (known.empty() ? "" : ", ") + k;
      }
      return Error{where + "unknown key " + quote_for_message(key) + " (known: " + known + ")"};
    }
    if (key == "finding" && find_finding_kind(ascii_lower(value)) == nullptr) {
      std::string codes;
      for (const FindingKind& kind : finding_kinds()) {
        codes += (codes.empty() ? "" : ", ") + std::string(kind.code);
      }
      return Error{where + "unknown finding code " + quote_for_message(value) + " (codes: " + codes + ")"};
    }
    if (key == "severity") {
      if (!parse_severity(ascii_lower(value))) {
        return Error{where + "severity is one of info, low, medium, high, critical"};
      }
    }
    if (key == "answered" && !ascii_iequals(value, "true") && !ascii_iequals(value, "false")) {
      return Error{where + "answered is true or false"};
    }
    if (key == "verdict" && !parse_signature_verdict(ascii_lower(value))) {
      return Error{where + "verdict is one of current, legacy, rejected"};
    }
    if (key == "validity" && !parse_validity(ascii_lower(value))) {
      return Error{where + "validity is one of valid, expiring, expired, not-yet-valid"};
    }
    if (key == "provenance") {
      const ProvenanceCondition provenance = parse_provenance_condition(value);
      if (!provenance.kind || (!provenance.any_basis && !provenance.basis)) {
        return Error{where + "provenance is factory, self-signed, custom-ca or unknown, optionally with /chain, "
                             "/issuer-name or /none"};
      }
    }
    filter.conditions[key].push_back(value);
  }
  return filter;
}

bool DeviceFilter::matches(const ReportDevice& device) const
{
  for (const auto& condition : conditions) {
    const std::string& key = condition.first;
    const auto& values = condition.second; // not a structured binding: lambdas below capture it (clang 14)
    bool hit = false;
    if (key == "finding") {
      hit = std::any_of(device.findings.begin(), device.findings.end(),
                        [&](const Finding& f) { return any_of_values(f.code, values); });
    } else if (key == "vendor") {
      hit = any_of_values(device.vendor, values);
    } else if (key == "model") {
      hit = any_of_values(device.model, values);
    } else if (key == "site") {
      hit = any_of_values(device.site, values);
    } else if (key == "signature") {
      hit = any_ok_endpoint(device, [&](const ReportEndpoint& e) { return any_of_values(e.signature_label, values); });
    } else if (key == "verdict") {
      hit = any_ok_endpoint(
          device, [&](const ReportEndpoint& e) { return is_one_of(e.signature_verdict, values, parse_signature_verdict); });
    } else if (key == "provenance") { // "factory" or "factory/chain"
      hit = any_ok_endpoint(device, [&](const ReportEndpoint& e) {
        return std::any_of(values.begin(), values.end(), [&](const std::string& v) { return provenance_is(e, v); });
      });
    } else if (key == "validity") {
      hit = any_ok_endpoint(device,
                            [&](const ReportEndpoint& e) { return is_one_of(e.validity, values, parse_validity); });
    } else if (key == "severity") { // the worst finding is at least this severe
      const auto worst = device.worst();
      hit = worst && std::any_of(values.begin(), values.end(), [&](const std::string& v) {
              const auto level = parse_severity(ascii_lower(v));
              return level && static_cast<int>(*worst) >= static_cast<int>(*level);
            });
    } else if (key == "answered") {
      hit = any_of_values(device.answered() ? "true" : "false", values);
    }
    if (!hit) {
      return false;
    }
  }
  return true;
}

const std::vector<std::string>& device_export_columns()
{
  static const std::vector<std::string> k_columns = {
      "ip",       "host",           "mac",        "vendor",   "model",     "site",           "answered", "ports",
      "cn",       "signature_labels", "signature_verdicts", "provenance", "validity", "not_after", "worst_severity",
      "findings"};
  return k_columns;
}

std::vector<std::string> device_export_row(const ReportDevice& device)
{
  std::vector<std::string> cns, labels, verdicts, provenance, validity;
  std::vector<PortStatus> ports;
  std::optional<std::int64_t> earliest;
  for (const ReportEndpoint* endpoint : device.endpoints) {
    ports.push_back({endpoint->port, endpoint->ok ? std::string("ok") : endpoint->error_word()});
    if (!endpoint->ok) {
      continue;
    }
    add_distinct(cns, endpoint->cn);
    add_distinct(labels, endpoint->signature_label);
    add_distinct(verdicts, word_of(endpoint->signature_verdict));
    add_distinct(provenance, endpoint->provenance());
    add_distinct(validity, word_of(endpoint->validity));
    if (endpoint->not_after && (!earliest || *endpoint->not_after < *earliest)) {
      earliest = endpoint->not_after;
    }
  }
  std::vector<std::string> codes;
  for (const Finding& finding : device.findings) {
    codes.push_back(finding.code);
  }
  const auto worst = device.worst();
  // Everything read from a report is untrusted text (the file may have been edited).
  return {csv_untrusted(device.ip),
          csv_untrusted(device.host),
          csv_untrusted(device.mac),
          csv_untrusted(device.vendor),
          csv_untrusted(device.model),
          csv_untrusted(device.site),
          csv_trusted(device.answered() ? "true" : "false"),
          csv_untrusted(format_port_statuses(ports)),
          csv_untrusted(join_items(cns, " | ")),
          csv_untrusted(join(labels)),
          csv_untrusted(join(verdicts)),
          csv_untrusted(join(provenance)),
          csv_untrusted(join(validity)),
          csv_trusted(earliest ? format_iso8601(*earliest) : std::string()),
          csv_trusted(worst ? std::string(to_string(*worst)) : std::string()),
          csv_untrusted(join(codes))};
}

std::vector<const ReportDevice*> select_devices(const std::vector<ReportDevice>& devices, const DeviceFilter& filter)
{
  std::vector<const ReportDevice*> out;
  for (const ReportDevice& device : devices) {
    if (filter.matches(device)) {
      out.push_back(&device);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const ReportDevice* a, const ReportDevice* b) {
    const int wa = a->worst() ? static_cast<int>(*a->worst()) : -1;
    const int wb = b->worst() ? static_cast<int>(*b->worst()) : -1;
    return std::tuple(-wa, address_order(*a)) < std::tuple(-wb, address_order(*b));
  });
  return out;
}

} // namespace fleetcert
