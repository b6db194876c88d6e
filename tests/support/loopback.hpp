#pragma once
// Loopback address blocks for the tests that bind or scan addresses: every test case takes a /16
// of 127.0.0.0/8 that no other process holds at the same time (ctest -j runs each test case as its
// own process; other worktrees and CI runs on the same machine take blocks from the same place).
//
//   127.128.0.0/10 is reserved for tests: 64 blocks, 127.128.0.0/16 .. 127.191.0.0/16. It overlaps
//   neither 127.0.0.0/16 (127.0.0.1, the host's 127.0.1.1), the demo (127.77.0.0/24) nor the
//   benchmarks (127.52.0.0/16, 127.53.0.0/16, 127.200.0.0/16, 127.224.0.0/12).
//
//   Block N is held by an exclusive flock(2) on /tmp/fleetcert-loopback/127.N.lock, taken without
//   waiting in ascending order. The kernel releases it when the last descriptor of the lock is
//   closed, so a process that dies leaves no stale lease. The descriptor is inherited by the
//   processes the test starts (a simulator, the scanner): a block stays held while anything that
//   may listen on its addresses still runs, even when the test process itself was killed.
//
// Addresses are written from the block's prefix: block.address("0.13") is "127.N.0.13",
// block.address("1.0/24") a /24 of it, block.address("3.1-6") a range.

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fleetcert::testing {

// The first block's second octet, how many blocks there are, and where their locks live.
inline constexpr unsigned k_first_loopback_octet = 128;
inline constexpr unsigned k_loopback_block_count = 64;
inline constexpr const char* k_loopback_lock_dir = "/tmp/fleetcert-loopback";
// Each block also owns k_ports_per_block TCP ports from k_first_block_port on (for ::1, which every
// block shares); below the kernel's ephemeral range (32768 and up), so no outgoing connection holds one.
inline constexpr std::uint16_t k_first_block_port = 28000;
inline constexpr unsigned k_ports_per_block = 8;

// One held /16 of 127.128.0.0/10; released when destroyed (or when its process and children end).
class LoopbackBlock
{
public:
  // Takes the first free block, waiting (in 50 ms steps) while all are held. Throws
  // std::runtime_error when none came free within `wait` or the lock directory is unusable.
  explicit LoopbackBlock(std::chrono::milliseconds wait = std::chrono::seconds(120));
  // Takes block `index` if no process holds it; std::nullopt when one does.
  static std::optional<LoopbackBlock> try_take(unsigned index);

  ~LoopbackBlock();
  LoopbackBlock(LoopbackBlock&& other) noexcept;
  LoopbackBlock& operator=(LoopbackBlock&& other) noexcept;
  LoopbackBlock(const LoopbackBlock&) = delete;
  LoopbackBlock& operator=(const LoopbackBlock&) = delete;

  // 0 .. k_loopback_block_count - 1.
  unsigned index() const { return m_index; }
  // "127.N": the block's first two octets.
  std::string prefix() const;
  // The prefix, a dot and `rest`: address("0.13") == "127.N.0.13".
  std::string address(std::string_view rest) const;
  // The whole block: "127.N.0.0/16".
  std::string cidr() const;
  // `text` with every "{net}" replaced by the prefix: "mac,ip\n000B82000001,{net}.0.1\n".
  std::string expand(std::string_view text) const;
  // The block's own TCP port n (n < k_ports_per_block); throws std::out_of_range beyond.
  std::uint16_t port(unsigned n) const;

private:
  LoopbackBlock(unsigned index, int fd) : m_index(index), m_fd(fd) {}
  // The locked descriptor of block `index`, or -1 when another process holds it.
  static int lock(unsigned index);

  unsigned m_index = 0;
  int m_fd = -1;
};

// A fleet description (tests/fleets/*.json) moved into `block`: every device "ip", group
// "first_ip" and "same_as" endpoint ("127.31.0.12:443") in the /16 `from` ("127.31") gets the
// block's prefix; ::1 stays. Throws std::runtime_error for an IPv4 address outside `from`, which
// would escape the block.
nlohmann::json relocate_fleet(nlohmann::json fleet, std::string_view from, const LoopbackBlock& block);

// A TCP port of the system's choosing on a loopback address, held for the object's life: listening
// (connections complete in the kernel's backlog and are never answered) or only bound (connections
// are refused, and nobody else can take the port). Throws std::runtime_error when it cannot be had.
class LoopbackPort
{
public:
  LoopbackPort(const std::string& ip, bool listening);
  ~LoopbackPort();
  LoopbackPort(const LoopbackPort&) = delete;
  LoopbackPort& operator=(const LoopbackPort&) = delete;

  std::uint16_t port() const { return m_port; }

private:
  int m_fd = -1;
  std::uint16_t m_port = 0;
};

} // namespace fleetcert::testing
