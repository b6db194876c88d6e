// The terminal table through the real binary against the simulated fleet (a loopback block each):
// fitted to COLUMNS when stdout is not a terminal, at full width with --wide or without COLUMNS,
// with MAC, vendor and site, the devices per vendor and site after it (the JSON document's
// summary.by_site and summary.by_vendor hold the same counts); and on a pseudo-terminal, fitted
// to the terminal's own width, with no row ever on the progress line's line.

#include "support/fleet_simulator.hpp"
#include "support/loopback.hpp"
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

using namespace fleetcert::testing;
using nlohmann::json;

namespace {

constexpr const char* k_port = "24443";
const std::string k_long_cn = "a-common-name-far-longer-than-thirty-two-columns.example.com";

// Eight devices: three Grandstream with their MAC as CN (one SHA1), one Gigaset, one with a long
// CN, and a run of three more Grandstream; the inventory adds sites and a device that never answers.
struct TerminalFleet
{
  json fleet;
  std::string inventory;

  explicit TerminalFleet(const LoopbackBlock& net)
  {
    auto device = [&](const std::string& last, const std::string& subject, const std::string& hash, const json& key) {
      return json{{"ip", net.address(last)},
                  {"ports", {{k_port, {{"subject", subject}, {"key", key}, {"hash", hash}, {"issuer", "self"}}}}}};
    };
    const json rsa = {{"type", "rsa"}, {"bits", 2048}};
    const json ec = {{"type", "ec"}};
    fleet["devices"] = json::array({
      device("0.1", "/CN=000B82000001", "sha256", rsa),
      device("0.2", "/CN=000B82000002", "sha1", rsa),
      device("0.3", "/CN=7C2F80000003", "sha256", ec),
      device("0.4", "/CN=" + k_long_cn, "sha256", ec),
    });
    fleet["groups"] = json::array({json{
      {"first_ip", net.address("1.1")},
      {"count", 3},
      {"mac_prefix", "000B82"},
      {"first_mac_suffix", "A1"},
      {"ports", {{k_port, {{"subject", "/CN={MAC}"}, {"key", ec}, {"issuer", "self"}}}}}}});
    inventory = "mac,ip,vendor,model,site\n"
                "000B82000001," + net.address("0.1") + ",Grandstream,GXP2170,berlin-hq\n"
                "000B82000002," + net.address("0.2") + ",Grandstream,GXP2170,berlin-hq\n"
                "7C2F80000003," + net.address("0.3") + ",Gigaset,N670,paris\n"
                "000B82000099," + net.address("0.9") + ",Grandstream,GXP2170,paris\n";
  }
};

std::vector<std::string> lines_of(const std::string& text)
{
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    start = end == std::string::npos ? text.size() : end + 1;
  }
  return lines;
}

// The endpoint rows: the header and the lines up to the first empty one.
std::vector<std::string> table_rows(const std::string& text)
{
  std::vector<std::string> rows;
  for (const std::string& line : lines_of(text)) {
    if (line.empty()) {
      break;
    }
    rows.push_back(line);
  }
  return rows;
}

// Display columns of ASCII and UTF-8 text (each code point one column: the fleet's text is ASCII
// but for "…").
std::size_t columns_of(const std::string& text)
{
  std::size_t columns = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++columns;
    }
  }
  return columns;
}

// The row whose endpoint is `ip`:port.
std::string row_of(const std::vector<std::string>& rows, const std::string& ip)
{
  const std::string endpoint = ip + ":" + k_port + " ";
  for (const std::string& row : rows) {
    if (row.rfind(endpoint, 0) == 0) {
      return row;
    }
  }
  FAIL("no row for " << ip);
  return {};
}

// The whitespace-separated words of a line.
std::vector<std::string> words_of(const std::string& line)
{
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < line.size()) {
    const std::size_t start = line.find_first_not_of(' ', i);
    if (start == std::string::npos) {
      break;
    }
    const std::size_t end = line.find(' ', start);
    words.push_back(line.substr(start, end == std::string::npos ? std::string::npos : end - start));
    i = end == std::string::npos ? line.size() : end;
  }
  return words;
}

// The "By site" / "By vendor" lines of the totals: name -> the counts after it.
std::map<std::string, std::vector<std::string>> group_lines(const std::string& text, const std::string& title)
{
  std::map<std::string, std::vector<std::string>> groups;
  const std::vector<std::string> lines = lines_of(text);
  bool inside = false;
  for (const std::string& line : lines) {
    if (line == title) {
      inside = true;
      continue;
    }
    if (inside) {
      if (line.rfind("  ", 0) != 0) {
        break;
      }
      std::vector<std::string> words = words_of(line);
      REQUIRE(words.size() == 9);
      const std::string name = words.front();
      words.erase(words.begin());
      groups[name] = words;
    }
  }
  return groups;
}

// The counts the table prints for a group of summary.by_site or by_vendor.
std::vector<std::string> expected_counts(const json& group)
{
  std::vector<std::string> counts = {std::to_string(group.at("devices").get<int>()),
                                     std::to_string(group.at("reachable").get<int>()),
                                     std::to_string(group.at("answering").get<int>())};
  for (const char* severity : {"critical", "high", "medium", "low", "info"}) {
    counts.push_back(std::to_string(group.at("devices_by_worst_severity").at(severity).get<int>()));
  }
  return counts;
}

// What a terminal shows of `bytes`: carriage returns move to the line's start, ESC [ K erases to
// its end, other escape sequences are dropped; one string per line.
std::vector<std::string> screen_lines(const std::string& bytes)
{
  std::vector<std::string> lines;
  std::string line;
  std::size_t cursor = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (c == '\r') {
      cursor = 0;
    } else if (c == '\n') {
      lines.push_back(line);
      line.clear();
      cursor = 0;
    } else if (c == '\033' && i + 1 < bytes.size() && bytes[i + 1] == '[') {
      std::size_t end = i + 2;
      while (end < bytes.size() && (bytes[end] < 0x40 || bytes[end] > 0x7E)) {
        ++end;
      }
      if (end < bytes.size() && bytes[end] == 'K') {
        line.resize(std::min(cursor, line.size()));
      }
      i = end;
    } else {
      if (cursor < line.size()) {
        line[cursor] = c;
      } else {
        line.push_back(c);
      }
      ++cursor;
    }
  }
  if (!line.empty()) {
    lines.push_back(line);
  }
  return lines;
}

struct TerminalRun
{
  int status = -1;
  std::string bytes; // everything written to the terminal, stdout and stderr together
};

// Runs argv with stdin, stdout and stderr on a new pseudo-terminal `columns` wide, and COLUMNS=200
// in its environment (which the terminal's own width must win over); reads all it writes.
TerminalRun run_on_terminal(const std::vector<std::string>& argv, unsigned short columns)
{
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (std::strncmp(*entry, "COLUMNS=", 8) != 0) {
      environment.emplace_back(*entry);
    }
  }
  environment.emplace_back("COLUMNS=200");
  std::vector<char*> env;
  for (std::string& entry : environment) {
    env.push_back(entry.data());
  }
  env.push_back(nullptr);
  std::vector<char*> args;
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);

  int master = -1;
  int slave = -1;
  winsize size{};
  size.ws_row = 50;
  size.ws_col = columns;
  REQUIRE(openpty(&master, &slave, nullptr, nullptr, &size) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    setsid();
    dup2(slave, STDIN_FILENO);
    dup2(slave, STDOUT_FILENO);
    dup2(slave, STDERR_FILENO);
    close(master);
    close(slave);
    execve(args[0], args.data(), env.data());
    _exit(127);
  }
  close(slave);
  TerminalRun run;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  char buffer[4096];
  while (std::chrono::steady_clock::now() < until) {
    pollfd fd{master, POLLIN, 0};
    if (poll(&fd, 1, 100) <= 0) {
      continue;
    }
    const ssize_t n = read(master, buffer, sizeof buffer);
    if (n <= 0) {
      break; // EIO: every descriptor of the terminal's other side is closed
    }
    run.bytes.append(buffer, static_cast<std::size_t>(n));
  }
  close(master);
  // The terminal's end comes as the process exits: give it a moment to be reaped.
  int status = 0;
  const auto reap_until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > reap_until) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return run;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

} // namespace

TEST_SUITE("integration.terminal")
{
  TEST_CASE("the table fits COLUMNS, prints every column with --wide, and ends with the devices per vendor and site")
  {
    const LoopbackBlock net;
    TempDir dir;
    const TerminalFleet setup(net);
    write_file(dir.file("inventory.csv"), setup.inventory);
    FleetSimulator sim(FLEET_SIM_BINARY, dir, setup.fleet);
    const std::vector<std::string> scan = {FLEETCERT_BINARY, "scan",  net.address("0.1-4"), net.address("1.1-3"),
                                           "--ports",        k_port,  "--timeout",          "3",
                                           "--inventory",    dir.file("inventory.csv"),     "--table"};
    auto with_columns = [&](const std::string& columns, std::initializer_list<std::string> extra) {
      std::vector<std::string> argv = {"/usr/bin/env"};
      argv.push_back(columns.empty() ? "-u" : "COLUMNS=" + columns);
      if (columns.empty()) {
        argv.push_back("COLUMNS");
      }
      argv.insert(argv.end(), scan.begin(), scan.end());
      argv.insert(argv.end(), extra.begin(), extra.end());
      return run_command(argv, std::chrono::seconds(60));
    };

    SUBCASE("COLUMNS=60: ENDPOINT, STATUS, VERDICT and VALIDITY, no line longer")
    {
      const CommandResult result = with_columns("60", {"--json", dir.file("scan.json")});
      INFO("stdout: " << result.out << "\nstderr: " << result.err);
      REQUIRE(result.status == 0);
      const std::vector<std::string> rows = table_rows(result.out);
      REQUIRE(rows.size() == 1 + 7 + 1); // header, seven devices, the inventory device that never answered
      CHECK(rows[0] == "ENDPOINT               STATUS       VERDICT   VALIDITY");
      for (const std::string& row : rows) {
        INFO(row);
        CHECK(columns_of(row) <= 60);
      }
      const std::string endpoint = net.address("0.2") + ":" + k_port;
      CHECK(row_of(rows, net.address("0.2"))
            == endpoint + std::string(21 + 2 - endpoint.size(), ' ') + "ok" + std::string(11 + 2 - 2, ' ') + "rejected  valid");
      CHECK(row_of(rows, net.address("0.9")).find("refused") != std::string::npos);
      CHECK(result.out.find('\033') == std::string::npos);

      // The devices per vendor and site, as the JSON document counts them.
      const json summary = json::parse(read_file(dir.file("scan.json"))).at("summary");
      const auto sites = group_lines(result.out, "By site");
      const auto vendors = group_lines(result.out, "By vendor");
      REQUIRE(sites.size() == summary.at("by_site").size());
      REQUIRE(vendors.size() == summary.at("by_vendor").size());
      for (const auto& [name, group] : summary.at("by_site").items()) {
        INFO(name);
        REQUIRE(sites.count(name) == 1);
        CHECK(sites.at(name) == expected_counts(group));
      }
      for (const auto& [name, group] : summary.at("by_vendor").items()) {
        INFO(name);
        REQUIRE(vendors.count(name) == 1);
        CHECK(vendors.at(name) == expected_counts(group));
      }
      // berlin-hq: .1 and .2 (SHA1: sha1-rejected, high); paris: .3 and .9 (never answered:
      // not-answering, medium); the run of three and the long CN have no site.
      CHECK(summary.at("by_site").at("berlin-hq").at("devices") == 2);
      CHECK(summary.at("by_site").at("berlin-hq").at("devices_by_worst_severity").at("high") >= 1);
      CHECK(summary.at("by_site").at("paris").at("devices") == 2);
      CHECK(summary.at("by_site").at("paris").at("reachable") == 1);
      CHECK(summary.at("by_site").at("paris").at("answering") == 1);
      CHECK(summary.at("by_site").at("(none)").at("devices") == 4);
      CHECK(summary.at("by_vendor").at("Gigaset").at("devices") == 1);
    }

    SUBCASE("--wide (and off a terminal, COLUMNS unset or not a number): every column, the long CN whole")
    {
      for (const std::string& columns : {std::string("60"), std::string(), std::string("80x")}) {
        const CommandResult result = columns == "60" ? with_columns(columns, {"--wide"}) : with_columns(columns, {});
        INFO("COLUMNS " << columns << " stdout: " << result.out << "\nstderr: " << result.err);
        REQUIRE(result.status == 0);
        const std::vector<std::string> rows = table_rows(result.out);
        REQUIRE(rows.size() == 9);
        CHECK(words_of(rows[0]) == std::vector<std::string>{"ENDPOINT", "STATUS", "SITE", "VENDOR", "MAC", "TLS",
                                                            "SIGNATURE", "VERDICT", "VALIDITY", "NOT", "AFTER",
                                                            "MODEL", "FIRMWARE", "CN"});
        const std::vector<std::string> first = words_of(row_of(rows, net.address("0.1")));
        REQUIRE(first.size() == 13);
        CHECK(first[1] == "ok");
        CHECK(first[2] == "berlin-hq");
        CHECK(first[3] == "Grandstream");
        CHECK(first[4] == "000B82000001");
        CHECK(first[6] == "RSA+SHA256");
        CHECK(first[10] == "GXP2170"); // the inventory's model; no firmware known
        CHECK(first[11] == "-");
        CHECK(first[12] == "000B82000001");
        const std::vector<std::string> sha1 = words_of(row_of(rows, net.address("0.2")));
        REQUIRE(sha1.size() == 13);
        CHECK(sha1[6] == "RSA+SHA1");
        CHECK(sha1[7] == "rejected");
        // Not in the inventory: the MAC from the CN, vendor from its prefix, no site.
        const std::vector<std::string> run = words_of(row_of(rows, net.address("1.1")));
        REQUIRE(run.size() == 13);
        CHECK(run[2] == "-");
        CHECK(run[4] == "000B820000A1");
        CHECK(row_of(rows, net.address("0.4")).find(k_long_cn) != std::string::npos);
        CHECK(result.out.find("\u2026") == std::string::npos);
      }
    }
  }

  TEST_CASE("on a terminal the table fits its width and no row lands on the progress line")
  {
    const LoopbackBlock net;
    TempDir dir;
    const TerminalFleet setup(net);
    write_file(dir.file("inventory.csv"), setup.inventory);
    FleetSimulator sim(FLEET_SIM_BINARY, dir, setup.fleet);
    // --rate 5: the eight endpoints take about 1.6 s, so the progress line (every 250 ms) shows
    // between rows.
    const TerminalRun run = run_on_terminal({FLEETCERT_BINARY, "scan", net.address("0.1-4"), net.address("1.1-3"),
                                             "--ports", k_port, "--timeout", "3", "--inventory",
                                             dir.file("inventory.csv"), "--rate", "5"},
                                            80);
    INFO("terminal bytes: " << json(run.bytes).dump());
    REQUIRE(run.status == 0);
    // The progress line was drawn before the last row was written: the test can fail.
    const std::size_t first_progress = run.bytes.find("endpoints, ");
    REQUIRE(first_progress != std::string::npos);
    REQUIRE(run.bytes.rfind(net.address("1.3") + ":" + k_port) > first_progress);

    const std::vector<std::string> screen = screen_lines(run.bytes);
    std::size_t rows = 0;
    for (const std::string& line : screen) {
      INFO(line);
      const bool progress = line.find("fleetcert: ") != std::string::npos && line.find(" in flight") != std::string::npos;
      const bool row = line.find(net.prefix() + ".") != std::string::npos;
      CHECK_FALSE((progress && row));
      CHECK_FALSE(progress); // cleared before the summary, and never left behind by a row
      CHECK(columns_of(line) <= 80);
      rows += row && line.find(k_port) != std::string::npos ? 1 : 0;
    }
    CHECK(rows == 8);
    // 80 columns (the terminal's, not COLUMNS=200): SITE and VENDOR shrunk, MAC and CN dropped.
    REQUIRE_FALSE(screen.empty());
    CHECK(words_of(screen[0]) == std::vector<std::string>{"ENDPOINT", "STATUS", "SITE", "VENDOR", "VERDICT", "VALIDITY"});
  }

  TEST_CASE("--wide without the table is a usage error, before any connection")
  {
    const LoopbackBlock net;
    TempDir dir;
    const CommandResult result = run_command({FLEETCERT_BINARY, "scan", net.address("0.1"), "--ports", k_port, "--json",
                                              dir.file("scan.json"), "--wide"},
                                             std::chrono::seconds(30));
    CHECK(result.status == 2);
    CHECK(result.err.find("--wide only applies to the table: add --table") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.file("scan.json")));
  }
}
