#include "net/http_server.hh"

#include "net/acceptor.hh"
#include "net/asio.hh"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <optional>

namespace broker::net {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;

/// Largest request header we read.
constexpr uint32_t max_request_header = 8 * 1024;

/// Deadline for a whole exchange (request, handler, response).
constexpr std::chrono::seconds request_timeout{10};

/// Serves one connection: reads a request, asks the handler, writes the
/// response, closes. All state is touched on the I/O thread only.
class http_session : public std::enable_shared_from_this<http_session> {
public:
  http_session(asio::ip::tcp::socket sock,
               std::shared_ptr<const http_server::request_handler> handler)
      : sock_(std::move(sock)), timer_(sock_.get_executor()),
        handler_(std::move(handler)) {}

  void start() {
    auto self = shared_from_this();
    timer_.expires_after(request_timeout);
    timer_.async_wait([self](const boost::system::error_code& err) {
      if (!err) {
        boost::system::error_code ignored;
        self->sock_.close(ignored);
      }
    });
    parser_.emplace();
    parser_->header_limit(max_request_header);
    parser_->body_limit(0);
    http::async_read(sock_, buf_, *parser_,
                     [self](const boost::system::error_code& err, size_t) {
                       if (err) {
                         self->finish();
                         return;
                       }
                       self->on_request();
                     });
  }

private:
  void on_request() {
    auto& req = parser_->get();
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      respond(405, "text/plain", "only GET is supported\n");
      return;
    }
    head_only_ = req.method() == http::verb::head;
    std::weak_ptr<http_session> weak = shared_from_this();
    auto executor = sock_.get_executor();
    (*handler_)(
        std::string{req.target()},
        [weak, executor](unsigned status, std::string type, std::string body) {
          asio::post(executor, [weak, status, t = std::move(type),
                                b = std::move(body)]() mutable {
            if (auto self = weak.lock())
              self->respond(status, std::move(t), std::move(b));
          });
        });
  }

  void respond(unsigned status, std::string type, std::string body) {
    if (!sock_.is_open())
      return;
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(status), 11);
    res->set(http::field::content_type, type);
    res->keep_alive(false);
    res->body() = head_only_ ? std::string{} : std::move(body);
    res->prepare_payload();
    auto self = shared_from_this();
    http::async_write(sock_, *res,
                      [self, res](const boost::system::error_code&, size_t) {
                        self->finish();
                      });
  }

  void finish() {
    boost::system::error_code ignored;
    timer_.cancel();
    sock_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    sock_.close(ignored);
  }

  asio::ip::tcp::socket sock_;
  asio::steady_timer timer_;
  std::shared_ptr<const http_server::request_handler> handler_;
  beast::flat_buffer buf_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  bool head_only_ = false;
};

} // namespace

struct http_server::impl {
  std::shared_ptr<listener> acceptor;
};

http_server::http_server(std::shared_ptr<impl> ptr) : impl_(std::move(ptr)) {
}

http_server::~http_server() {
  close();
}

uint16_t http_server::port() const noexcept {
  return impl_->acceptor->port();
}

void http_server::close() {
  impl_->acceptor->close();
}

std::shared_ptr<http_server>
http_server::open(io_runtime& io, const std::string& address, uint16_t port,
                  request_handler on_request, std::error_code& err,
                  std::string& what) {
  auto handler = std::make_shared<const request_handler>(std::move(on_request));
  auto on_socket = [handler](asio::ip::tcp::socket sock,
                             const std::shared_ptr<listener::impl>&) {
    std::make_shared<http_session>(std::move(sock), handler)->start();
  };
  auto acc =
      open_acceptor(io, address, port, true, std::move(on_socket), err, what);
  if (!acc)
    return nullptr;
  auto ptr = std::make_shared<impl>();
  ptr->acceptor = std::move(acc);
  return std::make_shared<http_server>(std::move(ptr));
}

} // namespace broker::net
