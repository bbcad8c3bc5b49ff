#include "net/io_runtime.hh"

#include "net/asio.hh"

#include <boost/asio/post.hpp>

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

void io_runtime::post(std::function<void()> fn) {
  asio::post(impl_->context, std::move(fn));
}

void io_runtime::set_alarm(std::chrono::steady_clock::time_point deadline,
                           std::function<void()> fn) {
  auto ptr = impl_.get();
  asio::post(ptr->context, [ptr, deadline, fn = std::move(fn)]() mutable {
    ptr->alarm.expires_at(deadline);
    ptr->alarm.async_wait(
        [fn = std::move(fn)](const boost::system::error_code& err) {
          if (!err)
            fn();
        });
  });
}

bool io_runtime::on_io_thread() const noexcept {
  auto self = std::this_thread::get_id();
  for (auto& thread : impl_->threads)
    if (thread.get_id() == self)
      return true;
  return false;
}

void configure_socket(asio::ip::tcp::socket& sock) {
  boost::system::error_code ignored;
  sock.set_option(asio::ip::tcp::no_delay{true}, ignored);
  sock.set_option(asio::socket_base::keep_alive{true}, ignored);
}

} // namespace broker::net
