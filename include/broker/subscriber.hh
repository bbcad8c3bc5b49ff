#pragma once

#include "broker/filter_type.hh"
#include "broker/message.hh"
#include "broker/time.hh"

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

namespace broker {

namespace detail {

/// Shared state between a subscriber and its endpoint (opaque).
struct subscriber_state;

} // namespace detail

/// Receives the data messages of an endpoint whose topics match its filter
/// (string-prefix match). Created by `endpoint::make_subscriber`. The queue
/// holds at most `queue_size` messages; when it is full, the endpoint holds
/// further messages back and stops reading from its peers (back-pressure,
/// nothing is lost).
///
/// Thread safety: one consumer thread at a time; `fd()` may be polled from
/// any thread. Outliving its endpoint is safe (the queue is closed then).
class subscriber {
public:
  /// @private Used by `endpoint`.
  explicit subscriber(std::shared_ptr<detail::subscriber_state> state);

  /// Takes over the other subscriber's subscription; the source is left
  /// without one (only assignment and destruction are valid on it).
  subscriber(subscriber&&) noexcept;

  /// Unsubscribes (see `reset`), then takes over the other subscriber's
  /// subscription.
  subscriber& operator=(subscriber&&) noexcept;

  /// Not copyable.
  subscriber(const subscriber&) = delete;

  /// Not copyable.
  subscriber& operator=(const subscriber&) = delete;

  /// Unsubscribes (see `reset`).
  ~subscriber();

  /// Blocks until a message arrives.
  /// @throws std::runtime_error("subscriber queue closed") once the queue is
  ///         closed and empty (the endpoint shut down, or after `reset`).
  data_message get();

  /// Blocks until `num` messages arrived (fewer only if the queue closes).
  std::vector<data_message> get(size_t num);

  /// Waits at most `timeout` for a message.
  /// @returns the message, or `std::nullopt` on timeout or closed queue.
  template <class Rep, class Period>
  std::optional<data_message> get(std::chrono::duration<Rep, Period> timeout) {
    return get_for(std::chrono::duration_cast<timespan>(timeout));
  }

  /// Waits at most `timeout` for `num` messages; returns what arrived.
  template <class Rep, class Period>
  std::vector<data_message> get(size_t num,
                                std::chrono::duration<Rep, Period> timeout) {
    return get_for(num, std::chrono::duration_cast<timespan>(timeout));
  }

  /// Returns all messages available right now (never blocks).
  std::vector<data_message> poll();

  /// Returns the number of messages available right now.
  [[nodiscard]] size_t available() const;

  /// Returns a file descriptor that is readable while messages are queued
  /// or the queue is closed. Owned by the subscriber; do not read from or
  /// close it.
  [[nodiscard]] int fd() const;

  /// Adds `x` to the filter (no-op if it is there already). With `block`,
  /// returns once the endpoint applied the change, at most after 5 s (so
  /// matching messages arriving afterwards are delivered); otherwise returns
  /// immediately.
  void add_topic(topic x, bool block = false);

  /// Removes `x` from the filter (exact match). The endpoint keeps
  /// advertising it to peers (upstream semantics); only local delivery
  /// stops. `block` as for `add_topic`.
  void remove_topic(topic x, bool block = false);

  /// Returns the current filter.
  [[nodiscard]] filter_type filter() const;

  /// Unsubscribes and closes the queue; messages already queued can still be
  /// taken with `poll`. Idempotent.
  void reset();

private:
  friend class status_subscriber;

  std::optional<data_message> get_for(timespan timeout);

  std::vector<data_message> get_for(size_t num, timespan timeout);

  std::shared_ptr<detail::subscriber_state> state_;
};

} // namespace broker
