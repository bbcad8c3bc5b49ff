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
  static constexpr size_t num_bytes = 16;

  using array_type = std::array<uint8_t, num_bytes>;

  /// Constructs the nil ID.
  constexpr endpoint_id() noexcept : bytes_{} {}

  explicit constexpr endpoint_id(const array_type& bytes) noexcept
      : bytes_(bytes) {}

  /// Returns a fresh random ID in upstream's UUID layout (version nibble 5,
  /// variant bits `10`).
  static endpoint_id random();

  /// Returns the nil ID.
  static constexpr endpoint_id nil() noexcept { return endpoint_id{}; }

  /// Returns whether this ID is not nil.
  [[nodiscard]] bool valid() const noexcept;

  explicit operator bool() const noexcept { return valid(); }

  [[nodiscard]] const array_type& bytes() const noexcept { return bytes_; }

  [[nodiscard]] array_type& bytes() noexcept { return bytes_; }

  [[nodiscard]] int compare(const endpoint_id& other) const noexcept {
    return std::memcmp(bytes_.data(), other.bytes_.data(), num_bytes);
  }

  [[nodiscard]] size_t hash() const noexcept;

  /// Returns whether `str` is a UUID that `convert` accepts.
  static bool can_parse(const std::string& str) noexcept;

private:
  array_type bytes_;
};

inline bool operator==(const endpoint_id& x, const endpoint_id& y) noexcept {
  return x.compare(y) == 0;
}
inline bool operator!=(const endpoint_id& x, const endpoint_id& y) noexcept {
  return x.compare(y) != 0;
}
inline bool operator<(const endpoint_id& x, const endpoint_id& y) noexcept {
  return x.compare(y) < 0;
}
inline bool operator<=(const endpoint_id& x, const endpoint_id& y) noexcept {
  return x.compare(y) <= 0;
}
inline bool operator>(const endpoint_id& x, const endpoint_id& y) noexcept {
  return x.compare(y) > 0;
}
inline bool operator>=(const endpoint_id& x, const endpoint_id& y) noexcept {
  return x.compare(y) >= 0;
}

/// Writes the lowercase UUID form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
void convert(const endpoint_id& x, std::string& str);

/// Parses a UUID (hex digits of either case, dashes required). Rejects
/// version nibbles 0 and above 5 except for the all-zero nil ID, as upstream.
/// @returns `false` (leaving `x` untouched) on malformed input.
[[nodiscard]] bool convert(const std::string& str, endpoint_id& x) noexcept;

std::ostream& operator<<(std::ostream& out, const endpoint_id& x);

} // namespace broker

namespace std {

template <>
struct hash<broker::endpoint_id> {
  size_t operator()(const broker::endpoint_id& x) const noexcept {
    return x.hash();
  }
};

} // namespace std
