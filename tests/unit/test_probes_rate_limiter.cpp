// The connection pacer shared by every thread of a scan (--rate).

#include "probes/rate_limiter.hpp"
#include "support/timing.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

using namespace fleetcert;
using fleetcert::testing::k_late_ms;
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
    // One slot a second: longer than a loaded machine keeps a thread from running, so what is
    // decided within one slot does not depend on timing.
    RateLimiter slow(1);
    bool first = false;
    bool second = true;
    double first_ms = 0;
    double second_ms = 0;
    // Twenty a second (one every 50 ms): the waits themselves.
    RateLimiter limiter(20);
    std::vector<double> waited;
    asio::io_context io;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          // The first slot is at once: a deadline half a slot away accepts it, without a wait.
          Clock::time_point start = Clock::now();
          first = co_await wait_for_slot(&slow, start + 500ms);
          first_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
          // The next slot is a second away: a deadline 10 ms away refuses it, without a wait.
          start = Clock::now();
          second = co_await wait_for_slot(&slow, start + 10ms);
          second_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();

          const Clock::time_point t0 = Clock::now();
          for (int i = 0; i < 4; ++i) {
            const bool ok = co_await wait_for_slot(&limiter, Clock::time_point::max());
            CHECK(ok);
            waited.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
          }
        },
        asio::detached);
    io.run();
    CHECK(first);
    CHECK(first_ms < 1000.0);
    CHECK_FALSE(second);
    CHECK(second_ms < 1000.0);
    REQUIRE(waited.size() == 4);
    // Never before the slot: slot i is 50 ms x i after the first, which was at once (t0 or later).
    CHECK(waited[1] >= 49.0);
    CHECK(waited[2] >= 99.0);
    CHECK(waited[3] >= 149.0);
    // Nor long after it.
    CHECK(waited[3] < 150.0 + k_late_ms);
  }
}
