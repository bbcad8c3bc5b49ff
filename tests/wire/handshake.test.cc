#include "wire/handshake.hh"

#include "wire/envelope.hh"
#include "wire/frame.hh"
#include "wire_test_util.hh"

#include "broker/data.hh"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>

using namespace broker;
using namespace broker::wire;
using namespace broker::test;
using namespace broker::test::wire;
using namespace std::literals;

namespace bin = broker::format::bin::v1;

namespace {

// -- helpers ------------------------------------------------------------------

/// Returns the hex of the frame that `msg` encodes to.
template <class Msg>
std::string frame_hex(const Msg& msg) {
  byte_buffer out;
  encode(msg, out);
  return hex(out);
}

/// Hand-assembles a drop_conn frame (independently of `encode`), spec
/// upstream-broker.md §4.3: length, tag 9, magic, sender, code, string.
std::string drop_conn_hex(const endpoint_id& sender, ec code,
                          std::string_view text) {
  REQUIRE(text.size() < 128); // one-byte varbyte
  auto payload_size = 1 + 4 + 16 + 1 + 1 + text.size();
  byte_buffer len;
  bin::write_u32(static_cast<uint32_t>(payload_size), len);
  byte_buffer tail{static_cast<uint8_t>(code),
                   static_cast<uint8_t>(text.size())};
  return hex(len) + "09" + "5a45454b" + hex(sender) + hex(tail) + hex(text);
}

int code_of(ec x) {
  return static_cast<int>(x);
}

/// A handshake plus the actions it produced so far.
struct machine {
  handshake hs;
  handshake_actions actions;

  machine(handshake_role role, endpoint_id own, filter_type filter = {})
      : hs(role, own, std::move(filter)) {}

  void start() { hs.start(actions); }

  /// Feeds one frame (length prefix included).
  void feed_frame(const byte_buffer& frame) {
    hs.on_frame(byte_span{frame}.subspan(frame_header_size), actions);
  }

  template <class Msg>
  void feed(const Msg& msg) {
    byte_buffer frame;
    encode(msg, frame);
    feed_frame(frame);
  }

  /// Returns the hex of every frame sent so far.
  std::vector<std::string> sent() const { return split_frames(actions.output); }

  /// Returns the hex of the last frame sent.
  std::string last_sent() const {
    auto frames = sent();
    REQUIRE(!frames.empty());
    return frames.back();
  }

  /// Answers a pending `check_peer`.
  void answer(handshake_verdict verdict) {
    REQUIRE(actions.check_peer);
    actions.check_peer = false;
    hs.on_verdict(verdict, actions);
  }
};

// -- transcripts --------------------------------------------------------------

struct transcript_case {
  const char* file;
  endpoint_id initiator;
  endpoint_id acceptor;
  filter_type initiator_filter;
  filter_type acceptor_filter;
};

std::vector<transcript_case> successful_transcripts() {
  return {
      {"handshake-a.txt", id_p, id_q, {}, {}},
      {"handshake-b.txt", id_q, id_p, {}, {}},
      {"handshake-c.txt", id_p, id_q, make_filter({"/a/one", "/zeek/event/x"}),
       make_filter({"/test"})},
      {"handshake-f.txt", id_p, id_q, make_filter({"/from/a"}),
       make_filter({"/from/i"})},
      {"handshake-g.txt", id_p, id_q, make_filter({"/x"}), {}},
  };
}

/// Index one past the last handshake frame (originator_ack, payload 0x0c).
size_t handshake_end(const std::vector<transcript_frame>& frames) {
  for (size_t i = 0; i < frames.size(); ++i)
    if (hex(frames[i].payload()) == "0c")
      return i + 1;
  FAIL("no originator_ack in transcript");
  return 0;
}

/// Replays a transcript with us in `role`: feeds the peer's frames through a
/// frame_reader (the whole peer stream at once, stopping when the handshake
/// ends, exactly as the connection code does) and checks our frames.
/// Returns the phase-3 bytes left in the reader.
void replay(const transcript_case& tc, handshake_role role) {
  bool we_initiate = role == handshake_role::initiator;
  INFO(tc.file << (we_initiate ? " as initiator" : " as acceptor"));
  auto frames = load_transcript(tc.file);
  auto end = handshake_end(frames);
  auto own = we_initiate ? tc.initiator : tc.acceptor;
  auto peer = we_initiate ? tc.acceptor : tc.initiator;
  machine m{role, own, we_initiate ? tc.initiator_filter : tc.acceptor_filter};
  m.start();
  std::vector<std::string> expected;
  byte_buffer peer_stream;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (frames[i].from_initiator == we_initiate) {
      if (i < end)
        expected.push_back(hex(frames[i].bytes));
    } else {
      peer_stream.insert(peer_stream.end(), frames[i].bytes.begin(),
                         frames[i].bytes.end());
    }
  }
  frame_reader reader;
  std::string error;
  REQUIRE(reader.feed(
      peer_stream,
      [&](byte_span payload) {
        m.hs.on_frame(payload, m.actions);
        if (m.actions.check_peer)
          m.answer(handshake_verdict::proceed);
        return !m.hs.done() && !m.hs.failed();
      },
      error));
  CHECK(m.sent() == expected);
  REQUIRE(m.hs.done());
  CHECK_FALSE(m.actions.close);
  CHECK(hex(m.hs.peer_id()) == hex(peer));
  CHECK(strings(m.hs.peer_filter()) ==
        strings(we_initiate ? tc.acceptor_filter : tc.initiator_filter));
  CHECK(m.hs.is_originator() == (own < peer));
  CHECK(m.hs.error_code() == ec::none);
  // What follows the handshake stays in the reader for phase 3.
  byte_buffer rest;
  for (size_t i = end; i < frames.size(); ++i)
    if (frames[i].from_initiator != we_initiate)
      rest.insert(rest.end(), frames[i].bytes.begin(), frames[i].bytes.end());
  CHECK(reader.buffered() == rest.size());
  reader.allow_empty_frames(true);
  std::vector<std::string> phase3;
  REQUIRE(reader.feed(
      {},
      [&](byte_span payload) {
        byte_buffer frame;
        write_frame(payload, frame);
        phase3.push_back(hex(frame));
      },
      error));
  CHECK(phase3 == split_frames(rest));
}

} // namespace

TEST_CASE("transcripts a, b, c, f, g replay in both roles",
          "[wire][handshake][transcript]") {
  for (auto& tc : successful_transcripts()) {
    replay(tc, handshake_role::initiator);
    replay(tc, handshake_role::acceptor);
  }
}

TEST_CASE("transcripts replay frame by frame with the verdict delayed",
          "[wire][handshake][transcript]") {
  // Same as above, but every peer frame is fed on its own and the verdict
  // is given only after the next peer frame arrived (if any).
  for (auto& tc : successful_transcripts()) {
    for (auto role : {handshake_role::initiator, handshake_role::acceptor}) {
      bool we_initiate = role == handshake_role::initiator;
      INFO(tc.file << (we_initiate ? " as initiator" : " as acceptor"));
      auto frames = load_transcript(tc.file);
      auto end = handshake_end(frames);
      machine m{role, we_initiate ? tc.initiator : tc.acceptor,
                we_initiate ? tc.initiator_filter : tc.acceptor_filter};
      m.start();
      std::vector<std::string> expected;
      bool verdict_due = false;
      for (size_t i = 0; i < end; ++i) {
        if (frames[i].from_initiator == we_initiate) {
          expected.push_back(hex(frames[i].bytes));
          continue;
        }
        m.feed_frame(frames[i].bytes);
        if (verdict_due) {
          m.answer(handshake_verdict::proceed);
          verdict_due = false;
        } else if (m.actions.check_peer) {
          verdict_due = true;
        }
      }
      if (verdict_due)
        m.answer(handshake_verdict::proceed);
      CHECK(m.sent() == expected);
      CHECK(m.hs.done());
    }
  }
}

TEST_CASE("transcripts d and e: the acceptor answers with drop_conn",
          "[wire][handshake][transcript]") {
  struct expectation {
    const char* file;
    ec code;
    const char* reason;
  };
  for (auto& x : {expectation{"handshake-d.txt", ec::peer_incompatible,
                              "unsupported versions offered"},
                  expectation{"handshake-e.txt", ec::wrong_magic_number,
                              "wrong magic number"}}) {
    INFO(x.file);
    auto frames = load_transcript(x.file);
    machine m{handshake_role::acceptor, id_p};
    m.start();
    std::vector<std::string> expected;
    for (auto& frame : frames) {
      if (frame.from_initiator)
        m.feed_frame(frame.bytes);
      else
        expected.push_back(hex(frame.bytes));
    }
    CHECK(m.sent() == expected);
    CHECK(m.hs.failed());
    CHECK(m.actions.close);
    CHECK_FALSE(m.actions.check_peer);
    CHECK(code_of(m.hs.error_code()) == code_of(x.code));
    CHECK(m.hs.error_reason() == x.reason);
    CHECK_FALSE(m.hs.peer_sent_drop_conn());
    CHECK(expected.back() == drop_conn_hex(id_p, x.code, x.reason));
  }
}

TEST_CASE("transcript d as the initiator: a received drop_conn fails "
          "without reply",
          "[wire][handshake][transcript]") {
  auto frames = load_transcript("handshake-d.txt");
  machine m{handshake_role::initiator, id_r};
  m.start();
  auto before = m.actions.output.size();
  for (auto& frame : frames)
    if (!frame.from_initiator)
      m.feed_frame(frame.bytes);
  CHECK(m.actions.output.size() == before);
  CHECK(m.hs.failed());
  CHECK(m.actions.close);
  CHECK(m.hs.peer_sent_drop_conn());
  CHECK_FALSE(m.hs.failed_redundant());
  CHECK(m.hs.error_code() == ec::peer_incompatible);
  CHECK(m.hs.error_reason() == "unsupported versions offered");
}

TEST_CASE("transcripts f and g: phase-3 frames after the handshake parse",
          "[wire][handshake][transcript]") {
  auto parse_rest = [](const char* file) {
    auto frames = load_transcript(file);
    auto end = handshake_end(frames);
    std::vector<std::pair<bool, envelope_view>> result;
    static std::vector<std::vector<transcript_frame>> keep_alive;
    keep_alive.push_back(frames);
    auto& stored = keep_alive.back();
    for (size_t i = end; i < stored.size(); ++i) {
      envelope_view view;
      std::string error;
      REQUIRE(parse_envelope(stored[i].payload(), view, error));
      result.emplace_back(stored[i].from_initiator, view);
    }
    return result;
  };
  auto check_bye = [](const envelope_view& ping, const envelope_view& pong) {
    CHECK(ping.type == envelope_type::ping);
    CHECK(pong.type == envelope_type::pong);
    CHECK(ping.topic == reserved_topic);
    CHECK(pong.topic == reserved_topic);
    uint64_t id = 0;
    CHECK(is_bye_payload(ping.payload, id));
    CHECK(id == 0x0100000000000010); // upstream's host-order bytes, read BE
    CHECK(hex(pong.payload) == hex(ping.payload));
    CHECK(hex(pong.sender) == hex(ping.receiver));
    CHECK(hex(pong.receiver) == hex(ping.sender));
    byte_buffer reply;
    write_pong_reply(ping, reply);
    envelope_view parsed;
    std::string error;
    REQUIRE(parse_envelope(byte_span{reply}.subspan(4), parsed, error));
    CHECK(hex(parsed.payload) == hex(pong.payload));
  };
  SECTION("f: one data message each way, then BYE") {
    auto rest = parse_rest("handshake-f.txt");
    REQUIRE(rest.size() == 4);
    auto check_data = [](const envelope_view& x, const endpoint_id& sender,
                         std::string_view topic, std::string text) {
      CHECK(x.type == envelope_type::data);
      CHECK(hex(x.sender) == hex(sender));
      CHECK(hex(x.receiver) == hex(endpoint_id::nil()));
      CHECK(x.ttl == default_ttl);
      CHECK(x.topic == topic);
      data value;
      bin::decode_error err;
      REQUIRE(bin::decode(x.payload, value, err));
      CHECK(value == data{text});
    };
    CHECK(rest[0].first);
    check_data(rest[0].second, id_p, "/from/i", "hello from I");
    CHECK_FALSE(rest[1].first);
    check_data(rest[1].second, id_q, "/from/a", "hello from A");
    check_bye(rest[2].second, rest[3].second);
  }
  SECTION("g: routing_update, then BYE") {
    auto rest = parse_rest("handshake-g.txt");
    REQUIRE(rest.size() == 3);
    auto& update = rest[0].second;
    CHECK_FALSE(rest[0].first);
    CHECK(update.type == envelope_type::routing_update);
    CHECK(update.topic == reserved_topic);
    CHECK(hex(update.sender) == hex(id_q));
    CHECK(hex(update.receiver) == hex(id_p));
    filter_type filter;
    std::string error;
    REQUIRE(parse_routing_update(update.payload, filter, error));
    CHECK(strings(filter) ==
          std::vector<std::string>{"/late/one", "/late/two"});
    byte_buffer ours;
    write_routing_update(id_q, id_p, filter, ours);
    auto frames = load_transcript("handshake-g.txt");
    CHECK(hex(ours) == hex(frames[handshake_end(frames)].bytes));
    check_bye(rest[1].second, rest[2].second);
  }
}

// -- every state × every message ----------------------------------------------

namespace {

/// Drives a machine (own ID `own`, peer `peer`) into `state`.
struct state_setup {
  const char* name;
  handshake_state state;
  handshake_role role;
  endpoint_id own;
  endpoint_id peer;
  const char* awaited;
  /// Tags handled in this state (everything else is unexpected).
  std::vector<msg_tag> expected;
};

std::vector<state_setup> all_states() {
  using t = msg_tag;
  using s = handshake_state;
  using r = handshake_role;
  return {
      {"awaiting_start",
       s::awaiting_start,
       r::acceptor,
       id_p,
       id_q,
       "start",
       {}},
      {"awaiting_hello",
       s::awaiting_hello,
       r::acceptor,
       id_p,
       id_q,
       "hello",
       {t::hello, t::drop_conn}},
      {"awaiting_hello_or_version_select",
       s::awaiting_hello_or_version_select,
       r::initiator,
       id_p,
       id_q,
       "hello or version_select",
       {t::probe, t::hello, t::version_select, t::drop_conn}},
      {"awaiting_version_select",
       s::awaiting_version_select,
       r::acceptor,
       id_q,
       id_p,
       "version_select",
       {t::version_select, t::drop_conn}},
      {"awaiting_originator_syn (acceptor)",
       s::awaiting_originator_syn,
       r::acceptor,
       id_q,
       id_p,
       "originator_syn",
       {t::originator_syn, t::drop_conn}},
      {"awaiting_originator_syn (initiator)",
       s::awaiting_originator_syn,
       r::initiator,
       id_q,
       id_p,
       "originator_syn",
       {t::originator_syn, t::drop_conn}},
      {"awaiting_responder_syn_ack (initiator)",
       s::awaiting_responder_syn_ack,
       r::initiator,
       id_p,
       id_q,
       "responder_syn_ack",
       {t::responder_syn_ack, t::drop_conn}},
      {"awaiting_responder_syn_ack (acceptor)",
       s::awaiting_responder_syn_ack,
       r::acceptor,
       id_p,
       id_q,
       "responder_syn_ack",
       {t::responder_syn_ack, t::drop_conn}},
      {"awaiting_originator_ack",
       s::awaiting_originator_ack,
       r::acceptor,
       id_q,
       id_p,
       "originator_ack",
       {t::originator_ack, t::drop_conn}},
  };
}

/// Brings `m` (built from `setup`) into `setup.state`.
void drive(machine& m, const state_setup& setup) {
  using s = handshake_state;
  if (setup.state == s::awaiting_start)
    return;
  m.start();
  auto peer = setup.peer;
  bool acceptor = setup.role == handshake_role::acceptor;
  bool originator = setup.own < peer;
  switch (setup.state) {
  case s::awaiting_hello:
  case s::awaiting_hello_or_version_select:
    break;
  case s::awaiting_version_select:
    m.feed(make_hello_msg(peer));
    break;
  case s::awaiting_originator_syn:
  case s::awaiting_originator_ack:
    REQUIRE_FALSE(originator);
    if (acceptor)
      m.feed(make_hello_msg(peer));
    else
      m.feed(make_probe_msg());
    m.feed(make_version_select_msg(peer));
    m.answer(handshake_verdict::proceed);
    if (setup.state == s::awaiting_originator_ack)
      m.feed(make_originator_syn_msg({}));
    break;
  case s::awaiting_responder_syn_ack:
    REQUIRE(originator);
    m.feed(make_hello_msg(peer));
    m.answer(handshake_verdict::proceed);
    break;
  default:
    FAIL("cannot drive into this state");
  }
  REQUIRE(m.hs.state() == setup.state);
  REQUIRE_FALSE(m.actions.close);
}

handshake_msg sample_msg(msg_tag tag, const endpoint_id& peer) {
  switch (tag) {
  case msg_tag::hello:
    return make_hello_msg(peer);
  case msg_tag::probe:
    return make_probe_msg();
  case msg_tag::version_select:
    return make_version_select_msg(peer);
  case msg_tag::drop_conn:
    return make_drop_conn_msg(peer, ec::shutting_down, "shutting down");
  case msg_tag::originator_syn:
    return make_originator_syn_msg(make_filter({"/x"}));
  case msg_tag::responder_syn_ack:
    return make_responder_syn_ack_msg(make_filter({"/y"}));
  case msg_tag::originator_ack:
    return make_originator_ack_msg();
  }
  FAIL("bad tag");
  return {};
}

constexpr msg_tag all_tags[] = {
    msg_tag::hello,          msg_tag::probe,
    msg_tag::version_select, msg_tag::drop_conn,
    msg_tag::originator_syn, msg_tag::responder_syn_ack,
    msg_tag::originator_ack,
};

} // namespace

TEST_CASE("every unexpected message in every state: drop_conn + close",
          "[wire][handshake][errors]") {
  size_t unexpected_cases = 0;
  for (auto& setup : all_states()) {
    for (auto tag : all_tags) {
      bool expected = std::find(setup.expected.begin(), setup.expected.end(),
                                tag) != setup.expected.end();
      if (expected)
        continue;
      INFO(setup.name << " receives " << to_string(tag));
      machine m{setup.role, setup.own};
      drive(m, setup);
      auto before = m.sent().size();
      m.feed(sample_msg(tag, setup.peer));
      auto reason = "unexpected "s + std::string{to_string(tag)} +
                    " while awaiting " + setup.awaited;
      CHECK(m.hs.failed());
      CHECK(m.actions.close);
      CHECK(m.sent().size() == before + 1);
      CHECK(m.last_sent() ==
            drop_conn_hex(setup.own, ec::unexpected_handshake_message, reason));
      CHECK(m.hs.error_code() == ec::unexpected_handshake_message);
      CHECK(m.hs.error_reason() == reason);
      CHECK_FALSE(m.hs.peer_sent_drop_conn());
      // Anything after the failure is ignored.
      auto size = m.actions.output.size();
      m.feed(sample_msg(tag, setup.peer));
      m.hs.on_timeout(m.actions);
      m.hs.on_verdict(handshake_verdict::proceed, m.actions);
      m.hs.start(m.actions);
      CHECK(m.actions.output.size() == size);
      CHECK(m.hs.error_reason() == reason);
      ++unexpected_cases;
    }
  }
  CHECK(unexpected_cases == 9 * 7 - 18);
}

TEST_CASE("a received drop_conn in every state fails without reply",
          "[wire][handshake][errors]") {
  for (auto& setup : all_states()) {
    if (setup.state == handshake_state::awaiting_start)
      continue;
    INFO(setup.name);
    machine m{setup.role, setup.own};
    drive(m, setup);
    auto size = m.actions.output.size();
    m.feed(make_drop_conn_msg(setup.peer, ec::redundant_connection,
                              "redundant connection"));
    CHECK(m.actions.output.size() == size);
    CHECK(m.hs.failed());
    CHECK(m.actions.close);
    CHECK(m.hs.failed_redundant());
    CHECK(m.hs.peer_sent_drop_conn());
    CHECK(m.hs.error_code() == ec::redundant_connection);
    CHECK(m.hs.error_reason() == "redundant connection");
  }
}

TEST_CASE("a drop_conn with a code of 41 or more is a decode error",
          "[wire][handshake][errors]") {
  // spec: upstream-broker.md §2.2 quirk, §4.3: a received drop_conn whose
  // code is >= 41 counts as a decode error with code `unspecified` and the
  // sender's description; invalid_json (41) included.
  constexpr size_t code_offset = 4 + 1 + 4 + 16; // length, tag, magic, id
  auto frame = from_hex(drop_conn_hex(id_q, ec::unspecified, "weird"));
  for (unsigned raw : {41u, 42u, 100u, 255u}) {
    INFO("code " << raw);
    frame[code_offset] = static_cast<uint8_t>(raw);
    handshake_msg msg;
    ec code = ec::none;
    std::string reason;
    CHECK_FALSE(decode_handshake_msg(
        byte_span{frame}.subspan(frame_header_size), msg, code, reason));
    CHECK(code == ec::unspecified);
    CHECK(reason == "weird");
    machine m{handshake_role::acceptor, id_p};
    m.start();
    m.feed_frame(frame);
    CHECK(m.hs.failed());
    CHECK(m.actions.close);
    CHECK_FALSE(m.hs.peer_sent_drop_conn());
    CHECK(m.hs.error_code() == ec::unspecified);
    CHECK(m.hs.error_reason() == "weird");
    CHECK(m.last_sent() == drop_conn_hex(id_p, ec::unspecified, "weird"));
  }
}

TEST_CASE("a drop_conn with a code up to 40 is the peer's error",
          "[wire][handshake][errors]") {
  constexpr size_t code_offset = 4 + 1 + 4 + 16;
  auto frame = from_hex(drop_conn_hex(id_q, ec::unspecified, "weird"));
  for (auto sent : {ec::none, ec::unspecified, ec::logic_error}) {
    INFO("code " << code_of(sent));
    frame[code_offset] = static_cast<uint8_t>(sent);
    handshake_msg msg;
    ec code = ec::none;
    std::string reason;
    REQUIRE(decode_handshake_msg(byte_span{frame}.subspan(frame_header_size),
                                 msg, code, reason));
    auto* drop = std::get_if<drop_conn_msg>(&msg);
    REQUIRE(drop);
    CHECK(drop->code == sent);
    CHECK(drop->description == "weird");
  }
  machine m{handshake_role::acceptor, id_p};
  m.start();
  auto size = m.actions.output.size();
  m.feed_frame(frame); // logic_error (40), the last accepted code
  CHECK(m.hs.peer_sent_drop_conn());
  CHECK(m.hs.error_code() == ec::logic_error);
  CHECK(m.hs.error_reason() == "weird");
  CHECK(m.actions.output.size() == size); // no drop_conn back
}

TEST_CASE("verdicts: redundant and shutting_down for both roles",
          "[wire][handshake][verdict]") {
  std::map<std::string, std::string> rows;
  for (auto& row : load_vector_file("envelopes.txt"))
    rows[row.name()] = row.fields.at(1);
  SECTION("originator acceptor, redundant: upstream's exact bytes") {
    machine m{handshake_role::acceptor, id_s};
    m.start();
    m.feed(make_hello_msg(id_p));
    CHECK(m.hs.is_originator());
    CHECK(m.actions.output.size() == 9); // only the probe so far
    m.answer(handshake_verdict::redundant);
    CHECK(m.last_sent() == rows.at("hs_drop_conn_redundant_connection"));
    CHECK(m.hs.failed());
    CHECK(m.actions.close);
    CHECK(m.hs.error_code() == ec::redundant_connection);
    CHECK(m.hs.error_reason() == "redundant connection");
    CHECK_FALSE(m.hs.failed_redundant()); // we sent it, not the peer
  }
  SECTION("originator initiator, redundant") {
    machine m{handshake_role::initiator, id_p};
    m.start();
    m.feed(make_probe_msg());
    m.feed(make_hello_msg(id_q));
    m.answer(handshake_verdict::redundant);
    CHECK(m.sent().size() == 2);
    CHECK(m.last_sent() == drop_conn_hex(id_p, ec::redundant_connection,
                                         "redundant connection"));
    CHECK(m.actions.close);
  }
  SECTION("responder, redundant: logic_error") {
    for (auto role : {handshake_role::initiator, handshake_role::acceptor}) {
      machine m{role, id_q};
      m.start();
      if (role == handshake_role::acceptor)
        m.feed(make_hello_msg(id_p));
      m.feed(make_version_select_msg(id_p));
      CHECK_FALSE(m.hs.is_originator());
      m.answer(handshake_verdict::redundant);
      CHECK(m.last_sent() ==
            drop_conn_hex(id_q, ec::logic_error,
                          "detected redundant connection at the "
                          "responder"));
      CHECK(m.hs.failed());
      CHECK(m.actions.close);
      CHECK(m.hs.error_code() == ec::logic_error);
    }
  }
  SECTION("shutting_down, both sides") {
    machine originator{handshake_role::acceptor, id_p};
    originator.start();
    originator.feed(make_hello_msg(id_q));
    originator.answer(handshake_verdict::shutting_down);
    CHECK(originator.last_sent() ==
          drop_conn_hex(id_p, ec::shutting_down, "shutting down"));
    CHECK(originator.hs.error_code() == ec::shutting_down);
    machine responder{handshake_role::initiator, id_q};
    responder.start();
    responder.feed(make_version_select_msg(id_p));
    responder.answer(handshake_verdict::shutting_down);
    CHECK(responder.last_sent() ==
          drop_conn_hex(id_q, ec::shutting_down, "shutting down"));
    CHECK(responder.actions.close);
  }
  SECTION("a verdict nobody asked for is ignored") {
    machine m{handshake_role::initiator, id_p};
    m.start();
    auto size = m.actions.output.size();
    m.hs.on_verdict(handshake_verdict::redundant, m.actions);
    CHECK(m.actions.output.size() == size);
    CHECK(m.hs.state() == handshake_state::awaiting_hello_or_version_select);
  }
}

TEST_CASE("frames arriving while a verdict is pending are kept in order",
          "[wire][handshake][verdict]") {
  SECTION("responder: originator_syn right behind version_select") {
    machine m{handshake_role::acceptor, id_q, make_filter({"/q"})};
    m.start();
    m.feed(make_hello_msg(id_p));
    m.feed(make_version_select_msg(id_p));
    REQUIRE(m.actions.check_peer);
    CHECK(m.hs.state() == handshake_state::awaiting_responder_verdict);
    auto size = m.actions.output.size();
    m.feed(make_originator_syn_msg(make_filter({"/p"})));
    CHECK(m.actions.output.size() == size);
    m.answer(handshake_verdict::proceed);
    CHECK(m.last_sent() ==
          frame_hex(make_responder_syn_ack_msg(make_filter({"/q"}))));
    CHECK(strings(m.hs.peer_filter()) == std::vector<std::string>{"/p"});
    m.feed(make_originator_ack_msg());
    CHECK(m.hs.done());
  }
  SECTION("responder: redundant verdict discards the queued frames") {
    machine m{handshake_role::initiator, id_q};
    m.start();
    m.feed(make_version_select_msg(id_p));
    m.feed(make_originator_syn_msg({}));
    m.answer(handshake_verdict::redundant);
    CHECK(m.sent().size() == 2);
    CHECK(m.hs.failed());
    CHECK(m.hs.error_code() == ec::logic_error);
  }
  SECTION("originator: a queued drop_conn is handled after our messages") {
    machine m{handshake_role::initiator, id_p};
    m.start();
    m.feed(make_hello_msg(id_q));
    m.feed(make_drop_conn_msg(id_q, ec::peer_timeout, "too slow"));
    CHECK_FALSE(m.hs.failed());
    m.answer(handshake_verdict::proceed);
    CHECK(m.sent().size() == 3); // hello, version_select, originator_syn
    CHECK(m.hs.failed());
    CHECK(m.hs.peer_sent_drop_conn());
    CHECK(m.hs.error_code() == ec::peer_timeout);
    CHECK(m.hs.error_reason() == "too slow");
  }
  SECTION("a queued syn + premature ack completes with nothing left") {
    machine m{handshake_role::acceptor, id_q};
    m.start();
    m.feed(make_hello_msg(id_p));
    m.feed(make_version_select_msg(id_p));
    m.feed(make_originator_syn_msg({}));
    m.feed(make_originator_ack_msg());
    m.answer(handshake_verdict::proceed);
    CHECK(m.hs.done());
  }
  SECTION("frames beyond a completing queued frame are never consumed") {
    machine m{handshake_role::acceptor, id_p};
    m.start();
    m.feed(make_hello_msg(id_q));
    m.feed(make_responder_syn_ack_msg({}));
    byte_buffer phase3;
    write_ping(id_q, id_p, byte_span{}, phase3);
    m.feed_frame(phase3);
    m.answer(handshake_verdict::proceed);
    CHECK(m.hs.failed());
    CHECK(m.last_sent() == drop_conn_hex(id_p, ec::unexpected_handshake_message,
                                         "unexpected frame after a premature "
                                         "responder_syn_ack"));
  }
  SECTION("too many frames while waiting") {
    machine m{handshake_role::acceptor, id_q};
    m.start();
    m.feed(make_hello_msg(id_p));
    m.feed(make_version_select_msg(id_p));
    for (size_t i = 0; i < max_queued_frames; ++i)
      m.feed(make_probe_msg());
    CHECK_FALSE(m.hs.failed());
    m.feed(make_probe_msg());
    CHECK(m.hs.failed());
    CHECK(m.last_sent() ==
          drop_conn_hex(id_q, ec::unexpected_handshake_message,
                        "unexpected frame: 3 frames arrived while "
                        "awaiting the peer check"));
  }
  SECTION("a queued decode error is reported after the verdict") {
    machine m{handshake_role::acceptor, id_q};
    m.start();
    m.feed(make_hello_msg(id_p));
    m.feed(make_version_select_msg(id_p));
    m.feed_frame(from_hex("000000020a05"));
    m.answer(handshake_verdict::proceed);
    CHECK(m.hs.failed());
    CHECK(m.hs.error_code() == ec::invalid_message);
    CHECK(m.hs.error_reason() ==
          "failed to parse originator_syn: filter claims 5 entries but "
          "only 0 bytes remain");
  }
}

TEST_CASE("timeouts", "[wire][handshake][errors]") {
  SECTION("with the deadline in the message") {
    machine m{handshake_role::acceptor, id_p};
    m.start();
    m.hs.on_timeout(m.actions, std::chrono::seconds{10});
    CHECK(m.hs.failed());
    CHECK(m.actions.close);
    CHECK(m.hs.error_code() == ec::peer_timeout);
    CHECK(m.last_sent() ==
          drop_conn_hex(id_p, ec::peer_timeout,
                        "handshake timed out after 10 s while awaiting "
                        "hello"));
  }
  SECTION("sub-second deadline, verdict pending") {
    machine m{handshake_role::acceptor, id_p};
    m.start();
    m.feed(make_hello_msg(id_q));
    m.hs.on_timeout(m.actions, std::chrono::milliseconds{1500});
    CHECK(m.hs.error_reason() ==
          "handshake timed out after 1500 ms while awaiting the peer "
          "check");
    // A late verdict changes nothing.
    auto size = m.actions.output.size();
    m.hs.on_verdict(handshake_verdict::proceed, m.actions);
    CHECK(m.actions.output.size() == size);
  }
  SECTION("without a deadline") {
    machine m{handshake_role::initiator, id_q};
    m.start();
    m.feed(make_version_select_msg(id_p));
    m.answer(handshake_verdict::proceed);
    m.hs.on_timeout(m.actions);
    CHECK(m.hs.error_reason() ==
          "handshake timed out while awaiting originator_syn");
  }
  SECTION("after success the timer is ignored") {
    machine m{handshake_role::initiator, id_q};
    m.start();
    m.feed(make_version_select_msg(id_p));
    m.answer(handshake_verdict::proceed);
    m.feed(make_originator_syn_msg({}));
    m.feed(make_originator_ack_msg());
    REQUIRE(m.hs.done());
    auto size = m.actions.output.size();
    m.hs.on_timeout(m.actions);
    CHECK(m.hs.done());
    CHECK(m.actions.output.size() == size);
  }
}

TEST_CASE("self-peering and bogus IDs", "[wire][handshake][errors]") {
  SECTION("acceptor gets a hello with its own ID") {
    machine m{handshake_role::acceptor, id_p};
    m.start();
    m.feed(make_hello_msg(id_p));
    CHECK(m.hs.failed());
    CHECK(m.last_sent() == drop_conn_hex(id_p, ec::invalid_peering_request,
                                         "cannot peer with itself"));
  }
  SECTION("initiator gets a version_select or hello with its own ID") {
    machine m{handshake_role::initiator, id_p};
    m.start();
    m.feed(make_version_select_msg(id_p));
    CHECK(m.hs.error_code() == ec::invalid_peering_request);
    CHECK(m.hs.error_reason() == "cannot peer with itself");
    machine m2{handshake_role::initiator, id_p};
    m2.start();
    m2.feed(make_hello_msg(id_p));
    CHECK(m2.hs.error_reason() == "cannot peer with itself");
  }
  SECTION("nil ID") {
    machine m{handshake_role::acceptor, id_p};
    m.start();
    m.feed(make_hello_msg(endpoint_id::nil()));
    CHECK(m.hs.error_code() == ec::invalid_peering_request);
    CHECK(m.hs.error_reason() == "peer claims the nil endpoint ID");
  }
  SECTION("initiator: hello from a smaller ID") {
    machine m{handshake_role::initiator, id_q};
    m.start();
    m.feed(make_hello_msg(id_p));
    CHECK(m.hs.error_code() == ec::unexpected_handshake_message);
    CHECK(m.hs.error_reason() ==
          "unexpected hello while awaiting version_select (the peer has "
          "the smaller ID and must originate)");
  }
  SECTION("initiator: version_select from a larger ID") {
    machine m{handshake_role::initiator, id_p};
    m.start();
    m.feed(make_version_select_msg(id_q));
    CHECK(m.hs.error_reason() ==
          "unexpected version_select while awaiting hello (the peer has "
          "the larger ID and must respond)");
  }
  SECTION("acceptor: version_select from another ID than the hello") {
    machine m{handshake_role::acceptor, id_r};
    m.start();
    m.feed(make_hello_msg(id_p));
    m.feed(make_version_select_msg(id_q));
    CHECK(m.hs.error_reason() ==
          "unexpected version_select from another endpoint than the "
          "hello");
  }
}

TEST_CASE("decode errors are answered with drop_conn",
          "[wire][handshake][errors]") {
  struct bad_frame {
    const char* hex;
    ec code;
    const char* reason;
  };
  bad_frame cases[] = {
      {"0000000101", ec::invalid_message, "invalid message type tag: 1"},
      {"00000001ff", ec::invalid_message, "invalid message type tag: 255"},
      {"00000003065a45", ec::invalid_message,
       "failed to parse hello: truncated body (2 bytes after the tag, need "
       "22)"},
      {"00000001 07", ec::invalid_message,
       "failed to parse probe: truncated body (0 bytes after the tag, need 4)"},
      {"00000017065a45454b111111111111411181111111111111110100",
       ec::peer_incompatible, "unsupported versions offered"},
      {"00000017065a45454b111111111111411181111111111111110202",
       ec::peer_incompatible, "unsupported versions offered"},
      {"00000017060000000011111111111141118111111111111111ffff",
       ec::wrong_magic_number, "wrong magic number"},
  };
  for (auto& c : cases) {
    std::string h = c.hex;
    h.erase(std::remove(h.begin(), h.end(), ' '), h.end());
    INFO(h);
    machine m{handshake_role::acceptor, id_q};
    m.start();
    m.feed_frame(from_hex(h));
    CHECK(m.hs.failed());
    CHECK(m.actions.close);
    CHECK(m.hs.error_code() == c.code);
    if (*c.reason != '\0') {
      CHECK(m.hs.error_reason() == c.reason);
      CHECK(m.last_sent() == drop_conn_hex(id_q, c.code, c.reason));
    }
  }
  SECTION("version_select with version 2") {
    machine m{handshake_role::initiator, id_q};
    m.start();
    auto msg = make_version_select_msg(id_p);
    msg.selected_version = 2;
    m.feed(msg);
    CHECK(m.hs.error_code() == ec::peer_incompatible);
    CHECK(m.hs.error_reason() == "unsupported version selected");
  }
  SECTION("hello with a version range around 1 is fine") {
    machine m{handshake_role::acceptor, id_q};
    m.start();
    auto msg = make_hello_msg(id_p);
    msg.min_version = 0;
    msg.max_version = 7;
    m.feed(msg);
    CHECK(m.hs.state() == handshake_state::awaiting_version_select);
  }
  SECTION("trailing bytes after a valid body are ignored") {
    machine m{handshake_role::acceptor, id_q};
    m.start();
    auto frame = from_hex("00000019065a45454b1111111111114111811111111111111101"
                          "01abcd");
    m.feed_frame(frame);
    CHECK(m.hs.state() == handshake_state::awaiting_version_select);
  }
}

TEST_CASE("start is idempotent and sends the role's greeting",
          "[wire][handshake]") {
  machine acceptor{handshake_role::acceptor, id_p};
  acceptor.start();
  acceptor.start();
  CHECK(acceptor.sent() == std::vector<std::string>{"00000005075a45454b"});
  machine initiator{handshake_role::initiator, id_s};
  initiator.start();
  initiator.start();
  CHECK(initiator.sent() ==
        std::vector<std::string>{
            "00000017065a45454b000000000000400080000000000000000101"});
  CHECK(to_string(initiator.hs.state()) == "awaiting_hello_or_version_select");
}

TEST_CASE("random frames never crash the machine",
          "[wire][handshake][errors]") {
  std::mt19937 rng{7};
  std::uniform_int_distribution<int> byte_dist{0, 255};
  std::uniform_int_distribution<size_t> size_dist{0, 40};
  std::uniform_int_distribution<int> tag_dist{5, 13};
  for (int round = 0; round < 5000; ++round) {
    auto role =
        round % 2 ? handshake_role::initiator : handshake_role::acceptor;
    machine m{role, round % 3 ? id_p : id_q};
    m.start();
    for (int i = 0; i < 6 && !m.hs.done() && !m.hs.failed(); ++i) {
      byte_buffer payload(size_dist(rng));
      for (auto& b : payload)
        b = static_cast<uint8_t>(byte_dist(rng));
      if (!payload.empty())
        payload[0] = static_cast<uint8_t>(tag_dist(rng));
      m.hs.on_frame(payload, m.actions);
      if (m.actions.check_peer) {
        m.actions.check_peer = false;
        m.hs.on_verdict(static_cast<handshake_verdict>(round % 3), m.actions);
      }
    }
    if (m.hs.failed())
      CHECK(m.actions.close);
    (void)m.sent(); // output is always a sequence of complete frames
  }
}
