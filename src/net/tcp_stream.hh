#pragma once

// Internal to net/: the TCP implementation of `stream`.

#include "net/asio.hh"
#include "net/stream.hh"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>

namespace broker::net {

/// A `stream` over a connected TCP socket. All state is touched on the I/O
/// thread only (one io_context thread, so no strand is needed).
class tcp_stream final : public stream {
public:
  /// How long a graceful close waits for the peer to close its side.
  static constexpr std::chrono::seconds linger{2};

  explicit tcp_stream(asio::ip::tcp::socket sock);

  void start(std::shared_ptr<stream_handler> handler) override;

  void write(byte_buffer bytes) override;

  void release(byte_buffer chunk) override;

  void close() override;

  void abort() override;

  const std::string& remote_address() const override { return addr_; }

  uint16_t remote_port() const override { return port_; }

private:
  void do_read();

  void do_write();

  void do_shutdown();

  /// Closes the socket and reports `reason`; `reset` sends an RST instead
  /// of a FIN (forced closes: the peer learns at once, even if it is not
  /// reading).
  void finish(const boost::system::error_code& reason, bool reset = false);

  /// While reading is paused (back-pressure), still notices a reset.
  void watch_errors();

  asio::ip::tcp::socket sock_;
  asio::steady_timer linger_timer_;
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

} // namespace broker::net
