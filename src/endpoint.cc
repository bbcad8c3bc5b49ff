#include "broker/endpoint.hh"

#include "broker/zeek.hh"
#include "core/core_actor.hh"
#include "core/facade.hh"
#include "core/messages.hh"
#include "core/scheduler.hh"
#include "logger.hh"
#include "net/http_server.hh"
#include "net/io_runtime.hh"
#include "net/listener.hh"
#include "net/tls.hh"
#include "net/ws.hh"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include <atomic>
#include <charconv>
#include <stdexcept>

namespace broker {

namespace {

/// Default of `caf.scheduler.max-threads`: 0 runs the actors on the I/O
/// thread (one event loop). Actors never block on sockets either way, and
/// sharing the thread saves a thread wake-up per hand-off: measured with
/// bench/pubsub.cc on 2 cores, 1.93M vs 1.69M msgs/s and a 93 vs 189 us
/// round trip against one dedicated worker. Endpoints then have two threads
/// (the host's and the I/O thread) and no idle CPU (DESIGN.md §3).
constexpr size_t default_scheduler_threads = 0;

/// Upper bound for synchronous queries of the core (peers(), filter(), ...).
constexpr auto query_timeout = std::chrono::seconds{5};

/// Default of `broker.shutdown-timeout` (DESIGN.md §2).
constexpr timespan default_shutdown_timeout = std::chrono::seconds{5};

[[noreturn]] void bad_setting(std::string_view key, std::string_view what) {
  throw std::invalid_argument("invalid setting " + std::string{key} + ": " +
                              std::string{what});
}

/// Applies `broker.console-verbosity` (env BROKER_CONSOLE_VERBOSITY) to the
/// process-wide console log, if set. As upstream (spec §1.10), a value other
/// than trace, debug, info, warning, error or quiet is rejected.
void apply_console_verbosity(const configuration& cfg) {
  constexpr std::string_view key = "broker.console-verbosity";
  auto str = cfg.read_str(key);
  if (!str)
    return;
  logger::level lvl;
  if (!logger::parse(*str, lvl))
    bad_setting(key, "expected trace, debug, info, warning, error or quiet, "
                     "got '" +
                         *str + "'");
  logger::set_console_level(lvl);
}

/// Reads an optional duration setting into `dst`.
void read_duration(const configuration& cfg, std::string_view key,
                   timespan& dst) {
  if (cfg.settings().count(key) == 0)
    return;
  auto val = cfg.read_ts(key);
  if (!val || *val <= timespan{0})
    bad_setting(key, "expected a positive duration such as 500ms or 2s");
  dst = *val;
}

/// Reads an optional unsigned setting into `dst`.
template <class T>
void read_count(const configuration& cfg, std::string_view key, T& dst,
                uint64_t min_val = 1) {
  if (cfg.settings().count(key) == 0)
    return;
  auto val = cfg.read_u64(key, std::numeric_limits<T>::max());
  if (!val || *val < min_val)
    bad_setting(key, "expected a number >= " + std::to_string(min_val));
  dst = static_cast<T>(*val);
}

/// Builds the TLS context of all peerings (spec: upstream-broker.md §6):
/// `nullptr` with `broker.disable-ssl`, anonymous TLS without `broker.ssl.*`
/// settings, mutual TLS with them. Where upstream aborts the process
/// (certificate or key missing, §1.1) or fails later, we throw
/// `std::invalid_argument` naming the setting and OpenSSL's reason.
/// `broker.skip-ssl-init` needs no handling: OpenSSL 3 initialises itself.
std::shared_ptr<net::tls_context> make_tls_context(const configuration& cfg) {
  auto opts = cfg.openssl_options();
  if (!opts)
    return nullptr;
  net::tls_options tls;
  tls.certificate = opts->certificate;
  tls.key = opts->key;
  tls.passphrase = opts->passphrase;
  tls.cafile = opts->cafile;
  tls.capath = opts->capath;
  std::string what;
  auto result = net::tls_context::make(tls, what);
  if (!result)
    throw std::invalid_argument("invalid TLS configuration: " + what);
  return result;
}

core::overflow_policy to_core(overflow_policy x) {
  switch (x) {
  case overflow_policy::drop_newest:
    return core::overflow_policy::drop_newest;
  case overflow_policy::drop_oldest:
    return core::overflow_policy::drop_oldest;
  case overflow_policy::disconnect:
    break;
  }
  return core::overflow_policy::disconnect;
}

/// Resolves the configuration into the typed settings of the core.
core::settings resolve_settings(const configuration& cfg, endpoint_id id) {
  auto& opts = cfg.options();
  core::settings result;
  result.id = id;
  result.disable_forwarding = opts.disable_forwarding;
  result.ttl = opts.ttl;
  if (opts.peer_buffer_size == 0)
    bad_setting("broker.peer-buffer-size", "must be at least 1");
  result.peer_buffer_size = opts.peer_buffer_size;
  if (auto str = cfg.read_str("broker.peer-overflow-policy")) {
    overflow_policy policy;
    if (!convert(*str, policy))
      bad_setting("broker.peer-overflow-policy",
                  "expected disconnect, drop_newest or drop_oldest, got '" +
                      *str + "'");
  }
  result.peer_overflow_policy = to_core(opts.peer_overflow_policy);
  if (opts.web_socket_buffer_size == 0)
    bad_setting("broker.web-socket-buffer-size", "must be at least 1");
  result.web_socket_buffer_size = opts.web_socket_buffer_size;
  result.web_socket_overflow_policy = to_core(opts.web_socket_overflow_policy);
  read_duration(cfg, "broker.peer-stall-timeout", result.peer_stall_timeout);
  read_duration(cfg, "broker.heartbeat-interval", result.heartbeat_interval);
  read_duration(cfg, "broker.heartbeat-timeout", result.heartbeat_timeout);
  read_duration(cfg, "broker.handshake-timeout", result.handshake_timeout);
  read_duration(cfg, "broker.connect-timeout", result.connect_timeout);
  read_duration(cfg, "broker.unpeer-timeout", result.unpeer_timeout);
  read_count(cfg, "broker.max-pending-handshakes",
             result.max_pending_handshakes);
  read_count(cfg, "broker.max-frame-size", result.max_frame_size, 64);
  if (result.heartbeat_timeout <= result.heartbeat_interval)
    bad_setting("broker.heartbeat-timeout",
                "must be longer than broker.heartbeat-interval");
  result.tls = make_tls_context(cfg);
  return result;
}

} // namespace

struct endpoint::impl {
  std::shared_ptr<const core::settings> cfg;
  timespan shutdown_timeout = default_shutdown_timeout;
  // Declaration order matters: the I/O runtime outlives the actor system
  // (peering actors own streams), which outlives its config.
  std::unique_ptr<net::io_runtime> io;
  std::unique_ptr<caf::actor_system_config> sys_cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<core::core_handle> core;
  /// The Prometheus exporter (`broker.metrics.port`), if configured.
  std::shared_ptr<net::http_server> metrics_server;
  std::atomic<uint64_t> next_subscriber{1};
  std::atomic<uint64_t> next_publisher{1};
  std::atomic<bool> shut_down{false};

  /// Sends `msg` with a fresh promise and waits up to `timeout` for it.
  template <class T, class Msg>
  std::optional<T> ask(Msg msg, timespan timeout) {
    auto slot = std::make_shared<std::promise<T>>();
    msg.done = slot;
    auto fut = slot->get_future();
    if (!core->send(std::move(msg)))
      return std::nullopt;
    if (fut.wait_for(timeout) != std::future_status::ready)
      return std::nullopt;
    try {
      return fut.get();
    } catch (const std::future_error&) {
      return std::nullopt; // the core went away without answering
    }
  }

  subscriber subscribe(filter_type filter, size_t queue_size,
                       core::subscriber_queue::full_policy policy) {
    auto state = std::make_shared<detail::subscriber_state>();
    state->id = next_subscriber++;
    state->queue = std::make_shared<core::subscriber_queue>(queue_size, policy);
    state->core = core;
    state->filter = filter;
    // Wake the core when the consumer frees space it was waiting for.
    std::weak_ptr<core::core_handle> weak_core = core;
    state->queue->on_space([weak_core, id = state->id] {
      if (auto ptr = weak_core.lock())
        ptr->send(core::subscriber_space_msg{id});
    });
    auto done = std::make_shared<std::promise<void>>();
    auto fut = done->get_future();
    if (core->send(core::subscribe_msg{state->id, std::move(filter),
                                       state->queue, done}))
      fut.wait_for(query_timeout);
    else
      state->queue->close();
    return subscriber{std::move(state)};
  }
};

endpoint::endpoint() : endpoint(configuration{}) {
}

endpoint::endpoint(configuration config)
    : endpoint(std::move(config), endpoint_id::random()) {
}

endpoint::endpoint(configuration config, endpoint_id id)
    : impl_(std::make_unique<impl>()), id_(id) {
  apply_console_verbosity(config);
  auto settings = resolve_settings(config, id);
  read_duration(config, "broker.shutdown-timeout", impl_->shutdown_timeout);
  size_t threads = default_scheduler_threads;
  read_count(config, "caf.scheduler.max-threads", threads, 0);
  impl_->cfg = std::make_shared<const core::settings>(std::move(settings));
  impl_->io = std::make_unique<net::io_runtime>(1);
  impl_->sys_cfg = std::make_unique<caf::actor_system_config>();
  core::use_lean_scheduler(*impl_->sys_cfg, threads, impl_->io.get());
  impl_->sys = std::make_unique<caf::actor_system>(*impl_->sys_cfg);
  auto core = core::spawn_core_actor(
      *impl_->sys, core::core_args{impl_->cfg, impl_->io.get()});
  impl_->core = std::make_shared<core::core_handle>(std::move(core));
  logger::debug("endpoint", "started endpoint ", id,
                impl_->cfg->tls ? " (TLS)" : " (plain TCP)");
  // spec §1.2: `broker.web-socket.port` (or BROKER_WEB_SOCKET_PORT) starts a
  // WebSocket listener right away.
  if (config.settings().count("broker.web-socket.port") > 0) {
    auto ws_port = config.read_u64("broker.web-socket.port", UINT16_MAX);
    if (!ws_port)
      bad_setting("broker.web-socket.port", "expected a port number");
    auto addr = config.read_str("broker.web-socket.address").value_or("");
    error err;
    if (listen(addr, static_cast<uint16_t>(*ws_port), protocol::websocket,
               &err) == 0) {
      shutdown();
      bad_setting("broker.web-socket.port", *err.message());
    }
  }
  start_metrics_exporter(config);
}

namespace {

/// Reads `broker.metrics.port`: a number, or upstream's `N/tcp` form.
std::optional<uint16_t> read_metrics_port(const configuration& config) {
  constexpr std::string_view key = "broker.metrics.port";
  if (config.settings().count(std::string{key}) == 0)
    return std::nullopt;
  if (auto num = config.read_u64(key, UINT16_MAX))
    return static_cast<uint16_t>(*num);
  if (auto str = config.read_str(key)) {
    std::string_view text = *str;
    if (auto pos = text.find("/tcp");
        pos != std::string_view::npos && pos + 4 == text.size())
      text = text.substr(0, pos);
    uint32_t value = 0;
    auto [end, errc] =
        std::from_chars(text.data(), text.data() + text.size(), value);
    if (errc == std::errc{} && end == text.data() + text.size() &&
        !text.empty() && value <= UINT16_MAX)
      return static_cast<uint16_t>(value);
  }
  bad_setting(key, "expected a port number (or N/tcp)");
}

} // namespace

void endpoint::start_metrics_exporter(const configuration& config) {
  auto port = read_metrics_port(config);
  if (!port)
    return;
  auto addr = config.read_str("broker.metrics.address").value_or("");
  std::string name;
  if (auto str = config.read_str("broker.metrics.endpoint-name"))
    name = *str;
  else
    convert(id_, name);
  std::weak_ptr<core::core_handle> weak_core = impl_->core;
  auto on_request = [weak_core, name](const std::string& target,
                                      net::http_server::reply_fn reply) {
    // The path, without a query string.
    auto path = target.substr(0, target.find('?'));
    if (path != "/metrics") {
      reply(404, "text/plain", "not found: the metrics are at /metrics\n");
      return;
    }
    auto ptr = weak_core.lock();
    auto answer = [reply, name](std::vector<peer_metrics> xs) {
      reply(200, "text/plain; version=0.0.4", to_prometheus(xs, name));
    };
    core::get_metrics_msg msg;
    msg.then = answer;
    if (!ptr || !ptr->send(std::move(msg)))
      reply(503, "text/plain", "endpoint is shutting down\n");
  };
  std::error_code err;
  std::string what;
  impl_->metrics_server = net::http_server::open(
      *impl_->io, addr, *port, std::move(on_request), err, what);
  if (!impl_->metrics_server) {
    shutdown();
    bad_setting("broker.metrics.port", what);
  }
  logger::info("endpoint", "metrics exporter on port ",
               impl_->metrics_server->port());
}

endpoint::~endpoint() {
  shutdown();
}

void endpoint::shutdown() {
  if (!impl_ || impl_->shut_down.exchange(true))
    return;
  logger::debug("endpoint", "shutting down endpoint ", id_);
  if (impl_->metrics_server)
    impl_->metrics_server->close();
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  if (impl_->core->send(core::shutdown_msg{done}))
    fut.wait_for(impl_->shutdown_timeout);
  // Whether or not the goodbyes finished in time: terminate the core; every
  // peering actor monitors it and follows.
  impl_->core->kill();
  impl_->sys.reset();
  impl_->sys_cfg.reset();
  impl_->io->stop();
}

bool endpoint::is_shutdown() const noexcept {
  return impl_->shut_down;
}

// -- peer management ----------------------------------------------------------

uint16_t endpoint::listen(const std::string& address, uint16_t port, error* err,
                          bool reuse_addr) {
  return listen(address, port, protocol::native, err, reuse_addr);
}

uint16_t endpoint::listen(const std::string& address, uint16_t port,
                          protocol proto, error* err, bool reuse_addr) {
  auto fail = [&](std::string what) -> uint16_t {
    logger::warning("endpoint", what);
    if (err)
      *err = error{ec::unspecified, std::move(what)};
    return 0;
  };
  if (impl_->shut_down)
    return fail("endpoint is shut down");
  std::weak_ptr<core::core_handle> weak_core = impl_->core;
  std::error_code ec;
  std::string what;
  if (proto == protocol::websocket) {
    auto on_accept = [weak_core](std::shared_ptr<net::ws_session> session) {
      auto ptr = weak_core.lock();
      if (!ptr || !ptr->send(core::ws_accepted_msg{session}))
        session->abort();
    };
    net::ws_options opts;
    opts.tls = impl_->cfg->tls;
    opts.max_message_size = impl_->cfg->max_frame_size;
    opts.handshake_timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(
            impl_->cfg->handshake_timeout);
    auto lst =
        net::ws_listener::open(*impl_->io, address, port, reuse_addr,
                               std::move(opts), std::move(on_accept), ec, what);
    if (!lst)
      return fail(std::move(what));
    auto bound = lst->port();
    if (!impl_->core->send(core::add_ws_listener_msg{lst})) {
      lst->close();
      return fail("endpoint is shut down");
    }
    logger::info("endpoint", "listening for WebSocket clients on ",
                 address.empty() ? "*" : address, ":", bound);
    return bound;
  }
  auto on_accept = [weak_core](std::shared_ptr<net::stream> stream) {
    auto ptr = weak_core.lock();
    if (!ptr || !ptr->send(core::accepted_msg{stream}))
      stream->abort();
  };
  auto& cfg = *impl_->cfg;
  auto lst =
      net::listener::open(*impl_->io, address, port, reuse_addr,
                          std::move(on_accept), ec, what, cfg.tls,
                          std::chrono::duration_cast<std::chrono::milliseconds>(
                              cfg.handshake_timeout));
  if (!lst)
    return fail(std::move(what));
  auto bound = lst->port();
  if (!impl_->core->send(core::add_listener_msg{lst})) {
    lst->close();
    return fail("endpoint is shut down");
  }
  logger::info("endpoint", "listening for peers on ",
               address.empty() ? "*" : address, ":", bound);
  return bound;
}

bool endpoint::peer(const std::string& address, uint16_t port,
                    timeout::seconds retry) {
  auto& cfg = *impl_->cfg;
  // DESIGN.md §2: never blocks forever: connect timeout + TLS handshake
  // deadline (if any) + handshake deadline (+ slack for scheduling).
  auto bound = cfg.connect_timeout + cfg.handshake_timeout +
               (cfg.tls ? cfg.handshake_timeout : timespan{0}) +
               std::chrono::seconds{1};
  return impl_
      ->ask<bool>(core::peer_msg{network_info{address, port, retry}, nullptr},
                  bound)
      .value_or(false);
}

void endpoint::peer_nosync(const std::string& address, uint16_t port,
                           timeout::seconds retry) {
  impl_->core->send(
      core::peer_msg{network_info{address, port, retry}, nullptr});
}

std::future<bool> endpoint::peer_async(std::string address, uint16_t port,
                                       timeout::seconds retry) {
  auto slot = std::make_shared<std::promise<bool>>();
  auto fut = slot->get_future();
  if (!impl_->core->send(
          core::peer_msg{network_info{std::move(address), port, retry}, slot}))
    slot->set_value(false);
  return fut;
}

bool endpoint::unpeer(const std::string& address, uint16_t port) {
  auto bound = impl_->cfg->unpeer_timeout + std::chrono::seconds{2};
  auto result = impl_->ask<bool>(
      core::unpeer_msg{network_info{address, port}, nullptr}, bound);
  return result.value_or(false);
}

void endpoint::unpeer_nosync(const std::string& address, uint16_t port) {
  impl_->core->send(core::unpeer_msg{network_info{address, port}, nullptr});
}

std::vector<peer_metrics> endpoint::metrics() const {
  return impl_
      ->ask<std::vector<peer_metrics>>(core::get_metrics_msg{nullptr, nullptr},
                                       query_timeout)
      .value_or(std::vector<peer_metrics>{});
}

uint16_t endpoint::metrics_port() const noexcept {
  return impl_->metrics_server ? impl_->metrics_server->port() : 0;
}

std::vector<peer_info> endpoint::peers() const {
  return impl_
      ->ask<std::vector<peer_info>>(core::get_peers_msg{nullptr}, query_timeout)
      .value_or(std::vector<peer_info>{});
}

std::vector<topic> endpoint::peer_subscriptions() const {
  return impl_
      ->ask<filter_type>(core::get_peer_filters_msg{nullptr}, query_timeout)
      .value_or(filter_type{});
}

filter_type endpoint::filter() const {
  return impl_->ask<filter_type>(core::get_filter_msg{nullptr}, query_timeout)
      .value_or(filter_type{});
}

bool endpoint::await_peer(endpoint_id whom, timespan timeout) {
  return impl_->ask<bool>(core::await_peer_msg{whom, nullptr}, timeout)
      .value_or(false);
}

void endpoint::forward(std::vector<topic> ts) {
  impl_->core->send(core::forward_msg{std::move(ts)});
}

// -- publishing ---------------------------------------------------------------

namespace {

core::node_message local_message(data_message msg, endpoint_id receiver,
                                 uint16_t ttl) {
  return core::node_message{std::move(msg), endpoint_id{}, receiver, ttl};
}

} // namespace

void endpoint::publish(topic t, data d) {
  publish(make_data_message(std::move(t), std::move(d)));
}

void endpoint::publish(std::string_view t, const zeek::Message& d) {
  publish(make_data_message(topic{t}, d.as_data()));
}

void endpoint::publish(topic t, std::initializer_list<data> xs) {
  publish(make_data_message(std::move(t), vector{xs}));
}

void endpoint::publish(data_message x) {
  core::node_message_batch batch;
  batch.emplace_back(
      local_message(std::move(x), endpoint_id{}, impl_->cfg->ttl));
  impl_->core->send(core::publish_msg{std::move(batch)});
}

void endpoint::publish(std::vector<data_message> xs) {
  core::node_message_batch batch;
  batch.reserve(xs.size());
  for (auto& x : xs)
    batch.emplace_back(
        local_message(std::move(x), endpoint_id{}, impl_->cfg->ttl));
  impl_->core->send(core::publish_msg{std::move(batch)});
}

void endpoint::publish(const endpoint_info& dst, topic t, data d) {
  publish(dst, make_data_message(std::move(t), std::move(d)));
}

void endpoint::publish(const endpoint_info& dst, data_message x) {
  core::node_message_batch batch;
  batch.emplace_back(local_message(std::move(x), dst.node, impl_->cfg->ttl));
  impl_->core->send(core::publish_msg{std::move(batch)});
}

// -- subscribing --------------------------------------------------------------

publisher endpoint::make_publisher(topic t, size_t queue_size) {
  auto state = std::make_shared<detail::publisher_state>();
  state->id = impl_->next_publisher++;
  state->dst = t;
  state->core = impl_->core;
  // Tell the core when the queue goes from empty to non-empty.
  std::weak_ptr<core::core_handle> weak_core = impl_->core;
  // A topic the wire cannot carry gets a queue that refuses everything
  // (the core reports the error): its frames could not be written.
  auto fits = t.string().size() <= topic::max_size;
  state->queue = std::make_shared<core::publisher_queue>(
      queue_size, impl_->cfg->id, impl_->cfg->ttl, fits ? t : topic{},
      [weak_core, id = state->id] {
        if (auto ptr = weak_core.lock())
          ptr->send(core::publisher_ready_msg{id});
      });
  if (!fits)
    state->queue->close();
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  if (impl_->core->send(
          core::add_publisher_msg{state->id, std::move(t), state->queue, done}))
    fut.wait_for(query_timeout);
  else
    state->queue->close();
  return publisher{std::move(state)};
}

subscriber endpoint::make_subscriber(filter_type filter, size_t queue_size) {
  return impl_->subscribe(std::move(filter), queue_size,
                          core::subscriber_queue::full_policy::refuse);
}

status_subscriber endpoint::make_status_subscriber(bool receive_statuses,
                                                   size_t queue_size) {
  filter_type filter{topic::errors()};
  if (receive_statuses)
    filter.emplace_back(topic::statuses());
  return status_subscriber{
      impl_->subscribe(std::move(filter), queue_size,
                       core::subscriber_queue::full_policy::drop_oldest)};
}

} // namespace broker
