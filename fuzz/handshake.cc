// libFuzzer target: the handshake state machine and the phase-3 envelope
// parser, driven exactly as a connection drives them (spec:
// upstream-broker.md §4.1, §4.4, §4.5).
//
// Input layout: byte 0 selects the role (bit 0), our ID (bits 1-2: P, Q, S
// or R of tests/vectors/README.md), the verdict to give (bits 3-4) and
// whether the verdict is delayed by one frame (bit 5); the rest is the
// byte stream the peer sends, split into reads by byte 1 (chunk size 1-256).
// After a successful handshake the remaining frames are parsed as
// envelopes, their payloads as data / filter / BYE.

#include "wire/handshake.hh"
#include "broker/data.hh"
#include "format/bin.hh"
#include "wire/envelope.hh"
#include "wire/frame.hh"

#include "phase3.hh"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace {

using namespace broker;
using namespace broker::wire;
namespace bin = broker::format::bin::v1;
using broker::fuzz::parse_phase3;
using broker::fuzz::require;

/// Returns an ID of the UUID form `ffffffff-ffff-Vfff-Wfff-ffffffffffff`.
endpoint_id make_id(uint8_t fill, uint8_t byte6, uint8_t byte8) {
  endpoint_id::array_type bytes{};
  bytes.fill(fill);
  bytes[6] = byte6;
  bytes[8] = byte8;
  return endpoint_id{bytes};
}

endpoint_id pick_id(unsigned selector) {
  switch (selector & 3) {
  case 0:
    return make_id(0x11, 0x41, 0x81);
  case 1:
    return make_id(0x22, 0x42, 0x82);
  case 2:
    return make_id(0x00, 0x40, 0x80);
  default:
    return make_id(0xff, 0x4f, 0xbf);
  }
}

/// Every output must be a sequence of complete, non-empty frames.
void check_output(const byte_buffer& output) {
  frame_reader reader;
  std::string error;
  require(reader.feed(
      output, [](byte_span) {}, error));
  require(reader.buffered() == 0);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2)
    return 0;
  unsigned control = data[0];
  size_t chunk_size = size_t{data[1]} + 1;
  byte_span stream{data + 2, size - 2};
  // The decoder on its own, fed the whole stream as one payload.
  {
    handshake_msg msg;
    ec code = ec::none;
    std::string reason;
    if (decode_handshake_msg(stream, msg, code, reason)) {
      byte_buffer out;
      encode(msg, out);
      check_output(out);
    } else {
      require(code != ec::none);
    }
  }
  auto role =
      (control & 1) ? handshake_role::initiator : handshake_role::acceptor;
  auto verdict = static_cast<handshake_verdict>(((control >> 3) & 3) % 3);
  bool delay_verdict = (control >> 5) & 1;
  handshake hs{role, pick_id(control >> 1), filter_type{topic{"/fuzz"}}};
  handshake_actions actions;
  hs.start(actions);
  frame_reader reader{64 * 1024};
  bool verdict_due = false;
  std::string error;
  auto on_frame = [&](byte_span payload) {
    if (hs.done()) {
      parse_phase3(payload);
      return true;
    }
    hs.on_frame(payload, actions);
    if (verdict_due) {
      verdict_due = false;
      hs.on_verdict(verdict, actions);
    } else if (actions.check_peer) {
      actions.check_peer = false;
      if (delay_verdict)
        verdict_due = true;
      else
        hs.on_verdict(verdict, actions);
    }
    if (hs.done()) {
      // Switch to phase 3 at exactly this frame boundary.
      return false;
    }
    return !hs.failed();
  };
  while (!stream.empty() && !hs.failed()) {
    auto n = chunk_size < stream.size ? chunk_size : stream.size;
    if (!reader.feed(stream.subspan(0, n), on_frame, error))
      break;
    stream = stream.subspan(n);
    if (hs.done() && reader.buffered() > 0) {
      reader.allow_empty_frames(true);
      if (!reader.feed({}, on_frame, error))
        break;
    } else if (hs.done()) {
      reader.allow_empty_frames(true);
    }
  }
  if (verdict_due)
    hs.on_verdict(verdict, actions);
  hs.on_timeout(actions, std::chrono::seconds{10});
  check_output(actions.output);
  require(hs.done() || hs.failed());
  if (hs.failed())
    require(actions.close && hs.error_code() != ec::none);
  return 0;
}
