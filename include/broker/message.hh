#pragma once

#include "broker/data.hh"
#include "broker/topic.hh"

#include <memory>
#include <utility>

namespace broker {

/// An immutable (topic, value) pair as delivered to subscribers. Shared by
/// reference counting: handing one message to several subscribers or peers
/// copies a pointer, not the value.
///
/// Thread safety: immutable after construction; safe to read concurrently.
class data_envelope {
public:
  data_envelope(broker::topic t, broker::data d)
    : topic_(std::move(t)), value_(std::move(d)) {}

  [[nodiscard]] const broker::topic& topic() const noexcept { return topic_; }

  [[nodiscard]] const broker::data& value() const noexcept { return value_; }

private:
  friend data move_data(std::shared_ptr<const data_envelope>& msg);

  broker::topic topic_;
  broker::data value_;
};

/// A published message: a shared, immutable (topic, data) pair.
using data_message = std::shared_ptr<const data_envelope>;

/// Creates a new message.
inline data_message make_data_message(topic t, data d) {
  return std::make_shared<const data_envelope>(std::move(t), std::move(d));
}

/// Returns the topic of `msg`. @pre `msg != nullptr`
inline const topic& get_topic(const data_message& msg) {
  return msg->topic();
}

/// Returns the value of `msg`. @pre `msg != nullptr`
inline const data& get_data(const data_message& msg) { return msg->value(); }

/// Moves the value out of `msg` if `msg` is its only owner, copies it
/// otherwise. @pre `msg != nullptr`
inline data move_data(data_message& msg) {
  if (msg.use_count() == 1)
    return std::move(const_cast<data_envelope&>(*msg).value_);
  return msg->value();
}

/// Copies the value out of `msg`. @pre `msg != nullptr`
inline data move_data(const data_message& msg) { return msg->value(); }

/// Writes `(<topic>, <value>)`.
void convert(const data_message& msg, std::string& str);

} // namespace broker
