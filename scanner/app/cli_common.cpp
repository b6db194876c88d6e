#include "scanner/app/cli_common.hpp"

#include "reports/encoding/text_safety.hpp"
#include "reports/sinks/csv_report.hpp"
#include "reports/sinks/device_csv.hpp"
#include "reports/sinks/json_report.hpp"
#include "reports/sinks/prometheus_report.hpp"
#include "scanner/util/input_file.hpp"
#include "scanner/util/text.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include <sys/stat.h>
#include <unistd.h>

namespace fleetcert {

void print_error(const std::string& message)
{
  std::fprintf(stderr, "fleetcert: %s\n", terminal_safe(message).c_str());
}

std::string command_message(const std::string& command, const std::string& message)
{
  if (command.empty() || message.starts_with(command + ":") || message.starts_with(command + " ")) {
    return message;
  }
  return command + ": " + message;
}

void print_warnings(const std::string& source, const std::vector<std::string>& warnings)
{
  for (const std::string& warning : warnings) {
    print_error("warning: " + source + ": " + warning);
  }
}

ScanReport load_report(const std::string& path)
{
  auto report = load_scan_report(path);
  if (!report) {
    throw UsageError(report.error());
  }
  print_warnings(report->path, report->warnings);
  return std::move(*report);
}

Inventory load_inventory_option(const std::string& path, bool lenient)
{
  Result<Inventory> inventory = load_inventory_file(path, lenient);
  if (!inventory) {
    throw UsageError(inventory.error());
  }
  for (const std::string& warning : inventory->warnings) {
    print_error("skipped " + warning);
  }
  return std::move(*inventory);
}

namespace {

int g_stdout_errno = 0; // the first failed write's errno, through std::cout or a flush

void note_stdout_error()
{
  if (g_stdout_errno == 0) {
    g_stdout_errno = errno != 0 ? errno : EIO;
  }
}

// std::cout's buffer: writes through stdio's stdout (so it keeps its order with fwrite and printf,
// as std::cout synced with stdio does) and keeps the errno of the first failure, which stdio and
// the stream forget.
class CheckedStandardOutput : public std::streambuf
{
protected:
  int overflow(int c) override
  {
    if (c == traits_type::eof()) {
      return traits_type::not_eof(c);
    }
    if (std::fputc(c, stdout) == EOF) {
      note_stdout_error();
      return traits_type::eof();
    }
    return c;
  }
  std::streamsize xsputn(const char* text, std::streamsize size) override
  {
    const std::size_t written = std::fwrite(text, 1, static_cast<std::size_t>(size), stdout);
    if (written != static_cast<std::size_t>(size)) {
      note_stdout_error();
    }
    return static_cast<std::streamsize>(written);
  }
  int sync() override
  {
    if (std::fflush(stdout) != 0) {
      note_stdout_error();
      return -1;
    }
    return 0;
  }
};

} // namespace

void ignore_broken_pipes()
{
  static_cast<void>(std::signal(SIGPIPE, SIG_IGN));
  // Never destroyed: std::cout flushes through it in std::ios_base::Init's destructor, after every
  // function-local static is gone (a static object here was a use after destruction at exit, which
  // ASan caught). Reachable from this pointer, so no leak report either.
  static CheckedStandardOutput* const buffer = new CheckedStandardOutput;
  if (std::cout.rdbuf() != buffer) {
    std::cout.rdbuf(buffer);
  }
}

int finish_standard_output(int status, const std::string& command)
{
  std::cout.flush();
  errno = 0;
  if (std::fflush(stdout) != 0) {
    note_stdout_error();
  }
  int error = g_stdout_errno;
  if (error == 0 && std::ferror(stdout) != 0) {
    error = EIO; // a write through stdio alone failed; its errno is gone
  }
  if (error == 0) {
    return status;
  }
  std::clearerr(stdout);
  g_stdout_errno = 0;
  if (status != k_exit_runtime) {
    print_error(command_message(command, std::string("cannot write to standard output: ") + std::strerror(error)));
  }
  return status > k_exit_runtime ? status : k_exit_runtime;
}

void reject_repeated_options(CLI::App& app, const std::vector<std::string>& args)
{
  CLI::App* command = &app;
  std::string command_name;
  std::map<const CLI::Option*, std::vector<std::string>> values;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      // A positional argument, or the (sub)subcommand chosen.
      const std::vector<CLI::App*> named =
          command->get_subcommands([&arg](CLI::App* each) { return each->check_name(arg); });
      if (!named.empty()) {
        CLI::App* sub = named.front();
        command = sub;
        command_name += (command_name.empty() ? "" : " ") + arg;
      }
      continue;
    }
    const bool long_name = arg[1] == '-';
    const std::size_t equals = long_name ? arg.find('=') : std::string::npos;
    const std::string name = long_name ? arg.substr(0, equals) : arg.substr(0, 2);
    const CLI::Option* option = command->get_option_no_throw(name);
    if (option == nullptr || option->get_type_size_max() == 0) {
      continue; // unknown (CLI11 says so) or a flag
    }
    std::string value;
    if (equals != std::string::npos) {
      value = arg.substr(equals + 1);
    } else if (!long_name && arg.size() > 2) {
      value = arg.substr(2);
    } else if (i + 1 < args.size()
               && !(args[i + 1].size() > 1 && args[i + 1][0] == '-'
                    && command->get_option_no_throw(args[i + 1].substr(0, args[i + 1].find('='))) != nullptr)) {
      value = args[++i]; // the value, unless it is the next option (CLI11 reads it so)
    }
    if (option->get_items_expected_max() != 1) {
      continue; // takes a list
    }
    std::vector<std::string>& given = values[option];
    given.push_back(value);
    if (given.size() > 1) {
      throw UsageError(command_name + ": " + name + " given twice (" + quote_for_message(given[0]) + ", then "
                       + quote_for_message(given[1]) + "); give it once");
    }
  }
}

namespace {

// Where an output lands: a canonical path, and the device and inode of what exists there.
struct OutputPlace
{
  std::string canonical;
  std::optional<std::pair<dev_t, ino_t>> file;
};

// /dev/null takes any number of reports: nothing lands there.
bool is_null_device(const struct stat& status)
{
  struct stat null_status
  {
  };
  return S_ISCHR(status.st_mode) && ::stat("/dev/null", &null_status) == 0 && status.st_rdev == null_status.st_rdev;
}

OutputPlace place_of(const std::string& path)
{
  OutputPlace place;
  struct stat status
  {
  };
  if (path == "-") {
    place.canonical = "-";
    if (::fstat(STDOUT_FILENO, &status) == 0 && !is_null_device(status)) {
      place.file = std::make_pair(status.st_dev, status.st_ino);
    }
    return place;
  }
  std::error_code error;
  const std::filesystem::path canonical = std::filesystem::weakly_canonical(path, error);
  place.canonical = error ? std::filesystem::absolute(path, error).lexically_normal().string() : canonical.string();
  if (::stat(path.c_str(), &status) == 0) {
    if (is_null_device(status)) {
      place.canonical.clear(); // never the same place as another output
      return place;
    }
    place.file = std::make_pair(status.st_dev, status.st_ino);
  }
  return place;
}

} // namespace

void check_distinct_outputs(const std::vector<NamedOutput>& outputs)
{
  std::vector<std::pair<const NamedOutput*, OutputPlace>> seen;
  for (const NamedOutput& output : outputs) {
    if (output.path.empty()) {
      continue;
    }
    OutputPlace place = place_of(output.path);
    for (const auto& [other, other_place] : seen) {
      if (output.path == "-" && other->path == "-") {
        throw UsageError(other->option + " and " + output.option
                         + " would both write to standard output; send one of them to a file");
      }
      const bool same_path = !place.canonical.empty() && place.canonical == other_place.canonical;
      const bool same_file = place.file && other_place.file && *place.file == *other_place.file;
      if (same_path || same_file) {
        const auto name = [](const NamedOutput& each) {
          return each.path == "-" ? each.option + " (standard output)" : each.option + " " + quote_for_message(each.path);
        };
        throw UsageError(name(*other) + " and " + name(output) + " are the same file"
                         + (same_path ? "" : " (through another path)") + "; give each report its own file");
      }
    }
    seen.emplace_back(&output, std::move(place));
  }
}

VerdictPolicy parse_verdict_policy(const std::string& fail_on, const std::string& min_answering)
{
  VerdictPolicy policy;
  auto parsed_fail_on = parse_fail_on(fail_on);
  if (!parsed_fail_on) {
    throw UsageError(parsed_fail_on.error());
  }
  policy.fail_on = std::move(*parsed_fail_on);
  if (!min_answering.empty()) {
    auto parsed = parse_min_answering(min_answering);
    if (!parsed) {
      throw UsageError(parsed.error());
    }
    policy.min_answering = std::move(*parsed);
  }
  return policy;
}

int verdict_exit_status(const ScanVerdict& verdict)
{
  if (verdict.fail_on_matched()) {
    print_error(verdict.fail_on_line());
  }
  if (verdict.too_few_answering()) {
    print_error(verdict.answering_line());
    return k_exit_too_few_answering;
  }
  return verdict.fail_on_matched() ? k_exit_findings : k_exit_ok;
}

ScanVerdict report_verdict(const ScanReport& report, const FailOnPolicy& fail_on,
                           const std::optional<MinAnswering>& min_answering)
{
  ScanVerdict verdict(fail_on, min_answering);
  for (const ReportDevice& device : report.fleet_devices()) {
    verdict.add_device(device.findings, device.answered(), device.inventory.has_value());
  }
  verdict.set_addresses_scanned(report.devices().size());
  return verdict;
}

void check_prometheus_output(const std::string& path)
{
  if (!path.empty() && path != "-" && (path.size() <= 5 || path.compare(path.size() - 5, 5, ".prom") != 0)) {
    throw UsageError("--prometheus " + quote_for_message(path)
                     + ": the file name must end in .prom (node_exporter's textfile collector reads only *.prom)");
  }
}

std::string read_text_file(const std::string& path, const char* what)
{
  std::ifstream in;
  const std::string problem = open_input_file(in, path);
  if (!problem.empty()) {
    throw UsageError(std::string("cannot read ") + what + " " + quote_for_message(path) + ": " + problem);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::unique_ptr<RecordSink>> open_report_sinks(const ReportPaths& paths, std::optional<HtmlClock> clock)
{
  std::vector<std::unique_ptr<RecordSink>> sinks;
  try {
    if (!paths.json.empty()) {
      sinks.push_back(std::make_unique<JsonReport>(paths.json));
    }
    if (!paths.jsonl.empty()) {
      sinks.push_back(std::make_unique<JsonlReport>(paths.jsonl, paths.append_jsonl));
    }
    if (!paths.csv.empty()) {
      sinks.push_back(std::make_unique<CsvReport>(paths.csv));
    }
    if (!paths.csv_devices.empty()) {
      sinks.push_back(std::make_unique<DeviceCsvReport>(paths.csv_devices));
    }
    if (!paths.prometheus.empty()) {
      sinks.push_back(std::make_unique<PrometheusReport>(paths.prometheus));
    }
    if (!paths.html.empty()) {
      sinks.push_back(std::make_unique<HtmlReport>(paths.html, std::move(clock)));
    }
  } catch (const std::exception& e) {
    throw UsageError(e.what());
  }
  return sinks;
}

} // namespace fleetcert
