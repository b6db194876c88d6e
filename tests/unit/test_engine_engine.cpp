// Tests for scanner/engine/engine: its pure decisions (fitting the concurrency under
// RLIMIT_NOFILE), and run_engine against sockets this test opens on a loopback block of its own (tests/support/loopback): silent
// listeners (the kernel accepts, nobody answers: a device that holds the connection until the
// deadline) and bound ports nobody listens on (refused at once). A failure is injected through
// EngineSettings::probe, which wraps the real probe_endpoint and throws on the Nth endpoint.

#include "scanner/engine/engine.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "support/loopback.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace fleetcert;

namespace {

using namespace std::chrono_literals;

TargetSet targets_of(const std::string& text)
{
  auto spec = parse_target_spec(text);
  REQUIRE(spec.ok());
  TargetSet set;
  set.add(*spec);
  return set;
}

std::string endpoint_id(const std::string& ip, std::uint16_t port)
{
  return ip + ":" + std::to_string(port);
}

// What the injected probe saw, from every network thread.
struct ProbeLog
{
  std::mutex mutex;
  unsigned calls = 0;
  std::vector<std::string> started;  // endpoints, in the order their probes started
  std::set<std::string> finished;    // endpoints whose real probe returned
  std::string failing;               // the endpoint that threw
};

// The Nth endpoint (1-based) throws `what` after `delay`; every other one is probed for real.
asio::awaitable<Observation> probe_or_throw(Endpoint endpoint, const ProbeContexts* contexts, ProbeSettings settings,
                                            std::shared_ptr<ProbeLog> log, bool fail, std::string what,
                                            std::chrono::milliseconds delay, std::chrono::milliseconds wait_before = 0ms)
{
  const std::string id = endpoint_id(endpoint.ip, endpoint.port);
  if (!fail && wait_before > 0ms) {
    asio::steady_timer timer(co_await asio::this_coro::executor, wait_before);
    co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  }
  if (fail) {
    if (delay > 0ms) {
      asio::steady_timer timer(co_await asio::this_coro::executor, delay);
      co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    }
    throw std::runtime_error(what);
  }
  Observation observation = co_await probe_endpoint(std::move(endpoint), contexts, settings);
  std::lock_guard lock(log->mutex);
  log->finished.insert(id);
  co_return observation;
}

// A probe whose `fail_at`-th call throws `what` (after `delay`); the calls after it wait `later_delay`
// before probing, so that a test can tell "stopped soon after the failure" from "ran to the end"
// without racing the other threads' fast probes.
EndpointProbe failing_probe(std::shared_ptr<ProbeLog> log, unsigned fail_at, std::string what,
                            std::chrono::milliseconds delay = 0ms, std::chrono::milliseconds later_delay = 0ms)
{
  return [log, fail_at, what, delay, later_delay](Endpoint endpoint, const ProbeContexts* contexts, ProbeSettings settings) {
    bool fail = false;
    bool later = false;
    {
      std::lock_guard lock(log->mutex);
      const std::string id = endpoint_id(endpoint.ip, endpoint.port);
      log->started.push_back(id);
      fail = ++log->calls == fail_at;
      later = log->calls > fail_at;
      if (fail) {
        log->failing = id;
      }
    }
    return probe_or_throw(std::move(endpoint), contexts, settings, log, fail, what, delay, later ? later_delay : 0ms);
  };
}

struct Run
{
  EngineResult result;
  std::vector<std::string> records; // endpoints, in delivery order
  std::map<std::string, std::string> error_classes;
  double seconds = 0;
  bool ended_by_itself = true; // false: it had to be stopped by the watchdog
};

// Runs the engine on its own thread; when it has not ended after `limit`, sets `stop` (then it
// must end within moments) and says so. `on_record` sees each record after it is logged.
Run run_bounded(const TargetSet& targets, const EngineSettings& settings, std::chrono::milliseconds limit,
                const std::function<void(const Record&)>& on_record = {}, const ProgressHandler& on_progress = {},
                std::atomic<bool>* external_stop = nullptr)
{
  Run run;
  std::atomic<bool> own_stop{false};
  std::atomic<bool>& stop = external_stop != nullptr ? *external_stop : own_stop;
  const auto start = std::chrono::steady_clock::now();
  auto future = std::async(std::launch::async, [&] {
    return run_engine(
        TargetIndex(targets), settings,
        [&](const Record& record) {
          const std::string id = endpoint_id(record.observation.endpoint.ip, record.observation.endpoint.port);
          run.records.push_back(id);
          run.error_classes[id] = std::string(to_string(record.observation.error));
          if (on_record) {
            on_record(record);
          }
        },
        on_progress, stop);
  });
  if (future.wait_for(limit) != std::future_status::ready) {
    run.ended_by_itself = false;
    stop = true;
  }
  run.result = future.get();
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return run;
}

EngineSettings settings_for(std::vector<std::uint16_t> ports, unsigned concurrency, unsigned threads)
{
  EngineSettings settings;
  settings.ports = std::move(ports);
  settings.concurrency = concurrency;
  settings.threads = threads;
  settings.per_device = 65536;
  settings.timeout = 30s; // silent endpoints would hold a worker this long
  settings.legacy_retry = false;
  return settings;
}

} // namespace

TEST_SUITE("engine.engine")
{
  TEST_CASE("plan_descriptors: keep, raise up to the hard limit, or lower the concurrency")
  {
    const std::uint64_t reserved = reserved_descriptors(2);
    CHECK(reserved >= 64);
    SUBCASE("the soft limit is enough: nothing changes")
    {
      const DescriptorPlan plan = plan_descriptors(256, 2, 1024, 4096);
      CHECK(plan.soft_limit == 1024);
      CHECK(plan.concurrency == 256);
      CHECK_FALSE(plan.raise);
      CHECK_FALSE(plan.lowered);
    }
    SUBCASE("the soft limit is too low, the hard limit is enough: raise the soft limit to what is needed")
    {
      const DescriptorPlan plan = plan_descriptors(4096, 2, 1024, 524288);
      CHECK(plan.raise);
      CHECK(plan.soft_limit == 4096 + reserved);
      CHECK(plan.concurrency == 4096);
      CHECK_FALSE(plan.lowered);
    }
    SUBCASE("an unlimited hard limit")
    {
      const DescriptorPlan plan = plan_descriptors(4096, 2, 1024, std::numeric_limits<std::uint64_t>::max());
      CHECK(plan.raise);
      CHECK(plan.soft_limit == 4096 + reserved);
      CHECK_FALSE(plan.lowered);
    }
    SUBCASE("even the hard limit is too low: raise to it and lower the concurrency to what fits")
    {
      const DescriptorPlan plan = plan_descriptors(4096, 2, 1024, 2048);
      CHECK(plan.raise);
      CHECK(plan.soft_limit == 2048);
      CHECK(plan.lowered);
      CHECK(plan.concurrency == 2048 - reserved);
    }
    SUBCASE("soft already at the hard limit: lower without raising")
    {
      const DescriptorPlan plan = plan_descriptors(4096, 2, 1024, 1024);
      CHECK_FALSE(plan.raise);
      CHECK(plan.lowered);
      CHECK(plan.concurrency == 1024 - reserved);
    }
    SUBCASE("a limit below the reserve still scans, one connection at a time")
    {
      const DescriptorPlan plan = plan_descriptors(100, 2, 20, 30);
      CHECK(plan.lowered);
      CHECK(plan.concurrency == 1);
    }
    SUBCASE("more threads reserve more")
    {
      CHECK(reserved_descriptors(16) > reserved_descriptors(2));
      CHECK(plan_descriptors(1000, 16, 1000 + reserved_descriptors(2), 1000 + reserved_descriptors(2)).lowered);
    }
  }

  TEST_CASE("effective_threads: never more than the concurrency, at least one")
  {
    CHECK(effective_threads(8, 4) == 4);
    CHECK(effective_threads(2, 100) == 2);
    CHECK(effective_threads(0, 1) == 1);
    CHECK(effective_threads(0, 100000) >= 1);
  }

  TEST_CASE("run_engine without a failure: every endpoint recorded once")
  {
    const testing::LoopbackBlock block;
    const testing::LoopbackPort refused(block.address("0.1"), false);
    const TargetSet targets = targets_of(block.address("0.1") + "-" + block.address("0.20"));
    EngineSettings settings = settings_for({refused.port()}, 4, 2);
    const Run run = run_bounded(targets, settings, 20s);
    REQUIRE(run.ended_by_itself);
    CHECK_FALSE(run.result.failure);
    CHECK(run.records.size() == 20);
    CHECK(std::set<std::string>(run.records.begin(), run.records.end()).size() == 20);
    for (const auto& [id, error_class] : run.error_classes) {
      CAPTURE(id);
      CHECK(error_class == "refused");
    }
    CHECK(run.result.progress.started == 20);
    CHECK(run.result.progress.completed == 20);
  }

  TEST_CASE("prepare completes every record on the network threads before it is delivered")
  {
    const testing::LoopbackBlock block;
    const testing::LoopbackPort refused(block.address("0.1"), false);
    const TargetSet targets = targets_of(block.address("0.1") + "-" + block.address("0.20"));
    EngineSettings settings = settings_for({refused.port()}, 4, 2);
    std::mutex mutex;
    std::set<std::thread::id> preparing_threads;
    settings.prepare = [&](Record& record) {
      record.rendered_json = "prepared " + endpoint_id(record.observation.endpoint.ip, record.observation.endpoint.port);
      std::lock_guard lock(mutex);
      preparing_threads.insert(std::this_thread::get_id());
    };
    std::vector<std::string> seen;
    const Run run = run_bounded(targets, settings, 20s, [&](const Record& record) { seen.push_back(record.rendered_json); });
    REQUIRE(run.ended_by_itself);
    CHECK_FALSE(run.result.failure);
    REQUIRE(seen.size() == 20);
    for (std::size_t i = 0; i < seen.size(); ++i) {
      CHECK(seen[i] == "prepared " + run.records[i]); // each record carries what prepare made of it
    }
    CHECK(preparing_threads.count(std::this_thread::get_id()) == 0); // not the caller's thread
  }

  TEST_CASE("a probe that throws ends the scan at once: in-flight endpoints abandoned, none started after, the cause returned")
  {
    const testing::LoopbackBlock block;
    // One silent device with 12 ports: every endpoint holds its worker until its 30 s deadline.
    std::vector<std::unique_ptr<testing::LoopbackPort>> silent;
    std::vector<std::uint16_t> ports;
    for (int i = 0; i < 12; ++i) {
      silent.push_back(std::make_unique<testing::LoopbackPort>(block.address("1.1"), true));
      ports.push_back(silent.back()->port());
    }
    const TargetSet targets = targets_of(block.address("1.1"));
    for (const unsigned threads : {1u, 3u}) {
      CAPTURE(threads);
      auto log = std::make_shared<ProbeLog>();
      EngineSettings settings = settings_for(ports, 6, threads);
      // The 3rd endpoint fails once all six are in flight, as SSL_new would under memory pressure.
      settings.probe = failing_probe(log, 3, "SSL_new: out of memory (injected)", 200ms);
      const Run run = run_bounded(targets, settings, 10s);
      CHECK(run.ended_by_itself);
      CHECK(run.seconds < 3.0); // not the 30 s deadline of the silent endpoints
      REQUIRE(run.result.failure);
      CHECK(*run.result.failure == "SSL_new: out of memory (injected)");
      CHECK(run.records.empty()); // the other five were abandoned in flight
      std::lock_guard lock(log->mutex);
      CHECK(log->calls == 6);     // no endpoint started after the failure
      CHECK(log->finished.empty());
      CHECK(run.result.progress.started == 6);
      CHECK(run.result.progress.completed == 0);
    }
  }

  TEST_CASE("a probe that throws: the endpoints done before it are recorded, every other one is abandoned")
  {
    const testing::LoopbackBlock block;
    const testing::LoopbackPort refused(block.address("2.1"), false);
    const TargetSet targets = targets_of(block.address("2.1") + "-" + block.address("2.30"));
    SUBCASE("one worker: exactly the endpoints before the failing one")
    {
      auto log = std::make_shared<ProbeLog>();
      EngineSettings settings = settings_for({refused.port()}, 1, 1);
      settings.probe = failing_probe(log, 10, "ssl::stream: SSL_new failed (injected)");
      const Run run = run_bounded(targets, settings, 10s);
      REQUIRE(run.ended_by_itself);
      REQUIRE(run.result.failure);
      CHECK(*run.result.failure == "ssl::stream: SSL_new failed (injected)");
      std::vector<std::string> first_nine;
      for (int i = 1; i <= 9; ++i) {
        first_nine.push_back(endpoint_id(block.address("2.") + std::to_string(i), refused.port()));
      }
      CHECK(run.records == first_nine);
      std::lock_guard lock(log->mutex);
      CHECK(log->calls == 10);
      CHECK(log->failing == endpoint_id(block.address("2.10"), refused.port()));
    }
    SUBCASE("several threads: recorded at most once, only probes that returned, never the failing one")
    {
      for (const unsigned fail_at : {1u, 7u, 25u}) {
        CAPTURE(fail_at);
        auto log = std::make_shared<ProbeLog>();
        EngineSettings settings = settings_for({refused.port()}, 4, 2);
        // The probes after the failing one take 100 ms: the 4 workers cannot run through the last
        // endpoints in the moment between the throw and the scan's stop (a busy machine once let them).
        settings.probe = failing_probe(log, fail_at, "injected failure " + std::to_string(fail_at), 0ms, 100ms);
        const Run run = run_bounded(targets, settings, 10s);
        REQUIRE(run.ended_by_itself);
        REQUIRE(run.result.failure);
        CHECK(*run.result.failure == "injected failure " + std::to_string(fail_at));
        const std::set<std::string> recorded(run.records.begin(), run.records.end());
        CHECK(recorded.size() == run.records.size());
        std::lock_guard lock(log->mutex);
        CHECK(recorded.count(log->failing) == 0);
        for (const std::string& id : recorded) {
          CAPTURE(id);
          CHECK(log->finished.count(id) == 1);
        }
        CHECK(run.records.size() < 30);
        CHECK(log->calls < 30); // the scan stopped before the end
      }
    }
  }

  TEST_CASE("a record handler that throws stops the scan, is returned, and gets no record after it")
  {
    const testing::LoopbackBlock block;
    const testing::LoopbackPort refused(block.address("3.1"), false);
    const TargetSet targets = targets_of(block.address("3.1") + "-" + block.address("3.40"));
    EngineSettings settings = settings_for({refused.port()}, 4, 2);
    unsigned calls = 0; // the engine never calls the handler concurrently
    const Run run = run_bounded(targets, settings, 10s, [&calls](const Record&) {
      if (++calls == 5) {
        throw std::runtime_error("cannot write 'scan.json': No space left on device (injected)");
      }
    });
    REQUIRE(run.ended_by_itself);
    REQUIRE(run.result.failure);
    CHECK(*run.result.failure == "cannot write 'scan.json': No space left on device (injected)");
    CHECK(calls == 5);
    CHECK(run.records.size() == 5);
    CHECK(run.result.progress.started < 40);
  }

  TEST_CASE("a progress handler that throws stops the scan too, in-flight endpoints abandoned")
  {
    const testing::LoopbackBlock block;
    const testing::LoopbackPort silent(block.address("4.1"), true);
    const TargetSet targets = targets_of(block.address("4.1"));
    EngineSettings settings = settings_for({silent.port()}, 1, 1);
    int calls = 0;
    const Run run = run_bounded(targets, settings, 10s, {}, [&calls](const EngineProgress&) {
      ++calls;
      throw std::logic_error("");
    });
    CHECK(run.ended_by_itself);
    CHECK(run.seconds < 3.0);
    REQUIRE(run.result.failure);
    CHECK(doctest::String(run.result.failure->c_str()) == doctest::Contains("an exception without a message"));
    CHECK(calls == 1);
    CHECK(run.records.empty());
  }

  TEST_CASE("an exception that is not a std::exception is reported as such")
  {
    const testing::LoopbackBlock block;
    const testing::LoopbackPort refused(block.address("5.1"), false);
    EngineSettings settings = settings_for({refused.port()}, 2, 1);
    settings.probe = [](Endpoint, const ProbeContexts*, ProbeSettings) -> asio::awaitable<Observation> {
      throw 42; // before any awaitable exists: the probe function itself throws
    };
    const Run run = run_bounded(targets_of(block.address("5.1") + "-" + block.address("5.4")), settings, 10s);
    REQUIRE(run.ended_by_itself);
    REQUIRE(run.result.failure);
    CHECK(*run.result.failure == "an exception that is not a std::exception");
    CHECK(run.records.empty());
  }

  TEST_CASE("stop (a signal) abandons what is in flight within moments, without a failure")
  {
    const testing::LoopbackBlock block;
    const testing::LoopbackPort silent(block.address("6.1"), true);
    const TargetSet targets = targets_of(block.address("6.1") + "-" + block.address("6.8"));
    EngineSettings settings = settings_for({silent.port()}, 8, 2);
    std::atomic<bool> stop{false};
    std::thread signaller([&stop] {
      std::this_thread::sleep_for(300ms);
      stop = true;
    });
    const Run run = run_bounded(targets, settings, 10s, {}, {}, &stop);
    signaller.join();
    CHECK(run.seconds < 2.0);
    CHECK_FALSE(run.result.failure);
    CHECK(run.result.progress.started == 8);
  }
}
