// The README demo: two endpoints in two processes peer over loopback, print
// their status events, exchange a Zeek event, and say goodbye.
//
// Usage: demo            (starts the listener and forks the peer)

#include <broker/broker.hh>
#include <broker/zeek.hh>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <variant>

using namespace std::chrono_literals;

namespace {

void print_event(const char* who,
                 const broker::status_subscriber::value_type& x) {
  if (auto st = std::get_if<broker::status>(&x))
    std::cout << who << ": status " << *st << std::endl;
  else if (auto err = std::get_if<broker::error>(&x))
    std::cout << who << ": error  " << *err << std::endl;
}

/// Prints every event that arrives within `wait`.
void drain(const char* who, broker::status_subscriber& events,
           broker::timespan wait) {
  for (;;) {
    auto x = events.get(wait);
    if (std::holds_alternative<broker::none>(x))
      return;
    print_event(who, x);
  }
}

// Default settings: the peering runs over anonymous TLS, as upstream's.
broker::configuration make_config() {
  return broker::configuration{broker::broker_options{}};
}

int run_peer(uint16_t port) {
  broker::endpoint ep{make_config()};
  auto events = ep.make_status_subscriber(true);
  auto sub = ep.make_subscriber({"/demo/replies"});
  if (!ep.peer("127.0.0.1", port, 0s)) {
    drain("peer    ", events, 100ms);
    return 1;
  }
  drain("peer    ", events, 200ms);
  broker::zeek::Event ping{"ping", {broker::count{42}, "hello from the peer"}};
  ep.publish("/demo/events", ping);
  // Wait for the listener's answer, then leave.
  if (auto msg = sub.get(5s))
    std::cout << "peer    : got " << broker::get_topic(*msg) << " "
              << broker::get_data(*msg) << std::endl;
  ep.unpeer("127.0.0.1", port);
  drain("peer    ", events, 100ms);
  return 0;
}

} // namespace

int main() {
  broker::endpoint ep{make_config()};
  auto events = ep.make_status_subscriber(true);
  auto sub = ep.make_subscriber({"/demo/events"});
  auto port = ep.listen("127.0.0.1", 0);
  if (port == 0) {
    std::cerr << "cannot listen" << std::endl;
    return 1;
  }
  std::cout << "listener: " << ep.node_id() << " on 127.0.0.1:" << port
            << std::endl;
  std::cout.flush();
  auto child = fork();
  if (child == 0) {
    // The peer runs in its own process with its own endpoint.
    _exit(run_peer(port));
  }
  drain("listener", events, 300ms);
  if (auto msg = sub.get(5s)) {
    std::cout << "listener: got " << broker::get_topic(*msg) << " "
              << broker::get_data(*msg) << std::endl;
    broker::zeek::Event pong{"pong", {broker::count{42}}};
    ep.publish("/demo/replies", pong);
  }
  int status = 0;
  waitpid(child, &status, 0);
  drain("listener", events, 200ms);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
