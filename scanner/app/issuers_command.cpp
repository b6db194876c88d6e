// `fleetcert issuers`: checks the options, loads the report, learns its issuers, writes the bundles
// (each atomically; every file is opened before any is written, so an unwritable DIR writes
// nothing) and prints the table, the JSON document or the profile snippet.

#include "scanner/app/issuers_command.hpp"
#include "scanner/app/cli_common.hpp"
#include "scanner/app/merge_command.hpp"

#include "reports/encoding/record_json.hpp"
#include "reports/encoding/replacing_file.hpp"
#include "reports/encoding/text_safety.hpp"
#include "reports/workflows/issuer_inventory.hpp"
#include "scanner/util/text.hpp"
#include "scanner/util/time.hpp"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <system_error>

namespace fleetcert {
namespace {

void print_stdout(const std::string& text)
{
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

// The bundles' files, opened (so a DIR that cannot be written is refused before anything is).
struct OpenBundle
{
  VendorBundle bundle;
  std::unique_ptr<ReplacingFile> file;
};

std::vector<OpenBundle> open_bundles(const IssuersOptions& options, const IssuerInventory& inventory)
{
  if (inventory.chains_unavailable()) {
    throw UsageError("--write-bundles: " + inventory.report_path
                     + " holds no PEM chains, so the CA certificates devices sent are unknown (scan again with this "
                       "fleetcert)");
  }
  const std::filesystem::path dir(options.bundles_dir);
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (!std::filesystem::is_directory(dir)) {
    throw UsageError("--write-bundles '" + options.bundles_dir + "': not a directory"
                     + (error ? ": " + error.message() : std::string()));
  }
  std::vector<OpenBundle> open;
  for (VendorBundle& bundle : vendor_bundles(inventory)) {
    OpenBundle item;
    try {
      item.file = std::make_unique<ReplacingFile>((dir / bundle.file_name).string());
    } catch (const std::exception& e) {
      throw UsageError(std::string("--write-bundles: ") + e.what());
    }
    item.bundle = std::move(bundle);
    open.push_back(std::move(item));
  }
  return open;
}

int issuers(const IssuersOptions& options)
{
  std::optional<std::int64_t> at;
  if (!options.at.empty()) {
    at = parse_iso8601(options.at);
    if (!at) {
      throw UsageError("invalid --at '" + options.at + "' (2026-11-23 or 2026-11-23T15:50:00Z, UTC)");
    }
  }
  const ScanReport report = load_reports(options.reports);
  const IssuerInventory inventory = build_issuer_inventory(report, at);

  const VendorIssuers* snippet_vendor = nullptr;
  if (!options.snippet_vendor.empty()) {
    snippet_vendor = inventory.find(options.snippet_vendor);
    if (snippet_vendor == nullptr) {
      throw UsageError("--profile-snippet: no device of vendor " + quote_for_message(options.snippet_vendor) + " in "
                       + report.path + " (its vendors: " + inventory.vendor_names() + ")");
    }
  }
  std::vector<OpenBundle> bundles;
  if (!options.bundles_dir.empty()) {
    bundles = open_bundles(options, inventory);
  }

  // The bundles first: a failure leaves no file half-written and is the exit status.
  std::vector<std::string> written;
  try {
    for (OpenBundle& item : bundles) {
      item.file->write(item.bundle.text);
      item.file->commit();
      written.push_back(item.file->path() + ": " + std::to_string(item.bundle.certificates) + " CA certificate"
                        + (item.bundle.certificates == 1 ? "" : "s") + " that " + item.bundle.vendor
                        + " devices sent (NOT verified: check them against the vendor's published roots)"
                        + (item.bundle.left_out > 0
                               ? "; " + std::to_string(item.bundle.left_out) + " that do not decode left out"
                               : std::string()));
    }
  } catch (const std::exception& e) {
    print_error(std::string("issuers: ") + e.what());
    return k_exit_runtime;
  }
  const bool table = !options.json && snippet_vendor == nullptr;
  if (!options.bundles_dir.empty() && bundles.empty()) {
    print_error("note: no bundle written: the devices sent no CA certificate after their leaf");
  }

  if (snippet_vendor != nullptr) {
    const ProfileSnippet snippet = profile_snippet(inventory, *snippet_vendor);
    print_stdout(snippet.json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n");
    for (const std::string& note : snippet.notes) {
      print_error("note: " + note);
    }
  } else if (options.json) {
    print_stdout(dump_json(issuer_inventory_to_json(inventory)) + "\n");
  } else if (!options.quiet) {
    print_stdout(issuer_inventory_text(inventory));
  }
  for (const std::string& line : written) {
    if (table && !options.quiet) {
      print_stdout("wrote " + terminal_safe(line) + "\n");
    } else if (!options.quiet) {
      print_error("wrote " + line);
    }
  }
  return k_exit_ok;
}

} // namespace

void setup_issuers(CLI::App& app, IssuersOptions& options)
{
  CLI::App* cmd = app.add_subcommand(
      "issuers", "The fleet's real PKI from a report: every leaf issuer and every CA certificate devices sent, "
                 "per vendor; PEM bundles and profile snippets from them");
  cmd->add_option("report", options.reports, "The report (JSON document or JSONL); several are merged as by fleetcert merge")
      ->required()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  CLI::Option* json = cmd->add_flag("--json", options.json,
                                    "The whole inventory as a JSON document on stdout instead of the table");
  cmd->add_option("--write-bundles", options.bundles_dir,
                  "Write DIR/<vendor>-sent-by-devices.pem per vendor: the CA certificates its devices sent "
                  "(NOT verified; DIR is created if missing, files of the same name replaced)")
      ->type_name("DIR");
  cmd->add_option("--profile-snippet", options.snippet_vendor,
                  "Print the factory_issuers and issuer_pins of VENDOR's devices as JSON to paste into its profile "
                  "(case-insensitive)")
      ->type_name("VENDOR")
      ->excludes(json);
  cmd->add_option("--at", options.at,
                  "Judge CA validity at this UTC instant (2026-11-23 or 2026-11-23T15:50:00Z); default: the "
                  "report's scan start")
      ->type_name("DATE");
  cmd->add_flag("-q,--quiet", options.quiet, "No table and no list of files written (errors and notes only)");
}

int run_issuers(const IssuersOptions& options)
{
  return run_guarded("issuers", [&options] { return issuers(options); });
}

} // namespace fleetcert
