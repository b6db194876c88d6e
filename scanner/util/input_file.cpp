#include "scanner/util/input_file.hpp"

#include <cerrno>
#include <cstring>

#include <sys/stat.h>

namespace fleetcert {

std::string open_input_file(std::ifstream& in, const std::string& path)
{
  struct stat status
  {
  };
  if (::stat(path.c_str(), &status) == 0 && S_ISDIR(status.st_mode)) {
    return std::strerror(EISDIR);
  }
  errno = 0;
  in.open(path, std::ios::binary);
  if (!in.is_open()) {
    return std::strerror(errno != 0 ? errno : ENOENT);
  }
  return {};
}

} // namespace fleetcert
