#pragma once

#include "broker/error.hh"
#include "broker/none.hh"
#include "broker/status.hh"
#include "broker/subscriber.hh"

#include <chrono>
#include <cstddef>
#include <optional>
#include <variant>
#include <vector>

namespace broker {

/// Receives an endpoint's error events and, if requested, its status events
/// as typed values. They are also ordinary data messages on the topics
/// `<$>/local/data/errors` and `<$>/local/data/statuses` (spec:
/// upstream-broker.md §2.3). The queue never stalls the endpoint: when it is
/// full, the oldest event is dropped (`dropped()` counts them).
///
/// Thread safety: as for `subscriber`.
class status_subscriber {
public:
  /// An event, or `none` when a timed `get` expired.
  using value_type = std::variant<none, error, status>;

  /// @private Used by `endpoint`.
  explicit status_subscriber(subscriber impl);

  /// Takes over the other subscriber's subscription.
  status_subscriber(status_subscriber&&) noexcept = default;

  /// Unsubscribes (see `reset`), then takes over the other subscriber's
  /// subscription.
  status_subscriber& operator=(status_subscriber&&) noexcept = default;

  /// Blocks until an event arrives.
  /// @throws std::runtime_error("subscriber queue closed") once the queue is
  ///         closed and empty.
  value_type get();

  /// Waits at most `timeout` for an event; returns `none` on timeout or once
  /// the queue is closed and empty.
  template <class Rep, class Period>
  value_type get(std::chrono::duration<Rep, Period> timeout) {
    return get_for(std::chrono::duration_cast<timespan>(timeout));
  }

  /// Waits at most `timeout` for `num` events; returns what arrived.
  template <class Rep, class Period>
  std::vector<value_type> get(size_t num,
                              std::chrono::duration<Rep, Period> timeout) {
    return convert_all(
        impl_.get(num, std::chrono::duration_cast<timespan>(timeout)));
  }

  /// Returns all events available right now (never blocks).
  std::vector<value_type> poll();

  /// Returns the number of events queued right now.
  [[nodiscard]] size_t available() const { return impl_.available(); }

  /// Returns a file descriptor that is readable while events are queued or
  /// the queue is closed. Owned by the subscriber; do not read from or close
  /// it.
  [[nodiscard]] int fd() const { return impl_.fd(); }

  /// Returns how many events were dropped because the queue was full.
  [[nodiscard]] size_t dropped() const;

  /// Unsubscribes and closes the queue. Idempotent.
  void reset() { impl_.reset(); }

  /// Converts a message from the errors or statuses topic.
  /// @returns the error or status, or `none` if `msg` holds neither.
  static value_type convert_message(const data_message& msg);

private:
  value_type get_for(timespan timeout);

  static std::vector<value_type>
  convert_all(const std::vector<data_message>& msgs);

  subscriber impl_;
};

} // namespace broker
