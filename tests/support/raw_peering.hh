#pragma once

// The native handshake spoken by hand over a `raw_socket` (spec:
// upstream-broker.md §4.3, §4.4), for tests that then send phase-3 bytes of
// their choosing.

#include "broker/endpoint_id.hh"
#include "broker/filter_type.hh"
#include "broker/time.hh"
#include "support/endpoints.hh"
#include "support/raw_socket.hh"
#include "wire/handshake.hh"

#include <cstdint>
#include <vector>

namespace broker::test {

/// Parses an endpoint ID in its UUID text form; fails the current test
/// (REQUIRE) on bad text.
endpoint_id id_of(const char* str);

/// Returns the frame (length prefix included) of a handshake message.
std::vector<uint8_t> frame_of(const wire::handshake_msg& msg);

/// Reads the next frame within `timeout` and decodes it as a handshake
/// message. Fails the current test (REQUIRE) on timeout or garbage.
wire::handshake_msg read_handshake(raw_socket& sock,
                                   timespan timeout = wait_bound);

/// Connects to a listener on 127.0.0.1:`port` and runs the initiator side
/// of a handshake as `own`, announcing `filter`. The listener's ID must be
/// smaller than `own` (so the listener originates, spec §4.4 case B).
/// Blocks until peered; fails the current test (REQUIRE) otherwise.
raw_socket raw_peering(uint16_t port, const endpoint_id& own,
                       filter_type filter);

} // namespace broker::test
