#pragma once
// Paces new connections across every thread of a scan: at most N per second, evenly spaced (one
// every 1/N s), never in bursts. A token bucket that holds one token: a slot not used is lost.

#include <asio/awaitable.hpp>

#include <chrono>
#include <mutex>

namespace fleetcert {

class RateLimiter
{
public:
  using Clock = std::chrono::steady_clock;

  // `per_second` connections per second; 0: unlimited.
  explicit RateLimiter(unsigned per_second);

  bool unlimited() const { return m_interval == Clock::duration::zero(); }
  // Reserves the next free slot at or after `now` and returns its time. Thread-safe.
  Clock::time_point reserve(Clock::time_point now);

private:
  std::mutex m_mutex;
  Clock::duration m_interval{};
  Clock::time_point m_next{};
};

// Waits until the caller may open a connection. Returns false, without waiting, when its slot
// would come after `deadline` (the slot is then lost). An unlimited or null limiter never waits.
asio::awaitable<bool> wait_for_slot(RateLimiter* limiter, RateLimiter::Clock::time_point deadline);

} // namespace fleetcert
