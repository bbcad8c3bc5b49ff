#pragma once

#include "net/io_runtime.hh"
#include "net/tls.hh"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace broker::net {

/// Settings of a WebSocket listener.
struct ws_options {
  /// TLS (`wss://`, spec: upstream-broker.md §6); `nullptr` means plain
  /// `ws://`.
  std::shared_ptr<tls_context> tls;

  /// The only path that upgrades (spec: upstream-broker.md §5.1).
  std::string path = "/v1/messages/json";
  /// Largest message (after reassembly) a client may send.
  size_t max_message_size = 16 * 1024 * 1024;
  /// Deadline for the HTTP upgrade.
  std::chrono::milliseconds handshake_timeout{10'000};
  /// Messages a session reads ahead before the handler consumed them.
  size_t read_window = 256;
};

/// Receives the events of one WebSocket session. All callbacks run on an
/// I/O thread, one at a time, and must not block.
class ws_handler {
public:
  virtual ~ws_handler();

  /// A complete text message arrived. The session reads ahead at most
  /// `ws_options::read_window` messages that `ws_session::consumed` has not
  /// acknowledged (back-pressure to TCP).
  virtual void on_message(std::string text) = 0;

  /// Messages that arrived back to back, in order. The session collects
  /// what it can read without waiting and delivers it with one call. The
  /// default calls `on_message` for each.
  virtual void on_messages(std::vector<std::string> texts);

  /// `count` queued messages left our buffers (written to the socket).
  virtual void on_sent(size_t count) = 0;

  /// The session ended. `reason` is empty when we closed it; `what` says
  /// what happened in words ("closed by the client", "reset", ...). Called
  /// exactly once, last.
  virtual void on_closed(const std::error_code& reason, std::string what) = 0;
};

/// One upgraded WebSocket connection: whole text messages in and out.
///
/// Thread safety: every member function may be called from any thread; the
/// work happens on the I/O thread. Calls after `close`/`abort` are no-ops.
class ws_session : public std::enable_shared_from_this<ws_session> {
public:
  virtual ~ws_session();

  /// Starts reading and delivering events to `handler`. Call exactly once.
  virtual void start(std::shared_ptr<ws_handler> handler) = 0;

  /// Queues text messages for sending, in order. Returns immediately.
  virtual void send(std::vector<std::string> texts) = 0;

  /// Acknowledges `count` delivered messages (re-opens the read window).
  virtual void consumed(size_t count) = 0;

  /// Sends what is queued, then closes with `code` and `reason` (RFC 6455
  /// §7.4). Returns immediately. Idempotent.
  virtual void close(uint16_t code, std::string reason) = 0;

  /// Closes the connection now, dropping queued messages. Idempotent.
  virtual void abort() = 0;

  [[nodiscard]] virtual const std::string& remote_address() const = 0;

  [[nodiscard]] virtual uint16_t remote_port() const = 0;
};

/// Close codes we use (RFC 6455 §7.4.1).
inline constexpr uint16_t ws_close_normal = 1000;
inline constexpr uint16_t ws_close_going_away = 1001;
inline constexpr uint16_t ws_close_unsupported_data = 1003;
inline constexpr uint16_t ws_close_policy_violation = 1008;
inline constexpr uint16_t ws_close_too_big = 1009;

/// Accepts WebSocket clients: reads the HTTP request, upgrades requests for
/// `ws_options::path` and answers everything else with an HTTP error whose
/// body names the right path.
///
/// Thread safety: `close` and `port` may be called from any thread.
class ws_listener {
public:
  /// Receives every upgraded session (not started yet). Runs on the I/O
  /// thread; must not block.
  using accept_handler = std::function<void(std::shared_ptr<ws_session>)>;

  struct impl;

  /// Binds like `listener::open` (empty address: all interfaces,
  /// dual-stack; port 0: ephemeral). Blocks until bound; must not be called
  /// on an I/O thread.
  /// @returns the listener, or `nullptr` with `err` and `what` set.
  static std::shared_ptr<ws_listener>
  open(io_runtime& io, const std::string& address, uint16_t port,
       bool reuse_addr, ws_options opts, accept_handler on_accept,
       std::error_code& err, std::string& what);

  explicit ws_listener(std::shared_ptr<impl> ptr);

  ~ws_listener();

  [[nodiscard]] uint16_t port() const noexcept;

  /// Stops accepting. Returns immediately. Idempotent.
  void close();

private:
  std::shared_ptr<impl> impl_;
};

} // namespace broker::net
