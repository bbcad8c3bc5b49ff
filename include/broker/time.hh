#pragma once

#include "broker/convert.hh"

#include <chrono>
#include <cstdint>
#include <string>

namespace broker {

/// A duration with nanosecond resolution (Zeek's `interval`).
using timespan = std::chrono::duration<int64_t, std::nano>;

/// A point in time with nanosecond resolution since the Unix epoch (Zeek's
/// `time`).
using timestamp = std::chrono::time_point<std::chrono::system_clock, timespan>;

/// Returns the current wall-clock time.
timestamp now() noexcept;

/// Writes `<n>ns`, as upstream Broker's `to_string` does.
void convert(timespan x, std::string& str);

/// Writes `<nanoseconds since epoch>ns`, as upstream Broker's `to_string` does.
void convert(timestamp x, std::string& str);

/// Parses `<number><unit>` with unit one of `ns`, `us`, `ms`, `s`, `min`, `h`,
/// `d`; the number may carry a fraction (`1.5s`).
/// @returns `false` (leaving `x` untouched) on malformed input or overflow.
[[nodiscard]] bool convert(const std::string& str, timespan& x) noexcept;

/// Parses either `<n>ns` (upstream's `to_string` form) or an ISO 8601 date
/// and time `YYYY-MM-DDThh:mm:ss[.fraction][Z|(+|-)hh:mm]` (UTC when no zone
/// is given).
/// @returns `false` (leaving `x` untouched) on malformed input or overflow.
[[nodiscard]] bool convert(const std::string& str, timestamp& x) noexcept;

} // namespace broker
