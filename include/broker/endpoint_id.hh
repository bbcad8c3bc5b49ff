#pragma once

#include "broker/convert.hh"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iosfwd>
#include <string>

namespace broker {

/// The 16-byte identity of an endpoint. Ordered by `memcmp` of the bytes (the
/// handshake lets the smaller ID originate, spec: upstream-broker.md §4.4);
/// printed as a lowercase UUID. The all-zero ID is *nil* (no endpoint, or
/// "broadcast" as an envelope receiver).
///
/// Thread safety: a value type; distinct objects may be used concurrently.
class endpoint_id {
public:
  /// Size of an ID in bytes.
  static constexpr size_t num_bytes = 16;

  /// The raw bytes of an ID.
  using array_type = std::array<uint8_t, num_bytes>;

  /// Constructs the nil ID.
  constexpr endpoint_id() noexcept : bytes_{} {}

  /// Constructs an ID from its raw bytes.
  explicit constexpr endpoint_id(const array_type& bytes) noexcept
      : bytes_(bytes) {}

  /// Returns a fresh random ID in upstream's UUID layout (version nibble 5,
  /// variant bits `10`).
  static endpoint_id random();

  /// Returns the nil ID.
  static constexpr endpoint_id nil() noexcept { return endpoint_id{}; }

  /// Returns whether this ID is not nil. Inline: routing asks it several
  /// times per message.
  [[nodiscard]] bool valid() const noexcept {
    uint64_t halves[2];
    std::memcpy(halves, bytes_.data(), num_bytes);
    return (halves[0] | halves[1]) != 0;
  }

  /// Returns `valid()`.
  explicit operator bool() const noexcept { return valid(); }

  /// Returns the raw bytes.
  [[nodiscard]] const array_type& bytes() const noexcept { return bytes_; }

  /// Returns the raw bytes (mutable).
  [[nodiscard]] array_type& bytes() noexcept { return bytes_; }

  /// Compares the bytes with `memcmp`: negative, zero or positive.
  [[nodiscard]] int compare(const endpoint_id& other) const noexcept {
    return std::memcmp(bytes_.data(), other.bytes_.data(), num_bytes);
  }

  /// Returns a hash of the bytes (used by `std::hash<endpoint_id>`).
  [[nodiscard]] size_t hash() const noexcept;

  /// Returns whether `str` is a UUID that `convert` accepts.
  static bool can_parse(const std::string& str) noexcept;

private:
  array_type bytes_;
};

/// Returns whether `x` and `y` are the same ID.
inline bool operator==(const endpoint_id& x, const endpoint_id& y) noexcept {
  return x.compare(y) == 0;
}
/// Returns whether `x` and `y` are different IDs.
inline bool operator!=(const endpoint_id& x, const endpoint_id& y) noexcept {
  return x.compare(y) != 0;
}
/// Returns whether `x` sorts before `y` (`memcmp` order of the bytes).
inline bool operator<(const endpoint_id& x, const endpoint_id& y) noexcept {
  return x.compare(y) < 0;
}
/// Returns whether `x` sorts before `y` or equals it.
inline bool operator<=(const endpoint_id& x, const endpoint_id& y) noexcept {
  return x.compare(y) <= 0;
}
/// Returns whether `x` sorts after `y`.
inline bool operator>(const endpoint_id& x, const endpoint_id& y) noexcept {
  return x.compare(y) > 0;
}
/// Returns whether `x` sorts after `y` or equals it.
inline bool operator>=(const endpoint_id& x, const endpoint_id& y) noexcept {
  return x.compare(y) >= 0;
}

/// Writes the lowercase UUID form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
void convert(const endpoint_id& x, std::string& str);

/// Parses a UUID (hex digits of either case, dashes required). Rejects
/// version nibbles 0 and above 5 except for the all-zero nil ID, as upstream.
/// @returns `false` (leaving `x` untouched) on malformed input.
[[nodiscard]] bool convert(const std::string& str, endpoint_id& x) noexcept;

/// Writes the UUID form (see `convert`).
std::ostream& operator<<(std::ostream& out, const endpoint_id& x);

} // namespace broker

namespace std {

/// Hashes IDs with `endpoint_id::hash`.
template <>
struct hash<broker::endpoint_id> {
  /// Returns `x.hash()`.
  size_t operator()(const broker::endpoint_id& x) const noexcept {
    return x.hash();
  }
};

} // namespace std
