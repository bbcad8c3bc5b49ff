#pragma once

// Random values of every `data` type, for round-trip and robustness tests
// of the codecs and of `data_view`.

#include "broker/data.hh"

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

namespace broker::test {

/// Generates random values of every type, containers nested up to four
/// levels deep. The same seed gives the same values.
class value_generator {
public:
  explicit value_generator(uint32_t seed) : rng_(seed) {}

  /// Returns the next value; `depth` counts the enclosing containers.
  data next(size_t depth = 0);

private:
  uint32_t pick(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }

  real finite_real();

  std::string random_string();

  address random_address();

  std::mt19937_64 rng_;
};

} // namespace broker::test
