#pragma once
// Child processes for the integration tests: start, wait with a bound, stop by PID.

#include <chrono>
#include <initializer_list>
#include <string>
#include <vector>

#include <sys/types.h>

namespace fleetcert::testing {

// A started process; the destructor stops it (SIGTERM, then SIGKILL) if it still runs.
class ChildProcess
{
public:
  // Starts argv[0] with argv; stdout and stderr go to the given files ("" = inherit).
  ChildProcess(const std::vector<std::string>& argv, const std::string& stdout_path,
               const std::string& stderr_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return m_pid; }
  // Waits at most `limit`; returns the exit status (128+signal if killed), or -1 on timeout.
  int wait(std::chrono::milliseconds limit);
  void signal(int signal_number);
  // SIGTERM, a bounded wait, then SIGKILL.
  void stop();

private:
  pid_t m_pid = -1;
  bool m_reaped = false;
  int m_status = -1;
};

struct CommandResult
{
  int status = -1; // exit status; -1: did not finish in time (and was killed)
  std::string out;
  std::string err;
  double seconds = 0;
};

// `argv` followed by `extra`: one command line built from a common one.
std::vector<std::string> with(std::vector<std::string> argv, std::initializer_list<std::string> extra);

// Runs a command to completion (bounded by `limit`), capturing its output via temporary files.
CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds limit,
                          const std::string& stdin_text = "");

// A fresh temporary directory, removed (recursively) by the destructor.
class TempDir
{
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return m_path; }
  std::string file(const std::string& name) const { return m_path + "/" + name; }

private:
  std::string m_path;
};

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);

} // namespace fleetcert::testing
