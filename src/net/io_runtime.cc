#include "net/io_runtime.hh"

#include "net/asio.hh"

#include <pthread.h>

namespace broker::net {

io_runtime::io_runtime(size_t num_threads) : impl_(std::make_unique<impl>()) {
  if (num_threads == 0)
    num_threads = 1;
  for (size_t i = 0; i < num_threads; ++i) {
    impl_->threads.emplace_back([ctx = &impl_->context] {
      pthread_setname_np(pthread_self(), "broker.io");
      ctx->run();
    });
  }
}

io_runtime::~io_runtime() {
  stop();
}

void io_runtime::stop() {
  if (impl_->threads.empty())
    return;
  impl_->work.reset();
  impl_->context.stop();
  for (auto& thread : impl_->threads)
    thread.join();
  impl_->threads.clear();
}

void configure_socket(asio::ip::tcp::socket& sock) {
  boost::system::error_code ignored;
  sock.set_option(asio::ip::tcp::no_delay{true}, ignored);
  sock.set_option(asio::socket_base::keep_alive{true}, ignored);
}

} // namespace broker::net
