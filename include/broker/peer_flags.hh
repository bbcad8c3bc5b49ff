#pragma once

#include "broker/convert.hh"

#include <iosfwd>
#include <string>

namespace broker {

/// Bit flags describing a peering (values as upstream's).
enum class peer_flags : int {
  /// No flag set.
  invalid = 0x00,
  /// A local peer (upstream's; this library never sets it).
  local = 0x01,
  /// A remote endpoint.
  remote = 0x02,
  /// This endpoint initiated the peering.
  outbound = 0x04,
  /// The peer initiated the peering.
  inbound = 0x08,
};

/// Returns the union of `x` and `y`.
constexpr peer_flags operator|(peer_flags x, peer_flags y) noexcept {
  return static_cast<peer_flags>(static_cast<int>(x) | static_cast<int>(y));
}

/// Returns the flags set in both `x` and `y`.
constexpr peer_flags operator&(peer_flags x, peer_flags y) noexcept {
  return static_cast<peer_flags>(static_cast<int>(x) & static_cast<int>(y));
}

/// Adds the flags of `y` to `x`.
constexpr peer_flags& operator|=(peer_flags& x, peer_flags y) noexcept {
  return x = x | y;
}

/// Returns whether all bits of `what` are set in `x`.
constexpr bool has_flags(peer_flags x, peer_flags what) noexcept {
  return (x & what) == what;
}

/// Writes the set flags joined by `|` in the order local, remote, outbound,
/// inbound (`remote|outbound`), or `invalid` if none is set. Bits outside
/// the four flags are not printed. `to_string(x)` (broker/convert.hh)
/// returns the same text.
void convert(peer_flags x, std::string& str);

/// Parses the text `convert` writes: `invalid`, or flag names joined by `|`
/// in any order.
/// @returns `false` (leaving `x` untouched) on an empty text, an empty or
///          unknown name, or `invalid` combined with other names.
[[nodiscard]] bool convert(const std::string& str, peer_flags& x) noexcept;

/// Writes `to_string(x)`.
std::ostream& operator<<(std::ostream& out, peer_flags x);

} // namespace broker
