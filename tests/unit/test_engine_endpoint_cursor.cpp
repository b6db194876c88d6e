// Tests for scanner/engine/endpoint_cursor: what EndpointCursor promises, without sockets. Small
// worked examples pin the order; property tests drive take/complete in seeded pseudo-random
// interleavings over many target sets, port lists, --per-device and --concurrency values, with and
// without --shuffle and --resume, and check at every step:
//   - no more than per_device endpoints of one device in flight;
//   - fewer than 2 x concurrency devices open (waiting or in flight; the cursor's memory), the
//     ready queue included, while at most `concurrency` leases are held;
//   - a new device is opened only while fewer than `concurrency` devices wait;
// and at the end: every endpoint handed out exactly once (skipped ones never, and counted),
// devices opened in target order or in the order of the shuffle's IndexPermutation.

#include "scanner/engine/endpoint_cursor.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
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

std::string target_id(const Target& target)
{
  return target.ip.empty() ? "host:" + target.host : target.ip;
}

std::string endpoint_id(const Target& target, std::uint16_t port)
{
  return target_id(target) + "|" + std::to_string(port);
}

std::string lease_id(const Lease& lease)
{
  return endpoint_id(lease.device->target, lease.port);
}

// A --resume stand-in: leaves out about a quarter of the endpoints, and every port of a target
// whose text ends in '7' (the cursor must then pass over the device). Pure, so it can be asked twice.
bool skip_some(const Target& target, std::uint16_t port)
{
  const std::string id = target_id(target);
  if (id.back() == '7') {
    return true;
  }
  unsigned sum = port;
  for (const char c : id) {
    sum += static_cast<unsigned char>(c);
  }
  return sum % 4 == 0;
}

// The targets in the order the cursor must open them: TargetIndex order, or its permutation.
std::vector<Target> opening_order(const TargetSet& set, const std::optional<std::uint64_t>& seed)
{
  const TargetIndex index(set);
  const auto size = static_cast<std::uint64_t>(index.size());
  std::vector<Target> order;
  std::optional<IndexPermutation> permutation;
  if (seed) {
    permutation.emplace(size, *seed);
  }
  for (std::uint64_t i = 0; i < size; ++i) {
    order.push_back(index.at(permutation ? permutation->at(i) : i));
  }
  return order;
}

// How the test hands endpoints back.
enum class Interleaving
{
  workers, // `concurrency` workers like the engine's: take, complete, take again; leave on nullopt
  random,  // take (while fewer than `concurrency` are held) or complete a random held lease
};

struct Drive
{
  std::map<std::string, int> handed_out;  // endpoint -> times handed out
  std::vector<std::string> opened;        // targets in the order their first endpoint came out
  std::vector<std::string> violations;    // broken promises, with the step
  std::size_t most_open = 0;              // devices alive at once, at most
  std::size_t most_waiting = 0;           // the ready queue's length, at most
  std::uint64_t resumed = 0;
  bool finished = false;                  // every worker left / nothing more came out
};

// Drives a cursor to the end (bounded in steps), checking the promises after every call.
Drive drive(const TargetSet& targets, const CursorSettings& settings, Interleaving interleaving, unsigned take_percent,
            std::uint64_t seed)
{
  EndpointCursor cursor(TargetIndex(targets), settings);
  const unsigned per_device = std::max(1u, settings.per_device);
  const unsigned concurrency = std::max(1u, settings.concurrency);
  std::mt19937_64 random(seed);
  Drive out;
  std::map<std::string, unsigned> in_flight;       // target -> its leases held now
  std::vector<std::weak_ptr<OpenDevice>> alive;    // every device seen, pruned once gone
  std::set<std::string> seen_targets;

  std::size_t step = 0;
  auto violation = [&](const std::string& what) {
    if (out.violations.size() < 5) {
      out.violations.push_back("step " + std::to_string(step) + ": " + what);
    }
  };
  auto check_bounds = [&] {
    alive.erase(std::remove_if(alive.begin(), alive.end(), [](const auto& device) { return device.expired(); }),
                alive.end());
    out.most_open = std::max(out.most_open, alive.size());
    const std::size_t waiting = cursor.waiting();
    out.most_waiting = std::max(out.most_waiting, waiting);
    if (alive.size() >= 2 * std::size_t{concurrency}) {
      violation(std::to_string(alive.size()) + " devices open with concurrency " + std::to_string(concurrency));
    }
    if (waiting >= 2 * std::size_t{concurrency}) {
      violation(std::to_string(waiting) + " devices waiting with concurrency " + std::to_string(concurrency));
    }
  };
  auto take = [&]() -> std::optional<Lease> {
    const std::size_t waiting_before = cursor.waiting();
    std::optional<Lease> lease = cursor.take();
    if (lease) {
      const std::string target = target_id(lease->device->target);
      ++out.handed_out[lease_id(*lease)];
      if (++in_flight[target] > per_device) {
        violation(target + " has " + std::to_string(in_flight[target]) + " endpoints in flight");
      }
      if (seen_targets.insert(target).second) {
        out.opened.push_back(target);
        alive.push_back(lease->device);
        // With a skip function, a device popped from the queue may turn out to have nothing
        // left and make room: the rule is then only visible through the bounds.
        if (!settings.skip && waiting_before >= concurrency) {
          violation("opened " + target + " while " + std::to_string(waiting_before) + " devices waited");
        }
      }
    }
    check_bounds();
    return lease;
  };
  auto complete = [&](Lease lease) {
    --in_flight[target_id(lease.device->target)];
    cursor.complete(lease);
    lease.device.reset();
    check_bounds();
  };

  // Enough steps for every endpoint to be taken and completed twice over.
  const auto endpoints = static_cast<std::size_t>(TargetIndex(targets).size()) * settings.ports.size();
  const std::size_t max_steps = 4 * endpoints + 8 * concurrency + 100;

  if (interleaving == Interleaving::workers) {
    std::vector<std::optional<Lease>> held(concurrency);
    std::vector<bool> left(concurrency, false);
    std::size_t leaving = 0;
    for (; step < max_steps && leaving < concurrency; ++step) {
      std::size_t worker = random() % concurrency;
      while (left[worker]) {
        worker = (worker + 1) % concurrency;
      }
      if (held[worker]) {
        complete(std::move(*held[worker]));
        held[worker].reset();
      } else if (!(held[worker] = take())) {
        left[worker] = true;
        ++leaving;
      }
    }
    out.finished = leaving == concurrency;
  } else {
    std::vector<Lease> held;
    bool must_complete = false;
    for (; step < max_steps; ++step) {
      const bool may_take = held.size() < concurrency && !must_complete;
      if (may_take && (held.empty() || random() % 100 < take_percent)) {
        if (auto lease = take()) {
          held.push_back(std::move(*lease));
        } else if (held.empty()) {
          out.finished = true;
          break;
        } else {
          must_complete = true; // nothing to hand out until something comes back
        }
      } else {
        const std::size_t index = random() % held.size();
        Lease lease = std::move(held[index]);
        held.erase(held.begin() + static_cast<std::ptrdiff_t>(index));
        complete(std::move(lease));
        must_complete = false;
      }
    }
  }
  out.resumed = cursor.resumed();
  return out;
}

struct Expected
{
  std::map<std::string, int> endpoints; // each once
  std::vector<std::string> opened;      // targets with at least one endpoint, in opening order
  std::uint64_t skipped = 0;
};

Expected expected(const TargetSet& targets, const CursorSettings& settings)
{
  Expected out;
  for (const Target& target : opening_order(targets, settings.shuffle_seed)) {
    bool any = false;
    for (const std::uint16_t port : settings.ports) {
      if (settings.skip && settings.skip(target, port)) {
        ++out.skipped;
      } else {
        out.endpoints[endpoint_id(target, port)] = 1;
        any = true;
      }
    }
    if (any) {
      out.opened.push_back(target_id(target));
    }
  }
  return out;
}

std::string joined(const std::vector<std::string>& lines)
{
  std::ostringstream out;
  for (const auto& line : lines) {
    out << line << '\n';
  }
  return out.str();
}

// Takes until the cursor says none now, returning the endpoints as "ip|port".
std::vector<std::string> take_all(EndpointCursor& cursor, std::vector<Lease>& held)
{
  std::vector<std::string> ids;
  while (auto lease = cursor.take()) {
    ids.push_back(lease_id(*lease));
    held.push_back(std::move(*lease));
  }
  return ids;
}

} // namespace

TEST_SUITE("engine.endpoint_cursor")
{
  TEST_CASE("worked example: a new device while fewer than concurrency wait, else the oldest waiting one")
  {
    CursorSettings settings;
    settings.ports = {443, 5061};
    settings.per_device = 1;
    settings.concurrency = 2;
    EndpointCursor cursor(TargetIndex(set_of({"127.0.0.1-3"})), settings);
    std::map<std::string, Lease> held;
    auto take = [&] {
      auto lease = cursor.take();
      if (!lease) {
        return std::string("none");
      }
      const std::string id = lease_id(*lease);
      held.emplace(id, std::move(*lease));
      return id;
    };
    auto complete = [&](const std::string& id) {
      REQUIRE(held.count(id) == 1);
      cursor.complete(held.at(id));
      held.erase(id);
    };

    CHECK(take() == "127.0.0.1|443");
    CHECK(take() == "127.0.0.2|443"); // two workers busy, each device at its per_device limit
    complete("127.0.0.1|443");
    CHECK(cursor.waiting() == 1);     // .1 has a port left
    CHECK(take() == "127.0.0.3|443"); // one device waits, fewer than 2: open a new one
    complete("127.0.0.2|443");
    complete("127.0.0.3|443");
    CHECK(cursor.waiting() == 3);     // the queue may pass concurrency, never 2 x concurrency
    CHECK(take() == "127.0.0.1|5061"); // 3 wait: serve them, oldest first
    CHECK(take() == "127.0.0.2|5061");
    complete("127.0.0.1|5061");
    complete("127.0.0.2|5061");
    CHECK(take() == "127.0.0.3|5061");
    CHECK(take() == "none");
    complete("127.0.0.3|5061");
    CHECK(cursor.waiting() == 0);
    CHECK(take() == "none");
  }

  TEST_CASE("worked example: per_device endpoints of one device at once, the next when one completes")
  {
    CursorSettings settings;
    settings.ports = {1, 2, 3, 4, 5};
    settings.per_device = 2;
    settings.concurrency = 8;
    EndpointCursor cursor(TargetIndex(set_of({"127.0.0.9"})), settings);
    std::vector<Lease> held;
    REQUIRE(take_all(cursor, held) == std::vector<std::string>{"127.0.0.9|1", "127.0.0.9|2"});
    cursor.complete(held[1]);
    REQUIRE(take_all(cursor, held) == std::vector<std::string>{"127.0.0.9|3"});
    cursor.complete(held[0]);
    cursor.complete(held[2]);
    REQUIRE(take_all(cursor, held) == std::vector<std::string>{"127.0.0.9|4", "127.0.0.9|5"});
    CHECK(cursor.waiting() == 0); // no port left: the device is not queued again
  }

  TEST_CASE("worked example: skipped endpoints are counted and never handed out, a device with none left is passed over")
  {
    CursorSettings settings;
    settings.ports = {443, 5061};
    settings.concurrency = 4;
    settings.skip = [](const Target& target, std::uint16_t port) {
      return target.ip == "127.0.0.2" || (target.ip == "127.0.0.3" && port == 443);
    };
    EndpointCursor cursor(TargetIndex(set_of({"127.0.0.1-3"})), settings);
    std::vector<Lease> held;
    REQUIRE(take_all(cursor, held) == std::vector<std::string>{"127.0.0.1|443", "127.0.0.3|5061"});
    CHECK(cursor.resumed() == 3);
    for (const Lease& lease : held) {
      cursor.complete(lease);
    }
    held.clear();
    REQUIRE(take_all(cursor, held) == std::vector<std::string>{"127.0.0.1|5061"});
    CHECK(cursor.resumed() == 3);
  }

  TEST_CASE("worked example: a name and its address given both are one device, each port once, per_device honoured")
  {
    CursorSettings settings;
    settings.ports = {443, 5061};
    settings.concurrency = 4;
    settings.per_device = 1;
    const TargetIndex index(set_of({"localhost", "127.0.0.1", "127.0.0.2"}),
                            {NameResolution{"localhost", {"127.0.0.1"}, ErrorClass::none, {}}});
    REQUIRE(index.size() == 2);
    EndpointCursor cursor(index, settings);
    std::vector<Lease> held;
    // One endpoint of each device at a time: 127.0.0.1 (which is localhost) once, not twice.
    REQUIRE(take_all(cursor, held) == std::vector<std::string>{"127.0.0.1|443", "127.0.0.2|443"});
    CHECK(held[0].device->target.host == "localhost");
    for (const Lease& lease : held) {
      cursor.complete(lease);
    }
    held.clear();
    REQUIRE(take_all(cursor, held) == std::vector<std::string>{"127.0.0.1|5061", "127.0.0.2|5061"});
    CHECK(held[0].device->target.host == "localhost");
    for (const Lease& lease : held) {
      cursor.complete(lease);
    }
    held.clear();
    CHECK(take_all(cursor, held).empty());
  }

  TEST_CASE("no ports, no targets: nothing to hand out")
  {
    CursorSettings settings;
    EndpointCursor no_ports(TargetIndex(set_of({"127.0.0.1-3"})), settings);
    CHECK_FALSE(no_ports.take());
    settings.ports = {443};
    EndpointCursor no_targets(TargetIndex(TargetSet{}), settings);
    CHECK_FALSE(no_targets.take());
  }

  TEST_CASE("properties: every endpoint once, per_device, bounded open devices, over many settings and interleavings")
  {
    struct Targets
    {
      std::vector<std::string> adds;
      std::vector<std::string> excludes;
    };
    const std::vector<Targets> target_sets{
        {{"127.0.0.1-40"}, {}},
        {{"127.1.0.0/26", "phone-1.invalid", "phone-2.invalid"}, {"127.1.0.8/29"}},
        {{"127.2.0.9"}, {}},
        {{"127.3.0.1", "127.3.0.5", "127.3.0.6", "::1", "127.3.0.17", "phone-7.invalid"}, {}},
    };
    const std::vector<std::vector<std::uint16_t>> port_lists{{443}, {443, 5061}, {1, 2, 3, 4, 5, 6, 7}};
    const std::vector<std::optional<std::uint64_t>> shuffles{std::nullopt, 1, 0xF1EE7CE27ULL};
    std::uint64_t drives = 0;
    std::size_t queue_past_concurrency = 0;
    for (const Targets& spec : target_sets) {
      const TargetSet targets = set_of(spec.adds, spec.excludes);
      for (const auto& ports : port_lists) {
        for (const unsigned per_device : {1u, 2u, 3u}) {
          for (const unsigned concurrency : {1u, 2u, 3u, 8u}) {
            for (const auto& shuffle : shuffles) {
              for (const bool skip : {false, true}) {
                CursorSettings settings;
                settings.ports = ports;
                settings.per_device = per_device;
                settings.concurrency = concurrency;
                settings.shuffle_seed = shuffle;
                if (skip) {
                  settings.skip = skip_some;
                }
                const Expected want = expected(targets, settings);
                for (const auto& [interleaving, take_percent] :
                     {std::pair{Interleaving::workers, 0u}, std::pair{Interleaving::random, 30u},
                      std::pair{Interleaving::random, 80u}}) {
                  for (const std::uint64_t seed : {7ULL, 20260515ULL}) {
                    const Drive got = drive(targets, settings, interleaving, take_percent, seed);
                    ++drives;
                    INFO("targets " << spec.adds.front() << ", " << ports.size() << " ports, per_device " << per_device
                                    << ", concurrency " << concurrency << ", shuffle "
                                    << (shuffle ? std::to_string(*shuffle) : "no") << ", skip " << skip
                                    << ", interleaving " << static_cast<int>(interleaving) << "/" << take_percent
                                    << ", seed " << seed);
                    CHECK_MESSAGE(got.violations.empty(), joined(got.violations));
                    CHECK(got.finished);
                    CHECK(got.handed_out == want.endpoints);
                    CHECK(got.opened == want.opened);
                    CHECK(got.resumed == want.skipped);
                    if (got.most_waiting > concurrency) {
                      ++queue_past_concurrency;
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    CHECK(drives == 4 * 3 * 3 * 4 * 3 * 2 * 3 * 2);
    // The interleavings reach the corners the bounds are about.
    CHECK(queue_past_concurrency > 0);
  }

  TEST_CASE("shuffle: the seed picks the order, the same seed repeats it, every target once")
  {
    const TargetSet targets = set_of({"127.4.0.0/24"});
    auto order = [&](std::uint64_t seed) {
      CursorSettings settings;
      settings.ports = {443};
      settings.concurrency = 16;
      settings.shuffle_seed = seed;
      return drive(targets, settings, Interleaving::workers, 0, 3).opened;
    };
    const std::vector<std::string> a = order(42);
    CHECK(a.size() == 256);
    CHECK(std::set<std::string>(a.begin(), a.end()).size() == 256);
    CHECK(order(42) == a);
    CHECK(order(43) != a);
    std::vector<std::string> sorted = a;
    std::sort(sorted.begin(), sorted.end(), [](const std::string& x, const std::string& y) {
      return parse_address(x)->second < parse_address(y)->second;
    });
    CHECK(sorted != a); // not the plain order
  }
}
