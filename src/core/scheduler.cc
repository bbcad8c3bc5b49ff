#include "core/scheduler.hh"

#include <caf/detail/simple_actor_clock.hpp>
#include <caf/execution_unit.hpp>
#include <caf/logger.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace broker::core {

namespace {

using caf::resumable;

/// Messages an actor handles per turn at most before other work (I/O
/// completions, other actors, timers) runs. CAF's default is unlimited: a
/// burst of publications would then keep the core busy until its mailbox
/// is empty, with no socket I/O or heartbeats meanwhile. Our messages carry
/// whole batches, so a turn of this many is still a lot of work.
constexpr size_t max_messages_per_turn = 64;

/// A thread-safe CAF clock that does not own a thread: whoever waits for
/// work also waits for `next_deadline()` and then calls `dispatch()`.
class lean_clock final : public caf::detail::simple_actor_clock {
public:
  using super = caf::detail::simple_actor_clock;

  /// `wakeup` is called (without locks held) when a new timer became the
  /// earliest one, so that a sleeping worker re-computes its deadline.
  explicit lean_clock(std::function<void()> wakeup)
      : wakeup_(std::move(wakeup)) {}

  /// The earliest deadline, or `time_point::max()` if nothing is scheduled.
  time_point next_deadline() const noexcept {
    return time_point{duration_type{next_.load(std::memory_order_acquire)}};
  }

  /// Ships every due event.
  void dispatch() {
    if (next_deadline() > now())
      return;
    std::lock_guard guard{mtx_};
    trigger_expired_timeouts();
    update_next();
  }

  void set_ordinary_timeout(time_point t, caf::abstract_actor* self,
                            caf::atom_value type, uint64_t id) override {
    locked([&] { super::set_ordinary_timeout(t, self, type, id); });
  }

  void set_multi_timeout(time_point t, caf::abstract_actor* self,
                         caf::atom_value type, uint64_t id) override {
    locked([&] { super::set_multi_timeout(t, self, type, id); });
  }

  void set_request_timeout(time_point t, caf::abstract_actor* self,
                           caf::message_id id) override {
    locked([&] { super::set_request_timeout(t, self, id); });
  }

  void cancel_ordinary_timeout(caf::abstract_actor* self,
                               caf::atom_value type) override {
    locked([&] { super::cancel_ordinary_timeout(self, type); });
  }

  void cancel_request_timeout(caf::abstract_actor* self,
                              caf::message_id id) override {
    locked([&] { super::cancel_request_timeout(self, id); });
  }

  void cancel_timeouts(caf::abstract_actor* self) override {
    locked([&] { super::cancel_timeouts(self); });
  }

  void schedule_message(time_point t, caf::strong_actor_ptr receiver,
                        caf::mailbox_element_ptr content) override {
    locked([&] {
      super::schedule_message(t, std::move(receiver), std::move(content));
    });
  }

  void schedule_message(time_point t, caf::group target,
                        caf::strong_actor_ptr sender,
                        caf::message content) override {
    locked([&] {
      super::schedule_message(t, std::move(target), std::move(sender),
                              std::move(content));
    });
  }

  void cancel_all() override {
    locked([&] { super::cancel_all(); });
  }

private:
  template <class F>
  void locked(F f) {
    bool earlier = false;
    {
      // Recursive: shipping an event may release the last reference to an
      // actor whose cleanup cancels its timeouts.
      std::lock_guard guard{mtx_};
      auto before = next_.load(std::memory_order_relaxed);
      f();
      update_next();
      earlier = next_.load(std::memory_order_relaxed) < before;
    }
    if (earlier)
      wakeup_();
  }

  /// Requires the lock.
  void update_next() {
    auto next =
        schedule().empty() ? time_point::max() : schedule().begin()->first;
    next_.store(next.time_since_epoch().count(), std::memory_order_release);
  }

  std::recursive_mutex mtx_;
  std::atomic<duration_type::rep> next_{
      time_point::max().time_since_epoch().count()};
  std::function<void()> wakeup_;
};

/// Runs actors on a fixed set of threads sharing one job queue.
class lean_coordinator final : public caf::scheduler::abstract_coordinator {
public:
  using super = caf::scheduler::abstract_coordinator;

  explicit lean_coordinator(caf::actor_system& sys)
      : super(sys), clock_([this] { wake_one(); }) {}

  /// Notifies under the lock, as wake_one() does: callers on other threads
  /// (the I/O thread sending to an actor) must be done with `cv_` once
  /// stop() took the lock after them, for ~lean_coordinator destroys it
  /// right after stop() without joining those threads.
  void enqueue(resumable* job) override {
    std::lock_guard guard{mtx_};
    jobs_.push_back(job);
    cv_.notify_one();
  }

  caf::actor_clock& clock() noexcept override { return clock_; }

protected:
  void start() override {
    auto num = std::max<size_t>(num_workers(), 1);
    for (size_t i = 0; i < num; ++i)
      workers_.emplace_back(std::make_unique<worker>(this));
    for (auto& w : workers_)
      w->thread = std::thread{[this, ptr = w.get()] { run(ptr); }};
  }

  void stop() override {
    {
      std::lock_guard guard{mtx_};
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_)
      if (w->thread.joinable())
        w->thread.join();
    clock_.cancel_all();
    std::deque<resumable*> rest;
    {
      std::lock_guard guard{mtx_};
      rest.swap(jobs_);
    }
    for (auto job : rest)
      cleanup_and_release(job);
  }

private:
  struct worker final : caf::execution_unit {
    explicit worker(lean_coordinator* parent)
        : execution_unit(&parent->system()), parent(parent) {}

    void exec_later(resumable* job) override { parent->enqueue(job); }

    lean_coordinator* parent;
    std::thread thread;
  };

  void wake_one() {
    std::lock_guard guard{mtx_};
    cv_.notify_one();
  }

  /// Takes the next job, or `nullptr` when a timer is due (or on stop).
  resumable* next_job(bool& stop) {
    std::unique_lock guard{mtx_};
    for (;;) {
      if (!jobs_.empty()) {
        auto job = jobs_.front();
        jobs_.pop_front();
        return job;
      }
      if (stopping_) {
        stop = true;
        return nullptr;
      }
      auto deadline = clock_.next_deadline();
      if (deadline <= clock_.now())
        return nullptr;
      if (deadline == caf::actor_clock::time_point::max())
        cv_.wait(guard);
      else
        cv_.wait_until(guard, deadline);
    }
  }

  void run(worker* self) {
    pthread_setname_np(pthread_self(), "broker.actor");
    system().thread_started();
    for (;;) {
      bool stop = false;
      auto job = next_job(stop);
      if (stop)
        break;
      clock_.dispatch();
      if (job == nullptr)
        continue;
      switch (job->resume(self,
                          std::min(max_throughput(), max_messages_per_turn))) {
      case resumable::resume_later:
        enqueue(job);
        break;
      case resumable::done:
      case resumable::awaiting_message:
        intrusive_ptr_release(job);
        break;
      case resumable::shutdown_execution_unit:
        break;
      }
    }
    system().thread_terminates();
  }

  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<resumable*> jobs_;
  bool stopping_ = false;
  lean_clock clock_;
  std::vector<std::unique_ptr<worker>> workers_;
};

/// Jobs one I/O handler of `io_coordinator` runs at most (64 actor turns of
/// up to `max_messages_per_turn` messages each) before it yields to the
/// I/O runtime's other handlers.
constexpr size_t max_jobs_per_burst = 64;

/// While an `io_coordinator` runs a burst on this thread: the coordinator
/// and the jobs its actors made ready meanwhile.
thread_local std::deque<resumable*>* local_jobs = nullptr;
thread_local const void* local_owner = nullptr;

/// Runs actors as handlers on the I/O thread(s) of a `net::io_runtime`;
/// timers use the runtime's alarm.
class io_coordinator final : public caf::scheduler::abstract_coordinator {
public:
  using super = caf::scheduler::abstract_coordinator;

  io_coordinator(caf::actor_system& sys, net::io_runtime& io)
      : super(sys), io_(io), unit_(this), clock_([this] { arm(); }),
        guard_(std::make_shared<guard>()) {}

  void enqueue(resumable* job) override {
    if (local_jobs && local_owner == this) {
      // Made ready by an actor running on this thread: runs in the same
      // handler, right after it (see `run_burst`).
      local_jobs->push_back(job);
      return;
    }
    posted_.fetch_add(1, std::memory_order_relaxed);
    io_.post([this, g = guard_, job] {
      std::lock_guard lock{g->mtx};
      if (g->alive)
        run_burst(job);
    });
  }

  caf::actor_clock& clock() noexcept override { return clock_; }

protected:
  void start() override {
    // Nothing to start: the I/O runtime's threads run everything.
  }

  void stop() override {
    // ~actor_system sends exit messages to CAF's internal actors right
    // before stopping us: run what is queued (and whatever that queues)
    // until a round adds nothing, so every actor gets cleaned up.
    for (;;) {
      auto before = posted_.load(std::memory_order_relaxed);
      std::promise<void> barrier;
      io_.post([&barrier] { barrier.set_value(); });
      barrier.get_future().wait();
      if (posted_.load(std::memory_order_relaxed) == before)
        break;
    }
    // Afterwards no queued handler may touch this object.
    {
      std::lock_guard lock{guard_->mtx};
      guard_->alive = false;
      clock_.cancel_all();
    }
    // CAF 0.17's spawn() pins the system's logger in a thread-local of the
    // spawning thread; ~actor_system waits for the logger to go. Our I/O
    // thread outlives the system, so it has to let go explicitly.
    std::promise<void> released;
    io_.post([&released] {
      caf::logger::set_current_actor_system(nullptr);
      released.set_value();
    });
    released.get_future().wait();
  }

private:
  /// Lets handlers still queued in the I/O runtime outlive this object.
  struct guard {
    std::mutex mtx;
    bool alive = true;
  };

  struct unit final : caf::execution_unit {
    explicit unit(io_coordinator* parent)
        : execution_unit(&parent->system()), parent(parent) {}

    void exec_later(resumable* job) override { parent->enqueue(job); }

    io_coordinator* parent;
  };

  /// Runs `first` and then, in the same I/O handler, the jobs that actors
  /// make ready meanwhile on this thread (in order, at most
  /// `max_jobs_per_burst`). One message hops core -> peering actor ->
  /// socket without a round through the I/O runtime's queue (and its
  /// reactor poll) per hop; what is left after the bound is posted, so
  /// sockets and timers still get their turn.
  void run_burst(resumable* first) {
    std::deque<resumable*> jobs;
    local_jobs = &jobs;
    local_owner = this;
    run(first);
    for (size_t n = 1; !jobs.empty() && n < max_jobs_per_burst; ++n) {
      auto job = jobs.front();
      jobs.pop_front();
      run(job);
    }
    local_jobs = nullptr;
    local_owner = nullptr;
    for (auto job : jobs)
      enqueue(job);
  }

  void run(resumable* job) {
    switch (job->resume(&unit_,
                        std::min(max_throughput(), max_messages_per_turn))) {
    case resumable::resume_later:
      enqueue(job);
      break;
    case resumable::done:
    case resumable::awaiting_message:
      intrusive_ptr_release(job);
      break;
    case resumable::shutdown_execution_unit:
      break;
    }
  }

  /// Arms the runtime's alarm for the clock's next deadline.
  void arm() {
    auto deadline = clock_.next_deadline();
    if (deadline == caf::actor_clock::time_point::max())
      return;
    io_.set_alarm(deadline, [this, g = guard_] {
      std::lock_guard lock{g->mtx};
      if (!g->alive)
        return;
      clock_.dispatch();
      arm();
    });
  }

  net::io_runtime& io_;
  std::atomic<size_t> posted_{0};
  unit unit_;
  lean_clock clock_;
  std::shared_ptr<guard> guard_;
};

} // namespace

void use_lean_scheduler(caf::actor_system_config& cfg, size_t threads,
                        net::io_runtime* io) {
  if (threads == 0) {
    cfg.module_factories.push_back(
        [io](caf::actor_system& sys) -> caf::actor_system::module* {
          return new io_coordinator(sys, *io);
        });
    return;
  }
  cfg.set("scheduler.max-threads", threads);
  cfg.module_factories.push_back(
      [](caf::actor_system& sys) -> caf::actor_system::module* {
        return new lean_coordinator(sys);
      });
}

} // namespace broker::core
