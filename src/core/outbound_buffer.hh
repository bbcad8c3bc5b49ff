#pragma once

#include "core/node_message.hh"
#include "core/settings.hh"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>

namespace broker::core {

/// The outbound side shared by peerings and WebSocket clients: a bounded
/// buffer of messages with an overflow policy (spec: upstream-broker.md
/// §2.5), and the stall clock of DESIGN.md §2 (data waits, the transport
/// makes no progress).
///
/// Thread safety: owned by one actor.
class outbound_buffer {
public:
  using clock_type = std::chrono::steady_clock;

  outbound_buffer(size_t capacity, overflow_policy policy)
      : capacity_(capacity == 0 ? 1 : capacity), policy_(policy) {}

  /// Appends `msgs` as the policy allows; `freed` grows by the messages the
  /// drop policies discarded (buffer slots to credit back).
  /// @returns `false` if the policy is `disconnect` and the buffer would
  ///          overflow: nothing more is taken and the owner must end the
  ///          connection (reason: caf::sec::backpressure_overflow).
  [[nodiscard]] bool push(node_message_batch& msgs, size_t& freed) {
    for (auto& msg : msgs) {
      if (q_.size() >= capacity_) {
        switch (policy_) {
        case overflow_policy::disconnect:
          return false;
        case overflow_policy::drop_newest:
          ++dropped_;
          ++freed;
          continue;
        case overflow_policy::drop_oldest:
          q_.pop_front();
          ++dropped_;
          ++freed;
          break;
        }
      }
      q_.push_back(std::move(msg));
    }
    return true;
  }

  [[nodiscard]] bool empty() const noexcept { return q_.empty(); }

  [[nodiscard]] size_t size() const noexcept { return q_.size(); }

  [[nodiscard]] node_message& front() { return q_.front(); }

  void pop_front() { q_.pop_front(); }

  /// Discards everything; returns how many messages that were.
  size_t clear() {
    auto n = q_.size();
    q_.clear();
    return n;
  }

  /// Messages discarded by the drop policies so far.
  [[nodiscard]] uint64_t dropped() const noexcept { return dropped_; }

  // -- stall clock ------------------------------------------------------------

  /// Call before handing messages to the transport: the stall clock starts
  /// when data becomes pending after an idle time.
  void start_clock_if_idle(bool transport_busy) {
    if (!transport_busy && q_.empty())
      last_progress_ = clock_type::now();
  }

  /// The transport wrote something.
  /// @returns whether this ended a stall.
  bool on_progress() {
    last_progress_ = clock_type::now();
    auto was = stalled_;
    stalled_ = false;
    return was;
  }

  /// @returns whether the buffer just became stalled: data waits (here or
  ///          in the transport) and nothing moved for `timeout`.
  bool check_stall(bool transport_busy, timespan timeout) {
    if (stalled_ || (!transport_busy && q_.empty()) ||
        clock_type::now() - last_progress_ < timeout)
      return false;
    stalled_ = true;
    return true;
  }

  [[nodiscard]] bool stalled() const noexcept { return stalled_; }

private:
  std::deque<node_message> q_;
  size_t capacity_;
  overflow_policy policy_;
  uint64_t dropped_ = 0;
  clock_type::time_point last_progress_ = clock_type::now();
  bool stalled_ = false;
};

} // namespace broker::core
