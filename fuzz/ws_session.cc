// libFuzzer target: arbitrary bytes as the byte stream of a WebSocket
// client, into our WebSocket server session (src/net/ws.cc: HTTP upgrade,
// RFC 6455 framing, reassembly, close handshake, limits) over a real
// loopback TCP connection, and every delivered text message into what the
// client actor does with it (src/core/ws_client_actor.cc without the
// actor: the first message is the filter, the others data messages, spec:
// upstream-broker.md §5.2, §5.3), whose answers go back through the
// session's write path.
//
// src/net exposes sessions only behind its listener (no in-memory stream),
// so each input is one TCP connection to a listener on 127.0.0.1: connect,
// send the HTTP request, wait for the answer, send the frames, half-close,
// read until the server closes, wait until the session reported its end
// and its object is gone, then close with a reset (no TIME_WAIT piles up).
// An input the session does not finish within `max_input_seconds` is
// reported as a hang.
//
// Input layout: byte 0 holds flags:
// - bit 0: send a valid upgrade request (`canned_request`) and treat the
//   whole rest as the frame part; otherwise the rest up to and including
//   the first blank line ("\r\n\r\n") is the request, anything after it the
//   frame part (sent once the server answered 101; RFC 6455 §4.1: a client
//   waits for the answer);
// - bit 1: the frame part is a list of records that the harness encodes as
//   masked client frames: a header byte (bit 7 FIN, bits 4-6 RSV, bits 0-3
//   opcode), a length byte L and L payload bytes; otherwise the frame part
//   is sent as it is;
// - bit 2: records use the 16-bit extended length even when shorter
//   (non-minimal, RFC 6455 §5.2);
// - bit 3: records are not masked (a client must mask, RFC 6455 §5.3).

#include "net/ws.hh"

#include "broker/endpoint_id.hh"
#include "broker/filter_type.hh"
#include "broker/version.hh"
#include "format/json.hh"
#include "net/io_runtime.hh"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace json = broker::format::json::v1;
namespace net = broker::net;

using clock_type = std::chrono::steady_clock;

/// Bound on one input, from connecting to the session's end; far above
/// what any input takes (milliseconds), far below libFuzzer's -timeout.
constexpr auto max_input_seconds = std::chrono::seconds{5};

/// A small message limit, so that the fuzzer reaches it (1009, RFC 6455
/// §7.4.1) with short inputs.
constexpr size_t max_message_size = 1024;

/// A small read window, so that back-pressure engages.
constexpr size_t read_window = 4;

/// The mask key of encoded records (any value works; a fixed one keeps
/// inputs reproducible).
constexpr uint8_t mask_key[4] = {0x37, 0xfa, 0x21, 0x3d};

constexpr std::string_view canned_request =
    "GET /v1/messages/json HTTP/1.1\r\n"
    "Host: 127.0.0.1\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "ws_session fuzzer: %s\n", what);
  std::abort();
}

/// What one input's session did, shared between the fuzzer's thread and the
/// I/O thread.
struct outcome {
  std::mutex mtx;
  std::condition_variable cv;
  bool accepted = false;
  bool closed = false;
  /// The upgraded session, to see it go once it ended.
  std::weak_ptr<net::ws_session> session;
};

/// The client actor's handling of text messages, minus the actor.
class handler final : public net::ws_handler {
public:
  handler(std::weak_ptr<net::ws_session> session,
          std::shared_ptr<outcome> result)
      : session_(std::move(session)), result_(std::move(result)) {}

  void on_message(std::string text) override {
    auto session = session_.lock();
    if (!session)
      return;
    if (!have_filter_) {
      broker::filter_type filter;
      std::string reason;
      if (!json::decode_filter(text, filter, reason)) {
        session->close(net::ws_close_policy_violation,
                       "first message must contain a filter: " + reason);
      } else {
        have_filter_ = true;
        session->send({json::make_ack(id_, broker::version::string())});
      }
    } else {
      broker::topic t;
      broker::data x;
      json::decode_error err;
      std::string answer;
      if (json::decode(text, t, x, err))
        json::encode(t, x, answer); // echo: the write path carries it
      else
        answer = json::make_error(err.code, err.reason);
      session->send({std::move(answer)});
    }
    session->consumed(1);
  }

  void on_sent(size_t) override {}

  void on_closed(const std::error_code&, std::string) override {
    std::lock_guard<std::mutex> guard{result_->mtx};
    result_->closed = true;
    result_->cv.notify_all();
  }

private:
  std::weak_ptr<net::ws_session> session_;
  std::shared_ptr<outcome> result_;
  broker::endpoint_id id_;
  bool have_filter_ = false;
};

/// The listener and its I/O thread, made once per process.
struct server {
  net::io_runtime io{1};
  std::shared_ptr<net::ws_listener> listener;
  std::mutex mtx;
  /// The outcome of the input being run (one connection at a time).
  std::shared_ptr<outcome> current;

  server() {
    net::ws_options opts;
    opts.max_message_size = max_message_size;
    opts.handshake_timeout = std::chrono::seconds{2};
    opts.read_window = read_window;
    std::error_code err;
    std::string what;
    listener = net::ws_listener::open(
        io, "127.0.0.1", 0, true, opts,
        [this](std::shared_ptr<net::ws_session> session) {
          std::shared_ptr<outcome> result;
          {
            std::lock_guard<std::mutex> guard{mtx};
            result = current;
          }
          {
            std::lock_guard<std::mutex> guard{result->mtx};
            result->accepted = true;
            result->session = session;
          }
          session->start(std::make_shared<handler>(session, result));
        },
        err, what);
    if (!listener)
      fail(what.c_str());
  }
};

server& the_server() {
  static server instance;
  return instance;
}

int remaining_ms(clock_type::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - clock_type::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

/// A blocking client socket, closed with a reset.
class client {
public:
  explicit client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
      fail("socket() failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
      fail("connect() failed");
    // Each part goes out at once (no Nagle wait for the previous ACK).
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }

  client(const client&) = delete;

  client& operator=(const client&) = delete;

  ~client() {
    linger reset{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    ::close(fd_);
  }

  /// Sends everything; returns false once the server closed or reset.
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        return false;
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  void half_close() { ::shutdown(fd_, SHUT_WR); }

  /// Reads until `stop(received)` holds, EOF or a reset (then `true`), or
  /// the deadline (then `false`).
  template <class Stop>
  bool read_until(Stop stop, clock_type::time_point deadline) {
    char buf[4096];
    for (;;) {
      if (stop(received_))
        return true;
      pollfd pfd{fd_, POLLIN, 0};
      auto rc = ::poll(&pfd, 1, remaining_ms(deadline));
      if (rc == 0)
        return false;
      if (rc < 0) {
        if (errno == EINTR)
          continue;
        return true;
      }
      auto n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        eof_ = true;
        return true;
      }
      received_.append(buf, static_cast<size_t>(n));
    }
  }

  [[nodiscard]] bool eof() const noexcept { return eof_; }

private:
  int fd_ = -1;
  std::string received_;
  bool eof_ = false;
};

/// Encodes the records of the frame part as client frames (RFC 6455 §5.2).
std::string encode_records(std::string_view records, unsigned flags) {
  bool extended = flags & 4;
  bool masked = !(flags & 8);
  std::string out;
  while (records.size() >= 2) {
    auto header = static_cast<uint8_t>(records[0]);
    size_t len = static_cast<uint8_t>(records[1]);
    records.remove_prefix(2);
    if (len > records.size())
      len = records.size();
    auto payload = records.substr(0, len);
    records.remove_prefix(len);
    out.push_back(static_cast<char>(header));
    uint8_t mask_bit = masked ? 0x80 : 0x00;
    if (extended || len > 125) {
      out.push_back(static_cast<char>(mask_bit | 126));
      out.push_back(static_cast<char>(len >> 8));
      out.push_back(static_cast<char>(len & 0xff));
    } else {
      out.push_back(static_cast<char>(mask_bit | len));
    }
    if (masked)
      out.append(reinterpret_cast<const char*>(mask_key), 4);
    for (size_t i = 0; i < payload.size(); ++i)
      out.push_back(
          static_cast<char>(payload[i] ^ (masked ? mask_key[i % 4] : 0)));
  }
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  auto& srv = the_server();
  unsigned flags = data[0];
  std::string_view rest{reinterpret_cast<const char*>(data + 1), size - 1};
  std::string_view request;
  std::string_view frame_part;
  if (flags & 1) {
    request = canned_request;
    frame_part = rest;
  } else if (auto end = rest.find("\r\n\r\n"); end != std::string_view::npos) {
    request = rest.substr(0, end + 4);
    frame_part = rest.substr(end + 4);
  } else {
    request = rest;
  }
  std::string frames =
      (flags & 2) ? encode_records(frame_part, flags) : std::string{frame_part};
  auto result = std::make_shared<outcome>();
  {
    std::lock_guard<std::mutex> guard{srv.mtx};
    srv.current = result;
  }
  auto deadline = clock_type::now() + max_input_seconds;
  {
    client conn{srv.listener->port()};
    bool open = conn.send(request);
    if (open && !frames.empty()) {
      // Wait for the end of the server's answer (or its close).
      auto answered = [](const std::string& received) {
        return received.find("\r\n\r\n") != std::string::npos;
      };
      if (!conn.read_until(answered, deadline))
        fail("no answer to the HTTP request within 5 s");
      if (!conn.eof())
        conn.send(frames);
    }
    conn.half_close();
    auto never = [](const std::string&) { return false; };
    if (!conn.read_until(never, deadline))
      fail("the server did not close within 5 s after the client's EOF");
    // An upgraded session reports its end; a failed upgrade reports nothing.
    std::unique_lock<std::mutex> guard{result->mtx};
    if (result->accepted &&
        !result->cv.wait_until(guard, deadline, [&] { return result->closed; }))
      fail("the session did not report its end within 5 s");
  }
  // Then it must go away: the I/O thread drops its last references once
  // the pending handlers ran. (Waiting also keeps libFuzzer from counting
  // its memory as this input's leak candidate.)
  while (!result->session.expired()) {
    if (clock_type::now() >= deadline)
      fail("the ended session was not destroyed within 5 s");
    std::this_thread::yield();
  }
  return 0;
}
