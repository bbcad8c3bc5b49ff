#include "support/endpoints.hh"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace broker::test {

configuration test_config() {
  broker_options opts;
  opts.disable_ssl = true;
  configuration cfg{opts};
  cfg.set("broker.heartbeat-interval", timespan{200ms});
  cfg.set("broker.heartbeat-timeout", timespan{3s});
  cfg.set("broker.handshake-timeout", timespan{3s});
  cfg.set("broker.shutdown-timeout", timespan{4s});
  // Lets the whole suite run with another scheduler setting, e.g.
  // BROKER_TEST_SCHEDULER_THREADS=0 (actors on the I/O thread).
  if (auto threads = std::getenv("BROKER_TEST_SCHEDULER_THREADS"))
    cfg.set("caf.scheduler.max-threads", std::string{threads});
  return cfg;
}

std::string code_of(const status_subscriber::value_type& x) {
  if (auto st = std::get_if<status>(&x))
    return std::string{enum_str(st->code())};
  if (auto err = std::get_if<error>(&x))
    return "error:" + std::string{enum_str(err->code())};
  return "none";
}

endpoint_info context_of(const status_subscriber::value_type& x) {
  if (auto st = std::get_if<status>(&x)) {
    if (auto ctx = st->context())
      return *ctx;
  } else if (auto err = std::get_if<error>(&x)) {
    if (auto ctx = err->context())
      return *ctx;
  }
  return endpoint_info{};
}

std::string message_of(const status_subscriber::value_type& x) {
  if (auto st = std::get_if<status>(&x))
    return *st->message();
  if (auto err = std::get_if<error>(&x))
    if (auto msg = err->message())
      return *msg;
  return {};
}

event_log::event_log(endpoint& ep) : sub_(ep.make_status_subscriber(true)) {
}

status_subscriber::value_type event_log::next(timespan timeout) {
  return sub_.get(timeout);
}

std::vector<status_subscriber::value_type> event_log::events(size_t num,
                                                             timespan timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<status_subscriber::value_type> result;
  while (result.size() < num) {
    auto left = deadline - std::chrono::steady_clock::now();
    auto x = sub_.get(std::chrono::duration_cast<timespan>(left));
    if (std::holds_alternative<none>(x))
      break;
    result.emplace_back(std::move(x));
  }
  return result;
}

std::vector<std::string> event_log::codes(size_t num, timespan timeout) {
  std::vector<std::string> result;
  for (auto& x : events(num, timeout))
    result.emplace_back(code_of(x));
  return result;
}

status_subscriber::value_type event_log::wait_for(const std::string& code,
                                                  timespan timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= timespan{0})
      return none{};
    auto x = sub_.get(std::chrono::duration_cast<timespan>(left));
    if (std::holds_alternative<none>(x))
      return x;
    if (code_of(x) == code)
      return x;
    skipped_.emplace_back(code_of(x));
  }
}

std::vector<std::string> event_log::drain(timespan period) {
  std::vector<std::string> result;
  auto deadline = std::chrono::steady_clock::now() + period;
  for (;;) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= timespan{0})
      return result;
    auto x = sub_.get(std::chrono::duration_cast<timespan>(left));
    if (std::holds_alternative<none>(x))
      return result;
    result.emplace_back(code_of(x));
  }
}

size_t num_peered(const endpoint& ep) {
  size_t result = 0;
  for (auto& info : ep.peers())
    if (info.status == peer_status::peered)
      ++result;
  return result;
}

bool peer_wants(const endpoint& ep, const topic& t) {
  return wait_until([&] {
    for (auto& x : ep.peer_subscriptions())
      if (x.prefix_of(t))
        return true;
    return false;
  });
}

std::vector<peer_info> peers_at(const endpoint& ep, const std::string& address,
                                uint16_t port) {
  std::vector<peer_info> result;
  for (auto& info : ep.peers())
    if (info.peer.network && info.peer.network->address == address &&
        info.peer.network->port == port)
      result.emplace_back(info);
  return result;
}

uint16_t unused_port() {
  auto fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind an ephemeral port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

} // namespace broker::test
