// The progress line: the recent rate over a sliding window (an injected clock), the line's text and
// cut, and that rows written around it never share its line.

#include "scanner/app/progress_line.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace fleetcert;
using namespace std::chrono_literals;

namespace {

using Clock = RecentRate::Clock;

// A FILE* whose contents can be read back (open_memstream).
class MemoryFile
{
public:
  MemoryFile() : m_file(open_memstream(&m_buffer, &m_size)) { REQUIRE(m_file != nullptr); }
  ~MemoryFile()
  {
    std::fclose(m_file);
    std::free(m_buffer);
  }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  std::FILE* file() const { return m_file; }
  std::string text()
  {
    std::fflush(m_file);
    return std::string(m_buffer, m_size);
  }

private:
  char* m_buffer = nullptr;
  std::size_t m_size = 0;
  std::FILE* m_file;
};

EngineProgress progress(std::uint64_t completed, std::uint64_t started, std::uint64_t ok)
{
  EngineProgress p;
  p.completed = completed;
  p.started = started;
  p.ok = ok;
  return p;
}

} // namespace

TEST_SUITE("app.progress_line")
{
  TEST_CASE("the rate is over the last seconds, not since the start")
  {
    const Clock::time_point t0{};
    RecentRate rate(5s);
    CHECK_FALSE(rate.per_second().has_value());
    rate.add(t0, 0);
    CHECK_FALSE(rate.per_second().has_value()); // one sample says nothing
    rate.add(t0, 10);
    CHECK_FALSE(rate.per_second().has_value()); // nor two at the same instant

    SUBCASE("a fast start, then a stall: the rate falls to 0 once the window has passed")
    {
      RecentRate r(5s);
      for (int i = 0; i <= 40; ++i) { // 10 s at 100/s, a sample every 250 ms
        r.add(t0 + i * 250ms, static_cast<std::uint64_t>(i) * 25);
      }
      REQUIRE(r.per_second().has_value());
      CHECK(*r.per_second() == doctest::Approx(100.0));
      for (int i = 41; i <= 60; ++i) { // 5 s without a completion
        r.add(t0 + i * 250ms, 1000);
      }
      // The average since the start would still say 66/s.
      CHECK(*r.per_second() == doctest::Approx(0.0));
    }
    SUBCASE("a slow start, then fast: the window shows the new pace within its length")
    {
      RecentRate r(5s);
      for (int i = 0; i <= 40; ++i) { // 10 s at 4/s
        r.add(t0 + i * 250ms, static_cast<std::uint64_t>(i));
      }
      CHECK(*r.per_second() == doctest::Approx(4.0));
      for (int i = 41; i <= 60; ++i) { // 5 s at 400/s
        r.add(t0 + i * 250ms, 40 + static_cast<std::uint64_t>(i - 40) * 100);
      }
      CHECK(*r.per_second() == doctest::Approx(400.0));
    }
    SUBCASE("the window spans its length: the sample at its start is kept")
    {
      RecentRate r(5s);
      r.add(t0, 0);
      r.add(t0 + 1s, 100);
      r.add(t0 + 7s, 130); // the window starts at 2 s: from the 1 s sample, the last one before it
      CHECK(*r.per_second() == doctest::Approx(30.0 / 6));
      r.add(t0 + 8s, 140); // starts at 3 s: still from 1 s
      CHECK(*r.per_second() == doctest::Approx(40.0 / 7));
      r.add(t0 + 13s, 170); // starts at 8 s: from 8 s
      CHECK(*r.per_second() == doctest::Approx(30.0 / 5));
    }
  }

  TEST_CASE("the line: counts and the recent rate, redrawn in place, cut to the terminal")
  {
    MemoryFile out;
    Clock::time_point now{};
    ProgressLine::Settings settings;
    settings.out = out.file();
    settings.enabled = true;
    settings.planned = 200;
    settings.now = [&now] { return now; };
    settings.columns = [] { return std::size_t{200}; };
    ProgressLine line(settings);
    now += 1s;
    line.update(progress(50, 60, 40));
    CHECK(out.text() == "\r\033[Kfleetcert: 50/200 endpoints, 40 with a certificate, 10 in flight, 50/s");
    now += 9s;
    line.update(progress(55, 60, 44)); // 5 in the 9 s since the last sample before the window: not 5.5/s since the start
    CHECK(out.text().substr(out.text().rfind('\r')) ==
          "\r\033[Kfleetcert: 55/200 endpoints, 44 with a certificate, 5 in flight, 0.6/s");

    SUBCASE("cut to one column less than the terminal")
    {
      MemoryFile narrow;
      settings.out = narrow.file();
      settings.columns = [] { return std::size_t{30}; };
      ProgressLine cut(settings);
      cut.update(progress(1, 2, 1));
      CHECK(narrow.text() == "\r\033[Kfleetcert: 1/200 endpoints, 1"); // 29 columns
    }
  }

  TEST_CASE("rows are written with the line cleared, and it comes back after them")
  {
    MemoryFile out;
    Clock::time_point now{};
    ProgressLine::Settings settings;
    settings.out = out.file();
    settings.enabled = true;
    settings.planned = 2;
    settings.now = [&now] { return now; };
    settings.columns = [] { return std::size_t{200}; };
    ProgressLine line(settings);

    // Nothing drawn yet: nothing to clear.
    line.around([&] { std::fputs("row 0\n", out.file()); });
    CHECK(out.text() == "row 0\n");

    now += 1s;
    line.update(progress(1, 2, 1));
    line.around([&] { std::fputs("row 1\n", out.file()); });
    const std::string drawn = "\r\033[Kfleetcert: 1/2 endpoints, 1 with a certificate, 1 in flight, 1.0/s";
    CHECK(out.text() == "row 0\n" + drawn + "\r\033[Krow 1\n" + drawn);

    line.clear();
    CHECK(out.text() == "row 0\n" + drawn + "\r\033[Krow 1\n" + drawn + "\r\033[K");
    // Cleared for good: later updates and rows draw nothing.
    line.update(progress(2, 2, 2));
    line.around([&] { std::fputs("summary\n", out.file()); });
    CHECK(out.text() == "row 0\n" + drawn + "\r\033[Krow 1\n" + drawn + "\r\033[Ksummary\n");
  }

  TEST_CASE("disabled, it writes nothing and only runs the rows")
  {
    MemoryFile out;
    ProgressLine::Settings settings;
    settings.out = out.file();
    ProgressLine line(settings);
    line.update(progress(1, 1, 1));
    line.around([&] { std::fputs("row\n", out.file()); });
    line.clear();
    CHECK(out.text() == "row\n");
  }
}
