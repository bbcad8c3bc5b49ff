#include "wire/envelope.hh"

#include <cassert>
#include <cstring>

namespace broker::wire {

namespace bin = format::bin::v1;

namespace {

/// Tags of the handshake messages (spec: upstream-broker.md §4.3); named here
/// only to explain their rejection in phase 3.
constexpr uint8_t first_handshake_tag = 6;
constexpr uint8_t last_handshake_tag = 12;

constexpr bool is_envelope_type(uint8_t x) noexcept {
  return x >= static_cast<uint8_t>(envelope_type::data) &&
         x <= static_cast<uint8_t>(envelope_type::pong);
}

void read_id(const uint8_t* bytes, endpoint_id& id) noexcept {
  std::memcpy(id.bytes().data(), bytes, endpoint_id::num_bytes);
}

/// Writes the 37-byte header and the topic at `p` (spec: §4.5 table) and
/// returns the end.
uint8_t* put_header(const endpoint_id& sender, const endpoint_id& receiver,
                    envelope_type type, uint16_t ttl, std::string_view topic,
                    uint8_t* p) noexcept {
  assert(topic.size() <= max_topic_size);
  std::memcpy(p, sender.bytes().data(), endpoint_id::num_bytes);
  p += endpoint_id::num_bytes;
  std::memcpy(p, receiver.bytes().data(), endpoint_id::num_bytes);
  p += endpoint_id::num_bytes;
  *p++ = static_cast<uint8_t>(type);
  bin::store_u16(ttl, p);
  bin::store_u16(static_cast<uint16_t>(topic.size()), p + 2);
  p += 4;
  if (!topic.empty())
    std::memcpy(p, topic.data(), topic.size());
  return p + topic.size();
}

/// Appends the header and the topic; the buffer grows once.
void write_header(const endpoint_id& sender, const endpoint_id& receiver,
                  envelope_type type, uint16_t ttl, std::string_view topic,
                  byte_buffer& out) {
  auto old_size = out.size();
  out.resize(old_size + envelope_header_size + topic.size());
  put_header(sender, receiver, type, ttl, topic, out.data() + old_size);
}

} // namespace

std::string_view to_string(envelope_type x) noexcept {
  switch (x) {
  case envelope_type::data:
    return "data";
  case envelope_type::command:
    return "command";
  case envelope_type::routing_update:
    return "routing_update";
  case envelope_type::ping:
    return "ping";
  case envelope_type::pong:
    return "pong";
  }
  return "unknown";
}

// spec: upstream-broker.md §4.5 (offsets 0, 16, 32, 33, 35, 37).
bool parse_envelope(byte_span frame_payload, envelope_view& out,
                    std::string& error) {
  if (frame_payload.size < envelope_header_size) {
    error = "envelope of " + std::to_string(frame_payload.size) +
            " bytes is shorter than the " +
            std::to_string(envelope_header_size) + "-byte header";
    return false;
  }
  const uint8_t* p = frame_payload.data;
  auto type = p[32];
  if (!is_envelope_type(type)) {
    error = "invalid envelope type " + std::to_string(type);
    if (type >= first_handshake_tag && type <= last_handshake_tag)
      error += " (a handshake message tag, not allowed after the handshake)";
    else
      error += " (expected 1-5)";
    return false;
  }
  size_t topic_size = bin::read_u16(p + 35);
  size_t remaining = frame_payload.size - envelope_header_size;
  if (topic_size > remaining) {
    error = "envelope topic length " + std::to_string(topic_size) +
            " exceeds the " + std::to_string(remaining) +
            " bytes after the header";
    return false;
  }
  read_id(p, out.sender);
  read_id(p + 16, out.receiver);
  out.type = static_cast<envelope_type>(type);
  out.ttl = bin::read_u16(p + 33);
  out.topic = std::string_view{
      reinterpret_cast<const char*>(p + envelope_header_size), topic_size};
  out.payload = frame_payload.subspan(envelope_header_size + topic_size);
  return true;
}

void write_envelope(const endpoint_id& sender, const endpoint_id& receiver,
                    envelope_type type, uint16_t ttl, std::string_view topic,
                    byte_span payload, byte_buffer& out) {
  // The hot path of every sent message: one resize, then plain copies.
  size_t length = envelope_header_size + topic.size() + payload.size;
  assert(length <= max_encodable_frame_size);
  auto old_size = out.size();
  out.resize(old_size + frame_header_size + length);
  auto p = out.data() + old_size;
  // spec: upstream-broker.md §4.1 (u32 big-endian length prefix).
  bin::store_u32(static_cast<uint32_t>(length), p);
  p = put_header(sender, receiver, type, ttl, topic, p + frame_header_size);
  if (!payload.empty())
    std::memcpy(p, payload.data, payload.size);
}

void write_data_envelope(const endpoint_id& sender, const endpoint_id& receiver,
                         uint16_t ttl, std::string_view topic,
                         const data& value, byte_buffer& out) {
  auto start = begin_frame(out);
  write_header(sender, receiver, envelope_type::data, ttl, topic, out);
  bin::encode(value, out);
  end_frame(out, start);
}

void write_routing_update(const endpoint_id& sender,
                          const endpoint_id& receiver,
                          const filter_type& filter, byte_buffer& out) {
  auto start = begin_frame(out);
  write_header(sender, receiver, envelope_type::routing_update, default_ttl,
               reserved_topic, out);
  write_filter(filter, out);
  end_frame(out, start);
}

void write_ping(const endpoint_id& sender, const endpoint_id& receiver,
                byte_span payload, byte_buffer& out, uint16_t ttl) {
  write_envelope(sender, receiver, envelope_type::ping, ttl, reserved_topic,
                 payload, out);
}

void write_pong(const endpoint_id& sender, const endpoint_id& receiver,
                byte_span payload, byte_buffer& out, uint16_t ttl) {
  write_envelope(sender, receiver, envelope_type::pong, ttl, reserved_topic,
                 payload, out);
}

void write_pong_reply(const envelope_view& ping, byte_buffer& out) {
  assert(ping.type == envelope_type::ping);
  write_pong(ping.receiver, ping.sender, ping.payload, out);
}

// spec: upstream-broker.md §4.3 (originator_syn), §4.5 (routing_update).
void write_filter(const filter_type& filter, byte_buffer& out) {
  bin::write_varbyte(static_cast<uint32_t>(filter.size()), out);
  for (const auto& entry : filter)
    bin::write_string(entry.string(), out);
}

bool read_filter(bin::reader& src, filter_type& out, std::string& error) {
  auto start = src.offset();
  uint32_t count = 0;
  if (!src.read_varbyte(count)) {
    error = "filter: malformed or truncated entry count at offset " +
            std::to_string(start);
    return false;
  }
  // Each entry takes at least its one-byte length: check the claimed count
  // against the input before reserving anything.
  if (count > src.remaining()) {
    error = "filter claims " + std::to_string(count) + " entries but only " +
            std::to_string(src.remaining()) + " bytes remain";
    return false;
  }
  filter_type result;
  result.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view entry;
    auto entry_offset = src.offset();
    if (!src.read_string_view(entry)) {
      error = "filter entry " + std::to_string(i + 1) + " of " +
              std::to_string(count) +
              ": malformed or truncated topic at offset " +
              std::to_string(entry_offset);
      return false;
    }
    result.emplace_back(entry);
  }
  out = std::move(result);
  return true;
}

bool parse_routing_update(byte_span payload, filter_type& out,
                          std::string& error) {
  bin::reader src{payload};
  if (!read_filter(src, out, error)) {
    error = "routing_update: " + error;
    return false;
  }
  if (!src.at_end()) {
    error = "routing_update: " + std::to_string(src.remaining()) +
            " unexpected bytes after the filter";
    return false;
  }
  return true;
}

// spec: upstream-broker.md §3.8 ("BYE" + 8 ID bytes; we use big-endian).
bye_payload make_bye_payload(uint64_t id) noexcept {
  bye_payload result{};
  std::memcpy(result.data(), bye_prefix.data(), bye_prefix.size());
  bin::store_u64(id, result.data() + bye_prefix.size());
  return result;
}

bool is_bye_payload(byte_span payload, uint64_t& id) noexcept {
  if (payload.size != bye_payload_size ||
      std::memcmp(payload.data, bye_prefix.data(), bye_prefix.size()) != 0)
    return false;
  id = bin::read_u64(payload.data + bye_prefix.size());
  return true;
}

} // namespace broker::wire
