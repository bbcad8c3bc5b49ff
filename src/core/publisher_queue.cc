#include "core/publisher_queue.hh"

#include "core/spin_lock.hh"
#include "format/bin.hh"
#include "wire/envelope.hh"
#include "wire/frame.hh"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace broker::core {

publisher_queue::publisher_queue(size_t capacity, const endpoint_id& sender,
                                 uint16_t ttl, const topic& dst,
                                 std::function<void()> notify)
    : capacity_(capacity == 0 ? 1 : capacity), notify_(std::move(notify)) {
  // The header of an empty data frame; each push appends the value and
  // patches the length (spec: upstream-broker.md §4.1, §4.5).
  wire::write_envelope(sender, endpoint_id{}, wire::envelope_type::data, ttl,
                       dst.string(), {}, header_);
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

int publisher_queue::fd() const {
  if (!fd_wanted_.load(std::memory_order_acquire)) {
    // First use: from now on the descriptor follows the queue's state.
    std::lock_guard guard{mtx_};
    fd_wanted_.store(true, std::memory_order_release);
    const_cast<publisher_queue*>(this)->update_fd_locked();
  }
  return fd_;
}

void publisher_queue::update_fd_locked() {
  // Nobody asked for the descriptor: keeping it in sync costs system calls.
  if (!fd_wanted_.load(std::memory_order_relaxed))
    return;
  bool want = queued_locked() < capacity_ || closed_;
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

bool publisher_queue::push(const data* first, const data* last) {
  namespace bin = format::bin::v1;
  // Encode outside the lock, on the producer's thread, into scratch space
  // that stays allocated (a publisher has one producer at a time).
  auto& encoded = scratch_;
  auto& sizes = scratch_sizes_;
  encoded.clear();
  sizes.clear();
  for (auto x = first; x != last; ++x) {
    auto start = encoded.size();
    encoded.insert(encoded.end(), header_.begin(), header_.end());
    bin::encode(*x, encoded);
    wire::end_frame(encoded, start);
    sizes.push_back(static_cast<uint32_t>(encoded.size() - start));
  }
  size_t next = 0;
  size_t offset = 0;
  while (next < sizes.size()) {
    bool notify = false;
    {
      auto guard = lock_spinning(mtx_);
      if (queued_locked() >= capacity_ && !closed_) {
        // Full: sleep until half of it is free (one wake-up per half
        // queue, not one per pulled batch).
        ++waiting_producers_;
        cv_.wait(guard, [this] {
          return queued_locked() <= resume_level() || closed_;
        });
        --waiting_producers_;
      }
      if (closed_)
        return false;
      auto first = offset;
      while (next < sizes.size() && queued_locked() < capacity_) {
        sizes_.push_back(sizes[next]);
        offset += sizes[next++];
      }
      bytes_.insert(bytes_.end(), encoded.begin() + first,
                    encoded.begin() + offset);
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

framed_batch publisher_queue::pull(size_t n) {
  framed_batch result;
  result.header_size = static_cast<uint32_t>(header_.size());
  auto guard = lock_spinning(mtx_);
  auto count = std::min(n, queued_locked());
  if (count == 0) {
    core_notified_ = false;
    return result;
  }
  if (count == sizes_.size()) {
    // The common case: take everything, no copying.
    auto reserve = bytes_.size();
    result.bytes = pool_->share(std::move(bytes_));
    result.sizes = std::move(sizes_);
    bytes_ = pool_->take(reserve);
    sizes_ = std::vector<uint32_t>{};
    sizes_.reserve(result.sizes.size()); // no regrowth while it fills again
  } else {
    auto first = sizes_.begin() + static_cast<ptrdiff_t>(head_);
    size_t len = 0;
    for (auto i = first; i != first + static_cast<ptrdiff_t>(count); ++i)
      len += *i;
    auto from = bytes_.begin() + static_cast<ptrdiff_t>(head_bytes_);
    result.bytes = std::make_shared<const std::vector<uint8_t>>(
        from, from + static_cast<ptrdiff_t>(len));
    result.sizes.assign(first, first + static_cast<ptrdiff_t>(count));
    head_ += count;
    head_bytes_ += len;
    if (head_ == sizes_.size()) {
      bytes_.clear();
      sizes_.clear();
      head_ = 0;
      head_bytes_ = 0;
    } else if (head_ * 2 >= sizes_.size()) {
      bytes_.erase(bytes_.begin(),
                   bytes_.begin() + static_cast<ptrdiff_t>(head_bytes_));
      sizes_.erase(sizes_.begin(),
                   sizes_.begin() + static_cast<ptrdiff_t>(head_));
      head_ = 0;
      head_bytes_ = 0;
    }
  }
  update_fd_locked();
  bool wake = waiting_producers_ > 0 && queued_locked() <= resume_level();
  guard.unlock();
  if (wake)
    cv_.notify_all();
  return result;
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
  return queued_locked();
}

} // namespace broker::core
