#include "net/listener.hh"

#include "net/acceptor.hh"
#include "net/asio.hh"
#include "net/socket_stream.hh"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <future>

namespace broker::net {

/// Pause before accepting again after running out of file descriptors
/// (or kernel memory): the pending connection stays queued, so accepting
/// at once would fail again and again without waiting.
constexpr std::chrono::milliseconds resource_backoff{100};

struct listener::impl : std::enable_shared_from_this<listener::impl> {
  explicit impl(asio::io_context& ctx) : acceptor(ctx), backoff(ctx) {}

  void accept_next() {
    auto self = shared_from_this();
    acceptor.async_accept([self](const boost::system::error_code& err,
                                 asio::ip::tcp::socket sock) {
      if (err == asio::error::operation_aborted || !self->acceptor.is_open())
        return;
      if (!err) {
        self->on_socket(std::move(sock), self);
      } else if (err == asio::error::no_descriptors ||
                 err == asio::error::no_buffer_space ||
                 err == asio::error::no_memory) {
        // Transient, and the cause stays until connections close: retry
        // later instead of spinning.
        self->backoff.expires_after(resource_backoff);
        self->backoff.async_wait([self](const boost::system::error_code& e) {
          if (!e && self->acceptor.is_open())
            self->accept_next();
        });
        return;
      }
      // Other transient errors (ECONNABORTED, ...) must not end the
      // listener: keep accepting.
      self->accept_next();
    });
  }

  asio::ip::tcp::acceptor acceptor;
  asio::steady_timer backoff;
  socket_handler on_socket;
  uint16_t port = 0;
};

listener::listener(std::shared_ptr<impl> ptr) : impl_(std::move(ptr)) {
}

listener::~listener() {
  close();
}

uint16_t listener::port() const noexcept {
  return impl_->port;
}

void listener::close() {
  auto ptr = impl_;
  asio::post(ptr->acceptor.get_executor(), [ptr] {
    boost::system::error_code ignored;
    ptr->acceptor.close(ignored);
    ptr->backoff.cancel();
  });
}

namespace {

/// Runs the transport handshake (TLS server side; nothing for plain TCP)
/// and hands the stream out once it succeeded. A failed or timed-out
/// handshake just closes that connection: no event on the accepting side
/// (spec: upstream-broker.md §2.4). Other connections and the accept loop
/// never wait for it; a listener closed in the meantime gets nothing.
void handshake(asio::ip::tcp::socket sock,
               const std::shared_ptr<tls_context>& tls,
               std::chrono::milliseconds timeout,
               const std::shared_ptr<listener::impl>& from,
               const listener::accept_handler& on_accept) {
  auto conn = make_socket_stream(std::move(sock), tls);
  std::weak_ptr<listener::impl> weak_from = from;
  conn->handshake(handshake_role::server, timeout,
                  [weak_from, on_accept](std::shared_ptr<stream> ready,
                                         const boost::system::error_code&) {
                    if (!ready)
                      return;
                    auto from = weak_from.lock();
                    if (!from || !is_accepting(*from)) {
                      ready->abort();
                      return;
                    }
                    on_accept(std::move(ready));
                  });
}

/// Opens, binds and starts an acceptor; runs on the I/O thread.
void bind_acceptor(listener::impl& ptr, const asio::ip::tcp::endpoint& ep,
                   bool reuse_addr, boost::system::error_code& err) {
  auto& acc = ptr.acceptor;
  acc.open(ep.protocol(), err);
  if (err)
    return;
  if (reuse_addr) {
    acc.set_option(asio::socket_base::reuse_address{true}, err);
    if (err)
      return;
  }
  // An unspecified IPv6 address accepts IPv4 too (dual-stack).
  if (ep.address().is_v6() && ep.address().is_unspecified()) {
    boost::system::error_code ignored;
    acc.set_option(asio::ip::v6_only{false}, ignored);
  }
  acc.bind(ep, err);
  if (err)
    return;
  acc.listen(asio::socket_base::max_listen_connections, err);
  if (err)
    return;
  ptr.port = acc.local_endpoint(err).port();
}

/// Binds `ep`. For "all interfaces" (`ep` is the IPv6 any address) on a
/// host without IPv6 (the socket or the bind fails with
/// `is_ipv6_unavailable`), binds the IPv4 any address instead. Runs on the
/// I/O thread. Sets `fell_back` when it tried IPv4.
void bind_all_or(listener::impl& ptr, const asio::ip::tcp::endpoint& ep,
                 bool all_interfaces, bool reuse_addr,
                 boost::system::error_code& err, bool& fell_back) {
  bind_acceptor(ptr, ep, reuse_addr, err);
  if (!err || !all_interfaces || !is_ipv6_unavailable(err))
    return;
  boost::system::error_code ignored;
  ptr.acceptor.close(ignored);
  err.clear();
  fell_back = true;
  bind_acceptor(ptr,
                asio::ip::tcp::endpoint{asio::ip::address_v4::any(), ep.port()},
                reuse_addr, err);
}

} // namespace

bool is_ipv6_unavailable(const std::error_code& err) noexcept {
  // EAFNOSUPPORT: kernel without IPv6 (ipv6.disable=1); EPROTONOSUPPORT:
  // likewise on some systems; EADDRNOTAVAIL: "::" not bindable, e.g. IPv6
  // disabled in a container.
  return err == std::errc::address_family_not_supported ||
         err == std::errc::protocol_not_supported ||
         err == std::errc::address_not_available;
}

std::shared_ptr<listener>
listener::open(io_runtime& io, const std::string& address, uint16_t port,
               bool reuse_addr, accept_handler on_accept, std::error_code& err,
               std::string& what, std::shared_ptr<tls_context> tls,
               std::chrono::milliseconds handshake_timeout) {
  auto on_socket =
      [tls = std::move(tls), handshake_timeout, f = std::move(on_accept)](
          asio::ip::tcp::socket sock, const std::shared_ptr<impl>& from) {
        handshake(std::move(sock), tls, handshake_timeout, from, f);
      };
  return open_acceptor(io, address, port, reuse_addr, std::move(on_socket), err,
                       what);
}

bool is_accepting(const listener::impl& x) {
  return x.acceptor.is_open();
}

std::shared_ptr<listener>
open_acceptor(io_runtime& io, const std::string& address, uint16_t port,
              bool reuse_addr, socket_handler on_socket, std::error_code& err,
              std::string& what) {
  auto& ctx = io.native().context;
  auto where = (address.empty() ? std::string{"[::]"} : address) + ":" +
               std::to_string(port);
  // Resolve the address (numeric or a host name) before binding.
  asio::ip::tcp::endpoint ep;
  boost::system::error_code berr;
  if (address.empty()) {
    ep = asio::ip::tcp::endpoint{asio::ip::address_v6::any(), port};
  } else if (auto addr = asio::ip::make_address(address, berr); !berr) {
    ep = asio::ip::tcp::endpoint{addr, port};
  } else {
    asio::ip::tcp::resolver resolver{ctx};
    auto results = resolver.resolve(address, std::to_string(port),
                                    asio::ip::resolver_base::passive, berr);
    if (berr || results.empty()) {
      err = berr ? std::error_code{berr}
                 : std::make_error_code(std::errc::address_not_available);
      what = "cannot resolve listen address " + where + ": " + err.message();
      return nullptr;
    }
    ep = results.begin()->endpoint();
  }
  auto ptr = std::make_shared<listener::impl>(ctx);
  auto result = std::make_shared<listener>(ptr);
  ptr->on_socket = std::move(on_socket);
  // The acceptor belongs to the I/O thread: set it up there and wait.
  std::promise<boost::system::error_code> bound;
  bool fell_back = false;
  asio::post(ctx,
             [&bound, &fell_back, ptr, ep, all = address.empty(), reuse_addr] {
               boost::system::error_code bind_err;
               bind_all_or(*ptr, ep, all, reuse_addr, bind_err, fell_back);
               if (!bind_err)
                 ptr->accept_next();
               bound.set_value(bind_err);
             });
  berr = bound.get_future().get();
  if (berr) {
    err = berr;
    if (fell_back) // no IPv6 on this host
      where = "0.0.0.0:" + std::to_string(port);
    what = "cannot listen on " + where + ": " + berr.message();
    return nullptr;
  }
  return result;
}

} // namespace broker::net
