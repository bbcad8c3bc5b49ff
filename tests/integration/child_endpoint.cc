// A separate process hosting one endpoint, for multi-process tests.
//
//   child_endpoint [--listen | --listen-any] [--peer PORT]
//                  [--subscribe TOPIC]...
//                  [--queue N] [--receive N] [--slow-us U]
//                  [--publish TOPIC --send N] [--set KEY=VALUE]...
//                  [--mapped FILE]...
//
// Prints, one per line:
// - `port <n>` after --listen bound 127.0.0.1 (ephemeral port), or
//   --listen-any all interfaces (`listen("")`);
// - `peered <0|1>` after --peer;
// - `sent <n>` after publishing N numbered events on --publish TOPIC (once a
//   peer subscribes to TOPIC);
// - `received <n> in_order <0|1>` after reading --receive N numbered events
//   from its subscribers (sleeping U microseconds per message), or after 60
//   seconds without a message;
// - `mapped <FILE> <0|1>` after the steps above: whether a file whose name
//   contains FILE is mapped into this process (e.g. libssl.so);
// - `event <code>` for each status/error event (while idle).
// Subscribers that nobody reads (--subscribe without --receive) exercise
// back-pressure. Exits 0 after its stdin closes (shutting down first).

#include "broker/broker.hh"

#include "support/endpoints.hh"
#include "support/events.hh"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct options {
  bool listen = false;
  bool listen_any = false;
  uint16_t peer = 0;
  std::vector<std::string> subscribe;
  size_t queue = 64;
  size_t receive = 0;
  unsigned slow_us = 0;
  std::string publish;
  size_t send = 0;
  std::vector<std::pair<std::string, std::string>> settings;
  std::vector<std::string> mapped;
};

[[noreturn]] void usage() {
  std::cerr << "usage: child_endpoint [--listen | --listen-any] [--peer PORT] "
               "[--subscribe TOPIC]... [--queue N] [--receive N] "
               "[--slow-us U] [--publish TOPIC --send N] "
               "[--set KEY=VALUE]... [--mapped FILE]...\n";
  std::exit(2);
}

options parse(int argc, char** argv) {
  options opts;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&] {
      if (i + 1 >= argc)
        usage();
      return std::string{argv[++i]};
    };
    if (arg == "--listen")
      opts.listen = true;
    else if (arg == "--listen-any")
      opts.listen = opts.listen_any = true;
    else if (arg == "--peer")
      opts.peer = static_cast<uint16_t>(std::stoul(next()));
    else if (arg == "--subscribe")
      opts.subscribe.push_back(next());
    else if (arg == "--queue")
      opts.queue = std::stoul(next());
    else if (arg == "--receive")
      opts.receive = std::stoul(next());
    else if (arg == "--slow-us")
      opts.slow_us = static_cast<unsigned>(std::stoul(next()));
    else if (arg == "--publish")
      opts.publish = next();
    else if (arg == "--send")
      opts.send = std::stoul(next());
    else if (arg == "--set") {
      auto kv = next();
      auto eq = kv.find('=');
      if (eq == std::string::npos)
        usage();
      opts.settings.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    } else if (arg == "--mapped")
      opts.mapped.push_back(next());
    else
      usage();
  }
  return opts;
}

/// Returns whether a file whose path contains `name` is mapped.
bool is_mapped(const std::string& name) {
  std::ifstream maps{"/proc/self/maps"};
  std::string line;
  while (std::getline(maps, line))
    if (line.find(name) != std::string::npos)
      return true;
  return false;
}

/// Waits until some peer subscribed to `t` (bounded).
bool await_subscription(broker::endpoint& ep, const broker::topic& t) {
  return broker::test::wait_until([&] {
    for (auto& x : ep.peer_subscriptions())
      if (x.prefix_of(t))
        return true;
    return false;
  });
}

void receive(std::vector<broker::subscriber>& subs, size_t num,
             unsigned slow_us) {
  size_t got = 0;
  bool in_order = true;
  auto& sub = subs.front();
  while (got < num) {
    auto msg = sub.get(60s);
    if (!msg)
      break;
    if (broker::test::event_number(broker::get_data(*msg)) != got)
      in_order = false;
    ++got;
    if (slow_us > 0)
      std::this_thread::sleep_for(std::chrono::microseconds{slow_us});
  }
  std::cout << "received " << got << " in_order " << (in_order ? 1 : 0)
            << std::endl;
}

} // namespace

int main(int argc, char** argv) {
  auto opts = parse(argc, argv);
  auto cfg = broker::test::test_config();
  for (auto& [key, value] : opts.settings)
    cfg.set(key, value);
  broker::endpoint ep{std::move(cfg)};
  auto events = ep.make_status_subscriber(true);
  std::vector<broker::subscriber> subs;
  for (auto& t : opts.subscribe)
    subs.emplace_back(ep.make_subscriber({broker::topic{t}}, opts.queue));
  if (opts.listen) {
    broker::error err;
    auto port = ep.listen(opts.listen_any ? "" : "127.0.0.1", 0, &err);
    if (port == 0) {
      std::cerr << "cannot listen: " << err << "\n";
      return 1;
    }
    std::cout << "port " << port << std::endl;
  }
  if (opts.peer != 0)
    std::cout << "peered " << ep.peer("127.0.0.1", opts.peer, 0s) << std::endl;
  if (!opts.publish.empty()) {
    broker::topic t{opts.publish};
    if (!await_subscription(ep, t)) {
      std::cerr << "no peer subscribed to " << opts.publish << "\n";
      return 1;
    }
    auto pub = ep.make_publisher(t);
    std::string payload(50, 'x');
    for (size_t i = 0; i < opts.send; ++i)
      pub.publish(broker::test::numbered_event(i, payload));
    std::cout << "sent " << opts.send << std::endl;
  }
  if (opts.receive > 0 && !subs.empty())
    receive(subs, opts.receive, opts.slow_us);
  for (auto& name : opts.mapped)
    std::cout << "mapped " << name << ' ' << (is_mapped(name) ? 1 : 0)
              << std::endl;
  pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {events.fd(), POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0)
      continue;
    if (fds[1].revents & POLLIN)
      for (auto& x : events.poll())
        std::cout << "event " << broker::test::code_of(x) << std::endl;
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      char buf[64];
      if (::read(STDIN_FILENO, buf, sizeof(buf)) <= 0)
        break;
    }
  }
  ep.shutdown();
  return 0;
}
