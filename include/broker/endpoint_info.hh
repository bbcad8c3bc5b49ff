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
  endpoint_id node;
  std::optional<network_info> network;
};

inline bool operator==(const endpoint_info& x, const endpoint_info& y) {
  return x.node == y.node && x.network == y.network;
}
inline bool operator!=(const endpoint_info& x, const endpoint_info& y) {
  return !(x == y);
}

/// Writes `endpoint_info(<id>, *<addr>:<port>)` or `endpoint_info(<id>, none)`
/// (upstream's rendering).
void convert(const endpoint_info& x, std::string& str);

/// Converts to upstream's data layout (spec: upstream-broker.md §2.3):
/// `[id string | nil, address | nil, port/tcp | nil, count retry | nil]`.
bool convert(const endpoint_info& x, data& dst);

/// Converts from the layout above.
/// @returns `false` (leaving `x` untouched) if `src` does not have it.
bool convert(const data& src, endpoint_info& x);

std::ostream& operator<<(std::ostream& out, const endpoint_info& x);

} // namespace broker
