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
  using number_type = uint16_t;

  /// Wire values of the protocol (spec: upstream-broker.md §4.6).
  enum class protocol : uint8_t {
    unknown = 0,
    tcp = 1,
    udp = 2,
    icmp = 3,
  };

  /// Constructs `0/?`.
  constexpr port() noexcept = default;

  constexpr port(number_type num, protocol proto) noexcept
      : num_(num), proto_(proto) {}

  [[nodiscard]] constexpr number_type number() const noexcept { return num_; }

  [[nodiscard]] constexpr protocol type() const noexcept { return proto_; }

  /// Orders by number, then protocol.
  [[nodiscard]] constexpr int compare(const port& other) const noexcept {
    if (num_ != other.num_)
      return num_ < other.num_ ? -1 : 1;
    if (proto_ != other.proto_)
      return proto_ < other.proto_ ? -1 : 1;
    return 0;
  }

  [[nodiscard]] size_t hash() const noexcept {
    return (static_cast<size_t>(num_) << 8) | static_cast<size_t>(proto_);
  }

private:
  number_type num_ = 0;
  protocol proto_ = protocol::unknown;
};

constexpr bool operator==(const port& x, const port& y) noexcept {
  return x.compare(y) == 0;
}
constexpr bool operator!=(const port& x, const port& y) noexcept {
  return x.compare(y) != 0;
}
constexpr bool operator<(const port& x, const port& y) noexcept {
  return x.compare(y) < 0;
}
constexpr bool operator<=(const port& x, const port& y) noexcept {
  return x.compare(y) <= 0;
}
constexpr bool operator>(const port& x, const port& y) noexcept {
  return x.compare(y) > 0;
}
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

template <>
struct hash<broker::port> {
  size_t operator()(const broker::port& x) const noexcept { return x.hash(); }
};

} // namespace std
