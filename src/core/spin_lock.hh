#pragma once

#include <mutex>

namespace broker::core {

/// How often `lock_spinning` tries the mutex before it sleeps. With a pause
/// of 30 to 150 cycles per try, that is about 1 to 4 µs: longer than the
/// critical sections it is used for (a few hundred ns), shorter than a
/// futex sleep and wake-up on this kind of machine (about 5 to 15 µs).
constexpr int lock_spin_tries = 64;

/// Tells the CPU that this thread is busy-waiting (cheaper for the sibling
/// hyper-thread, and no memory-order mis-speculation on leaving the loop).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/// Locks `mtx`, which guards a short critical section shared by a producer
/// and a consumer thread. Blocks until the lock is held. Tries it
/// `lock_spin_tries` times without sleeping first: the holder is usually
/// running on the other core and done within a microsecond, whereas
/// sleeping in the kernel costs a futex wait here and a futex wake in the
/// holder's unlock. Falls back to `mtx.lock()` when the holder takes longer
/// (preempted, or waiting itself).
[[nodiscard]] inline std::unique_lock<std::mutex>
lock_spinning(std::mutex& mtx) {
  for (int i = 0; i < lock_spin_tries; ++i) {
    if (mtx.try_lock())
      return std::unique_lock<std::mutex>{mtx, std::adopt_lock};
    cpu_relax();
  }
  return std::unique_lock<std::mutex>{mtx};
}

} // namespace broker::core
