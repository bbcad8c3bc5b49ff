#pragma once

// Internal to net/: a stream layer that joins many small writes into few
// system calls. Boost.Beast writes every WebSocket message with its own
// `async_write_some` on the layer below it, which on a socket means one
// system call (and, with TLS, one record) per message; for a client that
// receives a few hundred thousand small messages per second that call is
// most of the cost. Placed between Beast and the socket, this layer copies
// each write into a buffer, completes it at once, and writes the buffer
// with one `async_write` while the next one fills.

#include "net/asio.hh"

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace broker::net {

/// Wraps `NextLayer` (a socket or a TLS stream). Reads come from a buffer
/// refilled with large reads; writes are buffered and flushed in the
/// background, one flush at a time.
///
/// The owner limits how much it buffers: `buffered()` tells how many bytes
/// wait, and `on_drained` runs whenever a flush completed (the owner then
/// writes more, or not). A write error is kept and fails every later write.
///
/// Thread safety: use on the I/O thread only (one io_context thread).
template <class NextLayer>
class coalescing_stream {
public:
  using executor_type = typename NextLayer::executor_type;

  using next_layer_type = NextLayer;

  template <class... Args>
  explicit coalescing_stream(Args&&... args)
      : next_(std::forward<Args>(args)...) {}

  executor_type get_executor() noexcept { return next_.get_executor(); }

  NextLayer& next_layer() noexcept { return next_; }

  const NextLayer& next_layer() const noexcept { return next_; }

  /// Bytes accepted but not written to `NextLayer` yet (including the flush
  /// in progress).
  [[nodiscard]] size_t buffered() const noexcept {
    return pending_.size() + flushing_.size();
  }

  /// Bytes accepted by writes so far (all of them, ever).
  [[nodiscard]] uint64_t accepted_bytes() const noexcept { return accepted_; }

  /// Bytes written to `NextLayer` so far (all of them, ever): a write whose
  /// bytes end at offset `accepted_bytes()` is on the wire once
  /// `flushed_bytes()` reached that offset.
  [[nodiscard]] uint64_t flushed_bytes() const noexcept { return flushed_; }

  /// Called after every completed flush, on the I/O thread.
  void on_drained(std::function<void()> fn) { on_drained_ = std::move(fn); }

  /// While deferred, writes only collect (up to `flush_threshold` bytes):
  /// the owner defers while it writes a run of messages and ends the run
  /// with `defer(false)`, which flushes. Beast completes each message
  /// write before the next may start, so without deferral every message
  /// would go out with its own system call.
  void defer(bool on) {
    deferred_ = on;
    if (!on)
      flush();
  }

  /// Runs `fn` once everything accepted so far is written (or failed).
  void when_flushed(std::function<void()> fn) {
    if (buffered() == 0 || error_) {
      asio::post(get_executor(), std::move(fn));
      return;
    }
    flushed_waiters_.push_back(std::move(fn));
  }

  /// Drops bytes read from `NextLayer` and not taken by a read yet.
  void discard_buffered_input() noexcept { read_pos_ = read_end_; }

  /// Called (on the I/O thread) right before a read goes to `NextLayer`
  /// because nothing is buffered: a read that may wait for the network.
  void on_read_wait(std::function<void()> fn) { on_read_wait_ = std::move(fn); }

  /// Reads are served from a buffer of `read_buffer_size` bytes, refilled
  /// with one read of `NextLayer` (Beast reads at most 1536 bytes at a
  /// time, a system call per few small messages otherwise).
  template <class MutableBuffers, class Handler>
  auto async_read_some(const MutableBuffers& bufs, Handler&& handler) {
    return asio::async_initiate<Handler,
                                void(boost::system::error_code, size_t)>(
        [this](auto&& h, const MutableBuffers& bufs) {
          if (read_pos_ < read_end_) {
            auto n = take_buffered(bufs);
            asio::post(get_executor(),
                       boost::beast::bind_handler(
                           std::move(h), boost::system::error_code{}, n));
            return;
          }
          if (on_read_wait_)
            on_read_wait_();
          read_pos_ = 0;
          read_end_ = 0;
          rbuf_.resize(read_buffer_size);
          next_.async_read_some(
              asio::buffer(rbuf_),
              [this, h = std::move(h), bufs,
               alive = std::weak_ptr<bool>{alive_}](
                  const boost::system::error_code& err, size_t n) mutable {
                // `h` keeps its session (and so `this`) alive; if the
                // layer went anyway, the handler is dropped unrun.
                if (alive.expired())
                  return;
                read_end_ = n;
                auto taken = err && n == 0 ? size_t{0} : take_buffered(bufs);
                h(taken > 0 ? boost::system::error_code{} : err, taken);
              });
        },
        handler, bufs);
  }

  template <class ConstBuffers, class Handler>
  auto async_write_some(const ConstBuffers& bufs, Handler&& handler) {
    return asio::async_initiate<Handler,
                                void(boost::system::error_code, size_t)>(
        [this](auto&& h, const ConstBuffers& bufs) {
          auto n = asio::buffer_size(bufs);
          boost::system::error_code err = error_;
          if (!err) {
            auto offset = pending_.size();
            pending_.resize(offset + n);
            asio::buffer_copy(asio::buffer(pending_.data() + offset, n), bufs);
            accepted_ += n;
            if (!deferred_ || pending_.size() >= flush_threshold)
              flush();
          } else {
            n = 0;
          }
          // Completes like any asynchronous operation: never inline.
          asio::post(get_executor(),
                     boost::beast::bind_handler(std::move(h), err, n));
        },
        handler, bufs);
  }

  /// Bytes that start a flush even while deferred.
  static constexpr size_t flush_threshold = 64 * 1024;

  /// Bytes read from `NextLayer` at a time.
  static constexpr size_t read_buffer_size = 64 * 1024;

private:
  template <class MutableBuffers>
  size_t take_buffered(const MutableBuffers& bufs) {
    auto n = asio::buffer_copy(
        bufs, asio::buffer(rbuf_.data() + read_pos_, read_end_ - read_pos_));
    read_pos_ += n;
    return n;
  }

  void flush() {
    if (!flushing_.empty() || pending_.empty() || error_)
      return;
    std::swap(pending_, flushing_);
    asio::async_write(next_, asio::buffer(flushing_),
                      [this, alive = std::weak_ptr<bool>{alive_}](
                          const boost::system::error_code& err, size_t) {
                        if (alive.expired())
                          return;
                        on_flushed(err);
                      });
  }

  void on_flushed(const boost::system::error_code& err) {
    if (!err)
      flushed_ += flushing_.size();
    flushing_.clear();
    if (err)
      error_ = err;
    else if (!deferred_ || pending_.size() >= flush_threshold)
      flush();
    if (buffered() == 0 || error_) {
      auto waiters = std::move(flushed_waiters_);
      flushed_waiters_.clear();
      for (auto& fn : waiters)
        fn();
    }
    if (on_drained_)
      on_drained_();
  }

  NextLayer next_;
  std::vector<uint8_t> rbuf_;
  size_t read_pos_ = 0;
  size_t read_end_ = 0;
  std::function<void()> on_read_wait_;
  bool deferred_ = false;
  std::vector<uint8_t> pending_;
  std::vector<uint8_t> flushing_;
  uint64_t accepted_ = 0;
  uint64_t flushed_ = 0;
  boost::system::error_code error_;
  std::function<void()> on_drained_;
  std::vector<std::function<void()>> flushed_waiters_;
  /// Expires with this object: a flush completing after destruction (the
  /// socket was closed) does nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

/// Beast's closing handshake ends with a teardown of the layer below the
/// WebSocket: write what is buffered first, then tear down `NextLayer`.
/// A deferred run of writes ends here: its owner may be waiting for a write
/// that Beast holds back until the close is done, and would never end the
/// run itself (found by fuzz/ws_session: close frame after a full read
/// window, with answers still being written).
template <class NextLayer, class Handler>
void async_teardown(boost::beast::role_type role,
                    coalescing_stream<NextLayer>& stream, Handler&& handler) {
  auto h =
      std::make_shared<std::decay_t<Handler>>(std::forward<Handler>(handler));
  stream.defer(false);
  stream.when_flushed([&stream, role, h] {
    using boost::beast::websocket::async_teardown;
    async_teardown(role, stream.next_layer(), std::move(*h));
  });
}

/// The blocking teardown (Beast's synchronous close; unused by us, but part
/// of what Beast expects of a layer).
template <class NextLayer>
void teardown(boost::beast::role_type role,
              coalescing_stream<NextLayer>& stream,
              boost::system::error_code& err) {
  using boost::beast::websocket::teardown;
  teardown(role, stream.next_layer(), err);
}

} // namespace broker::net
