#pragma once
// `--config FILE`: a TOML file (read with toml++) of options for the subcommand run, turned into
// command-line arguments. Keys are long option names (`targets`, `old`, `new`, `report` for the
// positionals); top-level keys and the subcommand's section ([scan], [export.devices]) apply.

#include <CLI/CLI.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace fleetcert {

// One key of a --config file that applies to the subcommand run, in command-line terms.
struct ConfigSetting
{
  std::string key;                 // as written in the file
  std::size_t line = 0;            // where the key is, 1-based
  std::string option;              // the CLI11 name: "--ports", or "targets" for a positional
  bool positional = false;         // `arguments` are then values after "--"
  std::vector<std::string> arguments; // "--ports=443,5061", "--quiet", or a positional's values
};

// Adds `--config FILE` to a subcommand (its value is read by run_cli, before the options).
void add_config_option(CLI::App* command);

// The settings of the TOML file `path` for `command` (a subcommand of `root`), by key, a
// section's key replacing a top-level one. Every section is checked against its subcommand, relative
// paths resolved against the file's folder. Throws UsageError "PATH:LINE: key 'K': ..." (or the
// parse error's line) for anything it cannot take.
std::vector<ConfigSetting> load_config(const std::string& path, const CLI::App& root, const CLI::App& command);

} // namespace fleetcert
