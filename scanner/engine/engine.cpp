// The scan engine.
//
//   thread 1: io_context ── worker ┐                                                ┌─> make_record ─┐
//             ...          worker ├─ EndpointCursor::take ─> RateLimiter slot ─> probe ┘                 ├─> deliver ─> on_record
//   thread N: io_context ── worker ┘   (mutex, lazy, per-device)   (shared, --rate)  └─ cursor.complete  (mutex)
//                            │
//                            └─ co_spawn completion: an exception ─> SharedScan::fail ─> every io_context stopped
//   calling thread: every 50 ms: `stop` set ─> every io_context stopped; every 250 ms: on_progress
//
// Each worker is a coroutine that takes the next endpoint, waits for its --rate slot, probes it
// within its own deadline and delivers the record (names were resolved before the scan: one that
// did not resolve, or resolved to an excluded address, gets its record at once, unprobed); `concurrency` workers in all bound the
// connections in flight, and the cursor never hands out more than `per_device` endpoints of one
// target at a time. Stopping a thread's loop abandons what is in flight there: the coroutines'
// frames (and their sockets) are destroyed with the loop, and give no record. That happens within
// 50 ms of `stop` (a signal), and at once when anything throws: a worker's exception reaches its
// completion handler, which keeps the first one for run_engine to return and stops every loop.

#include "scanner/engine/engine.hpp"

#include "scanner/engine/endpoint_cursor.hpp"
#include "scanner/assessment/audit.hpp"
#include "probes/identity_request.hpp"
#include "probes/rate_limiter.hpp"
#include "probes/tls_probe.hpp"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <typeinfo>

namespace fleetcert {
namespace {

constexpr std::chrono::milliseconds k_stop_poll{50};
constexpr std::chrono::milliseconds k_progress_interval{250};

// The message of an exception, never empty: its what(), else what kind of exception it was.
std::string describe(const std::exception_ptr& error)
{
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    return what.empty() ? std::string("an exception without a message (") + typeid(e).name() + ")" : what;
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

CursorSettings cursor_settings(const EngineSettings& settings)
{
  CursorSettings cursor;
  cursor.ports = settings.ports;
  cursor.per_device = settings.per_device;
  cursor.concurrency = settings.concurrency;
  if (settings.shuffle) {
    cursor.shuffle_seed = settings.seed;
  }
  cursor.shard = settings.shard;
  cursor.skip = settings.skip;
  return cursor;
}

// Everything the workers of all threads share.
struct SharedScan
{
  SharedScan(const TargetIndex& t, const EngineSettings& s, const RecordHandler& r, const std::atomic<bool>& st)
      : settings(s), on_record(r), stop(st), cursor(t, cursor_settings(s)), rate(s.rate)
  {
  }

  const EngineSettings& settings;
  const RecordHandler& on_record;
  const std::atomic<bool>& stop;
  EndpointCursor cursor;
  RateLimiter rate;
  ProbeContexts contexts;
  // One per network thread, all made before the first thread starts; declared after everything
  // their abandoned coroutines hold (contexts, leases), so destroyed first.
  std::vector<std::unique_ptr<asio::io_context>> loops;

  std::mutex deliver_mutex;
  std::mutex failure_mutex;
  std::optional<std::string> failure; // the first exception's message
  std::atomic<bool> failed{false};    // set with the first exception: no endpoint starts, no record is delivered

  std::atomic<std::uint64_t> started{0};
  std::atomic<std::uint64_t> completed{0};
  std::atomic<std::uint64_t> ok{0};
  std::atomic<std::uint64_t> skipped{0};

  // True once the scan is told to stop or has failed: start no endpoint.
  bool stopping() const { return stop.load(std::memory_order_relaxed) || failed.load(std::memory_order_relaxed); }

  // Stops every thread's loop: what is in flight is abandoned. Thread-safe.
  void stop_loops()
  {
    for (const auto& loop : loops) {
      loop->stop();
    }
  }

  // Keeps the first failure and stops the scan at once. Thread-safe.
  void fail(const std::exception_ptr& error)
  {
    {
      std::lock_guard lock(failure_mutex);
      if (!failure) {
        failure = describe(error);
      }
    }
    failed.store(true);
    stop_loops();
  }

  std::optional<std::string> failure_message()
  {
    std::lock_guard lock(failure_mutex);
    return failure;
  }

  // Hands a record to on_record, one at a time; none after a failure. Exceptions propagate.
  void deliver(const Record& record)
  {
    std::lock_guard lock(deliver_mutex);
    if (failed.load()) {
      return;
    }
    try {
      on_record(record);
    } catch (...) {
      failed.store(true); // before the lock is released: no other record reaches a broken handler
      throw;
    }
  }
};

// The observation of a target that is not connected to: a name that did not resolve, or one
// that resolved to an excluded address. Nothing was sent, so no SNI either.
Observation unprobed(const Target& target, std::uint16_t port)
{
  Observation observation;
  observation.endpoint = Endpoint{target.ip, port, target.host, {}};
  if (target.disposition == TargetDisposition::excluded) {
    observation.skipped = SkipReason::excluded;
    observation.skip_detail = target.detail;
  } else {
    observation.error = target.error;
    observation.error_stage = "resolve";
    observation.error_detail = target.detail;
  }
  return observation;
}

// The identity exchange for `endpoint` (--identify): SIP OPTIONS on a SIP port, HTTP GET / on a web
// port, none elsewhere.
std::optional<IdentityPlan> identity_plan(const Endpoint& endpoint, const EngineSettings& settings)
{
  const auto listed = [&](const std::vector<std::uint16_t>& ports) {
    return std::find(ports.begin(), ports.end(), endpoint.port) != ports.end();
  };
  std::optional<IdentityProtocol> protocol;
  if (listed(settings.identity_sip_ports)) {
    protocol = IdentityProtocol::sip;
  } else if (listed(settings.identity_http_ports)) {
    protocol = IdentityProtocol::http;
  }
  if (!protocol) {
    return std::nullopt;
  }
  return IdentityPlan{*protocol, identity_request(*protocol, endpoint), identity_complete(*protocol)};
}

// Probes one endpoint of a target to probe (an address; a name's was resolved before the scan).
asio::awaitable<Observation> observe(Target target, std::uint16_t port, SharedScan* scan)
{
  Endpoint endpoint{target.ip, port, target.host, scan->settings.sni};
  if (endpoint.sni.empty()) {
    endpoint.sni = target.host; // SNI for names, never for address literals
  }
  ProbeSettings probe{Clock::now() + scan->settings.timeout, scan->settings.connect_timeout,
                      scan->settings.legacy_retry, scan->settings.handshake_mode, &scan->rate,
                      scan->settings.legacy_retry, // --no-legacy-retry: no raw hellos either
                      identity_plan(endpoint, scan->settings)};
  if (scan->settings.probe) {
    co_return co_await scan->settings.probe(std::move(endpoint), &scan->contexts, probe);
  }
  co_return co_await probe_endpoint(std::move(endpoint), &scan->contexts, probe);
}

// Probes endpoints until there are none left or the scan stops. May throw (a probe that cannot
// allocate, a handler): its completion handler hands the exception to SharedScan::fail.
asio::awaitable<void> worker(SharedScan* scan)
{
  while (!scan->stopping()) {
    auto lease = scan->cursor.take();
    if (!lease) {
      break;
    }
    const Target& target = lease->device->target;
    Observation observation;
    if (target.disposition == TargetDisposition::probe) {
      // The endpoint's deadline starts once its connection may start.
      co_await wait_for_slot(&scan->rate, Clock::time_point::max());
      if (scan->stopping()) {
        break;
      }
      scan->started.fetch_add(1, std::memory_order_relaxed);
      observation = co_await observe(target, lease->port, scan);
    } else {
      scan->started.fetch_add(1, std::memory_order_relaxed);
      observation = unprobed(target, lease->port);
    }
    scan->cursor.complete(*lease);
    if (observation.skipped != SkipReason::none) {
      scan->skipped.fetch_add(1, std::memory_order_relaxed);
    }
    Record record = make_record(std::move(observation), scan->settings.assessment);
    if (scan->settings.prepare) {
      scan->settings.prepare(record);
    }
    if (record.ok()) {
      scan->ok.fetch_add(1, std::memory_order_relaxed);
    }
    scan->deliver(record);
    scan->completed.fetch_add(1, std::memory_order_relaxed);
  }
}

// One network thread: its workers on its own loop, until they are done or the loop is stopped.
void run_thread(SharedScan* scan, asio::io_context* loop, unsigned workers)
{
  try {
    for (unsigned i = 0; i < workers; ++i) {
      asio::co_spawn(*loop, worker(scan), [scan](const std::exception_ptr& error) {
        if (error) {
          scan->fail(error);
        }
      });
    }
    loop->run();
  } catch (...) {
    scan->fail(std::current_exception());
  }
}

EngineProgress snapshot(const SharedScan& scan)
{
  return EngineProgress{scan.started.load(), scan.completed.load(), scan.ok.load(), scan.skipped.load(),
                        scan.cursor.resumed()};
}

} // namespace

unsigned effective_threads(unsigned threads, unsigned concurrency)
{
  const unsigned wanted = threads != 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
  return std::max(1u, std::min(wanted, concurrency));
}

std::uint64_t reserved_descriptors(unsigned threads)
{
  return 64 + 4 * static_cast<std::uint64_t>(threads);
}

DescriptorPlan plan_descriptors(unsigned concurrency, unsigned threads, std::uint64_t soft_limit,
                                std::uint64_t hard_limit)
{
  const std::uint64_t reserved = reserved_descriptors(threads);
  const std::uint64_t needed = reserved + concurrency;
  DescriptorPlan plan{soft_limit, concurrency, false, false};
  if (soft_limit >= needed) {
    return plan;
  }
  hard_limit = std::max(hard_limit, soft_limit);
  plan.soft_limit = std::min(hard_limit, needed);
  plan.raise = plan.soft_limit > soft_limit;
  if (plan.soft_limit < needed) {
    plan.lowered = true;
    plan.concurrency = static_cast<unsigned>(plan.soft_limit > reserved ? plan.soft_limit - reserved : 1);
  }
  return plan;
}

EngineResult run_engine(const TargetIndex& targets, const EngineSettings& settings, const RecordHandler& on_record,
                        const ProgressHandler& on_progress, const std::atomic<bool>& stop)
{
  std::optional<SharedScan> scan;
  const unsigned concurrency = std::max(1u, settings.concurrency);
  const unsigned threads = effective_threads(settings.threads, concurrency);
  try {
    scan.emplace(targets, settings, on_record, stop);
    for (unsigned t = 0; t < threads; ++t) {
      scan->loops.push_back(std::make_unique<asio::io_context>(1));
    }
  } catch (...) {
    return EngineResult{EngineProgress{}, describe(std::current_exception())};
  }

  std::mutex done_mutex;
  std::condition_variable done_cv;
  unsigned running = 0;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    const unsigned workers = concurrency / threads + (t < concurrency % threads ? 1 : 0);
    asio::io_context* loop = scan->loops[t].get();
    {
      std::lock_guard lock(done_mutex);
      ++running;
    }
    try {
      pool.emplace_back([&, loop, workers] {
        run_thread(&*scan, loop, workers);
        std::lock_guard lock(done_mutex);
        --running;
        done_cv.notify_all();
      });
    } catch (...) {
      {
        std::lock_guard lock(done_mutex);
        --running;
      }
      scan->fail(std::current_exception()); // the threads already started stop at once
      break;
    }
  }

  // Until every thread is done: pass a stop on to the loops, report progress.
  bool stop_passed = false;
  auto last_progress = Clock::now();
  {
    std::unique_lock lock(done_mutex);
    while (!done_cv.wait_for(lock, k_stop_poll, [&] { return running == 0; })) {
      lock.unlock();
      if (!stop_passed && stop.load()) {
        scan->stop_loops();
        stop_passed = true;
      }
      if (on_progress && Clock::now() - last_progress >= k_progress_interval) {
        last_progress = Clock::now();
        try {
          on_progress(snapshot(*scan));
        } catch (...) {
          scan->fail(std::current_exception());
        }
      }
      lock.lock();
    }
  }
  for (auto& thread : pool) {
    thread.join();
  }
  scan->loops.clear(); // abandons what a stop left in flight
  return EngineResult{snapshot(*scan), scan->failure_message()};
}

} // namespace fleetcert
