#pragma once

#include "broker/message.hh"

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace broker::core {

/// Messages taken from a publisher queue: whole data frames back to back
/// (length prefix, envelope header, topic, value), the bytes every peer gets
/// for them (spec: upstream-broker.md §4.1, §4.5).
struct framed_batch {
  shared_bytes bytes;

  /// The size of each frame.
  std::vector<uint32_t> sizes;

  /// Bytes before the value in every frame (one publisher, one topic: the
  /// same for all).
  uint32_t header_size = 0;
};

/// The frames [first, last) of a shared `framed_batch`, as one entry of a
/// peer's outbound buffer: a publisher's batch travels to each of its peers
/// as one item, not as one item per message.
///
/// Thread safety: a value type; the batch it points to is immutable.
struct frame_run {
  std::shared_ptr<const framed_batch> batch;

  /// Index of the first frame.
  uint32_t first = 0;

  /// One past the last frame.
  uint32_t last = 0;

  /// Where frame `first` starts in `batch->bytes`.
  size_t offset = 0;

  /// Returns a run of the whole batch.
  static frame_run whole(std::shared_ptr<const framed_batch> batch) {
    auto n = static_cast<uint32_t>(batch->sizes.size());
    return frame_run{std::move(batch), 0, n, 0};
  }

  /// Returns the number of frames (messages).
  [[nodiscard]] size_t size() const noexcept { return last - first; }

  /// Returns the bytes of the first `n` frames. @pre `n <= size()`
  [[nodiscard]] size_t bytes_of(size_t n) const noexcept {
    assert(n <= size());
    size_t result = 0;
    for (auto i = first; i < first + n; ++i)
      result += batch->sizes[i];
    return result;
  }

  /// Returns the fewest first frames whose bytes reach `bytes` (all of them
  /// if they do not), as (frames, their bytes).
  [[nodiscard]] std::pair<size_t, size_t>
  prefix_reaching(size_t bytes) const noexcept {
    size_t n = 0;
    size_t len = 0;
    while (n < size() && len < bytes)
      len += batch->sizes[first + n++];
    return {n, len};
  }

  /// Returns the start of frame `first`.
  [[nodiscard]] const uint8_t* data() const noexcept {
    return batch->bytes->data() + offset;
  }

  /// Drops the first `n` frames. @pre `n <= size()`
  void drop_front(size_t n) noexcept {
    offset += bytes_of(n);
    first += static_cast<uint32_t>(n);
  }

  /// Keeps only the first `n` frames. @pre `n <= size()`
  void keep_front(size_t n) noexcept {
    assert(n <= size());
    last = first + static_cast<uint32_t>(n);
  }
};

} // namespace broker::core
