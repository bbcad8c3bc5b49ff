#pragma once

#include "broker/convert.hh"

#include <string>
#include <utility>

namespace broker {

/// A Zeek enum value, carried by its name (for example `Conn::LOG`).
struct enum_value {
  enum_value() = default;

  explicit enum_value(std::string name) : name(std::move(name)) {}

  std::string name;
};

inline bool operator==(const enum_value& x, const enum_value& y) {
  return x.name == y.name;
}
inline bool operator!=(const enum_value& x, const enum_value& y) {
  return x.name != y.name;
}
inline bool operator<(const enum_value& x, const enum_value& y) {
  return x.name < y.name;
}
inline bool operator<=(const enum_value& x, const enum_value& y) {
  return x.name <= y.name;
}
inline bool operator>(const enum_value& x, const enum_value& y) {
  return x.name > y.name;
}
inline bool operator>=(const enum_value& x, const enum_value& y) {
  return x.name >= y.name;
}

/// Writes the name.
inline void convert(const enum_value& x, std::string& str) {
  str = x.name;
}

} // namespace broker
