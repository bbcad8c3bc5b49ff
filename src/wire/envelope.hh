#pragma once

// Phase-3 envelopes of the native transport (spec: upstream-broker.md §4.5),
// the filter codec shared with the handshake (§4.3, §4.5) and the BYE
// payload of graceful unpeering (§3.8). Pure code: no sockets, no threads.

#include "broker/data.hh"
#include "broker/endpoint_id.hh"
#include "broker/filter_type.hh"
#include "format/bin.hh"
#include "wire/frame.hh"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace broker::wire {

/// The envelope type byte at offset 32 (spec: upstream-broker.md §4.3/§4.5).
enum class envelope_type : uint8_t {
  data = 1,
  command = 2,
  routing_update = 3,
  ping = 4,
  pong = 5,
};

/// Returns the name of `x` ("data", "command", ...), or "unknown".
std::string_view to_string(envelope_type x) noexcept;

/// Sender ID (16) + receiver ID (16) + type (1) + TTL (2) + topic length (2)
/// (spec: upstream-broker.md §4.5).
inline constexpr size_t envelope_header_size = 37;

/// The TTL upstream Broker writes into every envelope (spec: §4.5).
inline constexpr uint16_t default_ttl = 16;

/// Topic of routing_update, ping and pong envelopes (spec: §4.5).
inline constexpr std::string_view reserved_topic = "<$>";

/// Largest topic the u16 topic length field can carry (spec: §4.5).
inline constexpr size_t max_topic_size = UINT16_MAX;

/// A parsed envelope; `topic` and `payload` point into the parsed frame.
struct envelope_view {
  endpoint_id sender;
  endpoint_id receiver;
  envelope_type type = envelope_type::data;
  uint16_t ttl = 0;
  std::string_view topic;
  format::bin::v1::byte_span payload;
};

/// Parses the payload of one phase-3 frame (length prefix already removed).
/// Does not look into the type-specific payload.
/// @returns `false` with `error` set if the payload is shorter than
///          `envelope_header_size`, the type is not 1–5 (handshake tags in
///          phase 3 included) or the topic length exceeds the remaining
///          bytes. Upstream drops such a message and keeps the connection
///          (spec: §4.5).
[[nodiscard]] bool parse_envelope(byte_span frame_payload, envelope_view& out,
                                  std::string& error);

// -- writers: each appends one complete frame (length prefix included) --------

/// Appends a frame holding an envelope with an opaque `payload`.
/// @pre `topic.size() <= max_topic_size` (callers reject longer topics when
///      the user publishes; see `topic::max_size`).
void write_envelope(const endpoint_id& sender, const endpoint_id& receiver,
                    envelope_type type, uint16_t ttl, std::string_view topic,
                    byte_span payload, byte_buffer& out);

/// Appends a data envelope (spec: §4.5 type 1) whose payload is `value`,
/// encoded in place with `format::bin::v1::encode`.
/// @pre `topic.size() <= max_topic_size`.
void write_data_envelope(const endpoint_id& sender, const endpoint_id& receiver,
                         uint16_t ttl, std::string_view topic,
                         const data& value, byte_buffer& out);

/// Appends a routing_update envelope (spec: §4.5 type 3): topic `<$>`, TTL
/// `default_ttl`, payload = `filter` (see `write_filter`).
void write_routing_update(const endpoint_id& sender,
                          const endpoint_id& receiver,
                          const filter_type& filter, byte_buffer& out);

/// Appends a ping envelope (spec: §4.5 type 4, topic `<$>`) with an opaque
/// payload (e.g. `make_bye_payload`).
void write_ping(const endpoint_id& sender, const endpoint_id& receiver,
                byte_span payload, byte_buffer& out,
                uint16_t ttl = default_ttl);

/// Appends a pong envelope (spec: §4.5 type 5, topic `<$>`).
void write_pong(const endpoint_id& sender, const endpoint_id& receiver,
                byte_span payload, byte_buffer& out,
                uint16_t ttl = default_ttl);

/// Appends the pong that answers `ping`: same payload, sender = the ping's
/// receiver, receiver = the ping's sender, TTL `default_ttl` (spec: §4.5).
/// @pre `ping.type == envelope_type::ping`.
void write_pong_reply(const envelope_view& ping, byte_buffer& out);

// -- filters (spec: §4.3 originator_syn/responder_syn_ack, §4.5 type 3) -------

/// Appends a filter: varbyte count, then each topic as varbyte length +
/// bytes, in the order of `filter` (which is kept sorted).
void write_filter(const filter_type& filter, byte_buffer& out);

/// Reads a filter at the reader's position, leaving the reader after it.
/// The entry count is checked against the remaining bytes (each entry takes
/// at least one) before anything is reserved.
/// @returns `false` with `error` set (e.g. "filter claims 1000 entries but
///          only 3 bytes remain") on truncated or malformed input.
[[nodiscard]] bool read_filter(format::bin::v1::reader& src, filter_type& out,
                               std::string& error);

/// Reads the payload of a routing_update envelope: exactly one filter.
/// @returns `false` with `error` set if `read_filter` fails or bytes follow
///          the filter.
[[nodiscard]] bool parse_routing_update(byte_span payload, filter_type& out,
                                        std::string& error);

// -- BYE (spec: upstream-broker.md §3.8) --------------------------------------

/// First three bytes of the payload of the ping that ends a peering.
inline constexpr std::string_view bye_prefix = "BYE";

/// "BYE" + 8 bytes of an ID (spec: §3.8).
inline constexpr size_t bye_payload_size = 11;

/// The payload of a BYE ping (and of its pong).
using bye_payload = std::array<uint8_t, bye_payload_size>;

/// Returns "BYE" followed by `id` in **big-endian** byte order. Upstream
/// copies its ID in host byte order; the peer treats the bytes as opaque
/// and echoes them in its pong, so only we read them back (`is_bye_payload`).
bye_payload make_bye_payload(uint64_t id) noexcept;

/// Returns whether `payload` is a BYE payload (11 bytes starting with
/// "BYE"); on success stores its ID (read big-endian) in `id`.
[[nodiscard]] bool is_bye_payload(byte_span payload, uint64_t& id) noexcept;

/// Returns a view on a BYE payload, for `write_ping`/`write_pong`.
inline byte_span as_span(const bye_payload& x) noexcept {
  return byte_span{x.data(), x.size()};
}

} // namespace broker::wire
