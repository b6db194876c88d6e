#include "reports/json_report.hpp"

#include "reports/record_json.hpp"
#include "reports/summary.hpp"
#include "reports/text_safety.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fleetcert {

namespace {

constexpr std::string_view k_schema = "fleetcert-scan/1";

std::runtime_error cannot_write(const std::string& path, int error)
{
  return std::runtime_error("cannot write '" + path + "': " + std::strerror(error));
}

// Makes the rename durable; best effort (some file systems refuse fsync on a directory).
void sync_directory_of(const std::string& path)
{
  const std::size_t slash = path.rfind('/');
  const std::string directory = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

} // namespace

// A path that names an existing device or FIFO (/dev/stdout, /dev/null, a pipe) is written
// straight to: renaming over it would replace the device node. "-" is standard output.
ReplacingFile::ReplacingFile(std::string path) : m_path(std::move(path))
{
  if (m_path.empty()) {
    throw cannot_write(m_path, ENOENT);
  }
  int fd = -1;
  if (m_path == "-") {
    fd = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);
  } else {
    struct stat status
    {
    };
    const bool exists = ::stat(m_path.c_str(), &status) == 0;
    if (exists && S_ISDIR(status.st_mode)) {
      throw cannot_write(m_path, EISDIR);
    }
    if (exists && !S_ISREG(status.st_mode)) {
      fd = ::open(m_path.c_str(), O_WRONLY | O_CLOEXEC);
    } else {
      m_temporary_path = m_path + ".tmp-" + std::to_string(::getpid());
      fd = ::open(m_temporary_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    }
  }
  if (fd < 0) {
    throw cannot_write(m_path, errno);
  }
  m_file = ::fdopen(fd, "w");
  if (m_file == nullptr) {
    const int error = errno;
    ::close(fd);
    if (!m_temporary_path.empty()) {
      ::unlink(m_temporary_path.c_str());
    }
    throw cannot_write(m_path, error);
  }
  static_cast<void>(std::setvbuf(m_file, nullptr, _IOFBF, 64 * 1024));
}

ReplacingFile::~ReplacingFile()
{
  if (m_file != nullptr) {
    std::fclose(m_file);
  }
  if (!m_committed && !m_temporary_path.empty()) {
    ::unlink(m_temporary_path.c_str());
  }
}

void ReplacingFile::write(std::string_view bytes)
{
  if (m_file == nullptr || m_write_errno != 0 || bytes.empty()) {
    return;
  }
  if (std::fwrite(bytes.data(), 1, bytes.size(), m_file) != bytes.size()) {
    m_write_errno = errno != 0 ? errno : EIO;
  }
}

void ReplacingFile::commit()
{
  if (m_committed) {
    return;
  }
  if (m_file == nullptr) {
    throw cannot_write(m_path, EBADF);
  }
  int error = m_write_errno;
  if (std::fflush(m_file) != 0 && error == 0) {
    error = errno;
  }
  if (std::ferror(m_file) != 0 && error == 0) {
    error = EIO;
  }
  // Devices and pipes cannot be synced: EINVAL/EROFS there mean nothing is wrong.
  if (::fsync(::fileno(m_file)) != 0 && error == 0 && errno != EINVAL && errno != EROFS) {
    error = errno;
  }
  if (std::fclose(m_file) != 0 && error == 0) {
    error = errno;
  }
  m_file = nullptr;
  if (error != 0) {
    throw cannot_write(m_path, error);
  }
  if (!m_temporary_path.empty()) {
    if (::rename(m_temporary_path.c_str(), m_path.c_str()) != 0) {
      throw cannot_write(m_path, errno);
    }
    sync_directory_of(m_path);
  }
  m_committed = true;
}

JsonReport::JsonReport(std::string path) : m_file(std::move(path)) {}

void JsonReport::begin(const ScanInfo& /*info*/)
{
  if (m_begun) {
    return;
  }
  m_begun = true;
  m_file.write("{\"schema\":\"");
  m_file.write(k_schema);
  m_file.write("\",\"records\":[");
}

void JsonReport::write(const Record& record)
{
  begin(ScanInfo{});
  m_file.write(m_records == 0 ? "\n" : ",\n");
  m_file.write(dump_json(record_to_json(record)));
  ++m_records;
}

void JsonReport::finish(const ScanInfo& info, const ScanSummary& summary)
{
  if (m_finished) {
    return;
  }
  begin(info);

  nlohmann::ordered_json scan = nlohmann::ordered_json::object();
  scan["tool"] = "fleetcert";
  scan["version"] = to_valid_utf8(info.tool_version);
  scan["started_at"] = format_iso8601(info.started_at);
  scan["finished_at"] = format_iso8601(info.finished_at);
  scan["duration_s"] = info.finished_at >= info.started_at ? info.finished_at - info.started_at : 0;
  nlohmann::ordered_json arguments = nlohmann::ordered_json::array();
  for (const std::string& argument : info.arguments) {
    arguments.push_back(to_valid_utf8(argument));
  }
  scan["arguments"] = std::move(arguments);
  scan["ports"] = info.ports;
  scan["endpoints_planned"] = info.endpoints_planned;
  scan["endpoints_done"] = m_records;
  scan["interrupted"] = info.interrupted;

  m_file.write("\n],\"scan\":");
  m_file.write(scan.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  m_file.write(",\"summary\":");
  m_file.write(dump_json(summary_to_json(summary)));
  m_file.write("}\n");
  m_finished = true;
  m_file.commit();
}

JsonlReport::JsonlReport(std::string path) : m_path(std::move(path))
{
  if (m_path == "-") {
    m_file = stdout;
    return;
  }
  m_file = std::fopen(m_path.c_str(), "we");
  if (m_file == nullptr) {
    throw cannot_write(m_path, errno);
  }
}

JsonlReport::~JsonlReport()
{
  if (m_file != nullptr && m_file != stdout) {
    std::fclose(m_file);
  }
}

void JsonlReport::begin(const ScanInfo& /*info*/) {}

void JsonlReport::write(const Record& record)
{
  if (m_file == nullptr || m_write_errno != 0) {
    return;
  }
  std::string line = dump_json(record_to_json(record));
  line += '\n';
  if (std::fwrite(line.data(), 1, line.size(), m_file) != line.size() || std::fflush(m_file) != 0) {
    m_write_errno = errno != 0 ? errno : EIO;
  }
}

void JsonlReport::finish(const ScanInfo& /*info*/, const ScanSummary& /*summary*/)
{
  if (m_file == nullptr) {
    return;
  }
  int error = m_write_errno;
  if (std::fflush(m_file) != 0 && error == 0) {
    error = errno;
  }
  if (m_file != stdout && std::fclose(m_file) != 0 && error == 0) {
    error = errno;
  }
  m_file = nullptr;
  if (error != 0) {
    throw cannot_write(m_path == "-" ? std::string("standard output") : m_path, error);
  }
}

} // namespace fleetcert
