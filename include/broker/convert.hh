#pragma once

#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

namespace broker {

/// Renders any Broker type that provides `convert(const T&, std::string&)`.
template <class T>
auto to_string(const T& x)
    -> std::enable_if_t<!std::is_arithmetic_v<T>,
                        decltype(convert(x, std::declval<std::string&>()),
                                 std::string{})> {
  std::string result;
  convert(x, result);
  return result;
}

} // namespace broker
