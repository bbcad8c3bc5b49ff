#include "core/buffer_pool.hh"

namespace broker::core {

std::vector<uint8_t> buffer_pool::take(size_t min_capacity) {
  std::vector<uint8_t> result;
  {
    std::lock_guard guard{mtx_};
    if (!free_.empty()) {
      result = std::move(free_.back());
      free_.pop_back();
    }
  }
  result.clear();
  result.reserve(min_capacity);
  return result;
}

shared_bytes buffer_pool::share(std::vector<uint8_t> buf) {
  auto self = shared_from_this();
  auto ptr = new std::vector<uint8_t>(std::move(buf));
  return shared_bytes{ptr, [self](const std::vector<uint8_t>* x) {
                        self->give_back(const_cast<std::vector<uint8_t>*>(x));
                      }};
}

void buffer_pool::give_back(std::vector<uint8_t>* buf) {
  std::unique_ptr<std::vector<uint8_t>> owner{buf};
  std::lock_guard guard{mtx_};
  if (free_.size() < max_kept)
    free_.emplace_back(std::move(*buf));
}

} // namespace broker::core
