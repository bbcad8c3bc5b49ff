#pragma once

// Length-prefixed framing of the native transport (spec: upstream-broker.md
// §4.1): every message is a 4-byte big-endian length N followed by N bytes,
// in the handshake and in phase 3 alike. Pure code: no sockets, no threads.

#include "format/bin.hh"

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

namespace broker::wire {

using format::bin::v1::byte_buffer;
using format::bin::v1::byte_span;

/// Largest frame payload we accept unless configured otherwise
/// (`broker.max-frame-size`; DESIGN.md §2: upstream allocates whatever the
/// length prefix claims, we close the connection instead).
inline constexpr size_t default_max_frame_size = 16 * 1024 * 1024;

/// Largest frame payload accepted before the handshake completed, unless
/// `broker.max-frame-size` is smaller. Handshake messages are tiny except
/// originator_syn and responder_syn_ack, which carry the sender's whole
/// filter: 1 MiB leaves room for tens of thousands of topics while a
/// stranger that has not even said hello cannot make us buffer 16 MiB.
inline constexpr size_t max_handshake_frame_size = 1024 * 1024;

/// Size of the big-endian length prefix (spec: upstream-broker.md §4.1).
inline constexpr size_t frame_header_size = 4;

/// Largest payload the 4-byte length prefix can describe.
inline constexpr size_t max_encodable_frame_size = UINT32_MAX;

/// Splits a byte stream into frames.
///
/// `feed` answers the three questions of an incremental decoder: it delivers
/// every complete frame ("consumed"), keeps an incomplete trailing frame
/// ("need more"), or fails with a reason ("error"). Frames wholly inside a
/// chunk are delivered as views into the chunk without copying; only an
/// incomplete trailing frame (or the rest after a "stop") is copied into the
/// internal buffer.
///
/// Thread safety: none; one reader belongs to one connection.
class frame_reader {
public:
  /// @param max_frame_size largest payload accepted; a bigger length prefix
  ///        fails `feed` before anything is allocated.
  /// @param limit_name names the limit in the error ("frame of N bytes
  ///        exceeds <limit_name> (<max_frame_size>)").
  explicit frame_reader(size_t max_frame_size = default_max_frame_size,
                        std::string limit_name = "broker.max-frame-size")
      : max_frame_size_(max_frame_size), limit_name_(std::move(limit_name)) {}

  /// Changes the largest payload accepted from the next length prefix on
  /// (e.g. from the handshake limit to `broker.max-frame-size` once the
  /// handshake completed). Frames whose prefix was already checked keep
  /// their size.
  void max_frame_size(size_t value, std::string limit_name) {
    max_frame_size_ = value;
    limit_name_ = std::move(limit_name);
  }

  /// Selects how an empty frame (length prefix 0) is treated. `false` (the
  /// default, for the handshake): it is an error, as upstream's connector
  /// treats it. `true` (phase 3): it is skipped silently, as CAF's
  /// length-prefix framing does (spec: upstream-broker.md §4.1).
  void allow_empty_frames(bool value) noexcept { allow_empty_ = value; }

  /// Returns the configured maximum payload size.
  [[nodiscard]] size_t max_frame_size() const noexcept {
    return max_frame_size_;
  }

  /// Consumes `chunk` (bytes as read from the socket; may be empty) and calls
  /// `on_frame(byte_span payload)` for each complete frame, in order. The
  /// payload view is valid only during the call. If `on_frame` returns
  /// something convertible to `bool`, `false` means "stop here": `feed`
  /// returns `true` at once and keeps every byte after that frame buffered,
  /// so that a later `feed({}, ...)` continues with the next frame.
  ///
  /// Returns immediately (never blocks).
  /// @returns `false` with `error` set (e.g. "frame of 4294967295 bytes
  ///          exceeds broker.max-frame-size (16777216)") if a length prefix
  ///          exceeds the maximum or an empty frame arrives while they are
  ///          not allowed. The reader then stays failed (every later call
  ///          returns `false` with the same error) until `reset()`.
  template <class OnFrame>
  [[nodiscard]] bool feed(byte_span chunk, OnFrame&& on_frame,
                          std::string& error);

  /// Returns how many bytes are buffered (an incomplete frame, or the
  /// unconsumed rest after a "stop").
  [[nodiscard]] size_t buffered() const noexcept {
    return buffer_.size() - buffer_pos_;
  }

  /// Returns whether a previous `feed` failed.
  [[nodiscard]] bool failed() const noexcept { return !error_.empty(); }

  /// Discards buffered bytes and a previous error.
  void reset() noexcept;

private:
  /// Outcome of inspecting the bytes at the front of a region.
  enum class front_status { need_more, complete, skip_empty, error };

  /// Inspects the frame starting at `bytes` (with `size` bytes available):
  /// sets `frame_size` to header + payload when the header is complete and
  /// valid. Checks the length prefix against the maximum.
  front_status inspect(const uint8_t* bytes, size_t size, size_t& frame_size);

  /// Calls `on_frame` and maps its result to "continue?".
  template <class OnFrame>
  static bool deliver(OnFrame& on_frame, byte_span payload) {
    using result = std::invoke_result_t<OnFrame&, byte_span>;
    if constexpr (std::is_void_v<result>) {
      on_frame(payload);
      return true;
    } else {
      return static_cast<bool>(on_frame(payload));
    }
  }

  /// Appends `bytes` to the buffer, compacting consumed bytes first.
  void append(byte_span bytes);

  size_t max_frame_size_;
  /// Names `max_frame_size_` in errors.
  std::string limit_name_;
  bool allow_empty_ = false;
  /// Bytes not yet delivered start at `buffer_pos_`.
  byte_buffer buffer_;
  size_t buffer_pos_ = 0;
  /// Non-empty once failed.
  std::string error_;
};

template <class OnFrame>
bool frame_reader::feed(byte_span chunk, OnFrame&& on_frame,
                        std::string& error) {
  if (failed()) {
    error = error_;
    return false;
  }
  auto fail = [&] {
    error = error_;
    return false;
  };
  // Phase 1: complete the frames that start in the buffer, taking from
  // `chunk` only the bytes the front frame still lacks.
  while (buffered() > 0) {
    size_t frame_size = 0;
    auto status = inspect(buffer_.data() + buffer_pos_, buffered(), frame_size);
    if (status == front_status::need_more) {
      // Top up to the header, or to the end of the frame once its size is
      // known (it was checked against the maximum by `inspect`).
      size_t want = buffered() < frame_header_size
                        ? frame_header_size - buffered()
                        : frame_size - buffered();
      if (chunk.empty())
        return true;
      size_t take = want < chunk.size ? want : chunk.size;
      append(chunk.subspan(0, take));
      chunk = chunk.subspan(take);
      continue;
    }
    if (status == front_status::error)
      return fail();
    auto payload = byte_span{buffer_.data() + buffer_pos_ + frame_header_size,
                             frame_size - frame_header_size};
    bool go_on =
        status == front_status::skip_empty || deliver(on_frame, payload);
    buffer_pos_ += frame_size;
    if (buffer_pos_ == buffer_.size()) {
      buffer_.clear();
      buffer_pos_ = 0;
    }
    if (!go_on) {
      append(chunk);
      return true;
    }
  }
  // Phase 2: deliver the frames wholly inside `chunk` without copying.
  while (!chunk.empty()) {
    size_t frame_size = 0;
    auto status = inspect(chunk.data, chunk.size, frame_size);
    if (status == front_status::need_more)
      break;
    if (status == front_status::error)
      return fail();
    auto payload =
        chunk.subspan(frame_header_size, frame_size - frame_header_size);
    bool go_on =
        status == front_status::skip_empty || deliver(on_frame, payload);
    chunk = chunk.subspan(frame_size);
    if (!go_on)
      break;
  }
  // Keep the incomplete trailing frame (or the rest after a stop).
  append(chunk);
  return true;
}

/// Appends a 4-byte big-endian length and `payload` to `out`
/// (spec: upstream-broker.md §4.1).
/// @pre `payload.size <= max_encodable_frame_size`.
void write_frame(byte_span payload, byte_buffer& out);

/// Reserves a 4-byte length slot at the end of `out` for a payload that the
/// caller then appends in place; finish with `end_frame`.
/// @returns the offset of the slot (pass it to `end_frame`).
size_t begin_frame(byte_buffer& out);

/// Patches the length slot reserved at `start` with the number of bytes
/// appended since `begin_frame`.
/// @pre `start` came from `begin_frame(out)`, and the payload is at most
///      `max_encodable_frame_size` bytes.
void end_frame(byte_buffer& out, size_t start);

} // namespace broker::wire
