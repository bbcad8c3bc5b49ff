#pragma once

#include <cstdint>
#include <string>

namespace broker {

/// What happens when a peer's (or WebSocket client's) outbound buffer is full
/// (spec: upstream-broker.md §2.5).
enum class overflow_policy : uint8_t {
  /// Drop the message that does not fit.
  drop_newest,
  /// Drop the oldest buffered message to make room.
  drop_oldest,
  /// Close the peering: the local side reports `peer_removed` with
  /// `caf::sec::backpressure_overflow`, the remote side `peer_lost`.
  disconnect,
};

/// Writes `drop_newest`, `drop_oldest` or `disconnect`.
void convert(overflow_policy x, std::string& str);

/// Parses the names above.
[[nodiscard]] bool convert(const std::string& str, overflow_policy& x) noexcept;

} // namespace broker
