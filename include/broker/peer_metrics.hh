#pragma once

#include "broker/endpoint_info.hh"
#include "broker/peer_flags.hh"
#include "broker/time.hh"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace broker {

/// Counters of one established peering or WebSocket client, as
/// `endpoint::metrics()` reports them. Counters start at zero when the
/// peering is established and only grow.
struct peer_metrics {
  /// The peer's ID and network address.
  endpoint_info peer;

  /// `remote` plus `inbound` or `outbound` (WebSocket clients: inbound).
  peer_flags flags = peer_flags::invalid;

  /// A WebSocket client rather than a native peer.
  bool web_socket = false;

  /// Data messages received from the peer.
  uint64_t messages_in = 0;

  /// Data messages written to the peer.
  uint64_t messages_out = 0;

  /// Bytes received from the peer: all frames, including heartbeats (for
  /// WebSocket clients: the JSON text of their messages).
  uint64_t bytes_in = 0;

  /// Bytes written to the peer's socket (for WebSocket clients: the JSON
  /// text of the messages sent to them).
  uint64_t bytes_out = 0;

  /// Messages dropped by the overflow policy `drop_newest`.
  uint64_t dropped_newest = 0;

  /// Messages dropped by the overflow policy `drop_oldest`.
  uint64_t dropped_oldest = 0;

  /// Malformed messages from the peer that were dropped.
  uint64_t malformed = 0;

  /// Messages waiting in the peer's outbound buffer.
  size_t queue_depth = 0;

  /// Capacity of that buffer (`broker.peer-buffer-size` or
  /// `broker.web-socket-buffer-size`).
  size_t queue_capacity = 0;

  /// How often an outbound peering with retry > 0 was re-established after
  /// it was lost (0 for inbound peerings and clients).
  uint64_t reconnects = 0;

  /// Round trip of the latest answered heartbeat ping (native peers only;
  /// unset until one was answered).
  std::optional<timespan> round_trip;
};

/// Renders `xs` in the Prometheus text exposition format (version 0.0.4),
/// one family per counter with the labels `endpoint` (`endpoint_name`),
/// `peer` (ID), `address` and `type` (`native` or `web-socket`), plus
/// `broker_connections`, as served on `broker.metrics.port`.
std::string to_prometheus(const std::vector<peer_metrics>& xs,
                          const std::string& endpoint_name);

} // namespace broker
