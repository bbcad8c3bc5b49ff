#pragma once

#include "broker/endpoint_info.hh"
#include "broker/peer_flags.hh"
#include "broker/peer_status.hh"

namespace broker {

/// One entry of `endpoint::peers()`.
struct peer_info {
  /// The peer's ID (nil while it is not identified yet) and address.
  endpoint_info peer;
  /// `remote` plus `outbound` or `inbound`.
  peer_flags flags = peer_flags::invalid;
  /// The state of the peering (see `endpoint::peers()`).
  peer_status status = peer_status::initialized;
};

} // namespace broker
