#pragma once
// The `fleetcert` command line: every subcommand set up on one CLI11 app, `--config` expanded,
// parse errors turned into exit statuses, and the chosen subcommand run.

namespace fleetcert {

// Entry point of the `fleetcert` executable; returns its exit status.
int run_cli(int argc, char** argv);

} // namespace fleetcert
