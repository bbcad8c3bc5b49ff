#pragma once

#include "broker/data.hh"
#include "broker/endpoint_id.hh"
#include "broker/message.hh"
#include "broker/topic.hh"
#include "core/buffer_pool.hh"
#include "core/frame_run.hh"

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

namespace broker::core {

/// The bounded queue between a `publisher` (the producer, a user thread) and
/// the core actor (the consumer). Values are encoded on the producer's
/// thread as they are pushed, each into a whole data frame (one publisher
/// has one topic, so every frame has the same header): the core and the
/// peerings handle only bytes, a batch goes to every peer as it is, and the
/// producer's values are freed where they were allocated. The core
/// pulls only as much as the target peers' buffers can take, so a full queue
/// blocks the producer: that is the back-pressure a publisher sees. Its file
/// descriptor is readable while the queue has free capacity.
///
/// Thread safety: all member functions are thread-safe.
class publisher_queue {
public:
  /// Frames carry `sender` (our endpoint), `ttl` and `dst` in their
  /// headers and no receiver (a broadcast). `notify` is called (without
  /// locks held, on the producer's thread) when the queue goes from "the
  /// core knows nothing is queued" to non-empty.
  /// @pre `dst` fits the wire (`topic::max_size`)
  /// @throws std::system_error if no eventfd can be created.
  publisher_queue(size_t capacity, const endpoint_id& sender, uint16_t ttl,
                  const topic& dst, std::function<void()> notify);

  publisher_queue(const publisher_queue&) = delete;

  publisher_queue& operator=(const publisher_queue&) = delete;

  ~publisher_queue();

  /// Encodes the values in [first, last) into the queue. Blocks while it is
  /// full, until half of its capacity is free again.
  /// @returns `false` if the queue was closed (remaining items are dropped).
  bool push(const data* first, const data* last);

  /// Takes up to `n` messages. A non-empty result obliges the core to pull
  /// again later (the producer does not notify meanwhile, so a busy
  /// producer costs no wake-ups); an empty result ends that obligation.
  framed_batch pull(size_t n);

  /// Wakes blocked producers and makes further pushes fail. Idempotent.
  void close();

  [[nodiscard]] size_t size() const;

  [[nodiscard]] size_t capacity() const noexcept { return capacity_; }

  /// Readable while the queue has free capacity (or is closed). Kept in
  /// sync only once it was asked for (the first call).
  [[nodiscard]] int fd() const;

private:
  /// Keeps the eventfd in sync with "has free capacity". Requires the lock.
  void update_fd_locked();

  const size_t capacity_;
  std::function<void()> notify_;
  int fd_ = -1;
  mutable std::atomic<bool> fd_wanted_{false};
  bool fd_signaled_ = false;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  /// What precedes the value in each frame: the length prefix (patched per
  /// frame), the envelope header and the topic.
  std::vector<uint8_t> header_;
  /// Encoding scratch space of the (single) producer thread; never touched
  /// by the consumer.
  std::vector<uint8_t> scratch_;
  std::vector<uint32_t> scratch_sizes_;

  /// Recycles batch buffers once the core is done with them.
  std::shared_ptr<buffer_pool> pool_ = std::make_shared<buffer_pool>();

  /// A producer blocked on a full queue resumes at this fill level.
  [[nodiscard]] size_t resume_level() const noexcept { return capacity_ / 2; }

  /// Producers blocked in `push`. Requires the lock.
  size_t waiting_producers_ = 0;

  /// Queued items: `sizes_.size() - head_`.
  [[nodiscard]] size_t queued_locked() const noexcept {
    return sizes_.size() - head_;
  }

  /// Frames back to back, and the size of each. The first `head_`
  /// entries (`head_bytes_` bytes) were pulled already: partial pulls
  /// advance the head instead of moving the rest to the front, which is
  /// done only once the pulled part is the larger one (amortised O(1) per
  /// message).
  std::vector<uint8_t> bytes_;
  std::vector<uint32_t> sizes_;
  size_t head_ = 0;
  size_t head_bytes_ = 0;
  /// The core was told about queued items and has not emptied the queue.
  bool core_notified_ = false;
  bool closed_ = false;
};

} // namespace broker::core
