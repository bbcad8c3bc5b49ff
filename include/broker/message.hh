#pragma once

#include "broker/data.hh"
#include "broker/data_view.hh"
#include "broker/intrusive_ptr.hh"
#include "broker/topic.hh"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace broker {

/// Encoded values shared by many messages (one buffer per received chunk or
/// publisher batch).
using shared_bytes = std::shared_ptr<const std::vector<uint8_t>>;

class data_envelope;

namespace detail {

/// Owns the memory of envelopes allocated in bulk (see core/buffer_pool.hh).
/// An envelope whose last reference goes is destroyed at once (freeing its
/// value on the releasing thread) and its slot handed back here.
class envelope_owner {
public:
  /// Destroys the owner.
  virtual ~envelope_owner();

  /// Reclaims the slot of `env`, which is already destroyed.
  virtual void reclaim(data_envelope* env) noexcept = 0;
};

} // namespace detail

/// An immutable (topic, value) pair as delivered to subscribers. Shared by
/// reference counting: handing one message to several subscribers or peers
/// copies a pointer, not the value.
///
/// A message may carry its value still in wire format (a slice of a shared
/// buffer, already checked by the decoder's validator): then the value is
/// decoded on first access, on the thread that asks, and forwarding it to
/// other peers needs no re-encoding.
///
/// Thread safety: immutable to its users; safe to read concurrently.
class data_envelope {
public:
  /// A message holding a decoded value.
  data_envelope(broker::topic t, broker::data d)
      : topic_(std::move(t)), value_(std::move(d)) {}

  /// A message whose value is the `size` encoded bytes at `offset` of
  /// `bytes`. @pre the bytes pass `format::bin::v1::validate`.
  data_envelope(broker::topic t, shared_bytes bytes, uint32_t offset,
                uint32_t size)
      : topic_(std::move(t)), bytes_(std::move(bytes)), offset_(offset),
        size_(size), state_(encoded) {}

  /// A message like the one above whose topic lives elsewhere: `shared`
  /// (kept by its owner, see `detail::envelope_owner`, for at least as long
  /// as this message) serves many messages of one batch.
  data_envelope(const broker::topic* shared, shared_bytes bytes,
                uint32_t offset, uint32_t size)
      : shared_topic_(shared), bytes_(std::move(bytes)), offset_(offset),
        size_(size), state_(encoded) {}

  /// Not copyable (share it through `data_message` instead).
  data_envelope(const data_envelope&) = delete;

  /// Not copyable.
  data_envelope& operator=(const data_envelope&) = delete;

  /// Returns the topic.
  [[nodiscard]] const broker::topic& topic() const noexcept {
    return shared_topic_ ? *shared_topic_ : topic_;
  }

  /// Returns the value, decoding it first if needed (at most once).
  [[nodiscard]] const broker::data& value() const {
    if (state_.load(std::memory_order_acquire) != decoded)
      decode();
    return value_;
  }

  /// Returns whether the wire form is at hand.
  [[nodiscard]] bool has_encoded() const noexcept { return bytes_ != nullptr; }

  /// Returns the wire form. @pre `has_encoded()`
  [[nodiscard]] const uint8_t* encoded_data() const noexcept {
    return bytes_->data() + offset_;
  }

  /// Returns the size of the wire form. @pre `has_encoded()`
  [[nodiscard]] size_t encoded_size() const noexcept { return size_; }

  /// Returns a view of the wire form, which reads single fields without
  /// decoding the whole value (and without allocating). Valid while this
  /// envelope is alive. @pre `has_encoded()`
  [[nodiscard]] data_view encoded_view() const noexcept {
    auto first = encoded_data();
    return data_view{first, first + size_};
  }

  /// Returns whether exactly one reference exists.
  [[nodiscard]] bool unique() const noexcept {
    return refs_.load(std::memory_order_acquire) == 1;
  }

  /// @private Lets bulk allocators reclaim the memory (see
  /// `detail::envelope_owner`).
  void owner(detail::envelope_owner* ptr) noexcept { owner_ = ptr; }

  /// Adds a reference (for `intrusive_ptr`).
  friend void intrusive_ptr_add_ref(const data_envelope* ptr) noexcept {
    ptr->refs_.fetch_add(1, std::memory_order_relaxed);
  }

  /// Drops a reference; the last one destroys the envelope (for
  /// `intrusive_ptr`).
  friend void intrusive_ptr_release(const data_envelope* ptr) noexcept {
    if (ptr->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
      ptr->dispose();
  }

private:
  friend data move_data(intrusive_ptr<const data_envelope>& msg);

  /// Values of `state_`.
  static constexpr uint8_t encoded = 0;
  static constexpr uint8_t decoding = 1;
  static constexpr uint8_t decoded = 2;

  /// Decodes the wire form into `value_` once (thread-safe: a second
  /// thread asking meanwhile waits for the first).
  void decode() const;

  /// Destroys this envelope after its last reference went.
  void dispose() const noexcept;

  broker::topic topic_;
  /// The topic when it is not `topic_`.
  const broker::topic* shared_topic_ = nullptr;
  mutable broker::data value_;
  shared_bytes bytes_;
  uint32_t offset_ = 0;
  uint32_t size_ = 0;
  mutable std::atomic<uint8_t> state_{decoded};
  mutable std::atomic<uint32_t> refs_{1};
  detail::envelope_owner* owner_ = nullptr;
};

/// A published message: a shared, immutable (topic, data) pair.
using data_message = intrusive_ptr<const data_envelope>;

/// Creates a new message.
inline data_message make_data_message(topic t, data d) {
  return data_message{new data_envelope(std::move(t), std::move(d)), false};
}

/// Returns the topic of `msg`. @pre `msg != nullptr`
inline const topic& get_topic(const data_message& msg) {
  return msg->topic();
}

/// Returns the value of `msg`. @pre `msg != nullptr`
inline const data& get_data(const data_message& msg) {
  return msg->value();
}

/// Moves the value out of `msg` if `msg` is its only owner, copies it
/// otherwise. @pre `msg != nullptr`
inline data move_data(data_message& msg) {
  if (msg->unique()) {
    static_cast<void>(msg->value());
    return std::move(const_cast<data_envelope&>(*msg).value_);
  }
  return msg->value();
}

/// Copies the value out of `msg`. @pre `msg != nullptr`
inline data move_data(const data_message& msg) {
  return msg->value();
}

/// Writes `(<topic>, <value>)`, or `null` for a null message.
void convert(const data_message& msg, std::string& str);

} // namespace broker
