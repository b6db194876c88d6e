// The engine's pure decisions: fitting the concurrency under RLIMIT_NOFILE.

#include "scanner/engine/engine.hpp"

#include <doctest/doctest.h>

#include <limits>

using namespace fleetcert;

TEST_SUITE("app.engine")
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
}
