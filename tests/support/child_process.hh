#pragma once

// A child process with pipes to its stdin and stdout, for multi-process
// tests and benchmarks. Every read is bounded.

#include "broker/time.hh"

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace broker::test {

/// A child process with its stdin and stdout connected to pipes.
class child_process {
public:
  /// Starts `path` with `args`. @throws std::runtime_error on failure.
  child_process(const std::string& path, const std::vector<std::string>& args);

  child_process(const child_process&) = delete;

  child_process& operator=(const child_process&) = delete;

  /// Kills the child (SIGKILL) if it still runs and reaps it.
  ~child_process();

  /// Reads one line of the child's stdout within `timeout`.
  std::optional<std::string> read_line(timespan timeout);

  /// Writes `line` and a newline to the child's stdin. Blocks while the pipe
  /// is full. @returns false if the child closed its stdin (or exited).
  bool write_line(const std::string& line);

  /// Sends a signal.
  void signal(int sig);

  /// Closes the child's stdin (our children exit on EOF).
  void close_stdin();

  /// Waits up to `timeout` for the child to exit; returns its status.
  std::optional<int> wait(timespan timeout);

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

private:
  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  std::string buffered_;
  bool reaped_ = false;
};

} // namespace broker::test
