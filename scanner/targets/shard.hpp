#pragma once
// --shard K/N: a deterministic partition of a scan's targets by device, so that N workers split
// one sweep. A device is keyed by its address (canonical_address text; a name that did not resolve
// by its name), and its shard is a fixed hash of that key: both ports of an address, and every
// name that resolved to it, fall in the same shard, whatever the order of the inputs.
//
//   shard(key) = floor(mix64(fnv1a64(key)) * N / 2^64)
//
// fnv1a64 is 64-bit FNV-1a over the key's bytes, mix64 SplitMix64's finaliser (FNV-1a's low bits
// are weak); both are fixed here, so the partition is the same on every build and every machine.

#include "scanner/model/result.hpp"
#include "scanner/util/ip_address.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace fleetcert {

// Most shards a sweep may be split into (N of K/N).
inline constexpr std::uint32_t k_max_shards = 65536;

// The environment variable a Kubernetes Indexed Job sets for each pod (0 to completions-1).
inline constexpr const char* k_job_completion_index = "JOB_COMPLETION_INDEX";

// One shard of N: 0 <= index < count.
struct Shard
{
  std::uint32_t index = 0;
  std::uint32_t count = 1;
};

// Parses "K/N" (decimal, 0 <= K < N, 1 <= N <= k_max_shards) or "auto/N", which takes K from
// `job_completion_index` (the JOB_COMPLETION_INDEX variable's value; null: not set). Errors say
// what is wrong and what is expected.
Result<Shard> parse_shard(std::string_view text, const char* job_completion_index);

// 64-bit FNV-1a over `bytes`.
std::uint64_t fnv1a64(std::string_view bytes);

// The shard (0 to count-1) of a device key: its address as canonical_address writes it, or the
// name of a name that did not resolve. count >= 1.
std::uint32_t shard_of_key(std::string_view key, std::uint32_t count);

// shard_of_key of an address in format_address's text, without allocating.
std::uint32_t shard_of_address(bool v6, uint128 value, std::uint32_t count);

// True when the device keyed `key` (an address in any form is made canonical first) is in `shard`.
bool in_shard(const Shard& shard, std::string_view key);

} // namespace fleetcert
