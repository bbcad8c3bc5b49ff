#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace broker::net {

/// Owns the I/O thread(s) that run every socket operation of one endpoint.
/// Sockets are only touched on these threads; the rest of the library talks
/// to them through thread-safe handles (`stream`, `listener`).
///
/// Thread safety: `stop` may be called from any thread except an I/O thread.
class io_runtime {
public:
  /// Opaque implementation (holds the Asio `io_context`); see net/asio.hh.
  struct impl;

  /// Starts `num_threads` I/O threads (at least one).
  explicit io_runtime(size_t num_threads = 1);

  io_runtime(const io_runtime&) = delete;

  io_runtime& operator=(const io_runtime&) = delete;

  /// Calls `stop()`.
  ~io_runtime();

  /// Stops the event loop and joins the threads. Pending operations are
  /// abandoned; their handlers do not run. Idempotent. Blocks until the
  /// threads have exited.
  void stop();

  /// Runs `fn` on an I/O thread soon. Returns immediately. Thread-safe.
  void post(std::function<void()> fn);

  /// Arms the runtime's single alarm: `fn` runs on an I/O thread at
  /// `deadline` (at once if it passed), replacing any earlier arming.
  /// Returns immediately. Thread-safe.
  void set_alarm(std::chrono::steady_clock::time_point deadline,
                 std::function<void()> fn);

  /// Returns whether the calling thread is one of this runtime's.
  [[nodiscard]] bool on_io_thread() const noexcept;

  /// Returns the implementation (for net/*.cc only).
  [[nodiscard]] impl& native() noexcept { return *impl_; }

private:
  std::unique_ptr<impl> impl_;
};

} // namespace broker::net
