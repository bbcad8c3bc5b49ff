#pragma once

// A blocking WebSocket client for broker-bench's WebSocket figures: speaks
// the JSON v1 session (spec: upstream-broker.md §5.2) over Boost.Beast, with
// writes collected into few system calls so that the client is not what the
// figure measures.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace broker::bench {

/// One client connection to `ws://127.0.0.1:<port>/v1/messages/json`.
///
/// Thread safety: none; use from one thread.
class ws_client {
public:
  /// Connects, upgrades and sends `filter_json` (a JSON array of topic
  /// prefixes). Blocks until the server's ack arrived.
  /// @throws std::runtime_error (or Boost's system_error) on failure.
  ws_client(uint16_t port, const std::string& filter_json);

  ~ws_client();

  /// Sends `n` text messages, the i-th made by `make(i, out)`, as fast as
  /// the server takes them (TCP back-pressure). Blocks until all are
  /// written to the socket.
  void send(size_t n, const std::function<void(size_t, std::string&)>& make);

  /// Reads text messages and calls `on_message` for each until it returns
  /// false. Blocks; a read waits at most `timeout`.
  /// @returns false if a read timed out or the connection ended first.
  bool receive(const std::function<bool(std::string_view)>& on_message,
               std::chrono::seconds timeout);

  /// Closes the WebSocket (RFC 6455 closing handshake). Blocks briefly.
  void close();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace broker::bench
