#pragma once
// `fleetcert diff OLD NEW` (or `diff --old A --old B --new C --new D`: each side several reports,
// merged as `fleetcert merge` merges them): what changed between two audits
// (reports/workflows/report_diff.hpp).

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace fleetcert {

struct DiffCommandOptions
{
  std::string old_path; // the positional OLD (may be empty when --old is given)
  std::string new_path; // the positional NEW (may be empty when --new is given)
  std::vector<std::string> old_more; // --old FILE (repeatable): more reports of the old side, merged
  std::vector<std::string> new_more; // --new FILE (repeatable): more reports of the new side, merged
  std::string json_path;            // --json FILE or -: the "fleetcert-diff/1" document
  std::string html_path;            // --html FILE: that document as one self-contained HTML page
  std::vector<std::string> ignores; // --ignore CODE: findings not compared
  bool vanished_is_worse = false;   // --vanished-is-worse
  bool quiet = false;               // no text on stdout
};

void setup_diff(CLI::App& app, DiffCommandOptions& options);

// Returns the exit status: 0 nothing got worse, 1 something did, 2 bad input, 3 write failure.
int run_diff(const DiffCommandOptions& options);

} // namespace fleetcert
