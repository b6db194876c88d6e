// Outputs that cannot collide or vanish, through the real binary against the simulated fleet (a
// loopback block each): two reports to one file or two to standard output refused before any
// connection, a standard output that cannot be written (a full disk, a closed pipe) is exit 3,
// --prometheus must name a *.prom file, --table wins over -q, and a second signal leaves no
// temporary file behind.

#include "support/fleet_simulator.hpp"
#include "support/loopback.hpp"
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace fleetcert::testing;
using nlohmann::json;

namespace {

constexpr const char* k_port = "24443";

json certificate_device(const std::string& ip)
{
  return {{"ip", ip},
          {"ports", {{k_port, {{"subject", "/CN=0004F2000001"}, {"key", {{"type", "ec"}}}}}}}};
}

CommandResult scan(const std::vector<std::string>& arguments)
{
  std::vector<std::string> argv{FLEETCERT_BINARY, "scan"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return run_command(argv, std::chrono::seconds(60));
}

// The simulator's connection count per address, from its --stats file (0 for an address it never saw).
long connections_to(const std::string& stats_path, const std::string& ip)
{
  const json stats = json::parse(read_file(stats_path));
  for (const json& address : stats.at("addresses")) {
    if (address.at("ip") == ip) {
      return address.at("connections").get<long>();
    }
  }
  return 0;
}

// Runs argv with standard output on a pipe whose reading end is closed before the child starts;
// stderr to `stderr_path`. Returns the exit status (128+signal when killed), -1 after 60 s.
int run_into_closed_pipe(const std::vector<std::string>& argv, const std::string& stderr_path)
{
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  ::close(fds[0]); // nobody will ever read
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    const int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(err, STDERR_FILENO);
    ::signal(SIGPIPE, SIG_DFL); // as a shell starts it
    std::vector<char*> args;
    for (const std::string& arg : argv) {
      args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  int status = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > until) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The files of `dir` whose name holds ".tmp-" (ReplacingFile's temporary files).
std::vector<std::string> temporary_files(const std::string& dir)
{
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().find(".tmp-") != std::string::npos) {
      found.push_back(entry.path().filename().string());
    }
  }
  return found;
}

} // namespace

TEST_SUITE("integration.outputs")
{
  TEST_CASE("two reports to one file or two to standard output: exit 2 before any connection")
  {
    const LoopbackBlock net;
    TempDir dir;
    const std::string refused = net.address("0.1"); // the collisions' target: it must never see a connection
    const std::string control = net.address("0.2"); // a good scan's, to prove the stats count
    json fleet;
    fleet["devices"] = json::array({certificate_device(refused), certificate_device(control)});
    const std::string stats = dir.file("stats.json");
    {
      FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet, {"--stats", stats});
      const std::string report = dir.file("report.json");
      std::filesystem::create_directory(dir.file("sub"));
      write_file(dir.file("existing.csv"), "old\n");
      std::filesystem::create_symlink(dir.file("existing.csv"), dir.file("link.csv"));
      std::filesystem::create_hard_link(dir.file("existing.csv"), dir.file("hard.csv"));
      struct Case
      {
        std::vector<std::string> arguments;
        std::string message;
      };
      const std::vector<Case> cases{
          {{"--json", report, "--jsonl", report}, "--json '" + report + "' and --jsonl '" + report + "' are the same file"},
          {{"--csv", report, "--csv-devices", dir.file("sub/../report.json")}, "are the same file"},
          {{"--csv", dir.file("existing.csv"), "--csv-devices", dir.file("link.csv")}, "are the same file"},
          {{"--json", dir.file("hard.csv"), "--csv", dir.file("existing.csv")}, "(through another path)"},
          {{"--jsonl", "-", "--csv", "-"}, "--jsonl and --csv would both write to standard output"},
          {{"--table", "--jsonl", "-"}, "--jsonl and --table would both write to standard output"},
          {{"--prometheus", "-", "--json", "-"}, "would both write to standard output"},
      };
      for (const Case& each : cases) {
        std::vector<std::string> arguments{refused, "--ports", k_port};
        arguments.insert(arguments.end(), each.arguments.begin(), each.arguments.end());
        const CommandResult result = scan(arguments);
        CAPTURE(each.arguments);
        INFO("stderr: " << result.err);
        CHECK(result.status == 2);
        CHECK(result.err.find(each.message) != std::string::npos);
        CHECK(result.err.rfind("fleetcert: ", 0) == 0);
        CHECK(result.out.empty());
      }
      CHECK_FALSE(std::filesystem::exists(report));
      CHECK(read_file(dir.file("existing.csv")) == "old\n");
      CHECK(temporary_files(dir.path()).empty());

      // readiness has three outputs: the same rule.
      const CommandResult readiness =
          run_command({FLEETCERT_BINARY, "readiness", refused, "--ports", k_port, "--trust-after",
                       dir.file("existing.csv"), "--json", report, "--scan-json", report},
                      std::chrono::seconds(60));
      INFO("readiness stderr: " << readiness.err);
      CHECK(readiness.status == 2);
      CHECK(readiness.err.find("--json '" + report + "' and --scan-json '" + report + "' are the same file")
            != std::string::npos);

      // Two reports to /dev/null collide with nothing: the control scan, which the stats must see.
      const CommandResult good = scan({control, "--ports", k_port, "--json", dir.file("good.json"), "--csv",
                                       "/dev/null", "--csv-devices", "/dev/null"});
      INFO("control stderr: " << good.err);
      CHECK(good.status == 0);
    } // the simulator stops and writes its stats a last time
    CHECK(connections_to(stats, control) >= 1);
    CHECK(connections_to(stats, refused) == 0);
  }

  TEST_CASE("a standard output that cannot be written is exit 3 with a message: /dev/full, a closed pipe")
  {
    const LoopbackBlock net;
    TempDir dir;
    json fleet;
    fleet["devices"] = json::array({certificate_device(net.address("0.1"))});
    FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet);
    const std::vector<std::string> table{FLEETCERT_BINARY, "scan", net.address("0.1"), "--ports", k_port, "--table"};
    {
      ChildProcess child(table, "/dev/full", dir.file("full.err"));
      CHECK(child.wait(std::chrono::seconds(60)) == 3);
      const std::string err = read_file(dir.file("full.err"));
      CHECK(err.find("fleetcert: scan: cannot write to standard output: No space left on device") != std::string::npos);
    }
    {
      ChildProcess child({FLEETCERT_BINARY, "scan", net.address("0.1"), "--ports", k_port, "--jsonl", "-"},
                         "/dev/full", dir.file("full-jsonl.err"));
      CHECK(child.wait(std::chrono::seconds(60)) == 3);
      CHECK(read_file(dir.file("full-jsonl.err")).find("cannot write to standard output: No space left on device")
            != std::string::npos);
    }
    CHECK(run_into_closed_pipe(table, dir.file("pipe.err")) == 3);
    CHECK(read_file(dir.file("pipe.err")).find("fleetcert: scan: cannot write to standard output: Broken pipe")
          != std::string::npos);
    // A good standard output is still 0.
    const CommandResult good = scan({net.address("0.1"), "--ports", k_port, "--table"});
    CHECK(good.status == 0);
    CHECK(good.out.find(net.address("0.1")) != std::string::npos);
  }

  TEST_CASE("--prometheus needs a .prom file name, --table wins over -q")
  {
    const LoopbackBlock net;
    TempDir dir;
    json fleet;
    fleet["devices"] = json::array({certificate_device(net.address("0.1"))});
    FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet);
    const CommandResult wrong = scan({net.address("0.1"), "--ports", k_port, "--prometheus", dir.file("metrics.txt")});
    CHECK(wrong.status == 2);
    CHECK(wrong.err.find("must end in .prom") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.file("metrics.txt")));
    const CommandResult right = scan({net.address("0.1"), "--ports", k_port, "--prometheus", dir.file("metrics.prom")});
    CHECK(right.status == 0);
    CHECK(std::filesystem::exists(dir.file("metrics.prom")));

    // -q alone prints nothing; --table -q prints the table (and still nothing on stderr).
    const CommandResult quiet = scan({net.address("0.1"), "--ports", k_port, "-q"});
    CHECK(quiet.status == 0);
    CHECK(quiet.out.empty());
    const CommandResult both = scan({net.address("0.1"), "--ports", k_port, "-q", "--table"});
    CHECK(both.status == 0);
    CHECK(both.out.find(net.address("0.1")) != std::string::npos);
    CHECK(both.err.empty());

    // An option that takes one value, given twice: exit 2 (every subcommand); lists may repeat.
    const CommandResult twice = scan({net.address("0.1"), "--ports", k_port, "--timeout", "5", "-t", "10"});
    CHECK(twice.status == 2);
    CHECK(twice.err.find("fleetcert: scan: -t given twice ('5', then '10')") != std::string::npos);
    const CommandResult export_twice = run_command(
        {FLEETCERT_BINARY, "export", "generic-cn", dir.file("x.json"), "--out=a.csv", "--out", "b.csv"},
        std::chrono::seconds(60));
    CHECK(export_twice.status == 2);
    CHECK(export_twice.err.find("export generic-cn: --out given twice") != std::string::npos);
    const CommandResult lists = scan({net.address("0.1"), "--ports", k_port, "--exclude", net.address("0.7"),
                                      "--exclude", net.address("0.8"), "--json", dir.file("lists.json")});
    CHECK(lists.status == 0);
  }

  TEST_CASE("a second signal leaves no temporary report file behind")
  {
    const LoopbackBlock net;
    TempDir dir;
    json fleet;
    fleet["devices"] = json::array({
        {{"ip", net.address("0.1")}, {"ports", {{k_port, {{"behaviour", "tarpit"}}}}}},
        certificate_device(net.address("0.2")),
    });
    FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet);
    std::filesystem::create_directory(dir.file("out"));
    const std::string lines = dir.file("out/scan.jsonl");
    ChildProcess child({FLEETCERT_BINARY, "scan", net.address("0.1-2"), "--ports", k_port, "--timeout", "30",
                        "--jsonl", lines, "--json", dir.file("out/scan.json"), "--csv", dir.file("out/scan.csv"),
                        "--csv-devices", dir.file("out/devices.csv"), "--prometheus", dir.file("out/fleet.prom")},
                       dir.file("scan.out"), dir.file("scan.err"));
    // The certificate endpoint done, the tarpit holds the scan: every report is a temporary file now.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (read_file(lines).find('\n') == std::string::npos && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    REQUIRE(read_file(lines).find('\n') != std::string::npos);
    REQUIRE(temporary_files(dir.file("out")).size() == 4);
    child.signal(SIGINT);
    child.signal(SIGINT);
    CHECK(child.wait(std::chrono::seconds(25)) == 130); // before the tarpit's 30 s deadline
    CAPTURE(temporary_files(dir.file("out")));
    CHECK(temporary_files(dir.file("out")).empty());
  }
}
