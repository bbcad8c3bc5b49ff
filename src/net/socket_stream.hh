#pragma once

// Internal to net/: the `stream` implementations over a connected socket,
// plain TCP or TLS (one class template in socket_stream.cc serves both).

#include "net/asio.hh"
#include "net/stream.hh"

#include <chrono>
#include <functional>
#include <memory>

namespace broker::net {

class tls_context;

/// Which end of a TLS handshake a stream plays: the initiator of a
/// connection is the TLS client, the acceptor the server (spec:
/// upstream-broker.md §6).
enum class handshake_role { client, server };

/// A `stream` over a connected socket whose transport may need a handshake
/// of its own (TLS) before it carries the first byte of the peering
/// protocol.
class socket_stream : public stream {
public:
  /// Receives the outcome of `handshake`: this stream once it is ready, or
  /// `nullptr` and the reason (the socket is closed by then). Runs on the
  /// I/O thread; must not block.
  using handshake_handler = std::function<void(
      std::shared_ptr<stream>, const boost::system::error_code&)>;

  /// Runs the transport's handshake as `role`, bounded by `timeout`
  /// (`asio::error::timed_out` when it expires). Plain TCP has none and
  /// calls `done` at once, before returning; TLS returns immediately and
  /// `done` runs later. Call on the I/O thread, once, before `start`.
  virtual void handshake(handshake_role role, std::chrono::milliseconds timeout,
                         handshake_handler done) = 0;
};

/// Wraps a connected socket into a stream: TLS with `tls` if it is set,
/// plain TCP otherwise; sets the socket options of `configure_socket`.
/// Call on the I/O thread.
std::shared_ptr<socket_stream>
make_socket_stream(asio::ip::tcp::socket sock,
                   const std::shared_ptr<tls_context>& tls);

} // namespace broker::net
