#pragma once

// The exact error that decoding a truncated data encoding must give,
// computed from the encoding's layout (spec: upstream-broker.md §4.2, §4.6)
// independently of the decoder. Shared by the format and wire tests.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace broker::test {

/// Returns the reason `format::bin::v1::decode` must report for the first
/// `cut` bytes of `full`, e.g. "failed to parse data: unexpected end of input
/// reading count at offset 1" or "failed to parse data: string length 5
/// exceeds remaining 2 bytes at offset 2".
/// @pre `full` is one complete, decodable data value (varbytes of at most
///      5 bytes, no duplicates) and `cut < full.size()`.
/// @throws std::invalid_argument if `full` violates the precondition in a
///         way the walk notices (unknown tag, `cut` too large).
std::string truncated_data_error(const std::vector<uint8_t>& full, size_t cut);

} // namespace broker::test
