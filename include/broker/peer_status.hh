#pragma once

#include "broker/convert.hh"

#include <iosfwd>
#include <string>

namespace broker {

/// The state of a peering (underlying type and numeric values as upstream's,
/// spec: upstream-broker.md §1.5).
enum class peer_status : int {
  /// Known, but nothing happened yet.
  initialized,
  /// A connection attempt or handshake is in progress.
  connecting,
  /// The peer is identified and its handshake proceeds; the core has not
  /// adopted the peering yet.
  connected,
  /// The peering is up.
  peered,
  /// The connection is gone (an outbound peering may be waiting to retry).
  disconnected,
  /// A retry of a lost outbound peering (one that was established before)
  /// is in progress.
  reconnecting,
  /// Unknown peer.
  unknown,
};

/// Writes the enumerator's name (`peered`, ...).
void convert(peer_status x, std::string& str);

/// Parses an enumerator's name.
[[nodiscard]] bool convert(const std::string& str, peer_status& x) noexcept;

/// Writes the enumerator's name.
std::ostream& operator<<(std::ostream& out, peer_status x);

} // namespace broker
