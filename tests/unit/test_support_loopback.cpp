// The loopback block allocator of the tests: blocks no two processes hold at once, their
// addresses, and fleet descriptions moved into them.

#include "support/loopback.hpp"
#include "support/process.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

using namespace fleetcert::testing;
using nlohmann::json;

namespace {

// A free block of the upper half, from a random place on: other test processes take blocks from
// the lowest up, and another run of this test most likely looks elsewhere, so no one else takes
// it the moment it comes free.
std::optional<LoopbackBlock> take_upper()
{
  const unsigned half = k_loopback_block_count / 2;
  const unsigned start = std::random_device{}() % half;
  for (unsigned i = 0; i < half; ++i) {
    if (auto block = LoopbackBlock::try_take(half + (start + i) % half)) {
      return block;
    }
  }
  return std::nullopt;
}

// Runs `child` in a forked process and returns its exit status (-1 when it did not exit).
template <typename F>
int in_child(F child)
{
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    _exit(child());
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A forked process that takes a free block of the upper half, tells its index through a pipe
// (-1: none) and then sleeps (at most 60 s) until it is killed.
struct Holder
{
  pid_t pid = -1;
  int index = -1;

  Holder()
  {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      std::optional<LoopbackBlock> block = take_upper();
      const int taken = block ? static_cast<int>(block->index()) : -1;
      if (write(fds[1], &taken, sizeof taken) != sizeof taken) {
        _exit(1);
      }
      sleep(60);
      _exit(0);
    }
    close(fds[1]);
    REQUIRE(read(fds[0], &index, sizeof index) == sizeof index);
    close(fds[0]);
  }
  ~Holder() { kill_now(); }
  Holder(const Holder&) = delete;
  Holder& operator=(const Holder&) = delete;

  void kill_now()
  {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      pid = -1;
    }
  }
};

} // namespace

TEST_SUITE("support.loopback")
{
  TEST_CASE("a block's prefix, addresses, CIDR, texts and ports")
  {
    const LoopbackBlock block;
    REQUIRE(block.index() < k_loopback_block_count);
    const std::string prefix = "127." + std::to_string(k_first_loopback_octet + block.index());
    CHECK(block.prefix() == prefix);
    CHECK(block.address("0.13") == prefix + ".0.13");
    CHECK(block.address("3.1-6") == prefix + ".3.1-6");
    CHECK(block.cidr() == prefix + ".0.0/16");
    CHECK(block.expand("mac,ip\n000B82000001,{net}.0.1\n{net}.2.0/24 {NET} {net") ==
          "mac,ip\n000B82000001," + prefix + ".0.1\n" + prefix + ".2.0/24 {NET} {net");
    CHECK(block.expand("") == "");
    // The reserved range: 127.128.0.0/10, clear of 127.0/16, the demo and the benchmarks.
    CHECK(k_first_loopback_octet == 128);
    CHECK(k_first_loopback_octet + k_loopback_block_count - 1 == 191);

    CHECK(block.port(0) == k_first_block_port + block.index() * k_ports_per_block);
    CHECK(block.port(k_ports_per_block - 1) == block.port(0) + k_ports_per_block - 1);
    CHECK_THROWS_AS(block.port(k_ports_per_block), std::out_of_range);
    CHECK(k_first_block_port + k_loopback_block_count * k_ports_per_block <= 32768); // below the ephemeral ports
    CHECK_THROWS_AS(LoopbackBlock::try_take(k_loopback_block_count), std::out_of_range);
  }

  TEST_CASE("no two holders at once: in one process, in another, and until every holder is gone")
  {
    SUBCASE("two blocks of one process differ, ports included")
    {
      const LoopbackBlock a;
      const LoopbackBlock b;
      CHECK(a.index() != b.index());
      CHECK(a.port(k_ports_per_block - 1) != b.port(0));
      CHECK_FALSE(LoopbackBlock::try_take(a.index()).has_value());
      CHECK_FALSE(LoopbackBlock::try_take(b.index()).has_value());
    }

    SUBCASE("another process cannot take a held block, and can once it is released")
    {
      std::optional<LoopbackBlock> held = take_upper();
      REQUIRE(held.has_value());
      const unsigned index = held->index();
      CHECK(in_child([&] { return LoopbackBlock::try_take(index) ? 1 : 0; }) == 0);
      held.reset();
      CHECK(in_child([&] { return LoopbackBlock::try_take(index) ? 0 : 1; }) == 0);
    }

    SUBCASE("a block held by a process that is killed comes free: no stale lease")
    {
      Holder holder;
      REQUIRE(holder.index >= 0);
      CHECK_FALSE(LoopbackBlock::try_take(static_cast<unsigned>(holder.index)).has_value());
      holder.kill_now();
      CHECK(LoopbackBlock::try_take(static_cast<unsigned>(holder.index)).has_value());
    }

    SUBCASE("a program started while the block was held keeps it held until it ends")
    {
      std::optional<LoopbackBlock> held = take_upper();
      REQUIRE(held.has_value());
      const unsigned index = held->index();
      // Started (fork and exec) as the tests start fleet-sim and fleetcert: it inherits the lock.
      // It says when it runs, past the exec.
      TempDir dir;
      ChildProcess started({"/bin/sh", "-c", "echo > " + dir.file("running") + " && exec sleep 60"}, "", "");
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (!std::filesystem::exists(dir.file("running")) && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      REQUIRE(std::filesystem::exists(dir.file("running")));
      held.reset();
      CHECK_FALSE(LoopbackBlock::try_take(index).has_value());
      started.stop();
      CHECK(LoopbackBlock::try_take(index).has_value());
    }
  }

  TEST_CASE("relocate_fleet moves a fleet file's addresses into the block")
  {
    const LoopbackBlock block;
    const json file = json::parse(R"({
      "devices": [
        {"ip": "127.31.0.10", "ports": {"443": {"subject": "/CN=a"}, "5061": {"same_as": "443"}}},
        {"ip": "127.31.1.2", "ports": {"443": {"same_as": "127.31.0.10:443"}}},
        {"ip": "::1", "ports": {"443": {"subject": "/CN=v6"}}}
      ],
      "groups": [{"first_ip": "127.31.0.250", "count": 10, "ports": {"443": {"subject": "/CN={MAC}"}}}]
    })");
    const json moved = relocate_fleet(file, "127.31", block);
    CHECK(moved.at("devices").at(0).at("ip") == block.address("0.10"));
    CHECK(moved.at("devices").at(0).at("ports").at("5061").at("same_as") == "443");
    CHECK(moved.at("devices").at(1).at("ip") == block.address("1.2"));
    CHECK(moved.at("devices").at(1).at("ports").at("443").at("same_as") == block.address("0.10:443"));
    CHECK(moved.at("devices").at(2).at("ip") == "::1");
    CHECK(moved.at("groups").at(0).at("first_ip") == block.address("0.250"));
    CHECK(moved.at("groups").at(0).at("count") == 10);

    json outside = file;
    outside["devices"][0]["ip"] = "127.32.0.10";
    CHECK_THROWS_WITH_AS(relocate_fleet(outside, "127.31", block), "fleet address 127.32.0.10 is outside 127.31.0.0/16",
                         std::runtime_error);
  }
}
