#pragma once

// The values behind the named rows of the upstream vector files
// (tests/vectors/README.md): data.txt (and the data rows of to_string.txt)
// and zeek.txt (built with the zeek.hh builders). Shared by the model and
// format test suites, so that each row's value is written down once.

#include "broker/data.hh"

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace broker::test {

/// Returns the value of a data.txt row, or `nullopt` for an unknown name.
std::optional<data> data_vector_value(std::string_view name);

/// Returns the value of a zeek.txt row, built with the zeek.hh builders, or
/// `nullopt` for an unknown name.
std::optional<data> zeek_vector_value(std::string_view name);

/// Parses an address, subnet, port, ... with `convert`.
/// @throws std::invalid_argument if `str` does not parse.
template <class T>
T parse(const std::string& str) {
  T result;
  if (!convert(str, result))
    throw std::invalid_argument("cannot parse: " + str);
  return result;
}

} // namespace broker::test
