#pragma once

#include <atomic>
#include <cstdint>

namespace broker::core {

/// The counters behind `peer_metrics` of one connection: written by its
/// peering (or WebSocket client) actor, read by the core when asked for
/// metrics. Relaxed atomics: each counter is exact, a snapshot of several is
/// not atomic as a whole.
///
/// Thread safety: all members are atomics.
struct peer_counters {
  std::atomic<uint64_t> messages_in{0};
  std::atomic<uint64_t> messages_out{0};
  std::atomic<uint64_t> bytes_in{0};
  std::atomic<uint64_t> bytes_out{0};
  std::atomic<uint64_t> dropped{0};
  std::atomic<uint64_t> malformed{0};
  std::atomic<uint64_t> queue_depth{0};
  /// Latest heartbeat round trip in nanoseconds; negative while unknown.
  std::atomic<int64_t> round_trip_ns{-1};

  /// Adds `n` to `counter`.
  static void add(std::atomic<uint64_t>& counter, uint64_t n) noexcept {
    counter.fetch_add(n, std::memory_order_relaxed);
  }

  static void set(std::atomic<uint64_t>& counter, uint64_t n) noexcept {
    counter.store(n, std::memory_order_relaxed);
  }

  static uint64_t get(const std::atomic<uint64_t>& counter) noexcept {
    return counter.load(std::memory_order_relaxed);
  }
};

} // namespace broker::core
