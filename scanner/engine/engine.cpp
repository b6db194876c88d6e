// The scan engine.
//
//   thread 1: io_context ── worker ┐                                               ┌─> make_record ─┐
//             ...          worker ├─ EndpointCursor::take ─> RateLimiter slot ─> probe ┘                 ├─> deliver ─> sinks
//   thread N: io_context ── worker ┘   (mutex, lazy, per-device)  (shared, --rate)   └─ cursor.complete   (mutex)
//
// Each worker is a coroutine that takes the next endpoint, waits for its --rate slot, probes it
// within its own deadline and delivers the record; `concurrency` workers in all bound the
// connections in flight, and the cursor never hands out more than `per_device` endpoints of one
// target at a time. The calling thread
// reports progress until every thread has finished. Once `stop` is set, no endpoint is started and
// each thread's loop is stopped within 100 ms, abandoning what is in flight.

#include "scanner/engine/engine.hpp"

#include "scanner/engine/endpoint_cursor.hpp"
#include "scanner/assessment/audit.hpp"
#include "probes/rate_limiter.hpp"
#include "probes/tls_probe.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace fleetcert {
namespace {

CursorSettings cursor_settings(const EngineSettings& settings)
{
  CursorSettings cursor;
  cursor.ports = settings.ports;
  cursor.per_device = settings.per_device;
  cursor.concurrency = settings.concurrency;
  if (settings.shuffle) {
    cursor.shuffle_seed = settings.seed;
  }
  cursor.skip = settings.skip;
  return cursor;
}

// Everything the workers of all threads share.
struct SharedScan
{
  SharedScan(const TargetSet& t, const EngineSettings& s, const RecordHandler& r, const std::atomic<bool>& st)
      : targets(t), settings(s), on_record(r), stop(st), cursor(t, cursor_settings(s)), rate(s.rate)
  {
  }

  const TargetSet& targets;
  const EngineSettings& settings;
  const RecordHandler& on_record;
  const std::atomic<bool>& stop;
  EndpointCursor cursor;
  RateLimiter rate;
  ProbeContexts contexts;

  std::mutex deliver_mutex;
  std::exception_ptr failure; // first exception from a handler; stops the scan
  std::atomic<bool> failed{false};

  std::atomic<std::uint64_t> started{0};
  std::atomic<std::uint64_t> completed{0};
  std::atomic<std::uint64_t> ok{0};
  std::atomic<std::uint64_t> skipped{0};

  void deliver(const Record& record)
  {
    std::lock_guard lock(deliver_mutex);
    if (failed) {
      return;
    }
    try {
      on_record(record);
    } catch (...) {
      failure = std::current_exception();
      failed = true;
    }
  }
};

// Resolves a hostname (when the target is one), then probes; `nullopt` when it must be skipped.
asio::awaitable<std::optional<Observation>> observe(Target target, std::uint16_t port, SharedScan* scan)
{
  const auto deadline = Clock::now() + scan->settings.timeout;
  Endpoint endpoint{target.ip, port, target.host, scan->settings.sni};
  if (endpoint.sni.empty()) {
    endpoint.sni = target.host; // SNI for names, never for address literals
  }
  if (endpoint.ip.empty()) {
    Resolution resolution = co_await resolve_host(target.host, deadline);
    if (resolution.error != ErrorClass::none) {
      Observation failed;
      failed.endpoint = std::move(endpoint);
      failed.error = resolution.error;
      failed.error_stage = "resolve";
      failed.error_detail = std::move(resolution.detail);
      co_return failed;
    }
    if (scan->targets.is_excluded(resolution.ip)) {
      co_return std::nullopt;
    }
    endpoint.ip = std::move(resolution.ip);
  }
  ProbeSettings probe{deadline, scan->settings.connect_timeout, scan->settings.legacy_retry,
                      scan->settings.handshake_mode, &scan->rate};
  co_return co_await probe_endpoint(std::move(endpoint), &scan->contexts, probe);
}

asio::awaitable<void> worker(SharedScan* scan)
{
  while (!scan->stop.load(std::memory_order_relaxed) && !scan->failed.load(std::memory_order_relaxed)) {
    auto lease = scan->cursor.take();
    if (!lease) {
      break;
    }
    // The endpoint's deadline starts once its connection may start.
    co_await wait_for_slot(&scan->rate, Clock::time_point::max());
    scan->started.fetch_add(1, std::memory_order_relaxed);
    std::optional<Observation> observation = co_await observe(lease->device->target, lease->port, scan);
    scan->cursor.complete(*lease);
    if (!observation) {
      scan->skipped.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    const Record record = make_record(std::move(*observation), scan->settings.assessment);
    if (record.ok()) {
      scan->ok.fetch_add(1, std::memory_order_relaxed);
    }
    scan->deliver(record);
    scan->completed.fetch_add(1, std::memory_order_relaxed);
  }
}

// Stops this thread's event loop soon after the scan is told to stop (a signal): endpoints still
// in flight are abandoned (their sockets close as their frames are destroyed) and give no record.
asio::awaitable<void> stop_watch(SharedScan* scan, unsigned* workers_left, asio::io_context* io)
{
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (*workers_left > 0) {
    if (scan->stop.load(std::memory_order_relaxed)) {
      io->stop();
      co_return;
    }
    timer.expires_after(std::chrono::milliseconds(100));
    co_await timer.async_wait(asio::use_awaitable);
  }
}

asio::awaitable<void> counted_worker(SharedScan* scan, unsigned* workers_left)
{
  co_await worker(scan);
  --*workers_left;
}

void run_thread(SharedScan* scan, unsigned workers)
{
  asio::io_context io(1);
  unsigned workers_left = workers;
  for (unsigned i = 0; i < workers; ++i) {
    asio::co_spawn(io, counted_worker(scan, &workers_left), asio::detached);
  }
  asio::co_spawn(io, stop_watch(scan, &workers_left, &io), asio::detached);
  io.run();
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

EngineProgress run_engine(const TargetSet& targets, const EngineSettings& settings,
                          const RecordHandler& on_record, const ProgressHandler& on_progress,
                          const std::atomic<bool>& stop)
{
  SharedScan scan(targets, settings, on_record, stop);
  const unsigned concurrency = std::max(1u, settings.concurrency);
  const unsigned threads = effective_threads(settings.threads, concurrency);

  std::mutex done_mutex;
  std::condition_variable done_cv;
  unsigned running = threads;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    const unsigned workers = concurrency / threads + (t < concurrency % threads ? 1 : 0);
    pool.emplace_back([&, workers] {
      run_thread(&scan, workers);
      std::lock_guard lock(done_mutex);
      --running;
      done_cv.notify_all();
    });
  }

  auto snapshot = [&scan] {
    return EngineProgress{scan.started.load(), scan.completed.load(), scan.ok.load(), scan.skipped.load(),
                          scan.cursor.resumed()};
  };
  {
    std::unique_lock lock(done_mutex);
    while (!done_cv.wait_for(lock, std::chrono::milliseconds(250), [&] { return running == 0; })) {
      if (on_progress) {
        lock.unlock();
        on_progress(snapshot());
        lock.lock();
      }
    }
  }
  for (auto& thread : pool) {
    thread.join();
  }
  if (scan.failure) {
    std::rethrow_exception(scan.failure);
  }
  return snapshot();
}

} // namespace fleetcert
