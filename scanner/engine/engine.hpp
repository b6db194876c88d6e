#pragma once
// The scan engine: walks the endpoints (targets x ports) with bounded concurrency and hands each
// finished record to the caller. One io_context per thread; workers pull from one shared cursor.

#include "probes/tls_probe.hpp"
#include "scanner/assessment/record.hpp"
#include "scanner/targets/targets.hpp"

#include <asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace fleetcert {

// Probes one endpoint (its ip an address literal), as probe_endpoint does. The engine's seam for
// tests: one that throws stands for a probe that fails outside its contract (SSL_new out of memory).
using EndpointProbe =
    std::function<asio::awaitable<Observation>(Endpoint endpoint, const ProbeContexts* contexts, ProbeSettings settings)>;

struct EngineSettings
{
  std::vector<std::uint16_t> ports{443, 5061};
  unsigned concurrency = 256;                  // connections in flight, across threads
  unsigned threads = 0;                        // 0: one per core
  unsigned per_device = 1;                     // connections in flight to one target at most
  unsigned rate = 0;                           // new connections per second, all threads; 0: unlimited
  bool shuffle = false;                        // walk the targets in a pseudo-random order
  std::uint64_t seed = 0;                      // the order's seed when shuffling
  std::optional<Shard> shard;                  // set: only this shard's targets (--shard K/N)
  std::chrono::milliseconds timeout{5000};     // whole endpoint
  std::chrono::milliseconds connect_timeout{0}; // 0: only `timeout`
  std::string sni;                             // forced SNI; empty: the hostname when one was given
  bool legacy_retry = true;
  HandshakeMode handshake_mode = HandshakeMode::certificate_only; // --full-handshake: full
  // The identity exchange after the handshake (--identify): a SIP OPTIONS on these ports, an HTTP
  // GET / on those; both empty: none. A port in both is asked as SIP.
  std::vector<std::uint16_t> identity_sip_ports;
  std::vector<std::uint16_t> identity_http_ports;
  AssessmentSettings assessment;
  // Endpoints to leave out (already done, for --resume); null: none. Called under the cursor's lock.
  std::function<bool(const Target& target, std::uint16_t port)> skip;
  // Probes each endpoint of a target to probe (its name, if any, resolved before the scan); null:
  // probe_endpoint. Called on the network threads, concurrently.
  EndpointProbe probe;
  // Completes each record on its network thread before it is delivered, outside the delivery lock
  // (scan renders its JSON here, once for every JSON sink); null: nothing. Called concurrently.
  std::function<void(Record& record)> prepare;
};

struct EngineProgress
{
  std::uint64_t started = 0;
  std::uint64_t completed = 0;
  std::uint64_t ok = 0;
  std::uint64_t skipped = 0; // of completed: records of names that resolved to an excluded address
  std::uint64_t resumed = 0; // endpoints left out because they were already done (--resume)
};

// How a scan ended: its counts, and why it stopped early when it failed.
struct EngineResult
{
  EngineProgress progress;
  // The first exception of a worker, a handler or the engine's set-up (its what(), never empty).
  // The scan stopped there: no endpoint was started after it, those in flight were abandoned.
  std::optional<std::string> failure;
};

// How many descriptors a scan may use, and with what concurrency (see plan_descriptors).
struct DescriptorPlan
{
  std::uint64_t soft_limit = 0; // the RLIMIT_NOFILE soft limit to set (the current one when enough)
  unsigned concurrency = 0;     // the concurrency that fits
  bool raise = false;           // soft_limit is above the current soft limit: setrlimit it
  bool lowered = false;         // concurrency is below the one asked for
};

// Descriptors a scan needs besides one per connection: standard streams, reports, and each
// network thread's event loop (epoll, its wake-up and timer descriptors), the resolver's own.
std::uint64_t reserved_descriptors(unsigned threads);

// Decides how to fit `concurrency` connections (plus reserved_descriptors) under RLIMIT_NOFILE:
// keep the soft limit when it is enough, else raise it up to the hard limit, and if even that is
// not enough, lower the concurrency to what the hard limit leaves (at least 1). Pure.
DescriptorPlan plan_descriptors(unsigned concurrency, unsigned threads, std::uint64_t soft_limit,
                                std::uint64_t hard_limit);

// The network threads a scan runs: `threads` (0: one per core), never more than `concurrency`.
unsigned effective_threads(unsigned threads, unsigned concurrency);

// Called once per completed endpoint, never concurrently, never after a failure.
using RecordHandler = std::function<void(const Record&)>;
// Called from the calling thread about four times a second while the scan runs.
using ProgressHandler = std::function<void(const EngineProgress&)>;

// Scans every endpoint of `targets` x settings.ports (with settings.shuffle, in the order of an
// IndexPermutation of the targets; settings.shuffle needs fewer than 2^64 targets): one record
// each, probed or, for a name that did not resolve or resolved to an excluded address, made
// without a connection (and without waiting for a --rate slot). Returns when all are done; within
// about 100 ms once `stop` is set; at once when anything throws (the probe, a handler): then with
// the failure. Never throws.
EngineResult run_engine(const TargetIndex& targets, const EngineSettings& settings, const RecordHandler& on_record,
                        const ProgressHandler& on_progress, const std::atomic<bool>& stop);

} // namespace fleetcert
