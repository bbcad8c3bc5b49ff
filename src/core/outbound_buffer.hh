#pragma once

#include "core/frame_run.hh"
#include "core/node_message.hh"
#include "core/settings.hh"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <variant>

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

  /// An entry: one message, or a run of frames a publisher encoded whole.
  using item = std::variant<node_message, frame_run>;

  /// Appends `msgs` as the policy allows; `freed` grows by the messages the
  /// drop policies discarded (buffer slots to credit back).
  /// @returns `false` if the policy is `disconnect` and the buffer would
  ///          overflow: nothing more is taken and the owner must end the
  ///          connection (reason: caf::sec::backpressure_overflow).
  [[nodiscard]] bool push(node_message_batch& msgs, size_t& freed) {
    for (auto& msg : msgs) {
      if (!make_room(1, freed))
        return false;
      if (size_ < capacity_) {
        q_.emplace_back(std::move(msg));
        ++size_;
      }
    }
    return true;
  }

  /// Appends the frames of `run` as the policy allows, with the same
  /// accounting and result as the other overload. A full buffer under
  /// `drop_newest` keeps the run's first frames that fit; under
  /// `drop_oldest`, the run's last frames and as much of the older
  /// entries as room remains for.
  [[nodiscard]] bool push(frame_run run, size_t& freed) {
    if (!make_room(run.size(), freed))
      return false;
    auto room = capacity_ - size_;
    if (run.size() > room) {
      // make_room counted these drops: under drop_oldest the run alone
      // outgrows the buffer, under drop_newest the rest did not fit.
      if (policy_ == overflow_policy::drop_oldest)
        run.drop_front(run.size() - room);
      else
        run.keep_front(room);
    }
    if (run.size() > 0) {
      size_ += run.size();
      q_.emplace_back(std::move(run));
    }
    return true;
  }

  [[nodiscard]] bool empty() const noexcept { return q_.empty(); }

  /// Returns the number of queued messages (a run counts its frames).
  [[nodiscard]] size_t size() const noexcept { return size_; }

  [[nodiscard]] item& front() { return q_.front(); }

  /// Removes the first `n` messages of the front entry: the entry itself
  /// once none are left. @pre `n` is 1 for a message, at most the size of
  /// a run
  void pop_front(size_t n = 1) {
    auto& x = q_.front();
    if (auto run = std::get_if<frame_run>(&x); run && run->size() > n) {
      run->drop_front(n);
    } else {
      n = entry_size(x);
      q_.pop_front();
    }
    size_ -= n;
  }

  /// Discards everything; returns how many messages that were.
  size_t clear() {
    auto n = size_;
    q_.clear();
    size_ = 0;
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
  [[nodiscard]] static size_t entry_size(const item& x) noexcept {
    auto run = std::get_if<frame_run>(&x);
    return run ? run->size() : 1;
  }

  /// Applies the policy before `n` more messages arrive. Under
  /// `drop_newest`, the arrivals that will not fit count as dropped (the
  /// caller keeps only what fits); under `drop_oldest`, old entries go
  /// first, then the arrivals' own oldest.
  /// @returns `false` for `disconnect` when `n` do not fit.
  bool make_room(size_t n, size_t& freed) {
    auto room = capacity_ - size_;
    if (n <= room)
      return true;
    auto excess = n - room;
    switch (policy_) {
    case overflow_policy::disconnect:
      return false;
    case overflow_policy::drop_newest:
      break;
    case overflow_policy::drop_oldest:
      for (auto k = std::min(excess, size_); k > 0;) {
        auto& x = q_.front();
        auto m = std::min(k, entry_size(x));
        pop_front(m);
        k -= m;
      }
      break;
    }
    dropped_ += excess;
    freed += excess;
    return true;
  }

  std::deque<item> q_;
  /// Messages in `q_` (runs count their frames).
  size_t size_ = 0;
  size_t capacity_;
  overflow_policy policy_;
  uint64_t dropped_ = 0;
  clock_type::time_point last_progress_ = clock_type::now();
  bool stalled_ = false;
};

} // namespace broker::core
