#include "support/loopback.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fleetcert::testing {

namespace {

std::string system_error(const std::string& what, const std::string& path)
{
  return what + " " + path + ": " + std::strerror(errno);
}

// The shared lock directory, world-writable with the sticky bit so that every user's runs share it.
void make_lock_dir()
{
  if (mkdir(k_loopback_lock_dir, 01777) == 0) {
    chmod(k_loopback_lock_dir, 01777); // mkdir's mode passed through the umask
  } else if (errno != EEXIST) {
    throw std::runtime_error(system_error("cannot create", k_loopback_lock_dir));
  }
}

} // namespace

int LoopbackBlock::lock(unsigned index)
{
  if (index >= k_loopback_block_count) {
    throw std::out_of_range("loopback block " + std::to_string(index) + " does not exist");
  }
  make_lock_dir();
  const std::string path =
      std::string(k_loopback_lock_dir) + "/127." + std::to_string(k_first_loopback_octet + index) + ".lock";
  // Not O_CLOEXEC: the processes the test starts inherit the lock (see the header).
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW, 0666);
  if (fd >= 0) {
    fchmod(fd, 0666); // best effort: another user's runs may open it for writing as well
  } else if (errno == EACCES) {
    fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW); // flock needs no write access
  }
  if (fd < 0) {
    throw std::runtime_error(system_error("cannot open", path));
  }
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) {
      continue;
    }
    const int error = errno;
    close(fd);
    if (error == EWOULDBLOCK) {
      return -1;
    }
    errno = error;
    throw std::runtime_error(system_error("cannot lock", path));
  }
  return fd;
}

LoopbackBlock::LoopbackBlock(std::chrono::milliseconds wait)
{
  const auto until = std::chrono::steady_clock::now() + wait;
  while (true) {
    for (unsigned index = 0; index < k_loopback_block_count; ++index) {
      const int fd = lock(index);
      if (fd >= 0) {
        m_index = index;
        m_fd = fd;
        return;
      }
    }
    if (std::chrono::steady_clock::now() >= until) {
      throw std::runtime_error("all " + std::to_string(k_loopback_block_count) + " loopback blocks under " +
                               k_loopback_lock_dir + " stayed held for " + std::to_string(wait.count()) + " ms");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::optional<LoopbackBlock> LoopbackBlock::try_take(unsigned index)
{
  const int fd = lock(index);
  if (fd < 0) {
    return std::nullopt;
  }
  return LoopbackBlock(index, fd);
}

LoopbackBlock::~LoopbackBlock()
{
  // Close only, no LOCK_UN: children that inherited the descriptor keep the block held.
  if (m_fd >= 0) {
    close(m_fd);
  }
}

LoopbackBlock::LoopbackBlock(LoopbackBlock&& other) noexcept : m_index(other.m_index), m_fd(other.m_fd)
{
  other.m_fd = -1;
}

LoopbackBlock& LoopbackBlock::operator=(LoopbackBlock&& other) noexcept
{
  if (this != &other) {
    if (m_fd >= 0) {
      close(m_fd);
    }
    m_index = other.m_index;
    m_fd = other.m_fd;
    other.m_fd = -1;
  }
  return *this;
}

std::string LoopbackBlock::prefix() const
{
  return "127." + std::to_string(k_first_loopback_octet + m_index);
}

std::string LoopbackBlock::address(std::string_view rest) const
{
  return prefix() + "." + std::string(rest);
}

std::string LoopbackBlock::cidr() const
{
  return address("0.0/16");
}

std::string LoopbackBlock::expand(std::string_view text) const
{
  constexpr std::string_view placeholder = "{net}";
  const std::string replacement = prefix();
  std::string out;
  std::size_t from = 0;
  for (std::size_t at; (at = text.find(placeholder, from)) != std::string_view::npos; from = at + placeholder.size()) {
    out.append(text.substr(from, at - from));
    out += replacement;
  }
  out.append(text.substr(from));
  return out;
}

std::uint16_t LoopbackBlock::port(unsigned n) const
{
  if (n >= k_ports_per_block) {
    throw std::out_of_range("a loopback block has " + std::to_string(k_ports_per_block) + " ports, not port " +
                            std::to_string(n));
  }
  return static_cast<std::uint16_t>(k_first_block_port + m_index * k_ports_per_block + n);
}

nlohmann::json relocate_fleet(nlohmann::json fleet, std::string_view from, const LoopbackBlock& block)
{
  const std::string old_prefix = std::string(from) + ".";
  // An address (or "address:port" of a same_as) in the new block; IPv6 (::1) stays, every block shares it.
  auto moved = [&](const std::string& text) {
    if (text.find(':') != std::string::npos && text.find('.') == std::string::npos) {
      return text;
    }
    if (text.rfind(old_prefix, 0) != 0) {
      throw std::runtime_error("fleet address " + text + " is outside " + std::string(from) + ".0.0/16");
    }
    return block.address(text.substr(old_prefix.size()));
  };
  if (fleet.contains("devices")) {
    for (auto& device : fleet.at("devices")) {
      device["ip"] = moved(device.at("ip").get<std::string>());
      if (!device.contains("ports")) {
        continue;
      }
      for (auto& spec : device.at("ports")) {
        // A copy of another device's endpoint ("127.31.0.12:443"), not of a port of its own ("443").
        if (spec.is_object() && spec.contains("same_as") && spec.at("same_as").is_string() &&
            spec.at("same_as").get<std::string>().find('.') != std::string::npos) {
          spec["same_as"] = moved(spec.at("same_as").get<std::string>());
        }
      }
    }
  }
  if (fleet.contains("groups")) {
    for (auto& group : fleet.at("groups")) {
      group["first_ip"] = moved(group.at("first_ip").get<std::string>());
    }
  }
  return fleet;
}

LoopbackPort::LoopbackPort(const std::string& ip, bool listening)
{
  const auto fail = [&](const char* step) {
    const int error = errno;
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    throw std::runtime_error("LoopbackPort " + ip + ": " + step + ": " + std::strerror(error));
  };
  m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (m_fd < 0) {
    fail("socket");
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  if (::inet_pton(AF_INET, ip.c_str(), &address.sin_addr) != 1) {
    errno = EINVAL;
    fail("address");
  }
  if (::bind(m_fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    fail("bind");
  }
  if (listening && ::listen(m_fd, 64) != 0) {
    fail("listen");
  }
  socklen_t length = sizeof address;
  if (::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    fail("getsockname");
  }
  m_port = ntohs(address.sin_port);
}

LoopbackPort::~LoopbackPort()
{
  ::close(m_fd);
}

} // namespace fleetcert::testing
