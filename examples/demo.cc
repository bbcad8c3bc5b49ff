// The README demo: two endpoints in two processes peer over loopback, print
// their status events, exchange a Zeek event, and say goodbye.
//
// Usage: demo              (starts the listener, then itself as the peer)
//        demo --peer PORT  (the peer; started by the listener)
//
// The peer is a fresh process (posix_spawn of this program), not a fork of
// the listener: a fork would copy a process whose endpoint threads run.

#include <broker/broker.hh>
#include <broker/zeek.hh>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <variant>

extern char** environ;

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
  auto msg = sub.get(5s);
  if (msg)
    std::cout << "peer    : got " << broker::get_topic(*msg) << " "
              << broker::get_data(*msg) << std::endl;
  ep.unpeer("127.0.0.1", port);
  drain("peer    ", events, 100ms);
  return msg ? 0 : 1;
}

/// Starts this program again as the peer of `port`; returns its PID or -1.
pid_t spawn_peer(const char* self, uint16_t port) {
  auto port_str = std::to_string(port);
  char peer_flag[] = "--peer";
  char* argv[] = {const_cast<char*>(self), peer_flag, port_str.data(), nullptr};
  pid_t pid = -1;
  // /proc/self/exe: this very binary, however it was started.
  if (posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv, environ) != 0)
    return -1;
  return pid;
}

} // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--peer") == 0)
    return run_peer(static_cast<uint16_t>(std::stoul(argv[2])));
  if (argc != 1) {
    std::cerr << "usage: demo [--peer PORT]" << std::endl;
    return 2;
  }
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
  // The peer runs in its own process with its own endpoint.
  auto child = spawn_peer(argv[0], port);
  if (child < 0) {
    std::cerr << "cannot start the peer" << std::endl;
    return 1;
  }
  drain("listener", events, 300ms);
  auto msg = sub.get(5s);
  if (msg) {
    std::cout << "listener: got " << broker::get_topic(*msg) << " "
              << broker::get_data(*msg) << std::endl;
    broker::zeek::Event pong{"pong", {broker::count{42}}};
    ep.publish("/demo/replies", pong);
  }
  int status = 0;
  waitpid(child, &status, 0);
  drain("listener", events, 200ms);
  // Success: both sides got their message and the peer exited cleanly.
  return msg && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
