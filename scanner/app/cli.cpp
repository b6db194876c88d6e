// run_cli: sets up every subcommand (one file each), expands `--config` and runs the one chosen.

#include "scanner/app/cli.hpp"

#include "scanner/app/check_command.hpp"
#include "scanner/app/cli_common.hpp"
#include "scanner/app/diff_command.hpp"
#include "scanner/app/export_command.hpp"
#include "scanner/app/issuers_command.hpp"
#include "scanner/app/readiness_command.hpp"
#include "scanner/app/scan_command.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace fleetcert {
namespace {

// `scan --config FILE`: the file's keys (long option names, `targets` for the positional targets)
// become arguments placed before the command line's own, so the command line wins. CLI11 2.1 reads
// config files only for the top-level app, hence this expansion. Throws UsageError.
std::vector<std::string> expand_config(const std::vector<std::string>& args, CLI::App& app)
{
  if (args.size() < 2 || args[1] != "scan") {
    return args;
  }
  std::string path;
  std::vector<std::string> rest;
  for (std::size_t i = 2; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      path = args[++i];
    } else if (args[i].rfind("--config=", 0) == 0) {
      path = args[i].substr(9);
    } else {
      rest.push_back(args[i]);
    }
  }
  if (path.empty()) {
    return args;
  }
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_file(path);
  } catch (const CLI::Error& e) {
    throw UsageError("cannot read --config '" + path + "': " + e.what());
  }
  CLI::App* scan = app.get_subcommand("scan");
  std::vector<std::string> expanded{args[0], "scan"};
  std::vector<std::string> positionals;
  for (const CLI::ConfigItem& item : items) {
    if (!item.parents.empty() && !(item.parents.size() == 1 && item.parents[0] == "scan")) {
      throw UsageError(path + ": unknown section '" + item.parents[0] + "' (keys go at the top or under [scan])");
    }
    std::string name = item.name;
    std::replace(name.begin(), name.end(), '_', '-');
    if (name == "targets") {
      positionals.insert(positionals.end(), item.inputs.begin(), item.inputs.end());
      continue;
    }
    const CLI::Option* option = scan->get_option_no_throw("--" + name);
    if (option == nullptr || name == "config") {
      throw UsageError(path + ": unknown key '" + item.name + "'");
    }
    if (option->get_type_size_max() == 0 || option->get_expected_max() == 0) { // a flag
      if (item.inputs.size() != 1 || (item.inputs[0] != "true" && item.inputs[0] != "false")) {
        throw UsageError(path + ": '" + item.name + "' is a flag: true or false");
      }
      if (item.inputs[0] == "true") {
        expanded.push_back("--" + name);
      }
      continue;
    }
    for (const std::string& value : item.inputs) {
      expanded.push_back("--" + name);
      expanded.push_back(value);
    }
  }
  expanded.insert(expanded.end(), rest.begin(), rest.end());
  expanded.insert(expanded.end(), positionals.begin(), positionals.end());
  return expanded;
}

} // namespace

int run_cli(int argc, char** argv)
{
  CLI::App app{"fleetcert: fleet certificate audit scanner for IP phones, ATAs and DECT bases"};
  app.set_version_flag("--version", std::string("fleetcert ") + FLEETCERT_VERSION);
  app.require_subcommand(1);
  ScanOptions scan_options;
  setup_scan(app, scan_options);
  DiffCommandOptions diff_options;
  setup_diff(app, diff_options);
  ExportOptions export_options;
  setup_export(app, export_options);
  ReadinessOptions readiness_options;
  setup_readiness(app, readiness_options);
  IssuersOptions issuers_options;
  setup_issuers(app, issuers_options);
  CheckOptions check_options;
  setup_check(app, check_options);
  std::vector<std::string> args;
  try {
    args = expand_config(std::vector<std::string>(argv, argv + argc), app);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "fleetcert: %s\n", e.what());
    return k_exit_usage;
  }
  std::vector<char*> pointers;
  for (auto& arg : args) {
    pointers.push_back(arg.data());
  }
  try {
    app.parse(static_cast<int>(pointers.size()), pointers.data());
  } catch (const CLI::ParseError& e) {
    const int status = app.exit(e);
    return status == 0 ? k_exit_ok : k_exit_usage;
  }
  scan_options.command_line.assign(argv, argv + argc);
  if (app.got_subcommand("scan")) {
    return run_scan(scan_options);
  }
  if (app.got_subcommand("diff")) {
    return run_diff(diff_options);
  }
  if (app.got_subcommand("export")) {
    return run_export(export_options);
  }
  if (app.got_subcommand("readiness")) {
    return run_readiness(readiness_options);
  }
  if (app.got_subcommand("issuers")) {
    return run_issuers(issuers_options);
  }
  if (app.got_subcommand("check")) {
    return run_check(check_options);
  }
  return k_exit_usage;
}

} // namespace fleetcert
