#pragma once

#include "broker/convert.hh"

#include <cstdint>
#include <string>

namespace broker {

/// Bit flags describing a peering (values as upstream's).
enum class peer_flags : int {
  invalid = 0x00,
  local = 0x01,
  remote = 0x02,
  outbound = 0x04,
  inbound = 0x08,
};

constexpr peer_flags operator|(peer_flags x, peer_flags y) noexcept {
  return static_cast<peer_flags>(static_cast<int>(x) | static_cast<int>(y));
}

constexpr peer_flags operator&(peer_flags x, peer_flags y) noexcept {
  return static_cast<peer_flags>(static_cast<int>(x) & static_cast<int>(y));
}

constexpr peer_flags& operator|=(peer_flags& x, peer_flags y) noexcept {
  return x = x | y;
}

/// Returns whether all bits of `what` are set in `x`.
constexpr bool has_flags(peer_flags x, peer_flags what) noexcept {
  return (x & what) == what;
}

/// Writes the set flags joined by `|` (`remote|outbound`), or `invalid`.
void convert(peer_flags x, std::string& str);

} // namespace broker
