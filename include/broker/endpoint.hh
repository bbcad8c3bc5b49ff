#pragma once

#include "broker/configuration.hh"
#include "broker/data.hh"
#include "broker/endpoint_id.hh"
#include "broker/endpoint_info.hh"
#include "broker/error.hh"
#include "broker/filter_type.hh"
#include "broker/message.hh"
#include "broker/network_info.hh"
#include "broker/peer_info.hh"
#include "broker/peer_metrics.hh"
#include "broker/protocol.hh"
#include "broker/publisher.hh"
#include "broker/status_subscriber.hh"
#include "broker/subscriber.hh"
#include "broker/time.hh"
#include "broker/timeout.hh"
#include "broker/topic.hh"

#include <cstdint>
#include <future>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace broker::zeek {

// Defined in broker/zeek.hh.
class Message;

} // namespace broker::zeek

namespace broker {

/// The main publish/subscribe abstraction: an endpoint peers with other
/// endpoints (this library's or upstream Broker's) and exchanges messages
/// with every peer whose subscriptions match.
///
/// Each endpoint runs its own actor system and I/O thread. Status and error
/// events are delivered through `make_status_subscriber`.
///
/// Thread safety: all member functions may be called from any thread,
/// except `shutdown` and the destructor, which must not run concurrently
/// with other calls.
class endpoint {
public:
  /// Opaque implementation.
  struct impl;

  /// An endpoint with `configuration{}` (defaults and environment variables)
  /// and a random ID.
  /// @throws std::invalid_argument as `endpoint(configuration)`.
  endpoint();

  /// An endpoint with a random ID.
  /// @throws std::invalid_argument if the configuration is invalid, or if
  ///         `broker.web-socket.port` (`BROKER_WEB_SOCKET_PORT`) or
  ///         `broker.metrics.port` (`BROKER_METRICS_PORT`) is set but cannot
  ///         be bound. The message names the offending setting.
  explicit endpoint(configuration config);

  /// An endpoint with the given ID (for tests and tools).
  /// @throws std::invalid_argument as `endpoint(configuration)`.
  endpoint(configuration config, endpoint_id id);

  /// Not copyable.
  endpoint(const endpoint&) = delete;

  /// Not copyable.
  endpoint& operator=(const endpoint&) = delete;

  /// Calls `shutdown`.
  ~endpoint();

  /// Ends every peering gracefully (flushing what was queued, then BYE),
  /// stops listening and releases all threads. Blocks at most
  /// `broker.shutdown-timeout` (default 5 s) plus the time to join threads.
  /// Subscribers see their queues closed. Idempotent; other calls after it
  /// return failure values.
  void shutdown();

  /// Returns whether `shutdown` ran.
  [[nodiscard]] bool is_shutdown() const noexcept;

  /// Returns this endpoint's ID.
  [[nodiscard]] endpoint_id node_id() const noexcept { return id_; }

  // -- peer management --------------------------------------------------------

  /// Listens for peers. An empty `address` means all interfaces (dual-stack
  /// IPv4/IPv6, or IPv4 only on a host without IPv6); `port` 0 picks an
  /// ephemeral port. Several listeners per
  /// endpoint are fine. Blocks until the socket is bound.
  /// @returns the bound port, or 0 on failure with `*err` (if non-null) set
  ///          to an error with code `ec::unspecified` whose message says
  ///          what failed (e.g. "cannot listen on 127.0.0.1:80: Permission
  ///          denied"). No status or error event is emitted.
  uint16_t listen(const std::string& address = {}, uint16_t port = 0,
                  error* err = nullptr, bool reuse_addr = true);

  /// Listens for peers (`protocol::native`, as above) or for WebSocket
  /// clients (`protocol::websocket`: HTTP upgrade on `/v1/messages/json`,
  /// JSON v1 messages, spec: upstream-broker.md §5). Same return convention.
  uint16_t listen(const std::string& address, uint16_t port, protocol proto,
                  error* err = nullptr, bool reuse_addr = true);

  /// Upstream's name for `listen(address, port, protocol::websocket, ...)`.
  uint16_t web_socket_listen(const std::string& address = {}, uint16_t port = 0,
                             error* err = nullptr, bool reuse_addr = true) {
    return listen(address, port, protocol::websocket, err, reuse_addr);
  }

  /// Peers with the endpoint at `address:port`. Blocks until the peering is
  /// up (`true`) or the first attempt failed (`false`); never longer than
  /// `broker.connect-timeout` + `broker.handshake-timeout` (+ another
  /// `broker.handshake-timeout` with TLS) plus a second.
  /// With `retry` > 0, a failed attempt is retried in the background every
  /// `retry` (±20 %) until it succeeds or `unpeer` cancels it, and a lost
  /// peering reconnects. Each failed attempt emits `peer_unavailable`.
  bool peer(const std::string& address, uint16_t port,
            timeout::seconds retry = timeout::seconds{10});

  /// @copydoc peer
  bool peer(const network_info& info) {
    return peer(info.address, info.port, info.retry);
  }

  /// Like `peer`, but returns immediately; outcome via status events.
  void peer_nosync(const std::string& address, uint16_t port,
                   timeout::seconds retry = timeout::seconds{10});

  /// Like `peer`, but returns immediately with a future for the result
  /// (already `false` if the endpoint is shut down).
  std::future<bool> peer_async(std::string address, uint16_t port,
                               timeout::seconds retry = timeout::seconds{10});

  /// Ends the peering with `address:port` gracefully (flush, BYE), or
  /// cancels a pending or retrying attempt to it. Blocks until done, at
  /// most `broker.unpeer-timeout` (for the BYE) plus two seconds.
  /// @returns `true` once the peering ended or the attempt was cancelled;
  ///          `false` for an unknown peer (and emits `peer_invalid`) or on
  ///          timeout.
  bool unpeer(const std::string& address, uint16_t port);

  /// Like `unpeer`, but returns immediately.
  void unpeer_nosync(const std::string& address, uint16_t port);

  /// Returns every known peering with `inbound`/`outbound` flags:
  /// established (`peered`); dialing or handshaking with a peer not
  /// identified yet (`connecting`, or `reconnecting` for an outbound peering
  /// that was established before); handshaking with an identified peer, or
  /// an outbound request waiting for another handshake with that peer
  /// (`connected`); an outbound request waiting to retry (`disconnected`).
  /// Blocks until the endpoint answered (at most 5 s; empty on timeout or
  /// after `shutdown()`).
  [[nodiscard]] std::vector<peer_info> peers() const;

  /// Returns the traffic counters of every established peering and
  /// WebSocket client (messages and bytes in and out, drops by overflow
  /// policy, outbound queue depth, reconnects, heartbeat round trip). Blocks
  /// until the endpoint answered (at most 5 s; empty on timeout or after
  /// `shutdown()`).
  [[nodiscard]] std::vector<peer_metrics> metrics() const;

  /// Returns the port of the Prometheus exporter that `broker.metrics.port`
  /// (or `BROKER_METRICS_PORT`) started (`GET /metrics`, text format), or 0
  /// if none runs. Useful with `broker.metrics.port = 0` (ephemeral).
  [[nodiscard]] uint16_t metrics_port() const noexcept;

  /// Returns the union of the direct peers' filters.
  /// Blocks until the endpoint answered (at most 5 s; empty on timeout or
  /// after `shutdown()`).
  [[nodiscard]] std::vector<topic> peer_subscriptions() const;

  /// Returns this endpoint's advertised filter: its subscribers' topics and
  /// those given to `forward`, minimised, without `<$>/local/` topics.
  /// Blocks until the endpoint answered (at most 5 s; empty on timeout or
  /// after `shutdown()`).
  [[nodiscard]] filter_type filter() const;

  /// Blocks until `whom` is a direct peer or `timeout` passed.
  /// @returns whether `whom` is a direct peer (`false` at once after
  ///          `shutdown()`).
  bool await_peer(endpoint_id whom,
                  timespan timeout = std::chrono::seconds{10});

  /// Adds `ts` to the advertised filter without a local subscriber, so that
  /// peers send these topics here to be forwarded.
  /// Returns immediately.
  void forward(std::vector<topic> ts);

  // -- publishing -------------------------------------------------------------

  /// Publishes `d` on `t` to all peers and WebSocket clients whose filter
  /// matches (not to local subscribers). Returns immediately. A topic longer
  /// than `topic::max_size` is dropped with an `ec::invalid_topic_key` error
  /// event.
  void publish(topic t, data d);

  /// Publishes a copy of a Zeek message (event, log write, ...) on `t`.
  void publish(std::string_view t, const zeek::Message& d);

  /// Publishes `[xs...]` (a vector) on `t`.
  void publish(topic t, std::initializer_list<data> xs);

  /// Publishes a message, as `publish(topic, data)`.
  void publish(data_message x);

  /// Publishes all messages in order.
  void publish(std::vector<data_message> xs);

  /// Sends `d` on `t` to `dst` only: a direct peer, or this endpoint itself
  /// (then local subscribers get it).
  void publish(const endpoint_info& dst, topic t, data d);

  /// @copydoc publish(const endpoint_info&, topic, data)
  void publish(const endpoint_info& dst, data_message x);

  /// Returns a publisher for `t` with a queue of `queue_size` messages (see
  /// `publisher` for its flow control). Blocks until the endpoint knows it
  /// (at most 5 s).
  publisher make_publisher(topic t, size_t queue_size = 1024);

  // -- subscribing ------------------------------------------------------------

  /// Returns a subscriber for the topics of `filter` with room for
  /// `queue_size` messages. Blocks until the endpoint applied the filter
  /// (at most 5 s).
  subscriber make_subscriber(filter_type filter, size_t queue_size = 64);

  /// Returns a subscriber for error events and, if `receive_statuses`, status
  /// events, with room for `queue_size` of them (when it is full, the oldest
  /// is dropped). Blocks until the endpoint applied the subscription (at
  /// most 5 s).
  status_subscriber make_status_subscriber(bool receive_statuses = false,
                                           size_t queue_size = 256);

private:
  /// Starts the Prometheus exporter if `broker.metrics.port` is set.
  /// @throws std::invalid_argument on a bad setting or a port in use.
  void start_metrics_exporter(const configuration& config);

  std::unique_ptr<impl> impl_;
  endpoint_id id_;
};

} // namespace broker
