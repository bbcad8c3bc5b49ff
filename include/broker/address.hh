#pragma once

#include "broker/convert.hh"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace broker {

/// An IPv4 or IPv6 address. IPv4 addresses are stored as IPv4-mapped IPv6
/// addresses (`::ffff:a.b.c.d`), exactly as they travel on the wire.
///
/// Thread safety: a value type; distinct objects may be used concurrently.
class address {
public:
  /// The 16 bytes of the address in network byte order.
  using byte_array = std::array<uint8_t, 16>;

  /// The family of the words given to the word constructor.
  enum class family : uint8_t {
    /// One word, the IPv4 address.
    ipv4,
    /// Four words, the IPv6 address.
    ipv6,
  };

  /// The byte order of the words given to the word constructor.
  enum class byte_order : uint8_t {
    /// The words are in host byte order.
    host,
    /// The words are in network byte order.
    network,
  };

  /// Constructs the unspecified IPv6 address `::`.
  address() noexcept : bytes_{} {}

  /// Constructs an address from raw 32-bit words: one word for `ipv4`, four
  /// for `ipv6`, each in the given byte order.
  address(const uint32_t* words, family fam, byte_order order) noexcept;

  /// Constructs an address from its 16 network-order bytes.
  explicit address(const byte_array& bytes) noexcept : bytes_(bytes) {}

  /// Keeps the `top_bits_to_keep` most significant bits (counted on the
  /// 128-bit representation) and zeroes the rest.
  /// @returns `false` (and changes nothing) if `top_bits_to_keep > 128`.
  bool mask(uint8_t top_bits_to_keep) noexcept;

  /// Returns whether this is an IPv4-mapped address.
  [[nodiscard]] bool is_v4() const noexcept;

  /// Returns whether this is not an IPv4-mapped address.
  [[nodiscard]] bool is_v6() const noexcept { return !is_v4(); }

  /// Returns the 16 bytes in network byte order (mutable).
  [[nodiscard]] byte_array& bytes() noexcept { return bytes_; }

  /// Returns the 16 bytes in network byte order.
  [[nodiscard]] const byte_array& bytes() const noexcept { return bytes_; }

  /// Compares the 16 bytes lexicographically (memcmp order).
  [[nodiscard]] int compare(const address& other) const noexcept;

  /// Returns a hash of the 16 bytes (used by `std::hash<address>`).
  [[nodiscard]] size_t hash() const noexcept;

private:
  byte_array bytes_;
};

/// Returns whether `x` and `y` have the same 16 bytes.
inline bool operator==(const address& x, const address& y) noexcept {
  return x.compare(y) == 0;
}
/// Returns whether the bytes of `x` and `y` differ.
inline bool operator!=(const address& x, const address& y) noexcept {
  return x.compare(y) != 0;
}
/// Returns whether `x` sorts before `y` (`address::compare` order).
inline bool operator<(const address& x, const address& y) noexcept {
  return x.compare(y) < 0;
}
/// Returns whether `x` sorts before `y` or equals it.
inline bool operator<=(const address& x, const address& y) noexcept {
  return x.compare(y) <= 0;
}
/// Returns whether `x` sorts after `y`.
inline bool operator>(const address& x, const address& y) noexcept {
  return x.compare(y) > 0;
}
/// Returns whether `x` sorts after `y` or equals it.
inline bool operator>=(const address& x, const address& y) noexcept {
  return x.compare(y) >= 0;
}

/// Writes dotted-quad form for IPv4(-mapped) addresses and RFC 5952 text
/// for IPv6.
void convert(const address& x, std::string& str);

/// Parses IPv4 dotted-quad or IPv6 text (including `::ffff:a.b.c.d`).
/// @returns `false` (leaving `x` untouched) on malformed input.
[[nodiscard]] bool convert(const std::string& str, address& x) noexcept;

} // namespace broker

namespace std {

/// Hashes addresses with `address::hash`.
template <>
struct hash<broker::address> {
  /// Returns `x.hash()`.
  size_t operator()(const broker::address& x) const noexcept {
    return x.hash();
  }
};

} // namespace std
