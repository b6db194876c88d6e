// run_cli: sets up every subcommand (one file each), adds the settings of a `--config` file for the
// options the command line does not give (apply_config), and runs the subcommand chosen.

#include "scanner/app/cli.hpp"

#include "scanner/app/check_command.hpp"
#include "scanner/app/cli_common.hpp"
#include "scanner/app/config_file.hpp"
#include "scanner/app/diff_command.hpp"
#include "scanner/app/export_command.hpp"
#include "scanner/app/issuers_command.hpp"
#include "scanner/app/merge_command.hpp"
#include "scanner/app/readiness_command.hpp"
#include "scanner/app/report_command.hpp"
#include "scanner/app/scan_command.hpp"
#include "scanner/util/text.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <cstdio>
#include <string>
#include <vector>

namespace fleetcert {
namespace {

// -V and --version print this line on stdout, after any subcommand too (`fleetcert scan --version`).
constexpr const char* k_version_flag = "-V,--version";
std::string version_line()
{
  return std::string("fleetcert ") + FLEETCERT_VERSION;
}

// The version flag on every subcommand below `command`, at any depth.
void add_version_flags(CLI::App& command)
{
  for (CLI::App* sub : command.get_subcommands(std::function<bool(CLI::App*)>{})) {
    sub->set_version_flag(k_version_flag, version_line());
    add_version_flags(*sub);
  }
}

// Every subcommand set up on one CLI11 app, with the options they fill.
struct CommandLine
{
  CommandLine()
  {
    app.set_version_flag(k_version_flag, version_line());
    app.require_subcommand(1);
    setup_scan(app, scan_options);
    setup_diff(app, diff_options);
    setup_export(app, export_options);
    setup_readiness(app, readiness_options);
    setup_issuers(app, issuers_options);
    setup_check(app, check_options);
    setup_report(app, report_options);
    setup_merge(app, merge_options);
    // --config for every subcommand that has options (scan sets up its own).
    for (const char* name : {"diff", "readiness", "issuers", "check", "report"}) {
      add_config_option(app.get_subcommand(name));
    }
    for (CLI::App* kind : app.get_subcommand("export")->get_subcommands(std::function<bool(CLI::App*)>{})) {
      add_config_option(kind);
    }
    add_version_flags(app);
  }
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  CLI::App app{"fleetcert: fleet certificate audit scanner for IP phones, ATAs and DECT bases"};
  ScanOptions scan_options;
  DiffCommandOptions diff_options;
  ExportOptions export_options;
  ReadinessOptions readiness_options;
  IssuersOptions issuers_options;
  CheckOptions check_options;
  ReportOptions report_options;
  MergeCommandOptions merge_options;
};

// Parses `args` into `command_line`; CLI11's error for bad usage.
void parse(CommandLine& command_line, std::vector<std::string> args)
{
  std::vector<char*> pointers;
  for (auto& arg : args) {
    pointers.push_back(arg.data());
  }
  command_line.app.parse(static_cast<int>(pointers.size()), pointers.data());
}

// The subcommand run (the deepest one parsed), and the names leading to it.
const CLI::App* command_run(const CLI::App& app, std::vector<std::string>& path)
{
  const CLI::App* command = nullptr;
  for (const CLI::App* current = &app; !current->get_subcommands().empty();) {
    current = current->get_subcommands().front();
    path.push_back(current->get_name());
    command = current;
  }
  return command;
}

// "export devices" for the path command_run gives.
std::string command_path_name(const std::vector<std::string>& path)
{
  std::string name;
  for (const std::string& each : path) {
    name += (name.empty() ? "" : " ") + each;
  }
  return name;
}

// CLI11's message for bad usage in the form of every other message (print_error adds "fleetcert: "):
// "scan: <CLI11's text> (see fleetcert scan --help)"; a missing or unknown subcommand lists the
// subcommands. `args` is the command line parsed.
std::string parse_error_message(const CLI::App& app, const CLI::ParseError& error, const std::vector<std::string>& args)
{
  std::vector<std::string> path;
  const CLI::App* command = command_run(app, path);
  const std::string name = command_path_name(path);
  std::string what = error.what();
  if (what.size() > 1 && what[0] >= 'A' && what[0] <= 'Z' && !(what[1] >= 'A' && what[1] <= 'Z')) {
    what[0] = static_cast<char>(what[0] - 'A' + 'a'); // a CLI11 sentence inside ours
  }
  // "--timeout: 1 required FLOAT:FLOAT in [0.001 - 86400] missing": an option given last, without its value.
  const std::size_t required_at = what.find(": 1 required ");
  if (error.get_name() == "ArgumentMismatch" && required_at != std::string::npos && what.ends_with(" missing")) {
    what = what.substr(0, required_at) + " needs a value";
  }
  if (error.get_name() == "RequiredError" && what == "a subcommand is required") {
    std::string names;
    for (const CLI::App* sub : (command != nullptr ? *command : app).get_subcommands([](const CLI::App*) { return true; })) {
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    what += ": " + names;
    // fleetcert itself takes no positional: the first one is a subcommand it does not know.
    const auto unknown = std::find_if(args.begin() + (args.empty() ? 0 : 1), args.end(),
                                      [](const std::string& arg) { return !arg.starts_with("-"); });
    if (command == nullptr && unknown != args.end()) {
      what = "unknown subcommand " + quote_for_message(*unknown) + "; the subcommands are " + names;
    }
  }
  return command_message(name, what + " (see fleetcert " + (name.empty() ? "" : name + " ") + "--help)");
}

// The subcommand `args` name ("scan", "export devices"), as far as they parse; "" for none.
std::string command_named(const std::vector<std::string>& args)
{
  CommandLine trial;
  try {
    parse(trial, args);
  } catch (const CLI::ParseError&) {
    // the subcommands met before the error are known
  }
  std::vector<std::string> path;
  command_run(trial.app, path);
  return command_path_name(path);
}

// Checks one setting's values the way the command line would (conversion, range, allowed values) by
// parsing it alone; throws UsageError naming the file, line and key.
void check_setting(const std::vector<std::string>& head, const ConfigSetting& setting, const std::string& path)
{
  std::vector<std::string> args = head;
  if (setting.positional) {
    args.emplace_back("--");
  }
  args.insert(args.end(), setting.arguments.begin(), setting.arguments.end());
  CommandLine trial;
  try {
    parse(trial, args);
  } catch (const CLI::RequiredError&) {
    // another option is missing on its own: the whole command line is checked later
  } catch (const CLI::ParseError& e) {
    throw UsageError(path + ":" + std::to_string(setting.line) + ": key '" + setting.key + "': " + e.what());
  }
}

} // namespace

std::vector<std::string> apply_config(const std::vector<std::string>& args)
{
  CommandLine first;
  try {
    parse(first, args);
  } catch (const CLI::RequiredError&) {
    // the config file may give what is missing
  } catch (const CLI::ParseError&) {
    return args; // the command line itself is wrong: run_cli's parse says how
  }
  std::vector<std::string> path;
  const CLI::App* command = command_run(first.app, path);
  const CLI::Option* config = command == nullptr ? nullptr : command->get_option_no_throw("--config");
  if (config == nullptr || config->count() == 0 || config->results().empty()) {
    return args;
  }
  const std::string file = config->results().back();
  std::vector<std::string> head{args.empty() ? std::string("fleetcert") : args.front()};
  head.insert(head.end(), path.begin(), path.end());

  // The command line wins: a setting is used only for an option (or positional) it does not give.
  std::vector<std::string> options;
  std::map<std::string, std::vector<std::string>> positional_values;
  for (const ConfigSetting& setting : load_config(file, first.app, *command)) {
    const CLI::Option* option = command->get_option_no_throw(setting.option);
    if (option != nullptr && option->count() > 0) {
      continue;
    }
    check_setting(head, setting, file);
    if (setting.positional) {
      positional_values[setting.option] = setting.arguments;
    } else {
      options.insert(options.end(), setting.arguments.begin(), setting.arguments.end());
    }
  }
  std::vector<std::string> positionals; // in the order the subcommand takes them (diff: old, new)
  for (const CLI::Option* option : command->get_options([](const CLI::Option* o) { return o->get_positional(); })) {
    const auto values = positional_values.find(option->get_name());
    if (values != positional_values.end()) {
      positionals.insert(positionals.end(), values->second.begin(), values->second.end());
    }
  }

  // The file's options go right after the subcommand's name, its positionals after a "--" at the end.
  std::size_t after = 0;
  for (const std::string& name : path) {
    after = static_cast<std::size_t>(std::find(args.begin() + static_cast<std::ptrdiff_t>(after) + 1, args.end(), name)
                                     - args.begin());
  }
  std::vector<std::string> expanded(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(after) + 1);
  expanded.insert(expanded.end(), options.begin(), options.end());
  expanded.insert(expanded.end(), args.begin() + static_cast<std::ptrdiff_t>(after) + 1, args.end());
  if (!positionals.empty()) {
    if (std::find(expanded.begin() + static_cast<std::ptrdiff_t>(after) + 1, expanded.end(), "--") == expanded.end()) {
      expanded.emplace_back("--");
    }
    expanded.insert(expanded.end(), positionals.begin(), positionals.end());
  }
  return expanded;
}

int run_cli(int argc, char** argv)
{
  std::vector<std::string> args;
  try {
    // On the command line as typed: a config file's values never count as repeats.
    CommandLine typed;
    reject_repeated_options(typed.app, std::vector<std::string>(argv, argv + argc));
    args = apply_config(std::vector<std::string>(argv, argv + argc));
  } catch (const UsageError& e) {
    print_error(command_message(command_named(std::vector<std::string>(argv, argv + argc)), e.what()));
    return k_exit_usage;
  }
  CommandLine command_line;
  CLI::App& app = command_line.app;
  try {
    parse(command_line, args);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      app.exit(e); // --help or --version: on stdout
      return k_exit_ok;
    }
    print_error(parse_error_message(app, e, args));
    return k_exit_usage;
  }
  command_line.scan_options.command_line.assign(argv, argv + argc);
  if (app.got_subcommand("scan")) {
    return run_scan(command_line.scan_options);
  }
  if (app.got_subcommand("diff")) {
    return run_diff(command_line.diff_options);
  }
  if (app.got_subcommand("export")) {
    return run_export(command_line.export_options);
  }
  if (app.got_subcommand("readiness")) {
    return run_readiness(command_line.readiness_options);
  }
  if (app.got_subcommand("issuers")) {
    return run_issuers(command_line.issuers_options);
  }
  if (app.got_subcommand("check")) {
    return run_check(command_line.check_options);
  }
  if (app.got_subcommand("report")) {
    return run_report(command_line.report_options);
  }
  if (app.got_subcommand("merge")) {
    return run_merge(command_line.merge_options);
  }
  return k_exit_usage;
}

} // namespace fleetcert
