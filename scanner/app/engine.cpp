// The scan engine.
//
//   thread 1: io_context ── worker ┐                      ┌─> make_record ─┐
//             ...          worker ├─ EndpointCursor::next ┤                 ├─> deliver (mutex) ─> sinks
//   thread N: io_context ── worker ┘   (mutex, lazy)      └─> probe ────────┘
//
// Each worker is a coroutine that takes the next endpoint, probes it within its own deadline and
// delivers the record; `concurrency` workers in all bound what is in flight. The calling thread
// reports progress until every thread has finished. Once `stop` is set, no endpoint is started and
// each thread's loop is stopped within 100 ms, abandoning what is in flight.

#include "engine.hpp"

#include "probes/tls_probe.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

namespace fleetcert {
namespace {

// targets x ports, address-major: all ports of one device, then the next device.
class EndpointCursor
{
public:
  EndpointCursor(const TargetSet& targets, std::vector<std::uint16_t> ports, const EngineSettings& settings)
      : m_targets(targets), m_ports(std::move(ports)), m_skip(settings.skip)
  {
  }

  std::optional<std::pair<Target, std::uint16_t>> next()
  {
    std::lock_guard lock(m_mutex);
    while (true) {
      if (!m_current || m_port_index == m_ports.size()) {
        m_current = m_targets.next();
        m_port_index = 0;
        if (!m_current || m_ports.empty()) {
          return std::nullopt;
        }
      }
      const std::uint16_t port = m_ports[m_port_index++];
      if (m_skip && m_skip(*m_current, port)) {
        ++m_resumed;
        continue;
      }
      return std::pair{*m_current, port};
    }
  }

  std::uint64_t resumed() const
  {
    std::lock_guard lock(m_mutex);
    return m_resumed;
  }

private:
  mutable std::mutex m_mutex;
  TargetCursor m_targets;
  std::vector<std::uint16_t> m_ports;
  const std::function<bool(const Target&, std::uint16_t)>& m_skip;
  std::optional<Target> m_current;
  std::size_t m_port_index = 0;
  std::uint64_t m_resumed = 0;
};

// Everything the workers of all threads share.
struct SharedScan
{
  SharedScan(const TargetSet& t, const EngineSettings& s, const RecordHandler& r, const std::atomic<bool>& st)
      : targets(t), settings(s), on_record(r), stop(st), cursor(t, s.ports, s)
  {
  }

  const TargetSet& targets;
  const EngineSettings& settings;
  const RecordHandler& on_record;
  const std::atomic<bool>& stop;
  EndpointCursor cursor;
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
  ProbeSettings probe{deadline, scan->settings.connect_timeout, scan->settings.legacy_retry};
  co_return co_await probe_endpoint(std::move(endpoint), &scan->contexts, probe);
}

asio::awaitable<void> worker(SharedScan* scan)
{
  while (!scan->stop.load(std::memory_order_relaxed) && !scan->failed.load(std::memory_order_relaxed)) {
    auto next = scan->cursor.next();
    if (!next) {
      break;
    }
    scan->started.fetch_add(1, std::memory_order_relaxed);
    std::optional<Observation> observation = co_await observe(std::move(next->first), next->second, scan);
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

EngineProgress run_engine(const TargetSet& targets, const EngineSettings& settings,
                          const RecordHandler& on_record, const ProgressHandler& on_progress,
                          const std::atomic<bool>& stop)
{
  SharedScan scan(targets, settings, on_record, stop);
  const unsigned concurrency = std::max(1u, settings.concurrency);
  unsigned threads = settings.threads != 0 ? settings.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, concurrency);

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
