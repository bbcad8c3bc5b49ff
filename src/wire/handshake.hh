#pragma once

// Handshake of the native transport (spec: upstream-broker.md §4.3 messages,
// §4.4 state machine, §3.7 redundant connections): one plain struct per
// message with a maker, a validator and an encoder, the decoder, and the
// table-driven state machine. Pure code: events in (frames, verdicts, timer
// ticks), actions out (bytes to send, "ask the core", "close").

#include "broker/endpoint_id.hh"
#include "broker/error.hh"
#include "broker/filter_type.hh"
#include "format/bin.hh"
#include "wire/frame.hh"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <variant>

namespace broker::wire {

// -- constants (spec: upstream-broker.md §4.3) --------------------------------

/// "ZEEK", the first body field of hello, probe, version_select, drop_conn.
inline constexpr uint32_t magic_number = 0x5A45454B;

/// The only protocol version that exists.
inline constexpr uint8_t protocol_version = 1;

/// The tag byte that starts every handshake frame payload.
enum class msg_tag : uint8_t {
  hello = 6,
  probe = 7,
  version_select = 8,
  drop_conn = 9,
  originator_syn = 10,
  responder_syn_ack = 11,
  originator_ack = 12,
};

/// Returns the message name ("hello", "drop_conn", ...), or "unknown".
std::string_view to_string(msg_tag x) noexcept;

// -- messages -----------------------------------------------------------------

/// Initiator greeting, and the responder acceptor's answer (spec: §4.4).
/// Payload: tag, magic u32, sender_id 16 bytes, min_version u8, max_version u8.
struct hello_msg {
  uint32_t magic = magic_number;
  endpoint_id sender_id;
  uint8_t min_version = protocol_version;
  uint8_t max_version = protocol_version;
};

/// Sent by the acceptor right after accepting. Payload: tag, magic u32.
struct probe_msg {
  uint32_t magic = magic_number;
};

/// The originator's choice of version. Payload: tag, magic u32, sender_id
/// 16 bytes, selected_version u8.
struct version_select_msg {
  uint32_t magic = magic_number;
  endpoint_id sender_id;
  uint8_t selected_version = protocol_version;
};

/// Ends the handshake with an error. Payload: tag, magic u32, sender_id 16
/// bytes, code u8 (an `ec`), description (varbyte length + bytes).
struct drop_conn_msg {
  uint32_t magic = magic_number;
  endpoint_id sender_id;
  ec code = ec::unspecified;
  std::string description;
};

/// The originator's filter. Payload: tag, filter.
struct originator_syn_msg {
  filter_type filter;
};

/// The responder's filter. Payload: tag, filter.
struct responder_syn_ack_msg {
  filter_type filter;
};

/// Completes the handshake. Payload: tag only.
struct originator_ack_msg {};

/// Any handshake message. The alternatives are in tag order: index + 6 is
/// the tag.
using handshake_msg =
    std::variant<hello_msg, probe_msg, version_select_msg, drop_conn_msg,
                 originator_syn_msg, responder_syn_ack_msg, originator_ack_msg>;

/// Returns the tag of the message held by `x`.
msg_tag tag_of(const handshake_msg& x) noexcept;

// -- makers -------------------------------------------------------------------

/// Returns `hello(magic, sender, 1, 1)`.
hello_msg make_hello_msg(const endpoint_id& sender);

/// Returns `probe(magic)`.
probe_msg make_probe_msg();

/// Returns `version_select(magic, sender, 1)`.
version_select_msg make_version_select_msg(const endpoint_id& sender);

/// Returns `drop_conn(magic, sender, code, description)`.
drop_conn_msg make_drop_conn_msg(const endpoint_id& sender, ec code,
                                 std::string description);

/// Returns `originator_syn(filter)`.
originator_syn_msg make_originator_syn_msg(filter_type filter);

/// Returns `responder_syn_ack(filter)`.
responder_syn_ack_msg make_responder_syn_ack_msg(filter_type filter);

/// Returns `originator_ack`.
originator_ack_msg make_originator_ack_msg();

// -- validators (spec: §4.3 "Validation on decode") ---------------------------

/// Each returns `true` if the message is acceptable; otherwise `false` with
/// `code`/`reason` set: wrong magic → `ec::wrong_magic_number` "wrong magic
/// number"; hello with `min_version > 1` or `max_version < 1` →
/// `ec::peer_incompatible` "unsupported versions offered"; version_select
/// with a version other than 1 → `ec::peer_incompatible` "unsupported
/// version selected". Messages without such fields are always valid.
/// @{
[[nodiscard]] bool validate(const hello_msg& x, ec& code, std::string& reason);
[[nodiscard]] bool validate(const probe_msg& x, ec& code, std::string& reason);
[[nodiscard]] bool validate(const version_select_msg& x, ec& code,
                            std::string& reason);
[[nodiscard]] bool validate(const drop_conn_msg& x, ec& code,
                            std::string& reason);
[[nodiscard]] bool validate(const originator_syn_msg& x, ec& code,
                            std::string& reason);
[[nodiscard]] bool validate(const responder_syn_ack_msg& x, ec& code,
                            std::string& reason);
[[nodiscard]] bool validate(const originator_ack_msg& x, ec& code,
                            std::string& reason);
/// @}

// -- encoders -----------------------------------------------------------------

/// Each appends one complete frame (length prefix + tag + body) to `out`,
/// byte-identical to upstream's connector (envelopes.txt `hs_*` rows). They
/// cannot fail. `drop_conn_msg` requires `description.size() < 2^32` (our
/// own texts are short).
/// @{
void encode(const hello_msg& x, byte_buffer& out);
void encode(const probe_msg& x, byte_buffer& out);
void encode(const version_select_msg& x, byte_buffer& out);
void encode(const drop_conn_msg& x, byte_buffer& out);
void encode(const originator_syn_msg& x, byte_buffer& out);
void encode(const responder_syn_ack_msg& x, byte_buffer& out);
void encode(const originator_ack_msg& x, byte_buffer& out);
void encode(const handshake_msg& x, byte_buffer& out);
/// @}

// -- decoder ------------------------------------------------------------------

/// Decodes and validates one handshake frame payload (tag + body; length
/// prefix already removed). Bytes after a valid body are ignored, as upstream
/// ignores them.
/// @returns `false` with `code`/`reason` set on failure, the values to send
///          back in a `drop_conn` (spec: §4.3): an unknown tag or an empty
///          payload → `ec::invalid_message` "invalid message type tag: <n>";
///          a truncated body → `ec::invalid_message` "failed to parse <msg>:
///          <what>"; a failed `validate` → its code and reason; a drop_conn
///          whose code is 41 (`invalid_json`) or more (see
///          `convertible_to_ec`) → `ec::unspecified` with the sender's
///          description as reason.
[[nodiscard]] bool decode_handshake_msg(byte_span frame_payload,
                                        handshake_msg& out, ec& code,
                                        std::string& reason);

// -- state machine (spec: §4.4, §3.7) -----------------------------------------

/// Who opened the TCP connection.
enum class handshake_role : uint8_t {
  /// Opened the connection: sends hello first, ignores probes.
  initiator,
  /// Accepted the connection: sends probe first, waits for hello.
  acceptor,
};

/// The core's answer to `handshake_actions::check_peer` (spec: §3.7).
enum class handshake_verdict : uint8_t {
  /// No other connection to this peer: continue.
  proceed,
  /// Another connection to this peer exists or is being set up.
  redundant,
  /// The endpoint is shutting down.
  shutting_down,
};

/// What the owner of a `handshake` must do after an event. Handlers only
/// append to `output` and only ever set the flags to `true`; the owner
/// clears them (or uses a fresh object) between events.
struct handshake_actions {
  /// Complete frames to send, in order (append-only).
  byte_buffer output;
  /// Ask the core whether to peer with `peer_id()`; answer with
  /// `handshake::on_verdict`.
  bool check_peer = false;
  /// Close the connection after sending `output`.
  bool close = false;
};

/// The states, each named after what it awaits.
enum class handshake_state : uint8_t {
  /// Constructed; `start` not called yet.
  awaiting_start,
  /// Acceptor after its probe.
  awaiting_hello,
  /// Initiator after its hello (probes are ignored here).
  awaiting_hello_or_version_select,
  /// Responder acceptor after its own hello.
  awaiting_version_select,
  /// Originator that asked the core (`check_peer`) before version_select.
  awaiting_originator_verdict,
  /// Responder that asked the core after version_select.
  awaiting_responder_verdict,
  /// Responder after the verdict.
  awaiting_originator_syn,
  /// Originator after version_select + originator_syn.
  awaiting_responder_syn_ack,
  /// Responder after responder_syn_ack.
  awaiting_originator_ack,
  /// Succeeded: the connection continues with phase 3.
  done,
  /// Failed: see `error_code`, `error_reason`.
  failed,
};

/// Returns the state's name ("awaiting_hello", ...).
std::string_view to_string(handshake_state x) noexcept;

/// At most this many frames are kept while the core's verdict is pending. A
/// conforming peer sends at most two meanwhile: originator_syn right after
/// version_select, then possibly a drop_conn (its own timeout or shutdown).
/// One more is an error (never an unbounded queue).
inline constexpr size_t max_queued_frames = 2;

/// The handshake of one connection (spec: upstream-broker.md §4.4), driven
/// by events: `start`, then `on_frame` per received frame, `on_verdict`
/// after `check_peer`, and `on_timeout` when the deadline passes. Every
/// event returns immediately and reports what to do in `handshake_actions`.
///
/// Sequences (spec §4.4): the acceptor sends probe; the initiator sends
/// hello; the side with the smaller ID (memcmp) originates: version_select +
/// originator_syn back to back; the responder replies responder_syn_ack; the
/// originator sends originator_ack. Failures send `drop_conn` (except when
/// the peer sent one) and close.
///
/// Thread safety: none; one object belongs to one connection.
class handshake {
public:
  /// @param role whether we opened (initiator) or accepted the connection.
  /// @param own_id our endpoint ID, sent in hello/version_select/drop_conn.
  /// @param own_filter our subscriptions, sent in originator_syn or
  ///        responder_syn_ack.
  handshake(handshake_role role, endpoint_id own_id, filter_type own_filter);

  /// Begins: the acceptor sends probe, the initiator hello(own, 1, 1).
  /// Ignored unless in `awaiting_start`.
  void start(handshake_actions& out);

  /// Handles one received frame payload (length prefix removed). While a
  /// verdict is pending the frame is copied and handled after the verdict.
  /// On failure appends drop_conn (unless the peer sent one) and sets
  /// `close`. Must not be called after `done()`; ignored after `failed()`.
  void on_frame(byte_span frame_payload, handshake_actions& out);

  /// Answers a `check_peer` request. `proceed` continues; `redundant` sends
  /// drop_conn(redundant_connection, "redundant connection") as originator
  /// or drop_conn(logic_error, "detected redundant connection at the
  /// responder") as responder; `shutting_down` sends drop_conn(shutting_down,
  /// "shutting down"); both close. Ignored if no verdict is pending.
  void on_verdict(handshake_verdict verdict, handshake_actions& out);

  /// The handshake deadline passed: sends drop_conn(peer_timeout, "handshake
  /// timed out [after <deadline>] while awaiting <what>") and closes.
  /// Ignored after `done()` or `failed()`.
  void on_timeout(handshake_actions& out,
                  std::chrono::milliseconds deadline = {});

  [[nodiscard]] handshake_state state() const noexcept { return state_; }

  /// Returns whether the handshake succeeded.
  [[nodiscard]] bool done() const noexcept {
    return state_ == handshake_state::done;
  }

  /// Returns whether the handshake failed.
  [[nodiscard]] bool failed() const noexcept {
    return state_ == handshake_state::failed;
  }

  [[nodiscard]] handshake_role role() const noexcept { return role_; }

  [[nodiscard]] const endpoint_id& own_id() const noexcept { return own_id_; }

  /// Returns the peer's ID once its hello, version_select or drop_conn
  /// arrived (nil before).
  [[nodiscard]] const endpoint_id& peer_id() const noexcept { return peer_id_; }

  /// Returns the peer's filter once its originator_syn or responder_syn_ack
  /// arrived.
  [[nodiscard]] const filter_type& peer_filter() const noexcept {
    return peer_filter_;
  }

  /// Returns whether we originate, i.e. have the smaller ID (memcmp; spec
  /// §4.4). Meaningful once `peer_id()` is known.
  [[nodiscard]] bool is_originator() const noexcept {
    return own_id_ < peer_id_;
  }

  /// Returns why the handshake failed (`ec::none` unless `failed()`; a
  /// received drop_conn with code `none` is reported as `unspecified`).
  [[nodiscard]] ec error_code() const noexcept { return error_code_; }

  /// Returns the failure's description (empty unless `failed()`).
  [[nodiscard]] const std::string& error_reason() const noexcept {
    return error_reason_;
  }

  /// Returns whether we failed because the peer sent
  /// drop_conn(redundant_connection = 39) (spec §3.7: success if the core
  /// already knows the peer).
  [[nodiscard]] bool failed_redundant() const noexcept {
    return peer_sent_drop_conn_ && error_code_ == ec::redundant_connection;
  }

  /// Returns whether we failed because the peer sent a drop_conn.
  [[nodiscard]] bool peer_sent_drop_conn() const noexcept {
    return peer_sent_drop_conn_;
  }

private:
  using handler = void (handshake::*)(handshake_msg&, handshake_actions&);

  /// One row of the transition table: in `state`, a message with `tag` goes
  /// to `fn`. Pairs without a row are unexpected messages.
  struct transition {
    handshake_state state;
    msg_tag tag;
    handler fn;
  };

  static const transition transitions[];

  /// Decodes one frame and dispatches it through the table.
  void handle_frame(byte_span frame_payload, handshake_actions& out);

  /// Handles frames queued while a verdict was pending.
  void handle_queued_frames(handshake_actions& out);

  // Handlers (the table's targets).
  void on_hello_as_acceptor(handshake_msg& msg, handshake_actions& out);
  void on_hello_as_initiator(handshake_msg& msg, handshake_actions& out);
  void on_version_select(handshake_msg& msg, handshake_actions& out);
  void on_originator_syn(handshake_msg& msg, handshake_actions& out);
  void on_responder_syn_ack(handshake_msg& msg, handshake_actions& out);
  void on_originator_ack(handshake_msg& msg, handshake_actions& out);
  void on_drop_conn(handshake_msg& msg, handshake_actions& out);
  void ignore(handshake_msg& msg, handshake_actions& out);

  /// Stores the peer's ID; fails (and returns false) on self-peering or a
  /// nil ID.
  bool accept_peer_id(const endpoint_id& id, handshake_actions& out);

  /// Sets `check_peer` and waits in `next`.
  void ask_core(handshake_state next, handshake_actions& out);

  /// Moves to `done`, unless frames beyond the completing one are queued.
  void complete(msg_tag last, handshake_actions& out);

  /// Sends drop_conn(code, reason), asks to close, moves to `failed`.
  void fail(ec code, std::string reason, handshake_actions& out);

  /// Returns what the current state awaits, for error messages.
  std::string_view awaited() const noexcept;

  handshake_role role_;
  handshake_state state_ = handshake_state::awaiting_start;
  endpoint_id own_id_;
  filter_type own_filter_;
  endpoint_id peer_id_;
  filter_type peer_filter_;
  ec error_code_ = ec::none;
  std::string error_reason_;
  bool peer_sent_drop_conn_ = false;
  /// Copies of frames that arrived while a verdict was pending.
  std::deque<byte_buffer> queued_frames_;
};

} // namespace broker::wire
