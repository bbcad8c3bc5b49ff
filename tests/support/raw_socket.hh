#pragma once

// A blocking TCP client for tests that speak raw bytes to a listener. Every
// read is bounded.

#include "broker/time.hh"

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

  /// Reads until EOF/reset or `timeout`; returns what arrived.
  std::string read_until_closed(timespan timeout);

  /// Stops reading: shrinks the receive buffer so that the peer's sends
  /// back up quickly.
  void shrink_receive_buffer();

  [[nodiscard]] int fd() const noexcept { return fd_; }

  /// Returns the local port (what the other side sees as our port).
  [[nodiscard]] uint16_t local_port() const;

private:
  friend class raw_listener;

  explicit raw_socket(int fd) : fd_(fd) {}

  /// Reads exactly `n` bytes before `deadline`.
  bool read_exact(uint8_t* buf, size_t n,
                  std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
};

/// A TCP listener on 127.0.0.1 that speaks raw bytes, to play a peer that
/// misbehaves or stalls. The kernel completes TCP handshakes (up to the
/// backlog) even while nobody calls `accept`.
class raw_listener {
public:
  /// Binds 127.0.0.1:`port` (0: ephemeral) and listens.
  /// @throws std::runtime_error on failure.
  explicit raw_listener(uint16_t port = 0);

  raw_listener(const raw_listener&) = delete;

  raw_listener& operator=(const raw_listener&) = delete;

  /// Closes the listening socket (connections already accepted stay).
  ~raw_listener();

  /// Waits up to `timeout` for a connection.
  std::optional<raw_socket> accept(timespan timeout);

  [[nodiscard]] uint16_t port() const noexcept { return port_; }

private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

} // namespace broker::test
