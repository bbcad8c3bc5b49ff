#pragma once

#include "broker/message.hh"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace broker::core {

/// Recycles the large byte buffers that carry batches of encoded messages.
/// A batch buffer is created on one thread and released on another (the
/// last subscriber or peering done with it); handing it back here instead of
/// freeing it avoids glibc's slow cross-thread path for large blocks
/// (consolidation, fresh pages) on every batch.
///
/// Thread safety: all member functions are thread-safe.
class buffer_pool : public std::enable_shared_from_this<buffer_pool> {
public:
  /// Buffers kept for reuse at most.
  static constexpr size_t max_kept = 16;

  /// Returns an empty buffer with at least `min_capacity` bytes reserved.
  std::vector<uint8_t> take(size_t min_capacity);

  /// Shares `buf` read-only; when the last reference goes, `buf` returns to
  /// the pool (or is freed if the pool is full).
  shared_bytes share(std::vector<uint8_t> buf);

private:
  void give_back(std::vector<uint8_t>* buf);

  std::mutex mtx_;
  std::vector<std::vector<uint8_t>> free_;
};

/// The envelopes of one batch, allocated together: a batch costs one
/// allocation instead of one per message. Each envelope still has its own
/// reference count and is destroyed (its value freed) as soon as its last
/// reference goes; the block's memory goes when all of them went.
class envelope_block final : public detail::envelope_owner {
public:
  explicit envelope_block(size_t capacity)
      // Default-initialized, not zeroed as make_unique would: every slot
      // is constructed before use (about 28 kB per block otherwise).
      : storage_(new slot[capacity]), capacity_(capacity) {}

  envelope_block(const envelope_block&) = delete;

  envelope_block& operator=(const envelope_block&) = delete;

  /// Constructs the next envelope and returns the only reference to it.
  /// @pre `size() < capacity()`, and `close()` not called yet.
  template <class... Ts>
  data_message emplace(Ts&&... xs) {
    auto ptr = new (&storage_[size_++]) data_envelope(std::forward<Ts>(xs)...);
    ptr->owner(this);
    live_.fetch_add(1, std::memory_order_relaxed);
    return data_message{ptr, false};
  }

  /// Returns a topic equal to `str` that lives as long as this block, for
  /// envelopes of this block to share: consecutive calls with the same
  /// topic (the usual run of a batch) return the same one.
  /// @pre `close()` not called yet.
  const topic* intern(std::string_view str) {
    if (topics_.empty() || topics_.back().string() != str)
      topics_.emplace_back(std::string{str});
    return &topics_.back();
  }

  /// Gives up the creator's hold; the block deletes itself once all its
  /// envelopes are gone too.
  void close() noexcept { release_one(); }

  void reclaim(data_envelope*) noexcept override { release_one(); }

  [[nodiscard]] size_t size() const noexcept { return size_; }

  [[nodiscard]] size_t capacity() const noexcept { return capacity_; }

private:
  using slot =
      std::aligned_storage_t<sizeof(data_envelope), alignof(data_envelope)>;

  void release_one() noexcept {
    if (live_.fetch_sub(1, std::memory_order_acq_rel) == 1)
      delete this;
  }

  std::unique_ptr<slot[]> storage_;
  /// The topics of `intern` (a deque: references stay valid as it grows).
  std::deque<topic> topics_;
  size_t capacity_;
  size_t size_ = 0;
  /// Live envelopes, plus one for the creator until `close()`.
  std::atomic<size_t> live_{1};
};

/// Creates the messages of one batch in blocks of at most `block_size`
/// envelopes (blocks stay below glibc's 64 KiB consolidation threshold).
///
/// Usage: `batch_envelopes f{n};` then `f.make(...)` at most `n` times.
class batch_envelopes {
public:
  /// Messages per block at most.
  static constexpr size_t block_size = 256;

  /// Prepares for `num` messages.
  explicit batch_envelopes(size_t num) : remaining_(num) {}

  batch_envelopes(const batch_envelopes&) = delete;

  batch_envelopes& operator=(const batch_envelopes&) = delete;

  ~batch_envelopes() {
    if (block_)
      block_->close();
  }

  /// Returns a new message in the current block.
  template <class... Ts>
  data_message make(Ts&&... xs) {
    return next_block().emplace(std::forward<Ts>(xs)...);
  }

  /// Returns a new message of the `size` encoded bytes at `offset` of
  /// `bytes` on topic `str`, which it shares with the block's other
  /// messages on that topic: no allocation per message for the topic.
  data_message make_shared_topic(std::string_view str,
                                 const shared_bytes& bytes, uint32_t offset,
                                 uint32_t size) {
    auto& block = next_block();
    return block.emplace(block.intern(str), bytes, offset, size);
  }

private:
  /// Returns the block for the next message.
  envelope_block& next_block() {
    if (!block_ || block_->size() == block_->capacity()) {
      if (block_)
        block_->close();
      block_ = new envelope_block(
          std::min(std::max(remaining_, size_t{1}), block_size));
    }
    if (remaining_ > 0)
      --remaining_;
    return *block_;
  }

  size_t remaining_;
  envelope_block* block_ = nullptr;
};

} // namespace broker::core
