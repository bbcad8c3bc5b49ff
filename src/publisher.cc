#include "broker/publisher.hh"

#include "core/facade.hh"
#include "core/messages.hh"

namespace broker {

publisher::publisher(std::shared_ptr<detail::publisher_state> state)
    : state_(std::move(state)) {
}

publisher::publisher(publisher&&) noexcept = default;

publisher& publisher::operator=(publisher&& other) noexcept {
  if (this != &other) {
    reset();
    state_ = std::move(other.state_);
  }
  return *this;
}

publisher::~publisher() {
  reset();
}

size_t publisher::demand() const {
  return free_capacity();
}

size_t publisher::buffered() const {
  return state_->queue->size();
}

size_t publisher::capacity() const {
  return state_->queue->capacity();
}

size_t publisher::free_capacity() const {
  auto used = state_->queue->size();
  auto cap = state_->queue->capacity();
  return used < cap ? cap - used : 0;
}

int publisher::fd() const {
  return state_->queue->fd();
}

const topic& publisher::get_topic() const {
  return state_->dst;
}

void publisher::publish(data x) {
  state_->queue->push(&x, &x + 1);
}

void publisher::publish(std::vector<data> xs) {
  state_->queue->push(xs.data(), xs.data() + xs.size());
}

void publisher::reset() {
  if (!state_ || !state_->active)
    return;
  state_->active = false;
  state_->core->send(core::remove_publisher_msg{state_->id});
}

} // namespace broker
