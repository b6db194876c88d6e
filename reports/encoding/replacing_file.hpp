#pragma once
// The temporary-file-then-rename writer that keeps every report from being half-written, and the
// error every report writer throws when a path cannot be written.

#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>

namespace fleetcert {

// std::runtime_error("cannot write '<path>': <strerror(error)>"); for "-", "cannot write to
// standard output: <strerror(error)>".
std::runtime_error cannot_write(const std::string& path, int error);

// Removes every ReplacingFile's temporary file now: only unlink(2), so a signal handler may call
// it before _exit (a second SIGINT/SIGTERM leaves no "*.tmp-<pid>" behind).
void remove_temporary_files() noexcept;

// A file written as "<path>.tmp-<pid>" beside `path` and renamed over `path` by commit(), so
// `path` only ever holds a complete report. Without commit() the temporary file is removed.
// "-" (standard output), devices and FIFOs are written straight to.
class ReplacingFile
{
public:
  // Opens the temporary file; throws std::runtime_error("cannot write '<path>': <reason>").
  explicit ReplacingFile(std::string path);
  ~ReplacingFile();
  ReplacingFile(const ReplacingFile&) = delete;
  ReplacingFile& operator=(const ReplacingFile&) = delete;

  // Buffered; a failure is remembered and reported by commit().
  void write(std::string_view bytes);
  // Flushes, fsyncs, closes and renames into place; throws std::runtime_error on any failure.
  void commit();

  const std::string& path() const { return m_path; }
  const std::string& temporary_path() const { return m_temporary_path; }

private:
  std::string m_path;
  std::string m_temporary_path;
  std::FILE* m_file = nullptr;
  int m_write_errno = 0; // first write failure
  int m_slot = -1;       // in the table remove_temporary_files() reads; -1: not listed
  bool m_committed = false;
};

} // namespace fleetcert
