#include "core/core_actor.hh"

#include "core/buffer_pool.hh"

#include "broker/status.hh"
#include "core/messages.hh"
#include "core/peer_counters.hh"
#include "core/peering_actor.hh"
#include "core/publisher_queue.hh"
#include "core/retry.hh"
#include "core/subscriber_queue.hh"
#include "core/ws_client_actor.hh"
#include "logger.hh"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <random>

namespace broker::core {

namespace {

// Texts of the status and error events (spec: upstream-broker.md §2.4).
constexpr const char* discovered_text = "found a new peer in the network";
constexpr const char* added_text = "handshake successful";
constexpr const char* removed_text = "removed connection to remote peer";
constexpr const char* lost_text = "lost connection to remote peer";
constexpr const char* unreachable_text = "lost the last path";
constexpr const char* unavailable_text = "unable to connect to remote peer";
constexpr const char* invalid_text = "cannot unpeer from unknown peer";

// Text of the error event for dropped malformed phase-3 messages (DESIGN.md
// §5; upstream only logs them).
constexpr const char* malformed_text = "dropped a malformed message from peer";

// Texts of WebSocket clients' events (spec: upstream-broker.md §2.4, [W]).
constexpr const char* client_discovered_text =
    "found a new client in the network";
constexpr const char* client_removed_prefix = "client removed: ";
constexpr const char* client_lost_text = "lost connection to client";

/// Most messages pulled from one publisher per round (fairness among
/// publishers and other work).
constexpr size_t max_publisher_pull = 4096;

/// An established peering.
struct peer_entry {
  caf::actor handle;
  /// Its traffic counters (shared with its peering actor).
  std::shared_ptr<peer_counters> counters;
  uint64_t conn = 0;
  network_info addr;
  peer_flags flags = peer_flags::invalid;
  filter_type filter;
  /// Free slots in the peer's outbound buffer as far as we know (used to
  /// pace publishers).
  size_t credit = 0;
  /// An unpeer or shutdown is saying goodbye to this peer.
  bool removing = false;
  /// Its buffer stayed full past the stall timeout: it no longer paces
  /// publishers (and meets its overflow policy instead).
  bool stalled = false;
  std::vector<promise_ptr<bool>> unpeer_waiters;
  /// The outbound attempt that created this peering (reconnects on loss).
  std::optional<uint64_t> attempt;
};

/// A connection whose handshake is running.
struct pending_entry {
  caf::actor handle;
  std::shared_ptr<peer_counters> counters;
  network_info addr;
  bool outbound = false;
  std::optional<uint64_t> attempt;
  /// Known once the handshake asked `check_peer_msg`.
  endpoint_id peer;
  /// This connection passed the originator's redundancy check: it is *the*
  /// handshake for `peer` (spec: upstream-broker.md §3.7).
  bool granted = false;
  /// We told the handshake to proceed with `peer` (as originator or
  /// responder): `peers()` reports it as `connected`.
  bool proceeding = false;
  /// Our filter when the handshake started (re-announced on adoption if it
  /// changed meanwhile).
  filter_type announced;
};

/// An outbound peering request (`peer`), owned by the connector logic: the
/// one place where attempts, retries and reconnects are decided.
struct attempt_entry {
  enum class phase : uint8_t {
    /// Connecting (TCP).
    dialing,
    /// The handshake runs on connection `conn`.
    handshaking,
    /// The peer said our connection is redundant; waiting for the other
    /// handshake with `peer` to finish.
    awaiting_other,
    /// Peered as `peer`.
    peered,
    /// Waiting for the retry timer.
    waiting,
  };

  network_info info;
  phase state = phase::dialing;
  /// Increments per scheduled retry: stale timers are ignored.
  uint64_t timer_seq = 0;
  /// The peering was established at least once (later attempts reconnect).
  bool ever_peered = false;
  /// Peerings re-established after a loss.
  uint64_t reconnects = 0;
  std::optional<uint64_t> conn;
  endpoint_id peer;
  /// `peer()` calls waiting for the outcome.
  std::vector<promise_ptr<bool>> waiters;
};

struct subscriber_entry {
  filter_type filter;
  std::shared_ptr<subscriber_queue> queue;
  /// Messages the queue refused (it was full): delivered first once the
  /// subscriber frees space.
  std::deque<data_message> held;
};

struct publisher_entry {
  topic dst;
  std::shared_ptr<publisher_queue> queue;
  /// Pulling stopped because a target peer has no room.
  bool waiting = false;
  /// The publisher detached: forget it once its queue is drained.
  bool closing = false;
};

/// A WebSocket client that sent its filter (spec: upstream-broker.md §5.5).
struct client_entry {
  caf::actor handle;
  std::shared_ptr<peer_counters> counters;
  uint64_t conn = 0;
  network_info addr;
  /// Its prefixes; not added to the endpoint's filter (upstream semantics).
  filter_type filter;
  /// Free slots in its outbound buffer (paces publishers, as for peers).
  size_t credit = 0;
  bool stalled = false;
  bool removing = false;
};

/// An inbound batch not yet acknowledged to its peer (or client) because
/// subscribers it delivered to hold messages back.
struct pending_ack {
  caf::actor handle;
  /// The subscribers that got messages of the batch.
  std::vector<uint64_t> subscribers;
};

/// Which of a fixed list of filters match the topic of the current message.
/// Messages of a batch mostly share their topic (a publisher's always do),
/// and comparing a topic is cheaper than matching every filter against it:
/// the filters are matched again only when the topic changes.
class topic_matches {
public:
  explicit topic_matches(size_t num_filters) : matches_(num_filters) {}

  /// Prepares the answers for `t`; `filter(k)` returns the k-th filter.
  template <class FilterAt>
  void update(const topic& t, FilterAt filter) {
    if (last_ != nullptr && last_->string() == t.string())
      return;
    for (size_t k = 0; k < matches_.size(); ++k)
      matches_[k] = filter_matches(filter(k), t) ? 1 : 0;
    last_ = &t;
  }

  /// Whether the k-th filter matches the topic of the last `update`.
  [[nodiscard]] bool operator[](size_t k) const noexcept {
    return matches_[k] != 0;
  }

private:
  std::vector<uint8_t> matches_;
  /// Points into the message of the last update, which outlives the run.
  const topic* last_ = nullptr;
};

struct core_state {
  static inline const char* name = "broker.core";

  using actor_ptr = caf::stateful_actor<core_state>*;

  actor_ptr self = nullptr;
  std::shared_ptr<const settings> cfg;
  net::io_runtime* io = nullptr;
  std::map<endpoint_id, peer_entry> peers;
  std::map<uint64_t, pending_entry> pending;
  std::map<uint64_t, attempt_entry> attempts;
  /// Originator checks waiting for another handshake with the same peer.
  std::map<endpoint_id, std::vector<uint64_t>> deferred;
  std::multimap<endpoint_id, promise_ptr<bool>> peer_waiters;
  std::map<uint64_t, subscriber_entry> subscribers;
  std::map<uint64_t, publisher_entry> publishers;
  /// Peers whose inbound batch waits for full subscribers to make room.
  std::vector<pending_ack> pending_acks;
  std::vector<topic> forwarded;
  filter_type filter;
  std::vector<std::shared_ptr<net::listener>> listeners;
  std::vector<std::shared_ptr<net::ws_listener>> ws_listeners;
  /// WebSocket clients by ID, and all client actors (with or without a
  /// filter yet) by connection.
  std::map<endpoint_id, client_entry> clients;
  std::map<uint64_t, caf::actor> client_actors;
  /// Traffic counters of the client actors, by connection.
  std::map<uint64_t, std::shared_ptr<peer_counters>> client_counters;
  uint64_t next_conn = 1;
  uint64_t next_attempt = 1;
  bool shutting_down = false;
  promise_ptr<void> shutdown_done;
  std::minstd_rand rng{std::random_device{}()};

  explicit core_state(actor_ptr ptr) : self(ptr) {}

  const endpoint_id& own_id() const { return cfg->id; }

  // -- status and error events ------------------------------------------------

  /// Delivers a status or error (as data, upstream's layout, spec §2.3) to
  /// local subscribers of its topic. These messages never leave the node.
  void emit_local(std::string_view topic_str, data value) {
    auto msg = make_data_message(topic{topic_str}, std::move(value));
    for (auto& [id, sub] : subscribers) {
      if (filter_matches(sub.filter, get_topic(msg))) {
        auto copy = msg;
        push_to(sub, &copy, &copy + 1);
      }
    }
    // As upstream, a client subscribed to "" sees local events too.
    if (!clients.empty()) {
      node_message_batch batch;
      batch.push_back(node_message{std::move(msg), own_id(), own_id(), 1});
      dispatch_clients(batch);
    }
  }

  void emit(sc code, endpoint_info info, std::string text) {
    logger::info("core", enum_str(code), " ", info, ": ", text);
    data value;
    convert(status::make(code, std::move(info), std::move(text)), value);
    emit_local(topic::statuses_str, std::move(value));
  }

  void emit_error(ec code, endpoint_info info, std::string text) {
    logger::warning("core", "error ", code, " ", info, ": ", text);
    data value;
    convert(error{code, std::move(info), std::move(text)}, value);
    emit_local(topic::errors_str, std::move(value));
  }

  // -- local delivery ---------------------------------------------------------

  /// Moves [first, last) into the subscriber's queue, or behind the
  /// messages it holds back.
  void push_to(subscriber_entry& sub, data_message* first, data_message* last) {
    if (!sub.held.empty()) {
      sub.held.insert(sub.held.end(), std::make_move_iterator(first),
                      std::make_move_iterator(last));
      return;
    }
    auto taken = sub.queue->push(first, last);
    if (first + taken != last)
      sub.held.insert(sub.held.end(), std::make_move_iterator(first + taken),
                      std::make_move_iterator(last));
  }

  /// Messages of one batch for each local subscriber (by ID), collected
  /// before they are pushed (see `deliver_and_dispatch`).
  using local_deliveries =
      std::vector<std::pair<uint64_t, std::vector<data_message>>>;

  /// Collects the messages of `msgs` for which `pred` holds, for each
  /// matching local subscriber.
  template <class Predicate>
  local_deliveries collect_local(const node_message_batch& msgs,
                                 Predicate pred) {
    local_deliveries result;
    if (subscribers.empty())
      return result;
    std::vector<std::pair<uint64_t, const filter_type*>> subs;
    for (auto& [id, sub] : subscribers)
      subs.emplace_back(id, &sub.filter);
    std::vector<std::vector<data_message>> bufs(subs.size());
    topic_matches matches{subs.size()};
    for (auto& msg : msgs) {
      if (!pred(msg))
        continue;
      matches.update(
          get_topic(msg.content),
          [&subs](size_t k) -> const filter_type& { return *subs[k].second; });
      for (size_t k = 0; k < subs.size(); ++k)
        if (matches[k])
          bufs[k].push_back(msg.content);
    }
    for (size_t k = 0; k < subs.size(); ++k)
      if (!bufs[k].empty())
        result.emplace_back(subs[k].first, std::move(bufs[k]));
    return result;
  }

  /// Pushes collected messages, one queue operation per subscriber; adds
  /// the IDs of the subscribers that got any to `touched` (when given).
  void push_local(local_deliveries& xs, std::vector<uint64_t>* touched) {
    for (auto& [id, buf] : xs) {
      auto i = subscribers.find(id);
      if (i == subscribers.end())
        continue;
      push_to(i->second, buf.data(), buf.data() + buf.size());
      if (touched != nullptr)
        touched->push_back(id);
    }
  }

  /// Delivers the messages of `msgs` for which `pred` holds to matching
  /// local subscribers and forwards them (`dispatch`); adds the IDs of the
  /// subscribers that got any to `touched` (when given). Empties `msgs`.
  template <class Predicate>
  void deliver_and_dispatch(node_message_batch& msgs, Predicate pred,
                            std::vector<uint64_t>* touched = nullptr) {
    auto local = collect_local(msgs, pred);
    dispatch(msgs);
    // The batch drops its references before the hand-over, so that a
    // subscriber's thread usually holds the last one and frees the values
    // it decoded itself: glibc's per-thread caches then serve its next
    // allocations. Measured with callgrind on the sink of `broker-bench
    // throughput`: malloc 444 -> 178 instructions per message, the whole
    // process 3,600 -> 3,300.
    msgs.clear();
    push_local(local, touched);
  }

  /// Returns whether one of the subscribers `ids` holds messages back.
  bool any_blocked(const std::vector<uint64_t>& ids) const {
    return std::any_of(ids.begin(), ids.end(), [this](uint64_t id) {
      auto i = subscribers.find(id);
      return i != subscribers.end() && !i->second.held.empty();
    });
  }

  /// Lets peers read on whose batches no subscriber holds back any more.
  void release_acks() {
    auto released = [this](const pending_ack& x) {
      if (any_blocked(x.subscribers))
        return false;
      self->send(x.handle, inbound_ack_msg{});
      return true;
    };
    pending_acks.erase(
        std::remove_if(pending_acks.begin(), pending_acks.end(), released),
        pending_acks.end());
  }

  void on_subscriber_space(uint64_t id) {
    auto i = subscribers.find(id);
    if (i == subscribers.end() || i->second.held.empty())
      return;
    auto& sub = i->second;
    std::vector<data_message> buf{sub.held.begin(), sub.held.end()};
    sub.held.clear();
    push_to(sub, buf.data(), buf.data() + buf.size());
    release_acks();
  }

  // -- forwarding (spec: upstream-broker.md §3.3) ---------------------------

  /// Sends `msgs` to every WebSocket client that should get them: its
  /// prefixes match and it did not send the message itself; unicast only to
  /// its ID or to this endpoint (spec: upstream-broker.md §5.5).
  /// @returns the number of clients that got some.
  size_t dispatch_clients(const node_message_batch& msgs) {
    size_t receivers = 0;
    for (auto& [id, client] : clients) {
      if (client.removing)
        continue;
      node_message_batch out;
      for (auto& msg : msgs) {
        if (msg.sender == id)
          continue;
        bool to_us = !msg.receiver.valid() || msg.receiver == own_id();
        if (msg.receiver == id ||
            (to_us && filter_matches(client.filter, get_topic(msg.content))))
          out.push_back(msg);
      }
      if (!out.empty()) {
        client.credit -= std::min(client.credit, out.size());
        self->send(client.handle, outbound_batch_msg{std::move(out)});
        ++receivers;
      }
    }
    return receivers;
  }

  /// Sends `msgs` to every peer and client that should get them.
  void dispatch(node_message_batch& msgs) {
    if (!clients.empty())
      dispatch_clients(msgs);
    if (peers.empty())
      return;
    // One outgoing batch per peer (few peers: a flat list beats a map).
    std::vector<std::pair<peer_entry*, node_message_batch>> out;
    auto batch_for = [&out, &msgs](peer_entry* peer) -> node_message_batch& {
      for (auto& [ptr, batch] : out)
        if (ptr == peer)
          return batch;
      auto& batch = out.emplace_back(peer, node_message_batch{}).second;
      batch.reserve(msgs.size()); // most batches go to every peer whole
      return batch;
    };
    std::vector<std::pair<const endpoint_id*, peer_entry*>> targets;
    targets.reserve(peers.size());
    for (auto& [id, peer] : peers)
      targets.emplace_back(&id, &peer);
    topic_matches matches{targets.size()};
    auto filter_at = [&targets](size_t k) -> const filter_type& {
      return targets[k].second->filter;
    };
    for (auto& msg : msgs) {
      bool local = !msg.sender.valid() || msg.sender == own_id();
      if (!local && cfg->disable_forwarding)
        continue;
      uint16_t ttl = msg.ttl;
      if (!local) {
        // DESIGN.md §2: decrement on forward, drop at 0 (loop safety).
        if (ttl <= 1)
          continue;
        --ttl;
      }
      bool unicast = msg.receiver.valid();
      if (!unicast)
        matches.update(get_topic(msg.content), filter_at);
      for (size_t k = 0; k < targets.size(); ++k) {
        auto& [id, peer] = targets[k];
        if (peer->removing || *id == msg.sender)
          continue;
        if (unicast ? msg.receiver != *id : !matches[k])
          continue;
        batch_for(peer).push_back(
            node_message{msg.content, msg.sender, msg.receiver, ttl});
      }
    }
    for (auto& [peer, batch] : out) {
      peer->credit -= std::min(peer->credit, batch.size());
      self->send(peer->handle, outbound_batch_msg{std::move(batch)});
    }
  }

  /// Sends a publisher's frames on `dst` to every peer and client that
  /// should get them. Each peer gets the batch as it is, as one run of
  /// frames; clients get messages (they speak JSON, not frames).
  /// @returns the number of peers and clients that got it.
  size_t dispatch_frames(const topic& dst,
                         std::shared_ptr<const framed_batch> frames) {
    auto n = frames->sizes.size();
    auto wants = [&dst](auto& entry) {
      return !entry.second.removing && filter_matches(entry.second.filter, dst);
    };
    size_t receivers = 0;
    if (std::any_of(clients.begin(), clients.end(), wants)) {
      node_message_batch msgs;
      msgs.reserve(n);
      batch_envelopes envs{n};
      auto header = frames->header_size;
      uint32_t offset = 0;
      for (auto size : frames->sizes) {
        auto env = envs.make_shared_topic(dst.string(), frames->bytes,
                                          offset + header, size - header);
        msgs.push_back(node_message{std::move(env), endpoint_id{},
                                    endpoint_id{}, cfg->ttl});
        offset += size;
      }
      receivers += dispatch_clients(msgs);
    }
    for (auto& entry : peers) {
      if (!wants(entry))
        continue;
      auto& peer = entry.second;
      peer.credit -= std::min(peer.credit, n);
      self->send(peer.handle, outbound_frames_msg{frame_run::whole(frames)});
      ++receivers;
    }
    return receivers;
  }

  void on_inbound(const endpoint_id& from, node_message_batch& msgs) {
    caf::actor hdl;
    if (auto i = peers.find(from); i != peers.end())
      hdl = i->second.handle;
    else if (auto j = clients.find(from); j != clients.end())
      hdl = j->second.handle; // clients count as remote senders (spec §5.5)
    else
      return; // a batch racing with the sender's removal
    std::vector<uint64_t> touched;
    deliver_and_dispatch(
        msgs,
        [this](const node_message& msg) {
          return !msg.receiver.valid() || msg.receiver == own_id();
        },
        &touched);
    // Back-pressure: while a subscriber that got messages of this batch
    // holds some back (its queue is full), the peer gets no ack and soon
    // stops reading from its socket. Peers whose messages go elsewhere read
    // on: a slow subscriber slows down only the peers that feed it.
    if (any_blocked(touched))
      pending_acks.push_back(pending_ack{std::move(hdl), std::move(touched)});
    else
      self->send(hdl, inbound_ack_msg{});
  }

  /// Reports that nothing can be published on `t`: the wire cannot carry
  /// it (spec §3.1).
  void refuse_topic(const topic& t) {
    emit_error(ec::invalid_topic_key, endpoint_info{own_id(), std::nullopt},
               "cannot publish: topic of " + std::to_string(t.string().size()) +
                   " bytes exceeds the wire limit of " +
                   std::to_string(topic::max_size));
  }

  void on_publish(node_message_batch& msgs) {
    // The wire carries topics of at most 65535 bytes (spec §3.1): refuse
    // longer ones here, loudly, instead of corrupting a frame later.
    auto too_long = [](const node_message& msg) {
      return get_topic(msg.content).size() > topic::max_size;
    };
    if (std::any_of(msgs.begin(), msgs.end(), too_long)) {
      for (auto& msg : msgs)
        if (too_long(msg))
          refuse_topic(get_topic(msg.content));
      msgs.erase(std::remove_if(msgs.begin(), msgs.end(), too_long),
                 msgs.end());
    }
    // spec §1.7: local subscribers do not see their own endpoint's publish,
    // except messages unicast to ourselves.
    deliver_and_dispatch(msgs, [this](const node_message& msg) {
      return msg.receiver == own_id();
    });
  }

  // -- publishers (flow control, DESIGN.md §2) --------------------------------

  /// How many messages on `t` all target peers can take right now. Pacing
  /// leaves a quarter of each buffer as headroom for traffic that is not
  /// paced (fire-and-forget publish, forwarding), which meets the overflow
  /// policy directly.
  size_t credit_for(const topic& t) const {
    auto headroom = cfg->peer_buffer_size / 4;
    size_t result = std::numeric_limits<size_t>::max();
    for (auto& [id, peer] : peers) {
      if (peer.removing || peer.stalled || !filter_matches(peer.filter, t))
        continue;
      auto usable = peer.credit > headroom ? peer.credit - headroom : 0;
      result = std::min(result, usable);
    }
    auto client_headroom = cfg->web_socket_buffer_size / 4;
    for (auto& [id, client] : clients) {
      if (client.removing || client.stalled ||
          !filter_matches(client.filter, t))
        continue;
      auto usable =
          client.credit > client_headroom ? client.credit - client_headroom : 0;
      result = std::min(result, usable);
    }
    return result;
  }

  void pull_publisher(uint64_t id) {
    auto i = publishers.find(id);
    if (i == publishers.end())
      return;
    auto& pub = i->second;
    pub.waiting = false;
    auto allowed = credit_for(pub.dst);
    if (allowed == 0) {
      pub.waiting = true; // resumed by credit
      return;
    }
    auto batch = pub.queue->pull(std::min(allowed, max_publisher_pull));
    if (batch.sizes.empty()) {
      // Drained: the producer notifies us when it has more.
      if (pub.closing)
        publishers.erase(i);
      return;
    }
    auto receivers = dispatch_frames(
        pub.dst, std::make_shared<const framed_batch>(std::move(batch)));
    // We owe the queue another pull (a busy producer thus never has to wake
    // us). The receivers return credit as they write: pulling again then,
    // not at once, lets the queue fill meanwhile, so batches grow with the
    // time a write takes instead of shrinking to a few messages each.
    // Without receivers, come back after other pending work.
    if (receivers > 0 || credit_for(pub.dst) == 0)
      pub.waiting = true;
    else
      self->send(self, publisher_ready_msg{id});
  }

  /// Credit changed: resume publishers that waited for it.
  void resume_publishers() {
    std::vector<uint64_t> ids;
    for (auto& [id, pub] : publishers)
      if (pub.waiting)
        ids.push_back(id);
    for (auto id : ids)
      pull_publisher(id);
  }

  // -- filters ----------------------------------------------------------------

  void update_filter() {
    filter_type result;
    for (auto& [id, sub] : subscribers)
      for (auto& t : sub.filter)
        if (!is_internal(t))
          filter_extend(result, t);
    for (auto& t : forwarded)
      if (!is_internal(t))
        filter_extend(result, t);
    // spec §3.2: the advertised filter only ever grows.
    filter_type grown = filter;
    filter_extend(grown, result);
    if (grown == filter)
      return;
    filter = std::move(grown);
    for (auto& [id, peer] : peers)
      if (!peer.removing)
        self->send(peer.handle, announce_filter_msg{filter});
  }

  filter_type peer_filters() const {
    filter_type result;
    for (auto& [id, peer] : peers)
      filter_extend(result, peer.filter);
    return result;
  }

  // -- connections ------------------------------------------------------------

  uint64_t start_peering(std::shared_ptr<net::stream> stream,
                         wire::handshake_role role, network_info addr,
                         std::optional<uint64_t> attempt) {
    auto conn = next_conn++;
    peering_args args;
    args.core = caf::actor_cast<caf::actor>(self);
    args.conn = conn;
    args.stream = std::move(stream);
    args.role = role;
    args.filter = filter;
    args.cfg = cfg;
    args.counters = std::make_shared<peer_counters>();
    pending_entry entry;
    entry.counters = args.counters;
    entry.handle = spawn_peering_actor(self->system(), std::move(args));
    entry.addr = std::move(addr);
    entry.outbound = role == wire::handshake_role::initiator;
    entry.attempt = attempt;
    entry.announced = filter;
    pending.emplace(conn, std::move(entry));
    return conn;
  }

  void on_accepted(std::shared_ptr<net::stream> stream) {
    size_t inbound = 0;
    for (auto& [conn, entry] : pending)
      inbound += entry.outbound ? 0 : 1;
    if (shutting_down || inbound >= cfg->max_pending_handshakes) {
      // DESIGN.md §2: cap on pending handshakes.
      stream->abort();
      return;
    }
    network_info addr{stream->remote_address(), stream->remote_port()};
    start_peering(std::move(stream), wire::handshake_role::acceptor,
                  std::move(addr), std::nullopt);
  }

  void on_check_peer(const check_peer_msg& msg) {
    auto i = pending.find(msg.conn);
    if (i == pending.end())
      return;
    auto& entry = i->second;
    entry.peer = msg.peer;
    auto reply = [&](wire::handshake_verdict v) {
      self->send(entry.handle, verdict_msg{v});
    };
    if (shutting_down)
      return reply(wire::handshake_verdict::shutting_down);
    if (peers.count(msg.peer) > 0)
      return reply(wire::handshake_verdict::redundant);
    if (!msg.originator) {
      entry.proceeding = true;
      return reply(wire::handshake_verdict::proceed);
    }
    for (auto& [conn, other] : pending) {
      if (conn != msg.conn && other.granted && other.peer == msg.peer) {
        // Decide once the other handshake is over.
        deferred[msg.peer].push_back(msg.conn);
        return;
      }
    }
    entry.granted = true;
    entry.proceeding = true;
    reply(wire::handshake_verdict::proceed);
  }

  /// The granted handshake for `peer` ended: answer deferred checks.
  void release_grant(const endpoint_id& peer, bool peered) {
    auto i = deferred.find(peer);
    if (i == deferred.end())
      return;
    auto waiting = std::move(i->second);
    deferred.erase(i);
    for (auto conn : waiting) {
      auto j = pending.find(conn);
      if (j == pending.end())
        continue;
      if (peered) {
        self->send(j->second.handle,
                   verdict_msg{wire::handshake_verdict::redundant});
      } else {
        // The first one failed: this one becomes the handshake; the rest
        // wait for it.
        j->second.granted = true;
        j->second.proceeding = true;
        self->send(j->second.handle,
                   verdict_msg{wire::handshake_verdict::proceed});
        peered = true;
      }
    }
  }

  void on_handshake_done(handshake_done_msg& msg) {
    auto i = pending.find(msg.conn);
    if (i == pending.end())
      return;
    auto entry = std::move(i->second);
    pending.erase(i);
    if (shutting_down || peers.count(msg.peer) > 0) {
      self->send(entry.handle, abort_msg{});
      return;
    }
    peer_entry peer;
    peer.handle = entry.handle;
    peer.counters = entry.counters;
    peer.conn = msg.conn;
    peer.addr = entry.addr;
    peer.flags = peer_flags::remote |
                 (entry.outbound ? peer_flags::outbound : peer_flags::inbound);
    peer.filter = std::move(msg.filter);
    peer.credit = cfg->peer_buffer_size;
    peer.attempt = entry.attempt;
    auto addr = peer.addr;
    peers.emplace(msg.peer, std::move(peer));
    if (entry.announced != filter)
      self->send(entry.handle, announce_filter_msg{filter});
    // spec §2.4: endpoint_discovered right before peer_added.
    emit(sc::endpoint_discovered, endpoint_info{msg.peer, std::nullopt},
         discovered_text);
    emit(sc::peer_added, endpoint_info{msg.peer, addr}, added_text);
    if (entry.attempt)
      attempt_peered(*entry.attempt, msg.peer);
    // A `peer()` whose connection was redundant waits for this one
    // (collected first: attempt_peered erases attempts).
    std::vector<uint64_t> waiting;
    for (auto& [id, att] : attempts)
      if (att.state == attempt_entry::phase::awaiting_other &&
          att.peer == msg.peer)
        waiting.push_back(id);
    for (auto id : waiting)
      attempt_peered(id, msg.peer);
    auto [first, last] = peer_waiters.equal_range(msg.peer);
    for (auto j = first; j != last; ++j)
      fulfill(j->second, true);
    peer_waiters.erase(first, last);
    if (entry.granted)
      release_grant(msg.peer, true);
  }

  void on_handshake_failed(const handshake_failed_msg& msg) {
    auto i = pending.find(msg.conn);
    if (i == pending.end())
      return;
    // Redundant connections are part of normal operation (spec §3.7).
    logger::log(msg.redundant || msg.code == ec::redundant_connection
                    ? logger::level::debug
                    : logger::level::info,
                "core", "handshake with ", i->second.addr, " failed (",
                msg.code, "): ", msg.reason);
    auto entry = std::move(i->second);
    pending.erase(i);
    if (entry.granted)
      release_grant(entry.peer, false);
    // Requests whose own connection was redundant waited for this one: they
    // try again on their own.
    if (entry.peer.valid()) {
      for (auto& [id, att] : attempts)
        if (att.state == attempt_entry::phase::awaiting_other &&
            att.peer == entry.peer)
          dial(id);
    }
    // spec §2.4: handshake failures on the accepting side produce no event.
    if (!entry.attempt)
      return finish_shutdown_if_idle();
    auto j = attempts.find(*entry.attempt);
    if (j == attempts.end())
      return finish_shutdown_if_idle();
    auto& att = j->second;
    att.conn.reset();
    auto peer = msg.peer.valid() ? msg.peer : entry.peer;
    // Redundant, whether the peer said so (drop_conn 39) or we did (our
    // verdict): the other connection with that peer is (or becomes) ours.
    bool redundant = msg.redundant || msg.code == ec::redundant_connection;
    if (redundant && peer.valid()) {
      // The peer already has a connection with us (or one in progress):
      // that counts as success once it is (or already was) established.
      if (peers.count(peer) > 0)
        return attempt_peered(*entry.attempt, peer);
      for (auto& [conn, other] : pending) {
        if (other.peer == peer) {
          att.state = attempt_entry::phase::awaiting_other;
          att.peer = peer;
          return;
        }
      }
    }
    attempt_failed(*entry.attempt);
  }

  /// DESIGN.md §5: a dropped malformed message gets an error event (the
  /// peering actor limits how often).
  void on_peer_malformed(peer_malformed_msg& msg) {
    auto i = peers.find(msg.peer);
    if (i == peers.end())
      return;
    std::string text = malformed_text;
    if (msg.dropped > 1)
      text = "dropped " + std::to_string(msg.dropped) +
             " malformed messages from peer since the last report, the "
             "last";
    emit_error(msg.code, endpoint_info{msg.peer, i->second.addr},
               text + ": " + msg.what);
  }

  void on_peering_closed(const peering_closed_msg& msg) {
    auto i = peers.find(msg.peer);
    if (i == peers.end() || i->second.conn != msg.conn)
      return;
    auto entry = std::move(i->second);
    peers.erase(i);
    auto info = endpoint_info{msg.peer, entry.addr};
    if (msg.removed_locally || entry.removing) {
      std::string text = removed_text;
      if (!msg.reason.empty())
        text += " (" + msg.reason + ")";
      emit(sc::peer_removed, info, std::move(text));
    } else {
      emit(sc::peer_lost, info, lost_text);
    }
    emit(sc::endpoint_unreachable, endpoint_info{msg.peer, std::nullopt},
         unreachable_text);
    for (auto& waiter : entry.unpeer_waiters)
      fulfill(waiter, true);
    // The peer no longer limits publishers.
    resume_publishers();
    if (entry.attempt) {
      auto j = attempts.find(*entry.attempt);
      if (j != attempts.end()) {
        // spec §1.3: a lost outbound peering with retry > 0 reconnects; one
        // that we ended ourselves does not.
        if (!msg.removed_locally && !entry.removing && !shutting_down &&
            j->second.info.retry.count() > 0) {
          j->second.ever_peered = true;
          j->second.peer = endpoint_id{};
          dial(*entry.attempt);
        } else {
          attempts.erase(j);
        }
      }
    }
    finish_shutdown_if_idle();
  }

  // -- connector --------------------------------------------------------------

  attempt_entry* find_attempt(const network_info& info, uint64_t* id_out) {
    for (auto& [id, att] : attempts) {
      if (att.info == info) {
        if (id_out)
          *id_out = id;
        return &att;
      }
    }
    return nullptr;
  }

  void on_peer(peer_msg& msg) {
    auto resolve = [&](bool value) {
      if (msg.done)
        fulfill(msg.done, value);
    };
    if (shutting_down)
      return resolve(false);
    for (auto& [id, peer] : peers)
      if (peer.addr == msg.info && has_flags(peer.flags, peer_flags::outbound))
        return resolve(true);
    uint64_t id = 0;
    if (auto att = find_attempt(msg.info, &id)) {
      if (msg.done)
        att->waiters.push_back(msg.done);
      att->info.retry = msg.info.retry;
      if (att->state == attempt_entry::phase::waiting)
        dial(id); // a new request does not wait for the retry timer
      return;
    }
    id = next_attempt++;
    auto& att = attempts[id];
    att.info = msg.info;
    if (msg.done)
      att.waiters.push_back(msg.done);
    dial(id);
  }

  void dial(uint64_t id) {
    auto& att = attempts.at(id);
    logger::debug("core", "connecting to ", att.info);
    att.state = attempt_entry::phase::dialing;
    ++att.timer_seq;
    auto core = caf::actor_cast<caf::actor>(self);
    auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        cfg->connect_timeout);
    auto tls_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        cfg->handshake_timeout);
    net::dial(
        *io, att.info.address, att.info.port, timeout,
        [core, id](std::shared_ptr<net::stream> stream,
                   const std::error_code& err) {
          caf::anon_send(core, dial_result_msg{id, std::move(stream), err});
        },
        cfg->tls, tls_timeout);
  }

  void on_dial_result(dial_result_msg& msg) {
    auto i = attempts.find(msg.attempt);
    if (i == attempts.end() ||
        i->second.state != attempt_entry::phase::dialing || shutting_down) {
      if (msg.stream)
        msg.stream->abort();
      return;
    }
    if (!msg.stream) {
      logger::debug("core", "cannot connect to ", i->second.info, ": ",
                    msg.error.message());
      return attempt_failed(msg.attempt);
    }
    auto& att = i->second;
    att.state = attempt_entry::phase::handshaking;
    att.conn =
        start_peering(std::move(msg.stream), wire::handshake_role::initiator,
                      att.info, msg.attempt);
  }

  void attempt_peered(uint64_t id, const endpoint_id& peer) {
    auto i = attempts.find(id);
    if (i == attempts.end())
      return;
    auto& att = i->second;
    att.state = attempt_entry::phase::peered;
    att.peer = peer;
    if (att.ever_peered)
      ++att.reconnects;
    att.ever_peered = true;
    att.conn.reset();
    for (auto& waiter : att.waiters)
      fulfill(waiter, true);
    att.waiters.clear();
    // A redundant attempt does not own the peering: nothing to reconnect.
    auto j = peers.find(peer);
    if (j == peers.end() || j->second.attempt != id)
      attempts.erase(i);
  }

  void attempt_failed(uint64_t id) {
    auto i = attempts.find(id);
    if (i == attempts.end())
      return;
    auto& att = i->second;
    // spec §2.4: one peer_unavailable per failed attempt.
    emit_error(ec::peer_unavailable, endpoint_info{endpoint_id{}, att.info},
               unavailable_text);
    // DESIGN.md §2: peer() returns false as soon as the first attempt fails.
    for (auto& waiter : att.waiters)
      fulfill(waiter, false);
    att.waiters.clear();
    att.conn.reset();
    if (att.info.retry.count() <= 0 || shutting_down) {
      attempts.erase(i);
      return;
    }
    att.state = attempt_entry::phase::waiting;
    auto seq = ++att.timer_seq;
    // DESIGN.md §2: ±20 % jitter so that restarted hubs are not stormed.
    std::uniform_real_distribution<double> unit{0.0, 1.0};
    auto delay = jittered_delay(att.info.retry, cfg->retry_jitter, unit(rng));
    self->delayed_send(self, delay, retry_timer_msg{id, seq});
  }

  void on_retry_timer(const retry_timer_msg& msg) {
    auto i = attempts.find(msg.attempt);
    if (i == attempts.end() ||
        i->second.state != attempt_entry::phase::waiting ||
        i->second.timer_seq != msg.seq)
      return;
    dial(msg.attempt);
  }

  void on_unpeer(unpeer_msg& msg) {
    auto resolve = [&](bool value) {
      if (msg.done)
        fulfill(msg.done, value);
    };
    for (auto& [id, peer] : peers) {
      if (peer.addr != msg.info)
        continue;
      if (peer.attempt)
        attempts.erase(*peer.attempt);
      peer.attempt.reset();
      if (msg.done)
        peer.unpeer_waiters.push_back(msg.done);
      if (!peer.removing) {
        peer.removing = true;
        self->send(peer.handle, bye_msg{});
      }
      return;
    }
    // DESIGN.md §2: unpeer cancels a pending or retrying attempt.
    uint64_t id = 0;
    if (auto att = find_attempt(msg.info, &id)) {
      for (auto& waiter : att->waiters)
        fulfill(waiter, false);
      if (att->conn) {
        auto j = pending.find(*att->conn);
        if (j != pending.end()) {
          j->second.attempt.reset();
          self->send(j->second.handle, abort_msg{});
        }
      }
      attempts.erase(id);
      return resolve(true);
    }
    // spec §1.4 (with DESIGN.md §2's return value).
    emit_error(ec::peer_invalid, endpoint_info{endpoint_id{}, msg.info},
               invalid_text);
    resolve(false);
  }

  /// Lists every known peering with its true status (DESIGN.md §2; upstream
  /// lists established peerings only, spec: upstream-broker.md §1.5):
  /// - `peered`: established, one entry per peer.
  /// - `connecting`: an outbound request connecting (TCP, TLS), or a
  ///   handshake (either direction) whose peer is not identified yet or
  ///   that waits for another handshake with the same peer;
  ///   `reconnecting` instead for an outbound request that was peered
  ///   before (spec §1.5: `disconnected → reconnecting`).
  /// - `connected`: a handshake with an identified peer that the core told
  ///   to proceed. Upstream marks `connected` after the SYN/ACK exchange and
  ///   `peered` once the core adopts the connection; our core adopts a
  ///   finished handshake at once, so `connected` is the part before. Also
  ///   an outbound request whose own connection was redundant while it
  ///   waits for the other handshake with that peer (it shows that one's
  ///   status; the other handshake is listed too, under its own address).
  /// - `disconnected`: an outbound request with retry > 0 without a
  ///   connection: it waits for its retry timer after a failed attempt or
  ///   a lost peering.
  /// Fills the fields of `peer_metrics` from `counters`.
  static void read_counters(const peer_counters& counters,
                            overflow_policy policy, peer_metrics& out) {
    out.messages_in = peer_counters::get(counters.messages_in);
    out.messages_out = peer_counters::get(counters.messages_out);
    out.bytes_in = peer_counters::get(counters.bytes_in);
    out.bytes_out = peer_counters::get(counters.bytes_out);
    auto dropped = peer_counters::get(counters.dropped);
    if (policy == overflow_policy::drop_newest)
      out.dropped_newest = dropped;
    else if (policy == overflow_policy::drop_oldest)
      out.dropped_oldest = dropped;
    out.malformed = peer_counters::get(counters.malformed);
    out.queue_depth = peer_counters::get(counters.queue_depth);
    auto rtt = counters.round_trip_ns.load(std::memory_order_relaxed);
    if (rtt >= 0)
      out.round_trip = timespan{rtt};
  }

  /// Counters of every established peering and WebSocket client.
  std::vector<peer_metrics> list_metrics() const {
    std::vector<peer_metrics> result;
    for (auto& [id, peer] : peers) {
      auto& x = result.emplace_back();
      x.peer = endpoint_info{id, peer.addr};
      x.flags = peer.flags;
      x.queue_capacity = cfg->peer_buffer_size;
      if (peer.counters)
        read_counters(*peer.counters, cfg->peer_overflow_policy, x);
      if (peer.attempt)
        if (auto i = attempts.find(*peer.attempt); i != attempts.end())
          x.reconnects = i->second.reconnects;
    }
    for (auto& [id, client] : clients) {
      auto& x = result.emplace_back();
      x.peer = endpoint_info{id, client.addr};
      x.flags = peer_flags::remote | peer_flags::inbound;
      x.web_socket = true;
      x.queue_capacity = cfg->web_socket_buffer_size;
      if (client.counters)
        read_counters(*client.counters, cfg->web_socket_overflow_policy, x);
    }
    return result;
  }

  std::vector<peer_info> list_peers() const {
    auto ever_peered = [this](const std::optional<uint64_t>& attempt) {
      if (!attempt)
        return false;
      auto i = attempts.find(*attempt);
      return i != attempts.end() && i->second.ever_peered;
    };
    auto handshake_status = [](bool proceeding, bool again) {
      return proceeding ? peer_status::connected
             : again    ? peer_status::reconnecting
                        : peer_status::connecting;
    };
    std::vector<peer_info> result;
    for (auto& [id, peer] : peers)
      result.push_back(peer_info{endpoint_info{id, peer.addr}, peer.flags,
                                 peer_status::peered});
    for (auto& [conn, entry] : pending) {
      auto flags = peer_flags::remote | (entry.outbound ? peer_flags::outbound
                                                        : peer_flags::inbound);
      result.push_back(peer_info{
          endpoint_info{entry.peer, entry.addr}, flags,
          handshake_status(entry.proceeding, ever_peered(entry.attempt))});
    }
    for (auto& [id, att] : attempts) {
      using ph = attempt_entry::phase;
      auto status = peer_status::unknown;
      endpoint_id node;
      switch (att.state) {
      case ph::dialing:
        status = handshake_status(false, att.ever_peered);
        break;
      case ph::waiting:
        status = peer_status::disconnected;
        break;
      case ph::awaiting_other: {
        node = att.peer;
        bool proceeding = false;
        for (auto& [conn, other] : pending)
          if (other.peer == att.peer && other.proceeding)
            proceeding = true;
        status = handshake_status(proceeding, att.ever_peered);
        break;
      }
      case ph::handshaking: // listed as its pending connection
      case ph::peered:      // listed as its peer
        continue;
      }
      result.push_back(peer_info{endpoint_info{node, att.info},
                                 peer_flags::remote | peer_flags::outbound,
                                 status});
    }
    return result;
  }

  // -- shutdown ---------------------------------------------------------------

  void on_shutdown(promise_ptr<void> done) {
    if (shutting_down) {
      // A second request waits for the first.
      if (done)
        fulfill(done);
      return;
    }
    shutting_down = true;
    shutdown_done = std::move(done);
    for (auto& lst : listeners)
      lst->close();
    listeners.clear();
    for (auto& lst : ws_listeners)
      lst->close();
    ws_listeners.clear();
    for (auto& [conn, hdl] : client_actors)
      self->send(hdl, bye_msg{});
    for (auto& [id, att] : attempts)
      for (auto& waiter : att.waiters)
        fulfill(waiter, false);
    attempts.clear();
    for (auto& [conn, entry] : pending)
      self->send(entry.handle, abort_msg{});
    for (auto& [id, peer] : peers) {
      peer.attempt.reset();
      if (!peer.removing) {
        peer.removing = true;
        self->send(peer.handle, bye_msg{});
      }
    }
    for (auto& [id, waiter] : peer_waiters)
      fulfill(waiter, false);
    peer_waiters.clear();
    self->delayed_send(self, cfg->unpeer_timeout + 500ms,
                       shutdown_timeout_msg{});
    finish_shutdown_if_idle();
  }

  void finish_shutdown_if_idle() {
    if (shutting_down && peers.empty() && pending.empty() &&
        client_actors.empty())
      finish_shutdown();
  }

  // -- WebSocket clients
  // -------------------------------------------------------

  void on_ws_accepted(std::shared_ptr<net::ws_session> session) {
    if (shutting_down ||
        client_actors.size() - clients.size() >= cfg->max_pending_handshakes) {
      session->abort();
      return;
    }
    auto conn = next_conn++;
    ws_client_args args;
    args.core = caf::actor_cast<caf::actor>(self);
    args.conn = conn;
    args.session = std::move(session);
    args.cfg = cfg;
    args.counters = std::make_shared<peer_counters>();
    client_counters.emplace(conn, args.counters);
    client_actors.emplace(
        conn, spawn_ws_client_actor(self->system(), std::move(args)));
  }

  void on_ws_ready(ws_client_ready_msg& msg) {
    auto i = client_actors.find(msg.conn);
    if (i == client_actors.end())
      return;
    client_entry entry;
    entry.handle = i->second;
    if (auto j = client_counters.find(msg.conn); j != client_counters.end())
      entry.counters = j->second;
    entry.conn = msg.conn;
    entry.addr = msg.addr;
    entry.filter = std::move(msg.filter);
    entry.credit = cfg->web_socket_buffer_size;
    clients.emplace(msg.client, std::move(entry));
    emit(sc::endpoint_discovered, endpoint_info{msg.client, std::nullopt},
         client_discovered_text);
    emit(sc::peer_added, endpoint_info{msg.client, msg.addr}, added_text);
  }

  void on_ws_closed(const ws_client_closed_msg& msg) {
    client_actors.erase(msg.conn);
    client_counters.erase(msg.conn);
    auto i = clients.find(msg.client);
    if (i != clients.end() && i->second.conn == msg.conn) {
      auto addr = i->second.addr;
      clients.erase(i);
      if (msg.removed_locally)
        emit(sc::peer_removed, endpoint_info{msg.client, addr},
             client_removed_prefix + msg.reason);
      else
        emit(sc::peer_lost, endpoint_info{msg.client, addr}, client_lost_text);
      emit(sc::endpoint_unreachable, endpoint_info{msg.client, std::nullopt},
           unreachable_text);
      // The client no longer limits publishers.
      resume_publishers();
    }
    finish_shutdown_if_idle();
  }

  void on_shutdown_timeout() {
    if (!shutting_down)
      return;
    // Peers that did not finish their BYE in time: report them as removed
    // (keeping the per-peer event order) and cut them off.
    for (auto& [id, peer] : peers) {
      self->send(peer.handle, abort_msg{});
      emit(sc::peer_removed, endpoint_info{id, peer.addr}, removed_text);
      emit(sc::endpoint_unreachable, endpoint_info{id, std::nullopt},
           unreachable_text);
      for (auto& waiter : peer.unpeer_waiters)
        fulfill(waiter, true);
    }
    peers.clear();
    for (auto& [conn, entry] : pending)
      self->send(entry.handle, abort_msg{});
    pending.clear();
    for (auto& [conn, hdl] : client_actors)
      self->send(hdl, abort_msg{});
    client_actors.clear();
    client_counters.clear();
    clients.clear();
    finish_shutdown();
  }

  void finish_shutdown() {
    for (auto& [id, sub] : subscribers) {
      if (!sub.held.empty()) {
        std::vector<data_message> rest{sub.held.begin(), sub.held.end()};
        sub.held.clear();
        sub.queue->push(rest.data(), rest.data() + rest.size());
      }
      sub.queue->close();
    }
    subscribers.clear();
    for (auto& [id, pub] : publishers)
      pub.queue->close();
    publishers.clear();
    pending_acks.clear();
    if (shutdown_done) {
      fulfill(shutdown_done);
      shutdown_done.reset();
    }
    self->quit();
  }
};

caf::behavior core_actor(caf::stateful_actor<core_state>* self,
                         core_args args) {
  auto& st = self->state;
  st.cfg = std::move(args.cfg);
  st.io = args.io;
  // Cut-off peers and failed requests must not take the core down.
  self->set_error_handler([](caf::scheduled_actor*, caf::error&) {});
  self->set_down_handler([](caf::scheduled_actor*, caf::down_msg&) {});
  return {
      // -- the data path, first: CAF tries the handlers in this order --
      [self](inbound_batch_msg& msg) {
        self->state.on_inbound(msg.peer, msg.msgs);
      },
      [self](publish_msg& msg) { self->state.on_publish(msg.msgs); },
      [self](publisher_ready_msg& msg) { self->state.pull_publisher(msg.id); },
      [self](peer_credit_msg& msg) {
        auto& st = self->state;
        if (auto i = st.peers.find(msg.peer); i != st.peers.end()) {
          i->second.credit =
              std::min(i->second.credit + msg.count, st.cfg->peer_buffer_size);
          st.resume_publishers();
        } else if (auto j = st.clients.find(msg.peer); j != st.clients.end()) {
          j->second.credit = std::min(j->second.credit + msg.count,
                                      st.cfg->web_socket_buffer_size);
          st.resume_publishers();
        }
      },
      [self](subscriber_space_msg& msg) {
        self->state.on_subscriber_space(msg.id);
      },
      // -- I/O and peerings --
      [self](accepted_msg& msg) {
        self->state.on_accepted(std::move(msg.stream));
      },
      [self](dial_result_msg& msg) { self->state.on_dial_result(msg); },
      [self](check_peer_msg& msg) { self->state.on_check_peer(msg); },
      [self](handshake_done_msg& msg) { self->state.on_handshake_done(msg); },
      [self](handshake_failed_msg& msg) {
        self->state.on_handshake_failed(msg);
      },
      [self](peer_malformed_msg& msg) { self->state.on_peer_malformed(msg); },
      [self](peer_filter_msg& msg) {
        auto& peers = self->state.peers;
        if (auto i = peers.find(msg.peer); i != peers.end())
          i->second.filter = std::move(msg.filter);
      },
      [self](peer_stall_msg& msg) {
        auto& st = self->state;
        if (auto i = st.peers.find(msg.peer); i != st.peers.end()) {
          i->second.stalled = msg.stalled;
          st.resume_publishers();
        } else if (auto j = st.clients.find(msg.peer); j != st.clients.end()) {
          j->second.stalled = msg.stalled;
          st.resume_publishers();
        }
      },
      [self](add_publisher_msg& msg) {
        auto& st = self->state;
        auto too_long = msg.dst.string().size() > topic::max_size;
        if (too_long)
          st.refuse_topic(msg.dst); // its queue refuses everything already
        if (st.shutting_down || too_long) {
          msg.queue->close();
        } else {
          auto& pub = st.publishers[msg.id];
          pub.dst = std::move(msg.dst);
          pub.queue = std::move(msg.queue);
        }
        fulfill(msg.done);
      },
      [self](remove_publisher_msg& msg) {
        auto& st = self->state;
        if (auto i = st.publishers.find(msg.id); i != st.publishers.end()) {
          i->second.closing = true;
          st.pull_publisher(msg.id);
        }
      },
      [self](peering_closed_msg& msg) { self->state.on_peering_closed(msg); },
      [self](retry_timer_msg& msg) { self->state.on_retry_timer(msg); },
      [self](shutdown_timeout_msg) { self->state.on_shutdown_timeout(); },
      // -- endpoint API --
      [self](ws_accepted_msg& msg) {
        self->state.on_ws_accepted(std::move(msg.session));
      },
      [self](ws_client_ready_msg& msg) { self->state.on_ws_ready(msg); },
      [self](ws_client_closed_msg& msg) { self->state.on_ws_closed(msg); },
      [self](add_ws_listener_msg& msg) {
        auto& st = self->state;
        if (st.shutting_down)
          msg.listener->close();
        else
          st.ws_listeners.push_back(std::move(msg.listener));
      },
      [self](add_listener_msg& msg) {
        auto& st = self->state;
        if (st.shutting_down)
          msg.listener->close();
        else
          st.listeners.push_back(std::move(msg.listener));
      },
      [self](peer_msg& msg) { self->state.on_peer(msg); },
      [self](unpeer_msg& msg) { self->state.on_unpeer(msg); },
      [self](get_peers_msg& msg) {
        fulfill(msg.done, self->state.list_peers());
      },
      [self](get_metrics_msg& msg) {
        if (msg.then)
          msg.then(self->state.list_metrics());
        else
          fulfill(msg.done, self->state.list_metrics());
      },
      [self](get_peer_filters_msg& msg) {
        fulfill(msg.done, self->state.peer_filters());
      },
      [self](get_filter_msg& msg) { fulfill(msg.done, self->state.filter); },
      [self](await_peer_msg& msg) {
        auto& st = self->state;
        if (st.peers.count(msg.peer) > 0)
          fulfill(msg.done, true);
        else if (st.shutting_down)
          fulfill(msg.done, false);
        else
          st.peer_waiters.emplace(msg.peer, std::move(msg.done));
      },
      [self](subscribe_msg& msg) {
        auto& st = self->state;
        if (st.shutting_down) {
          msg.queue->close();
        } else {
          auto& sub = st.subscribers[msg.id];
          sub.filter = std::move(msg.filter);
          sub.queue = std::move(msg.queue);
          st.update_filter();
        }
        if (msg.done)
          fulfill(msg.done);
      },
      [self](set_subscriber_filter_msg& msg) {
        auto& st = self->state;
        if (auto i = st.subscribers.find(msg.id); i != st.subscribers.end()) {
          i->second.filter = std::move(msg.filter);
          st.update_filter();
        }
        if (msg.done)
          fulfill(msg.done);
      },
      [self](unsubscribe_msg& msg) {
        auto& st = self->state;
        if (auto i = st.subscribers.find(msg.id); i != st.subscribers.end()) {
          i->second.queue->close();
          st.subscribers.erase(i);
          st.release_acks();
        }
      },
      [self](forward_msg& msg) {
        auto& st = self->state;
        st.forwarded.insert(st.forwarded.end(), msg.topics.begin(),
                            msg.topics.end());
        st.update_filter();
      },
      [self](shutdown_msg& msg) {
        self->state.on_shutdown(std::move(msg.done));
      },
  };
}

} // namespace

caf::actor spawn_core_actor(caf::actor_system& sys, core_args args) {
  return sys.spawn(core_actor, std::move(args));
}

} // namespace broker::core
