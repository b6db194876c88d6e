#pragma once
// The progress line of `scan` on a terminal (stderr): endpoints done of planned, with a
// certificate, in flight, and the recent rate. Rows written to the same terminal while it shows
// (the table, JSONL on stdout) never land on it: it is cleared before them and drawn again after.

#include "scanner/engine/engine.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace fleetcert {

// Endpoints per second over the last `window` (a sliding window of samples of the completed count),
// so a scan that slows down or stalls shows it at once, which an average since the start hides.
class RecentRate
{
public:
  using Clock = std::chrono::steady_clock;

  explicit RecentRate(Clock::duration window = std::chrono::seconds(5));

  // The completed count at `at` (samples in time order; counts never go down).
  void add(Clock::time_point at, std::uint64_t completed);
  // Completions per second between the oldest sample still in the window (or the last one before
  // it) and the newest; nullopt until two samples are apart in time.
  std::optional<double> per_second() const;

private:
  Clock::duration m_window;
  std::deque<std::pair<Clock::time_point, std::uint64_t>> m_samples;
};

// The line itself. Every member may be called from any thread (one mutex guards the terminal).
class ProgressLine
{
public:
  using Clock = RecentRate::Clock;

  struct Settings
  {
    std::FILE* out = stderr;
    bool enabled = false; // false: draws nothing, and around() only runs its writer
    std::uint64_t planned = 0;
    std::function<Clock::time_point()> now = [] { return Clock::now(); };
    // Columns of the terminal; the line is cut to one less (a full line would wrap on some terminals).
    std::function<std::size_t()> columns;
  };

  explicit ProgressLine(Settings settings);

  // Draws the line for `progress`, replacing the one shown.
  void update(const EngineProgress& progress);
  // Runs `write` (which prints rows or messages on the terminal) with the line cleared, then draws
  // the last line again.
  void around(const std::function<void()>& write);
  // Clears the line for good (before the summary).
  void clear();

private:
  std::string text() const;
  void draw();
  void erase();

  Settings m_settings;
  std::mutex m_mutex;
  RecentRate m_rate;
  std::optional<EngineProgress> m_last;
  bool m_shown = false;
  bool m_cleared_for_good = false;
};

// Columns of the terminal on `fd` (TIOCGWINSZ), else COLUMNS, else 80.
std::size_t terminal_width_or_default(int fd);

} // namespace fleetcert
