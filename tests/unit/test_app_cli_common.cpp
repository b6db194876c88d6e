// What every subcommand shares: outputs that must not land in one place (check_distinct_outputs)
// and options that take one value, given twice (reject_repeated_options).

#include "scanner/app/cli_common.hpp"

#include "support/process.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

using namespace fleetcert;
using fleetcert::testing::TempDir;
using fleetcert::testing::write_file;

namespace {

// The UsageError's message, or "" when none was thrown.
std::string refusal(const std::vector<NamedOutput>& outputs)
{
  try {
    check_distinct_outputs(outputs);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

std::string refusal(CLI::App& app, const std::vector<std::string>& args)
{
  try {
    reject_repeated_options(app, args);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST_SUITE("app.cli_common")
{
  TEST_CASE("check_distinct_outputs")
  {
    TempDir dir;
    std::filesystem::create_directory(dir.file("sub"));
    SUBCASE("distinct paths, unused outputs and /dev/null twice pass")
    {
      CHECK(refusal({{"--json", dir.file("a.json")}, {"--csv", dir.file("a.csv")}, {"--jsonl", ""}, {"--x", ""}})
                .empty());
      CHECK(refusal({{"--csv", "/dev/null"}, {"--csv-devices", "/dev/null"}, {"--jsonl", "-"}}).empty());
    }
    SUBCASE("one path twice, also spelt another way")
    {
      const std::string message = refusal({{"--json", dir.file("a.json")}, {"--jsonl", dir.file("sub/../a.json")}});
      REQUIRE_FALSE(message.empty());
      CHECK(message.find("--json '" + dir.file("a.json") + "' and --jsonl") != std::string::npos);
      CHECK(message.find("are the same file") != std::string::npos);
      CHECK(message.find("through another path") == std::string::npos);
    }
    SUBCASE("one existing file through a hard link")
    {
      write_file(dir.file("a.csv"), "x");
      std::filesystem::create_hard_link(dir.file("a.csv"), dir.file("b.csv"));
      CHECK(refusal({{"--csv", dir.file("a.csv")}, {"--csv-devices", dir.file("b.csv")}}).find("through another path")
            != std::string::npos);
    }
    SUBCASE("two on standard output")
    {
      CHECK(refusal({{"--jsonl", "-"}, {"--csv", dir.file("a.csv")}, {"--table", "-"}})
            == "--jsonl and --table would both write to standard output; send one of them to a file");
    }
  }

  TEST_CASE("reject_repeated_options")
  {
    CLI::App app;
    CLI::App* scan = app.add_subcommand("scan");
    std::string timeout;
    std::vector<std::string> excludes;
    bool quiet = false;
    scan->add_option("-t,--timeout", timeout);
    scan->add_option("--exclude", excludes);
    scan->add_flag("-q,--quiet", quiet);
    SUBCASE("once each, lists and flags repeated: accepted")
    {
      CHECK(refusal(app, {"fleetcert", "scan", "-t", "5", "--exclude", "a", "--exclude=b", "-q", "-q"}).empty());
    }
    SUBCASE("an option right after one that takes a value is an option, as CLI11 reads it")
    {
      CHECK(refusal(app, {"fleetcert", "scan", "--exclude", "--timeout", "5", "-t", "6"}).find("-t given twice")
            != std::string::npos);
      CHECK(refusal(app, {"fleetcert", "scan", "--exclude", "-", "-t", "6"}).empty());
    }
    SUBCASE("twice, in any spelling")
    {
      CHECK(refusal(app, {"fleetcert", "scan", "--timeout=5", "-t10"})
            == "scan: -t given twice ('5', then '10'); give it once");
      CHECK(refusal(app, {"fleetcert", "scan", "-t", "5", "x", "--timeout", "5"}).find("--timeout given twice")
            != std::string::npos);
    }
    SUBCASE("after --, nothing is an option")
    {
      CHECK(refusal(app, {"fleetcert", "scan", "-t", "5", "--", "-t", "6"}).empty());
    }
  }
}

TEST_SUITE("app.cli_common.messages")
{
  TEST_CASE("command_message names the subcommand once")
  {
    CHECK(command_message("scan", "invalid --ports: x") == "scan: invalid --ports: x");
    CHECK(command_message("scan", "scan: -t given twice") == "scan: -t given twice");
    CHECK(command_message("export devices", "export devices: --where ...") == "export devices: --where ...");
    CHECK(command_message("", "a subcommand is required") == "a subcommand is required");
    CHECK(command_message("check", "scanner: x") == "check: scanner: x");
  }

  TEST_CASE("read_text_file says why a file cannot be read")
  {
    TempDir dir;
    const auto refusal_of = [](const std::string& path) {
      try {
        read_text_file(path, "--trust file");
      } catch (const UsageError& e) {
        return std::string(e.what());
      }
      return std::string();
    };
    CHECK(refusal_of(dir.file("none.pem")) == "cannot read --trust file '" + dir.file("none.pem") + "': No such file or directory");
    CHECK(refusal_of(dir.path()) == "cannot read --trust file '" + dir.path() + "': Is a directory");
    write_file(dir.file("ca.pem"), "text");
    CHECK(read_text_file(dir.file("ca.pem"), "--trust file") == "text");
  }
}
