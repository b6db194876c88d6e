#include "scanner/app/progress_line.hpp"

#include "scanner/util/terminal.hpp"

#include <cstdlib>

#include <unistd.h>

namespace fleetcert {
namespace {

constexpr std::size_t k_default_columns = 80;
constexpr const char* k_erase_line = "\r\033[K"; // to the line's start, then erase to its end

} // namespace

RecentRate::RecentRate(Clock::duration window) : m_window(window) {}

void RecentRate::add(Clock::time_point at, std::uint64_t completed)
{
  m_samples.emplace_back(at, completed);
  // Keep one sample at or before the window's start, so the rate spans the whole window.
  while (m_samples.size() > 2 && m_samples[1].first <= at - m_window) {
    m_samples.pop_front();
  }
}

std::optional<double> RecentRate::per_second() const
{
  if (m_samples.size() < 2) {
    return std::nullopt;
  }
  const auto& [first_at, first_count] = m_samples.front();
  const auto& [last_at, last_count] = m_samples.back();
  const double seconds = std::chrono::duration<double>(last_at - first_at).count();
  if (seconds <= 0) {
    return std::nullopt;
  }
  return static_cast<double>(last_count - first_count) / seconds;
}

ProgressLine::ProgressLine(Settings settings) : m_settings(std::move(settings))
{
  if (!m_settings.columns) {
    m_settings.columns = [] { return terminal_width_or_default(STDERR_FILENO); };
  }
  m_rate.add(m_settings.now(), 0);
}

void ProgressLine::update(const EngineProgress& progress)
{
  const std::lock_guard lock(m_mutex);
  m_rate.add(m_settings.now(), progress.completed);
  m_last = progress;
  draw();
}

void ProgressLine::around(const std::function<void()>& write)
{
  if (!m_settings.enabled) {
    write();
    return;
  }
  const std::lock_guard lock(m_mutex);
  erase();
  write();
  draw();
}

void ProgressLine::clear()
{
  const std::lock_guard lock(m_mutex);
  erase();
  m_cleared_for_good = true;
}

std::string ProgressLine::text() const
{
  const EngineProgress& p = *m_last;
  const std::optional<double> rate = m_rate.per_second();
  char rate_text[32] = "-";
  if (rate) {
    std::snprintf(rate_text, sizeof rate_text, *rate < 10 ? "%.1f" : "%.0f", *rate);
  }
  char line[256];
  std::snprintf(line, sizeof line, "fleetcert: %llu/%llu endpoints, %llu with a certificate, %llu in flight, %s/s",
                static_cast<unsigned long long>(p.completed), static_cast<unsigned long long>(m_settings.planned),
                static_cast<unsigned long long>(p.ok), static_cast<unsigned long long>(p.started - p.completed),
                rate_text);
  std::string text(line);
  const std::size_t columns = m_settings.columns();
  if (columns > 1 && text.size() > columns - 1) {
    text.resize(columns - 1); // ASCII only: one byte per column
  }
  return text;
}

void ProgressLine::draw()
{
  if (!m_settings.enabled || m_cleared_for_good || !m_last) {
    return;
  }
  const std::string line = k_erase_line + text();
  std::fputs(line.c_str(), m_settings.out);
  std::fflush(m_settings.out);
  m_shown = true;
}

void ProgressLine::erase()
{
  if (!m_shown) {
    return;
  }
  std::fputs(k_erase_line, m_settings.out);
  std::fflush(m_settings.out);
  m_shown = false;
}

std::size_t terminal_width_or_default(int fd)
{
  if (const std::optional<std::size_t> columns = terminal_columns(fd)) {
    return *columns;
  }
  return parse_columns(std::getenv("COLUMNS")).value_or(k_default_columns);
}

} // namespace fleetcert
