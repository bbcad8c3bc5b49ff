#include "core/subscriber_queue.hh"

#include "core/spin_lock.hh"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <system_error>

namespace broker::core {

subscriber_queue::subscriber_queue(size_t capacity, full_policy policy)
    : capacity_(capacity == 0 ? 1 : capacity), policy_(policy) {
  fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd_ < 0)
    throw std::system_error(errno, std::generic_category(),
                            "cannot create the subscriber's eventfd");
}

subscriber_queue::~subscriber_queue() {
  ::close(fd_);
}

int subscriber_queue::fd() const {
  if (!fd_wanted_.load(std::memory_order_acquire)) {
    // First use: from now on the descriptor follows the queue's state.
    std::unique_lock guard{mtx_};
    fd_wanted_.store(true, std::memory_order_release);
    const_cast<subscriber_queue*>(this)->update_fd_locked();
  }
  return fd_;
}

void subscriber_queue::update_fd_locked() {
  // Nobody asked for the descriptor: keeping it in sync would cost two
  // system calls per batch for nothing.
  if (!fd_wanted_.load(std::memory_order_relaxed))
    return;
  bool want = !items_.empty() || closed_;
  if (want == fd_signaled_)
    return;
  if (want) {
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(fd_, &one, sizeof(one));
  } else {
    uint64_t value = 0;
    [[maybe_unused]] auto n = ::read(fd_, &value, sizeof(value));
  }
  fd_signaled_ = want;
}

size_t subscriber_queue::push(data_message* first, data_message* last) {
  auto guard = lock_spinning(mtx_);
  if (closed_)
    return static_cast<size_t>(last - first);
  auto was_empty = items_.empty();
  auto total = static_cast<size_t>(last - first);
  size_t taken = 0;
  if (policy_ == full_policy::refuse) {
    auto room = capacity_ - std::min(capacity_, items_.size());
    taken = std::min(room, total);
    items_.insert(items_.end(), std::make_move_iterator(first),
                  std::make_move_iterator(first + taken));
    if (taken < total)
      producer_waiting_ = true;
  } else {
    for (auto i = first; i != last; ++i) {
      if (items_.size() == capacity_) {
        items_.pop_front();
        ++dropped_;
      }
      items_.push_back(std::move(*i));
    }
    taken = total;
  }
  update_fd_locked();
  // Wake a blocked consumer after unlocking (it needs the lock at once).
  bool wake = was_empty && !items_.empty() && waiting_ > 0;
  guard.unlock();
  if (wake)
    cv_.notify_all();
  return taken;
}

void subscriber_queue::on_space(std::function<void()> fn) {
  std::unique_lock guard{mtx_};
  on_space_ = std::move(fn);
}

void subscriber_queue::close() {
  std::unique_lock guard{mtx_};
  if (closed_)
    return;
  closed_ = true;
  update_fd_locked();
  guard.unlock();
  cv_.notify_all();
}

void subscriber_queue::notify_space(std::unique_lock<std::mutex>& guard) {
  if (!producer_waiting_ || items_.size() >= capacity_)
    return;
  producer_waiting_ = false;
  auto fn = on_space_;
  guard.unlock();
  if (fn)
    fn();
}

bool subscriber_queue::wait_locked(
    std::unique_lock<std::mutex>& guard,
    std::chrono::steady_clock::time_point deadline) {
  auto ready = [this] { return !items_.empty() || closed_; };
  if (ready())
    return true;
  ++waiting_;
  bool result = true;
  if (deadline == std::chrono::steady_clock::time_point::max())
    cv_.wait(guard, ready);
  else
    result = cv_.wait_until(guard, deadline, ready);
  --waiting_;
  return result;
}

std::optional<data_message> subscriber_queue::pop() {
  return pop_until(std::chrono::steady_clock::time_point::max());
}

std::optional<data_message>
subscriber_queue::pop_until(std::chrono::steady_clock::time_point deadline) {
  auto guard = lock_spinning(mtx_);
  if (!wait_locked(guard, deadline) || items_.empty())
    return std::nullopt;
  auto result = std::move(items_.front());
  items_.pop_front();
  update_fd_locked();
  notify_space(guard);
  return result;
}

void subscriber_queue::pop_n(size_t n,
                             std::chrono::steady_clock::time_point deadline,
                             std::vector<data_message>& out) {
  auto guard = lock_spinning(mtx_);
  size_t got = 0;
  while (got < n) {
    if (!wait_locked(guard, deadline) || items_.empty())
      break;
    while (got < n && !items_.empty()) {
      out.emplace_back(std::move(items_.front()));
      items_.pop_front();
      ++got;
    }
    update_fd_locked();
    if (producer_waiting_ && items_.size() < capacity_) {
      notify_space(guard);
      guard.lock();
    }
  }
}

std::vector<data_message> subscriber_queue::pop_all() {
  std::unique_lock guard{mtx_};
  std::vector<data_message> result{std::make_move_iterator(items_.begin()),
                                   std::make_move_iterator(items_.end())};
  items_.clear();
  update_fd_locked();
  notify_space(guard);
  return result;
}

size_t subscriber_queue::size() const {
  std::unique_lock guard{mtx_};
  return items_.size();
}

size_t subscriber_queue::dropped() const {
  std::unique_lock guard{mtx_};
  return dropped_;
}

bool subscriber_queue::closed() const {
  std::unique_lock guard{mtx_};
  return closed_;
}

} // namespace broker::core
