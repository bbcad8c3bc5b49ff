#pragma once

#include "core/peer_counters.hh"
#include "core/settings.hh"
#include "net/stream.hh"
#include "wire/handshake.hh"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <cstdint>
#include <memory>

namespace broker::core {

/// What a peering actor starts with.
struct peering_args {
  /// The core actor (receives every report).
  caf::actor core;
  /// The core's number for this connection.
  uint64_t conn = 0;
  /// The connected stream (handshake not started yet).
  std::shared_ptr<net::stream> stream;
  /// Who opened the connection.
  wire::handshake_role role = wire::handshake_role::acceptor;
  /// Our filter at the time the handshake starts.
  filter_type filter;
  /// Shared, immutable settings of the endpoint.
  std::shared_ptr<const settings> cfg;
  /// Where the actor counts traffic for `endpoint::metrics()` (shared with
  /// the core).
  std::shared_ptr<peer_counters> counters;
};

/// Spawns the actor that owns one connection: it runs the handshake, then
/// moves phase-3 messages between the stream and the core (spec:
/// upstream-broker.md §4.4, §4.5, §3.8), until the stream closes. Returns
/// immediately.
caf::actor spawn_peering_actor(caf::actor_system& sys, peering_args args);

} // namespace broker::core
