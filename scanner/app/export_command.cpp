// `fleetcert export`: loads a report and writes one of its lists.
//
//   grandstream-update  DIR/grandstream-update-001.txt ... (MACs, one per line) + DIR/grandstream-update-index.csv
//   generic-cn, devices  one CSV (RFC 4180, formula-neutralised), a row per device

#include "scanner/app/export_command.hpp"
#include "scanner/app/cli_common.hpp"
#include "scanner/app/merge_command.hpp"

#include "reports/encoding/csv_file.hpp"
#include "reports/workflows/export_batches.hpp"
#include "reports/sinks/json_report.hpp"
#include "reports/encoding/text_safety.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <regex>
#include <set>
#include <stdexcept>

namespace fleetcert {
namespace {


constexpr const char* k_update_prefix = "grandstream-update";
constexpr const char* k_update_index = "grandstream-update-index.csv";
// Skipped devices named one by one on stderr; the index lists them all.
constexpr std::size_t k_skipped_shown = 20;


// Batch files ("grandstream-update-007.txt") and the index an earlier export left in `dir`.
std::vector<std::filesystem::path> earlier_update_files(const std::filesystem::path& dir)
{
  static const std::regex k_batch("grandstream-update-[0-9]+\\.txt");
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name == k_update_index || std::regex_match(name, k_batch)) {
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

int export_grandstream_update(const ExportOptions& options)
{
  const ScanReport report = load_reports(options.reports);
  const std::filesystem::path dir(options.out);
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (!std::filesystem::is_directory(dir)) {
    throw UsageError("--out '" + options.out + "': not a directory" + (error ? ": " + error.message() : ""));
  }
  const auto earlier = earlier_update_files(dir);
  if (!earlier.empty() && !options.force) {
    throw UsageError("'" + options.out + "' already holds an export (" + earlier.front().filename().string() +
                     "): use --force to replace it, or another directory");
  }

  print_warnings(report.path, report.fleet_warnings);
  VendorProfiles profiles = VendorProfiles::builtin();
  if (!options.profiles_dir.empty()) {
    if (auto loaded = profiles.load_directory(options.profiles_dir); !loaded) {
      throw UsageError(loaded.error());
    }
  }
  const VendorProfile* grandstream = profiles.find("Grandstream");
  if (grandstream == nullptr) {
    throw UsageError("no Grandstream profile is loaded (--profiles replaced it under another name?)");
  }
  const UpdateBatches batches = grandstream_update_batches(report, options.batch_size, grandstream);
  std::set<std::string> written;
  try {
    for (std::size_t i = 0; i < batches.batches.size(); ++i) {
      const std::string name = batch_file_name(k_update_prefix, i + 1);
      ReplacingFile file((dir / name).string());
      for (const std::string& mac : batches.batches[i]) {
        file.write(mac + "\n");
      }
      file.commit();
      written.insert(name);
    }
    CsvFile index((dir / k_update_index).string(), {"mac", "mac_source", "ip", "host", "model", "site", "file",
                                                    "line", "status", "reason", "note"});
    for (const UpdateEntry& entry : batches.entries) {
      index.row({csv_untrusted(entry.mac), csv_trusted(entry.mac_source), csv_untrusted(entry.ip),
                 csv_untrusted(entry.host), csv_untrusted(entry.model), csv_untrusted(entry.site),
                 csv_trusted(entry.batch == 0 ? std::string() : batch_file_name(k_update_prefix, entry.batch)),
                 csv_trusted(entry.line == 0 ? std::string() : std::to_string(entry.line)), csv_trusted(entry.status),
                 csv_trusted(entry.reason), csv_untrusted(entry.note)});
    }
    index.commit();
    written.insert(k_update_index);
  } catch (const std::exception& e) {
    print_error(e.what());
    return k_exit_runtime;
  }
  // --force: batch files of the earlier export beyond this one's are removed, so DIR holds one export.
  for (const auto& path : earlier) {
    if (written.count(path.filename().string()) == 0) {
      std::filesystem::remove(path, error);
    }
  }

  std::size_t skipped_shown = 0;
  for (const UpdateEntry& entry : batches.entries) {
    if (entry.status == "skipped" && skipped_shown++ < k_skipped_shown) {
      print_error("skipped " + entry.address() + ": " + entry.note);
    }
  }
  if (batches.skipped() > k_skipped_shown) {
    print_error("... and " + std::to_string(batches.skipped() - k_skipped_shown) + " more skipped (see the index)");
  }
  std::size_t not_eligible_shown = 0;
  for (const UpdateEntry& entry : batches.entries) {
    if (entry.status == "not-eligible" && not_eligible_shown++ < k_skipped_shown) {
      print_error("not eligible " + entry.address() + ": " + entry.note);
    }
  }
  if (batches.not_eligible() > k_skipped_shown) {
    print_error("... and " + std::to_string(batches.not_eligible() - k_skipped_shown)
                + " more not eligible (see the index)");
  }
  if (!options.quiet) {
    std::size_t macs = 0;
    for (const auto& batch : batches.batches) {
      macs += batch.size();
    }
    std::string files;
    for (std::size_t i = 0; i < batches.batches.size(); ++i) {
      files += (i == 0 ? ": " : ", ") + batch_file_name(k_update_prefix, i + 1) + " (" +
               std::to_string(batches.batches[i].size()) + ")";
    }
    std::printf("%zu MACs of Grandstream devices for the certificate portal in %zu file%s of at most %zu in %s%s\n",
                macs, batches.batches.size(), batches.batches.size() == 1 ? "" : "s", options.batch_size,
                terminal_safe(options.out).c_str(), terminal_safe(files).c_str());
    std::printf("index: %s (%zu devices, %zu skipped for want of a MAC, %zu not eligible by model)\n",
                terminal_safe((dir / k_update_index).string()).c_str(), batches.entries.size(), batches.skipped(),
                batches.not_eligible());
  }
  return k_exit_ok;
}

int export_devices(const ExportOptions& options, const std::vector<std::string>& where)
{
  auto filter = parse_device_filter(where);
  if (!filter) {
    throw UsageError(filter.error());
  }
  const ScanReport report = load_reports(options.reports);
  const std::string out = options.out.empty() ? "-" : options.out;
  std::unique_ptr<CsvFile> csv;
  try {
    csv = std::make_unique<CsvFile>(out, device_export_columns());
  } catch (const std::exception& e) {
    throw UsageError(e.what());
  }
  print_warnings(report.path, report.fleet_warnings);
  const std::vector<ReportDevice> devices = report.fleet_devices();
  const auto selected = select_devices(devices, *filter);
  try {
    for (const ReportDevice* device : selected) {
      csv->row(device_export_row(*device));
    }
    csv->commit();
  } catch (const std::exception& e) {
    print_error(e.what());
    return k_exit_runtime;
  }
  if (!options.quiet && out != "-") {
    std::printf("%zu of %zu devices written to %s (devices: %s)\n", selected.size(), devices.size(),
                terminal_safe(out).c_str(), report.fleet_source().c_str());
  }
  return k_exit_ok;
}

} // namespace

void setup_export(CLI::App& app, ExportOptions& options)
{
  CLI::App* cmd = app.add_subcommand("export", "Lists made from a report: Grandstream update batches, devices");
  cmd->require_subcommand(1);

  CLI::App* update = cmd->add_subcommand(
      "grandstream-update", "MACs of Grandstream devices whose factory certificate the vendor's portal replaces "
                            "(legacy-generation, sha1-rejected, weak-signature), in files for the portal (at most "
                            "1000 each), plus an index CSV");
  update->add_option("report", options.reports, "The report (JSON document or JSONL); several are merged as by fleetcert merge")
      ->required()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  update->add_option("--out", options.out, "Directory for the batch files and the index (created if missing)")
      ->required();
  update->add_option("--batch-size", options.batch_size, "MACs per file (the Grandstream portal takes at most 1000)")
      ->check(CLI::Range(std::size_t{1}, k_grandstream_portal_limit))
      ->capture_default_str();
  update->add_flag("--force", options.force, "Replace the batch files and index of an earlier export in --out");
  update->add_option("--profiles", options.profiles_dir,
                     "Directory of vendor profiles (*.json) to add or replace built-in ones: the Grandstream "
                     "profile's portal_models decide which models are eligible");
  update->add_flag("-q,--quiet", options.quiet, "Print nothing but errors");
  update->callback([&options] { options.kind = "grandstream-update"; });

  CLI::App* generic = cmd->add_subcommand("generic-cn", "Devices whose certificate has a shared generic CN "
                                                        "(Gigaset Einstein2), as CSV");
  generic->add_option("report", options.reports, "The report (JSON document or JSONL); several are merged as by fleetcert merge")
      ->required()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  generic->add_option("--out", options.out, "CSV file; - = stdout (the default)");
  generic->add_flag("-q,--quiet", options.quiet, "Print nothing but errors");
  generic->callback([&options] { options.kind = "generic-cn"; });

  CLI::App* devices = cmd->add_subcommand("devices", "Devices of a report as CSV, optionally filtered");
  devices->add_option("report", options.reports, "The report (JSON document or JSONL); several are merged as by fleetcert merge")
      ->required()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  devices->add_option("--out", options.out, "CSV file; - = stdout (the default)");
  devices->add_option("--where", options.where,
                      "KEY=VALUE (finding, vendor, model, site, signature, verdict, provenance, validity, "
                      "severity, answered); the same key repeated: any value, different keys: all");
  devices->add_flag("-q,--quiet", options.quiet, "Print nothing but errors");
  devices->callback([&options] { options.kind = "devices"; });
}

int run_export(const ExportOptions& options)
{
  const std::string command = options.kind.empty() ? std::string("export") : "export " + options.kind;
  return run_guarded(command.c_str(), [&options] {
    if (options.kind == "grandstream-update") {
      return export_grandstream_update(options);
    }
    if (options.kind == "generic-cn") {
      return export_devices(options, {"finding=generic-cn"});
    }
    if (options.kind == "devices") {
      return export_devices(options, options.where);
    }
    print_error("export: name what to export: grandstream-update, generic-cn or devices");
    return k_exit_usage;
  });
}

} // namespace fleetcert
