// broker-bench: publish/subscribe figures on loopback, with the publisher and
// each subscriber in separate processes, next to the same machine's raw-TCP
// bounds (and ZeroMQ PUB/SUB, when built with libzmq) measured in the same
// run. Prints one line per figure.
//
//   broker-bench [--messages N] [--pings N] [--subscribers K]
//                [--payload BYTES] [FIGURE...]
//
// FIGURE is one of throughput, latency, fanout, raw, zmq, ws-in, ws-out,
// peering (default: all but peering).
// The process re-executes itself with --role=... for the remote sides.

#include "broker/broker.hh"
#include "broker/zeek.hh"

#include "format/bin.hh"
#include "format/json.hh"
#include "support/child_process.hh"
#include "support/events.hh"
#include "wire/envelope.hh"
#include "ws_client.hh"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef BROKER_BENCH_WITH_ZMQ
#include <zmq.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using broker::test::child_process;

// -- options
// ----------------------------------------------------------------------

struct options {
  size_t messages = 1'000'000;
  size_t pings = 10'000;
  size_t subscribers = 4;
  size_t payload = 50;
  /// caf.scheduler.max-threads of every endpoint (0: actors on the I/O
  /// thread); unset: the library's default.
  std::optional<size_t> threads;
  /// Subscribers only count messages (no decoding, no order check).
  bool count_only = false;
  /// Subscribers read each event's number through a `data_view` of its wire
  /// form instead of decoding it (order still checked).
  bool view = false;
  /// The sink listens for WebSocket clients instead of native peers.
  bool ws = false;
  std::string role;
  uint16_t port = 0;
  std::vector<std::string> figures;
};

/// What a sink prints after `in_order`: whether it checked the order of
/// the messages, and what it found.
enum order_check : int {
  order_broken = 0,
  order_kept = 1,
  order_unchecked = -1,
};

options parse(int argc, char** argv) {
  options opts;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* name) -> std::optional<std::string> {
      std::string prefix = std::string{name} + "=";
      if (arg.rfind(prefix, 0) == 0)
        return arg.substr(prefix.size());
      if (arg == name && i + 1 < argc)
        return std::string{argv[++i]};
      return std::nullopt;
    };
    if (auto x = value("--messages"))
      opts.messages = std::stoul(*x);
    else if (auto x = value("--pings"))
      opts.pings = std::stoul(*x);
    else if (auto x = value("--subscribers"))
      opts.subscribers = std::stoul(*x);
    else if (auto x = value("--payload"))
      opts.payload = std::stoul(*x);
    else if (auto x = value("--threads"))
      opts.threads = std::stoul(*x);
    else if (arg == "--count-only")
      opts.count_only = true;
    else if (arg == "--view")
      opts.view = true;
    else if (arg == "--ws")
      opts.ws = true;
    else if (auto x = value("--role"))
      opts.role = *x;
    else if (auto x = value("--port"))
      opts.port = static_cast<uint16_t>(std::stoul(*x));
    else if (arg == "-h" || arg == "--help") {
      std::cout
          << "usage: broker-bench [--messages N] [--pings N] "
             "[--subscribers K] [--payload BYTES] [--threads N] "
             "[--view | --count-only] "
             "[throughput|latency|fanout|raw|zmq|ws-in|ws-out|peering ...]\n";
      std::exit(0);
    } else if (arg.rfind("--", 0) == 0) {
      std::cerr << "broker-bench: unknown option " << arg << "\n";
      std::exit(2);
    } else
      opts.figures.push_back(arg);
  }
  return opts;
}

// -- helpers
// ------------------------------------------------------------------------

std::string self_path() {
  char buf[4096];
  auto n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) {
    std::cerr << "broker-bench: cannot find my own executable\n";
    std::exit(1);
  }
  return std::string{buf, static_cast<size_t>(n)};
}

double seconds(clock_type::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string with_commas(double x) {
  auto n = static_cast<long long>(x + 0.5);
  auto str = std::to_string(n);
  for (int i = static_cast<int>(str.size()) - 3; i > 0; i -= 3)
    str.insert(static_cast<size_t>(i), ",");
  return str;
}

/// Set from --threads before any endpoint exists.
std::optional<size_t> scheduler_threads;

broker::configuration bench_config() {
  broker::broker_options opts;
  opts.disable_ssl = true;
  broker::configuration cfg{opts};
  if (scheduler_threads)
    cfg.set("caf.scheduler.max-threads", uint64_t{*scheduler_threads});
  return cfg;
}

/// The message every figure sends: a Zeek event carrying a count and a
/// string of `payload` bytes.
broker::data make_event(uint64_t i, const std::string& payload) {
  return broker::test::numbered_event(i, payload);
}

/// The framed bytes of one event message, as they travel on the wire.
std::vector<uint8_t> event_frame(const std::string& payload) {
  broker::format::bin::v1::byte_buffer out;
  broker::wire::write_data_envelope(broker::endpoint_id::random(),
                                    broker::endpoint_id{}, 16, "/bench/events",
                                    make_event(1, payload), out);
  return out;
}

/// Reads the first line of a child that announces `port N`.
uint16_t child_port(child_process& child) {
  auto line = child.read_line(30s);
  if (!line || line->rfind("port ", 0) != 0) {
    std::cerr << "broker-bench: child did not start\n";
    std::exit(1);
  }
  return static_cast<uint16_t>(std::stoul(line->substr(5)));
}

/// Reads the child's result line (`rate R ...`).
std::optional<std::string> child_result(child_process& child,
                                        broker::timespan timeout) {
  auto line = child.read_line(timeout);
  if (!line)
    return std::nullopt;
  return line;
}

std::vector<std::string> args_for(const options& opts, const char* role) {
  std::vector<std::string> result{std::string{"--role="} + role,
                                  "--messages=" + std::to_string(opts.messages),
                                  "--payload=" + std::to_string(opts.payload)};
  if (opts.threads)
    result.push_back("--threads=" + std::to_string(*opts.threads));
  if (opts.count_only)
    result.push_back("--count-only");
  if (opts.view)
    result.push_back("--view");
  return result;
}

// -- roles (child processes)
// -----------------------------------------------------------

/// Receives `messages` events in order and reports the rate between the
/// first and the last one.
int role_sink(const options& opts) {
  broker::endpoint ep{bench_config()};
  auto sub = ep.make_subscriber({"/bench/events"}, 8192);
  auto port = opts.ws ? ep.web_socket_listen("127.0.0.1", 0)
                      : ep.listen("127.0.0.1", 0);
  std::cout << "port " << port << std::endl;
  uint64_t expected = 0;
  bool in_order = true;
  clock_type::time_point first;
  auto number_of = [&](const broker::data_message& msg) {
    if (opts.view && msg->has_encoded())
      return broker::test::event_number(msg->encoded_view());
    return broker::test::event_number(broker::get_data(msg));
  };
  auto consume = [&](const broker::data_message& msg) {
    if (!opts.count_only && number_of(msg) != expected)
      in_order = false;
    if (expected == 0)
      first = clock_type::now();
    ++expected;
  };
  // Long runs show progress on a terminal (stderr, so that stdout keeps
  // one line per figure).
  auto show_progress = ::isatty(STDERR_FILENO) == 1;
  auto next_progress = clock_type::now() + 1s;
  while (expected < opts.messages) {
    auto msg = sub.get(60s);
    if (!msg)
      break;
    consume(*msg);
    if (show_progress && clock_type::now() >= next_progress) {
      std::cerr << "\r  received " << with_commas(double(expected)) << " of "
                << with_commas(double(opts.messages)) << std::flush;
      next_progress += 1s;
    }
    // Take what else is there in bounded batches (no huge vectors).
    for (;;) {
      auto more = sub.get(512, 0s);
      for (auto& x : more) {
        consume(x);
        x.reset(); // done with it: free its value now
      }
      if (more.size() < 512)
        break;
    }
  }
  auto last = clock_type::now();
  if (show_progress)
    std::cerr << "\r\033[K" << std::flush; // clears the progress line
  auto rate = expected > 1 ? double(expected - 1) / seconds(last - first) : 0;
  auto order = opts.count_only ? order_unchecked
               : in_order      ? order_kept
                               : order_broken;
  std::cout << "rate " << rate << " received " << expected << " in_order "
            << order << std::endl;
  return 0;
}

/// Answers every ping with a pong carrying the same count.
int role_echo(const options&) {
  broker::endpoint ep{bench_config()};
  auto sub = ep.make_subscriber({"/bench/ping"}, 1024);
  auto port = ep.listen("127.0.0.1", 0);
  std::cout << "port " << port << std::endl;
  for (;;) {
    auto msg = sub.get(60s);
    if (!msg)
      return 0;
    ep.publish("/bench/pong", broker::get_data(*msg));
  }
}

/// Publishes `messages` events to the first WebSocket client that joins,
/// then stays until its stdin closes.
int role_ws_source(const options& opts) {
  broker::endpoint ep{bench_config()};
  auto events = ep.make_status_subscriber(true);
  auto port = ep.web_socket_listen("127.0.0.1", 0);
  std::cout << "port " << port << std::endl;
  for (;;) {
    auto x = events.get(60s);
    if (std::holds_alternative<broker::none>(x))
      return 1;
    if (auto st = std::get_if<broker::status>(&x);
        st && st->code() == broker::sc::peer_added)
      break;
  }
  auto pub = ep.make_publisher("/bench/events", 4096);
  std::string payload(opts.payload, 'x');
  for (size_t i = 0; i < opts.messages; ++i)
    pub.publish(make_event(i, payload));
  char c;
  while (std::cin.get(c)) {
  }
  return 0;
}

int listen_raw(uint16_t& port) {
  auto fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(fd, 1) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::cerr << "broker-bench: cannot listen\n";
    std::exit(1);
  }
  port = ntohs(addr.sin_port);
  return fd;
}

int accept_raw(int lfd) {
  auto fd = ::accept(lfd, nullptr, nullptr);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

int connect_raw(uint16_t port) {
  auto fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::cerr << "broker-bench: cannot connect\n";
    std::exit(1);
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

bool write_all(int fd, const uint8_t* buf, size_t n) {
  while (n > 0) {
    auto rc = ::write(fd, buf, n);
    if (rc <= 0)
      return false;
    buf += rc;
    n -= static_cast<size_t>(rc);
  }
  return true;
}

bool read_all(int fd, uint8_t* buf, size_t n) {
  while (n > 0) {
    auto rc = ::read(fd, buf, n);
    if (rc <= 0)
      return false;
    buf += rc;
    n -= static_cast<size_t>(rc);
  }
  return true;
}

/// Counts length-prefixed frames on a plain socket.
int role_raw_sink(const options& opts) {
  uint16_t port = 0;
  auto lfd = listen_raw(port);
  std::cout << "port " << port << std::endl;
  auto fd = accept_raw(lfd);
  std::vector<uint8_t> buf(256 * 1024);
  size_t have = 0;
  size_t frames = 0;
  clock_type::time_point first;
  while (frames < opts.messages) {
    auto rc = ::read(fd, buf.data() + have, buf.size() - have);
    if (rc <= 0)
      break;
    if (frames == 0 && have == 0)
      first = clock_type::now();
    have += static_cast<size_t>(rc);
    size_t pos = 0;
    while (have - pos >= 4) {
      auto len = broker::format::bin::v1::read_u32(buf.data() + pos);
      if (have - pos < 4 + len)
        break;
      pos += 4 + len;
      ++frames;
    }
    std::memmove(buf.data(), buf.data() + pos, have - pos);
    have -= pos;
  }
  auto last = clock_type::now();
  auto rate = frames > 1 ? double(frames - 1) / seconds(last - first) : 0;
  std::cout << "rate " << rate << " received " << frames << " in_order "
            << order_unchecked << std::endl;
  return 0;
}

/// Echoes frames back on a plain socket.
int role_raw_echo(const options&) {
  uint16_t port = 0;
  auto lfd = listen_raw(port);
  std::cout << "port " << port << std::endl;
  auto fd = accept_raw(lfd);
  std::vector<uint8_t> buf(64 * 1024);
  for (;;) {
    uint8_t header[4];
    if (!read_all(fd, header, 4))
      return 0;
    auto len = broker::format::bin::v1::read_u32(header);
    if (len > buf.size() || !read_all(fd, buf.data(), len))
      return 0;
    if (!write_all(fd, header, 4) || !write_all(fd, buf.data(), len))
      return 0;
  }
}

#ifdef BROKER_BENCH_WITH_ZMQ
int role_zmq_sink(const options& opts) {
  auto ctx = zmq_ctx_new();
  auto sock = zmq_socket(ctx, ZMQ_SUB);
  int unlimited = 0;
  zmq_setsockopt(sock, ZMQ_RCVHWM, &unlimited, sizeof(unlimited));
  zmq_setsockopt(sock, ZMQ_SUBSCRIBE, "", 0);
  zmq_bind(sock, "tcp://127.0.0.1:*");
  char endpoint[256];
  size_t len = sizeof(endpoint);
  zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, endpoint, &len);
  std::string ep{endpoint};
  std::cout << "port " << ep.substr(ep.rfind(':') + 1) << std::endl;
  std::vector<uint8_t> buf(64 * 1024);
  size_t count = 0;
  clock_type::time_point first;
  while (count < opts.messages) {
    auto rc = zmq_recv(sock, buf.data(), buf.size(), 0);
    if (rc < 0)
      break;
    if (rc == 0) // the sender's "hello" probe
      continue;
    if (count == 0)
      first = clock_type::now();
    ++count;
  }
  auto last = clock_type::now();
  auto rate = count > 1 ? double(count - 1) / seconds(last - first) : 0;
  std::cout << "rate " << rate << " received " << count << " in_order "
            << order_unchecked << std::endl;
  zmq_close(sock);
  zmq_ctx_term(ctx);
  return 0;
}
#endif

// -- figures (parent process)
// -------------------------------------------------------

/// Peers `ep` with a sink and waits until the sink's subscription is known.
void connect_to_sink(broker::endpoint& ep, uint16_t port) {
  if (!ep.peer("127.0.0.1", port, 0s)) {
    std::cerr << "broker-bench: cannot peer with the sink\n";
    std::exit(1);
  }
  auto deadline = clock_type::now() + 10s;
  for (;;) {
    auto subs = ep.peer_subscriptions();
    if (std::find(subs.begin(), subs.end(), broker::topic{"/bench/events"}) !=
        subs.end())
      return;
    if (clock_type::now() > deadline) {
      std::cerr << "broker-bench: the sink's subscription never arrived\n";
      std::exit(1);
    }
    std::this_thread::sleep_for(1ms);
  }
}

/// Parses `rate R received N in_order B` (B: an `order_check`).
struct sink_result {
  double rate = 0;
  size_t received = 0;
  bool in_order = false;
  bool order_checked = true;

  /// No loss and, if checked, no reordering.
  [[nodiscard]] bool ok(size_t expected) const {
    return received == expected && (in_order || !order_checked);
  }
};

sink_result parse_result(const std::optional<std::string>& line) {
  sink_result result;
  if (line) {
    int in_order = order_broken;
    std::sscanf(line->c_str(), "rate %lf received %zu in_order %d",
                &result.rate, &result.received, &in_order);
    result.in_order = in_order == order_kept;
    result.order_checked = in_order != order_unchecked;
  }
  return result;
}

std::map<std::string, double> figures;

void report(const std::string& name, const sink_result& res, size_t expected) {
  auto ok = res.ok(expected);
  const char* verdict = !ok                 ? ", LOSS OR REORDERING"
                        : res.order_checked ? ", zero loss, in order"
                                            : ", zero loss, order not checked";
  std::cout << name << ": " << with_commas(res.rate) << " msgs/s ("
            << res.received << "/" << expected << " received" << verdict << ")"
            << std::endl;
  figures[name] = ok ? res.rate : 0;
}

void throughput(const options& opts) {
  child_process sink{self_path(), args_for(opts, "sink")};
  auto port = child_port(sink);
  broker::endpoint ep{bench_config()};
  connect_to_sink(ep, port);
  auto pub = ep.make_publisher("/bench/events", 4096);
  std::string payload(opts.payload, 'x');
  for (size_t i = 0; i < opts.messages; ++i)
    pub.publish(make_event(i, payload));
  report("throughput", parse_result(child_result(sink, 120s)), opts.messages);
}

void fanout(const options& opts) {
  std::vector<std::unique_ptr<child_process>> sinks;
  broker::endpoint ep{bench_config()};
  for (size_t i = 0; i < opts.subscribers; ++i) {
    sinks.emplace_back(
        std::make_unique<child_process>(self_path(), args_for(opts, "sink")));
    connect_to_sink(ep, child_port(*sinks.back()));
  }
  auto pub = ep.make_publisher("/bench/events", 4096);
  std::string payload(opts.payload, 'x');
  std::vector<broker::data> batch;
  for (size_t i = 0; i < opts.messages; ++i) {
    batch.emplace_back(make_event(i, payload));
    if (batch.size() == 256) {
      pub.publish(std::move(batch));
      batch.clear();
      batch.reserve(256);
    }
  }
  if (!batch.empty())
    pub.publish(std::move(batch));
  double worst = 0;
  bool all_ok = true;
  for (size_t i = 0; i < sinks.size(); ++i) {
    auto res = parse_result(child_result(*sinks[i], 300s));
    auto name = "fanout subscriber " + std::to_string(i + 1);
    report(name, res, opts.messages);
    all_ok = all_ok && res.ok(opts.messages);
    worst = i == 0 ? res.rate : std::min(worst, res.rate);
  }
  std::cout << "fanout: " << with_commas(worst) << " msgs/s per subscriber ("
            << sinks.size() << " subscribers, slowest)" << std::endl;
  figures["fanout"] = all_ok ? worst : 0;
}

/// The JSON text of event `n` (spec: upstream-broker.md §5.3) is
/// `prefix + n + suffix`: made once by the library's encoder, then spliced.
struct json_event_template {
  std::string prefix;
  std::string suffix;

  explicit json_event_template(const std::string& payload) {
    // A number that appears nowhere else in the text.
    constexpr uint64_t marker = 987654321987654321;
    std::string text;
    broker::format::json::v1::encode(broker::topic{"/bench/events"},
                                     make_event(marker, payload), text);
    auto digits = std::to_string(marker);
    auto pos = text.find(digits);
    prefix = text.substr(0, pos);
    suffix = text.substr(pos + digits.size());
  }

  void make(uint64_t n, std::string& out) const {
    out += prefix;
    out += std::to_string(n);
    out += suffix;
  }

  /// Reads the number back, or nullopt if `text` is no such event.
  std::optional<uint64_t> number(std::string_view text) const {
    if (text.size() <= prefix.size() + suffix.size() ||
        text.compare(0, prefix.size(), prefix) != 0)
      return std::nullopt;
    auto digits =
        text.substr(prefix.size(), text.size() - prefix.size() - suffix.size());
    uint64_t n = 0;
    for (auto c : digits) {
      if (c < '0' || c > '9')
        return std::nullopt;
      n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    return n;
  }
};

/// A WebSocket client publishes events into an endpoint (another process),
/// whose local subscriber counts them.
void ws_in(const options& opts) {
  auto args = args_for(opts, "sink");
  args.push_back("--ws");
  child_process sink{self_path(), args};
  auto port = child_port(sink);
  json_event_template tpl{std::string(opts.payload, 'x')};
  broker::bench::ws_client client{port, "[]"};
  client.send(opts.messages,
              [&](size_t i, std::string& out) { tpl.make(i, out); });
  report("ws-in (WebSocket client -> native subscriber)",
         parse_result(child_result(sink, 300s)), opts.messages);
}

/// A native publisher in another process sends events to a WebSocket
/// client, which counts them and checks their order.
void ws_out(const options& opts) {
  child_process source{self_path(), args_for(opts, "ws-source")};
  auto port = child_port(source);
  json_event_template tpl{std::string(opts.payload, 'x')};
  broker::bench::ws_client client{port, R"(["/bench/events"])"};
  sink_result res;
  res.in_order = true;
  clock_type::time_point first;
  client.receive(
      [&](std::string_view text) {
        if (res.received == 0)
          first = clock_type::now();
        if (tpl.number(text) != res.received)
          res.in_order = false;
        return ++res.received < opts.messages;
      },
      60s);
  auto elapsed = seconds(clock_type::now() - first);
  res.rate = res.received > 1 ? double(res.received - 1) / elapsed : 0;
  client.close();
  source.close_stdin();
  report("ws-out (native publisher -> WebSocket client)", res, opts.messages);
}

struct latency_stats {
  double median_us = 0;
  double p99_us = 0;
};

latency_stats summarize(std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  latency_stats result;
  if (!us.empty()) {
    result.median_us = us[us.size() / 2];
    result.p99_us = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  }
  return result;
}

void latency(const options& opts) {
  child_process echo{self_path(), args_for(opts, "echo")};
  auto port = child_port(echo);
  broker::endpoint ep{bench_config()};
  auto sub = ep.make_subscriber({"/bench/pong"}, 1024);
  if (!ep.peer("127.0.0.1", port, 0s)) {
    std::cerr << "broker-bench: cannot peer with the echo\n";
    std::exit(1);
  }
  // Wait for both subscriptions: ours at the echo, the echo's here.
  auto deadline = clock_type::now() + 10s;
  while (clock_type::now() < deadline) {
    auto subs = ep.peer_subscriptions();
    if (std::find(subs.begin(), subs.end(), broker::topic{"/bench/ping"}) !=
        subs.end())
      break;
    std::this_thread::sleep_for(1ms);
  }
  std::string payload(opts.payload, 'x');
  // Warm up until the echo's route back exists.
  for (uint64_t i = 0;; ++i) {
    ep.publish("/bench/ping", make_event(i, payload));
    if (sub.get(100ms))
      break;
    if (clock_type::now() > deadline) {
      std::cerr << "broker-bench: no pong\n";
      std::exit(1);
    }
  }
  for (auto& x : sub.poll())
    static_cast<void>(x);
  std::vector<double> us;
  us.reserve(opts.pings);
  for (size_t i = 0; i < opts.pings; ++i) {
    auto t0 = clock_type::now();
    ep.publish("/bench/ping", make_event(i, payload));
    auto msg = sub.get(5s);
    auto t1 = clock_type::now();
    if (!msg) {
      std::cerr << "broker-bench: lost a pong\n";
      std::exit(1);
    }
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  auto stats = summarize(us);
  std::cout << "latency: median " << stats.median_us << " us, p99 "
            << stats.p99_us << " us (" << opts.pings << " round trips)"
            << std::endl;
  figures["latency"] = stats.median_us;
}

void raw(const options& opts) {
  auto frame = event_frame(std::string(opts.payload, 'x'));
  // Buffered writes: many frames per system call.
  {
    child_process sink{self_path(), args_for(opts, "raw-sink")};
    auto fd = connect_raw(child_port(sink));
    std::vector<uint8_t> buf;
    for (size_t i = 0; i < 64 * 1024 / frame.size(); ++i)
      buf.insert(buf.end(), frame.begin(), frame.end());
    auto per_buf = buf.size() / frame.size();
    size_t sent = 0;
    while (sent < opts.messages) {
      auto n = std::min(per_buf, opts.messages - sent);
      write_all(fd, buf.data(), n * frame.size());
      sent += n;
    }
    report("raw-tcp buffered", parse_result(child_result(sink, 120s)),
           opts.messages);
    ::close(fd);
  }
  // One write per message.
  {
    child_process sink{self_path(), args_for(opts, "raw-sink")};
    auto fd = connect_raw(child_port(sink));
    for (size_t i = 0; i < opts.messages; ++i)
      write_all(fd, frame.data(), frame.size());
    report("raw-tcp write-per-message", parse_result(child_result(sink, 300s)),
           opts.messages);
    ::close(fd);
  }
  // Ping-pong with the same frame.
  {
    child_process echo{self_path(), args_for(opts, "raw-echo")};
    auto fd = connect_raw(child_port(echo));
    std::vector<uint8_t> back(frame.size());
    std::vector<double> us;
    us.reserve(opts.pings);
    for (size_t i = 0; i < opts.pings + 100; ++i) {
      auto t0 = clock_type::now();
      write_all(fd, frame.data(), frame.size());
      read_all(fd, back.data(), back.size());
      auto t1 = clock_type::now();
      if (i >= 100) // warm-up
        us.push_back(
            std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    auto stats = summarize(us);
    std::cout << "raw-tcp latency: median " << stats.median_us << " us, p99 "
              << stats.p99_us << " us" << std::endl;
    figures["raw-tcp latency"] = stats.median_us;
    ::close(fd);
  }
}

#ifdef BROKER_BENCH_WITH_ZMQ
void zmq(const options& opts) {
  child_process sink{self_path(), args_for(opts, "zmq-sink")};
  auto port = child_port(sink);
  auto ctx = zmq_ctx_new();
  auto sock = zmq_socket(ctx, ZMQ_PUB);
  int unlimited = 0;
  zmq_setsockopt(sock, ZMQ_SNDHWM, &unlimited, sizeof(unlimited));
  auto addr = "tcp://127.0.0.1:" + std::to_string(port);
  zmq_connect(sock, addr.c_str());
  // PUB/SUB drops until the subscription arrived ("slow joiner"): send empty
  // probes for a moment first (the sink skips them).
  for (int i = 0; i < 200; ++i) {
    zmq_send(sock, "", 0, 0);
    std::this_thread::sleep_for(1ms);
  }
  auto frame = event_frame(std::string(opts.payload, 'x'));
  for (size_t i = 0; i < opts.messages; ++i)
    zmq_send(sock, frame.data(), frame.size(), 0);
  report("zeromq pub/sub", parse_result(child_result(sink, 120s)),
         opts.messages);
  zmq_close(sock);
  zmq_ctx_term(ctx);
}
#endif

/// Reads `key:` (e.g. "Threads", "VmRSS") from /proc/<pid>/status.
std::string proc_status(pid_t pid, const std::string& key) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) {
      auto value = line.substr(key.size() + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      return value;
    }
  return "?";
}

/// Returns user + system CPU seconds of a process (from /proc/<pid>/stat).
double cpu_seconds(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string content{std::istreambuf_iterator<char>{in}, {}};
  // Fields after the command name (in parentheses): utime is the 14th
  // field overall, stime the 15th.
  auto pos = content.rfind(')');
  std::istringstream rest{content.substr(pos + 2)};
  std::string field;
  unsigned long utime = 0;
  unsigned long stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14)
      utime = std::stoul(field);
    else if (i == 15)
      stime = std::stoul(field);
  }
  return double(utime + stime) / double(::sysconf(_SC_CLK_TCK));
}

/// Time from `peer()` to the `peer_added` event, and the footprint of an
/// idle endpoint with one peering (threads, RSS, CPU while idle).
void peering(const options&) {
  // The listener is a minimal host (bench/idle_host.cc) next to this binary.
  auto self = self_path();
  child_process listener{self.substr(0, self.rfind('/')) + "/broker-idle-host",
                         {}};
  auto port = child_port(listener);
  broker::endpoint ep{bench_config()};
  auto events = ep.make_status_subscriber(true);
  auto wait_for = [&](broker::sc code) {
    for (;;) {
      auto x = events.get(10s);
      if (auto st = std::get_if<broker::status>(&x); st && st->code() == code)
        return true;
      if (std::holds_alternative<broker::none>(x))
        return false;
    }
  };
  std::vector<double> us;
  constexpr int rounds = 200;
  for (int i = 0; i < rounds; ++i) {
    auto t0 = clock_type::now();
    ep.peer_nosync("127.0.0.1", port, 0s);
    if (!wait_for(broker::sc::peer_added)) {
      std::cerr << "broker-bench: no peer_added\n";
      std::exit(1);
    }
    auto t1 = clock_type::now();
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    ep.unpeer("127.0.0.1", port);
    wait_for(broker::sc::endpoint_unreachable);
  }
  auto stats = summarize(us);
  std::cout << "peer -> peer_added: median " << stats.median_us << " us, p99 "
            << stats.p99_us << " us (" << rounds << " peerings)" << std::endl;
  // Footprint with one peering, after settling: of a fresh host (the
  // figure), of the host that served the peerings above, and of this
  // endpoint.
  child_process fresh{self.substr(0, self.rfind('/')) + "/broker-idle-host",
                      {}};
  auto fresh_port = child_port(fresh);
  ep.peer("127.0.0.1", fresh_port, 0s);
  ep.peer("127.0.0.1", port, 0s);
  std::this_thread::sleep_for(2s);
  auto cpu0 = cpu_seconds(fresh.pid());
  auto self0 = cpu_seconds(::getpid());
  std::this_thread::sleep_for(5s);
  auto idle_cpu = (cpu_seconds(fresh.pid()) - cpu0) / 5 * 100;
  auto self_cpu = (cpu_seconds(::getpid()) - self0) / 5 * 100;
  std::cout << "idle host with one peering: threads "
            << proc_status(fresh.pid(), "Threads") << ", RSS "
            << proc_status(fresh.pid(), "VmRSS") << ", CPU " << idle_cpu << " %"
            << std::endl;
  std::cout << "idle host with one peering, after " << rounds
            << " peerings: threads " << proc_status(listener.pid(), "Threads")
            << ", RSS " << proc_status(listener.pid(), "VmRSS") << std::endl;
  std::cout << "idle peer with two peerings: threads "
            << proc_status(::getpid(), "Threads") << ", RSS "
            << proc_status(::getpid(), "VmRSS") << ", CPU " << self_cpu
            << " % (includes this benchmark's own code)" << std::endl;
}

void ratio(const char* what, const char* ours, const char* bound) {
  if (figures.count(ours) == 0 || figures.count(bound) == 0 ||
      figures[bound] == 0)
    return;
  std::cout << what << ": " << figures[ours] / figures[bound] << std::endl;
}

} // namespace

int main(int argc, char** argv) {
  auto opts = parse(argc, argv);
  scheduler_threads = opts.threads;
  if (opts.role == "sink")
    return role_sink(opts);
  if (opts.role == "echo")
    return role_echo(opts);
  if (opts.role == "ws-source")
    return role_ws_source(opts);

  if (opts.role == "raw-sink")
    return role_raw_sink(opts);
  if (opts.role == "raw-echo")
    return role_raw_echo(opts);
#ifdef BROKER_BENCH_WITH_ZMQ
  if (opts.role == "zmq-sink")
    return role_zmq_sink(opts);
#endif
  if (!opts.role.empty()) {
    std::cerr << "broker-bench: unknown role " << opts.role << "\n";
    return 2;
  }
  if (opts.figures.empty())
    opts.figures = {"raw",    "zmq",   "throughput", "latency",
                    "fanout", "ws-in", "ws-out"};
  for (auto& fig : opts.figures) {
    std::cerr << "broker-bench: measuring " << fig << " ..." << std::endl;
    if (fig == "throughput")
      throughput(opts);
    else if (fig == "latency")
      latency(opts);
    else if (fig == "fanout")
      fanout(opts);
    else if (fig == "raw")
      raw(opts);
    else if (fig == "peering")
      peering(opts);
    else if (fig == "ws-in")
      ws_in(opts);
    else if (fig == "ws-out")
      ws_out(opts);
    else if (fig == "zmq") {
#ifdef BROKER_BENCH_WITH_ZMQ
      zmq(opts);
#else
      std::cout << "zeromq pub/sub: not built (install libzmq3-dev)"
                << std::endl;
#endif
    } else {
      std::cerr << "broker-bench: unknown figure " << fig << "\n";
      return 2;
    }
  }
  ratio("throughput / raw-tcp buffered", "throughput", "raw-tcp buffered");
  ratio("throughput / raw-tcp write-per-message", "throughput",
        "raw-tcp write-per-message");
  ratio("throughput / zeromq", "throughput", "zeromq pub/sub");
  ratio("latency / raw-tcp latency", "latency", "raw-tcp latency");
  return 0;
}
