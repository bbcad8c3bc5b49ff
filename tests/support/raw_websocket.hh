#pragma once

// A WebSocket client spoken by hand over a `raw_socket` (RFC 6455), for
// tests that send frames no well-behaved client library would: oversized
// headers, endless fragments, floods.

#include "broker/time.hh"
#include "support/endpoints.hh"
#include "support/raw_socket.hh"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace broker::test {

/// Opcodes (RFC 6455 §5.2).
inline constexpr uint8_t ws_continuation = 0x0;
inline constexpr uint8_t ws_text = 0x1;
inline constexpr uint8_t ws_close = 0x8;

/// Returns an HTTP request that upgrades to a WebSocket on `path` (spec:
/// upstream-broker.md §5.1).
std::string ws_upgrade_request(const std::string& path = "/v1/messages/json");

/// Returns the header of a masked client frame (RFC 6455 §5.2, shortest
/// length encoding) that announces `size` payload bytes, mask key included.
std::vector<uint8_t> ws_frame_header(uint8_t opcode, uint64_t size,
                                     bool fin = true);

/// Returns a whole masked client frame carrying `payload`.
std::vector<uint8_t> ws_frame(uint8_t opcode, std::string_view payload,
                              bool fin = true);

/// One frame from the server (servers do not mask, RFC 6455 §5.1).
struct ws_server_frame {
  uint8_t opcode = 0;
  bool fin = false;
  std::string payload;

  /// The status code of a close frame (RFC 6455 §5.5.1), 0 if none.
  [[nodiscard]] uint16_t close_code() const;
};

/// A WebSocket client connection made of raw bytes. Every read is bounded.
class raw_ws_client {
public:
  /// Connects to 127.0.0.1:`port` and upgrades. Fails the current test
  /// (REQUIRE) unless the server answers 101 within `wait_bound`.
  static raw_ws_client connect(uint16_t port);

  /// Connects as above, then sends `filter` (the JSON array of topics the
  /// API expects first, spec: websocket-api.md) and reads the ack. Fails
  /// the current test (REQUIRE) if no ack arrives within `wait_bound`.
  static raw_ws_client connect(uint16_t port, std::string_view filter);

  /// Sends raw bytes. @returns false once the server closed.
  bool send(const std::vector<uint8_t>& bytes) { return sock_.send(bytes); }

  /// Sends one text message in one frame.
  bool send_text(std::string_view text) {
    return send(ws_frame(ws_text, text));
  }

  /// Reads the next frame within `timeout`; nothing on timeout, EOF or a
  /// frame above 16 MiB.
  std::optional<ws_server_frame> read_frame(timespan timeout = wait_bound);

  /// Reads frames until a close frame arrives (returns it) or the
  /// connection ends or `timeout` passes (returns nothing).
  std::optional<ws_server_frame> read_close(timespan timeout = wait_bound);

  [[nodiscard]] raw_socket& socket() noexcept { return sock_; }

private:
  explicit raw_ws_client(raw_socket sock) : sock_(std::move(sock)) {}

  /// Reads exactly `n` bytes into `out` before `deadline`.
  bool read_exact(size_t n, std::string& out,
                  std::chrono::steady_clock::time_point deadline);

  raw_socket sock_;
};

} // namespace broker::test
