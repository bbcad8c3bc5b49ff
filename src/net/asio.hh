#pragma once

// Internal to net/: the Asio side of io_runtime. Only net/*.cc include this.

#include "net/io_runtime.hh"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <thread>
#include <vector>

namespace broker::net {

namespace asio = boost::asio;

struct io_runtime::impl {
  explicit impl() : alarm(context) {}

  asio::io_context context{1};
  asio::steady_timer alarm;
  asio::executor_work_guard<asio::io_context::executor_type> work{
      context.get_executor()};
  std::vector<std::thread> threads;
};

/// Sets the socket options every peering socket gets: TCP_NODELAY (we batch
/// writes ourselves; spec DESIGN.md §2) and SO_KEEPALIVE.
void configure_socket(asio::ip::tcp::socket& sock);

} // namespace broker::net
