#pragma once

#include "broker/endpoint_info.hh"
#include "broker/peer_flags.hh"
#include "broker/peer_status.hh"

namespace broker {

/// One entry of `endpoint::peers()`.
struct peer_info {
  endpoint_info peer;
  peer_flags flags = peer_flags::invalid;
  peer_status status = peer_status::initialized;
};

} // namespace broker
