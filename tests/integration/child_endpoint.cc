// A separate process hosting one endpoint, for multi-process tests.
//
//   child_endpoint listen [--subscribe TOPIC]...
//
// Listens on 127.0.0.1 (ephemeral port) and prints `port <n>`, then prints
// one line per status/error event (`event <code>`) until its stdin closes,
// then shuts down and exits 0. Subscribers made with --subscribe are never
// read (to exercise back-pressure).

#include "broker/broker.hh"

#include "support/endpoints.hh"

#include <poll.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "listen") != 0) {
    std::cerr << "usage: child_endpoint listen [--subscribe TOPIC]...\n";
    return 2;
  }
  broker::endpoint ep{broker::test::test_config()};
  auto events = ep.make_status_subscriber(true);
  std::vector<broker::subscriber> subs;
  for (int i = 2; i + 1 < argc; i += 2)
    if (std::strcmp(argv[i], "--subscribe") == 0)
      subs.emplace_back(ep.make_subscriber({broker::topic{argv[i + 1]}}, 16));
  auto port = ep.listen("127.0.0.1", 0);
  if (port == 0) {
    std::cerr << "cannot listen\n";
    return 1;
  }
  std::cout << "port " << port << std::endl;
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
