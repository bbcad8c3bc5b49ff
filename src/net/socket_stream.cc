#include "net/socket_stream.hh"

#include "net/tls_impl.hh"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>

#include <vector>

namespace broker::net {

stream_handler::~stream_handler() = default;

stream::~stream() = default;

namespace {

using tcp_socket = asio::ip::tcp::socket;

using tls_socket = asio::ssl::stream<tcp_socket>;

/// The customization points of a transport: how to build the socket from a
/// connected TCP socket and how to reach that TCP socket again (for socket
/// options, the error watch, half-close and resets). The steps that only
/// TLS has (handshake, close_notify, joining writes) are `if constexpr
/// (encrypted)` branches of the stream below.
template <class Socket>
struct transport;

template <>
struct transport<tcp_socket> {
  static constexpr bool encrypted = false;

  static tcp_socket make(tcp_socket sock, tls_context*) { return sock; }

  static tcp_socket& tcp(tcp_socket& sock) { return sock; }
};

template <>
struct transport<tls_socket> {
  static constexpr bool encrypted = true;

  static tls_socket make(tcp_socket sock, tls_context* ctx) {
    return tls_socket{std::move(sock), ctx->native().ssl};
  }

  static tcp_socket& tcp(tls_socket& sock) { return sock.next_layer(); }
};

/// Joins a batch of buffers into the first one. Asio's TLS stream encrypts
/// only the first buffer of a sequence per call, so a gathered batch would
/// become one small record (and one system call) per message.
void join(std::vector<byte_buffer>& bufs) {
  if (bufs.size() < 2)
    return;
  size_t total = 0;
  for (auto& buf : bufs)
    total += buf.size();
  auto& first = bufs.front();
  first.reserve(total);
  for (size_t i = 1; i < bufs.size(); ++i)
    first.insert(first.end(), bufs[i].begin(), bufs[i].end());
  bufs.resize(1);
}

/// A `stream` over a connected `Socket` (TCP or TLS over TCP). All state is
/// touched on the I/O thread only (one io_context thread, so no strand is
/// needed).
template <class Socket>
class basic_socket_stream final : public socket_stream {
public:
  using traits = transport<Socket>;

  /// How long a graceful close waits for the peer to close its side
  /// (including, with TLS, the exchange of close_notify alerts).
  static constexpr std::chrono::seconds linger{2};

  basic_socket_stream(tcp_socket sock, std::shared_ptr<tls_context> tls)
      : tls_(std::move(tls)), sock_(traits::make(std::move(sock), tls_.get())),
        timer_(tcp().get_executor()) {
    boost::system::error_code err;
    auto remote = tcp().remote_endpoint(err);
    if (!err) {
      addr_ = remote.address().to_string();
      port_ = remote.port();
    }
    configure_socket(tcp());
  }

  void handshake(handshake_role role, std::chrono::milliseconds timeout,
                 handshake_handler done) override;

  void start(std::shared_ptr<stream_handler> handler) override;

  void write(byte_buffer bytes) override;

  void release(byte_buffer chunk) override;

  void close() override;

  void abort() override;

  const std::string& remote_address() const override { return addr_; }

  uint16_t remote_port() const override { return port_; }

private:
  std::shared_ptr<basic_socket_stream> self() {
    return std::static_pointer_cast<basic_socket_stream>(shared_from_this());
  }

  tcp_socket& tcp() { return traits::tcp(sock_); }

  /// Runs `fn` on the I/O thread: at once when called there (by an actor on
  /// the I/O thread, the default; saves a round through the I/O queue per
  /// write and per released chunk), else posted. Calls from one thread
  /// thus keep their order.
  template <class F>
  void run_on_io(F&& fn) {
    asio::dispatch(timer_.get_executor(), std::forward<F>(fn));
  }

  /// Reports the end of the handshake (first caller wins: the handshake
  /// itself or its deadline).
  void complete_handshake(const boost::system::error_code& err);

  void do_read();

  void do_write();

  /// Starts the graceful end once the queue is flushed: TLS close_notify
  /// (if any), then half-close, bounded by the linger timer.
  void do_shutdown();

  /// Closes the socket and reports `reason`; `reset` sends an RST instead
  /// of a FIN (forced closes: the peer learns at once, even if it is not
  /// reading).
  void finish(const boost::system::error_code& reason, bool reset = false);

  /// While reading is paused (back-pressure), still notices a reset on the
  /// TCP socket.
  void watch_errors();

  /// Keeps the OpenSSL context (and its callbacks) alive while the
  /// connection uses it; null for plain TCP.
  std::shared_ptr<tls_context> tls_;
  Socket sock_;
  /// Handshake deadline, then linger deadline of a graceful close.
  asio::steady_timer timer_;
  handshake_handler on_handshake_;
  std::shared_ptr<stream_handler> handler_;
  std::string addr_;
  uint16_t port_ = 0;
  std::vector<byte_buffer> free_chunks_;
  size_t unreleased_ = 0;
  bool reading_ = false;
  bool watching_ = false;
  std::vector<byte_buffer> queued_;
  std::vector<byte_buffer> in_flight_;
  bool writing_ = false;
  bool closing_ = false;
  bool shut_down_ = false;
  bool finished_ = false;
};

template <class Socket>
void basic_socket_stream<Socket>::handshake(handshake_role role,
                                            std::chrono::milliseconds timeout,
                                            handshake_handler done) {
  if constexpr (!traits::encrypted) {
    static_cast<void>(role);
    static_cast<void>(timeout);
    done(shared_from_this(), {});
  } else {
    on_handshake_ = std::move(done);
    auto ptr = self();
    timer_.expires_after(timeout);
    timer_.async_wait([ptr](const boost::system::error_code& err) {
      if (!err)
        ptr->complete_handshake(asio::error::timed_out);
    });
    auto type = role == handshake_role::client ? asio::ssl::stream_base::client
                                               : asio::ssl::stream_base::server;
    sock_.async_handshake(type, [ptr](const boost::system::error_code& err) {
      ptr->complete_handshake(err);
    });
  }
}

template <class Socket>
void basic_socket_stream<Socket>::complete_handshake(
    const boost::system::error_code& err) {
  if (!on_handshake_)
    return;
  auto done = std::move(on_handshake_);
  on_handshake_ = nullptr;
  timer_.cancel();
  if (err) {
    finish(err);
    done(nullptr, err);
    return;
  }
  done(shared_from_this(), err);
}

template <class Socket>
void basic_socket_stream<Socket>::start(
    std::shared_ptr<stream_handler> handler) {
  run_on_io([ptr = self(), h = std::move(handler)]() mutable {
    if (ptr->finished_) {
      h->on_closed({});
      return;
    }
    ptr->handler_ = std::move(h);
    ptr->do_read();
  });
}

template <class Socket>
void basic_socket_stream<Socket>::write(byte_buffer bytes) {
  if (bytes.empty())
    return;
  run_on_io([ptr = self(), b = std::move(bytes)]() mutable {
    if (ptr->closing_)
      return;
    ptr->queued_.emplace_back(std::move(b));
    if (!ptr->writing_)
      ptr->do_write();
  });
}

template <class Socket>
void basic_socket_stream<Socket>::release(byte_buffer chunk) {
  run_on_io([ptr = self(), c = std::move(chunk)]() mutable {
    if (ptr->unreleased_ > 0)
      --ptr->unreleased_;
    if (c.size() == chunk_size && ptr->free_chunks_.size() < 2)
      ptr->free_chunks_.emplace_back(std::move(c));
    ptr->do_read();
  });
}

template <class Socket>
void basic_socket_stream<Socket>::close() {
  run_on_io([ptr = self()] {
    if (ptr->closing_)
      return;
    ptr->closing_ = true;
    if (!ptr->writing_)
      ptr->do_write();
  });
}

template <class Socket>
void basic_socket_stream<Socket>::abort() {
  run_on_io([ptr = self()] { ptr->finish({}, true); });
}

template <class Socket>
void basic_socket_stream<Socket>::do_read() {
  // While closing, input is read and discarded regardless of back-pressure.
  if (reading_ || finished_ || !handler_)
    return;
  if (!closing_ && unreleased_ >= max_unreleased_chunks) {
    watch_errors();
    return;
  }
  byte_buffer chunk;
  if (!free_chunks_.empty()) {
    chunk = std::move(free_chunks_.back());
    free_chunks_.pop_back();
  } else {
    chunk.resize(chunk_size);
  }
  // Take the buffer before moving the vector into the handler (the heap
  // storage does not move with the vector).
  auto buf = asio::buffer(chunk.data(), chunk.size());
  reading_ = true;
  sock_.async_read_some(
      buf, [ptr = self(), c = std::move(chunk)](
               const boost::system::error_code& err, size_t n) mutable {
        ptr->reading_ = false;
        if (ptr->finished_)
          return;
        if (err) {
          // After our own shutdown, the peer's EOF (or, with TLS, its
          // close_notify or a close without one) completes a graceful close.
          ptr->finish(ptr->closing_ ? boost::system::error_code{} : err);
          return;
        }
        if (ptr->closing_) {
          ptr->free_chunks_.emplace_back(std::move(c));
        } else {
          ++ptr->unreleased_;
          ptr->handler_->on_data(std::move(c), n);
        }
        ptr->do_read();
      });
}

template <class Socket>
void basic_socket_stream<Socket>::do_write() {
  if (finished_)
    return;
  if (queued_.empty()) {
    if (closing_ && !shut_down_)
      do_shutdown();
    return;
  }
  in_flight_.swap(queued_);
  if constexpr (traits::encrypted)
    join(in_flight_);
  std::vector<asio::const_buffer> bufs;
  bufs.reserve(in_flight_.size());
  for (auto& buf : in_flight_)
    bufs.emplace_back(buf.data(), buf.size());
  writing_ = true;
  asio::async_write(
      sock_, bufs,
      [ptr = self()](const boost::system::error_code& err, size_t n) {
        ptr->writing_ = false;
        ptr->in_flight_.clear();
        if (ptr->finished_)
          return;
        if (err) {
          ptr->finish(err);
          return;
        }
        if (ptr->handler_)
          ptr->handler_->on_sent(n);
        ptr->do_write();
      });
}

template <class Socket>
void basic_socket_stream<Socket>::do_shutdown() {
  shut_down_ = true;
  auto ptr = self();
  timer_.expires_after(linger);
  timer_.async_wait([ptr](const boost::system::error_code& err) {
    if (!err)
      ptr->finish({});
  });
  auto shutdown_send = [ptr] {
    boost::system::error_code ignored;
    ptr->tcp().shutdown(tcp_socket::shutdown_send, ignored);
  };
  if constexpr (traits::encrypted) {
    // TLS ends with close_notify alerts in both directions before the TCP
    // half-close. Asio completes the shutdown once the peer's alert arrived
    // (or the connection failed); the linger timer bounds that wait, and
    // the read loop below keeps draining input meanwhile (Asio's TLS stream
    // lets the two share the socket).
    sock_.async_shutdown(
        [ptr, shutdown_send](const boost::system::error_code&) {
          if (!ptr->finished_)
            shutdown_send();
        });
  } else {
    shutdown_send();
  }
  do_read();
}

template <class Socket>
void basic_socket_stream<Socket>::watch_errors() {
  if (watching_)
    return;
  watching_ = true;
  tcp().async_wait(tcp_socket::wait_error,
                   [ptr = self()](const boost::system::error_code& err) {
                     ptr->watching_ = false;
                     if (ptr->finished_ ||
                         err == asio::error::operation_aborted)
                       return;
                     // The socket has an error pending (e.g. a reset): read it
                     // by finishing with the socket's own error.
                     int code = 0;
                     socklen_t len = sizeof(code);
                     ::getsockopt(ptr->tcp().native_handle(), SOL_SOCKET,
                                  SO_ERROR, &code, &len);
                     if (code != 0)
                       ptr->finish(boost::system::error_code{
                           code, boost::system::system_category()});
                   });
}

template <class Socket>
void basic_socket_stream<Socket>::finish(
    const boost::system::error_code& reason, bool reset) {
  if (finished_)
    return;
  finished_ = true;
  closing_ = true;
  timer_.cancel();
  boost::system::error_code ignored;
  if (reset)
    tcp().set_option(asio::socket_base::linger{true, 0}, ignored);
  tcp().close(ignored);
  queued_.clear();
  free_chunks_.clear();
  if (auto handler = std::move(handler_))
    handler->on_closed(std::error_code{reason});
}

} // namespace

std::shared_ptr<socket_stream>
make_socket_stream(asio::ip::tcp::socket sock,
                   const std::shared_ptr<tls_context>& tls) {
  if (tls)
    return std::make_shared<basic_socket_stream<tls_socket>>(std::move(sock),
                                                             tls);
  return std::make_shared<basic_socket_stream<tcp_socket>>(std::move(sock),
                                                           nullptr);
}

} // namespace broker::net
