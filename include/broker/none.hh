#pragma once

#include "broker/convert.hh"

#include <string>

namespace broker {

/// The "no value" alternative of `data` (printed as `nil`).
struct none {};

/// The only value of `none`.
inline constexpr none nil = none{};

/// Returns `true`: all `none` values are equal.
constexpr bool operator==(none, none) noexcept {
  return true;
}
/// Returns `false`: all `none` values are equal.
constexpr bool operator!=(none, none) noexcept {
  return false;
}
/// Returns `false`: all `none` values are equal.
constexpr bool operator<(none, none) noexcept {
  return false;
}
/// Returns `true`: all `none` values are equal.
constexpr bool operator<=(none, none) noexcept {
  return true;
}
/// Returns `false`: all `none` values are equal.
constexpr bool operator>(none, none) noexcept {
  return false;
}
/// Returns `true`: all `none` values are equal.
constexpr bool operator>=(none, none) noexcept {
  return true;
}

/// Writes `nil`.
inline void convert(none, std::string& str) {
  str = "nil";
}

} // namespace broker
