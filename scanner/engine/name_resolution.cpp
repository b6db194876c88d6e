// Resolving the names given as targets, before the scan:
//
//   calling thread ── k_parallel_lookups threads, one io_context each ── lookup coroutine
//        │                                                                 └─ next name (atomic index) ─> resolve_host
//        └─ every 50 ms: `stop` set ─> every loop stopped
//
// Each io_context runs getaddrinfo on its own resolver thread, so the lanes look names up in
// parallel; each result is written to its own slot, read once every thread has been joined.

#include "scanner/engine/name_resolution.hpp"

#include "probes/tls_probe.hpp"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

namespace fleetcert {
namespace {

constexpr std::chrono::milliseconds k_stop_poll{50};

struct Lookups
{
  const std::vector<std::string>& names;
  std::chrono::milliseconds timeout;
  std::vector<NameResolution>& out;
  std::atomic<std::size_t> next{0};
};

// Resolves names until none is left.
asio::awaitable<void> lookup_lane(Lookups* lookups)
{
  for (std::size_t i = lookups->next++; i < lookups->names.size(); i = lookups->next++) {
    Resolution resolution = co_await resolve_host(lookups->names[i], Clock::now() + lookups->timeout);
    NameResolution& slot = lookups->out[i];
    slot.addresses = std::move(resolution.addresses);
    slot.error = resolution.error;
    slot.detail = std::move(resolution.detail);
  }
}

} // namespace

std::vector<NameResolution> resolve_names(const std::vector<std::string>& names, std::chrono::milliseconds timeout,
                                          const std::atomic<bool>& stop)
{
  std::vector<NameResolution> out(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    out[i].host = names[i];
    out[i].error = ErrorClass::timeout;
    out[i].detail = "not resolved: the scan was stopped";
  }
  if (names.empty()) {
    return out;
  }
  Lookups lookups{names, timeout, out};
  const auto lanes = static_cast<unsigned>(std::min<std::size_t>(names.size(), k_parallel_lookups));
  std::vector<std::unique_ptr<asio::io_context>> loops;
  for (unsigned i = 0; i < lanes; ++i) {
    loops.push_back(std::make_unique<asio::io_context>(1));
  }

  std::mutex mutex;
  std::condition_variable done_cv;
  unsigned running = 0;
  std::exception_ptr failure;
  std::vector<std::thread> threads;
  for (auto& loop : loops) {
    asio::co_spawn(*loop, lookup_lane(&lookups), [&](const std::exception_ptr& error) {
      if (error) {
        std::lock_guard lock(mutex);
        failure = failure ? failure : error;
      }
    });
    {
      std::lock_guard lock(mutex);
      ++running;
    }
    try {
      threads.emplace_back([&, context = loop.get()] {
        context->run();
        std::lock_guard lock(mutex);
        --running;
        done_cv.notify_all();
      });
    } catch (...) {
      std::lock_guard lock(mutex);
      --running;
      failure = failure ? failure : std::current_exception();
      break;
    }
  }
  {
    std::unique_lock lock(mutex);
    while (!done_cv.wait_for(lock, k_stop_poll, [&] { return running == 0; })) {
      if (stop.load() || failure) {
        for (auto& loop : loops) {
          loop->stop();
        }
      }
    }
  }
  for (auto& thread : threads) {
    thread.join();
  }
  loops.clear(); // a lookup getaddrinfo already started ends first (its resolver thread is joined)
  if (failure) {
    std::rethrow_exception(failure);
  }
  return out;
}

} // namespace fleetcert
