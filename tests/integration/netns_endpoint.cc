// An endpoint driven line by line over stdin, for tests that run it in a
// network namespace (`ip netns exec <ns> netns_endpoint ...`) and change
// the network under it while it runs.
//
//   netns_endpoint [--set KEY=VALUE]...
//
// Commands (one per line) and what they print:
// - `listen ADDRESS`: `port <n>` (ephemeral port) or `error <text>`;
// - `peer ADDRESS PORT RETRY_SECONDS`: nothing (`peer_nosync`; watch the
//   events);
// - `subscribe TOPIC`: `subscribed` once the filter is in place;
// - `publish TOPIC FIRST END`: numbered events FIRST..END-1, then
//   `published <END>`;
// - `count FIRST END`: `count <k> in_order <0|1>`: how many numbered
//   events with numbers in [FIRST, END) arrived, and whether they arrived
//   in increasing order.
// Every status or error event is printed as `event <code>` when it
// arrives. Exits 0 after stdin closes (shutting down first).

#include "broker/broker.hh"

#include "support/endpoints.hh"
#include "support/events.hh"

#include <poll.h>
#include <unistd.h>

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

/// Numbered events received so far, in arrival order.
std::vector<uint64_t> received;

void on_message(const broker::data_message& msg) {
  if (auto n = broker::test::event_number(broker::get_data(msg)))
    received.push_back(*n);
}

void count(uint64_t first, uint64_t end) {
  size_t num = 0;
  bool in_order = true;
  std::optional<uint64_t> previous;
  for (auto n : received) {
    if (n < first || n >= end)
      continue;
    ++num;
    if (previous && n <= *previous)
      in_order = false;
    previous = n;
  }
  std::cout << "count " << num << " in_order " << (in_order ? 1 : 0)
            << std::endl;
}

/// Runs one command line; returns false on an unknown command.
bool run(broker::endpoint& ep, std::vector<broker::subscriber>& subs,
         const std::string& line) {
  std::istringstream in{line};
  std::string cmd;
  in >> cmd;
  if (cmd == "listen") {
    std::string addr;
    in >> addr;
    broker::error err;
    auto port = ep.listen(addr, 0, &err);
    if (port == 0)
      std::cout << "error " << err << std::endl;
    else
      std::cout << "port " << port << std::endl;
  } else if (cmd == "peer") {
    std::string addr;
    uint16_t port = 0;
    long retry = 0;
    in >> addr >> port >> retry;
    ep.peer_nosync(addr, port, broker::timeout::seconds{retry});
  } else if (cmd == "subscribe") {
    std::string t;
    in >> t;
    subs.emplace_back(ep.make_subscriber({broker::topic{t}}, 1024));
    std::cout << "subscribed" << std::endl;
  } else if (cmd == "publish") {
    std::string t;
    uint64_t first = 0;
    uint64_t end = 0;
    in >> t >> first >> end;
    std::string payload(50, 'x');
    for (auto n = first; n < end; ++n)
      ep.publish(broker::topic{t}, broker::test::numbered_event(n, payload));
    std::cout << "published " << end << std::endl;
  } else if (cmd == "count") {
    uint64_t first = 0;
    uint64_t end = 0;
    in >> first >> end;
    count(first, end);
  } else {
    return false;
  }
  return true;
}

} // namespace

int main(int argc, char** argv) {
  auto cfg = broker::test::test_config();
  for (int i = 1; i < argc; i += 2) {
    std::string arg = argv[i];
    std::string kv = i + 1 < argc ? argv[i + 1] : "";
    auto eq = kv.find('=');
    if (arg != "--set" || eq == std::string::npos) {
      std::cerr << "usage: netns_endpoint [--set KEY=VALUE]...\n";
      return 2;
    }
    cfg.set(kv.substr(0, eq), kv.substr(eq + 1));
  }
  broker::endpoint ep{std::move(cfg)};
  auto events = ep.make_status_subscriber(true);
  std::vector<broker::subscriber> subs;
  std::string input;
  for (;;) {
    std::vector<pollfd> fds{{STDIN_FILENO, POLLIN, 0},
                            {events.fd(), POLLIN, 0}};
    for (auto& sub : subs)
      fds.push_back({sub.fd(), POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0)
      continue;
    if (fds[1].revents & POLLIN)
      for (auto& x : events.poll())
        std::cout << "event " << broker::test::code_of(x) << std::endl;
    for (auto& sub : subs)
      for (auto& msg : sub.poll())
        on_message(msg);
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      char buf[512];
      auto n = ::read(STDIN_FILENO, buf, sizeof(buf));
      if (n <= 0)
        break;
      input.append(buf, static_cast<size_t>(n));
      for (auto nl = input.find('\n'); nl != std::string::npos;
           nl = input.find('\n')) {
        auto line = input.substr(0, nl);
        input.erase(0, nl + 1);
        if (!line.empty() && !run(ep, subs, line)) {
          std::cerr << "unknown command: " << line << "\n";
          return 2;
        }
      }
    }
  }
  ep.shutdown();
  return 0;
}
