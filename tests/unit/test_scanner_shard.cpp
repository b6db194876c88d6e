// Tests for scanner/targets/shard and the shard walk of TargetIndex and EndpointCursor: --shard
// K/N parsed (every usage error named), and the partition's promises: every device in exactly one
// shard (disjoint, complete), the same partition whatever the order of the inputs, both ports of a
// device together, a name in its address's shard, and a few assignments pinned so that a change of
// hash (or a build whose std::hash differs) cannot go unnoticed.

#include "scanner/engine/endpoint_cursor.hpp"
#include "scanner/targets/shard.hpp"
#include "scanner/targets/targets.hpp"
#include "scanner/util/ip_address.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace fleetcert;

namespace {

TargetSet set_of(const std::vector<std::string>& adds, const std::vector<std::string>& excludes = {})
{
  TargetSet set;
  for (const auto& text : adds) {
    auto parsed = parse_target_spec(text);
    REQUIRE_MESSAGE(parsed.ok(), text);
    set.add(*parsed);
  }
  for (const auto& text : excludes) {
    auto parsed = parse_target_spec(text);
    REQUIRE_MESSAGE(parsed.ok(), text);
    set.exclude(*parsed);
  }
  return set;
}

// The device key of every target of `index` in `shard`.
std::vector<std::string> keys_in(const TargetIndex& index, const Shard& shard)
{
  std::vector<std::string> keys;
  for (uint128 i = 0; i < index.size(); ++i) {
    if (index.in_shard(i, shard)) {
      const Target target = index.at(i);
      keys.push_back(target.ip.empty() ? target.host : target.ip);
    }
  }
  return keys;
}

// Every endpoint EndpointCursor hands out, as "ip:port", taking and completing one at a time.
std::vector<std::string> walk(const TargetIndex& index, CursorSettings settings)
{
  EndpointCursor cursor(index, std::move(settings));
  std::vector<std::string> out;
  for (int guard = 0; guard < 100000; ++guard) {
    auto lease = cursor.take();
    if (!lease) {
      break;
    }
    out.push_back(lease->device->target.ip + ":" + std::to_string(lease->port));
    cursor.complete(*lease);
  }
  return out;
}

std::string parse_error(const char* text, const char* environment = nullptr)
{
  const Result<Shard> shard = parse_shard(text, environment);
  REQUIRE_FALSE(shard.ok());
  return shard.error();
}

bool contains(const std::string& text, const std::string& part)
{
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_SUITE("scanner.shard")
{
  TEST_CASE("K/N and auto/N are parsed")
  {
    const Result<Shard> first = parse_shard("0/4", nullptr);
    REQUIRE(first.ok());
    CHECK(first->index == 0);
    CHECK(first->count == 4);
    const Result<Shard> last = parse_shard("3/4", nullptr);
    REQUIRE(last.ok());
    CHECK(last->index == 3);
    const Result<Shard> whole = parse_shard("0/1", nullptr);
    REQUIRE(whole.ok());
    CHECK(whole->count == 1);
    const Result<Shard> most = parse_shard("65535/65536", nullptr);
    REQUIRE(most.ok());
    CHECK(most->count == k_max_shards);

    SUBCASE("auto/N takes K from JOB_COMPLETION_INDEX")
    {
      const Result<Shard> automatic = parse_shard("auto/4", "2");
      REQUIRE(automatic.ok());
      CHECK(automatic->index == 2);
      CHECK(automatic->count == 4);
      CHECK(parse_shard("auto/1", "0").ok());
    }
  }

  TEST_CASE("a bad --shard says what is wrong")
  {
    CHECK(contains(parse_error("3/3"), "K must be below N (0 to 2)"));
    CHECK(contains(parse_error("4/3"), "K must be below N"));
    CHECK(contains(parse_error("1/0"), "N must be 1 to 65536"));
    CHECK(contains(parse_error("0/65537"), "N must be 1 to 65536"));
    for (const char* bad : {"a/b", "-1/2", "1/-2", "+1/2", " 1/2", "1/2 ", "1.0/2", "1", "", "/", "1/", "/2", "1/2/3",
                            "99999999999/2", "0x1/4"}) {
      INFO(bad);
      CHECK(contains(parse_error(bad), "K/N or auto/N expected"));
    }
    CHECK(contains(parse_error("a/b"), "'a/b'"));

    SUBCASE("auto/N without a usable JOB_COMPLETION_INDEX")
    {
      CHECK(contains(parse_error("auto/4"), "JOB_COMPLETION_INDEX is not set"));
      CHECK(contains(parse_error("auto/4", "4"), "is not below N (4)"));
      CHECK(contains(parse_error("auto/4", "-1"), "is not a whole number"));
      CHECK(contains(parse_error("auto/4", ""), "is not a whole number"));
      CHECK(contains(parse_error("auto/4", "one"), "is not a whole number"));
      CHECK(contains(parse_error("auto/0", "0"), "N must be 1 to 65536"));
    }
  }

  TEST_CASE("the hash is 64-bit FNV-1a and the assignments are pinned")
  {
    // FNV-1a's published test vectors.
    CHECK(fnv1a64("") == 0xcbf29ce484222325ULL);
    CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
    // Computed independently (Python, from the formula in shard.hpp): the same on every build.
    CHECK(shard_of_key("192.0.2.1", 4) == 1);
    CHECK(shard_of_key("192.0.2.1", 7) == 2);
    CHECK(shard_of_key("192.0.2.1", 65536) == 19726);
    CHECK(shard_of_key("192.0.2.2", 7) == 1);
    CHECK(shard_of_key("10.0.0.1", 7) == 3);
    CHECK(shard_of_key("127.0.0.1", 4) == 0);
    CHECK(shard_of_key("2001:db8::1", 65536) == 25464);
    CHECK(shard_of_key("::ffff:192.0.2.1", 4) == 3);
    CHECK(shard_of_key("phone-12.example.net", 65536) == 12657);
    for (std::uint32_t count : {1u, 2u, 3u, 4u, 100u, k_max_shards}) {
      CHECK(shard_of_key("anything", count) < count);
    }
    CHECK(shard_of_key("192.0.2.1", 1) == 0);
  }

  TEST_CASE("an address is keyed by its canonical text, however it is written")
  {
    const Shard shard{shard_of_key("2001:db8::1", 16), 16};
    CHECK(in_shard(shard, "2001:db8::1"));
    CHECK(in_shard(shard, "2001:DB8:0:0:0:0:0:1"));
    CHECK(in_shard(shard, "2001:0db8::0001"));
    const auto address = parse_address("2001:DB8::1");
    REQUIRE(address.has_value());
    CHECK(shard_of_address(address->first, address->second, 16) == shard.index);

    SUBCASE("address_text writes what format_address writes, without allocating")
    {
      std::mt19937_64 random(7);
      for (int i = 0; i < 2000; ++i) {
        const uint128 v6 = (static_cast<uint128>(random()) << 64) | random();
        // Zero runs of every length and place, as RFC 5952 compresses them.
        const uint128 holes = v6 & ~((static_cast<uint128>(random() & random()) << 64) | (random() & random()));
        const std::uint32_t v4 = static_cast<std::uint32_t>(random());
        for (const auto& [is_v6, value] : {std::pair{false, static_cast<uint128>(v4)}, std::pair{true, v6},
                                           std::pair{true, holes}, std::pair{true, k_v4_mapped_prefix | v4}}) {
          const AddressText text = address_text(is_v6, value);
          const auto parsed = parse_address(text.view());
          REQUIRE(parsed.has_value());
          CHECK(parsed->second == value);
          CHECK(std::string(text.view()) == format_address(is_v6, value));
        }
      }
      CHECK(format_address(false, 0) == "0.0.0.0");
      CHECK(format_address(false, k_v4_max) == "255.255.255.255");
      CHECK(format_address(true, 0) == "::");
      CHECK(format_address(true, 1) == "::1");
      CHECK(format_address(true, ~static_cast<uint128>(0)) == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
      CHECK(format_address(true, k_v4_mapped_prefix | 0xc0000201) == "::ffff:192.0.2.1");
    }
  }

  TEST_CASE("every target in exactly one shard, whatever the order of the inputs")
  {
    const std::vector<std::string> specs = {"127.40.0.0/22", "127.40.8.10-127.40.9.44", "127.41.0.1", "::1",
                                            "2001:db8::/118", "127.40.2.0/24"};
    const std::vector<std::string> excludes = {"127.40.1.0/25"};
    const TargetIndex index(set_of(specs, excludes));
    REQUIRE(index.size() > 2000);

    for (std::uint32_t count : {1u, 2u, 4u, 7u}) {
      CAPTURE(count);
      std::map<std::string, int> seen;
      uint128 counted = 0;
      for (std::uint32_t k = 0; k < count; ++k) {
        const std::vector<std::string> keys = keys_in(index, Shard{k, count});
        CHECK(index.count_in_shard(Shard{k, count}) == keys.size());
        counted += index.count_in_shard(Shard{k, count});
        for (const auto& key : keys) {
          ++seen[key];
          CHECK(shard_of_key(key, count) == k);
        }
        if (count == 4) {
          // Balanced: no shard is far from a quarter.
          CHECK(keys.size() * 4 > index.size() * 3 / 4);
          CHECK(keys.size() * 4 < index.size() * 5 / 4);
        }
      }
      CHECK(counted == index.size());
      CHECK(seen.size() == index.size()); // complete
      CHECK(std::all_of(seen.begin(), seen.end(), [](const auto& entry) { return entry.second == 1; })); // disjoint
    }

    SUBCASE("the same partition for the inputs in another order")
    {
      std::vector<std::string> reversed(specs.rbegin(), specs.rend());
      std::vector<std::string> shuffled = specs;
      std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(3));
      for (const auto& other : {reversed, shuffled}) {
        const TargetIndex again(set_of(other, excludes));
        for (std::uint32_t k = 0; k < 4; ++k) {
          std::vector<std::string> a = keys_in(index, Shard{k, 4});
          std::vector<std::string> b = keys_in(again, Shard{k, 4});
          std::sort(a.begin(), a.end());
          std::sort(b.begin(), b.end());
          CHECK(a == b);
        }
      }
    }
  }

  TEST_CASE("a name is in the shard of the address it resolved to, an unresolved one in its name's")
  {
    // 127.50.0.7 is a range address that "phone" also resolved to; "desk" resolved outside the
    // ranges; "gone" did not resolve.
    TargetSet set = set_of({"127.50.0.0/28", "phone", "desk", "gone"});
    std::vector<NameResolution> names = {{"phone", {"127.50.0.7"}, ErrorClass::none, ""},
                                         {"desk", {"127.51.0.9", "::1"}, ErrorClass::none, ""}};
    const TargetIndex index(set, names);
    for (std::uint32_t k = 0; k < 3; ++k) {
      const Shard shard{k, 3};
      for (uint128 i = 0; i < index.size(); ++i) {
        const Target target = index.at(i);
        const std::string& key = target.ip.empty() ? target.host : target.ip;
        CHECK(index.in_shard(i, shard) == (shard_of_key(key, 3) == k));
      }
    }
    // The name and its address are one target: in the shard of the address.
    bool found = false;
    for (uint128 i = 0; i < index.size(); ++i) {
      const Target target = index.at(i);
      if (target.host == "phone") {
        found = true;
        CHECK(target.ip == "127.50.0.7");
        CHECK(index.in_shard(i, Shard{shard_of_key("127.50.0.7", 3), 3}));
      }
      if (target.host == "gone") {
        CHECK(index.in_shard(i, Shard{shard_of_key("gone", 3), 3}));
      }
    }
    CHECK(found);
  }

  TEST_CASE("EndpointCursor hands out this shard's devices only, both ports together")
  {
    const TargetIndex index(set_of({"127.60.0.0/24", "127.60.1.0/26"}));
    const std::vector<std::uint16_t> ports = {443, 5061};
    std::set<std::string> everything;
    for (uint128 i = 0; i < index.size(); ++i) {
      for (std::uint16_t port : ports) {
        everything.insert(index.at(i).ip + ":" + std::to_string(port));
      }
    }

    for (const bool shuffle : {false, true}) {
      CAPTURE(shuffle);
      std::multiset<std::string> all;
      for (std::uint32_t k = 0; k < 4; ++k) {
        CursorSettings settings;
        settings.ports = ports;
        settings.concurrency = 8;
        settings.per_device = 2;
        settings.shard = Shard{k, 4};
        if (shuffle) {
          settings.shuffle_seed = 42 + k;
        }
        const std::vector<std::string> endpoints = walk(index, settings);
        CHECK(endpoints.size() == 2 * index.count_in_shard(Shard{k, 4}));
        std::map<std::string, int> per_device;
        for (const auto& endpoint : endpoints) {
          const std::string ip = endpoint.substr(0, endpoint.rfind(':'));
          CHECK(shard_of_key(ip, 4) == k);
          ++per_device[ip];
          all.insert(endpoint);
        }
        for (const auto& [ip, n] : per_device) {
          CHECK_MESSAGE(n == 2, ip); // both ports of the device in this shard
        }
      }
      CHECK(all.size() == everything.size()); // no endpoint twice across the shards
      CHECK(std::set<std::string>(all.begin(), all.end()) == everything); // and none missing
    }
  }

  TEST_CASE("--resume with --shard: the shard's endpoints not yet done, each once")
  {
    const TargetIndex index(set_of({"127.61.0.0/25"}));
    const Shard shard{1, 3};
    CursorSettings settings;
    settings.ports = {443, 5061};
    settings.concurrency = 4;
    settings.shard = shard;
    settings.shuffle_seed = 9;
    const std::vector<std::string> first = walk(index, settings);
    REQUIRE(first.size() > 20);
    // The first half is "done" (in the JSONL report); a resumed run hands out only the rest.
    const std::set<std::string> done(first.begin(), first.begin() + static_cast<std::ptrdiff_t>(first.size() / 2));
    settings.skip = [&done](const Target& target, std::uint16_t port) {
      return done.count(target.ip + ":" + std::to_string(port)) != 0;
    };
    EndpointCursor cursor(index, settings);
    std::set<std::string> rest;
    while (auto lease = cursor.take()) {
      const std::string key = lease->device->target.ip + ":" + std::to_string(lease->port);
      CHECK(rest.insert(key).second);
      CHECK(done.count(key) == 0);
      cursor.complete(*lease);
    }
    CHECK(cursor.resumed() == done.size());
    CHECK(rest.size() + done.size() == first.size());
  }
}
