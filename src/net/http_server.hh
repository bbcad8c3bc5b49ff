#pragma once

#include "net/io_runtime.hh"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

namespace broker::net {

/// A minimal HTTP/1.1 server for read-only endpoints (the Prometheus
/// exporter of `broker.metrics.port`): one request per connection, `GET`
/// only, bounded request size and time.
///
/// Thread safety: `port` and `close` may be called from any thread.
class http_server {
public:
  /// Sends the response to one request; call exactly once, from any thread.
  using reply_fn = std::function<void(unsigned status, std::string content_type,
                                      std::string body)>;

  /// Answers a `GET` of `target` (e.g. "/metrics") by calling `reply`, now
  /// or later. Runs on the I/O thread; must not block.
  using request_handler =
      std::function<void(const std::string& target, reply_fn reply)>;

  struct impl;

  /// Binds like `listener::open` (empty address: all interfaces; port 0:
  /// ephemeral). Blocks until bound; must not be called on an I/O thread.
  /// @returns the server, or `nullptr` with `err` and `what` set.
  static std::shared_ptr<http_server>
  open(io_runtime& io, const std::string& address, uint16_t port,
       request_handler on_request, std::error_code& err, std::string& what);

  explicit http_server(std::shared_ptr<impl> ptr);

  ~http_server();

  [[nodiscard]] uint16_t port() const noexcept;

  /// Stops accepting. Returns immediately. Idempotent.
  void close();

private:
  std::shared_ptr<impl> impl_;
};

} // namespace broker::net
