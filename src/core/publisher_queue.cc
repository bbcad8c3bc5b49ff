#include "core/publisher_queue.hh"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace broker::core {

publisher_queue::publisher_queue(size_t capacity, std::function<void()> notify)
  : capacity_(capacity == 0 ? 1 : capacity), notify_(std::move(notify)) {
  fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd_ < 0)
    throw std::system_error(errno, std::generic_category(),
                            "cannot create the publisher's eventfd");
  std::lock_guard guard{mtx_};
  update_fd_locked();
}

publisher_queue::~publisher_queue() {
  ::close(fd_);
}

void publisher_queue::update_fd_locked() {
  bool want = items_.size() < capacity_ || closed_;
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

bool publisher_queue::push(std::vector<data>& xs) {
  size_t next = 0;
  while (next < xs.size()) {
    bool notify = false;
    {
      std::unique_lock guard{mtx_};
      cv_.wait(guard, [this] { return items_.size() < capacity_ || closed_; });
      if (closed_)
        return false;
      while (next < xs.size() && items_.size() < capacity_)
        items_.emplace_back(std::move(xs[next++]));
      if (!core_notified_) {
        core_notified_ = true;
        notify = true;
      }
      update_fd_locked();
    }
    if (notify)
      notify_();
  }
  return true;
}

size_t publisher_queue::pull(size_t n, std::vector<data>& out) {
  std::unique_lock guard{mtx_};
  auto count = std::min(n, items_.size());
  for (size_t i = 0; i < count; ++i) {
    out.emplace_back(std::move(items_.front()));
    items_.pop_front();
  }
  if (items_.empty())
    core_notified_ = false;
  update_fd_locked();
  guard.unlock();
  if (count > 0)
    cv_.notify_all();
  return count;
}

void publisher_queue::close() {
  {
    std::lock_guard guard{mtx_};
    closed_ = true;
    update_fd_locked();
  }
  cv_.notify_all();
}

size_t publisher_queue::size() const {
  std::lock_guard guard{mtx_};
  return items_.size();
}

} // namespace broker::core
