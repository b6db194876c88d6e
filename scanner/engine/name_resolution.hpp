#pragma once
// Resolving the names given as targets, once, before the scan: a name and the addresses it
// resolves to are then one target each (TargetIndex), however the user wrote them.

#include "scanner/targets/targets.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

namespace fleetcert {

// Names looked up at once at most (each on its own io_context, whose resolver thread runs getaddrinfo).
inline constexpr unsigned k_parallel_lookups = 8;

// Resolves every name (Asio's resolver: the system's getaddrinfo, hosts file first), each within
// `timeout`, k_parallel_lookups at a time, into one NameResolution per name in the same order.
// A name under .invalid fails at once without a query (RFC 6761). Once `stop` is set, the names
// not looked up yet are left unresolved (class timeout, "the scan was stopped"). Throws only when
// a thread or an event loop cannot be made.
std::vector<NameResolution> resolve_names(const std::vector<std::string>& names, std::chrono::milliseconds timeout,
                                          const std::atomic<bool>& stop);

} // namespace fleetcert
