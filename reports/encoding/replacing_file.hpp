#pragma once
// The temporary-file-then-rename writer that keeps every report from being half-written, and the
// error every report writer throws when a path cannot be written.

#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>

namespace fleetcert {

// std::runtime_error("cannot write '<path>': <strerror(error)>").
std::runtime_error cannot_write(const std::string& path, int error);

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
  bool m_committed = false;
};

} // namespace fleetcert
