#pragma once
// The `fleetcert` command line: every subcommand set up on one CLI11 app, `--config` expanded,
// parse errors turned into exit statuses, and the chosen subcommand run.

#include <string>
#include <vector>

namespace fleetcert {

// `args` (argv) with the settings of the subcommand's `--config FILE` added as arguments, for the
// options and positionals the command line does not give itself (a list given replaces the file's);
// `args` unchanged without --config. Throws UsageError "FILE:LINE: key 'K': ..." for a bad file.
std::vector<std::string> apply_config(const std::vector<std::string>& args);

// Entry point of the `fleetcert` executable; returns its exit status.
int run_cli(int argc, char** argv);

} // namespace fleetcert
