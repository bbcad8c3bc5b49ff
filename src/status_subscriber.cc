#include "broker/status_subscriber.hh"

#include "core/facade.hh"

namespace broker {

status_subscriber::status_subscriber(subscriber impl) : impl_(std::move(impl)) {
}

status_subscriber::value_type
status_subscriber::convert_message(const data_message& msg) {
  if (get_topic(msg).string() == topic::errors_str) {
    error err;
    if (convert(get_data(msg), err))
      return err;
  } else {
    status st;
    if (convert(get_data(msg), st))
      return st;
  }
  return none{};
}

std::vector<status_subscriber::value_type>
status_subscriber::convert_all(const std::vector<data_message>& msgs) {
  std::vector<value_type> result;
  result.reserve(msgs.size());
  for (auto& msg : msgs) {
    auto x = convert_message(msg);
    if (!std::holds_alternative<none>(x))
      result.emplace_back(std::move(x));
  }
  return result;
}

status_subscriber::value_type status_subscriber::get() {
  for (;;) {
    auto x = convert_message(impl_.get());
    if (!std::holds_alternative<none>(x))
      return x;
  }
}

status_subscriber::value_type status_subscriber::get_for(timespan timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = deadline - std::chrono::steady_clock::now();
    auto msg = impl_.get(std::chrono::duration_cast<timespan>(left));
    if (!msg)
      return none{};
    auto x = convert_message(*msg);
    if (!std::holds_alternative<none>(x))
      return x;
  }
}

std::vector<status_subscriber::value_type> status_subscriber::poll() {
  return convert_all(impl_.poll());
}

size_t status_subscriber::dropped() const {
  return impl_.state_->queue->dropped();
}

} // namespace broker
