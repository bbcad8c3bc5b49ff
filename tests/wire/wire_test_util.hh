#pragma once

// Helpers shared by the wire tests: the fixed endpoint IDs of the vectors,
// hex conversion, transcript loading and frame splitting.

#include "support/vectors.hh"

#include "broker/endpoint_id.hh"
#include "broker/filter_type.hh"
#include "format/bin.hh"
#include "wire/frame.hh"

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace broker::test::wire {

using format::bin::v1::byte_buffer;
using format::bin::v1::byte_span;

/// Returns the ID whose 16 bytes are `hex` (32 hex digits).
inline endpoint_id id_from_hex(std::string_view hex) {
  auto bytes = from_hex(hex);
  if (bytes.size() != endpoint_id::num_bytes)
    throw std::invalid_argument("not 16 bytes: " + std::string{hex});
  endpoint_id::array_type arr{};
  for (size_t i = 0; i < arr.size(); ++i)
    arr[i] = bytes[i];
  return endpoint_id{arr};
}

// The fixed IDs of tests/vectors/README.md.
inline const endpoint_id id_s = id_from_hex("00000000000040008000000000000000");
inline const endpoint_id id_p = id_from_hex("11111111111141118111111111111111");
inline const endpoint_id id_q = id_from_hex("22222222222242228222222222222222");
inline const endpoint_id id_r = id_from_hex("ffffffffffff4fffbfffffffffffffff");

inline std::string hex(byte_span bytes) {
  return to_hex(bytes.data, bytes.size);
}

inline std::string hex(const endpoint_id& id) {
  return to_hex(id.bytes().data(), id.bytes().size());
}

inline std::string hex(std::string_view str) {
  return to_hex(reinterpret_cast<const uint8_t*>(str.data()), str.size());
}

/// Returns the topics of `filter` as plain strings (printable by Catch).
inline std::vector<std::string> strings(const filter_type& filter) {
  std::vector<std::string> result;
  for (const auto& t : filter)
    result.push_back(t.string());
  return result;
}

/// Returns a filter made of `topics`.
inline filter_type make_filter(std::vector<std::string> topics) {
  filter_type result;
  for (auto& t : topics)
    result.emplace_back(std::move(t));
  return result;
}

/// One frame line of a handshake-*.txt transcript.
struct transcript_frame {
  /// `I->A` lines.
  bool from_initiator = false;
  /// The whole frame, length prefix included.
  byte_buffer bytes;

  /// The frame without its length prefix.
  byte_span payload() const {
    return byte_span{bytes}.subspan(broker::wire::frame_header_size);
  }
};

/// Loads the frame lines of a transcript (comment lines are skipped).
inline std::vector<transcript_frame> load_transcript(const std::string& file) {
  std::vector<transcript_frame> result;
  for (auto& row : load_vector_file(file)) {
    if (row.fields.size() != 2)
      throw std::runtime_error(file + ": malformed line " +
                               std::to_string(row.line));
    transcript_frame frame;
    if (row.fields[0] == "I->A")
      frame.from_initiator = true;
    else if (row.fields[0] != "A->I")
      throw std::runtime_error(file + ": bad direction in line " +
                               std::to_string(row.line));
    frame.bytes = from_hex(row.fields[1]);
    result.push_back(std::move(frame));
  }
  return result;
}

/// Splits a stream of complete frames into the hex of each frame (length
/// prefix included). Empty frames are not expected here.
inline std::vector<std::string> split_frames(byte_span stream) {
  std::vector<std::string> result;
  broker::wire::frame_reader reader;
  std::string error;
  auto ok = reader.feed(
      stream,
      [&](byte_span payload) {
        byte_buffer frame;
        broker::wire::write_frame(payload, frame);
        result.push_back(hex(frame));
      },
      error);
  if (!ok || reader.buffered() != 0)
    throw std::runtime_error("not a sequence of complete frames: " + error);
  return result;
}

} // namespace broker::test::wire
