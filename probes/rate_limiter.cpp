#include "probes/rate_limiter.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>

namespace fleetcert {

RateLimiter::RateLimiter(unsigned per_second)
{
  if (per_second > 0) {
    m_interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / per_second));
    m_interval = std::max(m_interval, Clock::duration(1));
  }
}

RateLimiter::Clock::time_point RateLimiter::reserve(Clock::time_point now)
{
  if (unlimited()) {
    return now;
  }
  std::lock_guard lock(m_mutex);
  const Clock::time_point slot = std::max(now, m_next);
  m_next = slot + m_interval;
  return slot;
}

asio::awaitable<bool> wait_for_slot(RateLimiter* limiter, RateLimiter::Clock::time_point deadline)
{
  if (limiter == nullptr || limiter->unlimited()) {
    co_return true;
  }
  const auto slot = limiter->reserve(RateLimiter::Clock::now());
  if (slot > deadline) {
    co_return false;
  }
  if (slot > RateLimiter::Clock::now()) {
    asio::steady_timer timer(co_await asio::this_coro::executor, slot);
    auto [ec] = co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    (void)ec;
  }
  co_return true;
}

} // namespace fleetcert
