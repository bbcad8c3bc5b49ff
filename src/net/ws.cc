#include "net/ws.hh"

#include "net/acceptor.hh"
#include "net/asio.hh"
#include "net/coalescing_stream.hh"
#include "net/tls_impl.hh"

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <algorithm>
#include <deque>
#include <optional>

namespace broker::net {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

ws_handler::~ws_handler() = default;

void ws_handler::on_messages(std::vector<std::string> texts) {
  for (auto& text : texts)
    on_message(std::move(text));
}

ws_session::~ws_session() = default;

namespace {

/// Bytes of written messages a session buffers for the transport before it
/// waits for them to go out (one system call writes them all).
constexpr size_t max_buffered_bytes = 256 * 1024;

/// Messages delivered to the handler with one call at most.
constexpr size_t max_delivery_batch = 256;

/// Largest HTTP request header we read before upgrading.
constexpr uint32_t max_request_header = 8 * 1024;

/// Zeek 8's rule for the optional `X-Application-Name` header (spec:
/// upstream-broker.md §5.1): `[-/_.=:*@a-zA-Z0-9]+`.
bool valid_application_name(beast::string_view name) {
  if (name.empty())
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') ||
           std::string_view{"-/_.=:*@"}.find(c) != std::string_view::npos;
  });
}

using tcp_socket = asio::ip::tcp::socket;

/// A session's socket: typed with the io_context's own executor. Beast
/// copies the stream's executor for every operation, and copying the
/// type-erased `any_io_executor` of a plain `tcp::socket` costs more than
/// the rest of a small message's write.
using session_socket =
    asio::basic_stream_socket<asio::ip::tcp, asio::io_context::executor_type>;

using tls_socket = asio::ssl::stream<session_socket>;

/// Moves an accepted socket into a `session_socket` (same descriptor).
session_socket retype(tcp_socket sock) {
  auto& ctx = static_cast<asio::io_context&>(
      asio::query(sock.get_executor(), asio::execution::context));
  session_socket result{ctx.get_executor()};
  boost::system::error_code err;
  auto protocol = sock.local_endpoint(err).protocol();
  if (err)
    return result; // not connected any more: the session fails on first use
  auto fd = sock.release(err);
  if (!err)
    result.assign(protocol, fd, err);
  return result;
}

/// A WebSocket session over `NextLayer`: a TCP socket (`ws://`) or TLS over
/// TCP (`wss://`). All state is touched on the I/O thread only.
template <class NextLayer>
class ws_session_impl final : public ws_session {
public:
  static constexpr bool encrypted = std::is_same_v<NextLayer, tls_socket>;

  using upgrade_done = std::function<void(bool upgraded)>;

  ws_session_impl(session_socket sock, const ws_options& opts)
      : ws_(make_layer(std::move(sock), opts)), timer_(ws_.get_executor()),
        opts_(opts) {
    // The coalescing layer is a member: it cannot outlive `this`.
    ws_.next_layer().on_drained([this] {
      report_sent();
      if (waiting_for_drain_ && !writing_) {
        waiting_for_drain_ = false;
        do_write();
      }
    });
    // Messages read so far go to the handler before a read may wait.
    ws_.next_layer().on_read_wait([this] { deliver(); });
    boost::system::error_code err;
    auto remote = tcp().remote_endpoint(err);
    if (!err) {
      addr_ = remote.address().to_string();
      port_ = remote.port();
    }
  }

  /// Runs the TLS handshake (with `wss://`), reads the HTTP request and
  /// upgrades it (or answers with an error and closes), all within the
  /// handshake timeout, then calls `done`.
  void upgrade(upgrade_done done) {
    done_ = std::move(done);
    auto self = shared();
    timer_.expires_after(opts_.handshake_timeout);
    timer_.async_wait([self](const boost::system::error_code& err) {
      if (!err && !self->upgraded_) {
        boost::system::error_code ignored;
        self->tcp().close(ignored);
      }
    });
    if constexpr (encrypted) {
      raw().async_handshake(asio::ssl::stream_base::server,
                            [self](const boost::system::error_code& err) {
                              if (err) {
                                boost::system::error_code ignored;
                                self->tcp().close(ignored);
                                self->upgrade_failed();
                                return;
                              }
                              self->read_request();
                            });
    } else {
      read_request();
    }
  }

  void read_request() {
    auto self = shared();
    parser_.emplace();
    parser_->header_limit(max_request_header);
    parser_->body_limit(0);
    http::async_read(ws_.next_layer(), read_buf_, *parser_,
                     [self](const boost::system::error_code& err, size_t) {
                       self->on_request(err);
                     });
  }

  void start(std::shared_ptr<ws_handler> handler) override {
    auto self = shared();
    asio::post(ws_.get_executor(), [self, h = std::move(handler)]() mutable {
      if (self->finished_) {
        h->on_closed({}, "closed before start");
        return;
      }
      self->handler_ = std::move(h);
      self->do_read();
    });
  }

  void send(std::vector<std::string> texts) override {
    if (texts.empty())
      return;
    auto self = shared();
    asio::post(ws_.get_executor(), [self, t = std::move(texts)]() mutable {
      if (self->closing_)
        return;
      for (auto& x : t)
        self->queued_.emplace_back(std::move(x));
      if (!self->writing_)
        self->do_write();
    });
  }

  void consumed(size_t count) override {
    auto self = shared();
    asio::post(ws_.get_executor(), [self, count] {
      self->unconsumed_ -= std::min(self->unconsumed_, count);
      self->do_read();
    });
  }

  void close(uint16_t code, std::string reason) override {
    auto self = shared();
    asio::post(ws_.get_executor(), [self, code, r = std::move(reason)] {
      self->begin_close(code, std::move(r), false);
    });
  }

  void abort() override {
    auto self = shared();
    asio::post(ws_.get_executor(), [self] { self->finish({}, "aborted"); });
  }

  const std::string& remote_address() const override { return addr_; }

  uint16_t remote_port() const override { return port_; }

private:
  static NextLayer make_layer(session_socket sock, const ws_options& opts) {
    if constexpr (encrypted)
      return NextLayer{std::move(sock), opts.tls->native().ssl};
    else
      return sock;
  }

  session_socket& tcp() { return beast::get_lowest_layer(ws_); }

  /// The transport below the coalescing layer (socket or TLS stream).
  NextLayer& raw() { return ws_.next_layer().next_layer(); }

  std::shared_ptr<ws_session_impl> shared() {
    return std::static_pointer_cast<ws_session_impl>(shared_from_this());
  }

  /// Answers a request that does not upgrade, then closes.
  void reject(http::status status, std::string body) {
    auto self = shared();
    auto res = std::make_shared<http::response<http::string_body>>(
        status, parser_->get().version());
    res->set(http::field::content_type, "text/plain");
    res->keep_alive(false);
    res->body() = std::move(body) + "\n";
    res->prepare_payload();
    // Straight to the transport: the socket closes right after this write,
    // nothing may wait in the coalescing layer.
    http::async_write(
        raw(), *res, [self, res](const boost::system::error_code&, size_t) {
          boost::system::error_code ignored;
          self->tcp().shutdown(session_socket::shutdown_both, ignored);
          self->tcp().close(ignored);
          self->upgrade_failed();
        });
  }

  void upgrade_failed() {
    timer_.cancel();
    finished_ = true;
    if (auto f = std::move(done_))
      f(false);
  }

  void on_request(const boost::system::error_code& err) {
    if (err) {
      // Garbage, a too large header, the deadline, or the client left.
      boost::system::error_code ignored;
      tcp().close(ignored);
      upgrade_failed();
      return;
    }
    auto& req = parser_->get();
    auto hint = "use a WebSocket upgrade on " + opts_.path;
    if (req.target() != opts_.path) {
      reject(http::status::not_found, "invalid path; try " + opts_.path);
      return;
    }
    if (!websocket::is_upgrade(req)) {
      reject(http::status::bad_request,
             "expected a WebSocket upgrade: " + hint);
      return;
    }
    if (auto i = req.find("X-Application-Name");
        i != req.end() && !valid_application_name(i->value())) {
      reject(http::status::bad_request,
             "invalid X-Application-Name (allowed: [-/_.=:*@a-zA-Z0-9]+)");
      return;
    }
    // A client may not send frames before our 101 response; anything
    // buffered after its request is a protocol violation: drop it.
    read_buf_.consume(read_buf_.size());
    ws_.next_layer().discard_buffered_input();
    ws_.read_message_max(opts_.max_message_size);
    ws_.text(true);
    ws_.auto_fragment(false);
    auto self = shared();
    ws_.async_accept(req, [self](const boost::system::error_code& err) {
      if (err) {
        boost::system::error_code ignored;
        self->tcp().close(ignored);
        self->upgrade_failed();
        return;
      }
      self->upgraded_ = true;
      self->timer_.cancel();
      self->parser_.reset();
      if (auto f = std::move(self->done_))
        f(true);
    });
  }

  void do_read() {
    if (reading_ || finished_ || closing_ || !handler_ ||
        unconsumed_ >= opts_.read_window)
      return;
    reading_ = true;
    auto self = shared();
    ws_.async_read(
        read_buf_, [self](const boost::system::error_code& err, size_t) {
          self->reading_ = false;
          if (self->finished_)
            return;
          if (err) {
            self->on_read_error(err);
            return;
          }
          if (!self->ws_.got_text()) {
            // spec §5.1: text frames only.
            self->read_buf_.consume(self->read_buf_.size());
            self->deliver(); // what came before it is valid
            self->begin_close(ws_close_unsupported_data,
                              "binary messages are not supported: send text "
                              "(JSON)",
                              true);
            return;
          }
          auto text = beast::buffers_to_string(self->read_buf_.data());
          self->read_buf_.consume(self->read_buf_.size());
          ++self->unconsumed_;
          self->received_.emplace_back(std::move(text));
          if (self->received_.size() >= max_delivery_batch)
            self->deliver();
          self->do_read();
          // Reading paused (window full, closing): deliver what we have.
          if (!self->reading_)
            self->deliver();
        });
  }

  /// Reports the messages whose bytes are on the wire now.
  void report_sent() {
    auto flushed = ws_.next_layer().flushed_bytes();
    size_t count = 0;
    while (!unflushed_ends_.empty() && unflushed_ends_.front() <= flushed) {
      unflushed_ends_.pop_front();
      ++count;
    }
    if (count > 0 && handler_)
      handler_->on_sent(count);
  }

  /// Hands the messages read so far to the handler.
  void deliver() {
    if (received_.empty() || !handler_)
      return;
    handler_->on_messages(std::exchange(received_, {}));
  }

  void on_read_error(const boost::system::error_code& err) {
    if (err == websocket::error::closed) {
      finish(err, "closed by the client");
      return;
    }
    if (err == websocket::error::message_too_big) {
      begin_close(ws_close_too_big,
                  "message exceeds " + std::to_string(opts_.max_message_size) +
                      " bytes",
                  true);
      return;
    }
    finish(err, err.message());
  }

  void do_write() {
    if (finished_)
      return;
    if (queued_.empty()) {
      // The end of a run of messages: send what collected.
      ws_.next_layer().defer(false);
      if (closing_)
        do_close();
      return;
    }
    // Back-pressure from the transport: wait until the buffered bytes are
    // mostly written.
    if (ws_.next_layer().buffered() >= max_buffered_bytes) {
      waiting_for_drain_ = true;
      ws_.next_layer().defer(false);
      return;
    }
    // Messages written back to back share system calls (see
    // `coalescing_stream::defer`).
    ws_.next_layer().defer(true);
    writing_ = true;
    auto self = shared();
    ws_.async_write(asio::buffer(queued_.front()),
                    [self](const boost::system::error_code& err, size_t) {
                      self->writing_ = false;
                      if (self->finished_)
                        return;
                      if (err) {
                        self->finish(err, err.message());
                        return;
                      }
                      self->queued_.pop_front();
                      // Sent once its bytes left the coalescing layer.
                      self->unflushed_ends_.push_back(
                          self->ws_.next_layer().accepted_bytes());
                      self->do_write();
                    });
  }

  void do_close() {
    if (close_sent_ || finished_)
      return;
    close_sent_ = true;
    arm_close_deadline();
    auto self = shared();
    ws_.async_close(close_reason_, [self](const boost::system::error_code&) {
      self->finish({}, "closed");
    });
  }

  /// Starts closing with `code` and `reason` once the write in progress
  /// (and, unless `drop_queued`, every queued message) is out. Idempotent:
  /// the first reason wins.
  void begin_close(uint16_t code, std::string reason, bool drop_queued) {
    if (closing_)
      return;
    closing_ = true;
    arm_close_deadline();
    if (drop_queued)
      drop_unwritten();
    close_reason_ = websocket::close_reason{
        static_cast<websocket::close_code>(code), std::move(reason)};
    if (!writing_)
      do_close();
  }

  /// Drops queued messages, except the one being written (its buffer must
  /// live until the write completes).
  void drop_unwritten() {
    if (writing_ && !queued_.empty())
      queued_.erase(queued_.begin() + 1, queued_.end());
    else
      queued_.clear();
  }

  /// Bounds a close (the pending writes, our close frame and the client's
  /// answer) by the handshake timeout, counted from the first request: a
  /// client that never reads or never answers is cut off.
  void arm_close_deadline() {
    if (close_deadline_armed_)
      return;
    close_deadline_armed_ = true;
    auto self = shared();
    timer_.expires_after(opts_.handshake_timeout);
    timer_.async_wait([self](const boost::system::error_code& err) {
      if (!err)
        self->finish({}, "close timed out");
    });
  }

  void finish(const boost::system::error_code& reason, std::string what) {
    if (finished_)
      return;
    finished_ = true;
    closing_ = true;
    timer_.cancel();
    boost::system::error_code ignored;
    tcp().close(ignored);
    drop_unwritten();
    deliver();
    if (auto handler = std::move(handler_))
      handler->on_closed(std::error_code{reason}, std::move(what));
  }

  websocket::stream<coalescing_stream<NextLayer>> ws_;
  asio::steady_timer timer_;
  ws_options opts_;
  std::string addr_;
  uint16_t port_ = 0;
  beast::flat_buffer read_buf_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  upgrade_done done_;
  std::shared_ptr<ws_handler> handler_;
  std::deque<std::string> queued_;
  /// Where the bytes of each message written to the coalescing layer end,
  /// until they are flushed (then `on_sent` reports them).
  std::deque<uint64_t> unflushed_ends_;
  /// Messages read and not delivered to the handler yet.
  std::vector<std::string> received_;
  websocket::close_reason close_reason_;
  size_t unconsumed_ = 0;
  bool upgraded_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool waiting_for_drain_ = false;
  bool closing_ = false;
  bool close_sent_ = false;
  bool close_deadline_armed_ = false;
  bool finished_ = false;
};

/// Upgrades an accepted connection and hands the session to `on_accept`,
/// unless the listener was closed in the meantime.
template <class NextLayer>
void upgrade(tcp_socket sock, const ws_options& opts,
             const std::shared_ptr<listener::impl>& from,
             const ws_listener::accept_handler& on_accept) {
  configure_socket(sock);
  auto session = std::make_shared<ws_session_impl<NextLayer>>(
      retype(std::move(sock)), opts);
  std::weak_ptr<listener::impl> weak_from = from;
  session->upgrade([on_accept, session, weak_from](bool upgraded) {
    if (!upgraded)
      return;
    auto from = weak_from.lock();
    if (!from || !is_accepting(*from)) {
      session->abort();
      return;
    }
    on_accept(session);
  });
}

} // namespace

struct ws_listener::impl {
  std::shared_ptr<listener> acceptor;
};

ws_listener::ws_listener(std::shared_ptr<impl> ptr) : impl_(std::move(ptr)) {
}

ws_listener::~ws_listener() {
  close();
}

uint16_t ws_listener::port() const noexcept {
  return impl_->acceptor->port();
}

void ws_listener::close() {
  impl_->acceptor->close();
}

std::shared_ptr<ws_listener>
ws_listener::open(io_runtime& io, const std::string& address, uint16_t port,
                  bool reuse_addr, ws_options opts, accept_handler on_accept,
                  std::error_code& err, std::string& what) {
  auto on_socket = [opts, f = std::move(on_accept)](
                       tcp_socket sock,
                       const std::shared_ptr<listener::impl>& from) {
    if (opts.tls)
      upgrade<tls_socket>(std::move(sock), opts, from, f);
    else
      upgrade<session_socket>(std::move(sock), opts, from, f);
  };
  auto acc = open_acceptor(io, address, port, reuse_addr, std::move(on_socket),
                           err, what);
  if (!acc)
    return nullptr;
  auto ptr = std::make_shared<impl>();
  ptr->acceptor = std::move(acc);
  return std::make_shared<ws_listener>(std::move(ptr));
}

} // namespace broker::net
