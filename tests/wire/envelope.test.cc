#include "wire/envelope.hh"

#include "format/truncation.hh"
#include "wire/handshake.hh"
#include "wire_test_util.hh"

#include "broker/data.hh"

#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <utility>

using namespace broker;
using namespace broker::wire;
using namespace broker::test;
using namespace broker::test::wire;
using namespace std::literals;

namespace bin = broker::format::bin::v1;

namespace {

// -- expected contents of the envelopes.txt rows ------------------------------

/// A Zeek event `ping(42)` (spec: upstream-broker.md §4.7), optionally with a
/// metadata vector.
data zeek_ping42(std::optional<broker::vector> metadata) {
  broker::vector content{data{"ping"s}, data{broker::vector{data{count{42}}}}};
  if (metadata)
    content.emplace_back(std::move(*metadata));
  return data{
      broker::vector{data{count{1}}, data{count{1}}, data{std::move(content)}}};
}

/// What an envelope row holds.
struct envelope_row {
  endpoint_id sender;
  endpoint_id receiver;
  envelope_type type;
  std::string topic;
  std::optional<data> value;         // data envelopes
  std::optional<filter_type> filter; // routing_update
  std::string opaque;                // ping / pong
};

std::map<std::string, envelope_row> envelope_rows() {
  auto ts = timestamp{timespan{1700000000123456789}};
  auto data_row = [](endpoint_id receiver, data value) {
    return envelope_row{id_s,    receiver,         envelope_type::data,
                        "/test", std::move(value), std::nullopt,
                        ""};
  };
  std::map<std::string, envelope_row> rows;
  rows["data_test_count42_broadcast"] =
      data_row(endpoint_id::nil(), data{count{42}});
  rows["data_test_count42_unicast"] = data_row(id_p, data{count{42}});
  rows["data_test_zeek_event_ping42_no_metadata"] =
      data_row(endpoint_id::nil(), zeek_ping42(std::nullopt));
  rows["data_test_zeek_event_ping42_empty_metadata"] =
      data_row(endpoint_id::nil(), zeek_ping42(broker::vector{}));
  rows["data_test_zeek_event_ping42_ts_metadata"] = data_row(
      endpoint_id::nil(), zeek_ping42(broker::vector{
                              data{broker::vector{data{count{1}}, data{ts}}}}));
  rows["routing_update_a_b"] =
      envelope_row{id_s,  id_p,         envelope_type::routing_update,
                   "<$>", std::nullopt, make_filter({"/a", "/b"}),
                   ""};
  rows["ping_foo"] =
      envelope_row{id_s,         id_p, envelope_type::ping, "<$>", std::nullopt,
                   std::nullopt, "foo"};
  rows["pong_foo_reply_to_ping_foo"] =
      envelope_row{id_p,         id_s, envelope_type::pong, "<$>", std::nullopt,
                   std::nullopt, "foo"};
  return rows;
}

/// The handshake message of each hs_* row.
std::map<std::string, handshake_msg> handshake_rows() {
  std::map<std::string, handshake_msg> rows;
  rows["hs_hello"] = make_hello_msg(id_s);
  rows["hs_probe"] = make_probe_msg();
  rows["hs_version_select"] = make_version_select_msg(id_s);
  rows["hs_drop_conn_redundant_connection"] = make_drop_conn_msg(
      id_s, ec::redundant_connection, "redundant connection");
  rows["hs_drop_conn_peer_incompatible"] = make_drop_conn_msg(
      id_s, ec::peer_incompatible, "unsupported versions offered");
  rows["hs_originator_syn_test"] =
      make_originator_syn_msg(make_filter({"/test"}));
  rows["hs_originator_syn_empty"] = make_originator_syn_msg({});
  rows["hs_responder_syn_ack_empty"] = make_responder_syn_ack_msg({});
  rows["hs_responder_syn_ack_a_b"] =
      make_responder_syn_ack_msg(make_filter({"/a", "/b"}));
  rows["hs_originator_ack"] = make_originator_ack_msg();
  return rows;
}

/// Compares two handshake messages field by field (via their encoding,
/// whose layout the vectors pin down, plus the decoded fields Catch prints).
void check_same(const handshake_msg& x, const handshake_msg& y) {
  REQUIRE(x.index() == y.index());
  byte_buffer bx;
  byte_buffer by;
  encode(x, bx);
  encode(y, by);
  CHECK(hex(bx) == hex(by));
  if (auto* hx = std::get_if<hello_msg>(&x)) {
    auto& hy = std::get<hello_msg>(y);
    CHECK(hx->magic == hy.magic);
    CHECK(hex(hx->sender_id) == hex(hy.sender_id));
    CHECK(hx->min_version == hy.min_version);
    CHECK(hx->max_version == hy.max_version);
  } else if (auto* dx = std::get_if<drop_conn_msg>(&x)) {
    auto& dy = std::get<drop_conn_msg>(y);
    CHECK(hex(dx->sender_id) == hex(dy.sender_id));
    CHECK(static_cast<int>(dx->code) == static_cast<int>(dy.code));
    CHECK(dx->description == dy.description);
  } else if (auto* sx = std::get_if<originator_syn_msg>(&x)) {
    CHECK(strings(sx->filter) ==
          strings(std::get<originator_syn_msg>(y).filter));
  } else if (auto* ax = std::get_if<responder_syn_ack_msg>(&x)) {
    CHECK(strings(ax->filter) ==
          strings(std::get<responder_syn_ack_msg>(y).filter));
  }
}

void write_row(const envelope_row& row, byte_buffer& out) {
  switch (row.type) {
  case envelope_type::data:
    write_data_envelope(row.sender, row.receiver, default_ttl, row.topic,
                        *row.value, out);
    break;
  case envelope_type::routing_update:
    write_routing_update(row.sender, row.receiver, *row.filter, out);
    break;
  case envelope_type::ping:
    write_ping(row.sender, row.receiver,
               byte_span{reinterpret_cast<const uint8_t*>(row.opaque.data()),
                         row.opaque.size()},
               out);
    break;
  case envelope_type::pong:
    write_pong(row.sender, row.receiver,
               byte_span{reinterpret_cast<const uint8_t*>(row.opaque.data()),
                         row.opaque.size()},
               out);
    break;
  default:
    FAIL("no writer for this type");
  }
}

/// Parses `frame` (length prefix included) as the envelope `row` describes.
void check_parse(const envelope_row& row, const byte_buffer& frame) {
  envelope_view view;
  std::string error;
  REQUIRE(
      parse_envelope(byte_span{frame}.subspan(frame_header_size), view, error));
  CHECK(hex(view.sender) == hex(row.sender));
  CHECK(hex(view.receiver) == hex(row.receiver));
  CHECK(view.type == row.type);
  CHECK(view.ttl == default_ttl);
  CHECK(view.topic == row.topic);
  if (row.value) {
    data value;
    bin::decode_error err;
    REQUIRE(bin::decode(view.payload, value, err));
    CHECK(value == *row.value);
  }
  if (row.filter) {
    filter_type filter;
    REQUIRE(parse_routing_update(view.payload, filter, error));
    CHECK(strings(filter) == strings(*row.filter));
  }
  if (!row.opaque.empty())
    CHECK(hex(view.payload) == hex(row.opaque));
}

/// Whether a row holds a handshake message rather than an envelope (the
/// README's naming convention).
bool is_handshake_row(const vector_row& row) {
  return row.name().rfind("hs_", 0) == 0;
}

/// Checks any row, also one without an expectation in this file: the frame
/// parses (payload included: data, filter, or opaque bytes) and writing what
/// was parsed gives back the same bytes.
void check_rewrite(const vector_row& row, const byte_buffer& frame) {
  auto payload = byte_span{frame}.subspan(frame_header_size);
  byte_buffer out;
  if (is_handshake_row(row)) {
    handshake_msg decoded;
    ec code = ec::none;
    std::string reason;
    auto ok = decode_handshake_msg(payload, decoded, code, reason);
    INFO(reason);
    REQUIRE(ok);
    encode(decoded, out);
    CHECK(hex(out) == hex(frame));
    return;
  }
  envelope_view view;
  std::string error;
  auto ok = parse_envelope(payload, view, error);
  INFO(error);
  REQUIRE(ok);
  byte_buffer body;
  switch (view.type) {
  case envelope_type::data: {
    data value;
    bin::decode_error err;
    auto decoded = bin::decode(view.payload, value, err);
    INFO(err.reason);
    REQUIRE(decoded);
    bin::encode(value, body);
    break;
  }
  case envelope_type::routing_update: {
    filter_type filter;
    auto parsed = parse_routing_update(view.payload, filter, error);
    INFO(error);
    REQUIRE(parsed);
    write_filter(filter, body);
    break;
  }
  default: // command, ping, pong: opaque here
    body.assign(view.payload.begin(), view.payload.end());
  }
  write_envelope(view.sender, view.receiver, view.type, view.ttl, view.topic,
                 body, out);
  CHECK(hex(out) == hex(frame));
}

void check_envelope_row(const vector_row& row) {
  REQUIRE(row.fields.size() == 2);
  auto expected = row.fields[1];
  auto frame = from_hex(expected);
  auto envelopes = envelope_rows();
  auto handshakes = handshake_rows();
  if (auto i = envelopes.find(row.name()); i != envelopes.end()) {
    byte_buffer out;
    write_row(i->second, out);
    CHECK(hex(out) == expected);
    check_parse(i->second, frame);
  } else if (auto j = handshakes.find(row.name()); j != handshakes.end()) {
    byte_buffer out;
    encode(j->second, out);
    CHECK(hex(out) == expected);
    handshake_msg decoded;
    ec code = ec::none;
    std::string reason;
    REQUIRE(decode_handshake_msg(byte_span{frame}.subspan(frame_header_size),
                                 decoded, code, reason));
    check_same(decoded, j->second);
  }
  // Every row, known or not, survives a parse and re-write unchanged.
  check_rewrite(row, frame);
}

BROKER_VECTOR_TESTS("envelopes.txt", "[wire][envelope][vectors]",
                    check_envelope_row);

/// Returns the error `read_filter` must report for the first `cut` bytes
/// of the valid filter encoding `full` (spec: upstream-broker.md §4.3:
/// varbyte count, then per entry varbyte length + bytes), computed from the
/// layout independently of `read_filter`.
std::string truncated_filter_error(byte_span full, size_t cut) {
  REQUIRE(cut < full.size);
  // Returns the size of the varbyte at `pos` and stores its value in `x`.
  auto varbyte = [&](size_t pos, uint64_t& x) {
    constexpr unsigned bits_per_byte = 7;
    size_t len = 0;
    x = 0;
    uint8_t byte = 0;
    do {
      byte = full.data[pos + len];
      x |= static_cast<uint64_t>(byte & 0x7f) << (bits_per_byte * len);
      ++len;
    } while ((byte & 0x80) != 0);
    return len;
  };
  uint64_t count = 0;
  auto pos = varbyte(0, count);
  if (pos > cut)
    return "filter: malformed or truncated entry count at offset 0";
  if (count > cut - pos)
    return "filter claims " + std::to_string(count) + " entries but only " +
           std::to_string(cut - pos) + " bytes remain";
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t len = 0;
    auto entry_offset = pos;
    pos += varbyte(pos, len);
    pos += len;
    if (pos > cut)
      return "filter entry " + std::to_string(i + 1) + " of " +
             std::to_string(count) +
             ": malformed or truncated topic at offset " +
             std::to_string(entry_offset);
  }
  FAIL("the prefix holds a complete filter");
  return {};
}

/// Body sizes after the tag of the fixed-size handshake messages, and the
/// smallest drop_conn body (empty description), from the spec's table
/// (upstream-broker.md §4.3: sizes there include the tag byte).
const std::map<uint8_t, std::pair<std::string, size_t>> fixed_bodies = {
    {6, {"hello", 22}},
    {7, {"probe", 4}},
    {8, {"version_select", 21}},
    {9, {"drop_conn", 22}},
};

/// Offset of drop_conn's description in the body: magic, sender, code.
constexpr size_t drop_conn_description_offset = 4 + 16 + 1;

/// The exact error of a handshake payload (tag + body) cut to `len` bytes.
std::string truncated_handshake_error(byte_span payload, size_t len) {
  if (len == 0)
    return "invalid message type tag: empty frame";
  auto tag = payload.data[0];
  auto body = len - 1;
  if (auto i = fixed_bodies.find(tag); i != fixed_bodies.end()) {
    const auto& [name, size] = i->second;
    if (body < size)
      return "failed to parse " + name + ": truncated body (" +
             std::to_string(body) + " bytes after the tag, need " +
             std::to_string(size) + ")";
    REQUIRE(tag == 9); // only drop_conn has a variable part
    return "failed to parse drop_conn: malformed or truncated description at "
           "offset " +
           std::to_string(drop_conn_description_offset);
  }
  auto name = tag == 10 ? "originator_syn"s : "responder_syn_ack"s;
  REQUIRE((tag == 10 || tag == 11)); // originator_ack has no body
  return "failed to parse " + name + ": " +
         truncated_filter_error(payload.subspan(1), body);
}

/// Every truncation of every row fails with the exact error: the frame
/// reader waits for more (frame.test.cc); the envelope or handshake parser,
/// fed the truncated payload, names what is cut; a cut inside a data or
/// routing_update payload makes its decoder fail exactly; a cut inside an
/// opaque payload yields that prefix.
void check_truncations(const vector_row& row) {
  auto frame = from_hex(row.fields.at(1));
  auto payload = byte_span{frame}.subspan(frame_header_size);
  for (size_t len = 0; len < payload.size; ++len) {
    INFO("payload truncated to " << len << " bytes");
    auto cut = payload.subspan(0, len);
    if (is_handshake_row(row)) {
      handshake_msg msg;
      ec code = ec::none;
      std::string reason;
      REQUIRE_FALSE(decode_handshake_msg(cut, msg, code, reason));
      CHECK(code == ec::invalid_message);
      CHECK(reason == truncated_handshake_error(payload, len));
      continue;
    }
    envelope_view view;
    std::string error;
    if (len < envelope_header_size) {
      REQUIRE_FALSE(parse_envelope(cut, view, error));
      CHECK(error == "envelope of " + std::to_string(len) +
                         " bytes is shorter than the 37-byte header");
      continue;
    }
    auto topic_size = bin::read_u16(payload.data + 35);
    if (len < envelope_header_size + topic_size) {
      REQUIRE_FALSE(parse_envelope(cut, view, error));
      CHECK(error == "envelope topic length " + std::to_string(topic_size) +
                         " exceeds the " +
                         std::to_string(len - envelope_header_size) +
                         " bytes after the header");
      continue;
    }
    REQUIRE(parse_envelope(cut, view, error));
    auto body_start = envelope_header_size + topic_size;
    auto full_body = payload.subspan(body_start);
    auto body_size = len - body_start;
    REQUIRE(view.payload.size == body_size);
    CHECK(hex(view.payload) == hex(full_body.subspan(0, body_size)));
    if (view.type == envelope_type::data) {
      data value;
      bin::decode_error err;
      CHECK_FALSE(bin::decode(view.payload, value, err));
      CHECK(err.code == ec::deserialization_failed);
      CHECK(err.reason ==
            truncated_data_error(
                byte_buffer{full_body.begin(), full_body.end()}, body_size));
    } else if (view.type == envelope_type::routing_update) {
      filter_type filter;
      CHECK_FALSE(parse_routing_update(view.payload, filter, error));
      CHECK(error ==
            "routing_update: " + truncated_filter_error(full_body, body_size));
    }
  }
}

/// All names that this file has expectations for.
std::set<std::string> known_row_names() {
  std::set<std::string> names;
  for (const auto& entry : envelope_rows())
    names.insert(entry.first);
  for (const auto& entry : handshake_rows())
    names.insert(entry.first);
  return names;
}

} // namespace

// One test case for all rows: the vector helper names test cases after the
// file and row, so a second per-row registration of envelopes.txt would
// collide with the one above.
TEST_CASE("every envelopes.txt row truncated at every offset fails exactly",
          "[wire][envelope][truncated]") {
  auto rows = load_vector_file("envelopes.txt");
  CHECK_FALSE(rows.empty());
  for (auto& row : rows) {
    INFO(row.name());
    check_truncations(row);
  }
}

TEST_CASE("every expectation in this file has its envelopes.txt row",
          "[wire][envelope][vectors]") {
  // Rows may be added freely (they are checked generically); a renamed or
  // removed row must not silently drop its specific checks.
  std::set<std::string> in_file;
  for (auto& row : load_vector_file("envelopes.txt"))
    in_file.insert(row.name());
  for (const auto& name : known_row_names()) {
    INFO(name);
    CHECK(in_file.count(name) == 1);
  }
}

TEST_CASE("the truncation oracles know the parsers' messages",
          "[wire][envelope]") {
  // Spot checks, written by hand from the layout (spec: §4.3).
  auto filter = from_hex("02022f61022f62"); // ["/a", "/b"]
  CHECK(truncated_filter_error(filter, 0) ==
        "filter: malformed or truncated entry count at offset 0");
  CHECK(truncated_filter_error(filter, 2) ==
        "filter claims 2 entries but only 1 bytes remain");
  CHECK(truncated_filter_error(filter, 3) ==
        "filter entry 1 of 2: malformed or truncated topic at offset 1");
  CHECK(truncated_filter_error(filter, 6) ==
        "filter entry 2 of 2: malformed or truncated topic at offset 4");
  auto hello = from_hex("065a45454b000000000000400080000000000000000101");
  CHECK(truncated_handshake_error(hello, 0) ==
        "invalid message type tag: empty frame");
  CHECK(truncated_handshake_error(hello, 3) ==
        "failed to parse hello: truncated body (2 bytes after the tag, need "
        "22)");
}

TEST_CASE("command envelopes carry their payload as opaque bytes",
          "[wire][envelope]") {
  // spec: upstream-broker.md §4.5: type 2, one internal_command; we do not
  // interpret it (yet), so any bytes pass through unchanged.
  const auto topic = "store/<$>/data/master"sv;
  const auto body = from_hex("00000000000000070102030405ff00");
  byte_buffer frame;
  write_envelope(id_s, id_p, envelope_type::command, default_ttl, topic, body,
                 frame);
  // Hand-assembled (spec: §4.5 table): length, sender, receiver, type 02,
  // TTL 16, topic length, topic, payload.
  auto expected_payload = hex(id_s) + hex(id_p) + "02" + "0010" + "0015" +
                          hex(topic) + hex(byte_span{body});
  byte_buffer length;
  bin::write_u32(static_cast<uint32_t>(expected_payload.size() / 2), length);
  CHECK(hex(frame) == hex(length) + expected_payload);
  envelope_view view;
  std::string error;
  REQUIRE(
      parse_envelope(byte_span{frame}.subspan(frame_header_size), view, error));
  CHECK(view.type == envelope_type::command);
  CHECK(to_string(view.type) == "command");
  CHECK(hex(view.sender) == hex(id_s));
  CHECK(hex(view.receiver) == hex(id_p));
  CHECK(view.ttl == default_ttl);
  CHECK(view.topic == topic);
  CHECK(hex(view.payload) == hex(byte_span{body}));
  SECTION("an empty command payload is fine at this layer") {
    byte_buffer empty_frame;
    write_envelope(id_s, endpoint_id::nil(), envelope_type::command, 1, topic,
                   byte_span{}, empty_frame);
    REQUIRE(parse_envelope(byte_span{empty_frame}.subspan(frame_header_size),
                           view, error));
    CHECK(view.type == envelope_type::command);
    CHECK(view.ttl == 1);
    CHECK(view.payload.size == 0);
  }
}

TEST_CASE("parse_envelope names what is wrong", "[wire][envelope]") {
  byte_buffer frame;
  write_ping(id_s, id_p, byte_span{}, frame);
  auto payload = byte_buffer{frame.begin() + 4, frame.end()};
  envelope_view view;
  std::string error;
  REQUIRE(parse_envelope(payload, view, error));
  CHECK(view.payload.size == 0);
  SECTION("short") {
    CHECK_FALSE(parse_envelope(byte_span{payload.data(), 36}, view, error));
    CHECK(error == "envelope of 36 bytes is shorter than the 37-byte header");
  }
  SECTION("type 0 and 13") {
    payload[32] = 0;
    CHECK_FALSE(parse_envelope(payload, view, error));
    CHECK(error == "invalid envelope type 0 (expected 1-5)");
    payload[32] = 13;
    CHECK_FALSE(parse_envelope(payload, view, error));
    CHECK(error == "invalid envelope type 13 (expected 1-5)");
  }
  SECTION("handshake tags") {
    for (uint8_t tag = 6; tag <= 12; ++tag) {
      payload[32] = tag;
      CHECK_FALSE(parse_envelope(payload, view, error));
      CHECK(error == "invalid envelope type " + std::to_string(tag) +
                         " (a handshake message tag, not allowed after the "
                         "handshake)");
    }
  }
  SECTION("topic length") {
    payload[35] = 0xff;
    payload[36] = 0xff;
    CHECK_FALSE(parse_envelope(payload, view, error));
    CHECK(error == "envelope topic length 65535 exceeds the 3 bytes after the "
                   "header");
  }
}

TEST_CASE("read_filter checks counts and lengths", "[wire][envelope]") {
  auto parse = [](std::string_view hex_str, filter_type& out,
                  std::string& error) {
    auto bytes = from_hex(hex_str);
    bin::reader src{bytes};
    return read_filter(src, out, error);
  };
  filter_type filter;
  std::string error;
  SECTION("valid, and the reader stops after the filter") {
    auto bytes = from_hex("02022f61022f62ff");
    bin::reader src{bytes};
    REQUIRE(read_filter(src, filter, error));
    CHECK(strings(filter) == std::vector<std::string>{"/a", "/b"});
    CHECK(src.remaining() == 1);
  }
  SECTION("huge count") {
    CHECK_FALSE(parse("ffffffff0f0100", filter, error));
    CHECK(error == "filter claims 4294967295 entries but only 2 bytes remain");
  }
  SECTION("varbyte count longer than 5 bytes") {
    CHECK_FALSE(parse("808080808001", filter, error));
    CHECK(error == "filter: malformed or truncated entry count at offset 0");
  }
  SECTION("empty input") {
    CHECK_FALSE(parse("", filter, error));
    CHECK(error == "filter: malformed or truncated entry count at offset 0");
  }
  SECTION("truncated entry") {
    CHECK_FALSE(parse("02022f61052f62", filter, error));
    CHECK(error ==
          "filter entry 2 of 2: malformed or truncated topic at offset 4");
  }
  SECTION("routing_update rejects trailing bytes") {
    auto bytes = from_hex("01022f6100");
    CHECK_FALSE(parse_routing_update(bytes, filter, error));
    CHECK(error == "routing_update: 1 unexpected bytes after the filter");
  }
  SECTION("write_filter round trip") {
    auto in = make_filter({"", "/a", std::string(300, 'x')});
    byte_buffer out;
    write_filter(in, out);
    REQUIRE(parse_routing_update(out, filter, error));
    CHECK(strings(filter) == strings(in));
  }
}

TEST_CASE("BYE payloads", "[wire][envelope]") {
  // The transcripts carry upstream's ID in host (little-endian) order; we
  // write and read big-endian, so those bytes read back as 0x0100...10.
  auto payload = make_bye_payload(0x0100000000000010);
  CHECK(hex(as_span(payload)) == "4259450100000000000010");
  uint64_t id = 0;
  CHECK(is_bye_payload(as_span(payload), id));
  CHECK(id == 0x0100000000000010);
  auto other = make_bye_payload(0x1122334455667788);
  CHECK(hex(as_span(other)) == "4259451122334455667788");
  CHECK(is_bye_payload(as_span(other), id));
  CHECK(id == 0x1122334455667788);
  auto foo = from_hex("666f6f");
  CHECK_FALSE(is_bye_payload(foo, id));
  auto wrong_prefix = from_hex("4259460100000000000010");
  CHECK_FALSE(is_bye_payload(wrong_prefix, id));
  auto too_long = from_hex("425945010000000000001000");
  CHECK_FALSE(is_bye_payload(too_long, id));
  CHECK_FALSE(is_bye_payload(byte_span{}, id));
}

TEST_CASE("write_pong_reply answers ping_foo with upstream's pong",
          "[wire][envelope]") {
  std::map<std::string, std::string> rows;
  for (auto& row : load_vector_file("envelopes.txt"))
    rows[row.name()] = row.fields.at(1);
  auto ping = from_hex(rows.at("ping_foo"));
  envelope_view view;
  std::string error;
  REQUIRE(parse_envelope(byte_span{ping}.subspan(4), view, error));
  byte_buffer out;
  write_pong_reply(view, out);
  CHECK(hex(out) == rows.at("pong_foo_reply_to_ping_foo"));
}

TEST_CASE("writers append to existing content", "[wire][envelope]") {
  byte_buffer out{0xde, 0xad};
  write_data_envelope(id_s, endpoint_id::nil(), 1, "/t", data{count{1}}, out);
  write_routing_update(id_s, id_p, {}, out);
  CHECK(out[0] == 0xde);
  CHECK(out[1] == 0xad);
  auto frames = split_frames(byte_span{out}.subspan(2));
  REQUIRE(frames.size() == 2);
  auto first = from_hex(frames[0]);
  envelope_view view;
  std::string error;
  REQUIRE(parse_envelope(byte_span{first}.subspan(4), view, error));
  CHECK(view.ttl == 1);
  CHECK(view.topic == "/t");
  CHECK(hex(view.payload) == "020000000000000001");
}

TEST_CASE("parsers survive random garbage", "[wire][envelope]") {
  std::mt19937 rng{42};
  std::uniform_int_distribution<int> byte_dist{0, 255};
  std::uniform_int_distribution<size_t> size_dist{0, 120};
  for (int round = 0; round < 20000; ++round) {
    byte_buffer bytes(size_dist(rng));
    for (auto& b : bytes)
      b = static_cast<uint8_t>(byte_dist(rng));
    if (round % 2 == 0 && bytes.size() > 32)
      bytes[32] = static_cast<uint8_t>(1 + round % 5); // a valid type
    envelope_view view;
    std::string error;
    if (parse_envelope(bytes, view, error)) {
      CHECK(view.payload.size + view.topic.size() + envelope_header_size ==
            bytes.size());
      filter_type filter;
      (void)parse_routing_update(view.payload, filter, error);
    } else {
      CHECK_FALSE(error.empty());
    }
    handshake_msg msg;
    ec code = ec::none;
    std::string reason;
    if (!decode_handshake_msg(bytes, msg, code, reason))
      CHECK(code != ec::none);
  }
}
