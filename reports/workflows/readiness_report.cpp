// Writers of `fleetcert readiness` (see readiness_report.hpp).

#include "reports/workflows/readiness_report.hpp"

#include "reports/encoding/html_page.hpp"
#include "reports/encoding/text_safety.hpp"
#include "reports/encoding/totals_table.hpp"
#include "scanner/util/port_status.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace fleetcert {
namespace {

using json = nlohmann::json;

std::string port_status(const PortReadiness& port)
{
  return port.certificate_received ? std::string(to_string(port.status)) : std::string("no-certificate");
}

std::string share(std::size_t part, std::size_t whole)
{
  char text[32];
  std::snprintf(text, sizeof text, "%zu (%.1f%%)", part, percent(part, whole));
  return text;
}

std::string pad(std::string text, std::size_t width)
{
  const std::size_t used = display_width(text);
  if (used < width) {
    text.append(width - used, ' ');
  }
  return text;
}

std::string hashes_text(const std::set<std::string>& hashes)
{
  std::string text;
  for (const std::string& hash : hashes) {
    text += (text.empty() ? "" : ", ") + hash;
  }
  return text.empty() ? std::string("none") : text;
}

const std::vector<TotalsColumn> k_totals_columns = {{"devices", 9}, {"ready", 16}, {"not ready", 16}, {"unknown", 0}};

void print_group(std::ostream& out, std::string_view title, const std::map<std::string, ReadinessCount>& groups)
{
  std::vector<TotalsRow> rows;
  for (const auto& [name, count] : groups) {
    rows.push_back({name,
                    {std::to_string(count.devices), share(count.ready, count.devices),
                     share(count.not_ready, count.devices), share(count.unknown, count.devices)}});
  }
  write_totals_group(out, title, rows, k_totals_columns);
}

json count_json(const ReadinessCount& count)
{
  return json{{"devices", count.devices},
              {"ready", count.ready},
              {"not_ready", count.not_ready},
              {"unknown", count.unknown},
              {"ready_percent", percent(count.ready, count.devices)},
              {"not_ready_percent", percent(count.not_ready, count.devices)},
              {"unknown_percent", percent(count.unknown, count.devices)}};
}

json groups_json(const std::map<std::string, ReadinessCount>& groups)
{
  json out = json::array();
  for (const auto& [name, count] : groups) {
    json item = count_json(count);
    item["name"] = name;
    out.push_back(std::move(item));
  }
  return out;
}

json reason_json(const ReadinessReason& reason)
{
  json item{{"code", reason.code}, {"message", reason.message}, {"remediation", reason.remediation}};
  item["port"] = reason.port == 0 ? json(nullptr) : json(reason.port);
  return item;
}

json device_json(const DeviceReadiness& device)
{
  json ports = json::array();
  for (const PortReadiness& port : device.ports) {
    json item{{"port", port.port}, {"status", port_status(port)}};
    if (!port.certificate_received && port.error_class) {
      item["error_class"] = std::string(to_string(*port.error_class));
    }
    if (!port.leaf_sha256.empty()) {
      item["leaf_subject"] = port.leaf_subject;
      item["leaf_sha256"] = port.leaf_sha256;
    }
    if (!port.verified_chain.empty()) {
      item["verified_chain"] = port.verified_chain;
    }
    ports.push_back(std::move(item));
  }
  json reasons = json::array();
  for (const ReadinessReason& reason : device.reasons) {
    reasons.push_back(reason_json(reason));
  }
  json notes = json::array();
  for (const ReadinessNote& note : device.notes) {
    notes.push_back(json{{"code", note.code}, {"message", note.message}});
  }
  return json{{"ip", device.ip},         {"host", device.host},     {"mac", device.mac},
              {"vendor", device.vendor}, {"model", device.model},   {"site", device.site},
              {"firmware", device.firmware},
              {"status", std::string(to_string(device.status))},    {"ports", std::move(ports)},
              {"reasons", std::move(reasons)},                      {"remediation", device.remediation},
              {"notes", std::move(notes)}};
}

std::string reason_label(const ReadinessReason& reason)
{
  return (reason.port == 0 ? std::string("-") : std::to_string(reason.port)) + " " + reason.code;
}

} // namespace

void print_readiness(std::ostream& out, const ReadinessOutcome& outcome)
{
  out << "Readiness on " << format_iso8601(outcome.at) << " with the bundle "
      << terminal_safe(outcome.trust_after_path) << " (" << outcome.trust_after_subjects.size() << " certificates)\n";
  for (const std::string& subject : outcome.trust_after_subjects) {
    out << "  trusts " << terminal_safe(subject) << '\n';
  }
  out << "Policy: " << hashes_text(outcome.policy.rejected_hashes) << " signatures rejected; RSA and DSA keys of at least "
      << outcome.policy.min_rsa_bits << " bits, EC keys of at least " << outcome.policy.min_ec_bits
      << " bits, Ed25519 and Ed448\n";
  out << "Source: " << (outcome.source_kind == "scan" ? "live scan" : "report");
  if (!outcome.source_path.empty()) {
    out << ' ' << terminal_safe(outcome.source_path);
  }
  out << (outcome.source_interrupted ? " (INTERRUPTED: incomplete)" : "") << '\n';

  for (const DeviceReadiness& device : outcome.devices) {
    // A ready device is listed only for a firmware stage's word that applies to it.
    const bool noted = std::any_of(device.notes.begin(), device.notes.end(), [](const ReadinessNote& n) { return n.applies; });
    if (device.status == Readiness::ready && !noted) {
      continue;
    }
    out << '\n'
        << (device.status == Readiness::not_ready ? "NOT READY  " : device.status == Readiness::ready ? "READY      " : "UNKNOWN    ")
        << terminal_safe(device.address());
    for (const std::string* field : {&device.mac, &device.vendor, &device.model, &device.firmware, &device.site}) {
      if (!field->empty()) {
        out << "  " << terminal_safe(*field);
      }
    }
    out << '\n';
    for (const ReadinessReason& reason : device.reasons) {
      out << "  " << pad(reason_label(reason), 26) << terminal_safe(reason.message) << '\n';
    }
    for (const ReadinessNote& note : device.notes) {
      if (note.applies || device.status != Readiness::ready) {
        out << "  " << pad("note " + note.code, 26) << terminal_safe(note.message) << '\n';
      }
    }
    if (!device.remediation.empty()) {
      out << "  what to do:\n";
      for (const std::string& text : device.remediation) {
        out << "    - " << terminal_safe(text) << '\n';
      }
    }
  }

  const ReadinessTotals& totals = outcome.totals;
  out << '\n';
  write_totals_header(out, k_totals_columns);
  print_group(out, "Overall", {{"all", totals.overall}});
  print_group(out, "By vendor", totals.by_vendor);
  print_group(out, "By model", totals.by_model);
  print_group(out, "By site", totals.by_site);
  if (!totals.devices_by_reason.empty()) {
    out << "Devices by reason:";
    for (const auto& [code, count] : totals.devices_by_reason) {
      out << "  " << code << " " << count;
    }
    out << '\n';
  }
  if (totals.addresses_skipped > 0) {
    out << "Left out: " << totals.addresses_skipped
        << " addresses where no device answered (refused or unreachable, not in the inventory)\n";
  }
}

nlohmann::json readiness_to_json(const ReadinessOutcome& outcome)
{
  json certificates = json::array();
  for (std::size_t i = 0; i < outcome.trust_after_subjects.size(); ++i) {
    certificates.push_back(json{{"subject", outcome.trust_after_subjects[i]},
                                {"sha256", i < outcome.trust_after_fingerprints.size() ? outcome.trust_after_fingerprints[i]
                                                                                        : std::string()}});
  }
  json document;
  document["schema"] = "fleetcert-readiness/1";
  document["at"] = format_iso8601(outcome.at);
  document["policy"] = json{{"rejected_hashes", outcome.policy.rejected_hashes},
                            {"min_rsa_bits", outcome.policy.min_rsa_bits},
                            {"min_ec_bits", outcome.policy.min_ec_bits}};
  document["trust_after"] = json{{"path", outcome.trust_after_path}, {"certificates", std::move(certificates)}};
  document["source"] = json{{"kind", outcome.source_kind}, {"path", outcome.source_path},
                            {"interrupted", outcome.source_interrupted}};
  json summary = count_json(outcome.totals.overall);
  summary["addresses_left_out"] = outcome.totals.addresses_skipped;
  document["summary"] = std::move(summary);
  document["by_vendor"] = groups_json(outcome.totals.by_vendor);
  document["by_model"] = groups_json(outcome.totals.by_model);
  document["by_site"] = groups_json(outcome.totals.by_site);
  document["devices_by_reason"] = outcome.totals.devices_by_reason;
  json devices = json::array();
  for (const DeviceReadiness& device : outcome.devices) {
    devices.push_back(device_json(device));
  }
  document["devices"] = std::move(devices);
  return document;
}

void write_readiness_json(ReplacingFile& file, const ReadinessOutcome& outcome)
{
  file.write(readiness_to_json(outcome).dump(2, ' ', false, json::error_handler_t::replace));
  file.write("\n");
}

void write_readiness_html(ReplacingFile& file, const ReadinessOutcome& outcome)
{
  file.write(html_page("fleetcert readiness", {{"page", "readiness"}, {"tool", "fleetcert"},
                                               {"readiness", readiness_to_json(outcome)}}));
}

std::vector<std::string> readiness_csv_columns()
{
  return {"ip",           "host",    "mac",         "vendor",   "model",      "site",  "status", "ports",
          "reason_codes", "reasons", "remediation", "firmware", "note_codes", "notes"};
}

void write_readiness_csv(CsvFile& file, const ReadinessOutcome& outcome)
{
  for (const DeviceReadiness& device : outcome.devices) {
    std::vector<PortStatus> ports;
    for (const PortReadiness& port : device.ports) {
      ports.push_back({port.port, port_status(port)});
    }
    std::vector<std::string> codes;
    std::vector<std::string> reasons;
    for (const ReadinessReason& reason : device.reasons) {
      codes.push_back((reason.port == 0 ? std::string("-") : std::to_string(reason.port)) + ":" + reason.code);
      reasons.push_back(reason_label(reason) + ": " + reason.message);
    }
    std::vector<std::string> note_codes;
    std::vector<std::string> notes;
    for (const ReadinessNote& note : device.notes) {
      note_codes.push_back(note.code);
      notes.push_back(note.code + ": " + note.message);
    }
    file.row({csv_untrusted(device.ip), csv_untrusted(device.host), csv_untrusted(device.mac),
              csv_untrusted(device.vendor), csv_untrusted(device.model), csv_untrusted(device.site),
              csv_trusted(to_string(device.status)), csv_trusted(format_port_statuses(ports)),
              csv_trusted(join_items(codes, ";")), csv_untrusted(join_items(reasons, " | ")),
              csv_untrusted(join_items(device.remediation, " | ")), csv_untrusted(device.firmware),
              csv_trusted(join_items(note_codes, ";")), csv_untrusted(join_items(notes, " | "))});
  }
}

} // namespace fleetcert
