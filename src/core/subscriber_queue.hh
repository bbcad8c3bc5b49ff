#pragma once

#include "broker/message.hh"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

namespace broker::core {

/// The bounded queue between the core actor (the only producer) and one
/// `subscriber` or `status_subscriber` (the consumer). Its file descriptor
/// is readable exactly while messages are queued, for poll/select loops.
///
/// Thread safety: all member functions are thread-safe.
class subscriber_queue {
public:
  /// What `push` does when the queue is full.
  enum class full_policy : uint8_t {
    /// Take only what fits; the producer keeps the rest and waits for
    /// `on_space` (data subscribers: back-pressure, nothing lost).
    refuse,
    /// Drop the oldest queued messages to make room (status subscribers:
    /// events must never stall the core; drops are counted).
    drop_oldest,
  };

  /// @throws std::system_error if no eventfd can be created.
  subscriber_queue(size_t capacity, full_policy policy);

  subscriber_queue(const subscriber_queue&) = delete;

  subscriber_queue& operator=(const subscriber_queue&) = delete;

  ~subscriber_queue();

  // -- producer side (core actor) ---------------------------------------------

  /// Moves messages from `first` to `last` into the queue as far as the
  /// policy allows (the range keeps the ones not taken).
  /// @returns the number of messages taken from the range (all of them with
  ///          `drop_oldest`).
  size_t push(data_message* first, data_message* last);

  /// Registers `fn` to be called (on the consumer's thread, without the lock
  /// held) the next time a consumer frees space after `push` refused
  /// messages. Replaces a previous registration.
  void on_space(std::function<void()> fn);

  /// Marks the queue closed: consumers drain what is left, then see the end.
  /// Idempotent.
  void close();

  // -- consumer side ----------------------------------------------------------

  /// Blocks until a message is available or the queue is closed and empty
  /// (then returns `std::nullopt`).
  std::optional<data_message> pop();

  /// Like `pop`, but gives up at `deadline`.
  std::optional<data_message>
  pop_until(std::chrono::steady_clock::time_point deadline);

  /// Blocks until `n` messages were taken, the deadline passed or the queue
  /// closed; appends what it got to `out`.
  void pop_n(size_t n, std::chrono::steady_clock::time_point deadline,
             std::vector<data_message>& out);

  /// Takes everything that is queued right now (never blocks).
  std::vector<data_message> pop_all();

  [[nodiscard]] size_t size() const;

  [[nodiscard]] size_t capacity() const noexcept { return capacity_; }

  /// Messages dropped by `drop_oldest`.
  [[nodiscard]] size_t dropped() const;

  [[nodiscard]] bool closed() const;

  /// A file descriptor that is readable while messages are queued (or the
  /// queue is closed). Owned by the queue. Kept in sync only once it was
  /// asked for (the first call), so queues nobody polls cost no system
  /// calls.
  [[nodiscard]] int fd() const;

private:
  /// Keeps the eventfd in sync with emptiness (once `fd()` was called).
  /// Requires the lock.
  void update_fd_locked();

  /// Waits until a message is queued, the queue closed or `deadline`
  /// passed. @returns false on timeout. Requires the lock.
  bool wait_locked(std::unique_lock<std::mutex>& guard,
                   std::chrono::steady_clock::time_point deadline);

  /// Called after taking messages: fires `on_space` if the producer waits.
  void notify_space(std::unique_lock<std::mutex>& guard);

  const size_t capacity_;
  const full_policy policy_;
  int fd_ = -1;
  mutable std::atomic<bool> fd_wanted_{false};
  bool fd_signaled_ = false;
  /// Consumers blocked in `wait_locked`.
  size_t waiting_ = 0;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<data_message> items_;
  std::function<void()> on_space_;
  bool producer_waiting_ = false;
  bool closed_ = false;
  size_t dropped_ = 0;
};

} // namespace broker::core
