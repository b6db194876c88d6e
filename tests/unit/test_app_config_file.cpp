// Tests for scanner/app/config_file and run_cli's apply_config: a --config TOML file becomes the
// arguments of the options the command line does not give. Each case of issue 12: the [scan]
// section, arrays, TOML syntax errors, unknown keys and sections, type errors naming file:line:key,
// comma strings, relative paths, and the command line replacing the file's lists.

#include "scanner/app/cli.hpp"
#include "scanner/app/cli_common.hpp"
#include "scanner/app/diff_command.hpp"
#include "scanner/app/export_command.hpp"
#include "scanner/app/readiness_command.hpp"
#include "scanner/app/scan_command.hpp"

#include "support/process.hpp"

#include <doctest/doctest.h>

#include <CLI/CLI.hpp>

#include <filesystem>
#include <string>
#include <vector>

using namespace fleetcert;
using namespace fleetcert::testing;

namespace {

using Args = std::vector<std::string>;

// The message of apply_config's UsageError, or "" when it accepted the file.
std::string error_of(const Args& args)
{
  try {
    apply_config(args);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

// `args` with the config applied, parsed into scan's options.
ScanOptions scan_options(const Args& args)
{
  CLI::App app;
  ScanOptions options;
  setup_scan(app, options);
  Args expanded = apply_config(args);
  std::vector<char*> pointers;
  for (std::string& arg : expanded) {
    pointers.push_back(arg.data());
  }
  app.parse(static_cast<int>(pointers.size()), pointers.data());
  return options;
}

// The folder of a file, as load_config resolves against it.
std::string folder(const TempDir& dir)
{
  return std::filesystem::absolute(dir.path()).lexically_normal().string();
}

} // namespace

TEST_SUITE("config_file")
{
  TEST_CASE("the [scan] section and top-level keys both set scan's options, arrays whole")
  {
    TempDir dir;
    SUBCASE("[scan] section")
    {
      write_file(dir.file("site.toml"), "# site A\n[scan]\ntargets = [\"127.1.2.3\", \"127.1.2.4\"]\n"
                                        "ports = [443, 5061]\ntimeout = 2.5\nquiet = true\nconcurrency = 8\n");
    }
    SUBCASE("top level")
    {
      write_file(dir.file("site.toml"), "targets = [\"127.1.2.3\", \"127.1.2.4\"]\nports = [443, 5061]\n"
                                        "timeout = 2.5\nquiet = true\nconcurrency = 8\n");
    }
    const ScanOptions options = scan_options({"fleetcert", "scan", "--config", dir.file("site.toml")});
    CHECK(options.targets == Args{"127.1.2.3", "127.1.2.4"});
    CHECK(options.ports == "443,5061");
    CHECK(options.timeout_s == doctest::Approx(2.5));
    CHECK(options.quiet);
    CHECK(options.concurrency == 8U);
  }

  TEST_CASE("site and shard in the [scan] section, the command line wins")
  {
    TempDir dir;
    write_file(dir.file("site.toml"), "[scan]\ntargets = [\"127.1.2.3\"]\nsite = \"branch-7\"\nshard = \"auto/4\"\n");
    const ScanOptions options = scan_options({"fleetcert", "scan", "--config", dir.file("site.toml")});
    CHECK(options.site == "branch-7");
    CHECK(options.shard == "auto/4");
    const ScanOptions overridden =
        scan_options({"fleetcert", "scan", "--config", dir.file("site.toml"), "--site", "hq", "--shard", "1/4"});
    CHECK(overridden.site == "hq");
    CHECK(overridden.shard == "1/4");
  }

  TEST_CASE("a section's key replaces the top-level one, other subcommands' sections are checked but unused")
  {
    TempDir dir;
    write_file(dir.file("site.toml"), "ports = \"443\"\ntimeout = 3\n[scan]\nports = \"5061\"\n"
                                      "[readiness]\ntrust-after = \"new.pem\"\n[diff]\nvanished-is-worse = true\n"
                                      "[export.devices]\nwhere = [\"vendor=yealink\"]\n");
    const ScanOptions options = scan_options({"fleetcert", "scan", "127.1.2.3", "--config", dir.file("site.toml")});
    CHECK(options.ports == "5061");
    CHECK(options.timeout_s == doctest::Approx(3.0));

    write_file(dir.file("bad.toml"), "[scan]\nports = \"443\"\n[diff]\nvanished_worse = true\n");
    CHECK(error_of({"fleetcert", "scan", "--config", dir.file("bad.toml")})
          == dir.file("bad.toml") + ":4: unknown key 'vanished_worse' in [diff]: not an option of fleetcert diff");
  }

  TEST_CASE("TOML syntax errors are errors with the file and line")
  {
    TempDir dir;
    const std::string file = dir.file("bad.toml");
    auto error = [&](const std::string& text) {
      write_file(file, text);
      return error_of({"fleetcert", "scan", "--config", file});
    };
    SUBCASE("unterminated array")
    {
      const std::string message = error("timeout = 2\nports = [443,\n");
      CHECK(message.rfind(file + ":2: ", 0) == 0);
      CHECK(message.find("array") != std::string::npos);
    }
    SUBCASE("duplicate key")
    {
      const std::string message = error("ports = \"443\"\nports = \"5061\"\n");
      CHECK(message.rfind(file + ":2: ", 0) == 0);
      CHECK(message.find("ports") != std::string::npos);
    }
    SUBCASE("two values")
    {
      CHECK(error("\ntimeout = 1 2\n").rfind(file + ":2: ", 0) == 0);
    }
    SUBCASE("unquoted string")
    {
      CHECK(error("sni = phone.example\n").rfind(file + ":1: ", 0) == 0);
    }
    SUBCASE("an unreadable file and a directory")
    {
      CHECK(error_of({"fleetcert", "scan", "--config", dir.file("missing.toml")})
            == "cannot read --config '" + dir.file("missing.toml") + "': No such file or directory");
      CHECK(error_of({"fleetcert", "scan", "--config", dir.path()})
            == "cannot read --config '" + dir.path() + "': Is a directory");
    }
  }

  TEST_CASE("unknown keys and sections, nested tables, arrays of tables")
  {
    TempDir dir;
    const std::string file = dir.file("site.toml");
    auto error = [&](const std::string& text) {
      write_file(file, text);
      return error_of({"fleetcert", "scan", "--config", file});
    };
    CHECK(error("ports = \"443\"\nport = 443\n")
          == file + ":2: unknown key 'port': not an option of fleetcert scan");
    CHECK(error("[scan]\nfail_on = \"expired\"\nbogus = 1\n")
          == file + ":3: unknown key 'bogus': not an option of fleetcert scan");
    CHECK(error("[site]\nports = \"443\"\n").rfind(file + ":1: unknown section [site]: ", 0) == 0);
    CHECK(error("[scan.extra]\nports = \"443\"\n").rfind(file + ":1: unknown section [scan.extra]: ", 0) == 0);
    CHECK(error("[[scan]]\nports = \"443\"\n") == file + ":1: key 'scan': arrays of tables are not supported");
    CHECK(error("config = \"other.toml\"\n") == file + ":1: key 'config': cannot be set in a config file");
    // A key of diff's is no option of scan.
    CHECK(error("vanished-is-worse = true\n")
          == file + ":1: unknown key 'vanished-is-worse': not an option of fleetcert scan");
  }

  TEST_CASE("type errors name the file, the line and the key")
  {
    TempDir dir;
    const std::string file = dir.file("site.toml");
    auto error = [&](const std::string& text) {
      write_file(file, "# site\n" + text);
      return error_of({"fleetcert", "scan", "--config", file});
    };
    CHECK(error("timeout = \"abc\"\n").rfind(file + ":2: key 'timeout': --timeout: ", 0) == 0);
    CHECK(error("per-device = 0\n").rfind(file + ":2: key 'per-device': --per-device: Value 0 not in range", 0) == 0);
    CHECK(error("quiet = \"yes\"\n") == file + ":2: key 'quiet': a flag: true or false, not a string");
    CHECK(error("sni = [\"a\", \"b\"]\n") == file + ":2: key 'sni': takes one value, not an array");
    CHECK(error("sni = true\n") == file + ":2: key 'sni': expects a string or a number, not true or false");
    CHECK(error("ports = true\n")
          == file + ":2: key 'ports': expects an array or a comma-separated string, not true or false");
    CHECK(error("exclude = [[\"127.0.0.1\"]]\n")
          == file + ":2: key 'exclude': a list of values, not an array in the array");
    CHECK(error("now = 2026-11-23\n").rfind(file + ":2: key 'now': dates and times are not taken as such", 0) == 0);
    CHECK(error("exclude = \"127.0.0.1,,127.0.0.2\"\n").rfind(file + ":2: key 'exclude': an empty item", 0) == 0);
    CHECK(error("dhcp-format = \"windows\"\n").rfind(file + ":2: key 'dhcp-format': ", 0) == 0);
  }

  TEST_CASE("a list option takes an array or a comma string")
  {
    TempDir dir;
    write_file(dir.file("array.toml"), "exclude = [\"127.0.0.5\", \"127.0.0.6\"]\nports = [443, 5061]\n"
                                       "fail-on = [\"expired\", \"sha1-rejected\"]\n");
    write_file(dir.file("comma.toml"), "exclude = \"127.0.0.5, 127.0.0.6\"\nports = \"443,5061\"\n"
                                       "fail-on = \"expired,sha1-rejected\"\n");
    const ScanOptions from_array = scan_options({"fleetcert", "scan", "127.0.0.1", "--config", dir.file("array.toml")});
    const ScanOptions from_comma = scan_options({"fleetcert", "scan", "127.0.0.1", "--config", dir.file("comma.toml")});
    CHECK(from_array.excludes == Args{"127.0.0.5", "127.0.0.6"});
    CHECK(from_comma.excludes == from_array.excludes);
    CHECK(from_array.ports == "443,5061");
    CHECK(from_comma.ports == "443,5061");
    CHECK(from_array.fail_on == "expired,sha1-rejected");
    CHECK(from_comma.fail_on == from_array.fail_on);
  }

  TEST_CASE("relative paths are taken from the config file's folder")
  {
    TempDir dir;
    std::filesystem::create_directories(dir.file("etc"));
    write_file(dir.file("etc/site.toml"),
               "[scan]\ntargets = [\"127.0.0.1\"]\njson = \"out/site.json\"\njsonl = \"-\"\ncsv = \"/var/tmp/x.csv\"\n"
               "inventory = \"../inventory.csv\"\ntrust = [\"ca.pem\"]\nvendor-ca = [\"yealink=certs/yealink.pem\"]\n"
               "sni = \"phone.example\"\n");
    const ScanOptions options = scan_options({"fleetcert", "scan", "--config", dir.file("etc/site.toml")});
    const std::string base = folder(dir);
    CHECK(options.json_path == base + "/etc/out/site.json");
    CHECK(options.jsonl_path == "-");
    CHECK(options.csv_path == "/var/tmp/x.csv");
    CHECK(options.inventory_path == base + "/inventory.csv");
    CHECK(options.trust_files == Args{base + "/etc/ca.pem"});
    CHECK(options.vendor_cas == Args{"yealink=" + base + "/etc/certs/yealink.pem"});
    CHECK(options.sni == "phone.example"); // not a path
    CHECK(options.targets == Args{"127.0.0.1"});
  }

  TEST_CASE("the command line replaces the file's lists and overrides its scalars")
  {
    TempDir dir;
    write_file(dir.file("site.toml"), "[scan]\ntargets = [\"127.0.0.0/24\"]\nexclude = [\"127.0.0.9\"]\n"
                                      "ports = [443, 5061]\ntimeout = 2\nquiet = true\n");
    const ScanOptions options = scan_options({"fleetcert", "scan", "--config", dir.file("site.toml"), "127.0.0.3",
                                              "--exclude", "127.0.0.4", "-p", "8443", "--timeout=7"});
    CHECK(options.targets == Args{"127.0.0.3"});
    CHECK(options.excludes == Args{"127.0.0.4"});
    CHECK(options.ports == "8443");
    CHECK(options.timeout_s == doctest::Approx(7.0));
    CHECK(options.quiet); // the file's, the command line did not say

    // Without --config nothing changes, and the command line's own errors are left to the parse.
    const Args plain{"fleetcert", "scan", "127.0.0.1", "--timeout", "abc"};
    CHECK(apply_config(plain) == plain);
  }

  TEST_CASE("diff, readiness and export read their own section")
  {
    TempDir dir;
    write_file(dir.file("site.toml"),
               "[diff]\nold = \"a.json\"\nnew = \"b.json\"\nignore = \"expired, expiring\"\nquiet = true\n"
               "[readiness]\ntrust-after = \"new-ca.pem\"\nreject = [\"sha1\", \"md5\"]\nmin-rsa-bits = 2048\n"
               "report = \"scan.json\"\n"
               "[export]\nreport = \"scan.json\"\n[export.devices]\nwhere = [\"vendor=yealink\", \"finding=expired\"]\n"
               "[export.grandstream-update]\nout = \"batches\"\nbatch-size = 500\n");
    const std::string base = folder(dir);
    const std::string config = dir.file("site.toml");

    CLI::App app;
    DiffCommandOptions diff;
    setup_diff(app, diff);
    ReadinessOptions readiness;
    setup_readiness(app, readiness);
    ExportOptions exports;
    setup_export(app, exports);
    auto parse = [&app](Args args) {
      for (CLI::App* sub : app.get_subcommands(std::function<bool(CLI::App*)>{})) {
        if (sub->get_option_no_throw("--config") == nullptr && sub->get_name() != "export") {
          sub->add_option("--config");
        }
      }
      std::vector<char*> pointers;
      for (std::string& arg : args) {
        pointers.push_back(arg.data());
      }
      app.parse(static_cast<int>(pointers.size()), pointers.data());
    };

    SUBCASE("diff")
    {
      parse(apply_config({"fleetcert", "diff", "--config", config}));
      CHECK(diff.old_path == base + "/a.json");
      CHECK(diff.new_path == base + "/b.json");
      CHECK(diff.ignores == Args{"expired", "expiring"});
      CHECK(diff.quiet);
    }
    SUBCASE("diff: both reports on the command line")
    {
      parse(apply_config({"fleetcert", "diff", "--config", config, "x.json", "y.json"}));
      CHECK(diff.old_path == "x.json");
      CHECK(diff.new_path == "y.json");
    }
    SUBCASE("readiness")
    {
      parse(apply_config({"fleetcert", "readiness", "--config", config}));
      CHECK(readiness.trust_after_path == base + "/new-ca.pem");
      CHECK(readiness.reject == "sha1,md5");
      CHECK(readiness.min_rsa_bits == 2048);
      CHECK(readiness.report_paths == Args{base + "/scan.json"});
    }
    SUBCASE("export devices")
    {
      const Args args = apply_config({"fleetcert", "export", "devices", "--config", config});
      CHECK(args == Args{"fleetcert", "export", "devices", "--where=vendor=yealink", "--where=finding=expired",
                         "--config", config, "--", base + "/scan.json"});
    }
    SUBCASE("export grandstream-update")
    {
      const Args args = apply_config({"fleetcert", "export", "grandstream-update", "--config", config, "r.json"});
      CHECK(args == Args{"fleetcert", "export", "grandstream-update", "--batch-size=500", "--out=" + base + "/batches",
                         "--config", config, "r.json"});
    }
    SUBCASE("a key of [export] that the export run does not have")
    {
      write_file(dir.file("other.toml"), "[export]\nbatch-size = 100\n");
      CHECK(error_of({"fleetcert", "export", "devices", "--config", dir.file("other.toml"), "r.json"})
            == dir.file("other.toml") + ":2: unknown key 'batch-size': not an option of fleetcert export devices");
    }
  }
}
