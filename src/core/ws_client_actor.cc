#include "core/ws_client_actor.hh"

#include "broker/version.hh"
#include "core/buffer_pool.hh"
#include "core/messages.hh"
#include "core/outbound_buffer.hh"
#include "format/bin.hh"
#include "format/json.hh"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include <deque>
#include <mutex>
#include <optional>

namespace broker::core {

namespace {

namespace bin = format::bin::v1;
namespace json = format::json::v1;

/// Messages handed to the session that it has not written yet, at most
/// (the rest waits in the actor's buffer, where the overflow policy acts).
/// Refilled once half of them are written.
constexpr size_t max_in_session = 256;

/// Longest close reason RFC 6455 §5.5 allows (125-byte control payload
/// minus the 2-byte code).
constexpr size_t max_close_reason = 123;

/// Wire-form bytes after which an inbound batch goes to the core even if
/// more frames of the same read are waiting (offsets into a batch buffer are
/// 32-bit; a single message is at most `ws_options::max_message_size`).
constexpr size_t max_batch_bytes = 4 * 1024 * 1024;

/// What a batch buffer reserves up front.
constexpr size_t initial_batch_bytes = 64 * 1024;

/// Forwards session events from the I/O thread into the actor's mailbox.
/// Messages are collected in an inbox and announced with one actor message
/// per batch, not per message.
class ws_bridge final : public net::ws_handler {
public:
  explicit ws_bridge(caf::actor self) : self_(std::move(self)) {}

  void on_message(std::string text) override {
    std::vector<std::string> texts;
    texts.emplace_back(std::move(text));
    on_messages(std::move(texts));
  }

  void on_messages(std::vector<std::string> texts) override {
    bool notify = false;
    {
      std::lock_guard guard{mtx_};
      if (inbox_.empty())
        inbox_ = std::move(texts);
      else
        inbox_.insert(inbox_.end(), std::make_move_iterator(texts.begin()),
                      std::make_move_iterator(texts.end()));
      notify = !inbox_notified_;
      inbox_notified_ = true;
    }
    if (notify)
      caf::anon_send(self_, ws_inbox_msg{});
  }

  void on_sent(size_t count) override {
    bool notify = false;
    {
      std::lock_guard guard{mtx_};
      sent_ += count;
      notify = !sent_notified_;
      sent_notified_ = true;
    }
    if (notify)
      caf::anon_send(self_, ws_sent_msg{});
  }

  void on_closed(const std::error_code& reason, std::string what) override {
    caf::anon_send(self_, ws_closed_msg{reason, std::move(what)});
  }

  /// Takes the messages received so far.
  std::vector<std::string> take_inbox() {
    std::lock_guard guard{mtx_};
    inbox_notified_ = false;
    return std::exchange(inbox_, {});
  }

  /// Takes the number of messages written so far.
  size_t take_sent() {
    std::lock_guard guard{mtx_};
    sent_notified_ = false;
    return std::exchange(sent_, 0);
  }

private:
  caf::actor self_;
  std::mutex mtx_;
  std::vector<std::string> inbox_;
  bool inbox_notified_ = false;
  size_t sent_ = 0;
  bool sent_notified_ = false;
};

enum class phase : uint8_t {
  /// Waiting for the first frame: the filter (spec §5.2).
  awaiting_filter,
  /// Exchanging data messages.
  active,
  /// Waiting for the session to end.
  closing,
};

std::string truncated(std::string str, size_t max) {
  if (str.size() > max)
    str.resize(max);
  return str;
}

struct ws_client_state {
  static inline const char* name = "broker.ws-client";

  using actor_ptr = caf::stateful_actor<ws_client_state>*;

  actor_ptr self = nullptr;
  caf::actor core;
  uint64_t conn = 0;
  std::shared_ptr<net::ws_session> session;
  std::shared_ptr<ws_bridge> bridge;
  std::shared_ptr<const settings> cfg;
  endpoint_id id = endpoint_id::random();
  phase ph = phase::awaiting_filter;
  /// Number of the next data frame, for error texts (spec §5.3: from 1).
  uint64_t input = 1;
  /// Outbound messages not handed to the session yet.
  std::optional<outbound_buffer> outq;
  size_t in_session = 0;
  /// Frames per inbound batch sent to the core, waiting for its ack before
  /// the session may read that many more (back-pressure).
  std::deque<size_t> unacked;
  /// The inbound batch in the making: the values, transcoded from JSON to
  /// wire form into one shared buffer, as peers' messages arrive. A message
  /// thus costs no allocations of its own (which the subscriber's thread
  /// would free, contending for this thread's allocator), and subscribers
  /// decode the values on their own threads.
  struct inbound_value {
    topic t;
    uint32_t offset;
    uint32_t size;
  };
  std::vector<inbound_value> inbound;
  bin::byte_buffer inbound_bytes;
  std::shared_ptr<buffer_pool> pool = std::make_shared<buffer_pool>();
  bool removing = false;
  std::string removal_reason;
  /// What `endpoint::metrics()` reports about this client.
  std::shared_ptr<peer_counters> counters;
  /// Whether the core knows that this client is gone.
  bool reported = false;

  explicit ws_client_state(actor_ptr ptr) : self(ptr) {}

  ~ws_client_state() {
    if (session)
      session->abort();
  }

  void start(ws_client_args& args) {
    core = std::move(args.core);
    conn = args.conn;
    session = std::move(args.session);
    cfg = std::move(args.cfg);
    counters = args.counters ? std::move(args.counters)
                             : std::make_shared<peer_counters>();
    outq.emplace(cfg->web_socket_buffer_size, cfg->web_socket_overflow_policy);
    self->monitor(core);
    self->set_down_handler(
        [](caf::scheduled_actor* ptr, caf::down_msg&) { ptr->quit(); });
    bridge = std::make_shared<ws_bridge>(caf::actor_cast<caf::actor>(self));
    session->start(bridge);
    self->delayed_send(self, cfg->handshake_timeout, ws_filter_timeout_msg{});
  }

  // -- inbound
  // -----------------------------------------------------------------

  void on_inbox() {
    auto texts = bridge->take_inbox();
    // Frames read since the last batch went to the core.
    size_t frames = 0;
    for (auto& text : texts) {
      peer_counters::add(counters->bytes_in, text.size());
      ++frames;
      if (ph == phase::awaiting_filter) {
        on_filter(text);
      } else if (ph == phase::active) {
        on_data(text);
        if (inbound_bytes.size() >= max_batch_bytes) {
          send_inbound(frames);
          frames = 0;
        }
      }
    }
    if (!inbound.empty())
      send_inbound(frames);
    else if (frames > 0)
      session->consumed(frames);
  }

  /// Sends the inbound batch to the core. The session may read `frames`
  /// more once the core took it (it may withhold the ack while a local
  /// subscriber is full).
  void send_inbound(size_t frames) {
    auto bytes = pool->share(std::exchange(inbound_bytes, {}));
    node_message_batch batch;
    batch.reserve(inbound.size());
    batch_envelopes envs{inbound.size()};
    for (auto& x : inbound)
      batch.push_back(
          node_message{envs.make(std::move(x.t), bytes, x.offset, x.size), id,
                       endpoint_id{}, cfg->ttl});
    inbound.clear();
    peer_counters::add(counters->messages_in, batch.size());
    unacked.push_back(frames);
    self->send(core, inbound_batch_msg{id, std::move(batch)});
  }

  void on_filter(const std::string& text) {
    filter_type filter;
    std::string reason;
    if (!json::decode_filter(text, filter, reason)) {
      // spec §5.2: no ack; the connection closes.
      close(net::ws_close_policy_violation,
            "first message must contain a filter (a JSON array of topic "
            "prefixes): " +
                reason);
      return;
    }
    ph = phase::active;
    session->send({json::make_ack(cfg->id, version::string())});
    self->delayed_send(self, cfg->heartbeat_interval, heartbeat_tick_msg{});
    network_info addr{session->remote_address(), session->remote_port()};
    self->send(core, ws_client_ready_msg{conn, id, std::move(filter), addr});
  }

  void on_data(const std::string& text) {
    auto n = input++;
    topic t;
    json::decode_error err;
    if (inbound_bytes.capacity() == 0)
      inbound_bytes = pool->take(initial_batch_bytes);
    auto offset = inbound_bytes.size();
    if (json::decode_wire(text, t, inbound_bytes, err)) {
      inbound.push_back(
          inbound_value{std::move(t), static_cast<uint32_t>(offset),
                        static_cast<uint32_t>(inbound_bytes.size() - offset)});
      return;
    }
    // spec §5.3: answer with an error frame, keep the connection.
    auto prefix = "input #" + std::to_string(n);
    std::string context;
    switch (err.kind) {
    case json::decode_errc::malformed_json:
      context = prefix + " contained malformed JSON -> " + err.reason;
      break;
    case json::decode_errc::not_an_object:
      context = prefix + " expected a JSON object";
      break;
    case json::decode_errc::invalid_data:
      context = prefix + " contained invalid data";
      break;
    case json::decode_errc::internal_error:
      context = prefix + " caused an internal error -> " + err.reason;
      break;
    }
    session->send({json::make_error(ec::deserialization_failed, context)});
  }

  void on_ack() {
    if (unacked.empty())
      return;
    session->consumed(unacked.front());
    unacked.pop_front();
  }

  // -- outbound
  // ----------------------------------------------------------------

  void on_outbound(node_message_batch& msgs) {
    if (ph != phase::active) {
      credit(msgs.size());
      return;
    }
    size_t freed = 0;
    if (!outq->push(msgs, freed)) {
      // Reported at once: the client may not read its close frame (or
      // anything) for a long time, and the session bounds the close.
      remove("caf::sec::backpressure_overflow");
      report_closed("");
      return;
    }
    credit(freed);
    flush();
    update_queue_counters();
  }

  /// Publishes the outbound buffer's fill level and drops.
  void update_queue_counters() {
    peer_counters::set(counters->queue_depth, outq->size());
    peer_counters::set(counters->dropped, outq->dropped());
  }

  void flush() {
    if (ph != phase::active)
      return;
    outq->start_clock_if_idle(in_session > 0);
    // Refill the session once half of it was written: the messages (and
    // the credit they free) then move in runs, not one by one.
    if (outq->empty() || in_session > max_in_session / 2)
      return;
    std::vector<std::string> texts;
    while (!outq->empty() && in_session < max_in_session) {
      auto& env = *std::get<node_message>(outq->front()).content;
      std::string out;
      // In wire form (received or published that way): transcoded in
      // place, never decoded here.
      if (!env.has_encoded() ||
          !json::encode_wire(env.topic(), env.encoded_data(),
                             env.encoded_size(), out))
        json::encode(env.topic(), env.value(), out);
      texts.emplace_back(std::move(out));
      outq->pop_front();
      ++in_session;
    }
    credit(texts.size());
    for (auto& text : texts)
      peer_counters::add(counters->bytes_out, text.size());
    update_queue_counters();
    session->send(std::move(texts));
  }

  /// Buffer slots freed: the core may pace publishers by clients too.
  void credit(size_t n) {
    if (n > 0 && ph != phase::awaiting_filter)
      self->send(core, peer_credit_msg{id, n});
  }

  void on_sent() {
    auto n = bridge->take_sent();
    peer_counters::add(counters->messages_out, n);
    in_session -= std::min(in_session, n);
    if (outq->on_progress())
      self->send(core, peer_stall_msg{id, false});
    flush();
  }

  void on_tick() {
    if (ph != phase::active)
      return;
    // DESIGN.md §2, as for peers: a client that makes no progress while
    // data waits stops pacing publishers and meets its overflow policy.
    if (outq->check_stall(in_session > 0, cfg->peer_stall_timeout))
      self->send(core, peer_stall_msg{id, true});
    self->delayed_send(self, cfg->heartbeat_interval, heartbeat_tick_msg{});
  }

  // -- ending
  // ------------------------------------------------------------------

  void close(uint16_t code, std::string reason) {
    if (ph == phase::closing)
      return;
    ph = phase::closing;
    outq->clear();
    session->close(code, truncated(std::move(reason), max_close_reason));
  }

  /// This side ends the session (overflow, shutdown).
  void remove(std::string reason) {
    if (ph == phase::closing)
      return;
    removing = true;
    auto code = reason == "shutting down" ? net::ws_close_going_away
                                          : net::ws_close_policy_violation;
    removal_reason = std::move(reason);
    close(code, removal_reason);
  }

  /// Tells the core that this client is gone (once). Always reported: the
  /// core also tracks clients that never sent their filter (it reports
  /// statuses only for those that did).
  void report_closed(const std::string& what) {
    if (reported)
      return;
    reported = true;
    self->send(core, ws_client_closed_msg{conn, id, removing,
                                          removing ? removal_reason : what});
  }

  void on_closed(const std::error_code&, const std::string& what) {
    report_closed(what);
    session.reset();
    self->quit();
  }
};

caf::behavior ws_client_actor(caf::stateful_actor<ws_client_state>* self,
                              ws_client_args args) {
  self->state.start(args);
  return {
      [self](ws_inbox_msg) { self->state.on_inbox(); },
      [self](ws_sent_msg) { self->state.on_sent(); },
      [self](ws_closed_msg& msg) {
        self->state.on_closed(msg.reason, msg.what);
      },
      [self](inbound_ack_msg) { self->state.on_ack(); },
      [self](outbound_batch_msg& msg) { self->state.on_outbound(msg.msgs); },
      [self](heartbeat_tick_msg) { self->state.on_tick(); },
      [self](ws_filter_timeout_msg) {
        auto& st = self->state;
        if (st.ph == phase::awaiting_filter)
          st.close(net::ws_close_policy_violation,
                   "no filter (first message) within the handshake timeout");
      },
      [self](bye_msg) { self->state.remove("shutting down"); },
      [self](abort_msg) {
        auto& st = self->state;
        st.removing = true;
        st.ph = phase::closing;
        if (st.session)
          st.session->abort();
      },
  };
}

} // namespace

caf::actor spawn_ws_client_actor(caf::actor_system& sys, ws_client_args args) {
  return sys.spawn(ws_client_actor, std::move(args));
}

} // namespace broker::core
