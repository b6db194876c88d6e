// The scan engine.
//
//   thread 1: io_context ── worker ┐                                               ┌─> make_record ─┐
//             ...          worker ├─ EndpointCursor::next ─> RateLimiter slot ─> probe ┘                 ├─> deliver ─> sinks
//   thread N: io_context ── worker ┘   (mutex, lazy, per-device)  (shared, --rate)   └─ cursor.done    (mutex)
//
// Each worker is a coroutine that takes the next endpoint, waits for its --rate slot, probes it
// within its own deadline and delivers the record; `concurrency` workers in all bound the
// connections in flight, and the cursor never hands out more than `per_device` endpoints of one
// target at a time. The calling thread
// reports progress until every thread has finished. Once `stop` is set, no endpoint is started and
// each thread's loop is stopped within 100 ms, abandoning what is in flight.

#include "scanner/engine/engine.hpp"

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
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace fleetcert {
namespace {

// One target (a device) while some of its endpoints are in flight or still to be handed out.
struct OpenDevice
{
  Target target;
  std::size_t next_port = 0; // index in the port list of the next endpoint to hand out
  unsigned in_flight = 0;    // endpoints handed out and not yet done
  bool ready = false;        // in the cursor's ready queue
};

// One endpoint handed to a worker; give it back with EndpointCursor::done.
struct Lease
{
  std::shared_ptr<OpenDevice> device;
  std::uint16_t port = 0;
};

// targets x ports, device by device, at most `per_device` endpoints of one target in flight.
//
//   next():  a new target (from TargetIndex, in order or through IndexPermutation) while fewer
//            than `concurrency` devices wait in the ready queue
//            └─ else a ready device (ports left, fewer than per_device in flight), oldest first
//   done():  the device is ready again if it has ports left
//
// Opening new devices while few wait keeps every slot busy when devices are slow (a tarpit's
// second port does not have to wait for its first one, so 5000 silent endpoints take about
// endpoints / concurrency deadlines); serving the queue once it is `concurrency` long keeps the
// open devices below twice the endpoints in flight: memory follows concurrency, not targets.
class EndpointCursor
{
public:
  EndpointCursor(const TargetSet& targets, const EngineSettings& settings)
      : m_targets(targets), m_ports(settings.ports), m_skip(settings.skip),
        m_per_device(std::max(1u, settings.per_device)), m_ready_limit(std::max(1u, settings.concurrency))
  {
    if (settings.shuffle) {
      m_permutation.emplace(static_cast<std::uint64_t>(m_targets.size()), settings.seed);
    }
  }

  std::optional<Lease> next()
  {
    std::lock_guard lock(m_mutex);
    while (true) {
      std::shared_ptr<OpenDevice> device;
      const bool targets_left = m_position < m_targets.size() && !m_ports.empty();
      if (targets_left && m_ready.size() < m_ready_limit) {
        const uint128 index = m_permutation ? m_permutation->at(static_cast<std::uint64_t>(m_position)) : m_position;
        ++m_position;
        device = std::make_shared<OpenDevice>();
        device->target = m_targets.at(index);
      } else if (!m_ready.empty()) {
        device = std::move(m_ready.front());
        m_ready.pop_front();
        device->ready = false;
      } else {
        return std::nullopt;
      }
      while (device->next_port < m_ports.size() && m_skip && m_skip(device->target, m_ports[device->next_port])) {
        ++device->next_port;
        ++m_resumed;
      }
      if (device->next_port == m_ports.size()) {
        continue; // nothing left to hand out; its leases (if any) keep it alive
      }
      const std::uint16_t port = m_ports[device->next_port++];
      ++device->in_flight;
      make_ready_if_due(device);
      return Lease{std::move(device), port};
    }
  }

  void done(const Lease& lease)
  {
    std::lock_guard lock(m_mutex);
    --lease.device->in_flight;
    make_ready_if_due(lease.device);
  }

  std::uint64_t resumed() const
  {
    std::lock_guard lock(m_mutex);
    return m_resumed;
  }

private:
  void make_ready_if_due(const std::shared_ptr<OpenDevice>& device)
  {
    if (!device->ready && device->next_port < m_ports.size() && device->in_flight < m_per_device) {
      device->ready = true;
      m_ready.push_back(device);
    }
  }

  mutable std::mutex m_mutex;
  TargetIndex m_targets;
  std::optional<IndexPermutation> m_permutation;
  uint128 m_position = 0; // targets opened so far
  std::vector<std::uint16_t> m_ports;
  const std::function<bool(const Target&, std::uint16_t)>& m_skip;
  unsigned m_per_device;
  std::size_t m_ready_limit; // devices waiting with ports left before they are served first
  std::deque<std::shared_ptr<OpenDevice>> m_ready;
  std::uint64_t m_resumed = 0;
};

// Everything the workers of all threads share.
struct SharedScan
{
  SharedScan(const TargetSet& t, const EngineSettings& s, const RecordHandler& r, const std::atomic<bool>& st)
      : targets(t), settings(s), on_record(r), stop(st), cursor(t, s), rate(s.rate)
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
    auto lease = scan->cursor.next();
    if (!lease) {
      break;
    }
    // The endpoint's deadline starts once its connection may start.
    co_await wait_for_slot(&scan->rate, Clock::time_point::max());
    scan->started.fetch_add(1, std::memory_order_relaxed);
    std::optional<Observation> observation = co_await observe(lease->device->target, lease->port, scan);
    scan->cursor.done(*lease);
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
