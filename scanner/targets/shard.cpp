#include "scanner/targets/shard.hpp"

#include "scanner/util/text.hpp"

#include <charconv>
#include <string>

namespace fleetcert {
namespace {

// SplitMix64's finaliser.
std::uint64_t finalise(std::uint64_t x)
{
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A decimal number of at most 10 digits, nothing else (no sign, no blank); nullopt otherwise.
std::optional<std::uint64_t> parse_count(std::string_view text)
{
  if (text.empty() || text.size() > 10) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

} // namespace

Result<Shard> parse_shard(std::string_view text, const char* job_completion_index)
{
  const std::string quoted = quote_for_message(text);
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return Error{"invalid --shard " + quoted + ": K/N or auto/N expected (e.g. 0/4: the first of 4 shards)"};
  }
  const std::string_view k_text = text.substr(0, slash);
  const auto count = parse_count(text.substr(slash + 1));
  const bool automatic = k_text == "auto";
  const auto index = automatic ? std::optional<std::uint64_t>(0) : parse_count(k_text);
  if (!count || !index) {
    return Error{"invalid --shard " + quoted
                 + ": K/N or auto/N expected, K and N whole numbers (e.g. 0/4: the first of 4 shards)"};
  }
  if (*count < 1 || *count > k_max_shards) {
    return Error{"invalid --shard " + quoted + ": N must be 1 to " + std::to_string(k_max_shards)};
  }
  Shard shard;
  shard.count = static_cast<std::uint32_t>(*count);
  if (automatic) {
    if (job_completion_index == nullptr) {
      return Error{"--shard " + quoted + ": " + k_job_completion_index
                   + " is not set (a Kubernetes Indexed Job sets it for each pod; elsewhere give K/N)"};
    }
    const auto from_environment = parse_count(job_completion_index);
    if (!from_environment) {
      return Error{"--shard " + quoted + ": " + k_job_completion_index + " " + quote_for_message(job_completion_index)
                   + " is not a whole number"};
    }
    if (*from_environment >= *count) {
      return Error{"--shard " + quoted + ": " + k_job_completion_index + " " + quote_for_message(job_completion_index)
                   + " is not below N (" + std::to_string(*count) + "); the Job's completions must equal N"};
    }
    shard.index = static_cast<std::uint32_t>(*from_environment);
    return shard;
  }
  if (*index >= *count) {
    return Error{"invalid --shard " + quoted + ": K must be below N (0 to " + std::to_string(*count - 1) + ")"};
  }
  shard.index = static_cast<std::uint32_t>(*index);
  return shard;
}

std::uint64_t fnv1a64(std::string_view bytes)
{
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::uint32_t shard_of_key(std::string_view key, std::uint32_t count)
{
  const uint128 product = static_cast<uint128>(finalise(fnv1a64(key))) * count;
  return static_cast<std::uint32_t>(product >> 64);
}

std::uint32_t shard_of_address(bool v6, uint128 value, std::uint32_t count)
{
  return shard_of_key(address_text(v6, value).view(), count);
}

bool in_shard(const Shard& shard, std::string_view key)
{
  if (const auto address = parse_address(key)) {
    return shard_of_address(address->first, address->second, shard.count) == shard.index;
  }
  return shard_of_key(key, shard.count) == shard.index;
}

} // namespace fleetcert
