#pragma once

#include "broker/convert.hh"
#include "broker/endpoint_id.hh"
#include "broker/fwd.hh"
#include "broker/network_info.hh"

#include <iosfwd>
#include <optional>
#include <string>

namespace broker {

/// Identifies an endpoint and, optionally, where it can be reached.
struct endpoint_info {
  /// The endpoint's ID (nil if unknown).
  endpoint_id node;
  /// Where the endpoint can be reached, if known.
  std::optional<network_info> network;
};

/// Returns whether ID and network info are equal (`retry` is ignored).
inline bool operator==(const endpoint_info& x, const endpoint_info& y) {
  return x.node == y.node && x.network == y.network;
}
/// Returns whether ID or network info differ (`retry` is ignored).
inline bool operator!=(const endpoint_info& x, const endpoint_info& y) {
  return !(x == y);
}

/// Writes `endpoint_info(<id>, *<addr>:<port>)` or `endpoint_info(<id>, none)`
/// (upstream's rendering).
void convert(const endpoint_info& x, std::string& str);

/// Converts to upstream's data layout (spec: upstream-broker.md §2.3): the
/// vector `[id string, address string, port/tcp, count retry]`, with `nil`
/// for the ID if it is nil and for the last three without network info.
/// Always returns `true`.
bool convert(const endpoint_info& x, data& dst);

/// Converts from the layout above.
/// @returns `false` (leaving `x` untouched) if `src` does not have it.
bool convert(const data& src, endpoint_info& x);

/// Writes the `convert` rendering.
std::ostream& operator<<(std::ostream& out, const endpoint_info& x);

} // namespace broker
