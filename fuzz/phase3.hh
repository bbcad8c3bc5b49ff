#pragma once

// Shared by the `handshake` and `envelope` fuzz targets: what a peering does
// with one phase-3 frame (src/core/peering_actor.cc, `on_envelope`; spec:
// upstream-broker.md §4.5), minus the actor: parse the envelope, then the
// type-specific payload, and check every accepted input survives the
// writers.

#include "broker/data.hh"
#include "broker/topic.hh"
#include "format/bin.hh"
#include "wire/envelope.hh"
#include "wire/frame.hh"

#include <cstdint>
#include <cstdlib>
#include <string>

namespace broker::fuzz {

/// Aborts on a broken invariant (libFuzzer reports the crash).
inline void require(bool condition) {
  if (!condition)
    std::abort();
}

/// Handles the payload of one phase-3 frame (length prefix removed).
inline void parse_phase3(wire::byte_span payload) {
  namespace bin = format::bin::v1;
  wire::envelope_view view;
  std::string error;
  if (!wire::parse_envelope(payload, view, error)) {
    require(!error.empty());
    return;
  }
  // The peering builds a topic from whatever bytes the envelope names.
  topic name{std::string{view.topic}};
  require(name.string() == view.topic);
  switch (view.type) {
  case wire::envelope_type::data: {
    // The peering validates (without building the value); subscribers
    // decode later. Both must agree.
    bin::decode_error verr;
    bool valid = bin::validate(view.payload, verr);
    data value;
    bin::decode_error err;
    require(bin::decode(view.payload, value, err) == valid);
    if (valid) {
      wire::byte_buffer out;
      wire::write_data_envelope(view.sender, view.receiver, view.ttl,
                                view.topic, value, out);
      wire::envelope_view again;
      require(wire::parse_envelope(
          wire::byte_span{out}.subspan(wire::frame_header_size), again, error));
      require(again.topic == view.topic && again.ttl == view.ttl);
    }
    break;
  }
  case wire::envelope_type::routing_update: {
    filter_type filter;
    if (wire::parse_routing_update(view.payload, filter, error)) {
      wire::byte_buffer out;
      wire::write_routing_update(view.sender, view.receiver, filter, out);
      wire::envelope_view again;
      require(wire::parse_envelope(
          wire::byte_span{out}.subspan(wire::frame_header_size), again, error));
      filter_type filter_again;
      require(wire::parse_routing_update(again.payload, filter_again, error));
      require(filter_again == filter);
    } else {
      require(!error.empty());
    }
    break;
  }
  case wire::envelope_type::ping: {
    wire::byte_buffer out;
    wire::write_pong_reply(view, out);
    wire::envelope_view pong;
    require(wire::parse_envelope(
        wire::byte_span{out}.subspan(wire::frame_header_size), pong, error));
    require(pong.type == wire::envelope_type::pong);
    require(pong.payload.size == view.payload.size);
    break;
  }
  default: {
    uint64_t id = 0;
    if (wire::is_bye_payload(view.payload, id)) {
      auto bye = wire::make_bye_payload(id);
      uint64_t again = 0;
      require(wire::is_bye_payload(wire::as_span(bye), again) && again == id);
    }
    break;
  }
  }
}

} // namespace broker::fuzz
