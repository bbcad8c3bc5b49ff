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
/// levels deep. The same seed gives the same values. Scalars come from
/// `scalar`, which a test can override to stay within what its format
/// carries exactly (see json.test.cc).
class value_generator {
public:
  explicit value_generator(uint64_t seed) : rng_(seed) {}

  virtual ~value_generator() = default;

  /// Returns the next value; `depth` counts the enclosing containers.
  data next(size_t depth = 0);

protected:
  /// Returns a random scalar of `type` (`none` up to `enum_value`): any
  /// bit pattern of the integers, timestamps and timespans, finite reals,
  /// strings of arbitrary bytes, IPv4 and IPv6 addresses.
  virtual data scalar(data::type type);

  /// The parts of `scalar` a test may narrow down: a finite real, a string
  /// (of arbitrary bytes here), an address (half of them IPv4).
  virtual real finite_real();
  virtual std::string random_string();
  virtual address random_address();

  /// Returns a number in `[0, n)`.
  uint32_t pick(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }

  /// Returns 64 random bits.
  uint64_t bits() { return rng_(); }

private:
  std::mt19937_64 rng_;
};

} // namespace broker::test
