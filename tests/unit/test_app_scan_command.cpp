// Tests for scanner/app/scan_command: a scan that fails while running (an exception in the
// engine) exits 3 with one line naming the cause, and still writes every report, holding the
// endpoints that completed and marked as failed. The failure comes in through run_scan's engine
// seam: a probe that throws on the 5th endpoint, the real probe for the others. The targets are
// a loopback block of its own (tests/support/loopback), on a port this test holds bound and does not listen on (refused at once).

#include "scanner/app/scan_command.hpp"
#include "scanner/engine/engine.hpp"

#include "support/csv_parse.hpp"
#include "support/process.hpp"
#include "support/prometheus_parse.hpp"

#include "support/loopback.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace fleetcert;
using namespace fleetcert::testing;
using nlohmann::json;

namespace {

// Sends this process's stderr to a file while it lives.
class StderrCapture
{
public:
  explicit StderrCapture(const std::string& path) : m_path(path)
  {
    std::fflush(stderr);
    m_saved = ::dup(STDERR_FILENO);
    const int file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(m_saved >= 0);
    REQUIRE(file >= 0);
    ::dup2(file, STDERR_FILENO);
    ::close(file);
  }
  ~StderrCapture() { restore(); }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  // Restores stderr and returns what was written meanwhile.
  std::string text()
  {
    restore();
    return read_file(m_path);
  }

private:
  void restore()
  {
    if (m_saved >= 0) {
      std::fflush(stderr);
      ::dup2(m_saved, STDERR_FILENO);
      ::close(m_saved);
      m_saved = -1;
    }
  }

  std::string m_path;
  int m_saved = -1;
};

asio::awaitable<Observation> probe_or_throw(Endpoint endpoint, const ProbeContexts* contexts, ProbeSettings settings,
                                            bool fail)
{
  if (fail) {
    throw std::runtime_error("SSL_new failed: out of memory (injected for " + endpoint.ip + ")");
  }
  co_return co_await probe_endpoint(std::move(endpoint), contexts, settings);
}

// The engine seam: the 5th endpoint throws, every other one is probed for real.
void fail_fifth_endpoint(EngineSettings& settings)
{
  auto calls = std::make_shared<std::atomic<unsigned>>(0);
  settings.probe = [calls](Endpoint endpoint, const ProbeContexts* contexts, ProbeSettings probe) {
    return probe_or_throw(std::move(endpoint), contexts, probe, ++*calls == 5);
  };
}

std::vector<std::string> lines_of(const std::string& text)
{
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

ScanOptions options_for(const TempDir& dir, const LoopbackPort& refused, const std::string& first, const std::string& last)
{
  ScanOptions options;
  options.targets = {first + "-" + last};
  options.ports = std::to_string(refused.port());
  options.concurrency = 1; // one endpoint at a time, in order: the first four complete
  options.threads = 1;
  options.timeout_s = 5;
  options.no_legacy_retry = true;
  options.json_path = dir.file("scan.json");
  options.jsonl_path = dir.file("scan.jsonl");
  options.csv_path = dir.file("scan.csv");
  options.csv_devices_path = dir.file("devices.csv");
  options.prometheus_path = dir.file("scan.prom");
  options.quiet = true;
  options.no_progress = true;
  return options;
}

} // namespace

TEST_SUITE("app.scan_command")
{
  TEST_CASE("an exception in the engine: exit 3, one line naming the cause, every report written and marked failed")
  {
    const LoopbackBlock block;
    TempDir dir;
    const LoopbackPort refused(block.address("0.1"), false);
    const ScanOptions options = options_for(dir, refused, block.address("0.1"), block.address("0.12"));
    int status = -1;
    std::string err;
    {
      StderrCapture capture(dir.file("stderr.txt"));
      status = run_scan(options, fail_fifth_endpoint);
      err = capture.text();
    }
    const std::string cause = "SSL_new failed: out of memory (injected for " + block.address("0.5") + ")";
    CHECK(status == 3);
    CHECK(lines_of(err) == std::vector<std::string>{"fleetcert: scan failed: " + cause});

    std::vector<std::string> done; // the endpoints before the failing one
    for (int i = 1; i <= 4; ++i) {
      done.push_back(block.address("0.") + std::to_string(i));
    }

    const json report = json::parse(read_file(options.json_path));
    const json& scan = report.at("scan");
    CHECK(scan.at("failed") == true);
    CHECK(scan.at("failure") == cause);
    CHECK(scan.at("interrupted") == true); // stopped before every planned endpoint was probed
    CHECK(scan.at("endpoints_planned") == 12);
    CHECK(scan.at("endpoints_done") == 4);
    REQUIRE(report.at("records").size() == 4);
    for (std::size_t i = 0; i < 4; ++i) {
      CHECK(report.at("records").at(i).at("target").at("ip") == done[i]);
      CHECK(report.at("records").at(i).at("error").at("class") == "refused");
    }
    CHECK(report.at("summary").at("endpoints") == 4);
    CHECK(report.contains("devices")); // the device view of what completed (refused devices are no devices)

    const std::vector<std::string> jsonl = lines_of(read_file(options.jsonl_path));
    REQUIRE(jsonl.size() == 4);
    for (std::size_t i = 0; i < 4; ++i) {
      CHECK(json::parse(jsonl[i]).at("target").at("ip") == done[i]);
    }

    CsvRows rows;
    REQUIRE(parse_csv_strict(read_file(options.csv_path), rows));
    REQUIRE(rows.size() == 5); // header + the four records
    for (std::size_t i = 0; i < 4; ++i) {
      CHECK(rows[i + 1].at(0) == done[i]);
    }
    CsvRows devices;
    REQUIRE(parse_csv_strict(read_file(options.csv_devices_path), devices));
    CHECK(devices.size() == 1); // written and renamed into place: the header, no device answered

    const Exposition metrics = parse_exposition(read_file(options.prometheus_path));
    CHECK(metrics.value("fleetcert_scan_failed") == 1);
    CHECK(metrics.value("fleetcert_scan_interrupted") == 1);
    CHECK(metrics.value("fleetcert_scan_endpoints") == 4);
  }

  TEST_CASE("the same scan without the failure: exit 0, nothing on stderr, reports not marked")
  {
    const LoopbackBlock block;
    TempDir dir;
    const LoopbackPort refused(block.address("1.1"), false);
    ScanOptions options = options_for(dir, refused, block.address("1.1"), block.address("1.12"));
    int status = -1;
    std::string err;
    {
      StderrCapture capture(dir.file("stderr.txt"));
      status = run_scan(options, nullptr);
      err = capture.text();
    }
    CHECK(status == 0);
    CHECK(err.empty());
    const json report = json::parse(read_file(options.json_path));
    CHECK(report.at("scan").at("failed") == false);
    CHECK_FALSE(report.at("scan").contains("failure"));
    CHECK(report.at("scan").at("interrupted") == false);
    CHECK(report.at("records").size() == 12);
    CHECK(lines_of(read_file(options.jsonl_path)).size() == 12);
    CHECK(parse_exposition(read_file(options.prometheus_path)).value("fleetcert_scan_failed") == 0);
  }

  TEST_CASE("a failure also reaches the terminal table, escaped")
  {
    const LoopbackBlock block;
    TempDir dir;
    const LoopbackPort refused(block.address("2.1"), false);
    ScanOptions options;
    options.targets = {block.address("2.1") + "-" + block.address("2.6")};
    options.ports = std::to_string(refused.port());
    options.concurrency = 1;
    options.threads = 1;
    options.no_legacy_retry = true;
    options.no_progress = true;
    auto escape_in_cause = [](EngineSettings& settings) {
      settings.probe = [](Endpoint, const ProbeContexts*, ProbeSettings) -> asio::awaitable<Observation> {
        throw std::runtime_error("bad \x1b[31mthing");
      };
    };
    // The table goes to stdout: send it to a file for the duration.
    std::fflush(stdout);
    std::cout.flush();
    const int saved = ::dup(STDOUT_FILENO);
    const int file = ::open(dir.file("stdout.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(saved >= 0);
    REQUIRE(file >= 0);
    ::dup2(file, STDOUT_FILENO);
    ::close(file);
    int status = -1;
    std::string err;
    {
      StderrCapture capture(dir.file("stderr.txt"));
      status = run_scan(options, escape_in_cause);
      err = capture.text();
    }
    std::cout.flush();
    std::fflush(stdout);
    ::dup2(saved, STDOUT_FILENO);
    ::close(saved);
    const std::string out = read_file(dir.file("stdout.txt"));
    CHECK(status == 3);
    CHECK(err.find('\x1b') == std::string::npos);
    CHECK(lines_of(err).size() == 1);
    CHECK(out.find("FAILED: bad ") != std::string::npos);
    CHECK(out.find('\x1b') == std::string::npos);
    CHECK(out.find("0 of 6 planned endpoints done") != std::string::npos);
  }
}
