// libFuzzer target: the phase-3 byte stream of an established peering
// (spec: upstream-broker.md §4.1, §4.5), without having to pass a handshake
// first: `frame_reader` splits arbitrary bytes into frames exactly as a
// peering's reads deliver them, and every frame goes through
// `parse_envelope` and its type-specific payload parser (phase3.hh).
//
// Input layout: byte 0 is the read size (1-256 bytes per `feed`), byte 1
// selects `broker.max-frame-size` (bits 0-1: 64 B, 4 KiB, 1 MiB, 16 MiB);
// the rest is the stream the peer sends.

#include "wire/frame.hh"

#include "phase3.hh"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace {

using broker::fuzz::require;
using broker::wire::byte_span;

/// The frame size limits byte 1 selects from (the smallest is the minimum
/// `broker.max-frame-size` src/endpoint.cc accepts).
constexpr std::array<size_t, 4> frame_limits = {
    64, 4 * 1024, 1024 * 1024, broker::wire::default_max_frame_size};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 2)
    return 0;
  size_t chunk_size = size_t{bytes[0]} + 1;
  auto limit = frame_limits[bytes[1] & 3];
  byte_span stream{bytes + 2, size - 2};
  broker::wire::frame_reader reader{limit};
  reader.allow_empty_frames(true); // phase 3 (spec §4.1)
  std::string error;
  size_t delivered = 0;
  auto on_frame = [&](byte_span payload) {
    require(payload.size <= limit);
    delivered += broker::wire::frame_header_size + payload.size;
    broker::fuzz::parse_phase3(payload);
  };
  size_t fed = 0;
  while (!stream.empty()) {
    auto n = chunk_size < stream.size ? chunk_size : stream.size;
    if (!reader.feed(stream.subspan(0, n), on_frame, error)) {
      // A failed reader names the limit and stays failed.
      require(!error.empty() && reader.failed());
      std::string again;
      require(!reader.feed({}, on_frame, again) && again == error);
      return 0;
    }
    fed += n;
    stream = stream.subspan(n);
    // Never more buffered than one incomplete frame.
    require(reader.buffered() < broker::wire::frame_header_size + limit);
  }
  // Every byte was delivered (empty frames count as delivered headers) or
  // is the incomplete tail.
  require(delivered + reader.buffered() <= fed);
  return 0;
}
