#pragma once
// Margins for the tests' assertions on time. They must hold on a loaded 2-core machine under
// ASan/UBSan with ctest -j4, where a thread may wait long for a core, and still fail on the
// breakage each assertion is there for (the comment at each use says which). Durations of whole
// processes are compared with a baseline measured in the same test, never with a fixed figure.

namespace fleetcert::testing {

// How much later than due a thread may get to run: a deadline's timer, a worker woken for its
// --rate slot, the simulator accepting. Below the shortest --timeout a test asserts on (2 s), so
// a deadline that fires a whole timeout late (started twice, or once per step) still fails.
inline constexpr double k_late_ms = 1500.0;

// How much earlier than its deadline connect_ms + handshake_ms may add up to: the deadline
// starts a few steps before the connection, and the two spans leave out the steps between them.
inline constexpr double k_deadline_lead_ms = 250.0;

} // namespace fleetcert::testing
