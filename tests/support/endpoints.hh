#pragma once

// Helpers for tests with live endpoints on loopback: configurations with
// short timers, a recorder of status/error events, bounded waits.

#include "broker/configuration.hh"
#include "broker/endpoint.hh"
#include "broker/status_subscriber.hh"

#include <chrono>
#include <initializer_list>
#include <string>
#include <thread>
#include <vector>

namespace broker::test {

using namespace std::chrono_literals;

/// Upper bound of every wait in the integration tests: generous for a slow,
/// noisy 2-core CI machine, and still bounded so a bug fails instead of
/// hanging.
inline constexpr auto wait_bound = std::chrono::seconds{15};

/// A configuration for tests: plaintext, quick heartbeats, short deadlines.
configuration test_config();

/// Returns the event's code as text: `peer_added`, ... for statuses and
/// `error:<code>` for errors (`none` for none).
std::string code_of(const status_subscriber::value_type& x);

/// Returns the event's context (or a nil-ID info if it has none).
endpoint_info context_of(const status_subscriber::value_type& x);

/// Returns the event's message text (empty if none).
std::string message_of(const status_subscriber::value_type& x);

/// Records the status and error events of one endpoint.
class event_log {
public:
  explicit event_log(endpoint& ep);

  /// Waits up to `timeout` for the next event; `none` on timeout.
  status_subscriber::value_type next(timespan timeout = wait_bound);

  /// Waits for the next events and returns their codes (stops early on
  /// timeout, so the caller's comparison fails with a readable diff).
  std::vector<std::string> codes(size_t num, timespan timeout = wait_bound);

  /// Waits for the next `codes.size()` events and returns them.
  std::vector<status_subscriber::value_type>
  events(size_t num, timespan timeout = wait_bound);

  /// Waits until an event with `code` arrives; returns it (or `none`).
  /// Events before it are kept in `skipped()`.
  status_subscriber::value_type wait_for(const std::string& code,
                                         timespan timeout = wait_bound);

  /// Returns the codes of events arriving within `period` (then nothing
  /// else is pending).
  std::vector<std::string> drain(timespan period);

  [[nodiscard]] const std::vector<std::string>& skipped() const {
    return skipped_;
  }

private:
  status_subscriber sub_;
  std::vector<std::string> skipped_;
};

/// Polls `pred` (every few milliseconds) until it holds or `timeout` passed.
template <class Predicate>
bool wait_until(Predicate pred, timespan timeout = wait_bound) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds{1};
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds{50});
  }
  return true;
}

/// Returns the number of established peerings.
size_t num_peered(const endpoint& ep);

/// Waits (bounded) until a direct peer of `ep` subscribed to (a prefix of)
/// `t`; returns whether one did.
bool peer_wants(const endpoint& ep, const topic& t);

/// Returns the peer_info entries of `ep` whose network info matches
/// `address:port` (any status).
std::vector<peer_info> peers_at(const endpoint& ep, const std::string& address,
                                uint16_t port);

/// Returns a TCP port on 127.0.0.1 that nothing listens on right now (bound
/// to port 0 and closed again).
uint16_t unused_port();

} // namespace broker::test
