#pragma once

#include "broker/convert.hh"

#include <string>
#include <utility>

namespace broker {

/// A Zeek enum value, carried by its name (for example `Conn::LOG`).
struct enum_value {
  /// Constructs an enum value with an empty name.
  enum_value() = default;

  /// Constructs the enum value called `name`.
  explicit enum_value(std::string name) : name(std::move(name)) {}

  /// The name, qualified as in Zeek (`Conn::LOG`).
  std::string name;
};

/// Returns whether the names are equal.
inline bool operator==(const enum_value& x, const enum_value& y) {
  return x.name == y.name;
}
/// Returns whether the names differ.
inline bool operator!=(const enum_value& x, const enum_value& y) {
  return x.name != y.name;
}
/// Returns whether the name of `x` sorts before that of `y`.
inline bool operator<(const enum_value& x, const enum_value& y) {
  return x.name < y.name;
}
/// Returns whether the name of `x` sorts before that of `y` or equals it.
inline bool operator<=(const enum_value& x, const enum_value& y) {
  return x.name <= y.name;
}
/// Returns whether the name of `x` sorts after that of `y`.
inline bool operator>(const enum_value& x, const enum_value& y) {
  return x.name > y.name;
}
/// Returns whether the name of `x` sorts after that of `y` or equals it.
inline bool operator>=(const enum_value& x, const enum_value& y) {
  return x.name >= y.name;
}

/// Writes the name.
inline void convert(const enum_value& x, std::string& str) {
  str = x.name;
}

} // namespace broker
