#include "process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fleetcert::testing {

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& stdout_path,
                           const std::string& stderr_path)
{
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  m_pid = fork();
  if (m_pid < 0) {
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (m_pid == 0) {
    auto redirect = [](const std::string& path, int fd, int flags) {
      if (path.empty()) {
        return;
      }
      const int f = open(path.c_str(), flags, 0644);
      if (f >= 0) {
        dup2(f, fd);
        close(f);
      }
    };
    redirect(stdout_path, STDOUT_FILENO, O_WRONLY | O_CREAT | O_TRUNC);
    redirect(stderr_path, STDERR_FILENO, O_WRONLY | O_CREAT | O_TRUNC);
    execv(args[0], args.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess()
{
  stop();
}

int ChildProcess::wait(std::chrono::milliseconds limit)
{
  if (m_reaped) {
    return m_status;
  }
  const auto until = std::chrono::steady_clock::now() + limit;
  while (true) {
    int status = 0;
    const pid_t r = waitpid(m_pid, &status, WNOHANG);
    if (r == m_pid) {
      m_reaped = true;
      m_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return m_status;
    }
    if (r < 0 || std::chrono::steady_clock::now() >= until) {
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void ChildProcess::signal(int signal_number)
{
  if (!m_reaped && m_pid > 0) {
    kill(m_pid, signal_number);
  }
}

void ChildProcess::stop()
{
  if (m_reaped || m_pid <= 0) {
    return;
  }
  signal(SIGTERM);
  if (wait(std::chrono::seconds(5)) < 0) {
    signal(SIGKILL);
    wait(std::chrono::seconds(5));
  }
}

TempDir::TempDir()
{
  std::string pattern = (std::filesystem::temp_directory_path() / "fleetcert-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  m_path = pattern;
}

TempDir::~TempDir()
{
  std::error_code ec;
  std::filesystem::remove_all(m_path, ec);
}

std::string read_file(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const std::string& path, const std::string& text)
{
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::vector<std::string> with(std::vector<std::string> argv, std::initializer_list<std::string> extra)
{
  argv.insert(argv.end(), extra);
  return argv;
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds limit,
                          const std::string& stdin_text)
{
  TempDir dir;
  CommandResult result;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> args = argv;
  if (!stdin_text.empty()) {
    // Feed stdin through a shell redirection from a file, keeping argv exact.
    write_file(dir.file("stdin"), stdin_text);
    std::vector<std::string> wrapped{"/bin/sh", "-c", "exec \"$0\" \"$@\" < \"$FLEETCERT_TEST_STDIN\""};
    wrapped.insert(wrapped.end(), argv.begin(), argv.end());
    args = wrapped;
    setenv("FLEETCERT_TEST_STDIN", dir.file("stdin").c_str(), 1);
  }
  {
    ChildProcess child(args, dir.file("out"), dir.file("err"));
    result.status = child.wait(limit);
    if (result.status < 0) {
      child.stop();
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.out = read_file(dir.file("out"));
  result.err = read_file(dir.file("err"));
  return result;
}

} // namespace fleetcert::testing
