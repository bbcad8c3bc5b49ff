#pragma once

#include "broker/data.hh"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

namespace broker::core {

/// The bounded queue between a `publisher` (the producer, a user thread) and
/// the core actor (the consumer). The core pulls only as much as the target
/// peers' buffers can take, so a full queue blocks the producer: that is the
/// back-pressure a publisher sees. Its file descriptor is readable while the
/// queue has free capacity.
///
/// Thread safety: all member functions are thread-safe.
class publisher_queue {
public:
  /// `notify` is called (without locks held, on the producer's thread) when
  /// the queue goes from "the core knows nothing is queued" to non-empty.
  /// @throws std::system_error if no eventfd can be created.
  publisher_queue(size_t capacity, std::function<void()> notify);

  publisher_queue(const publisher_queue&) = delete;

  publisher_queue& operator=(const publisher_queue&) = delete;

  ~publisher_queue();

  /// Moves all of `xs` into the queue, blocking while it is full.
  /// @returns `false` if the queue was closed (remaining items are dropped).
  bool push(std::vector<data>& xs);

  /// Takes up to `n` items. While items remain queued, the core stays
  /// responsible for pulling again (no new notification arrives).
  /// @returns the number of items appended to `out`.
  size_t pull(size_t n, std::vector<data>& out);

  /// Wakes blocked producers and makes further pushes fail. Idempotent.
  void close();

  [[nodiscard]] size_t size() const;

  [[nodiscard]] size_t capacity() const noexcept { return capacity_; }

  /// Readable while the queue has free capacity (or is closed).
  [[nodiscard]] int fd() const noexcept { return fd_; }

private:
  /// Keeps the eventfd in sync with "has free capacity". Requires the lock.
  void update_fd_locked();

  const size_t capacity_;
  std::function<void()> notify_;
  int fd_ = -1;
  bool fd_signaled_ = false;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<data> items_;
  /// The core was told about queued items and has not emptied the queue.
  bool core_notified_ = false;
  bool closed_ = false;
};

} // namespace broker::core
