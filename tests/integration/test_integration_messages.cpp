// Messages: every error of the real binary is one line that starts with "fleetcert:" and names the
// subcommand (CLI11's own parse errors too), a file that cannot be read says why (a directory
// included), a file that is no scan report says so, options that make no sense are refused before
// anything is read or scanned, and --version / -V work after any subcommand. No simulator: nothing
// here gets as far as a connection.

#include "support/process.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

using namespace fleetcert::testing;

namespace {

CommandResult run(std::vector<std::string> args)
{
  args.insert(args.begin(), FLEETCERT_BINARY);
  return run_command(args, std::chrono::seconds(30));
}

// Exit 2, nothing on stdout, and stderr exactly one line: `line`.
void check_usage_error(const CommandResult& result, const std::string& line)
{
  INFO("stderr: " << result.err);
  CHECK(result.status == 2);
  CHECK(result.out.empty());
  CHECK(result.err == line + "\n");
}

// Exit 2, nothing on stdout, and stderr one line that starts with `start`.
void check_usage_error_start(const CommandResult& result, const std::string& start)
{
  INFO("stderr: " << result.err);
  CHECK(result.status == 2);
  CHECK(result.out.empty());
  CHECK(result.err.rfind(start, 0) == 0);
  CHECK(result.err.find('\n') == result.err.size() - 1);
}

} // namespace

TEST_SUITE("integration.messages")
{
  TEST_CASE("CLI11's parse errors start with fleetcert: and name the subcommand")
  {
    check_usage_error(run({}), "fleetcert: a subcommand is required: scan, diff, export, readiness, issuers, check, "
                               "report, merge (see fleetcert --help)");
    check_usage_error(run({"export"}), "fleetcert: export: a subcommand is required: grandstream-update, generic-cn, "
                                       "devices (see fleetcert export --help)");
    check_usage_error(run({"scan", "--timeout", "abc", "127.0.0.1"}),
                      "fleetcert: scan: --timeout: Value abc not in range 0.001000 to 86400.000000 (see fleetcert "
                      "scan --help)");
    check_usage_error(run({"scan", "--bogus", "127.0.0.1"}),
                      "fleetcert: scan: the following argument was not expected: --bogus (see fleetcert scan --help)");
    check_usage_error(run({"scan", "127.0.0.1", "--timeout"}),
                      "fleetcert: scan: --timeout needs a value (see fleetcert scan --help)");
    check_usage_error(run({"diff", "a.json", "b.json", "--json"}),
                      "fleetcert: diff: --json needs a value (see fleetcert diff --help)");
    check_usage_error(run({"diff", "a.json"}), "fleetcert: diff: new is required (see fleetcert diff --help)");
    check_usage_error(run({"export", "devices", "r.json", "--bogus"}),
                      "fleetcert: export devices: the following argument was not expected: --bogus (see fleetcert "
                      "export devices --help)");
    check_usage_error(run({"export", "devices"}), "fleetcert: export devices: report is required (see fleetcert export "
                                                  "devices --help)");
    check_usage_error(run({"scna", "127.0.0.1"}), "fleetcert: unknown subcommand 'scna'; the subcommands are scan, diff, "
                                                  "export, readiness, issuers, check, report, merge (see fleetcert --help)");
  }

  TEST_CASE("--help stays on stdout with exit 0")
  {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"--help"}, {"scan", "--help"}, {"export", "devices", "-h"}}) {
      const CommandResult result = run(args);
      CHECK(result.status == 0);
      CHECK(result.err.empty());
      CHECK(result.out.find("Usage:") != std::string::npos);
    }
  }

  TEST_CASE("--version and -V print the same line after any subcommand")
  {
    const CommandResult top = run({"--version"});
    REQUIRE(top.status == 0);
    CHECK(top.out == std::string("fleetcert ") + FLEETCERT_VERSION + "\n");
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"-V"}, {"scan", "--version"}, {"scan", "-V"}, {"diff", "--version"},
          {"export", "devices", "-V"}, {"readiness", "-V"}, {"issuers", "--version"}, {"check", "-V"}}) {
      const CommandResult result = run(args);
      CAPTURE(args.front());
      CHECK(result.status == 0);
      CHECK(result.out == top.out);
      CHECK(result.err.empty());
    }
  }

  TEST_CASE("an error of a subcommand names it, a config file's too")
  {
    TempDir dir;
    check_usage_error(run({"scan", "--ports", "0", "127.0.0.1"}), "fleetcert: scan: invalid --ports: invalid port '0' (ports are 1-65535)");
    write_file(dir.file("bad.toml"), "timeout = \"soon\"\n");
    check_usage_error_start(run({"scan", "--config", dir.file("bad.toml"), "127.0.0.1"}),
                            "fleetcert: scan: " + dir.file("bad.toml") + ":1: key 'timeout': ");
    check_usage_error_start(run({"check", "--config", dir.file("bad.toml"), "r.json"}),
                            "fleetcert: check: " + dir.file("bad.toml") + ":1: unknown key 'timeout'");
  }

  TEST_CASE("a targets file that cannot be read says why, an empty one says so")
  {
    TempDir dir;
    check_usage_error(run({"scan", "--targets-file", dir.file("none.txt")}),
                      "fleetcert: scan: cannot read targets file '" + dir.file("none.txt") + "': No such file or directory");
    check_usage_error(run({"scan", "--targets-file", dir.path()}),
                      "fleetcert: scan: cannot read targets file '" + dir.path() + "': Is a directory");
    check_usage_error(run({"scan", "127.0.0.1", "--exclude-file", dir.path()}),
                      "fleetcert: scan: cannot read exclude file '" + dir.path() + "': Is a directory");
    write_file(dir.file("empty.txt"), "# no phones yet\n\n");
    check_usage_error(run({"scan", "--targets-file", dir.file("empty.txt")}),
                      "fleetcert: scan: no targets in '" + dir.file("empty.txt") + "' (only comments or blank lines)");
    // Beside other targets an empty file is a warning; here exclusions then leave nothing.
    const CommandResult beside = run({"scan", "127.0.0.1", "--targets-file=" + dir.file("empty.txt"), "--exclude", "127.0.0.1"});
    CHECK(beside.status == 2);
    CHECK(beside.err == "fleetcert: warning: --targets-file '" + dir.file("empty.txt") + "': no targets in it\n"
                        "fleetcert: scan: no targets left to scan after exclusions\n");
  }

  TEST_CASE("a directory where a file is expected says it is a directory")
  {
    TempDir dir;
    const std::string is_dir = "': Is a directory";
    check_usage_error(run({"scan", "127.0.0.1", "--inventory", dir.path()}),
                      "fleetcert: scan: cannot read inventory '" + dir.path() + is_dir);
    check_usage_error(run({"scan", "--dhcp-leases", dir.path()}),
                      "fleetcert: scan: cannot read DHCP leases '" + dir.path() + is_dir);
    check_usage_error(run({"scan", "127.0.0.1", "--trust", dir.path()}),
                      "fleetcert: scan: cannot read --trust file '" + dir.path() + is_dir);
    check_usage_error(run({"scan", "127.0.0.1", "--vendor-ca", "Grandstream=" + dir.path()}),
                      "fleetcert: scan: cannot read --vendor-ca file '" + dir.path() + is_dir);
    check_usage_error(run({"scan", "127.0.0.1", "--config", dir.path()}),
                      "fleetcert: scan: cannot read --config '" + dir.path() + is_dir);
    check_usage_error(run({"readiness", "--report", "r.json", "--trust-after", dir.path()}),
                      "fleetcert: readiness: cannot read --trust-after file '" + dir.path() + is_dir);
    // --profiles wants a directory: a file is "Not a directory".
    write_file(dir.file("p.json"), "{}");
    check_usage_error_start(run({"scan", "127.0.0.1", "--profiles", dir.file("p.json")}),
                            "fleetcert: scan: cannot read profile directory '" + dir.file("p.json") + "': Not a directory");
    const std::string report = "cannot read report '" + dir.path() + is_dir;
    check_usage_error(run({"diff", dir.path(), dir.path()}), "fleetcert: diff: " + report);
    check_usage_error(run({"check", "--fail-on", "expired", dir.path()}), "fleetcert: check: " + report);
    check_usage_error(run({"issuers", dir.path()}), "fleetcert: issuers: " + report);
    check_usage_error(run({"export", "devices", dir.path()}), "fleetcert: export devices: " + report);
  }

  TEST_CASE("a file that is no scan report says so, with the byte of a parse error")
  {
    TempDir dir;
    write_file(dir.file("cut.json"), "{\"schema\": \"fleetcert-scan/1\", \"records\": [");
    const std::string cut = dir.file("cut.json") + ": not a fleetcert report: parse error at byte 44 (line 1, column 44): "
                                                  "syntax error while parsing value - unexpected end of input";
    check_usage_error_start(run({"diff", dir.file("cut.json"), dir.file("cut.json")}), "fleetcert: diff: " + cut);
    check_usage_error_start(run({"check", "--fail-on", "expired", dir.file("cut.json")}), "fleetcert: check: " + cut);
    check_usage_error_start(run({"issuers", dir.file("cut.json")}), "fleetcert: issuers: " + cut);
    check_usage_error_start(run({"export", "generic-cn", dir.file("cut.json")}), "fleetcert: export generic-cn: " + cut);
    write_file(dir.file("readiness.json"), "{\"schema\": \"fleetcert-readiness/1\", \"devices\": []}\n");
    check_usage_error(run({"check", "--fail-on", "expired", dir.file("readiness.json")}),
                      "fleetcert: check: " + dir.file("readiness.json")
                          + ": not a fleetcert report: \"schema\" is 'fleetcert-readiness/1' (written by fleetcert "
                            "readiness); a scan report has \"schema\": \"fleetcert-scan/1\"");
    write_file(dir.file("other.json"), "{\"devices\": []}\n");
    check_usage_error(run({"diff", dir.file("other.json"), dir.file("other.json")}),
                      "fleetcert: diff: " + dir.file("other.json")
                          + ": not a fleetcert report: no \"schema\" (a scan report has \"schema\": \"fleetcert-scan/1\")");
  }

  TEST_CASE("--fail-on with an unknown code lists the valid ones")
  {
    TempDir dir;
    const std::string codes = "not a finding code (weak-signature, shared-key, sha1-rejected, generic-cn, self-signed, "
                              "expired, weak-key, mac-mismatch, shared-certificate, issuer-pin-mismatch, ";
    check_usage_error_start(run({"scan", "127.0.0.1", "--fail-on", "expird"}),
                            "fleetcert: scan: invalid --fail-on 'expird': " + codes);
    write_file(dir.file("empty.json"), "{\"schema\": \"fleetcert-scan/1\", \"records\": []}\n");
    check_usage_error_start(run({"check", "--fail-on", "expird", dir.file("empty.json")}),
                            "fleetcert: check: invalid --fail-on 'expird': " + codes);
  }

  TEST_CASE("options that make no sense are refused before anything is scanned")
  {
    check_usage_error(run({"scan", "127.0.0.1", "--sni", "phone example"}),
                      "fleetcert: scan: invalid --sni: invalid hostname 'phone example': unexpected character ' '");
    for (const char* address : {"127.0.0.1", "::1"}) {
      check_usage_error(run({"scan", "127.0.0.1", "--sni", address}),
                        std::string("fleetcert: scan: invalid --sni '") + address
                            + "': an IP address is not a server name (RFC 6066: SNI names a DNS host); leave --sni "
                              "out, an address is sent no SNI");
    }
    check_usage_error(run({"scan", "127.0.0.1", "--sni", "127.0.0.0/8"}),
                      "fleetcert: scan: invalid --sni '127.0.0.0/8': not a host name");
    check_usage_error(run({"scan", "127.0.0.1", "--connect-timeout", "20", "--timeout", "10"}),
                      "fleetcert: scan: --connect-timeout 20 is longer than --timeout 10 (seconds for the whole "
                      "endpoint, the connect included); give a shorter --connect-timeout or a longer --timeout");
    check_usage_error(run({"scan", "127.0.0.1", "--threads", "5000"}),
                      "fleetcert: scan: --threads: Value 5000 not in range 0 to 1024 (see fleetcert scan --help)");
    check_usage_error_start(run({"scan", "127.0.0.1", "--threads", "-1"}), "fleetcert: scan: --threads: ");
    check_usage_error_start(run({"scan", "127.0.0.1", "--concurrency", "0"}), "fleetcert: scan: --concurrency: Value 0 not in range");
    check_usage_error_start(run({"scan", "127.0.0.1", "--timeout", "-1"}), "fleetcert: scan: --timeout: Value -1 not in range");
    check_usage_error_start(run({"scan", "127.0.0.1", "--connect-timeout", "-1"}),
                            "fleetcert: scan: --connect-timeout: Value -1 not in range");
    check_usage_error_start(run({"scan", "127.0.0.1", "--rate", "-5"}), "fleetcert: scan: --rate: ");
    check_usage_error_start(run({"scan", "127.0.0.1", "--per-device", "0"}), "fleetcert: scan: --per-device: Value 0 not in range");
    check_usage_error_start(run({"scan", "127.0.0.1", "--expiry-warning", "-3"}), "fleetcert: scan: --expiry-warning: ");
  }
}
