// Hostile clients against a live endpoint (DESIGN.md §2, §5): slowloris
// handshakes, thousands of half-open connections, oversized frames and
// WebSocket messages, a flood of connects and disconnects, and peers that
// send valid messages faster than we can process, on the native and the
// WebSocket listener. Throughout, a well-behaved peer exchanges numbered
// events with the endpoint in both directions and must lose none; the
// process's memory must stay bounded. The figures are printed ("hostile:"
// lines) for the issue's note.

#include "broker/endpoint.hh"

#include "format/bin.hh"
#include "support/child_process.hh"
#include "support/endpoints.hh"
#include "support/events.hh"
#include "support/raw_peering.hh"
#include "support/raw_socket.hh"
#include "support/raw_websocket.hh"
#include "wire/envelope.hh"
#include "wire/handshake.hh"

#include <catch2/catch.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

using namespace broker;
using namespace broker::test;
using namespace std::chrono_literals;

namespace bin = broker::format::bin::v1;

namespace {

using clock_type = std::chrono::steady_clock;

/// `broker.handshake-timeout` of the endpoint under attack: short, so that
/// half-open connections are reaped within the test.
constexpr auto handshake_timeout = 2s;

/// `broker.max-frame-size` (and so the WebSocket message limit) of the
/// endpoint under attack.
constexpr size_t max_frame_size = 1024 * 1024;

#ifdef BROKER_SANITIZED
// Sanitizers slow everything down several times and keep freed memory in
// quarantine (ASan's default: 256 MiB, plus shadow memory; a run grew by
// about 350 MiB): fewer attackers, and a bound that only catches gross
// growth.
constexpr size_t max_half_open = 1000;
constexpr size_t flood_connections = 1000;
constexpr size_t rss_growth_limit_mib = 1024;
constexpr double max_healthy_pause_seconds = 3.0;
#else
constexpr size_t max_half_open = 2000;
constexpr size_t flood_connections = 2000;
constexpr size_t rss_growth_limit_mib = 64;
/// Longest pause of the healthy flows (each sends every 2 ms): attacks on
/// other connections, and a subscriber that cannot keep up with a flood
/// from another peer, must not hold them up.
constexpr double max_healthy_pause_seconds = 1.0;
#endif

/// How long each fast sender blasts.
constexpr auto blast_time = 3s;

/// How long the fast sender to a slow subscriber blasts: longer than the
/// heartbeat timeout of test_config(), so that a healthy peering starved of
/// reads would be lost.
constexpr auto slow_blast_time = 5s;

/// Pause between two healthy events in each direction (~500 per second).
constexpr auto healthy_pause = 2ms;

const std::string payload(50, 'x');

// The endpoint under attack has the smallest ID, so that raw peers (with
// bigger IDs) can run the initiator side of raw_peering.
const char* id_target = "11111111-1111-4111-8111-111111111111";
const char* id_big_frame = "eeeeeeee-eeee-4eee-beee-eeeeeeeeeeee";
const char* id_fast = "ffffffff-ffff-4fff-bfff-ffffffffffff";
const char* id_fast_slow = "dddddddd-dddd-4ddd-bddd-dddddddddddd";

/// When the test program started (the time stamps of report()).
const auto program_start = std::chrono::steady_clock::now();

/// Seconds since program_start.
double elapsed_seconds() {
  std::chrono::duration<double> dt =
      std::chrono::steady_clock::now() - program_start;
  return dt.count();
}

// -- process figures ---------------------------------------------------------

/// Returns a `kB` field of /proc/self/status ("VmRSS", "VmHWM") in KiB.
size_t status_kib(const std::string& field) {
  std::ifstream in{"/proc/self/status"};
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      std::istringstream values{line.substr(field.size() + 1)};
      size_t kib = 0;
      values >> kib;
      return kib;
    }
  }
  return 0;
}

/// Returns the resident set size after giving free heap memory back to the
/// system (what is left is memory in use, not allocator caches).
size_t rss_kib() {
  ::malloc_trim(0);
  return status_kib("VmRSS");
}

/// Raises the soft limit on open files to the hard limit; returns it.
size_t raise_fd_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0)
    return 1024;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    ::getrlimit(RLIMIT_NOFILE, &lim);
  }
  return static_cast<size_t>(lim.rlim_cur);
}

size_t open_fds() {
  size_t result = 0;
  if (auto dir = ::opendir("/proc/self/fd")) {
    while (auto entry = ::readdir(dir))
      if (entry->d_name[0] != '.')
        ++result;
    ::closedir(dir);
  }
  return result;
}

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// -- raw client sockets ------------------------------------------------------

/// Connects to 127.0.0.1:`port` within 2 s (SO_SNDTIMEO bounds connect);
/// returns a non-blocking socket, or -1.
int connect_client(uint16_t port) {
  auto fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  timeval timeout{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

/// Makes closing `fd` send a reset (RST) instead of a FIN.
void reset_on_close(int fd) {
  linger reset{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
}

/// Closes `fd` with a reset.
void close_with_reset(int fd) {
  reset_on_close(fd);
  ::close(fd);
}

/// Discards what arrived on a non-blocking socket; returns whether the
/// other side closed or reset it.
bool closed_by_peer(int fd) {
  char buf[4096];
  for (;;) {
    auto n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0)
      continue;
    if (n == 0)
      return true;
    if (errno == EINTR)
      continue;
    return errno != EAGAIN && errno != EWOULDBLOCK;
  }
}

/// Sends what fits right now; returns false once the other side is gone.
bool send_some(int fd, const uint8_t* bytes, size_t size, size_t& sent) {
  auto n = ::send(fd, bytes, size, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n >= 0) {
    sent = static_cast<size_t>(n);
    return true;
  }
  sent = 0;
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/// Client sockets of one attack, reset when it ends.
struct client_set {
  std::vector<int> fds;
  std::vector<bool> closed;

  client_set() = default;

  client_set(const client_set&) = delete;

  client_set& operator=(const client_set&) = delete;

  ~client_set() {
    for (auto fd : fds)
      close_with_reset(fd);
  }

  void add(int fd) {
    fds.push_back(fd);
    closed.push_back(false);
  }

  /// Updates `closed`; returns how many are still open.
  size_t count_open() {
    size_t result = 0;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (!closed[i] && closed_by_peer(fds[i]))
        closed[i] = true;
      if (!closed[i])
        ++result;
    }
    return result;
  }
};

// -- the healthy peer --------------------------------------------------------

/// Numbered events published by `src` at a steady pace on one thread and
/// checked on another as they arrive at `sub`: loss, order, and the longest
/// pause between two deliveries.
class numbered_flow {
public:
  numbered_flow(endpoint& src, subscriber sub, topic t) : sub_(std::move(sub)) {
    sender_ = std::thread{[this, &src, t = std::move(t)] {
      while (!stop_) {
        src.publish(t, numbered_event(sent_, payload));
        ++sent_;
        std::this_thread::sleep_for(healthy_pause);
      }
    }};
    receiver_ = std::thread{[this] { receive(); }};
  }

  numbered_flow(const numbered_flow&) = delete;

  numbered_flow& operator=(const numbered_flow&) = delete;

  ~numbered_flow() { finish(); }

  /// Stops sending, then waits (bounded) until everything sent arrived.
  void finish() {
    if (!sender_.joinable())
      return;
    stop_ = true;
    sender_.join();
    done_sending_ = true;
    receiver_.join();
  }

  [[nodiscard]] size_t sent() const { return sent_; }

  [[nodiscard]] size_t received() const { return received_; }

  [[nodiscard]] size_t out_of_order() const { return out_of_order_; }

  [[nodiscard]] double max_gap_seconds() const {
    return max_gap_us_ / 1'000'000.0;
  }

  /// When the longest pause ended, in seconds of elapsed_seconds().
  [[nodiscard]] double max_gap_end() const { return max_gap_end_; }

private:
  void receive() {
    auto last = clock_type::now();
    std::optional<clock_type::time_point> drain_deadline;
    auto on_message = [&](const data_message& msg) {
      if (event_number(get_data(msg)) != received_)
        ++out_of_order_;
      ++received_;
      auto now = clock_type::now();
      auto gap =
          std::chrono::duration_cast<std::chrono::microseconds>(now - last);
      if (gap.count() > max_gap_us_) {
        max_gap_us_ = gap.count();
        max_gap_end_ = elapsed_seconds();
      }
      last = now;
    };
    for (;;) {
      if (done_sending_) {
        if (received_ >= sent_)
          return;
        if (!drain_deadline)
          drain_deadline = clock_type::now() + wait_bound;
        else if (clock_type::now() >= *drain_deadline)
          return;
      }
      if (auto msg = sub_.get(100ms)) {
        on_message(*msg);
        for (auto& x : sub_.poll())
          on_message(x);
      }
    }
  }

  subscriber sub_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_sending_{false};
  std::atomic<size_t> sent_{0};
  std::atomic<size_t> received_{0};
  std::atomic<size_t> out_of_order_{0};
  std::atomic<int64_t> max_gap_us_{0};
  std::atomic<double> max_gap_end_{0};
  std::thread sender_;
  std::thread receiver_;
};

/// Drains a subscriber on its own thread, counting messages; with a
/// `pause`, it sleeps that long per message (an application that cannot
/// keep up).
class message_counter {
public:
  explicit message_counter(subscriber sub, std::chrono::microseconds pause = {})
      : sub_(std::move(sub)) {
    thread_ = std::thread{[this, pause] {
      while (!stop_) {
        if (pause.count() > 0) {
          if (sub_.get(50ms)) {
            ++count_;
            std::this_thread::sleep_for(pause);
          }
        } else if (sub_.get(50ms)) {
          ++count_;
          count_ += sub_.poll().size();
        }
      }
    }};
  }

  ~message_counter() {
    stop_ = true;
    thread_.join();
  }

  [[nodiscard]] size_t count() const { return count_; }

private:
  subscriber sub_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> count_{0};
  std::thread thread_;
};

/// Reads an endpoint's status and error events on its own thread (as an
/// application would) and counts them by code.
class event_counter {
public:
  explicit event_counter(endpoint& ep) : sub_(ep.make_status_subscriber(true)) {
    thread_ = std::thread{[this] {
      while (!stop_) {
        auto x = sub_.get(50ms);
        if (std::holds_alternative<none>(x))
          continue;
        std::lock_guard<std::mutex> guard{mtx_};
        ++counts_[code_of(x)];
      }
    }};
  }

  ~event_counter() {
    stop_ = true;
    thread_.join();
  }

  [[nodiscard]] std::string summary() const {
    std::lock_guard<std::mutex> guard{mtx_};
    std::string result;
    for (auto& [code, num] : counts_)
      result += (result.empty() ? "" : ", ") + code + " " + std::to_string(num);
    return result.empty() ? "none" : result;
  }

private:
  status_subscriber sub_;
  mutable std::mutex mtx_;
  std::map<std::string, size_t> counts_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

void report(const std::string& line) {
  std::cout << "hostile [" << std::fixed << std::setprecision(2)
            << elapsed_seconds() << " s]: " << line << std::endl;
}

// -- the attacks -------------------------------------------------------------

struct ports {
  uint16_t native = 0;
  uint16_t ws = 0;
};

/// Slowloris: several connections per listener send a valid handshake
/// opening (a hello frame, an HTTP upgrade request) one byte per second.
/// Each must be closed by the handshake deadline.
void slowloris(const ports& p) {
  constexpr size_t per_listener = 4;
  auto hello = frame_of(wire::make_hello_msg(id_of(id_fast)));
  auto request = ws_upgrade_request();
  client_set native;
  client_set ws;
  for (size_t i = 0; i < per_listener; ++i) {
    native.add(connect_client(p.native));
    ws.add(connect_client(p.ws));
  }
  REQUIRE(std::count(native.fds.begin(), native.fds.end(), -1) == 0);
  REQUIRE(std::count(ws.fds.begin(), ws.fds.end(), -1) == 0);
  auto start = clock_type::now();
  auto deadline = start + handshake_timeout + wait_bound;
  size_t sent = 0;
  double max_close = 0;
  size_t open = 2 * per_listener;
  while (open > 0 && clock_type::now() < deadline) {
    for (size_t i = 0; i < per_listener; ++i) {
      size_t ignored = 0;
      if (!native.closed[i] && sent < hello.size())
        send_some(native.fds[i], &hello[sent], 1, ignored);
      if (!ws.closed[i] && sent < request.size())
        send_some(ws.fds[i], reinterpret_cast<uint8_t*>(&request[sent]), 1,
                  ignored);
    }
    ++sent;
    // One byte per second; look for closes every 100 ms meanwhile.
    for (int tick = 0; tick < 10 && open > 0; ++tick) {
      std::this_thread::sleep_for(100ms);
      auto now_open = native.count_open() + ws.count_open();
      if (now_open < open)
        max_close = seconds_since(start);
      open = now_open;
    }
  }
  report("slowloris: " + std::to_string(2 * per_listener) +
         " connections sending 1 byte/s, " + std::to_string(open) +
         " still open, last closed after " + std::to_string(max_close) +
         " s (handshake timeout " +
         std::to_string(std::chrono::seconds{handshake_timeout}.count()) +
         " s)");
  CHECK(open == 0);
}

/// Thousands of half-open connections: connect, then send nothing or half
/// a handshake frame / HTTP request. All must be reaped by the deadline.
void half_open(const ports& p, size_t fd_limit) {
  // Each connection takes one descriptor here and, while the endpoint
  // holds it, one in the endpoint (the same process).
  auto spare = fd_limit > open_fds() + 512 ? fd_limit - open_fds() - 512 : 0;
  auto total = std::min(max_half_open, spare / 2);
  REQUIRE(total >= 100);
  auto hello = frame_of(wire::make_hello_msg(id_of(id_fast)));
  auto request = ws_upgrade_request();
  client_set native;
  client_set ws;
  size_t failed = 0;
  auto start = clock_type::now();
  for (size_t i = 0; i < total; ++i) {
    bool use_ws = i % 2 == 1;
    auto fd = connect_client(use_ws ? p.ws : p.native);
    if (fd < 0) {
      ++failed;
      continue;
    }
    size_t ignored = 0;
    if (i % 4 >= 2) {
      if (use_ws)
        send_some(fd, reinterpret_cast<uint8_t*>(request.data()),
                  request.size() / 2, ignored);
      else
        send_some(fd, hello.data(), hello.size() / 2, ignored);
    }
    (use_ws ? ws : native).add(fd);
  }
  auto connect_time = seconds_since(start);
  std::this_thread::sleep_for(500ms);
  auto held_native = native.count_open();
  auto held_ws = ws.count_open();
  auto reaped =
      wait_until([&] { return native.count_open() + ws.count_open() == 0; },
                 handshake_timeout + wait_bound);
  report("half-open: " + std::to_string(total) + " connections (fd limit " +
         std::to_string(fd_limit) + ") made in " +
         std::to_string(connect_time) + " s, " + std::to_string(failed) +
         " failed to connect; held after 0.5 s: native " +
         std::to_string(held_native) + " of " +
         std::to_string(native.fds.size()) + ", WebSocket " +
         std::to_string(held_ws) + " of " + std::to_string(ws.fds.size()) +
         "; all reaped after " + std::to_string(seconds_since(start)) +
         " s: " + (reaped ? "yes" : "no"));
  CHECK(failed == 0);
  CHECK(reaped);
}

/// Oversized frames: a native length prefix above the limit before and
/// after the handshake, a WebSocket frame header claiming 1 TiB, a
/// fragmented WebSocket message one byte above the limit, an HTTP request
/// header above its limit. Each connection must be closed without the
/// endpoint buffering the claimed size.
void oversized(const ports& p) {
  auto big_prefix = [](uint32_t len) {
    return std::vector<uint8_t>{
        static_cast<uint8_t>(len >> 24), static_cast<uint8_t>(len >> 16),
        static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)};
  };
  {
    INFO("native, before the handshake: a 4 GiB length prefix");
    auto sock = raw_socket::connect(p.native);
    auto bytes = big_prefix(UINT32_MAX);
    bytes.resize(bytes.size() + 64 * 1024, 0x06);
    CHECK(sock.send(bytes));
    CHECK(sock.wait_closed(wait_bound));
  }
  {
    INFO("native, peered: a frame one byte above broker.max-frame-size");
    auto sock = raw_peering(p.native, id_of(id_big_frame), {});
    auto bytes = big_prefix(static_cast<uint32_t>(max_frame_size + 1));
    std::vector<uint8_t> junk(max_frame_size + 1, 0x01);
    bytes.insert(bytes.end(), junk.begin(), junk.end());
    sock.send(bytes); // may fail half-way: the endpoint closes early
    CHECK(sock.wait_closed(wait_bound));
  }
  {
    INFO("WebSocket: a frame header claiming 1 TiB");
    auto client = raw_ws_client::connect(p.ws);
    auto bytes = ws_frame_header(ws_text, uint64_t{1} << 40);
    bytes.resize(bytes.size() + 4096, 'x');
    CHECK(client.send(bytes));
    auto close = client.read_close();
    REQUIRE(close);
    CHECK(close->close_code() == 1009);
  }
  {
    INFO("WebSocket: a fragmented message one byte above the limit");
    auto client = raw_ws_client::connect(p.ws);
    REQUIRE(client.send_text("[]"));
    auto ack = client.read_frame();
    REQUIRE(ack);
    CHECK(ack->payload.find("\"ack\"") != std::string::npos);
    constexpr size_t fragment = 64 * 1024;
    std::string chunk(fragment, 'x');
    bool ok = true;
    size_t total = 0;
    for (size_t i = 0; ok && total <= max_frame_size; ++i) {
      ok = client.send(
          ws_frame(i == 0 ? ws_text : ws_continuation, chunk, false));
      total += fragment;
    }
    auto close = client.read_close();
    REQUIRE(close);
    CHECK(close->close_code() == 1009);
  }
  {
    INFO("WebSocket: an HTTP request header of 64 KiB");
    auto sock = raw_socket::connect(p.ws);
    std::string req = "GET /v1/messages/json HTTP/1.1\r\nX-Pad: " +
                      std::string(64 * 1024, 'a') + "\r\n\r\n";
    sock.send({req.begin(), req.end()});
    CHECK(sock.wait_closed(wait_bound));
  }
  report("oversized: 4 GiB native prefix, 1 MiB + 1 native frame, 1 TiB "
         "WebSocket header, 1 MiB + 1 fragmented WebSocket message, 64 KiB "
         "HTTP header: all closed");
}

/// A flood of connects and disconnects, alternating listeners and FIN/RST.
/// Afterwards a new peer and a new WebSocket client are served.
void connect_flood(const ports& p, endpoint& target) {
  size_t failed = 0;
  auto start = clock_type::now();
  for (size_t i = 0; i < flood_connections; ++i) {
    auto fd = connect_client(i % 2 == 0 ? p.native : p.ws);
    if (fd < 0) {
      ++failed;
      continue;
    }
    if (i % 4 < 2)
      ::close(fd);
    else
      close_with_reset(fd);
  }
  auto elapsed = seconds_since(start);
  // A fresh peer gets in (retrying while the endpoint still counts the
  // flood's connections as pending handshakes).
  endpoint fresh{test_config()};
  static_cast<void>(fresh.peer("127.0.0.1", p.native, timeout::seconds{1}));
  auto peered = fresh.await_peer(target.node_id(), wait_bound);
  auto client = raw_ws_client::connect(p.ws);
  REQUIRE(client.send_text("[]"));
  auto ack = client.read_frame();
  report("connect flood: " + std::to_string(flood_connections) +
         " connects/disconnects in " + std::to_string(elapsed) + " s, " +
         std::to_string(failed) + " failed; then a new peer " +
         (peered ? "peered" : "did NOT peer") + ", a new WebSocket client " +
         (ack ? "was acknowledged" : "got NO ack"));
  CHECK(failed == 0);
  CHECK(peered);
  REQUIRE(ack);
  CHECK(ack->payload.find("\"ack\"") != std::string::npos);
}

/// Sends `bytes` over and over for `duration` as fast as the socket takes
/// them; returns how many whole copies went out.
size_t blast(int fd, const std::vector<uint8_t>& bytes, timespan duration) {
  auto deadline = clock_type::now() + duration;
  size_t copies = 0;
  size_t pos = 0;
  while (clock_type::now() < deadline) {
    size_t sent = 0;
    if (!send_some(fd, bytes.data() + pos, bytes.size() - pos, sent))
      break;
    pos += sent;
    if (pos == bytes.size()) {
      ++copies;
      pos = 0;
    }
    if (sent == 0) {
      pollfd pfd{fd, POLLOUT, 0};
      ::poll(&pfd, 1, 10);
    }
  }
  return copies;
}

/// Peers that send valid messages as fast as they can, one after the
/// other, each for `blast_time`: a raw native peer (data envelopes) to a
/// subscriber that keeps up (`flood_sink`, /flood/fast) and to one that
/// takes 1 ms per message (`slow_sink`, /flood/slow), and a raw WebSocket
/// client (JSON data messages) to `flood_sink`.
void fast_senders(const ports& p, const message_counter& flood_sink,
                  const message_counter& slow_sink) {
  constexpr size_t batch = 1000;
  auto native_blast = [&](const endpoint_id& id, const std::string& topic,
                          const message_counter& sink, timespan duration) {
    auto sock = raw_peering(p.native, id, {});
    bin::byte_buffer bytes;
    for (size_t i = 0; i < batch; ++i)
      wire::write_data_envelope(id, endpoint_id{}, 16, topic,
                                numbered_event(i, payload), bytes);
    auto before = sink.count();
    auto copies = blast(sock.fd(), bytes, duration);
    std::this_thread::sleep_for(500ms);
    report("fast native peer on " + topic + ": sent over " +
           std::to_string(copies * batch) + " data messages (" +
           std::to_string(copies * bytes.size() >> 20) + " MiB) in " +
           std::to_string(
               std::chrono::duration_cast<std::chrono::seconds>(duration)
                   .count()) +
           " s; the endpoint's subscriber got " +
           std::to_string(sink.count() - before) + " so far");
    reset_on_close(sock.fd());
  };
  native_blast(id_of(id_fast), "/flood/fast", flood_sink, blast_time);
  native_blast(id_of(id_fast_slow), "/flood/slow", slow_sink, slow_blast_time);
  {
    auto client = raw_ws_client::connect(p.ws);
    REQUIRE(client.send_text("[]"));
    REQUIRE(client.read_frame());
    std::vector<uint8_t> bytes;
    for (size_t i = 0; i < batch; ++i) {
      auto frame =
          ws_frame(ws_text, R"({"type":"data-message","topic":"/flood/fast",)"
                            R"("@data-type":"count","data":)" +
                                std::to_string(i) + "}");
      bytes.insert(bytes.end(), frame.begin(), frame.end());
    }
    auto before = flood_sink.count();
    auto copies = blast(client.socket().fd(), bytes, blast_time);
    std::this_thread::sleep_for(500ms);
    report("fast WebSocket client: sent over " +
           std::to_string(copies * batch) + " JSON messages in " +
           std::to_string(std::chrono::seconds{blast_time}.count()) +
           " s; the endpoint's subscriber got " +
           std::to_string(flood_sink.count() - before) + " so far");
    reset_on_close(client.socket().fd());
  }
}

} // namespace

TEST_CASE("hostile clients neither hurt an endpoint nor its healthy peer",
          "[hostile]") {
  auto fd_limit = raise_fd_limit();
  auto cfg = test_config();
  cfg.set("broker.handshake-timeout", timespan{handshake_timeout});
  cfg.set("broker.max-frame-size", uint64_t{max_frame_size});
  endpoint target{std::move(cfg), id_of(id_target)};
  ports p;
  p.native = target.listen("127.0.0.1", 0);
  p.ws = target.listen("127.0.0.1", 0, protocol::websocket);
  REQUIRE(p.native != 0);
  REQUIRE(p.ws != 0);
  event_counter target_events{target};
  message_counter flood_sink{target.make_subscriber({"/flood/fast"}, 256)};
  message_counter slow_sink{target.make_subscriber({"/flood/slow"}, 256), 1ms};
  // The healthy peer, exchanging numbered events both ways.
  endpoint healthy{test_config()};
  event_log healthy_log{healthy};
  auto to_target = target.make_subscriber({"/healthy/to-target"}, 256);
  auto to_healthy = healthy.make_subscriber({"/healthy/to-healthy"}, 256);
  REQUIRE(healthy.peer("127.0.0.1", p.native, 0s));
  REQUIRE(target.await_peer(healthy.node_id(), wait_bound));
  REQUIRE(peer_wants(healthy, "/healthy/to-target"));
  REQUIRE(peer_wants(target, "/healthy/to-healthy"));
  REQUIRE(healthy_log.codes(2) ==
          std::vector<std::string>{"endpoint_discovered", "peer_added"});
  auto start = clock_type::now();
  numbered_flow up{healthy, std::move(to_target), "/healthy/to-target"};
  numbered_flow down{target, std::move(to_healthy), "/healthy/to-healthy"};
  std::this_thread::sleep_for(1s); // warm-up: buffers, threads, pools
  auto rss_before = rss_kib();
  report("RSS before the attacks: " + std::to_string(rss_before / 1024) +
         " MiB");
  auto rss_now = [] {
    return "RSS now " + std::to_string(rss_kib() / 1024) + " MiB, peak " +
           std::to_string(status_kib("VmHWM") / 1024) + " MiB";
  };
  slowloris(p);
  report("after slowloris: " + rss_now());
  half_open(p, fd_limit);
  report("after half-open: " + rss_now());
  oversized(p);
  report("after oversized: " + rss_now());
  connect_flood(p, target);
  report("after connect flood: " + rss_now());
  fast_senders(p, flood_sink, slow_sink);
  report("after fast senders: " + rss_now());
  // The attackers are gone; let the endpoint reap and settle.
  CHECK(wait_until([&] { return num_peered(target) == 1; }));
  std::this_thread::sleep_for(2s);
  auto rss_after = rss_kib();
  up.finish();
  down.finish();
  auto growth_mib = rss_after > rss_before
                        ? static_cast<double>(rss_after - rss_before) / 1024
                        : 0.0;
  report("RSS after: " + std::to_string(rss_after / 1024) + " MiB (growth " +
         std::to_string(growth_mib) + " MiB, limit " +
         std::to_string(rss_growth_limit_mib) + "), peak " +
         std::to_string(status_kib("VmHWM") / 1024) + " MiB");
  report("healthy peer -> endpoint: sent " + std::to_string(up.sent()) +
         ", lost " + std::to_string(up.sent() - up.received()) +
         ", out of order " + std::to_string(up.out_of_order()) +
         ", longest pause " + std::to_string(up.max_gap_seconds()) +
         " s, ended at " + std::to_string(up.max_gap_end()) + " s");
  report("endpoint -> healthy peer: sent " + std::to_string(down.sent()) +
         ", lost " + std::to_string(down.sent() - down.received()) +
         ", out of order " + std::to_string(down.out_of_order()) +
         ", longest pause " + std::to_string(down.max_gap_seconds()) +
         " s, ended at " + std::to_string(down.max_gap_end()) + " s");
  report("endpoint events: " + target_events.summary());
  report("total time " + std::to_string(seconds_since(start)) + " s");
  CHECK(up.received() == up.sent());
  CHECK(up.out_of_order() == 0);
  CHECK(down.received() == down.sent());
  CHECK(down.out_of_order() == 0);
  CHECK(growth_mib < rss_growth_limit_mib);
  CHECK(up.max_gap_seconds() < max_healthy_pause_seconds);
  CHECK(down.max_gap_seconds() < max_healthy_pause_seconds);
  // The healthy peering never broke.
  auto healthy_events = healthy_log.drain(200ms);
  std::string healthy_codes;
  for (auto& code : healthy_events)
    healthy_codes += code + " ";
  INFO("events of the healthy peer: " << healthy_codes);
  for (auto& code : healthy_events) {
    CHECK(code != "peer_lost");
    CHECK(code != "peer_removed");
  }
  CHECK(num_peered(healthy) == 1);
}

TEST_CASE("an endpoint out of file descriptors recovers once they are free",
          "[hostile][process]") {
#ifdef BROKER_SANITIZED
  // UBSan's vptr check probes memory through a pipe: in a process out of
  // descriptors it fails and reports "object has invalid vptr" for sound
  // objects (seen in peering_actor.cc's stream_closed_msg).
  WARN("skipped in sanitizer builds (false vptr reports without free "
       "descriptors)");
  SUCCEED();
  return;
#endif
  constexpr auto prlimit = "/usr/bin/prlimit"; // Debian: util-linux
  if (::access(prlimit, X_OK) != 0) {
    WARN("no " << prlimit << "; skipped");
    SUCCEED();
    return;
  }
  // A child endpoint with room for 64 descriptors (it needs about 10),
  // then more half-open connections than that.
  constexpr size_t fd_limit = 64;
  constexpr size_t attackers = 100;
  child_process child{
      prlimit,
      {"--nofile=" + std::to_string(fd_limit) + ":" + std::to_string(fd_limit),
       BROKER_CHILD_ENDPOINT, "--listen"}};
  auto line = child.read_line(wait_bound);
  REQUIRE(line);
  REQUIRE(line->rfind("port ", 0) == 0);
  auto port = static_cast<uint16_t>(std::stoul(line->substr(5)));
  auto cpu_seconds = [&] {
    std::ifstream in{"/proc/" + std::to_string(child.pid()) + "/stat"};
    std::string text{std::istreambuf_iterator<char>{in}, {}};
    std::istringstream fields{text.substr(text.rfind(')') + 2)};
    std::string field;
    double ticks = 0;
    // utime and stime are fields 14 and 15; the text after ")" starts at 3.
    for (int i = 3; i <= 15 && fields >> field; ++i)
      if (i >= 14)
        ticks += std::stod(field);
    return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
  };
  {
    client_set clients;
    for (size_t i = 0; i < attackers; ++i) {
      auto fd = connect_client(port); // the kernel's backlog accepts them
      REQUIRE(fd >= 0);
      clients.add(fd);
    }
    auto cpu_before = cpu_seconds();
    auto start = clock_type::now();
    std::this_thread::sleep_for(2s);
    auto busy = (cpu_seconds() - cpu_before) / seconds_since(start);
    report("out of descriptors: " + std::to_string(attackers) +
           " half-open connections to a child limited to " +
           std::to_string(fd_limit) + " descriptors; its CPU use meanwhile " +
           std::to_string(static_cast<int>(busy * 100)) + " % of a core");
    // On EMFILE the listener must back off rather than accept again at
    // once, which would spin on the I/O thread until a descriptor is free.
    CHECK(busy < 0.5);
  }
  // The attackers are gone: a new peer gets in.
  endpoint fresh{test_config()};
  CHECK(wait_until([&] { return fresh.peer("127.0.0.1", port, 0s); }));
  child.close_stdin();
  auto status = child.wait(wait_bound);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}
