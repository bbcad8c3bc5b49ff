#pragma once

#include "broker/endpoint_id.hh"
#include "broker/message.hh"

#include <cstdint>
#include <vector>

namespace broker::core {

/// Default TTL written into envelopes (spec: upstream-broker.md §3.4).
inline constexpr uint16_t default_ttl = 16;

/// A data message as it moves through the core: the shared (topic, value)
/// plus routing fields of the envelope (spec: upstream-broker.md §4.5).
struct node_message {
  /// The shared, immutable topic and value.
  data_message content;

  /// The node we got it from (last hop), or nil for local publications.
  endpoint_id sender;

  /// The addressee, or nil for a broadcast.
  endpoint_id receiver;

  /// Hops left; decremented when forwarding, dropped at 0 (DESIGN.md §2).
  uint16_t ttl = default_ttl;
};

using node_message_batch = std::vector<node_message>;

} // namespace broker::core
