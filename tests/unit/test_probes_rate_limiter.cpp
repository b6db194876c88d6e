// The connection pacer shared by every thread of a scan (--rate).

#include "probes/rate_limiter.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

using namespace fleetcert;
using namespace std::chrono_literals;
using Clock = RateLimiter::Clock;

TEST_SUITE("probes.rate_limiter")
{
  TEST_CASE("slots are spaced by 1/N, never bunched, and idle time is not saved up")
  {
    RateLimiter limiter(100); // one every 10 ms
    const Clock::time_point t0 = Clock::now();
    SUBCASE("many callers at the same instant get consecutive slots")
    {
      for (int i = 0; i < 50; ++i) {
        CHECK(limiter.reserve(t0) == t0 + i * 10ms);
      }
    }
    SUBCASE("a caller after a pause starts at once, and only one: no burst after idling")
    {
      CHECK(limiter.reserve(t0) == t0);
      CHECK(limiter.reserve(t0 + 1s) == t0 + 1s);
      CHECK(limiter.reserve(t0 + 1s) == t0 + 1s + 10ms);
      CHECK(limiter.reserve(t0 + 1s + 5ms) == t0 + 1s + 20ms);
    }
  }

  TEST_CASE("0 is unlimited")
  {
    RateLimiter limiter(0);
    CHECK(limiter.unlimited());
    const Clock::time_point t0 = Clock::now();
    for (int i = 0; i < 10; ++i) {
      CHECK(limiter.reserve(t0) == t0);
    }
  }

  TEST_CASE("threads share one limiter: every slot is distinct and the rate holds")
  {
    RateLimiter limiter(1000);
    const Clock::time_point t0 = Clock::now();
    std::vector<std::vector<Clock::time_point>> slots(4);
    std::vector<std::thread> threads;
    for (auto& mine : slots) {
      threads.emplace_back([&limiter, &mine, t0] {
        for (int i = 0; i < 250; ++i) {
          mine.push_back(limiter.reserve(t0));
        }
      });
    }
    for (auto& thread : threads) {
      thread.join();
    }
    std::vector<Clock::time_point> all;
    for (const auto& mine : slots) {
      all.insert(all.end(), mine.begin(), mine.end());
    }
    std::sort(all.begin(), all.end());
    REQUIRE(all.size() == 1000);
    for (std::size_t i = 0; i < all.size(); ++i) {
      CHECK(all[i] == t0 + std::chrono::milliseconds(i));
    }
  }

  TEST_CASE("wait_for_slot waits for the slot, and refuses a slot beyond the deadline")
  {
    RateLimiter limiter(20); // one every 50 ms
    asio::io_context io;
    std::vector<double> waited;
    bool refused = false;
    const Clock::time_point t0 = Clock::now();
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          for (int i = 0; i < 4; ++i) {
            const bool ok = co_await wait_for_slot(&limiter, Clock::time_point::max());
            CHECK(ok);
            waited.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
          }
          // The next slot is 50 ms away: a deadline 10 ms away refuses it without waiting.
          const bool ok = co_await wait_for_slot(&limiter, Clock::now() + 10ms);
          refused = !ok;
        },
        asio::detached);
    io.run();
    REQUIRE(waited.size() == 4);
    CHECK(waited[0] < 40.0);
    CHECK(waited[1] >= 49.0);
    CHECK(waited[2] >= 99.0);
    CHECK(waited[3] >= 149.0);
    CHECK(waited[3] < 1000.0);
    CHECK(refused);
  }
}
