#pragma once

#include <cstdint>

namespace broker {

/// What a listener speaks.
enum class protocol : uint8_t {
  /// Broker's native binary protocol (spec: upstream-broker.md §4).
  native,
  /// WebSocket with the JSON v1 API on `/v1/messages/json` (spec §5).
  websocket,
};

} // namespace broker
