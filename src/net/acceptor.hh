#pragma once

// Internal to net/: the acceptor behind every listener (TCP, TLS,
// WebSocket) hands out raw connected sockets; each listener kind wraps them.

#include "net/asio.hh"
#include "net/listener.hh"

#include <functional>

namespace broker::net {

/// Receives each accepted socket on the I/O thread, with the listener that
/// accepted it (see `is_accepting`); must not block.
using socket_handler = std::function<void(
    asio::ip::tcp::socket, const std::shared_ptr<listener::impl>&)>;

/// Returns whether a listener still accepts (has not been closed): a
/// connection whose own handshake ends after `close` is dropped. Call on
/// the I/O thread.
bool is_accepting(const listener::impl& x);

/// Binds like `listener::open` and calls `on_socket` per connection.
/// Blocks until bound; must not be called on an I/O thread.
/// @returns the listener, or `nullptr` with `err` and `what` set.
std::shared_ptr<listener>
open_acceptor(io_runtime& io, const std::string& address, uint16_t port,
              bool reuse_addr, socket_handler on_socket, std::error_code& err,
              std::string& what);

} // namespace broker::net
