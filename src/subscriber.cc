#include "broker/subscriber.hh"

#include "core/facade.hh"
#include "core/messages.hh"

#include <algorithm>
#include <stdexcept>

namespace broker {

namespace {

/// How long a blocking `add_topic`/`remove_topic` waits for the core.
constexpr auto filter_change_timeout = std::chrono::seconds{5};

using clock_type = std::chrono::steady_clock;

clock_type::time_point deadline_after(timespan timeout) {
  if (timeout <= timespan{0})
    return clock_type::now();
  return clock_type::now() +
         std::chrono::duration_cast<clock_type::duration>(timeout);
}

} // namespace

subscriber::subscriber(std::shared_ptr<detail::subscriber_state> state)
    : state_(std::move(state)) {
}

subscriber::subscriber(subscriber&&) noexcept = default;

subscriber& subscriber::operator=(subscriber&& other) noexcept {
  if (this != &other) {
    reset();
    state_ = std::move(other.state_);
  }
  return *this;
}

subscriber::~subscriber() {
  reset();
}

data_message subscriber::get() {
  auto msg = state_->queue->pop();
  if (!msg)
    throw std::runtime_error("subscriber queue closed");
  return std::move(*msg);
}

std::vector<data_message> subscriber::get(size_t num) {
  std::vector<data_message> result;
  result.reserve(num);
  state_->queue->pop_n(num, clock_type::time_point::max(), result);
  return result;
}

std::optional<data_message> subscriber::get_for(timespan timeout) {
  return state_->queue->pop_until(deadline_after(timeout));
}

std::vector<data_message> subscriber::get_for(size_t num, timespan timeout) {
  std::vector<data_message> result;
  state_->queue->pop_n(num, deadline_after(timeout), result);
  return result;
}

std::vector<data_message> subscriber::poll() {
  return state_->queue->pop_all();
}

size_t subscriber::available() const {
  return state_->queue->size();
}

int subscriber::fd() const {
  return state_->queue->fd();
}

namespace {

/// Sends the subscriber's current filter to the core; waits if `block`.
void push_filter(detail::subscriber_state& st, bool block) {
  core::promise_ptr<void> done;
  if (block)
    done = std::make_shared<std::promise<void>>();
  if (!st.core->send(core::set_subscriber_filter_msg{st.id, st.filter, done}))
    return;
  if (done)
    done->get_future().wait_for(filter_change_timeout);
}

} // namespace

void subscriber::add_topic(topic x, bool block) {
  std::unique_lock guard{state_->mtx};
  auto& filter = state_->filter;
  if (std::find(filter.begin(), filter.end(), x) != filter.end())
    return;
  filter.emplace_back(std::move(x));
  push_filter(*state_, block);
}

void subscriber::remove_topic(topic x, bool block) {
  std::unique_lock guard{state_->mtx};
  auto& filter = state_->filter;
  auto i = std::find(filter.begin(), filter.end(), x);
  if (i == filter.end())
    return;
  filter.erase(i);
  push_filter(*state_, block);
}

filter_type subscriber::filter() const {
  std::unique_lock guard{state_->mtx};
  return state_->filter;
}

void subscriber::reset() {
  if (!state_)
    return;
  std::unique_lock guard{state_->mtx};
  if (!state_->active)
    return;
  state_->active = false;
  state_->queue->on_space(nullptr);
  if (!state_->core->send(core::unsubscribe_msg{state_->id}))
    state_->queue->close();
}

} // namespace broker
