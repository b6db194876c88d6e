// EndpointCursor: see endpoint_cursor.hpp for what it promises.

#include "scanner/engine/endpoint_cursor.hpp"

#include <algorithm>
#include <stdexcept>

namespace fleetcert {

EndpointCursor::EndpointCursor(TargetIndex targets, CursorSettings settings)
    : m_targets(std::move(targets)), m_settings(std::move(settings))
{
  m_settings.per_device = std::max(1u, m_settings.per_device);
  m_settings.concurrency = std::max(1u, m_settings.concurrency);
  if (m_settings.shuffle_seed) {
    if (m_targets.size() > UINT64_MAX) {
      throw std::invalid_argument("shuffling needs fewer than 2^64 targets");
    }
    m_permutation.emplace(static_cast<std::uint64_t>(m_targets.size()), *m_settings.shuffle_seed);
  }
}

std::optional<Lease> EndpointCursor::take()
{
  std::lock_guard lock(m_mutex);
  const std::vector<std::uint16_t>& ports = m_settings.ports;
  while (true) {
    std::shared_ptr<OpenDevice> device;
    const bool targets_left = m_position < m_targets.size() && !ports.empty();
    if (targets_left && m_ready.size() < m_settings.concurrency) {
      const uint128 index = m_permutation ? m_permutation->at(static_cast<std::uint64_t>(m_position)) : m_position;
      ++m_position;
      if (m_settings.shard && !m_targets.in_shard(index, *m_settings.shard)) {
        continue; // another shard's device
      }
      device = std::make_shared<OpenDevice>();
      device->target = m_targets.at(index);
    } else if (!m_ready.empty()) {
      device = std::move(m_ready.front());
      m_ready.pop_front();
      device->ready = false;
    } else {
      return std::nullopt;
    }
    while (device->next_port < ports.size() && m_settings.skip
           && m_settings.skip(device->target, ports[device->next_port])) {
      ++device->next_port;
      ++m_resumed;
    }
    if (device->next_port == ports.size()) {
      continue; // nothing left to hand out; its leases (if any) keep it alive
    }
    const std::uint16_t port = ports[device->next_port++];
    ++device->in_flight;
    make_ready_if_due(device);
    return Lease{std::move(device), port};
  }
}

void EndpointCursor::complete(const Lease& lease)
{
  std::lock_guard lock(m_mutex);
  --lease.device->in_flight;
  make_ready_if_due(lease.device);
}

std::uint64_t EndpointCursor::resumed() const
{
  std::lock_guard lock(m_mutex);
  return m_resumed;
}

std::size_t EndpointCursor::waiting() const
{
  std::lock_guard lock(m_mutex);
  return m_ready.size();
}

void EndpointCursor::make_ready_if_due(const std::shared_ptr<OpenDevice>& device)
{
  if (!device->ready && device->next_port < m_settings.ports.size() && device->in_flight < m_settings.per_device) {
    device->ready = true;
    m_ready.push_back(device);
  }
}

} // namespace fleetcert
