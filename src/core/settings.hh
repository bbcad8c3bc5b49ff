#pragma once

#include "broker/endpoint_id.hh"
#include "broker/time.hh"
#include "net/tls.hh"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace broker::core {

using namespace std::chrono_literals;

/// What a peering does when its outbound buffer is full (spec:
/// upstream-broker.md §2.5).
enum class overflow_policy : uint8_t {
  /// Close the peering (`peer_removed` with caf::sec::backpressure_overflow).
  disconnect,
  /// Drop the message that does not fit.
  drop_newest,
  /// Drop the oldest buffered message to make room.
  drop_oldest,
};

/// Everything the core and the peering actors need to know from the
/// configuration, resolved to typed values once, at endpoint construction.
struct settings {
  /// This endpoint's identity.
  endpoint_id id;

  /// Only locally originated messages go to peers
  /// (`broker.disable-forwarding`).
  bool disable_forwarding = false;

  /// `broker.peer-buffer-size`: messages buffered per peer (upstream: 2048).
  size_t peer_buffer_size = 2048;

  /// `broker.peer-overflow-policy` (upstream default: disconnect).
  overflow_policy peer_overflow_policy = overflow_policy::disconnect;

  /// `broker.peer-stall-timeout`: how long a full buffer may hold publishers
  /// back before the overflow policy applies to that peer.
  timespan peer_stall_timeout = 5s;

  /// `broker.heartbeat-interval`: ping an idle peer this often.
  timespan heartbeat_interval = 1s;

  /// `broker.heartbeat-timeout`: no traffic for this long means `peer_lost`.
  timespan heartbeat_timeout = 10s;

  /// `broker.handshake-timeout`: deadline for a whole handshake.
  timespan handshake_timeout = 10s;

  /// `broker.max-pending-handshakes`: connections beyond this are closed
  /// right after accepting.
  size_t max_pending_handshakes = 128;

  /// `broker.max-frame-size`: bigger frames close the connection.
  size_t max_frame_size = 16 * 1024 * 1024;

  /// `broker.connect-timeout`: one TCP connect attempt (upstream: 1 s).
  timespan connect_timeout = 1s;

  /// `broker.unpeer-timeout`: how long a BYE waits for its pong (upstream:
  /// 3 s).
  timespan unpeer_timeout = 3s;

  /// `broker.web-socket-buffer-size`: messages buffered per WebSocket
  /// client (upstream: 512).
  size_t web_socket_buffer_size = 512;

  /// `broker.web-socket-overflow-policy` (upstream default: disconnect).
  overflow_policy web_socket_overflow_policy = overflow_policy::disconnect;

  /// `broker.ttl`: TTL of locally published messages (upstream: 16).
  uint16_t ttl = 16;

  /// Relative jitter applied to retry intervals (DESIGN.md §2: ±20 %).
  double retry_jitter = 0.2;

  /// TLS for every peering (spec: upstream-broker.md §6), built from
  /// `broker.ssl.*` at endpoint construction; `nullptr` means plain TCP
  /// (`broker.disable-ssl`). `handshake_timeout` bounds its handshake too.
  std::shared_ptr<net::tls_context> tls;
};

} // namespace broker::core
