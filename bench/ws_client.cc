#include "ws_client.hh"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <stdexcept>
#include <vector>

namespace broker::bench {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using boost::system::error_code;

/// Bytes collected before a write goes to the socket.
constexpr size_t write_buffer_size = 64 * 1024;

/// A TCP socket whose writes wait in a buffer until it holds
/// `write_buffer_size` bytes or a read begins (Beast writes every frame
/// with its own `write_some`). Synchronous writes, synchronous or
/// asynchronous reads.
class buffered_socket {
public:
  using executor_type = tcp::socket::executor_type;

  using next_layer_type = tcp::socket;

  explicit buffered_socket(asio::io_context& ioc) : sock_(ioc) {}

  executor_type get_executor() { return sock_.get_executor(); }

  tcp::socket& next_layer() { return sock_; }

  template <class Buffers>
  size_t read_some(const Buffers& bufs, error_code& err) {
    if (flush(err))
      return 0;
    return sock_.read_some(bufs, err);
  }

  template <class Buffers>
  size_t read_some(const Buffers& bufs) {
    error_code err;
    auto n = read_some(bufs, err);
    if (err)
      throw boost::system::system_error{err};
    return n;
  }

  template <class Buffers, class Handler>
  auto async_read_some(const Buffers& bufs, Handler&& handler) {
    error_code err;
    flush(err); // a failed write shows up as a failed read, too
    return sock_.async_read_some(bufs, std::forward<Handler>(handler));
  }

  /// Asynchronous writes (Beast's answers while reading: pongs, close)
  /// bypass the buffer, after what it holds.
  template <class Buffers, class Handler>
  auto async_write_some(const Buffers& bufs, Handler&& handler) {
    error_code err;
    flush(err);
    return sock_.async_write_some(bufs, std::forward<Handler>(handler));
  }

  template <class Buffers>
  size_t write_some(const Buffers& bufs, error_code& err) {
    err = {};
    auto n = asio::buffer_size(bufs);
    auto offset = pending_.size();
    pending_.resize(offset + n);
    asio::buffer_copy(asio::buffer(pending_.data() + offset, n), bufs);
    if (pending_.size() >= write_buffer_size && flush(err))
      return 0;
    return n;
  }

  template <class Buffers>
  size_t write_some(const Buffers& bufs) {
    error_code err;
    auto n = write_some(bufs, err);
    if (err)
      throw boost::system::system_error{err};
    return n;
  }

  /// Writes what is buffered. @returns true on error.
  bool flush(error_code& err) {
    err = {};
    if (!pending_.empty())
      asio::write(sock_, asio::buffer(pending_), err);
    pending_.clear();
    return static_cast<bool>(err);
  }

private:
  tcp::socket sock_;
  std::vector<uint8_t> pending_;
};

/// Beast closes a WebSocket by tearing down the layer below it.
void teardown(beast::role_type role, buffered_socket& sock, error_code& err) {
  if (sock.flush(err))
    return;
  websocket::teardown(role, sock.next_layer(), err);
}

template <class Handler>
void async_teardown(beast::role_type role, buffered_socket& sock,
                    Handler&& handler) {
  error_code err;
  sock.flush(err);
  websocket::async_teardown(role, sock.next_layer(),
                            std::forward<Handler>(handler));
}

} // namespace

struct ws_client::impl {
  asio::io_context ioc;
  websocket::stream<buffered_socket> ws{ioc};
  beast::flat_buffer buf;
};

ws_client::ws_client(uint16_t port, const std::string& filter_json)
    : impl_(std::make_unique<impl>()) {
  auto& ws = impl_->ws;
  tcp::endpoint addr{asio::ip::make_address("127.0.0.1"), port};
  ws.next_layer().next_layer().connect(addr);
  ws.next_layer().next_layer().set_option(tcp::no_delay{true});
  ws.handshake("127.0.0.1:" + std::to_string(port), "/v1/messages/json");
  ws.text(true);
  ws.write(asio::buffer(filter_json));
  ws.read(impl_->buf); // spec §5.2: the ack
  auto ack = beast::buffers_to_string(impl_->buf.data());
  impl_->buf.consume(impl_->buf.size());
  if (ack.find("\"type\":\"ack\"") == std::string::npos)
    throw std::runtime_error("expected an ack, got: " + ack);
}

ws_client::~ws_client() = default;

void ws_client::send(size_t n,
                     const std::function<void(size_t, std::string&)>& make) {
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    text.clear();
    make(i, text);
    impl_->ws.write(asio::buffer(text));
  }
  error_code err;
  if (impl_->ws.next_layer().flush(err))
    throw boost::system::system_error{err};
}

bool ws_client::receive(const std::function<bool(std::string_view)>& on_message,
                        std::chrono::seconds timeout) {
  auto& st = *impl_;
  bool ok = true;
  bool done = false;
  std::function<void()> next = [&] {
    st.ws.async_read(st.buf, [&](const error_code& err, size_t) {
      if (err) {
        ok = false;
        done = true;
        return;
      }
      auto data = st.buf.cdata();
      bool more = on_message(
          std::string_view{static_cast<const char*>(data.data()), data.size()});
      st.buf.consume(st.buf.size());
      if (more)
        next();
      else
        done = true;
    });
  };
  next();
  while (!done) {
    if (st.ioc.run_one_for(timeout) == 0) {
      // Timed out: cancel the read and let its handler run.
      ok = false;
      error_code ignored;
      st.ws.next_layer().next_layer().cancel(ignored);
      st.ioc.restart();
      while (!done && st.ioc.run_one() > 0) {
      }
      break;
    }
  }
  st.ioc.restart();
  return ok;
}

void ws_client::close() {
  error_code ignored;
  impl_->ws.close(websocket::close_code::normal, ignored);
}

} // namespace broker::bench
