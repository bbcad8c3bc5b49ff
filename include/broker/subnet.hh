#pragma once

#include "broker/address.hh"
#include "broker/convert.hh"

#include <cstddef>
#include <cstdint>
#include <string>

namespace broker {

/// A CIDR subnet. The prefix length is stored *raw*, counted on the 128-bit
/// representation (an IPv4 `/8` is stored as 104), as on the wire.
///
/// Thread safety: a value type; distinct objects may be used concurrently.
class subnet {
public:
  /// Constructs `::/0`.
  subnet() noexcept = default;

  /// Constructs `addr/length` and masks the host bits of `addr`. For IPv4
  /// addresses `length` counts IPv4 bits (0..32). An out-of-range length
  /// yields the default subnet `::/0`.
  subnet(address addr, uint8_t length) noexcept;

  /// Constructs a subnet from wire fields without validating or masking
  /// anything (the binary decoder accepts any raw length, as upstream does).
  static subnet unchecked(address network, uint8_t raw_length) noexcept;

  /// Returns whether `addr` lies inside this subnet.
  [[nodiscard]] bool contains(const address& addr) const noexcept;

  /// Returns the network address.
  [[nodiscard]] const address& network() const noexcept { return net_; }

  /// Returns the prefix length as users write it (IPv4: 0..32).
  [[nodiscard]] uint8_t length() const noexcept;

  /// Returns the prefix length counted on 128 bits (wire form).
  [[nodiscard]] uint8_t raw_len() const noexcept { return len_; }

  /// Orders by network address, then raw length: negative, zero or
  /// positive.
  [[nodiscard]] int compare(const subnet& other) const noexcept;

  /// Returns a hash of address and length (used by `std::hash<subnet>`).
  [[nodiscard]] size_t hash() const noexcept;

private:
  address net_;
  uint8_t len_ = 0;
};

/// Returns whether network address and length are equal.
inline bool operator==(const subnet& x, const subnet& y) noexcept {
  return x.compare(y) == 0;
}
/// Returns whether network address or length differ.
inline bool operator!=(const subnet& x, const subnet& y) noexcept {
  return x.compare(y) != 0;
}
/// Returns whether `x` sorts before `y` (`subnet::compare` order).
inline bool operator<(const subnet& x, const subnet& y) noexcept {
  return x.compare(y) < 0;
}
/// Returns whether `x` sorts before `y` or equals it.
inline bool operator<=(const subnet& x, const subnet& y) noexcept {
  return x.compare(y) <= 0;
}
/// Returns whether `x` sorts after `y`.
inline bool operator>(const subnet& x, const subnet& y) noexcept {
  return x.compare(y) > 0;
}
/// Returns whether `x` sorts after `y` or equals it.
inline bool operator>=(const subnet& x, const subnet& y) noexcept {
  return x.compare(y) >= 0;
}

/// Writes `<network>/<length>` (IPv4 lengths without the +96).
void convert(const subnet& x, std::string& str);

/// Parses `<address>/<length>`; rejects lengths above 32 (IPv4) or 128.
/// @returns `false` (leaving `x` untouched) on malformed input.
[[nodiscard]] bool convert(const std::string& str, subnet& x) noexcept;

} // namespace broker

namespace std {

/// Hashes subnets with `subnet::hash`.
template <>
struct hash<broker::subnet> {
  /// Returns `x.hash()`.
  size_t operator()(const broker::subnet& x) const noexcept { return x.hash(); }
};

} // namespace std
