#include "wire/handshake.hh"

#include "wire/envelope.hh"

#include <cstring>
#include <iterator>
#include <utility>

namespace broker::wire {

namespace bin = format::bin::v1;

namespace {

/// Body sizes after the tag byte (spec: upstream-broker.md §4.3 table).
constexpr size_t hello_body_size = 4 + endpoint_id::num_bytes + 1 + 1;
constexpr size_t probe_body_size = 4;
constexpr size_t version_select_body_size = 4 + endpoint_id::num_bytes + 1;
/// drop_conn without its description string.
constexpr size_t drop_conn_fixed_body_size = 4 + endpoint_id::num_bytes + 1;

// -- shared pieces of encoders and decoders -----------------------------------

void write_tag(msg_tag tag, byte_buffer& out) {
  bin::write_u8(static_cast<uint8_t>(tag), out);
}

void write_id(const endpoint_id& id, byte_buffer& out) {
  out.insert(out.end(), id.bytes().begin(), id.bytes().end());
}

[[nodiscard]] bool read_id(bin::reader& src, endpoint_id& id) noexcept {
  byte_span bytes;
  if (!src.read_bytes(endpoint_id::num_bytes, bytes))
    return false;
  std::memcpy(id.bytes().data(), bytes.data, endpoint_id::num_bytes);
  return true;
}

[[nodiscard]] bool check_magic(uint32_t magic, ec& code, std::string& reason) {
  if (magic == magic_number)
    return true;
  // spec: upstream-broker.md §4.3 (text is upstream's, checked by
  // handshake-e.txt).
  code = ec::wrong_magic_number;
  reason = "wrong magic number";
  return false;
}

/// Sets the "truncated body" error for a fixed-size message.
bool truncated(msg_tag tag, size_t body_size, size_t needed, ec& code,
               std::string& reason) {
  code = ec::invalid_message;
  reason = "failed to parse " + std::string{to_string(tag)} +
           ": truncated body (" + std::to_string(body_size) +
           " bytes after the tag, need " + std::to_string(needed) + ")";
  return false;
}

// -- per-message decoders: read the body after the tag ------------------------

bool read_body(bin::reader& src, hello_msg& x, ec& code, std::string& reason) {
  if (src.remaining() < hello_body_size)
    return truncated(msg_tag::hello, src.remaining(), hello_body_size, code,
                     reason);
  return src.read_u32(x.magic) && read_id(src, x.sender_id) &&
         src.read_u8(x.min_version) && src.read_u8(x.max_version);
}

bool read_body(bin::reader& src, probe_msg& x, ec& code, std::string& reason) {
  if (src.remaining() < probe_body_size)
    return truncated(msg_tag::probe, src.remaining(), probe_body_size, code,
                     reason);
  return src.read_u32(x.magic);
}

bool read_body(bin::reader& src, version_select_msg& x, ec& code,
               std::string& reason) {
  if (src.remaining() < version_select_body_size)
    return truncated(msg_tag::version_select, src.remaining(),
                     version_select_body_size, code, reason);
  return src.read_u32(x.magic) && read_id(src, x.sender_id) &&
         src.read_u8(x.selected_version);
}

bool read_body(bin::reader& src, drop_conn_msg& x, ec& code,
               std::string& reason) {
  if (src.remaining() < drop_conn_fixed_body_size + 1)
    return truncated(msg_tag::drop_conn, src.remaining(),
                     drop_conn_fixed_body_size + 1, code, reason);
  uint8_t raw_code = 0;
  if (!src.read_u32(x.magic) || !read_id(src, x.sender_id) ||
      !src.read_u8(raw_code))
    return false; // Unreachable: the size was checked above.
  auto offset = src.offset();
  if (!src.read_string(x.description)) {
    code = ec::invalid_message;
    reason = "failed to parse drop_conn: malformed or truncated description "
             "at offset " +
             std::to_string(offset);
    return false;
  }
  if (!convertible_to_ec(raw_code)) {
    // spec: upstream-broker.md §4.3/§2.2: a code >= 41 (`invalid_json`
    // included) counts as a decode error with code `unspecified` and the
    // sender's description.
    code = ec::unspecified;
    reason = x.description;
    return false;
  }
  x.code = static_cast<ec>(raw_code);
  return true;
}

template <class Msg>
bool read_filter_body(bin::reader& src, Msg& x, msg_tag tag, ec& code,
                      std::string& reason) {
  std::string error;
  if (!read_filter(src, x.filter, error)) {
    code = ec::invalid_message;
    reason = "failed to parse " + std::string{to_string(tag)} + ": " + error;
    return false;
  }
  return true;
}

bool read_body(bin::reader& src, originator_syn_msg& x, ec& code,
               std::string& reason) {
  return read_filter_body(src, x, msg_tag::originator_syn, code, reason);
}

bool read_body(bin::reader& src, responder_syn_ack_msg& x, ec& code,
               std::string& reason) {
  return read_filter_body(src, x, msg_tag::responder_syn_ack, code, reason);
}

bool read_body(bin::reader&, originator_ack_msg&, ec&, std::string&) {
  return true;
}

/// Decodes the body of alternative `Index` of `handshake_msg` and validates
/// it.
template <size_t Index>
bool decode_alternative(bin::reader& src, handshake_msg& out, ec& code,
                        std::string& reason) {
  std::variant_alternative_t<Index, handshake_msg> msg;
  if (!read_body(src, msg, code, reason) || !validate(msg, code, reason))
    return false;
  out = std::move(msg);
  return true;
}

using alternative_decoder = bool (*)(bin::reader&, handshake_msg&, ec&,
                                     std::string&);

/// Decoders indexed by `tag - first_tag`.
constexpr alternative_decoder decoders[] = {
    decode_alternative<0>, decode_alternative<1>, decode_alternative<2>,
    decode_alternative<3>, decode_alternative<4>, decode_alternative<5>,
    decode_alternative<6>,
};

constexpr uint8_t first_tag = static_cast<uint8_t>(msg_tag::hello);
constexpr uint8_t last_tag = static_cast<uint8_t>(msg_tag::originator_ack);

static_assert(std::size(decoders) == last_tag - first_tag + 1);
static_assert(std::variant_size_v<handshake_msg> == std::size(decoders));

/// Writes a duration for error messages ("10 s", "1500 ms").
std::string to_text(std::chrono::milliseconds x) {
  if (x.count() % 1000 == 0)
    return std::to_string(x.count() / 1000) + " s";
  return std::to_string(x.count()) + " ms";
}

} // namespace

std::string_view to_string(msg_tag x) noexcept {
  switch (x) {
  case msg_tag::hello:
    return "hello";
  case msg_tag::probe:
    return "probe";
  case msg_tag::version_select:
    return "version_select";
  case msg_tag::drop_conn:
    return "drop_conn";
  case msg_tag::originator_syn:
    return "originator_syn";
  case msg_tag::responder_syn_ack:
    return "responder_syn_ack";
  case msg_tag::originator_ack:
    return "originator_ack";
  }
  return "unknown";
}

msg_tag tag_of(const handshake_msg& x) noexcept {
  return static_cast<msg_tag>(first_tag + x.index());
}

// -- makers -------------------------------------------------------------------

hello_msg make_hello_msg(const endpoint_id& sender) {
  return hello_msg{magic_number, sender, protocol_version, protocol_version};
}

probe_msg make_probe_msg() {
  return probe_msg{magic_number};
}

version_select_msg make_version_select_msg(const endpoint_id& sender) {
  return version_select_msg{magic_number, sender, protocol_version};
}

drop_conn_msg make_drop_conn_msg(const endpoint_id& sender, ec code,
                                 std::string description) {
  return drop_conn_msg{magic_number, sender, code, std::move(description)};
}

originator_syn_msg make_originator_syn_msg(filter_type filter) {
  return originator_syn_msg{std::move(filter)};
}

responder_syn_ack_msg make_responder_syn_ack_msg(filter_type filter) {
  return responder_syn_ack_msg{std::move(filter)};
}

originator_ack_msg make_originator_ack_msg() {
  return originator_ack_msg{};
}

// -- validators (spec: upstream-broker.md §4.3) -------------------------------

bool validate(const hello_msg& x, ec& code, std::string& reason) {
  if (!check_magic(x.magic, code, reason))
    return false;
  if (x.min_version > protocol_version || x.max_version < protocol_version) {
    code = ec::peer_incompatible;
    reason = "unsupported versions offered"; // Checked by handshake-d.txt.
    return false;
  }
  return true;
}

bool validate(const probe_msg& x, ec& code, std::string& reason) {
  return check_magic(x.magic, code, reason);
}

bool validate(const version_select_msg& x, ec& code, std::string& reason) {
  if (!check_magic(x.magic, code, reason))
    return false;
  if (x.selected_version != protocol_version) {
    code = ec::peer_incompatible;
    reason = "unsupported version selected";
    return false;
  }
  return true;
}

bool validate(const drop_conn_msg& x, ec& code, std::string& reason) {
  return check_magic(x.magic, code, reason);
}

bool validate(const originator_syn_msg&, ec&, std::string&) {
  return true;
}

bool validate(const responder_syn_ack_msg&, ec&, std::string&) {
  return true;
}

bool validate(const originator_ack_msg&, ec&, std::string&) {
  return true;
}

// -- encoders (spec: upstream-broker.md §4.3 table) ---------------------------

void encode(const hello_msg& x, byte_buffer& out) {
  auto start = begin_frame(out);
  write_tag(msg_tag::hello, out);
  bin::write_u32(x.magic, out);
  write_id(x.sender_id, out);
  bin::write_u8(x.min_version, out);
  bin::write_u8(x.max_version, out);
  end_frame(out, start);
}

void encode(const probe_msg& x, byte_buffer& out) {
  auto start = begin_frame(out);
  write_tag(msg_tag::probe, out);
  bin::write_u32(x.magic, out);
  end_frame(out, start);
}

void encode(const version_select_msg& x, byte_buffer& out) {
  auto start = begin_frame(out);
  write_tag(msg_tag::version_select, out);
  bin::write_u32(x.magic, out);
  write_id(x.sender_id, out);
  bin::write_u8(x.selected_version, out);
  end_frame(out, start);
}

void encode(const drop_conn_msg& x, byte_buffer& out) {
  auto start = begin_frame(out);
  write_tag(msg_tag::drop_conn, out);
  bin::write_u32(x.magic, out);
  write_id(x.sender_id, out);
  bin::write_u8(static_cast<uint8_t>(x.code), out);
  bin::write_string(x.description, out);
  end_frame(out, start);
}

void encode(const originator_syn_msg& x, byte_buffer& out) {
  auto start = begin_frame(out);
  write_tag(msg_tag::originator_syn, out);
  write_filter(x.filter, out);
  end_frame(out, start);
}

void encode(const responder_syn_ack_msg& x, byte_buffer& out) {
  auto start = begin_frame(out);
  write_tag(msg_tag::responder_syn_ack, out);
  write_filter(x.filter, out);
  end_frame(out, start);
}

void encode(const originator_ack_msg&, byte_buffer& out) {
  auto start = begin_frame(out);
  write_tag(msg_tag::originator_ack, out);
  end_frame(out, start);
}

void encode(const handshake_msg& x, byte_buffer& out) {
  std::visit([&out](const auto& msg) { encode(msg, out); }, x);
}

// -- decoder ------------------------------------------------------------------

bool decode_handshake_msg(byte_span frame_payload, handshake_msg& out, ec& code,
                          std::string& reason) {
  if (frame_payload.empty()) {
    code = ec::invalid_message;
    reason = "invalid message type tag: empty frame";
    return false;
  }
  auto tag = frame_payload.data[0];
  if (tag < first_tag || tag > last_tag) {
    code = ec::invalid_message;
    reason = "invalid message type tag: " + std::to_string(tag);
    return false;
  }
  bin::reader src{frame_payload.subspan(1)};
  return decoders[tag - first_tag](src, out, code, reason);
}

// -- state machine (spec: upstream-broker.md §4.4) ----------------------------

std::string_view to_string(handshake_state x) noexcept {
  switch (x) {
  case handshake_state::awaiting_start:
    return "awaiting_start";
  case handshake_state::awaiting_hello:
    return "awaiting_hello";
  case handshake_state::awaiting_hello_or_version_select:
    return "awaiting_hello_or_version_select";
  case handshake_state::awaiting_version_select:
    return "awaiting_version_select";
  case handshake_state::awaiting_originator_verdict:
    return "awaiting_originator_verdict";
  case handshake_state::awaiting_responder_verdict:
    return "awaiting_responder_verdict";
  case handshake_state::awaiting_originator_syn:
    return "awaiting_originator_syn";
  case handshake_state::awaiting_responder_syn_ack:
    return "awaiting_responder_syn_ack";
  case handshake_state::awaiting_originator_ack:
    return "awaiting_originator_ack";
  case handshake_state::done:
    return "done";
  case handshake_state::failed:
    return "failed";
  }
  return "unknown";
}

// Every (state, tag) pair not listed here is an unexpected message: drop_conn
// (unexpected_handshake_message) and close. Upstream closes without a
// drop_conn in that case (spec §4.4); we tell the peer why.
const handshake::transition handshake::transitions[] = {
    // Acceptor (spec §4.4 step 4).
    {handshake_state::awaiting_hello, msg_tag::hello,
     &handshake::on_hello_as_acceptor},
    {handshake_state::awaiting_hello, msg_tag::drop_conn,
     &handshake::on_drop_conn},
    // Initiator (steps 3, 5): probes are ignored.
    {handshake_state::awaiting_hello_or_version_select, msg_tag::probe,
     &handshake::ignore},
    {handshake_state::awaiting_hello_or_version_select, msg_tag::hello,
     &handshake::on_hello_as_initiator},
    {handshake_state::awaiting_hello_or_version_select, msg_tag::version_select,
     &handshake::on_version_select},
    {handshake_state::awaiting_hello_or_version_select, msg_tag::drop_conn,
     &handshake::on_drop_conn},
    // Responder acceptor after its hello (case A).
    {handshake_state::awaiting_version_select, msg_tag::version_select,
     &handshake::on_version_select},
    {handshake_state::awaiting_version_select, msg_tag::drop_conn,
     &handshake::on_drop_conn},
    // Responder (step 6).
    {handshake_state::awaiting_originator_syn, msg_tag::originator_syn,
     &handshake::on_originator_syn},
    {handshake_state::awaiting_originator_syn, msg_tag::drop_conn,
     &handshake::on_drop_conn},
    // Originator (step 7).
    {handshake_state::awaiting_responder_syn_ack, msg_tag::responder_syn_ack,
     &handshake::on_responder_syn_ack},
    {handshake_state::awaiting_responder_syn_ack, msg_tag::drop_conn,
     &handshake::on_drop_conn},
    // Responder (step 8).
    {handshake_state::awaiting_originator_ack, msg_tag::originator_ack,
     &handshake::on_originator_ack},
    {handshake_state::awaiting_originator_ack, msg_tag::drop_conn,
     &handshake::on_drop_conn},
};

handshake::handshake(handshake_role role, endpoint_id own_id,
                     filter_type own_filter)
    : role_(role), own_id_(own_id), own_filter_(std::move(own_filter)) {
}

void handshake::start(handshake_actions& out) {
  if (state_ != handshake_state::awaiting_start)
    return;
  // spec: upstream-broker.md §4.4 steps 2 and 3.
  if (role_ == handshake_role::acceptor) {
    encode(make_probe_msg(), out.output);
    state_ = handshake_state::awaiting_hello;
  } else {
    encode(make_hello_msg(own_id_), out.output);
    state_ = handshake_state::awaiting_hello_or_version_select;
  }
}

void handshake::on_frame(byte_span frame_payload, handshake_actions& out) {
  switch (state_) {
  case handshake_state::done:
  case handshake_state::failed:
    return;
  case handshake_state::awaiting_originator_verdict:
  case handshake_state::awaiting_responder_verdict:
    if (queued_frames_.size() == max_queued_frames) {
      fail(ec::unexpected_handshake_message,
           "unexpected frame: " + std::to_string(max_queued_frames + 1) +
               " frames arrived while awaiting " + std::string{awaited()},
           out);
      return;
    }
    queued_frames_.emplace_back(frame_payload.begin(), frame_payload.end());
    return;
  default:
    handle_frame(frame_payload, out);
  }
}

void handshake::handle_frame(byte_span frame_payload, handshake_actions& out) {
  handshake_msg msg;
  ec code = ec::none;
  std::string reason;
  if (!decode_handshake_msg(frame_payload, msg, code, reason)) {
    fail(code, std::move(reason), out);
    return;
  }
  auto tag = tag_of(msg);
  for (const auto& row : transitions) {
    if (row.state == state_ && row.tag == tag) {
      (this->*row.fn)(msg, out);
      return;
    }
  }
  fail(ec::unexpected_handshake_message,
       "unexpected " + std::string{to_string(tag)} + " while awaiting " +
           std::string{awaited()},
       out);
}

void handshake::handle_queued_frames(handshake_actions& out) {
  while (!queued_frames_.empty() && !failed() && !done()) {
    auto frame = std::move(queued_frames_.front());
    queued_frames_.pop_front();
    handle_frame(frame, out);
  }
}

void handshake::on_verdict(handshake_verdict verdict, handshake_actions& out) {
  bool originator = state_ == handshake_state::awaiting_originator_verdict;
  if (!originator && state_ != handshake_state::awaiting_responder_verdict)
    return;
  // spec: upstream-broker.md §3.7 table.
  switch (verdict) {
  case handshake_verdict::proceed:
    break;
  case handshake_verdict::redundant:
    if (originator)
      fail(ec::redundant_connection, "redundant connection", out);
    else
      fail(ec::logic_error, "detected redundant connection at the responder",
           out);
    return;
  case handshake_verdict::shutting_down:
    fail(ec::shutting_down, "shutting down", out);
    return;
  }
  if (originator) {
    // spec §4.4 steps 4/5: version_select and originator_syn back to back.
    encode(make_version_select_msg(own_id_), out.output);
    encode(make_originator_syn_msg(own_filter_), out.output);
    state_ = handshake_state::awaiting_responder_syn_ack;
  } else {
    state_ = handshake_state::awaiting_originator_syn;
  }
  handle_queued_frames(out);
}

void handshake::on_timeout(handshake_actions& out,
                           std::chrono::milliseconds deadline) {
  if (done() || failed())
    return;
  std::string reason = "handshake timed out";
  if (deadline.count() > 0)
    reason += " after " + to_text(deadline);
  reason += " while awaiting ";
  reason += awaited();
  fail(ec::peer_timeout, std::move(reason), out);
}

void handshake::on_hello_as_acceptor(handshake_msg& msg,
                                     handshake_actions& out) {
  auto& hello = std::get<hello_msg>(msg);
  if (!accept_peer_id(hello.sender_id, out))
    return;
  // spec §4.4 step 4: the smaller ID originates.
  if (is_originator()) {
    ask_core(handshake_state::awaiting_originator_verdict, out);
  } else {
    encode(make_hello_msg(own_id_), out.output);
    state_ = handshake_state::awaiting_version_select;
  }
}

void handshake::on_hello_as_initiator(handshake_msg& msg,
                                      handshake_actions& out) {
  auto& hello = std::get<hello_msg>(msg);
  if (!accept_peer_id(hello.sender_id, out))
    return;
  // spec §4.4 step 5: the acceptor answers hello only if its ID is larger;
  // with a smaller ID it must have originated (version_select).
  if (!is_originator()) {
    fail(ec::unexpected_handshake_message,
         "unexpected hello while awaiting version_select (the peer has the "
         "smaller ID and must originate)",
         out);
    return;
  }
  ask_core(handshake_state::awaiting_originator_verdict, out);
}

void handshake::on_version_select(handshake_msg& msg, handshake_actions& out) {
  auto& select = std::get<version_select_msg>(msg);
  if (state_ == handshake_state::awaiting_version_select &&
      select.sender_id != peer_id_) {
    fail(ec::unexpected_handshake_message,
         "unexpected version_select from another endpoint than the hello", out);
    return;
  }
  if (!accept_peer_id(select.sender_id, out))
    return;
  // spec §4.4 step 5: whoever receives version_select responds, which
  // requires the larger ID.
  if (is_originator()) {
    fail(ec::unexpected_handshake_message,
         "unexpected version_select while awaiting hello (the peer has the "
         "larger ID and must respond)",
         out);
    return;
  }
  ask_core(handshake_state::awaiting_responder_verdict, out);
}

void handshake::on_originator_syn(handshake_msg& msg, handshake_actions& out) {
  // spec §4.4 step 6.
  peer_filter_ = std::move(std::get<originator_syn_msg>(msg).filter);
  encode(make_responder_syn_ack_msg(own_filter_), out.output);
  state_ = handshake_state::awaiting_originator_ack;
}

void handshake::on_responder_syn_ack(handshake_msg& msg,
                                     handshake_actions& out) {
  // spec §4.4 step 7.
  peer_filter_ = std::move(std::get<responder_syn_ack_msg>(msg).filter);
  encode(make_originator_ack_msg(), out.output);
  complete(msg_tag::responder_syn_ack, out);
}

void handshake::on_originator_ack(handshake_msg&, handshake_actions& out) {
  // spec §4.4 step 8.
  complete(msg_tag::originator_ack, out);
}

void handshake::on_drop_conn(handshake_msg& msg, handshake_actions& out) {
  auto& drop = std::get<drop_conn_msg>(msg);
  // No reply: the peer is closing already.
  peer_sent_drop_conn_ = true;
  // The sender's ID tells the core which peering a redundant connection
  // duplicates (spec §3.7), even before hello or version_select arrived.
  if (!peer_id_.valid())
    peer_id_ = drop.sender_id;
  // A failure always carries an error: report a drop_conn(none) as
  // unspecified.
  error_code_ = drop.code == ec::none ? ec::unspecified : drop.code;
  error_reason_ = std::move(drop.description);
  state_ = handshake_state::failed;
  queued_frames_.clear();
  out.close = true;
}

void handshake::ignore(handshake_msg&, handshake_actions&) {
  // nop
}

bool handshake::accept_peer_id(const endpoint_id& id, handshake_actions& out) {
  if (id == own_id_) {
    fail(ec::invalid_peering_request, "cannot peer with itself", out);
    return false;
  }
  if (id == endpoint_id::nil()) {
    // The nil ID means "broadcast" in envelopes; no endpoint may claim it.
    fail(ec::invalid_peering_request, "peer claims the nil endpoint ID", out);
    return false;
  }
  peer_id_ = id;
  return true;
}

void handshake::ask_core(handshake_state next, handshake_actions& out) {
  state_ = next;
  out.check_peer = true;
}

void handshake::complete(msg_tag last, handshake_actions& out) {
  if (!queued_frames_.empty()) {
    // Only possible if the peer sent the completing message before seeing
    // ours, followed by more: never hand phase-3 bytes to the handshake.
    fail(ec::unexpected_handshake_message,
         "unexpected frame after a premature " + std::string{to_string(last)},
         out);
    return;
  }
  state_ = handshake_state::done;
}

void handshake::fail(ec code, std::string reason, handshake_actions& out) {
  encode(make_drop_conn_msg(own_id_, code, reason), out.output);
  out.close = true;
  error_code_ = code;
  error_reason_ = std::move(reason);
  state_ = handshake_state::failed;
  queued_frames_.clear();
}

std::string_view handshake::awaited() const noexcept {
  switch (state_) {
  case handshake_state::awaiting_start:
    return "start";
  case handshake_state::awaiting_hello:
    return "hello";
  case handshake_state::awaiting_hello_or_version_select:
    return "hello or version_select";
  case handshake_state::awaiting_version_select:
    return "version_select";
  case handshake_state::awaiting_originator_verdict:
  case handshake_state::awaiting_responder_verdict:
    return "the peer check";
  case handshake_state::awaiting_originator_syn:
    return "originator_syn";
  case handshake_state::awaiting_responder_syn_ack:
    return "responder_syn_ack";
  case handshake_state::awaiting_originator_ack:
    return "originator_ack";
  case handshake_state::done:
    return "nothing (done)";
  case handshake_state::failed:
    return "nothing (failed)";
  }
  return "unknown";
}

} // namespace broker::wire
