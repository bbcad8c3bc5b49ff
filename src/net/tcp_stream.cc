#include "net/tcp_stream.hh"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>

namespace broker::net {

stream_handler::~stream_handler() = default;

stream::~stream() = default;

tcp_stream::tcp_stream(asio::ip::tcp::socket sock)
    : sock_(std::move(sock)), linger_timer_(sock_.get_executor()) {
  boost::system::error_code err;
  auto remote = sock_.remote_endpoint(err);
  if (!err) {
    addr_ = remote.address().to_string();
    port_ = remote.port();
  }
  configure_socket(sock_);
}

void tcp_stream::start(std::shared_ptr<stream_handler> handler) {
  auto self = std::static_pointer_cast<tcp_stream>(shared_from_this());
  asio::post(sock_.get_executor(), [self, h = std::move(handler)]() mutable {
    if (self->finished_) {
      h->on_closed({});
      return;
    }
    self->handler_ = std::move(h);
    self->do_read();
  });
}

void tcp_stream::write(byte_buffer bytes) {
  if (bytes.empty())
    return;
  auto self = std::static_pointer_cast<tcp_stream>(shared_from_this());
  asio::post(sock_.get_executor(), [self, b = std::move(bytes)]() mutable {
    if (self->closing_)
      return;
    self->queued_.emplace_back(std::move(b));
    if (!self->writing_)
      self->do_write();
  });
}

void tcp_stream::release(byte_buffer chunk) {
  auto self = std::static_pointer_cast<tcp_stream>(shared_from_this());
  asio::post(sock_.get_executor(), [self, c = std::move(chunk)]() mutable {
    if (self->unreleased_ > 0)
      --self->unreleased_;
    if (c.size() == chunk_size && self->free_chunks_.size() < 2)
      self->free_chunks_.emplace_back(std::move(c));
    self->do_read();
  });
}

void tcp_stream::close() {
  auto self = std::static_pointer_cast<tcp_stream>(shared_from_this());
  asio::post(sock_.get_executor(), [self] {
    if (self->closing_)
      return;
    self->closing_ = true;
    if (!self->writing_)
      self->do_write();
  });
}

void tcp_stream::abort() {
  auto self = std::static_pointer_cast<tcp_stream>(shared_from_this());
  asio::post(sock_.get_executor(), [self] { self->finish({}, true); });
}

void tcp_stream::do_read() {
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
  auto self = std::static_pointer_cast<tcp_stream>(shared_from_this());
  sock_.async_read_some(
      buf, [self, c = std::move(chunk)](const boost::system::error_code& err,
                                        size_t n) mutable {
        self->reading_ = false;
        if (self->finished_)
          return;
        if (err) {
          // After our own shutdown, the peer's EOF completes a graceful close.
          self->finish(self->closing_ ? boost::system::error_code{} : err);
          return;
        }
        if (self->closing_) {
          self->free_chunks_.emplace_back(std::move(c));
        } else {
          ++self->unreleased_;
          self->handler_->on_data(std::move(c), n);
        }
        self->do_read();
      });
}

void tcp_stream::do_write() {
  if (finished_)
    return;
  if (queued_.empty()) {
    if (closing_ && !shut_down_)
      do_shutdown();
    return;
  }
  in_flight_.swap(queued_);
  std::vector<asio::const_buffer> bufs;
  bufs.reserve(in_flight_.size());
  for (auto& buf : in_flight_)
    bufs.emplace_back(buf.data(), buf.size());
  writing_ = true;
  auto self = std::static_pointer_cast<tcp_stream>(shared_from_this());
  asio::async_write(sock_, bufs,
                    [self](const boost::system::error_code& err, size_t n) {
                      self->writing_ = false;
                      self->in_flight_.clear();
                      if (self->finished_)
                        return;
                      if (err) {
                        self->finish(err);
                        return;
                      }
                      if (self->handler_)
                        self->handler_->on_sent(n);
                      self->do_write();
                    });
}

void tcp_stream::do_shutdown() {
  shut_down_ = true;
  boost::system::error_code ignored;
  sock_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  auto self = std::static_pointer_cast<tcp_stream>(shared_from_this());
  linger_timer_.expires_after(linger);
  linger_timer_.async_wait([self](const boost::system::error_code& err) {
    if (!err)
      self->finish({});
  });
  do_read();
}

void tcp_stream::watch_errors() {
  if (watching_)
    return;
  watching_ = true;
  auto self = std::static_pointer_cast<tcp_stream>(shared_from_this());
  sock_.async_wait(asio::ip::tcp::socket::wait_error,
                   [self](const boost::system::error_code& err) {
                     self->watching_ = false;
                     if (self->finished_ ||
                         err == asio::error::operation_aborted)
                       return;
                     // The socket has an error pending (e.g. a reset): read
                     // it by finishing with the socket's own error.
                     int code = 0;
                     socklen_t len = sizeof(code);
                     ::getsockopt(self->sock_.native_handle(), SOL_SOCKET,
                                  SO_ERROR, &code, &len);
                     if (code != 0)
                       self->finish(boost::system::error_code{
                           code, boost::system::system_category()});
                   });
}

void tcp_stream::finish(const boost::system::error_code& reason, bool reset) {
  if (finished_)
    return;
  finished_ = true;
  closing_ = true;
  linger_timer_.cancel();
  boost::system::error_code ignored;
  if (reset)
    sock_.set_option(asio::socket_base::linger{true, 0}, ignored);
  sock_.close(ignored);
  queued_.clear();
  free_chunks_.clear();
  if (auto handler = std::move(handler_))
    handler->on_closed(std::error_code{reason});
}

} // namespace broker::net
