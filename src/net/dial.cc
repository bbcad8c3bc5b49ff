#include "net/listener.hh"

#include "net/asio.hh"
#include "net/socket_stream.hh"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace broker::net {

namespace {

/// One connection attempt; lives until its outcome is reported.
struct dial_state : std::enable_shared_from_this<dial_state> {
  dial_state(asio::io_context& ctx, dial_handler done,
             std::shared_ptr<tls_context> tls,
             std::chrono::milliseconds handshake_timeout)
      : resolver(ctx), sock(ctx), timer(ctx), done(std::move(done)),
        tls(std::move(tls)), handshake_timeout(handshake_timeout) {}

  void finish(std::shared_ptr<stream> result, const std::error_code& err) {
    if (finished)
      return;
    finished = true;
    timer.cancel();
    resolver.cancel();
    if (!result) {
      boost::system::error_code ignored;
      sock.close(ignored);
    }
    done(std::move(result), err);
  }

  void connect(const asio::ip::tcp::resolver::results_type& endpoints) {
    auto self = shared_from_this();
    asio::async_connect(sock, endpoints,
                        [self](const boost::system::error_code& err,
                               const asio::ip::tcp::endpoint&) {
                          if (self->finished)
                            return;
                          if (err) {
                            self->finish(nullptr, err);
                            return;
                          }
                          self->handshake();
                        });
  }

  /// Runs the transport handshake (TLS client side; nothing for plain TCP)
  /// under its own bound: the connect timeout no longer applies.
  void handshake() {
    connected = true;
    timer.cancel();
    auto conn = make_socket_stream(std::move(sock), tls);
    auto self = shared_from_this();
    conn->handshake(handshake_role::client, handshake_timeout,
                    [self](std::shared_ptr<stream> ready,
                           const boost::system::error_code& err) {
                      self->finish(std::move(ready), err);
                    });
  }

  asio::ip::tcp::resolver resolver;
  asio::ip::tcp::socket sock;
  asio::steady_timer timer;
  dial_handler done;
  std::shared_ptr<tls_context> tls;
  std::chrono::milliseconds handshake_timeout;
  /// Set once TCP is connected: the connect timeout no longer applies.
  bool connected = false;
  bool finished = false;
};

} // namespace

void dial(io_runtime& io, std::string host, uint16_t port,
          std::chrono::milliseconds timeout, dial_handler done,
          std::shared_ptr<tls_context> tls,
          std::chrono::milliseconds handshake_timeout) {
  auto& ctx = io.native().context;
  auto st = std::make_shared<dial_state>(ctx, std::move(done), std::move(tls),
                                         handshake_timeout);
  asio::post(ctx, [st, host = std::move(host), port, timeout] {
    st->timer.expires_after(timeout);
    st->timer.async_wait([st](const boost::system::error_code& err) {
      if (!err && !st->connected)
        st->finish(nullptr, std::make_error_code(std::errc::timed_out));
    });
    // Numeric addresses need no resolver (and thus no resolver thread).
    boost::system::error_code err;
    auto addr = asio::ip::make_address(host, err);
    if (!err) {
      auto endpoints = asio::ip::tcp::resolver::results_type::create(
          asio::ip::tcp::endpoint{addr, port}, host, std::to_string(port));
      st->connect(endpoints);
      return;
    }
    st->resolver.async_resolve(
        host, std::to_string(port),
        [st](const boost::system::error_code& err,
             const asio::ip::tcp::resolver::results_type& results) {
          if (st->finished)
            return;
          if (err) {
            st->finish(nullptr, err);
            return;
          }
          st->connect(results);
        });
  });
}

} // namespace broker::net
