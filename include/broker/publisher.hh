#pragma once

#include "broker/data.hh"
#include "broker/topic.hh"

#include <cstddef>
#include <memory>
#include <vector>

namespace broker {

namespace detail {

/// Shared state between a publisher and its endpoint (opaque).
struct publisher_state;

} // namespace detail

/// Publishes on one topic with flow control: the endpoint takes messages
/// from the publisher's bounded queue only while the outbound buffers of the
/// peers that subscribe to the topic have room, so a publisher that outruns
/// the network is slowed down instead of losing messages or getting peers
/// disconnected (DESIGN.md §2). A peer whose buffer stays full longer than
/// `broker.peer-stall-timeout` stops holding publishers back and meets its
/// overflow policy instead. Messages do not reach local subscribers
/// (upstream semantics). Created by `endpoint::make_publisher`.
///
/// Thread safety: one producer thread at a time (`publish` is not
/// reentrant across threads); `fd()` may be polled from
/// any thread. Outliving its endpoint is safe (publishing then drops).
class publisher {
public:
  /// @private Used by `endpoint`.
  explicit publisher(std::shared_ptr<detail::publisher_state> state);

  /// Takes over the other publisher's queue; the source is left without one
  /// (only assignment and destruction are valid on it).
  publisher(publisher&&) noexcept;

  /// Detaches from the current queue (see `reset`), then takes over the
  /// other publisher's.
  publisher& operator=(publisher&&) noexcept;

  /// Not copyable.
  publisher(const publisher&) = delete;

  /// Not copyable.
  publisher& operator=(const publisher&) = delete;

  /// Hands what is still queued to the endpoint, then detaches.
  ~publisher();

  /// Returns how many messages can be published right now without blocking
  /// (= `free_capacity()`).
  [[nodiscard]] size_t demand() const;

  /// Returns how many messages wait in the queue.
  [[nodiscard]] size_t buffered() const;

  /// Returns the queue's capacity.
  [[nodiscard]] size_t capacity() const;

  /// Returns `capacity() - buffered()`.
  [[nodiscard]] size_t free_capacity() const;

  /// Returns a file descriptor that is readable while `free_capacity() > 0`
  /// or the queue is closed.
  /// Owned by the publisher; do not read from or close it.
  [[nodiscard]] int fd() const;

  /// Returns the topic.
  [[nodiscard]] const topic& get_topic() const;

  /// Publishes `x`. Blocks while the queue is full, until half of it is
  /// free again. Drops `x` once the endpoint has shut down.
  void publish(data x);

  /// Publishes all of `xs` in order. Blocks while the queue is full, as
  /// `publish(data)` does.
  void publish(std::vector<data> xs);

  /// Detaches from the endpoint; queued messages are still sent. Idempotent.
  void reset();

private:
  std::shared_ptr<detail::publisher_state> state_;
};

} // namespace broker
