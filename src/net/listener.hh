#pragma once

#include "net/io_runtime.hh"
#include "net/stream.hh"
#include "net/tls.hh"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

namespace broker::net {

/// Accepts TCP connections on one address and port, optionally secured
/// with TLS (we are the TLS server).
///
/// Thread safety: `close` and `port` may be called from any thread; the
/// accept handler runs on the I/O thread.
class listener {
public:
  /// Receives every accepted connection (already configured with
  /// TCP_NODELAY and, with TLS, past the TLS handshake). Runs on the I/O
  /// thread; must not block.
  using accept_handler = std::function<void(std::shared_ptr<stream>)>;

  /// Opaque implementation.
  struct impl;

  /// Binds and starts listening. An empty `address` means all interfaces,
  /// dual-stack (IPv6 socket accepting IPv4 too), or all IPv4 interfaces
  /// on a host without IPv6 (`is_ipv6_unavailable`); `port` 0 picks an
  /// ephemeral port. With `tls`, every accepted connection first completes
  /// a TLS server handshake within `handshake_timeout`; one that fails or
  /// takes longer is closed without reaching `on_accept` (spec:
  /// upstream-broker.md §2.4, §6) and never delays other connections.
  /// `tls == nullptr` means plain TCP. Blocks until the socket is bound (or
  /// resolving the address failed); must not be called on an I/O thread.
  /// @returns the listener, or `nullptr` with `err` and `what` describing
  ///          the failure (e.g. "cannot bind 127.0.0.1:80: Permission
  ///          denied").
  static std::shared_ptr<listener>
  open(io_runtime& io, const std::string& address, uint16_t port,
       bool reuse_addr, accept_handler on_accept, std::error_code& err,
       std::string& what, std::shared_ptr<tls_context> tls = nullptr,
       std::chrono::milliseconds handshake_timeout =
           default_tls_handshake_timeout);

  explicit listener(std::shared_ptr<impl> ptr);

  ~listener();

  /// Returns the bound port.
  [[nodiscard]] uint16_t port() const noexcept;

  /// Stops accepting and closes the socket. Returns immediately.
  /// Idempotent.
  void close();

private:
  std::shared_ptr<impl> impl_;
};

/// Returns whether `err` (from opening or binding an IPv6 socket) means that
/// the host has no usable IPv6, so that the IPv4 any address should serve
/// "all interfaces" instead.
[[nodiscard]] bool is_ipv6_unavailable(const std::error_code& err) noexcept;

/// Receives the outcome of `dial`: a connected stream, or `nullptr` and the
/// reason. Runs on the I/O thread; must not block.
using dial_handler =
    std::function<void(std::shared_ptr<stream>, const std::error_code&)>;

/// Makes exactly one attempt to connect to `host:port` (resolving `host` if
/// needed and trying each address in turn) within `timeout`; with `tls`
/// (`nullptr` means plain TCP), the connection then completes a TLS client
/// handshake within `handshake_timeout`. Returns immediately; `done`
/// reports the outcome exactly once: the stream, or `nullptr` with the
/// connect or TLS error (`std::errc::timed_out` when either bound expires).
void dial(io_runtime& io, std::string host, uint16_t port,
          std::chrono::milliseconds timeout, dial_handler done,
          std::shared_ptr<tls_context> tls = nullptr,
          std::chrono::milliseconds handshake_timeout =
              default_tls_handshake_timeout);

} // namespace broker::net
