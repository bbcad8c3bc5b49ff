#include "wire/frame.hh"

#include <cassert>

namespace broker::wire {

namespace bin = format::bin::v1;

void frame_reader::reset() noexcept {
  buffer_.clear();
  buffer_pos_ = 0;
  error_.clear();
}

frame_reader::front_status
frame_reader::inspect(const uint8_t* bytes, size_t size, size_t& frame_size) {
  if (size < frame_header_size)
    return front_status::need_more;
  // spec: upstream-broker.md §4.1 (u32 big-endian length prefix).
  size_t length = bin::read_u32(bytes);
  if (length > max_frame_size_) {
    error_ = "frame of " + std::to_string(length) + " bytes exceeds " +
             limit_name_ + " (" + std::to_string(max_frame_size_) + ")";
    return front_status::error;
  }
  if (length == 0 && !allow_empty_) {
    // spec: upstream-broker.md §4.1: the handshake reader drops the
    // connection on an empty frame.
    error_ = "empty frame (length prefix 0) during the handshake";
    return front_status::error;
  }
  frame_size = frame_header_size + length;
  if (size < frame_size)
    return front_status::need_more;
  return length == 0 ? front_status::skip_empty : front_status::complete;
}

void frame_reader::append(byte_span bytes) {
  if (buffer_pos_ > 0) {
    buffer_.erase(buffer_.begin(),
                  buffer_.begin() + static_cast<ptrdiff_t>(buffer_pos_));
    buffer_pos_ = 0;
  }
  if (!bytes.empty())
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

void write_frame(byte_span payload, byte_buffer& out) {
  assert(payload.size <= max_encodable_frame_size);
  bin::write_u32(static_cast<uint32_t>(payload.size), out);
  out.insert(out.end(), payload.begin(), payload.end());
}

size_t begin_frame(byte_buffer& out) {
  auto start = out.size();
  out.insert(out.end(), frame_header_size, uint8_t{0});
  return start;
}

void end_frame(byte_buffer& out, size_t start) {
  assert(start + frame_header_size <= out.size());
  auto length = out.size() - start - frame_header_size;
  assert(length <= max_encodable_frame_size);
  bin::store_u32(static_cast<uint32_t>(length), out.data() + start);
}

} // namespace broker::wire
