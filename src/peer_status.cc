#include "broker/peer_status.hh"

#include <algorithm>
#include <ostream>
#include <string_view>

namespace broker {

namespace {

/// Names indexed by `peer_status` value.
constexpr std::string_view peer_status_names[] = {
    "initialized",  "connecting",   "connected", "peered",
    "disconnected", "reconnecting", "unknown",
};

std::string_view name_of(peer_status x) noexcept {
  auto index = static_cast<size_t>(x);
  return index < std::size(peer_status_names) ? peer_status_names[index]
                                              : "unknown";
}

} // namespace

void convert(peer_status x, std::string& str) {
  str = name_of(x);
}

bool convert(const std::string& str, peer_status& x) noexcept {
  auto i = std::find(std::begin(peer_status_names), std::end(peer_status_names),
                     str);
  if (i == std::end(peer_status_names))
    return false;
  x = static_cast<peer_status>(i - std::begin(peer_status_names));
  return true;
}

std::ostream& operator<<(std::ostream& out, peer_status x) {
  return out << name_of(x);
}

} // namespace broker
