#pragma once

#include "core/peer_counters.hh"
#include "core/settings.hh"
#include "net/ws.hh"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <cstdint>
#include <memory>

namespace broker::core {

/// What a WebSocket client actor starts with.
struct ws_client_args {
  /// The core actor (receives every report).
  caf::actor core;
  /// The core's number for this connection.
  uint64_t conn = 0;
  /// The upgraded session (not started yet).
  std::shared_ptr<net::ws_session> session;
  /// Shared, immutable settings of the endpoint.
  std::shared_ptr<const settings> cfg;
  /// Where the actor counts traffic for `endpoint::metrics()` (shared with
  /// the core).
  std::shared_ptr<peer_counters> counters;
};

/// Spawns the actor that serves one WebSocket client with the JSON v1
/// protocol (spec: upstream-broker.md §5): it waits for the filter (first
/// frame), acknowledges, then converts JSON data messages to and from the
/// core's messages, answers bad input with error frames, and buffers
/// outbound messages with the overflow policy of `broker.web-socket-*`.
/// Returns immediately.
caf::actor spawn_ws_client_actor(caf::actor_system& sys, ws_client_args args);

} // namespace broker::core
