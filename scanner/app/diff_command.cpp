// `fleetcert diff OLD NEW`: loads both reports, compares them, prints the changes and writes the
// JSON document (atomically, or to stdout).

#include "scanner/app/diff_command.hpp"
#include "scanner/app/cli_common.hpp"
#include "scanner/app/merge_command.hpp"

#include "reports/encoding/html_page.hpp"
#include "reports/sinks/json_report.hpp"
#include "reports/encoding/record_json.hpp"
#include "reports/workflows/report_diff.hpp"
#include "reports/encoding/text_safety.hpp"
#include "scanner/assessment/findings.hpp"

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <utility>

namespace fleetcert {
namespace {

constexpr int k_exit_worse = k_exit_findings;

} // namespace

void setup_diff(CLI::App& app, DiffCommandOptions& options)
{
  CLI::App* cmd = app.add_subcommand("diff", "Compare two audits: devices that appeared, vanished, moved, rotated "
                                             "their certificate, got worse or better (exit 1 when worse)");
  cmd->add_option("old", options.old_path, "The older report (JSON document or JSONL)");
  cmd->add_option("new", options.new_path, "The newer report (JSON document or JSONL)");
  cmd->add_option("--old", options.old_more,
                  "One more report of the older side (repeatable): the side's reports are merged as by fleetcert merge")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--new", options.new_more,
                  "One more report of the newer side (repeatable): the side's reports are merged as by fleetcert merge")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--json", options.json_path, "Write the differences as a JSON document; - = stdout");
  cmd->add_option("--html", options.html_path, "Write the differences as one self-contained HTML page");
  std::vector<std::string> codes;
  for (const FindingKind& kind : finding_kinds()) {
    codes.emplace_back(kind.code);
  }
  cmd->add_option("--ignore", options.ignores, "Finding code not to compare (repeatable, or comma-separated)")
      ->delimiter(',')
      ->check(CLI::IsMember(codes));
  cmd->add_flag("--vanished-is-worse", options.vanished_is_worse,
                "A device or port that stopped answering counts as worse (exit 1)");
  cmd->add_flag("-q,--quiet", options.quiet, "No text on stdout (the exit status and --json only)");
}

namespace {

int diff(const DiffCommandOptions& options)
{
  DiffOptions diff_options;
  diff_options.vanished_is_worse = options.vanished_is_worse;
  diff_options.ignored_codes.insert(options.ignores.begin(), options.ignores.end());
  // Each side: the positional report, then its --old or --new ones.
  auto side = [](const std::string& positional, const std::vector<std::string>& more) {
    std::vector<std::string> paths;
    if (!positional.empty()) {
      paths.push_back(positional);
    }
    paths.insert(paths.end(), more.begin(), more.end());
    return paths;
  };
  const std::vector<std::string> old_paths = side(options.old_path, options.old_more);
  const std::vector<std::string> new_paths = side(options.new_path, options.new_more);
  if (old_paths.empty()) {
    throw UsageError("old is required (see fleetcert diff --help)");
  }
  if (new_paths.empty()) {
    throw UsageError("new is required (see fleetcert diff --help)");
  }
  // An output over a report being read would destroy it; OLD and NEW may be one file.
  for (const auto* paths : {&old_paths, &new_paths}) {
    for (const std::string& input : *paths) {
      check_distinct_outputs({{"--json", options.json_path}, {"--html", options.html_path},
                              {paths == &old_paths ? "OLD" : "NEW", input == "-" ? std::string() : input}});
    }
  }
  std::unique_ptr<ReplacingFile> json_file;
  std::unique_ptr<ReplacingFile> html_file;
  try { // refused before anything is read
    if (!options.json_path.empty()) {
      json_file = std::make_unique<ReplacingFile>(options.json_path);
    }
    if (!options.html_path.empty()) {
      html_file = std::make_unique<ReplacingFile>(options.html_path);
    }
  } catch (const std::exception& e) {
    throw UsageError(e.what());
  }
  const ScanReport older = load_reports(old_paths);
  const ScanReport newer = load_reports(new_paths);
  for (const ScanReport* report : {&older, &newer}) {
    if (report->interrupted) {
      print_error("note: " + report->path
                  + " is from an interrupted scan: devices it did not reach show as vanished or appeared");
    }
  }
  const ReportDiff result = diff_reports(older, newer, diff_options);
  if (json_file || html_file) {
    const nlohmann::json document = diff_to_json(result, older, newer, diff_options);
    if (json_file) {
      json_file->write(dump_json(document) + "\n");
      json_file->commit();
    }
    if (html_file) {
      html_file->write(html_page("fleetcert diff", {{"page", "diff"}, {"tool", "fleetcert"}, {"diff", document}}));
      html_file->commit();
    }
  }
  for (const std::string& warning : result.warnings) { // in the text too, for a saved copy
    print_error("warning: " + warning);
  }
  if (!options.quiet && options.json_path != "-") {
    const std::string text = diff_to_text(result, older, newer);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  }
  return result.worse() ? k_exit_worse : k_exit_ok;
}

} // namespace

int run_diff(const DiffCommandOptions& options)
{
  return run_guarded("diff", [&options] { return diff(options); });
}

} // namespace fleetcert
