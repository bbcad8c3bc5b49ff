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
  /// Constructs an empty address with port 0 and no retry.
  network_info() = default;

  /// Constructs `addr:port` with the retry interval `retry` (0: none).
  network_info(std::string addr, uint16_t port,
               timeout::seconds retry = timeout::seconds{0})
      : address(std::move(addr)), port(port), retry(retry) {}

  /// Host name or IP address.
  std::string address;
  /// TCP port.
  uint16_t port = 0;
  /// Retry interval for outbound peerings (0: no retry).
  timeout::seconds retry{0};
};

/// Returns whether address and port are equal (`retry` is ignored).
inline bool operator==(const network_info& x, const network_info& y) {
  return x.port == y.port && x.address == y.address;
}
/// Returns whether address or port differ (`retry` is ignored).
inline bool operator!=(const network_info& x, const network_info& y) {
  return !(x == y);
}
/// Orders by address, then port (`retry` is ignored).
inline bool operator<(const network_info& x, const network_info& y) {
  return x.address != y.address ? x.address < y.address : x.port < y.port;
}

/// Writes `<address>:<port>`.
void convert(const network_info& x, std::string& str);

/// Writes `<address>:<port>`.
std::ostream& operator<<(std::ostream& out, const network_info& x);

} // namespace broker
