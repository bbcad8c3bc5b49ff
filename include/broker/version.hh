#pragma once

#include <cstdint>
#include <string>

namespace broker::version {

/// Major version of the upstream Broker release whose API and protocols
/// this library speaks.
inline constexpr uint32_t major = 2;
/// Minor version of that release.
inline constexpr uint32_t minor = 8;
/// Patch version of that release.
inline constexpr uint32_t patch = 0;

/// Native wire protocol version (spec: upstream-broker.md §4.3).
inline constexpr uint8_t wire_protocol = 1;

/// Returns `"<major>.<minor>.<patch>"`; also the `version` field of the
/// WebSocket ack.
std::string string();

} // namespace broker::version
