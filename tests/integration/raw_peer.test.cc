// A test that speaks bytes to a live listener (or plays a listener): handshake
// errors answered with the documented drop_conn (spec: upstream-broker.md
// §4.3, §4.4), the guard rails of DESIGN.md §2, malformed phase-3 messages
// (DESIGN.md §5), peers() at each stage of a handshake, the BYE on the wire
// (§3.8), and the data layout of live status events against
// tests/vectors/status.txt.

#include "broker/endpoint.hh"

#include "format/bin.hh"
#include "support/endpoints.hh"
#include "support/raw_socket.hh"
#include "support/vectors.hh"
#include "wire/envelope.hh"
#include "wire/handshake.hh"

#include <catch2/catch.hpp>

#include <algorithm>
#include <future>
#include <thread>

using namespace broker;
using namespace broker::test;
using namespace std::chrono_literals;

namespace bin = broker::format::bin::v1;

using codes_t = std::vector<std::string>;

namespace {

// Fixed IDs of the vectors (vectors README, "Fixed endpoint ids").
endpoint_id id_of(const char* str) {
  endpoint_id result;
  REQUIRE(convert(std::string{str}, result));
  return result;
}

const char* id_p = "11111111-1111-4111-8111-111111111111";
const char* id_q = "22222222-2222-4222-8222-222222222222";
const char* id_r = "ffffffff-ffff-4fff-bfff-ffffffffffff";

std::vector<uint8_t> frame_of(const wire::handshake_msg& msg) {
  bin::byte_buffer out;
  wire::encode(msg, out);
  return out;
}

/// Reads the next frame and decodes it as a handshake message.
wire::handshake_msg read_handshake(raw_socket& sock,
                                   timespan timeout = wait_bound) {
  auto payload = sock.read_frame(timeout);
  REQUIRE(payload);
  wire::handshake_msg msg;
  ec code = ec::none;
  std::string reason;
  REQUIRE(wire::decode_handshake_msg(
      bin::byte_span{payload->data(), payload->size()}, msg, code, reason));
  return msg;
}

/// Expects a drop_conn with `code` whose description contains `text`, then
/// the connection to close.
void expect_drop_conn(raw_socket& sock, ec code, const std::string& text,
                      timespan timeout = wait_bound) {
  auto msg = read_handshake(sock, timeout);
  auto drop = std::get_if<wire::drop_conn_msg>(&msg);
  REQUIRE(drop);
  CHECK(drop->code == code);
  CHECK(drop->description.find(text) != std::string::npos);
  CHECK(sock.wait_closed(wait_bound));
}

/// Connects and consumes the listener's probe.
raw_socket connect_and_probe(uint16_t port) {
  auto sock = raw_socket::connect(port);
  auto msg = read_handshake(sock);
  REQUIRE(std::holds_alternative<wire::probe_msg>(msg));
  return sock;
}

/// Runs the initiator side of a handshake with a listener whose ID is
/// smaller than `own` (so the listener originates, spec §4.4 case B).
raw_socket raw_peering(uint16_t port, const endpoint_id& own,
                       filter_type filter) {
  auto sock = connect_and_probe(port);
  REQUIRE(sock.send(frame_of(wire::make_hello_msg(own))));
  auto vs = read_handshake(sock);
  REQUIRE(std::holds_alternative<wire::version_select_msg>(vs));
  auto syn = read_handshake(sock);
  REQUIRE(std::holds_alternative<wire::originator_syn_msg>(syn));
  REQUIRE(sock.send(frame_of(wire::responder_syn_ack_msg{std::move(filter)})));
  auto ack = read_handshake(sock);
  REQUIRE(std::holds_alternative<wire::originator_ack_msg>(ack));
  return sock;
}

std::vector<uint8_t> bytes_of(std::initializer_list<int> xs) {
  std::vector<uint8_t> result;
  for (auto x : xs)
    result.push_back(static_cast<uint8_t>(x));
  return result;
}

const codes_t added = {"endpoint_discovered", "peer_added"};

/// Reads the next frame into `frame` and parses it as an envelope (which
/// points into `frame`). Fails the current test (REQUIRE) on timeout or an
/// envelope that does not parse.
wire::envelope_view read_envelope(raw_socket& sock,
                                  std::vector<uint8_t>& frame) {
  auto got = sock.read_frame(wait_bound);
  REQUIRE(got);
  frame = std::move(*got);
  wire::envelope_view env;
  std::string err;
  auto ok = wire::parse_envelope(bin::byte_span{frame.data(), frame.size()},
                                 env, err);
  INFO("parse_envelope: " << err);
  REQUIRE(ok);
  return env;
}

/// Makes `ep` (whose ID must be below id_r) listen and peers with it as
/// id_r over a raw socket announcing `filter`. Fails the current test
/// (REQUIRE) unless `log` reports the peering.
raw_socket peered_raw_socket(endpoint& ep, event_log& log, filter_type filter) {
  auto port = ep.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  auto sock = raw_peering(port, id_of(id_r), std::move(filter));
  REQUIRE(log.codes(2) == added);
  return sock;
}

/// How many dropped messages an error event for malformed messages reports
/// ("dropped a malformed ..." = 1, "dropped N malformed ..." = N), or 0.
uint64_t dropped_in(const std::string& text) {
  if (text.rfind("dropped a malformed message", 0) == 0)
    return 1;
  if (text.rfind("dropped ", 0) == 0)
    return std::stoull(text.substr(8));
  return 0;
}

} // namespace

TEST_CASE("bad handshakes get the documented drop_conn", "[raw]") {
  auto cfg = test_config();
  endpoint ep{std::move(cfg), id_of(id_p)};
  auto port = ep.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  SECTION("wrong magic (vectors: handshake-e)") {
    auto sock = connect_and_probe(port);
    auto hello = frame_of(wire::make_hello_msg(id_of(id_r)));
    hello[5] = 0x12; // magic bytes follow length and tag
    hello[6] = 0x34;
    hello[7] = 0x56;
    hello[8] = 0x78;
    REQUIRE(sock.send(hello));
    expect_drop_conn(sock, ec::wrong_magic_number, "wrong magic number");
  }
  SECTION("unsupported versions 200-201 (vectors: handshake-d)") {
    auto sock = connect_and_probe(port);
    auto hello = wire::make_hello_msg(id_of(id_r));
    hello.min_version = 200;
    hello.max_version = 201;
    REQUIRE(sock.send(frame_of(hello)));
    expect_drop_conn(sock, ec::peer_incompatible,
                     "unsupported versions offered");
  }
  SECTION("an unexpected message") {
    auto sock = connect_and_probe(port);
    REQUIRE(sock.send(frame_of(wire::originator_ack_msg{})));
    expect_drop_conn(sock, ec::unexpected_handshake_message, "unexpected");
  }
  SECTION("garbage (an HTTP request)") {
    auto sock = connect_and_probe(port);
    std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    REQUIRE(sock.send(std::vector<uint8_t>{req.begin(), req.end()}));
    // "GET " read as a length prefix.
    expect_drop_conn(sock, ec::invalid_message,
                     "frame of 1195725856 bytes exceeds the handshake frame "
                     "limit (1048576)");
  }
  SECTION("garbage in a well-formed frame (unknown tag)") {
    auto sock = connect_and_probe(port);
    REQUIRE(sock.send(bytes_of({0x00, 0x00, 0x00, 0x03, 0x42, 0x13, 0x37})));
    expect_drop_conn(sock, ec::invalid_message, "invalid message type tag: 66");
  }
  SECTION("a 4 GiB length prefix") {
    auto sock = connect_and_probe(port);
    REQUIRE(sock.send(bytes_of({0xff, 0xff, 0xff, 0xff, 0x06})));
    expect_drop_conn(sock, ec::invalid_message,
                     "frame of 4294967295 bytes exceeds");
  }
  SECTION("an empty frame") {
    auto sock = connect_and_probe(port);
    REQUIRE(sock.send(bytes_of({0, 0, 0, 0})));
    expect_drop_conn(sock, ec::invalid_message, "");
  }
  SECTION("a stalled, half-sent frame hits the handshake deadline") {
    auto sock = connect_and_probe(port);
    REQUIRE(sock.send(bytes_of({0x00, 0x00, 0x00, 0x17, 0x06, 0x5a})));
    expect_drop_conn(sock, ec::peer_timeout, "timed out", 6s);
  }
  SECTION("a handshake that never finishes hits the deadline") {
    auto sock = connect_and_probe(port);
    REQUIRE(sock.send(frame_of(wire::make_hello_msg(id_of(id_r)))));
    CHECK(
        std::holds_alternative<wire::version_select_msg>(read_handshake(sock)));
    CHECK(
        std::holds_alternative<wire::originator_syn_msg>(read_handshake(sock)));
    expect_drop_conn(sock, ec::peer_timeout, "timed out", 6s);
  }
  // After each case, a well-behaved peer is still welcome.
  endpoint good{test_config()};
  event_log log{good};
  CHECK(good.peer("127.0.0.1", port, 0s));
  CHECK(log.codes(2) == added);
}

TEST_CASE("frames before the handshake completed are capped at 1 MiB",
          "[raw]") {
  SECTION("a length prefix above 1 MiB gets drop_conn") {
    endpoint ep{test_config(), id_of(id_p)};
    auto port = ep.listen("127.0.0.1", 0);
    REQUIRE(port != 0);
    auto sock = connect_and_probe(port);
    REQUIRE(sock.send(bytes_of({0x00, 0x10, 0x00, 0x01, 0x06})));
    expect_drop_conn(sock, ec::invalid_message,
                     "frame of 1048577 bytes exceeds the handshake frame "
                     "limit (1048576)");
  }
  SECTION("a smaller broker.max-frame-size lowers the cap") {
    auto cfg = test_config();
    cfg.set("broker.max-frame-size", uint64_t{4096});
    endpoint ep{std::move(cfg), id_of(id_p)};
    auto port = ep.listen("127.0.0.1", 0);
    REQUIRE(port != 0);
    auto sock = connect_and_probe(port);
    REQUIRE(sock.send(bytes_of({0x00, 0x00, 0x10, 0x01, 0x06})));
    expect_drop_conn(sock, ec::invalid_message,
                     "frame of 4097 bytes exceeds the handshake frame limit "
                     "(4096)");
  }
  SECTION("a frame of exactly 1 MiB passes, phase 3 allows more") {
    endpoint ep{test_config(), id_of(id_p)};
    auto sub = ep.make_subscriber({"/big"});
    auto port = ep.listen("127.0.0.1", 0);
    REQUIRE(port != 0);
    auto own = id_of(id_r);
    auto sock = connect_and_probe(port);
    // A hello padded to 1 MiB (trailing bytes are ignored, spec §4.3).
    auto hello = frame_of(wire::make_hello_msg(own));
    hello.resize(wire::frame_header_size + wire::max_handshake_frame_size);
    hello[0] = 0x00;
    hello[1] = 0x10;
    hello[2] = 0x00;
    hello[3] = 0x00;
    REQUIRE(sock.send(hello));
    REQUIRE(
        std::holds_alternative<wire::version_select_msg>(read_handshake(sock)));
    REQUIRE(
        std::holds_alternative<wire::originator_syn_msg>(read_handshake(sock)));
    REQUIRE(sock.send(frame_of(wire::responder_syn_ack_msg{})));
    REQUIRE(
        std::holds_alternative<wire::originator_ack_msg>(read_handshake(sock)));
    // Peered: broker.max-frame-size (16 MiB) applies now.
    std::string big(2 * 1024 * 1024, 'x');
    bin::byte_buffer out;
    wire::write_data_envelope(own, endpoint_id{}, 16, "/big", data{big}, out);
    REQUIRE(sock.send(out));
    auto msg = sub.get(wait_bound);
    REQUIRE(msg);
    CHECK(get_data(*msg) == data{big});
  }
}

TEST_CASE("peers() tells the truth at each stage of an outbound peering",
          "[raw][peers]") {
  auto cfg = test_config();
  cfg.set("broker.handshake-timeout", timespan{10s});
  endpoint ep{std::move(cfg), id_of(id_p)};
  event_log log{ep};
  auto own = id_of(id_r);
  raw_listener lst;
  auto entry = [&] {
    auto xs = peers_at(ep, "127.0.0.1", lst.port());
    REQUIRE(xs.size() == 1);
    CHECK(has_flags(xs[0].flags, peer_flags::remote | peer_flags::outbound));
    CHECK(!has_flags(xs[0].flags, peer_flags::inbound));
    return xs[0];
  };
  // Retry > 0: the request survives losses and failed attempts.
  ep.peer_nosync("127.0.0.1", lst.port(), 2s);
  // connecting: connected on TCP, our hello sent, no answer yet.
  auto conn = lst.accept(wait_bound);
  REQUIRE(conn);
  CHECK(std::holds_alternative<wire::hello_msg>(read_handshake(*conn)));
  auto x = entry();
  CHECK(x.status == peer_status::connecting);
  CHECK(!x.peer.node.valid());
  // connected: the peer said who it is; we (the smaller ID) originate.
  REQUIRE(conn->send(frame_of(wire::make_hello_msg(own))));
  CHECK(
      std::holds_alternative<wire::version_select_msg>(read_handshake(*conn)));
  CHECK(
      std::holds_alternative<wire::originator_syn_msg>(read_handshake(*conn)));
  x = entry();
  CHECK(x.status == peer_status::connected);
  CHECK(x.peer.node == own);
  // peered.
  REQUIRE(conn->send(frame_of(wire::responder_syn_ack_msg{})));
  CHECK(
      std::holds_alternative<wire::originator_ack_msg>(read_handshake(*conn)));
  CHECK(log.codes(2) == added);
  x = entry();
  CHECK(x.status == peer_status::peered);
  CHECK(x.peer.node == own);
  // reconnecting: the peer goes away; the request dials again at once.
  conn.reset();
  CHECK(log.codes(2) == codes_t{"peer_lost", "endpoint_unreachable"});
  conn = lst.accept(wait_bound);
  REQUIRE(conn);
  CHECK(std::holds_alternative<wire::hello_msg>(read_handshake(*conn)));
  x = entry();
  CHECK(x.status == peer_status::reconnecting);
  // disconnected: that attempt fails; the request waits for its retry
  // timer (2 s ± 20 %).
  conn.reset();
  CHECK(code_of(log.next()) == "error:peer_unavailable");
  x = entry();
  CHECK(x.status == peer_status::disconnected);
  // unpeer forgets it.
  CHECK(ep.unpeer("127.0.0.1", lst.port()));
  CHECK(ep.peers().empty());
}

TEST_CASE("peers() shows a request whose connection was redundant while it "
          "waits for the other handshake",
          "[raw][peers]") {
  auto cfg = test_config();
  cfg.set("broker.handshake-timeout", timespan{10s});
  endpoint ep{std::move(cfg), id_of(id_p)};
  auto port = ep.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  auto own = id_of(id_r);
  raw_listener lst;
  // R connects to us and stops before its last step (we originate).
  auto in = connect_and_probe(port);
  REQUIRE(in.send(frame_of(wire::make_hello_msg(own))));
  CHECK(std::holds_alternative<wire::version_select_msg>(read_handshake(in)));
  CHECK(std::holds_alternative<wire::originator_syn_msg>(read_handshake(in)));
  // Meanwhile we peer with R's listener, which calls that redundant.
  auto fut = ep.peer_async("127.0.0.1", lst.port(), 0s);
  auto out = lst.accept(wait_bound);
  REQUIRE(out);
  CHECK(std::holds_alternative<wire::hello_msg>(read_handshake(*out)));
  REQUIRE(out->send(frame_of(wire::make_drop_conn_msg(
      own, ec::redundant_connection, "redundant connection"))));
  CHECK(out->wait_closed(wait_bound));
  // The request is listed with the peer it waits for, and so is the
  // inbound handshake.
  CHECK(wait_until([&] {
    auto xs = peers_at(ep, "127.0.0.1", lst.port());
    return xs.size() == 1 && xs[0].status == peer_status::connected;
  }));
  auto xs = peers_at(ep, "127.0.0.1", lst.port());
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].peer.node == own);
  CHECK(has_flags(xs[0].flags, peer_flags::outbound));
  auto all = ep.peers();
  CHECK(all.size() == 2);
  CHECK(std::any_of(all.begin(), all.end(), [&](const peer_info& y) {
    return has_flags(y.flags, peer_flags::inbound) && y.peer.node == own &&
           y.status == peer_status::connected;
  }));
  // The inbound handshake completes: the request succeeds with it.
  REQUIRE(in.send(frame_of(wire::responder_syn_ack_msg{})));
  CHECK(std::holds_alternative<wire::originator_ack_msg>(read_handshake(in)));
  REQUIRE(fut.wait_for(wait_bound) == std::future_status::ready);
  CHECK(fut.get());
  all = ep.peers();
  REQUIRE(all.size() == 1);
  CHECK(all[0].status == peer_status::peered);
  CHECK(all[0].peer.node == own);
  CHECK(has_flags(all[0].flags, peer_flags::inbound));
}

TEST_CASE("unpeer sends the BYE ping and finishes on its pong", "[raw]") {
  // A BYE without an answer would take the unpeer timeout (30 s here).
  auto cfg = test_config();
  cfg.set("broker.unpeer-timeout", timespan{30s});
  endpoint ep{std::move(cfg), id_of(id_p)};
  event_log log{ep};
  auto port = ep.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  auto own = id_of(id_r);
  auto sock = raw_peering(port, own, {});
  CHECK(log.codes(2) == added);
  auto fut = std::async(std::launch::async, [&] {
    return ep.unpeer("127.0.0.1", sock.local_port());
  });
  // Frames until the BYE ping (heartbeat pings may come first); spec:
  // upstream-broker.md §3.8: "BYE" + 8 opaque bytes.
  std::optional<std::vector<uint8_t>> bye;
  for (int i = 0; i < 100 && !bye; ++i) {
    std::vector<uint8_t> frame;
    auto env = read_envelope(sock, frame);
    uint64_t id = 0;
    if (env.type == wire::envelope_type::ping &&
        wire::is_bye_payload(env.payload, id))
      bye = std::move(frame);
  }
  REQUIRE(bye);
  wire::envelope_view env;
  std::string err;
  REQUIRE(
      wire::parse_envelope(bin::byte_span{bye->data(), bye->size()}, env, err));
  CHECK(env.sender == ep.node_id());
  CHECK(env.receiver == own);
  CHECK(env.payload.size == 11);
  CHECK(std::string(env.payload.begin(), env.payload.begin() + 3) == "BYE");
  // The pong carries the same payload back.
  bin::byte_buffer pong;
  wire::write_pong_reply(env, pong);
  REQUIRE(sock.send(pong));
  REQUIRE(fut.wait_for(10s) == std::future_status::ready);
  CHECK(fut.get());
  CHECK(log.codes(2) == codes_t{"peer_removed", "endpoint_unreachable"});
  CHECK(sock.wait_closed(wait_bound));
}

TEST_CASE("the listener keeps serving peers while bad clients misbehave",
          "[raw]") {
  endpoint ep{test_config()};
  event_log log{ep};
  auto port = ep.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  std::vector<raw_socket> bad;
  for (int i = 0; i < 20; ++i) {
    bad.emplace_back(raw_socket::connect(port));
    // Half a frame, then silence.
    REQUIRE(bad.back().send(bytes_of({0x00, 0x00, 0x00, 0x17, 0x06})));
  }
  endpoint good{test_config()};
  CHECK(good.peer("127.0.0.1", port, 0s));
  CHECK(log.codes(2) == codes_t{"endpoint_discovered", "peer_added"});
  // The stalled ones are cut off at the deadline; the good peer stays.
  for (auto& sock : bad)
    CHECK(sock.wait_closed(8s));
  CHECK(num_peered(ep) == 1);
  CHECK(log.drain(200ms).empty());
}

TEST_CASE("connections beyond max-pending-handshakes are closed at once",
          "[raw]") {
  auto cfg = test_config();
  cfg.set("broker.max-pending-handshakes", uint64_t{2});
  endpoint ep{std::move(cfg)};
  auto port = ep.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  auto s1 = connect_and_probe(port);
  auto s2 = connect_and_probe(port);
  auto s3 = raw_socket::connect(port);
  // No probe for the third: closed right away.
  CHECK(s3.wait_closed(5s));
  // Once the stalled ones time out, peers are welcome again.
  CHECK(s1.wait_closed(8s));
  CHECK(s2.wait_closed(8s));
  endpoint good{test_config()};
  CHECK(good.peer("127.0.0.1", port, 0s));
}

TEST_CASE("malformed phase-3 messages are dropped, the peering stays",
          "[raw]") {
  endpoint ep{test_config(), id_of(id_p)};
  event_log log{ep};
  auto sub = ep.make_subscriber({"/t"});
  auto port = ep.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  auto own = id_of(id_r);
  auto sock = raw_peering(port, own, {});
  CHECK(log.codes(2) == codes_t{"endpoint_discovered", "peer_added"});
  bin::byte_buffer out;
  // Too short for an envelope header.
  wire::write_frame(bin::byte_span{reinterpret_cast<const uint8_t*>("xyz"), 3},
                    out);
  // A data envelope whose payload is not a value (unknown tag 0x0f).
  uint8_t bad_value[] = {0x0f};
  wire::write_envelope(own, endpoint_id{}, wire::envelope_type::data, 16, "/t",
                       bin::byte_span{bad_value, 1}, out);
  // A data envelope with trailing bytes after the value.
  uint8_t trailing[] = {0x01, 0x01, 0x00};
  wire::write_envelope(own, endpoint_id{}, wire::envelope_type::data, 16, "/t",
                       bin::byte_span{trailing, 3}, out);
  // An envelope of an unknown type.
  wire::write_envelope(own, endpoint_id{}, static_cast<wire::envelope_type>(9),
                       16, "/t", bin::byte_span{bad_value, 1}, out);
  // A good one.
  wire::write_data_envelope(own, endpoint_id{}, 16, "/t", data{count{42}}, out);
  // A ping: answered with a pong carrying the same payload.
  uint8_t foo[] = {'f', 'o', 'o'};
  wire::write_ping(own, ep.node_id(), bin::byte_span{foo, 3}, out, 1);
  REQUIRE(sock.send(out));
  auto msg = sub.get(wait_bound);
  REQUIRE(msg);
  CHECK(get_topic(*msg) == topic{"/t"});
  CHECK(get_data(*msg) == data{count{42}});
  // Read frames until the pong (heartbeat pings may come first).
  bool got_pong = false;
  for (int i = 0; i < 50 && !got_pong; ++i) {
    std::vector<uint8_t> frame;
    auto env = read_envelope(sock, frame);
    if (env.type == wire::envelope_type::pong) {
      got_pong = true;
      CHECK(env.sender == ep.node_id());
      CHECK(env.receiver == own);
      CHECK(env.topic == "<$>");
      CHECK(std::string{env.payload.begin(), env.payload.end()} == "foo");
    }
  }
  CHECK(got_pong);
  // DESIGN.md §5: an error event for the first one at once, the others
  // summed up a second later (rate limit), with the peer as context.
  auto first = log.next();
  CHECK(code_of(first) == "error:invalid_message");
  CHECK(context_of(first).node == own);
  REQUIRE(context_of(first).network);
  CHECK(context_of(first).network->address == "127.0.0.1");
  CHECK(message_of(first) == "dropped a malformed message from peer: "
                             "envelope of 3 bytes is shorter than the 37-byte "
                             "header");
  auto t0 = std::chrono::steady_clock::now();
  auto rest = log.next();
  CHECK(std::chrono::steady_clock::now() - t0 >= 500ms);
  CHECK(code_of(rest) == "error:invalid_message"); // the last one's
  CHECK(context_of(rest).node == own);
  CHECK(message_of(rest).rfind("dropped 3 malformed messages from peer since "
                               "the last report, the last: invalid envelope "
                               "type 9",
                               0) == 0);
  CHECK(log.drain(300ms).empty());
  CHECK(num_peered(ep) == 1);
}

TEST_CASE("a publisher's frames are the data envelopes of its messages, "
          "byte for byte",
          "[raw]") {
  // Publishers write whole frames on their own thread, under one header
  // made once (our ID, no receiver, broker.ttl, the topic); they must be
  // exactly the frames the envelope writer makes of the same messages.
  auto cfg = test_config();
  cfg.set("broker.ttl", uint64_t{7});
  endpoint ep{std::move(cfg), id_of(id_p)};
  event_log log{ep};
  auto sock = peered_raw_socket(ep, log, {"/p"});
  std::vector<data> values{data{count{42}}, data{"text"},
                           data{vector{data{1.5}, data{}, data{true}}},
                           data{std::string(3000, 'x')}};
  auto pub = ep.make_publisher("/p/q");
  for (auto& x : values)
    pub.publish(x);
  pub.publish(values);
  size_t matched = 0;
  for (int i = 0; i < 100 && matched < 2 * values.size(); ++i) {
    std::vector<uint8_t> frame;
    auto env = read_envelope(sock, frame);
    if (env.type != wire::envelope_type::data)
      continue; // a heartbeat ping
    bin::byte_buffer want;
    wire::write_data_envelope(ep.node_id(), endpoint_id{}, 7, "/p/q",
                              values[matched % values.size()], want);
    want.erase(want.begin(), want.begin() + 4); // read_frame drops the prefix
    CHECK(frame == want);
    ++matched;
  }
  CHECK(matched == 2 * values.size());
}

TEST_CASE("a flood of malformed messages yields few error events", "[raw]") {
  auto cfg = test_config();
  cfg.set("broker.heartbeat-timeout", timespan{30s});
  endpoint ep{std::move(cfg), id_of(id_p)};
  event_log log{ep};
  auto port = ep.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  auto own = id_of(id_r);
  auto sock = raw_peering(port, own, {});
  CHECK(log.codes(2) == added);
  constexpr uint64_t bursts = 5;
  constexpr uint64_t per_burst = 400;
  auto t0 = std::chrono::steady_clock::now();
  uint8_t bad_value[] = {0x0f};
  for (uint64_t i = 0; i < bursts; ++i) {
    bin::byte_buffer out;
    for (uint64_t j = 0; j < per_burst; ++j)
      wire::write_envelope(own, endpoint_id{}, wire::envelope_type::data, 16,
                           "/t", bin::byte_span{bad_value, 1}, out);
    REQUIRE(sock.send(out));
    std::this_thread::sleep_for(500ms);
  }
  // Every dropped message is counted in some event.
  uint64_t total = 0;
  size_t events = 0;
  while (total < bursts * per_burst) {
    auto x = log.next();
    REQUIRE(code_of(x) == "error:deserialization_failed");
    CHECK(context_of(x).node == own);
    auto n = dropped_in(message_of(x));
    REQUIRE(n > 0);
    total += n;
    ++events;
  }
  CHECK(total == bursts * per_burst);
  // At most one per second, plus the first.
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::steady_clock::now() - t0)
                  .count();
  CHECK(events >= 2);
  CHECK(events <= static_cast<size_t>(secs) + 2);
  CHECK(num_peered(ep) == 1);
}

TEST_CASE("an oversized phase-3 frame ends the peering with a reason",
          "[raw]") {
  auto cfg = test_config();
  cfg.set("broker.max-frame-size", uint64_t{4096});
  endpoint ep{std::move(cfg), id_of(id_p)};
  event_log log{ep};
  auto sock = peered_raw_socket(ep, log, {});
  REQUIRE(sock.send(bytes_of({0x00, 0x01, 0x00, 0x00})));
  auto x = log.next();
  CHECK(code_of(x) == "peer_removed");
  CHECK(message_of(x).find("exceeds broker.max-frame-size (4096)") !=
        std::string::npos);
  CHECK(code_of(log.next()) == "endpoint_unreachable");
  CHECK(sock.wait_closed(wait_bound));
}

// -- live status events vs. tests/vectors/status.txt --------------------------

namespace {

/// The `data` column of a status.txt row, decoded.
data vector_data(const std::string& row_name) {
  for (auto& row : load_vector_file("status.txt")) {
    if (row.name() == row_name && row.fields.at(1) == "data") {
      auto bytes = from_hex(row.fields.at(2));
      data result;
      bin::decode_error err;
      REQUIRE(
          bin::decode(bin::byte_span{bytes.data(), bytes.size()}, result, err));
      return result;
    }
  }
  FAIL("no data row " << row_name << " in status.txt");
  return {};
}

/// Returns the endpoint_info vector inside a status or error value.
vector& info_of(data& x) {
  auto& xs = get<vector>(x);
  if (get<std::string>(xs.at(0)) == "status")
    return get<vector>(xs.at(2));
  return get<vector>(get<vector>(xs.at(2)).at(0));
}

/// The vector row with its port replaced (tests cannot bind 9999, and inbound
/// peers have ephemeral ports).
data with_port(data x, uint16_t num) {
  info_of(x).at(2) = port{num, port::protocol::tcp};
  return x;
}

uint16_t port_in(const data& x) {
  auto copy = x;
  return get<port>(info_of(copy).at(2)).number();
}

} // namespace

TEST_CASE("live status events have upstream's data layout", "[raw][vectors]") {
  endpoint p{test_config(), id_of(id_p)};
  endpoint q{test_config(), id_of(id_q)};
  auto p_events = p.make_subscriber({topic::statuses(), topic::errors()});
  auto q_events = q.make_subscriber({topic::statuses()});
  auto next = [](subscriber& sub) {
    auto msg = sub.get(wait_bound);
    REQUIRE(msg);
    return get_data(*msg);
  };
  SECTION("outbound side and inbound side on 127.0.0.1") {
    auto port = q.listen("127.0.0.1", 0);
    REQUIRE(p.peer("127.0.0.1", port, 0s));
    CHECK(next(p_events) == vector_data("live_outbound_endpoint_discovered"));
    CHECK(next(p_events) ==
          with_port(vector_data("live_outbound_peer_added"), port));
    CHECK(next(q_events) ==
          vector_data("live_inbound_listen_127_0_0_1_endpoint_discovered"));
    auto added = next(q_events);
    auto eph = port_in(added);
    CHECK(added ==
          with_port(vector_data("live_inbound_listen_127_0_0_1_peer_added"),
                    eph));
    p.shutdown();
    CHECK(next(p_events) ==
          with_port(vector_data("live_outbound_peer_removed"), port));
    CHECK(next(p_events) == vector_data("live_outbound_endpoint_unreachable"));
    CHECK(
        next(q_events) ==
        with_port(vector_data("live_inbound_listen_127_0_0_1_peer_lost"), eph));
    CHECK(next(q_events) ==
          vector_data("live_inbound_listen_127_0_0_1_endpoint_unreachable"));
  }
  SECTION("inbound side on all interfaces") {
    auto port = q.listen("", 0);
    REQUIRE(p.peer("127.0.0.1", port, 0s));
    CHECK(next(q_events) ==
          vector_data("live_inbound_listen_any_endpoint_discovered"));
    auto added = next(q_events);
    CHECK(added == with_port(vector_data("live_inbound_listen_any_peer_added"),
                             port_in(added)));
  }
  SECTION("the error of a failed attempt") {
    auto port = unused_port();
    CHECK_FALSE(p.peer("127.0.0.1", port, 0s));
    CHECK(next(p_events) ==
          with_port(vector_data("live_outbound_error_peer_unavailable"), port));
  }
}
