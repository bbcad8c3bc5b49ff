#include "core/peering_actor.hh"

#include "core/buffer_pool.hh"
#include "core/messages.hh"
#include "core/outbound_buffer.hh"
#include "core/peer_counters.hh"
#include "format/bin.hh"
#include "wire/envelope.hh"
#include "wire/frame.hh"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <optional>
#include <random>

namespace broker::core {

namespace {

namespace bin = format::bin::v1;

using clock_type = std::chrono::steady_clock;

/// Encoded bytes per write handed to the stream.
constexpr size_t write_batch_bytes = 64 * 1024;

/// Encoded bytes a peering may have queued in its stream before it stops
/// encoding more (the rest waits, as messages, in the outbound buffer).
constexpr size_t max_in_flight_bytes = 256 * 1024;

/// Prefix of our heartbeat pings; any ping is answered by upstream with an
/// identical pong, so this is wire compatible (DESIGN.md §2).
constexpr std::string_view heartbeat_prefix = "HB";

/// Names the limit on frames before the handshake completed in errors (see
/// `wire::max_handshake_frame_size`).
constexpr const char* handshake_limit_name = "the handshake frame limit";

/// Malformed phase-3 messages are reported to the core at most this often
/// per peering (DESIGN.md §5), so that a flood cannot fill status queues:
/// the first at once, later ones summed up in one report per interval.
constexpr auto malformed_report_interval = std::chrono::seconds{1};

/// Forwards stream events from the I/O thread into the actor's mailbox.
class stream_bridge final : public net::stream_handler {
public:
  explicit stream_bridge(caf::actor self) : self_(std::move(self)) {}

  void on_data(net::byte_buffer chunk, size_t size) override {
    caf::anon_send(self_, stream_data_msg{std::move(chunk), size});
  }

  void on_sent(size_t bytes) override {
    caf::anon_send(self_, stream_sent_msg{bytes});
  }

  void on_closed(const std::error_code& reason) override {
    caf::anon_send(self_, stream_closed_msg{reason});
  }

private:
  caf::actor self_;
};

enum class phase : uint8_t {
  handshake,
  established,
  /// Waiting for the stream to close; nothing more is sent or delivered.
  closing,
};

enum class bye_phase : uint8_t {
  none,
  /// Flushing the outbound buffer before the BYE ping.
  flushing,
  /// BYE ping sent, waiting for its pong.
  sent,
  /// Pong received (or timed out), closing.
  done,
};

struct peering_state {
  static inline const char* name = "broker.peering";

  using actor_ptr = caf::stateful_actor<peering_state>*;

  actor_ptr self = nullptr;
  caf::actor core;
  uint64_t conn = 0;
  std::shared_ptr<net::stream> stream;
  std::shared_ptr<const settings> cfg;
  std::optional<wire::handshake> hs;
  wire::frame_reader reader;
  phase ph = phase::handshake;
  endpoint_id peer;
  std::optional<outbound_buffer> outq;
  /// Bytes handed to the stream and not written yet.
  size_t in_flight = 0;
  /// The writes in flight, oldest first: their bytes, and how many frames
  /// of publishers they carry (credited back to the core once written, so
  /// a publisher's next batch collects while this one is on its way).
  std::deque<std::pair<size_t, size_t>> writes;
  clock_type::time_point last_received;
  clock_type::time_point last_ping;
  uint64_t ping_count = 0;
  bye_phase bye = bye_phase::none;
  uint64_t bye_id = 0;
  /// Set when this side ends the peering.
  bool removing = false;
  /// Set when this side detects that the peer is gone (heartbeat timeout).
  bool lost = false;
  std::string removal_reason;
  bool reported = false;
  uint64_t malformed = 0;
  /// Malformed messages not reported yet, and what was wrong with the last.
  uint64_t unreported_malformed = 0;
  ec last_malformed_code = ec::none;
  std::string last_malformed_what;
  /// When the last report went out (rate limit), and whether a
  /// `malformed_tick_msg` is on its way.
  std::optional<clock_type::time_point> last_malformed_report;
  bool malformed_tick_pending = false;
  /// A received data message; its topic and value are in `inbound_bytes`.
  struct pending_data {
    /// Where its topic is (shared with the message before it if equal).
    uint32_t topic_offset;
    uint16_t topic_size;
    endpoint_id receiver;
    uint16_t ttl;
    uint32_t offset;
    uint32_t size;
  };

  /// Data messages of the current read, not yet sent to the core.
  std::vector<pending_data> inbound;

  /// Their values in wire format, back to back, and their topics (each
  /// only where it differs from the one before).
  bin::byte_buffer inbound_bytes;

  /// What `endpoint::metrics()` reports about this connection.
  std::shared_ptr<peer_counters> counters;

  /// Recycles the buffers of `inbound_bytes` once all their messages died.
  std::shared_ptr<buffer_pool> pool = std::make_shared<buffer_pool>();

  /// Inbound batches sent to the core and not acknowledged yet.
  size_t unacked_batches = 0;
  /// Read chunks held back until the core acknowledged their batches, each
  /// with the number of acks it waits for (back-pressure: the stream stops
  /// reading while it has too many unreleased chunks).
  std::deque<std::pair<net::byte_buffer, size_t>> held_chunks;

  peering_state(actor_ptr ptr) : self(ptr) {}

  ~peering_state() {
    if (stream)
      stream->abort();
  }

  const endpoint_id& own_id() const { return cfg->id; }

  // -- handshake --------------------------------------------------------------

  void start(peering_args& args) {
    core = std::move(args.core);
    conn = args.conn;
    stream = std::move(args.stream);
    cfg = std::move(args.cfg);
    counters = args.counters ? std::move(args.counters)
                             : std::make_shared<peer_counters>();
    // Strangers get a smaller frame limit until the handshake is done.
    reader = wire::frame_reader{
        std::min(cfg->max_frame_size, wire::max_handshake_frame_size),
        handshake_limit_name};
    outq.emplace(cfg->peer_buffer_size, cfg->peer_overflow_policy);
    reader.allow_empty_frames(false);
    last_received = clock_type::now();
    // If the core goes away (shutdown deadline), so do we.
    self->monitor(core);
    self->set_down_handler(
        [](caf::scheduled_actor* ptr, caf::down_msg&) { ptr->quit(); });
    auto bridge =
        std::make_shared<stream_bridge>(caf::actor_cast<caf::actor>(self));
    stream->start(std::move(bridge));
    hs.emplace(args.role, own_id(), std::move(args.filter));
    wire::handshake_actions act;
    hs->start(act);
    apply(act);
    self->delayed_send(self, cfg->handshake_timeout, handshake_timeout_msg{});
  }

  void apply(wire::handshake_actions& act) {
    if (!act.output.empty())
      write(std::move(act.output));
    if (act.check_peer)
      self->send(core,
                 check_peer_msg{conn, hs->peer_id(), hs->is_originator()});
    if (hs->failed())
      fail_handshake(hs->error_code(), hs->error_reason(),
                     hs->failed_redundant());
    else if (hs->done())
      complete_handshake();
  }

  void fail_handshake(ec code, std::string reason, bool redundant) {
    if (ph != phase::handshake)
      return;
    ph = phase::closing;
    report_handshake_failure(code, std::move(reason), redundant);
    // Graceful: a drop_conn we queued still reaches the peer.
    stream->close();
  }

  void report_handshake_failure(ec code, std::string reason, bool redundant) {
    if (reported)
      return;
    reported = true;
    auto id = hs ? hs->peer_id() : endpoint_id{};
    self->send(core, handshake_failed_msg{conn, id, code, std::move(reason),
                                          redundant});
  }

  void complete_handshake() {
    ph = phase::established;
    peer = hs->peer_id();
    self->send(core, handshake_done_msg{conn, peer, hs->peer_filter()});
    hs.reset();
    reader.allow_empty_frames(true);
    reader.max_frame_size(cfg->max_frame_size, "broker.max-frame-size");
    last_received = clock_type::now();
    self->delayed_send(self, cfg->heartbeat_interval, heartbeat_tick_msg{});
  }

  // -- inbound ----------------------------------------------------------------

  void on_data(bin::byte_span chunk) {
    last_received = clock_type::now();
    std::string err;
    if (ph == phase::handshake) {
      auto ok = reader.feed(
          chunk,
          [this](bin::byte_span frame) {
            wire::handshake_actions act;
            hs->on_frame(frame, act);
            apply(act);
            return ph == phase::handshake;
          },
          err);
      if (!ok) {
        // Oversized or empty frame before the handshake completed.
        net::byte_buffer out;
        wire::encode(
            wire::make_drop_conn_msg(own_id(), ec::invalid_message, err), out);
        write(std::move(out));
        fail_handshake(ec::invalid_message, err, false);
        return;
      }
      if (ph != phase::established)
        return;
      // The rest of the chunk (if any) is buffered in the reader.
      chunk = bin::byte_span{};
    }
    if (ph != phase::established)
      return;
    auto ok = reader.feed(
        chunk, [this](bin::byte_span frame) { on_envelope(frame); }, err);
    deliver();
    if (!ok)
      remove_locally(err);
  }

  /// Sends the data messages received so far to the core: one shared
  /// buffer holds their values, still encoded; subscribers decode them on
  /// their own threads, forwarding reuses the bytes.
  void deliver() {
    if (inbound.empty())
      return;
    auto bytes = pool->share(std::move(inbound_bytes));
    inbound_bytes = pool->take(stream->chunk_size);
    node_message_batch batch;
    batch.reserve(inbound.size());
    batch_envelopes envs{inbound.size()};
    for (auto& x : inbound) {
      std::string_view dst{
          reinterpret_cast<const char*>(bytes->data() + x.topic_offset),
          x.topic_size};
      auto env = envs.make_shared_topic(dst, bytes, x.offset, x.size);
      // The last hop is the peer we got it from, whatever the field says.
      batch.push_back(node_message{std::move(env), peer, x.receiver, x.ttl});
    }
    peer_counters::add(counters->messages_in, inbound.size());
    inbound.clear();
    ++unacked_batches;
    self->send(core, inbound_batch_msg{peer, std::move(batch)});
  }

  /// Processes one read chunk and hands it back to the stream once the core
  /// took all batches made from it.
  void on_chunk(net::byte_buffer chunk, size_t size) {
    peer_counters::add(counters->bytes_in, size);
    auto before = unacked_batches;
    on_data(bin::byte_span{chunk.data(), size});
    auto acks = unacked_batches - before;
    if (acks == 0 && held_chunks.empty())
      stream->release(std::move(chunk));
    else
      held_chunks.emplace_back(std::move(chunk), acks);
  }

  void on_ack() {
    if (unacked_batches > 0)
      --unacked_batches;
    // Acks arrive in batch order: release chunks whose batches are all done.
    if (!held_chunks.empty() && held_chunks.front().second > 0)
      --held_chunks.front().second;
    while (!held_chunks.empty() && held_chunks.front().second == 0) {
      stream->release(std::move(held_chunks.front().first));
      held_chunks.pop_front();
    }
  }

  void on_envelope(bin::byte_span frame) {
    if (ph != phase::established)
      return;
    wire::envelope_view env;
    std::string err;
    if (!wire::parse_envelope(frame, env, err)) {
      // spec: upstream-broker.md §4.5: drop the message, keep the peering.
      drop_malformed(ec::invalid_message, std::move(err));
      return;
    }
    switch (env.type) {
    case wire::envelope_type::data: {
      // spec §4.5: a payload that does not parse is dropped. Checking it
      // here (without building the value) keeps bad bytes away from
      // subscribers and peers; decoding happens where the value is used.
      bin::decode_error derr;
      if (!bin::validate(env.payload, derr)) {
        drop_malformed(derr.code, "data message on topic " +
                                      std::string{env.topic} + ": " +
                                      derr.reason);
        return;
      }
      // A run of messages on one topic stores it once.
      auto topic_offset = static_cast<uint32_t>(inbound_bytes.size());
      auto topic_size = static_cast<uint16_t>(env.topic.size());
      if (!inbound.empty() && inbound.back().topic_size == topic_size &&
          std::memcmp(inbound_bytes.data() + inbound.back().topic_offset,
                      env.topic.data(), topic_size) == 0) {
        topic_offset = inbound.back().topic_offset;
      } else {
        inbound_bytes.insert(inbound_bytes.end(), env.topic.begin(),
                             env.topic.end());
      }
      auto offset = static_cast<uint32_t>(inbound_bytes.size());
      inbound_bytes.insert(inbound_bytes.end(), env.payload.begin(),
                           env.payload.end());
      inbound.push_back(pending_data{topic_offset, topic_size, env.receiver,
                                     env.ttl, offset,
                                     static_cast<uint32_t>(env.payload.size)});
      return;
    }
    case wire::envelope_type::routing_update: {
      filter_type filter;
      if (!wire::parse_routing_update(env.payload, filter, err)) {
        drop_malformed(ec::deserialization_failed, std::move(err));
        return;
      }
      deliver(); // keep the order of data and filter changes
      self->send(core, peer_filter_msg{peer, std::move(filter)});
      return;
    }
    case wire::envelope_type::ping: {
      net::byte_buffer out;
      wire::write_pong_reply(env, out);
      write(std::move(out));
      return;
    }
    case wire::envelope_type::pong: {
      on_heartbeat_pong(env.payload);
      uint64_t id = 0;
      if (bye == bye_phase::sent && wire::is_bye_payload(env.payload, id) &&
          id == bye_id) {
        bye = bye_phase::done;
        ph = phase::closing;
        stream->close();
      }
      return;
    }
    case wire::envelope_type::command:
      // Data stores are not supported yet: command traffic is dropped.
      ++malformed;
      return;
    }
  }

  /// Drops a malformed phase-3 message with an error event (DESIGN.md §5),
  /// rate-limited: reported at once unless a report went out less than
  /// `malformed_report_interval` ago; then summed up when it has passed.
  void drop_malformed(ec code, std::string what) {
    ++malformed;
    peer_counters::add(counters->malformed, 1);
    ++unreported_malformed;
    last_malformed_code = code;
    last_malformed_what = std::move(what);
    if (!malformed_tick_pending)
      report_malformed_if_due();
  }

  /// Reports unreported malformed messages now if the interval since the
  /// last report passed; otherwise schedules a `malformed_tick_msg`.
  void report_malformed_if_due() {
    if (unreported_malformed == 0)
      return;
    auto now = clock_type::now();
    if (last_malformed_report &&
        now - *last_malformed_report < malformed_report_interval) {
      malformed_tick_pending = true;
      self->delayed_send(
          self, *last_malformed_report + malformed_report_interval - now,
          malformed_tick_msg{});
      return;
    }
    last_malformed_report = now;
    report_malformed();
  }

  void report_malformed() {
    if (unreported_malformed == 0)
      return;
    self->send(core, peer_malformed_msg{peer, unreported_malformed,
                                        last_malformed_code,
                                        std::move(last_malformed_what)});
    unreported_malformed = 0;
    last_malformed_what.clear();
  }

  void on_malformed_tick() {
    malformed_tick_pending = false;
    if (!reported)
      report_malformed_if_due();
  }

  // -- outbound ---------------------------------------------------------------

  /// Queues `msgs` (a batch of messages or a publisher's frame run).
  template <class Messages>
  void on_outbound(Messages&& msgs) {
    if (ph != phase::established || bye != bye_phase::none) {
      credit(msgs.size());
      return;
    }
    size_t freed = 0;
    if (!outq->push(std::forward<Messages>(msgs), freed)) {
      remove_locally("caf::sec::backpressure_overflow");
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

  /// A pong answering our latest heartbeat ping gives the round trip.
  void on_heartbeat_pong(bin::byte_span payload) {
    constexpr size_t size = heartbeat_prefix.size() + sizeof(uint64_t);
    if (payload.size != size ||
        !std::equal(heartbeat_prefix.begin(), heartbeat_prefix.end(),
                    payload.data) ||
        bin::read_u64(payload.data + heartbeat_prefix.size()) != ping_count)
      return;
    auto rtt = clock_type::now() - last_ping;
    counters->round_trip_ns.store(
        std::chrono::duration_cast<std::chrono::nanoseconds>(rtt).count(),
        std::memory_order_relaxed);
  }

  /// Hands `bytes`, which carry `frames` frames of publishers, to the
  /// stream.
  void write(net::byte_buffer bytes, size_t frames = 0) {
    in_flight += bytes.size();
    writes.emplace_back(bytes.size(), frames);
    stream->write(std::move(bytes));
  }

  /// The stream wrote `bytes`: progress, so the peer is not stalled.
  void on_sent(size_t bytes) {
    peer_counters::add(counters->bytes_out, bytes);
    in_flight -= std::min(in_flight, bytes);
    size_t written = 0;
    for (auto left = bytes; !writes.empty() && left > 0;) {
      auto& [size, frames] = writes.front();
      if (size > left) { // the stream joins whole writes: not expected
        size -= left;
        break;
      }
      left -= size;
      written += frames;
      writes.pop_front();
    }
    credit(written);
    if (outq->on_progress())
      self->send(core, peer_stall_msg{peer, false});
    flush();
  }

  void flush() {
    if (ph != phase::established)
      return;
    outq->start_clock_if_idle(in_flight > 0);
    size_t released = 0;
    size_t singles = 0; // messages not from a publisher's frame run
    while (!outq->empty() && in_flight < max_in_flight_bytes) {
      size_t frames = 0;
      net::byte_buffer buf;
      buf.reserve(write_reserve());
      while (!outq->empty() && buf.size() < write_batch_bytes) {
        auto& item = outq->front();
        if (auto run = std::get_if<frame_run>(&item)) {
          // A publisher's frames, ready for the wire: one copy for all.
          auto [n, len] = run->prefix_reaching(write_batch_bytes - buf.size());
          buf.insert(buf.end(), run->data(), run->data() + len);
          outq->pop_front(n);
          frames += n;
          continue;
        }
        auto& msg = std::get<node_message>(item);
        auto& env = *msg.content;
        if (env.has_encoded())
          // Received or published in wire form: no re-encoding.
          wire::write_envelope(
              own_id(), msg.receiver, wire::envelope_type::data, msg.ttl,
              env.topic().string(),
              bin::byte_span{env.encoded_data(), env.encoded_size()}, buf);
        else
          wire::write_data_envelope(own_id(), msg.receiver, msg.ttl,
                                    env.topic().string(), env.value(), buf);
        outq->pop_front();
        ++singles;
      }
      write(std::move(buf), frames);
      released += frames;
    }
    // Credit for single messages returns at once, as their sender is not
    // paced by it (fire-and-forget publish, forwarding): waiting for the
    // write would only add an actor message to the round trip of each.
    credit(singles);
    released += singles;
    peer_counters::add(counters->messages_out, released);
    update_queue_counters();
    if (outq->empty() && bye == bye_phase::flushing)
      send_bye();
  }

  /// Bytes to reserve for one write of what `outq` holds: its messages
  /// times the framed size of the first one (a run of messages tends to be
  /// alike), at most a write batch. A lone small message (a ping-pong, a
  /// quiet Zeek node) then costs a small allocation instead of 65 kB.
  /// @pre `!outq->empty()`
  size_t write_reserve() {
    constexpr size_t max_reserve = write_batch_bytes + 1024;
    /// A guess for a message whose value has no wire form yet.
    constexpr size_t decoded_guess = 128;
    auto& item = outq->front();
    size_t first = 0;
    if (auto run = std::get_if<frame_run>(&item)) {
      first = run->batch->sizes[run->first];
    } else {
      const auto& env = *std::get<node_message>(item).content;
      first = wire::frame_header_size + wire::envelope_header_size +
              env.topic().string().size() +
              (env.has_encoded() ? env.encoded_size() : decoded_guess);
    }
    return std::min(max_reserve, outq->size() * first);
  }

  void credit(size_t n) {
    if (n > 0 && ph != phase::handshake)
      self->send(core, peer_credit_msg{peer, n});
  }

  void announce(const filter_type& filter) {
    if (ph != phase::established)
      return;
    net::byte_buffer out;
    wire::write_routing_update(own_id(), peer, filter, out);
    write(std::move(out));
  }

  // -- heartbeat --------------------------------------------------------------

  void on_tick() {
    if (ph != phase::established)
      return;
    auto now = clock_type::now();
    // While we hold reads back (our own subscribers are full), silence on
    // the wire says nothing about the peer: do not count it. Nor can we see
    // the peer's pings then, so we keep pinging it ourselves, or its own
    // heartbeat timeout would take our silence for a lost peer.
    auto holding_reads = !held_chunks.empty();
    if (holding_reads)
      last_received = now;
    if (now - last_received > cfg->heartbeat_timeout) {
      lost = true;
      ph = phase::closing;
      stream->abort();
      return;
    }
    // DESIGN.md §2: a peer whose stream makes no progress for the stall
    // timeout while data waits stops pacing publishers and meets its
    // overflow policy instead.
    if (outq->check_stall(in_flight > 0, cfg->peer_stall_timeout))
      self->send(core, peer_stall_msg{peer, true});
    if ((holding_reads || now - last_received >= cfg->heartbeat_interval) &&
        now - last_ping >= cfg->heartbeat_interval) {
      last_ping = now;
      net::byte_buffer payload{heartbeat_prefix.begin(),
                               heartbeat_prefix.end()};
      bin::write_u64(++ping_count, payload);
      net::byte_buffer out;
      wire::write_ping(own_id(), peer, bin::byte_span{payload}, out);
      write(std::move(out));
    }
    self->delayed_send(self, cfg->heartbeat_interval, heartbeat_tick_msg{});
  }

  // -- ending -----------------------------------------------------------------

  void start_bye() {
    if (ph != phase::established || bye != bye_phase::none) {
      if (ph == phase::handshake)
        abort_now();
      return;
    }
    removing = true;
    bye = bye_phase::flushing;
    self->delayed_send(self, cfg->unpeer_timeout, bye_timeout_msg{});
    flush();
  }

  void send_bye() {
    static thread_local std::minstd_rand rng{std::random_device{}()};
    bye_id = (uint64_t{rng()} << 32) | rng();
    bye = bye_phase::sent;
    net::byte_buffer out;
    auto payload = wire::make_bye_payload(bye_id);
    wire::write_ping(own_id(), peer, wire::as_span(payload), out);
    write(std::move(out));
  }

  void on_bye_timeout() {
    if (bye == bye_phase::flushing || bye == bye_phase::sent) {
      bye = bye_phase::done;
      ph = phase::closing;
      stream->abort();
    }
  }

  /// This side ends the peering now (overflow, protocol violation).
  void remove_locally(std::string reason) {
    if (ph == phase::closing)
      return;
    removing = true;
    removal_reason = std::move(reason);
    ph = phase::closing;
    credit(outq->clear());
    stream->abort();
  }

  void abort_now() {
    if (ph == phase::handshake)
      report_handshake_failure(ec::shutting_down, "aborted", false);
    removing = true;
    ph = phase::closing;
    stream->abort();
  }

  void on_closed(const std::error_code& reason) {
    if (hs || (!reported && peer == endpoint_id{})) {
      auto what = std::string{"connection closed during the handshake"};
      if (reason)
        what += ": " + reason.message();
      report_handshake_failure(ec::peer_disconnect_during_handshake, what,
                               false);
    } else if (!reported) {
      reported = true;
      // Held back by the rate limit: the core still knows the peer.
      report_malformed();
      self->send(core, peering_closed_msg{conn, peer, removing && !lost,
                                          removal_reason});
    }
    self->quit();
  }
};

caf::behavior peering_actor(caf::stateful_actor<peering_state>* self,
                            peering_args args) {
  self->state.start(args);
  return {
      // The data path first: CAF tries the handlers in this order.
      [self](stream_data_msg& msg) {
        self->state.on_chunk(std::move(msg.chunk), msg.size);
      },
      [self](inbound_ack_msg) { self->state.on_ack(); },
      [self](stream_sent_msg& msg) { self->state.on_sent(msg.bytes); },
      [self](outbound_frames_msg& msg) {
        self->state.on_outbound(std::move(msg.run));
      },
      [self](outbound_batch_msg& msg) { self->state.on_outbound(msg.msgs); },
      [self](stream_closed_msg& msg) { self->state.on_closed(msg.reason); },
      [self](verdict_msg& msg) {
        auto& st = self->state;
        if (st.ph != phase::handshake || !st.hs)
          return;
        wire::handshake_actions act;
        st.hs->on_verdict(msg.verdict, act);
        st.apply(act);
        if (st.ph == phase::established) // frames buffered behind the verdict
          st.on_data(bin::byte_span{});
      },
      [self](handshake_timeout_msg) {
        auto& st = self->state;
        if (st.ph != phase::handshake || !st.hs)
          return;
        wire::handshake_actions act;
        st.hs->on_timeout(act,
                          std::chrono::duration_cast<std::chrono::milliseconds>(
                              st.cfg->handshake_timeout));
        st.apply(act);
        if (st.ph == phase::handshake) // the machine must fail; make sure
          st.fail_handshake(ec::peer_timeout, "handshake timed out", false);
      },
      [self](announce_filter_msg& msg) { self->state.announce(msg.filter); },
      [self](heartbeat_tick_msg) { self->state.on_tick(); },
      [self](bye_msg) { self->state.start_bye(); },
      [self](bye_timeout_msg) { self->state.on_bye_timeout(); },
      [self](malformed_tick_msg) { self->state.on_malformed_tick(); },
      [self](abort_msg) { self->state.abort_now(); },
  };
}

} // namespace

caf::actor spawn_peering_actor(caf::actor_system& sys, peering_args args) {
  return sys.spawn(peering_actor, std::move(args));
}

} // namespace broker::core
