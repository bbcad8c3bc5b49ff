#pragma once

// The messages exchanged between the endpoint facade, the core actor, the
// peering actors and the I/O callbacks. Each is a plain struct; CAF
// dispatches on the type. They never leave the process, so they are
// whitelisted as "unsafe" (not serializable) message types.

#include "broker/endpoint_id.hh"
#include "broker/error.hh"
#include "broker/filter_type.hh"
#include "broker/network_info.hh"
#include "broker/peer_info.hh"
#include "broker/peer_metrics.hh"

#include "core/frame_run.hh"
#include "core/node_message.hh"
#include "net/listener.hh"
#include "net/stream.hh"
#include "net/ws.hh"
#include "wire/handshake.hh"

#include <caf/allowed_unsafe_message_type.hpp>

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace broker::core {

class publisher_queue;
class subscriber_queue;

template <class T>
using promise_ptr = std::shared_ptr<std::promise<T>>;

/// Resolves `ptr` (if any) with `value`; a promise that was already
/// resolved stays as it is.
template <class T, class U>
void fulfill(const promise_ptr<T>& ptr, U&& value) noexcept {
  if (!ptr)
    return;
  try {
    ptr->set_value(std::forward<U>(value));
  } catch (const std::future_error&) {
    // already satisfied
  }
}

/// @copydoc fulfill
inline void fulfill(const promise_ptr<void>& ptr) noexcept {
  if (!ptr)
    return;
  try {
    ptr->set_value();
  } catch (const std::future_error&) {
    // already satisfied
  }
}

// -- I/O thread -> peering actor ----------------------------------------------

/// Bytes arrived: the first `size` bytes of `chunk`.
struct stream_data_msg {
  net::byte_buffer chunk;
  size_t size = 0;
};

/// Queued bytes left our buffers.
struct stream_sent_msg {
  size_t bytes = 0;
};

/// The stream is gone (empty reason: we closed it).
struct stream_closed_msg {
  std::error_code reason;
};

// -- peering actor -> self (timers) -------------------------------------------

struct handshake_timeout_msg {};

struct heartbeat_tick_msg {};

struct bye_timeout_msg {};

/// Time to report malformed messages held back by the rate limit.
struct malformed_tick_msg {};

// -- peering actor <-> core actor ---------------------------------------------

/// The handshake learned the peer's ID and asks whether to proceed (spec:
/// upstream-broker.md §3.7). The core answers with `verdict_msg`.
struct check_peer_msg {
  uint64_t conn = 0;
  endpoint_id peer;
  bool originator = false;
};

struct verdict_msg {
  wire::handshake_verdict verdict = wire::handshake_verdict::proceed;
};

/// The handshake completed; phase-3 messages from this peering follow.
struct handshake_done_msg {
  uint64_t conn = 0;
  endpoint_id peer;
  filter_type filter;
};

/// The handshake failed (the peering actor terminates).
struct handshake_failed_msg {
  uint64_t conn = 0;
  endpoint_id peer;
  ec code = ec::none;
  std::string reason;
  /// The peer told us the connection is redundant (drop_conn code 39).
  bool redundant = false;
};

/// Data messages received from a peer, in order.
struct inbound_batch_msg {
  endpoint_id peer;
  node_message_batch msgs;
};

/// A routing_update replaced the peer's filter.
struct peer_filter_msg {
  endpoint_id peer;
  filter_type filter;
};

/// `count` messages left the peer's outbound buffer.
struct peer_credit_msg {
  endpoint_id peer;
  size_t count = 0;
};

/// An established peering ended (the peering actor terminates).
struct peering_closed_msg {
  uint64_t conn = 0;
  endpoint_id peer;
  /// This side ended it (unpeer, shutdown, overflow, protocol violation).
  bool removed_locally = false;
  /// For forced local removals: why, e.g. "caf::sec::backpressure_overflow".
  std::string reason;
};

/// The peering dropped malformed phase-3 messages (DESIGN.md §5): the core
/// emits one error event for them. Rate-limited by the peering actor.
struct peer_malformed_msg {
  endpoint_id peer;
  /// How many were dropped since the previous report (at least 1).
  uint64_t dropped = 0;
  /// What was wrong with the last one.
  ec code = ec::invalid_message;
  std::string what;
};

/// Core -> peering actor: the core took an inbound batch in full (it may
/// withhold this while a subscriber queue is full: back-pressure).
struct inbound_ack_msg {};

/// Peering actor -> core: the outbound buffer stayed full longer than
/// `broker.peer-stall-timeout` (`stalled`), or drained again.
struct peer_stall_msg {
  endpoint_id peer;
  bool stalled = false;
};

/// Core -> peering actor: messages to send to the peer.
struct outbound_batch_msg {
  node_message_batch msgs;
};

/// Core -> peering actor: a publisher's frames to send to the peer (the
/// same run goes to every peer of the publisher's topic).
struct outbound_frames_msg {
  frame_run run;
};

/// Core -> peering actor: a new filter of ours to announce.
struct announce_filter_msg {
  filter_type filter;
};

/// Core -> peering actor: end the peering gracefully (flush, BYE).
struct bye_msg {};

/// Core -> peering actor: close now (shutdown deadline, redundant adoption).
struct abort_msg {};

// -- I/O thread -> core actor -------------------------------------------------

/// A listener accepted a connection.
struct accepted_msg {
  std::shared_ptr<net::stream> stream;
};

/// An outbound connection attempt finished.
struct dial_result_msg {
  uint64_t attempt = 0;
  std::shared_ptr<net::stream> stream;
  std::error_code error;
};

// -- WebSocket clients ------------------------------------------------------

/// A WebSocket listener upgraded a connection.
struct ws_accepted_msg {
  std::shared_ptr<net::ws_session> session;
};

/// I/O thread -> client actor: messages wait in the bridge's inbox.
struct ws_inbox_msg {};

/// I/O thread -> client actor: queued messages were written.
struct ws_sent_msg {
  size_t count = 0;
};

/// I/O thread -> client actor: the session ended.
struct ws_closed_msg {
  std::error_code reason;
  std::string what;
};

/// Client actor -> self: the first frame did not come in time.
struct ws_filter_timeout_msg {};

/// Client actor -> core: the client sent its filter and got its ack.
struct ws_client_ready_msg {
  uint64_t conn = 0;
  endpoint_id client;
  filter_type filter;
  network_info addr;
};

/// Client actor -> core: the client is gone (the actor terminates).
struct ws_client_closed_msg {
  uint64_t conn = 0;
  endpoint_id client;
  /// This side ended it (overflow, shutdown, protocol violation).
  bool removed_locally = false;
  std::string reason;
};

struct add_ws_listener_msg {
  std::shared_ptr<net::ws_listener> listener;
};

// -- core actor -> self (timers) ----------------------------------------------

struct retry_timer_msg {
  uint64_t attempt = 0;
  /// Matches `attempt_entry::timer_seq` unless the timer is stale.
  uint64_t seq = 0;
};

struct shutdown_timeout_msg {};

// -- endpoint facade -> core actor --------------------------------------------

struct add_listener_msg {
  std::shared_ptr<net::listener> listener;
};

struct peer_msg {
  network_info info;
  /// Resolved with `true` once peered, `false` when the first attempt fails
  /// (DESIGN.md §2); may be null (peer_nosync).
  promise_ptr<bool> done;
};

struct unpeer_msg {
  network_info info;
  promise_ptr<bool> done;
};

struct get_peers_msg {
  promise_ptr<std::vector<peer_info>> done;
};

struct get_metrics_msg {
  promise_ptr<std::vector<peer_metrics>> done;
  /// Called with the result instead of `done` when set (callers that must
  /// not block, e.g. the metrics exporter on the I/O thread).
  std::function<void(std::vector<peer_metrics>)> then;
};

struct get_peer_filters_msg {
  promise_ptr<filter_type> done;
};

struct get_filter_msg {
  promise_ptr<filter_type> done;
};

struct await_peer_msg {
  endpoint_id peer;
  promise_ptr<bool> done;
};

struct subscribe_msg {
  uint64_t id = 0;
  filter_type filter;
  std::shared_ptr<subscriber_queue> queue;
  promise_ptr<void> done;
};

struct set_subscriber_filter_msg {
  uint64_t id = 0;
  filter_type filter;
  promise_ptr<void> done;
};

struct unsubscribe_msg {
  uint64_t id = 0;
};

/// A subscriber freed space after the core had to hold messages back.
struct subscriber_space_msg {
  uint64_t id = 0;
};

struct forward_msg {
  std::vector<topic> topics;
};

struct publish_msg {
  node_message_batch msgs;
};

struct add_publisher_msg {
  uint64_t id = 0;
  topic dst;
  std::shared_ptr<publisher_queue> queue;
  promise_ptr<void> done;
};

/// A publisher queue went from empty to non-empty.
struct publisher_ready_msg {
  uint64_t id = 0;
};

/// The publisher detached; the core drains its queue and forgets it.
struct remove_publisher_msg {
  uint64_t id = 0;
};

struct shutdown_msg {
  promise_ptr<void> done;
};

} // namespace broker::core

#define BROKER_CORE_UNSAFE(name)                                               \
  CAF_ALLOW_UNSAFE_MESSAGE_TYPE(broker::core::name)

BROKER_CORE_UNSAFE(stream_data_msg)
BROKER_CORE_UNSAFE(stream_sent_msg)
BROKER_CORE_UNSAFE(stream_closed_msg)
BROKER_CORE_UNSAFE(handshake_timeout_msg)
BROKER_CORE_UNSAFE(heartbeat_tick_msg)
BROKER_CORE_UNSAFE(bye_timeout_msg)
BROKER_CORE_UNSAFE(malformed_tick_msg)
BROKER_CORE_UNSAFE(peer_malformed_msg)
BROKER_CORE_UNSAFE(check_peer_msg)
BROKER_CORE_UNSAFE(verdict_msg)
BROKER_CORE_UNSAFE(handshake_done_msg)
BROKER_CORE_UNSAFE(handshake_failed_msg)
BROKER_CORE_UNSAFE(inbound_batch_msg)
BROKER_CORE_UNSAFE(peer_filter_msg)
BROKER_CORE_UNSAFE(peer_credit_msg)
BROKER_CORE_UNSAFE(peering_closed_msg)
BROKER_CORE_UNSAFE(outbound_batch_msg)
BROKER_CORE_UNSAFE(outbound_frames_msg)
BROKER_CORE_UNSAFE(announce_filter_msg)
BROKER_CORE_UNSAFE(bye_msg)
BROKER_CORE_UNSAFE(abort_msg)
BROKER_CORE_UNSAFE(accepted_msg)
BROKER_CORE_UNSAFE(dial_result_msg)
BROKER_CORE_UNSAFE(retry_timer_msg)
BROKER_CORE_UNSAFE(shutdown_timeout_msg)
BROKER_CORE_UNSAFE(add_listener_msg)
BROKER_CORE_UNSAFE(peer_msg)
BROKER_CORE_UNSAFE(unpeer_msg)
BROKER_CORE_UNSAFE(get_peers_msg)
BROKER_CORE_UNSAFE(get_metrics_msg)
BROKER_CORE_UNSAFE(get_peer_filters_msg)
BROKER_CORE_UNSAFE(get_filter_msg)
BROKER_CORE_UNSAFE(await_peer_msg)
BROKER_CORE_UNSAFE(subscribe_msg)
BROKER_CORE_UNSAFE(set_subscriber_filter_msg)
BROKER_CORE_UNSAFE(unsubscribe_msg)
BROKER_CORE_UNSAFE(subscriber_space_msg)
BROKER_CORE_UNSAFE(forward_msg)
BROKER_CORE_UNSAFE(publish_msg)
BROKER_CORE_UNSAFE(shutdown_msg)
BROKER_CORE_UNSAFE(ws_accepted_msg)
BROKER_CORE_UNSAFE(ws_inbox_msg)
BROKER_CORE_UNSAFE(ws_sent_msg)
BROKER_CORE_UNSAFE(ws_closed_msg)
BROKER_CORE_UNSAFE(ws_filter_timeout_msg)
BROKER_CORE_UNSAFE(ws_client_ready_msg)
BROKER_CORE_UNSAFE(ws_client_closed_msg)
BROKER_CORE_UNSAFE(add_ws_listener_msg)
BROKER_CORE_UNSAFE(inbound_ack_msg)
BROKER_CORE_UNSAFE(peer_stall_msg)
BROKER_CORE_UNSAFE(add_publisher_msg)
BROKER_CORE_UNSAFE(publisher_ready_msg)
BROKER_CORE_UNSAFE(remove_publisher_msg)
