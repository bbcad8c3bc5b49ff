#pragma once

// The connector's retry timing (DESIGN.md §2), as a pure function so that
// its range can be tested without waiting for timers.

#include "broker/time.hh"

#include <algorithm>
#include <chrono>

namespace broker::core {

/// Returns the delay before the next attempt of an outbound peering:
/// `interval` scaled by a factor in [1 - jitter, 1 + jitter] chosen by `u`
/// (a uniform random number in [0, 1]; 0 gives the shortest delay, 1 the
/// longest). `jitter` is clamped to [0, 1] and `u` to [0, 1], so the result
/// is never negative. DESIGN.md §2 uses jitter 0.2 (±20 %) so that nodes
/// whose hub restarted do not all come back at the same instant.
[[nodiscard]] inline timespan jittered_delay(timespan interval, double jitter,
                                             double u) noexcept {
  jitter = std::clamp(jitter, 0.0, 1.0);
  u = std::clamp(u, 0.0, 1.0);
  auto factor = 1.0 - jitter + 2.0 * jitter * u;
  return std::chrono::round<timespan>(
      std::chrono::duration<double, timespan::period>(
          static_cast<double>(interval.count()) * factor));
}

} // namespace broker::core
