#include "broker/message.hh"

#include "format/bin.hh"

#include <thread>

namespace broker {

detail::envelope_owner::~envelope_owner() = default;

void data_envelope::dispose() const noexcept {
  auto self = const_cast<data_envelope*>(this);
  if (auto owner = owner_) {
    self->~data_envelope();
    owner->reclaim(self);
  } else {
    delete self;
  }
}

void data_envelope::decode() const {
  auto expected = encoded;
  if (!state_.compare_exchange_strong(expected, decoding,
                                      std::memory_order_acq_rel)) {
    // Another thread decodes right now (rare): wait for it.
    while (state_.load(std::memory_order_acquire) != decoded)
      std::this_thread::yield();
    return;
  }
  namespace bin = format::bin::v1;
  bin::decode_error err;
  // The bytes passed the validator when they arrived, so this succeeds;
  // should it not, the value stays nil rather than half-decoded.
  if (!bin::decode(bin::byte_span{encoded_data(), size_}, value_, err))
    value_ = data{};
  state_.store(decoded, std::memory_order_release);
}

void convert(const data_message& msg, std::string& str) {
  if (!msg) {
    str = "null";
    return;
  }
  str = '(';
  str += get_topic(msg).string();
  str += ", ";
  str += to_string(get_data(msg));
  str += ')';
}

} // namespace broker
