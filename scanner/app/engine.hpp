#pragma once
// The scan engine: walks the endpoints (targets x ports) with bounded concurrency and hands each
// finished record to the caller. One io_context per thread; workers pull from one shared cursor.

#include "scanner/record.hpp"
#include "scanner/targets.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace fleetcert {

struct EngineSettings
{
  std::vector<std::uint16_t> ports{443, 5061};
  unsigned concurrency = 256;                  // endpoints in flight, across threads
  unsigned threads = 0;                        // 0: one per core
  std::chrono::milliseconds timeout{5000};     // whole endpoint
  std::chrono::milliseconds connect_timeout{0}; // 0: only `timeout`
  std::string sni;                             // forced SNI; empty: the hostname when one was given
  bool legacy_retry = true;
  AssessmentSettings assessment;
  // Endpoints to leave out (already done, for --resume); null: none. Called under the cursor's lock.
  std::function<bool(const Target& target, std::uint16_t port)> skip;
};

struct EngineProgress
{
  std::uint64_t started = 0;
  std::uint64_t completed = 0;
  std::uint64_t ok = 0;
  std::uint64_t skipped = 0; // hostnames that resolved to an excluded address
  std::uint64_t resumed = 0; // endpoints left out because they were already done (--resume)
};

// Called once per completed endpoint, never concurrently.
using RecordHandler = std::function<void(const Record&)>;
// Called from the calling thread about four times a second while the scan runs.
using ProgressHandler = std::function<void(const EngineProgress&)>;

// Scans every endpoint of `targets` x settings.ports; returns when all are done or, once `stop`
// is set, when the endpoints already started are done. Exceptions from handlers propagate.
EngineProgress run_engine(const TargetSet& targets, const EngineSettings& settings,
                          const RecordHandler& on_record, const ProgressHandler& on_progress,
                          const std::atomic<bool>& stop);

} // namespace fleetcert
