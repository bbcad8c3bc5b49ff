#include "core/subscriber_queue.hh"

#include <sys/eventfd.h>
#include <unistd.h>

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

void subscriber_queue::update_fd_locked(bool was_empty) {
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
  if (was_empty && want)
    cv_.notify_all();
}

size_t subscriber_queue::push(data_message* first, data_message* last) {
  std::unique_lock guard{mtx_};
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
  update_fd_locked(was_empty);
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
  update_fd_locked(false);
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

std::optional<data_message> subscriber_queue::pop() {
  return pop_until(std::chrono::steady_clock::time_point::max());
}

std::optional<data_message>
subscriber_queue::pop_until(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock guard{mtx_};
  auto ready = [this] { return !items_.empty() || closed_; };
  if (deadline == std::chrono::steady_clock::time_point::max())
    cv_.wait(guard, ready);
  else if (!cv_.wait_until(guard, deadline, ready))
    return std::nullopt;
  if (items_.empty())
    return std::nullopt;
  auto result = std::move(items_.front());
  items_.pop_front();
  update_fd_locked(false);
  notify_space(guard);
  return result;
}

void subscriber_queue::pop_n(size_t n,
                             std::chrono::steady_clock::time_point deadline,
                             std::vector<data_message>& out) {
  std::unique_lock guard{mtx_};
  size_t got = 0;
  while (got < n) {
    auto ready = [this] { return !items_.empty() || closed_; };
    if (deadline == std::chrono::steady_clock::time_point::max())
      cv_.wait(guard, ready);
    else if (!cv_.wait_until(guard, deadline, ready))
      break;
    if (items_.empty())
      break;
    while (got < n && !items_.empty()) {
      out.emplace_back(std::move(items_.front()));
      items_.pop_front();
      ++got;
    }
    update_fd_locked(false);
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
  update_fd_locked(false);
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
