#pragma once
// The listeners that play the fleet: one acceptor per endpoint, spread over one io_context per
// thread, each connection served according to its endpoint's behaviour.

#include "fleet_description.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/ssl/context.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace fleetcert::sim {

// Why a listener could not be bound, naming the address and port.
struct BindFailure
{
  std::string message;
};

// Connections one address (all its ports) has had: open now, the most open at once, in all;
// when the first and the last were accepted (microseconds since the server was made, -1: none yet).
struct AddressCounters
{
  std::atomic<unsigned> open{0};
  std::atomic<unsigned> max_open{0};
  std::atomic<std::uint64_t> total{0};
  std::atomic<std::int64_t> first_accept_us{-1};
  std::atomic<std::int64_t> last_accept_us{-1};
};

// Owns the io_contexts, the server TLS context and the threads that run them.
class DeviceServer
{
public:
  // One io_context (and later one thread) per `threads`.
  explicit DeviceServer(unsigned threads);
  ~DeviceServer();
  DeviceServer(const DeviceServer&) = delete;
  DeviceServer& operator=(const DeviceServer&) = delete;

  // Binds and listens on every endpoint's address and port; the first failure is returned.
  std::optional<BindFailure> bind(const std::vector<Endpoint>& endpoints);

  // Starts accepting (endpoints must now carry their certificates and outlive the server) and
  // the threads; stops by itself after `duration`, on SIGTERM or SIGINT.
  void start(const std::vector<Endpoint>& endpoints, std::chrono::seconds duration);

  // Blocks until the server has stopped; returns the signal that stopped it, or 0.
  int wait();

  // Connections per address so far (thread-safe): {"max_concurrent_per_address": n,
  // "connections": total, "addresses": [{"ip", "max_concurrent", "connections", "open",
  // "first_accept_ms", "last_accept_ms"}]}; the accept times (steady clock, milliseconds since the
  // server was made) only once the address has accepted a connection.
  nlohmann::json stats() const;
  // Changes whenever a connection opens or closes (thread-safe).
  std::uint64_t stats_version() const { return m_stats_version.load(); }

private:
  asio::ssl::context m_tls;
  std::vector<std::unique_ptr<asio::io_context>> m_contexts;
  std::unique_ptr<asio::signal_set> m_signals;      // on m_contexts[0]
  std::unique_ptr<asio::steady_timer> m_duration;   // on m_contexts[0]
  std::vector<asio::ip::tcp::acceptor> m_acceptors; // parallel to the endpoints, until start()
  std::vector<std::thread> m_threads;
  int m_stop_signal = 0;
  std::vector<std::string> m_addresses;                   // distinct endpoint addresses, in order
  std::unique_ptr<AddressCounters[]> m_counters;          // parallel to m_addresses
  std::atomic<std::uint64_t> m_stats_version{0};
  std::chrono::steady_clock::time_point m_epoch = std::chrono::steady_clock::now(); // of the accept times
};

} // namespace fleetcert::sim
