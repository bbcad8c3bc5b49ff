#pragma once

// A blocking TCP client for tests that speak raw bytes to a listener, and a
// child process runner for multi-process tests. Every read is bounded.

#include "broker/time.hh"

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace broker::test {

/// A connected TCP socket to 127.0.0.1 (or ::1).
class raw_socket {
public:
  /// Connects to `host:port`. @throws std::runtime_error on failure.
  static raw_socket connect(uint16_t port, const char* host = "127.0.0.1");

  raw_socket(raw_socket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

  raw_socket& operator=(raw_socket&& other) noexcept;

  raw_socket(const raw_socket&) = delete;

  raw_socket& operator=(const raw_socket&) = delete;

  ~raw_socket();

  /// Sends all bytes (blocking). @returns false if the peer closed.
  bool send(const std::vector<uint8_t>& bytes);

  /// Reads one frame (4-byte big-endian length + payload) and returns the
  /// payload, or `std::nullopt` on timeout, EOF or error.
  std::optional<std::vector<uint8_t>> read_frame(timespan timeout);

  /// Reads until EOF/reset (discarding data) or `timeout`.
  /// @returns whether the peer closed the connection in time.
  bool wait_closed(timespan timeout);

  /// Stops reading: shrinks the receive buffer so that the peer's sends
  /// back up quickly.
  void shrink_receive_buffer();

  [[nodiscard]] int fd() const noexcept { return fd_; }

private:
  explicit raw_socket(int fd) : fd_(fd) {}

  /// Reads exactly `n` bytes before `deadline`.
  bool read_exact(uint8_t* buf, size_t n,
                  std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
};

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
