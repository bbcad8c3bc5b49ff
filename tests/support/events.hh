#pragma once

// Numbered Zeek events for tests and benchmarks that check order and loss:
// `Event("bench", [count n, string payload])` (spec: upstream-broker.md
// §4.7).

#include "broker/data.hh"
#include "broker/data_view.hh"

#include <cstdint>
#include <optional>
#include <string>

namespace broker::test {

/// Returns the event with number `n` and the given payload.
data numbered_event(uint64_t n, const std::string& payload);

/// Returns the number of an event made by `numbered_event`, reading the
/// layout in place (no copies), or `std::nullopt` for anything else.
std::optional<uint64_t> event_number(const data& x);

/// Returns the number of an event made by `numbered_event` in wire form,
/// read through a view (no decoding), or `std::nullopt` for anything else.
std::optional<uint64_t> event_number(const data_view& x);

} // namespace broker::test
