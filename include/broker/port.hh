#pragma once

#include "broker/convert.hh"

#include <cstddef>
#include <cstdint>
#include <string>

namespace broker {

/// A transport-layer port: a 16-bit number plus a protocol.
///
/// Thread safety: a value type; distinct objects may be used concurrently.
class port {
public:
  /// The type of port numbers.
  using number_type = uint16_t;

  /// Wire values of the protocol (spec: upstream-broker.md §4.6).
  enum class protocol : uint8_t {
    /// Unknown protocol (printed as `?`).
    unknown = 0,
    /// TCP.
    tcp = 1,
    /// UDP.
    udp = 2,
    /// ICMP.
    icmp = 3,
  };

  /// Constructs `0/?`.
  constexpr port() noexcept = default;

  /// Constructs `num/proto`.
  constexpr port(number_type num, protocol proto) noexcept
      : num_(num), proto_(proto) {}

  /// Returns the port number.
  [[nodiscard]] constexpr number_type number() const noexcept { return num_; }

  /// Returns the protocol.
  [[nodiscard]] constexpr protocol type() const noexcept { return proto_; }

  /// Orders by number, then protocol.
  [[nodiscard]] constexpr int compare(const port& other) const noexcept {
    if (num_ != other.num_)
      return num_ < other.num_ ? -1 : 1;
    if (proto_ != other.proto_)
      return proto_ < other.proto_ ? -1 : 1;
    return 0;
  }

  /// Returns a hash of number and protocol (used by `std::hash<port>`).
  [[nodiscard]] size_t hash() const noexcept {
    return (static_cast<size_t>(num_) << 8) | static_cast<size_t>(proto_);
  }

private:
  number_type num_ = 0;
  protocol proto_ = protocol::unknown;
};

/// Returns whether number and protocol are equal.
constexpr bool operator==(const port& x, const port& y) noexcept {
  return x.compare(y) == 0;
}
/// Returns whether number or protocol differ.
constexpr bool operator!=(const port& x, const port& y) noexcept {
  return x.compare(y) != 0;
}
/// Returns whether `x` sorts before `y` (by number, then protocol).
constexpr bool operator<(const port& x, const port& y) noexcept {
  return x.compare(y) < 0;
}
/// Returns whether `x` sorts before `y` or equals it.
constexpr bool operator<=(const port& x, const port& y) noexcept {
  return x.compare(y) <= 0;
}
/// Returns whether `x` sorts after `y`.
constexpr bool operator>(const port& x, const port& y) noexcept {
  return x.compare(y) > 0;
}
/// Returns whether `x` sorts after `y` or equals it.
constexpr bool operator>=(const port& x, const port& y) noexcept {
  return x.compare(y) >= 0;
}

/// Writes `<n>/<proto>` with proto `tcp`, `udp`, `icmp` or `?`.
void convert(const port& x, std::string& str);

/// Parses `<n>` (tcp) or `<n>/<proto>`; an unknown protocol name yields `?`
/// as upstream does. Rejects numbers above 65535.
/// @returns `false` (leaving `x` untouched) on malformed input.
[[nodiscard]] bool convert(const std::string& str, port& x) noexcept;

} // namespace broker

namespace std {

/// Hashes ports with `port::hash`.
template <>
struct hash<broker::port> {
  /// Returns `x.hash()`.
  size_t operator()(const broker::port& x) const noexcept { return x.hash(); }
};

} // namespace std
