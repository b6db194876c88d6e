#pragma once
// EndpointCursor: hands out the endpoints of a scan (targets x ports) device by device, to the
// engine's workers, with at most `per_device` endpoints of one device in flight.

#include "scanner/targets/targets.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace fleetcert {

// One target (a device) while some of its endpoints are in flight or still to be handed out.
struct OpenDevice
{
  Target target;
  std::size_t next_port = 0; // index in the port list of the next endpoint to hand out
  unsigned in_flight = 0;    // endpoints handed out and not yet completed
  bool ready = false;        // in the cursor's ready queue
};

// One endpoint handed out by EndpointCursor::take; give it back with EndpointCursor::complete.
struct Lease
{
  std::shared_ptr<OpenDevice> device;
  std::uint16_t port = 0;
};

// What the cursor walks, and how: the fields of EngineSettings it needs.
struct CursorSettings
{
  std::vector<std::uint16_t> ports;
  unsigned per_device = 1;  // endpoints of one device in flight at most (0 counts as 1)
  unsigned concurrency = 1; // leases the caller holds at once at most: the engine's workers (0 counts as 1)
  std::optional<std::uint64_t> shuffle_seed; // set: the targets in the order of IndexPermutation(size, seed)
  // Set: only the targets of this shard (--shard K/N); the others are passed over without a record.
  std::optional<Shard> shard;
  // Endpoints never to hand out (already done, for --resume); null: none. Called under the cursor's lock.
  std::function<bool(const Target& target, std::uint16_t port)> skip;
};

// targets x ports, device by device, at most `per_device` endpoints of one target in flight.
//
//   take():      a new target (from TargetIndex, in order or through IndexPermutation) while fewer
//                than `concurrency` devices wait in the ready queue
//                └─ else a ready device (ports left, fewer than per_device in flight), oldest first
//   complete():  the device is ready again if it has ports left
//
// Opening new devices while few wait keeps every slot busy when devices are slow (a tarpit's
// second port does not have to wait for its first one, so 5000 silent endpoints take about
// endpoints / concurrency deadlines). Serving the queue once it is `concurrency` long bounds the
// memory: while the caller holds at most `concurrency` leases, fewer than 2 x concurrency devices
// are open (waiting or in flight) at any time, whatever the number of targets.
//
// With a shard, targets of other shards are passed over as they come up (TargetIndex::in_shard:
// no allocation for them), in order or shuffled alike.
//
// Every endpoint that is not skipped is handed out exactly once. take() returns nullopt when none
// can be handed out now; the endpoints left then all belong to devices in flight, and come out of
// take() once their leases are completed. Thread-safe.
class EndpointCursor
{
public:
  // `targets`: the scan's targets, its names resolved (TargetIndex).
  EndpointCursor(TargetIndex targets, CursorSettings settings);

  // The next endpoint to probe, or nullopt when none may be handed out now (see above).
  std::optional<Lease> take();
  // Gives back an endpoint that take() handed out, once it is done.
  void complete(const Lease& lease);

  // Endpoints left out by the skip function so far.
  std::uint64_t resumed() const;
  // Devices in the ready queue now (for tests and diagnostics).
  std::size_t waiting() const;

private:
  void make_ready_if_due(const std::shared_ptr<OpenDevice>& device);

  mutable std::mutex m_mutex;
  TargetIndex m_targets;
  std::optional<IndexPermutation> m_permutation;
  uint128 m_position = 0; // targets opened so far
  CursorSettings m_settings;
  std::deque<std::shared_ptr<OpenDevice>> m_ready;
  std::uint64_t m_resumed = 0;
};

} // namespace fleetcert
