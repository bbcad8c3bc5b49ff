#pragma once

#include "broker/convert.hh"
#include "broker/timeout.hh"

#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>

namespace broker {

/// Where a peer lives: the address string (as given to `peer()`, or the
/// remote socket address for inbound peerings), port and retry interval.
/// Equality ignores `retry` (spec: upstream-broker.md §1.4).
struct network_info {
  network_info() = default;

  network_info(std::string addr, uint16_t port,
               timeout::seconds retry = timeout::seconds{0})
      : address(std::move(addr)), port(port), retry(retry) {}

  std::string address;
  uint16_t port = 0;
  timeout::seconds retry{0};
};

inline bool operator==(const network_info& x, const network_info& y) {
  return x.port == y.port && x.address == y.address;
}
inline bool operator!=(const network_info& x, const network_info& y) {
  return !(x == y);
}
inline bool operator<(const network_info& x, const network_info& y) {
  return x.address != y.address ? x.address < y.address : x.port < y.port;
}

/// Writes `<address>:<port>`.
void convert(const network_info& x, std::string& str);

std::ostream& operator<<(std::ostream& out, const network_info& x);

} // namespace broker
