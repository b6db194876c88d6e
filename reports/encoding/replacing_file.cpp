#include "reports/encoding/replacing_file.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fleetcert {
namespace {

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

// The temporary files of the ReplacingFiles alive now, for remove_temporary_files(): lock-free
// pointers a signal handler may read. A file beyond the table's size is still removed by its
// destructor, just not by a signal.
constexpr std::size_t k_temporary_slots = 256;
std::array<std::atomic<const char*>, k_temporary_slots> g_temporary_files{};
static_assert(std::atomic<const char*>::is_always_lock_free);

int list_temporary(const std::string& path)
{
  for (std::size_t slot = 0; slot < k_temporary_slots; ++slot) {
    const char* expected = nullptr;
    if (g_temporary_files[slot].compare_exchange_strong(expected, path.c_str())) {
      return static_cast<int>(slot);
    }
  }
  return -1;
}

void unlist_temporary(int& slot)
{
  if (slot >= 0) {
    g_temporary_files[static_cast<std::size_t>(slot)].store(nullptr);
    slot = -1;
  }
}

} // namespace

void remove_temporary_files() noexcept
{
  for (auto& slot : g_temporary_files) {
    const char* path = slot.load();
    if (path != nullptr) {
      ::unlink(path);
    }
  }
}

std::runtime_error cannot_write(const std::string& path, int error)
{
  if (path == "-") {
    return std::runtime_error(std::string("cannot write to standard output: ") + std::strerror(error));
  }
  return std::runtime_error("cannot write '" + path + "': " + std::strerror(error));
}

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
      m_slot = list_temporary(m_temporary_path);
      fd = ::open(m_temporary_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    }
  }
  if (fd < 0) {
    const int error = errno;
    unlist_temporary(m_slot);
    throw cannot_write(m_path, error);
  }
  m_file = ::fdopen(fd, "w");
  if (m_file == nullptr) {
    const int error = errno;
    ::close(fd);
    unlist_temporary(m_slot);
    if (!m_temporary_path.empty()) {
      ::unlink(m_temporary_path.c_str());
    }
    throw cannot_write(m_path, error);
  }
  static_cast<void>(std::setvbuf(m_file, nullptr, _IOFBF, 64 * 1024));
}

ReplacingFile::~ReplacingFile()
{
  unlist_temporary(m_slot);
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
    unlist_temporary(m_slot);
    sync_directory_of(m_path);
  }
  m_committed = true;
}

} // namespace fleetcert
