// status_monitor: prints every peering event of an endpoint as it happens:
// statuses (peer_added, peer_removed, peer_lost, endpoint_discovered,
// endpoint_unreachable) and errors (peer_unavailable, peer_invalid, ...).
//
// Usage: status_monitor [PORT [N]]
//   Listens on 127.0.0.1:PORT (default 0: any free port; prints "listening
//   on 127.0.0.1:PORT") and prints events until interrupted or, with N,
//   until N peers have left.

#include <broker/broker.hh>

#include <iostream>
#include <string>
#include <variant>

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  auto port = static_cast<uint16_t>(argc > 1 ? std::stoi(argv[1]) : 0);
  int departures_left = argc > 2 ? std::stoi(argv[2]) : -1;
  broker::endpoint ep;
  // `true`: statuses too, not only errors.
  auto events = ep.make_status_subscriber(true);
  port = ep.listen("127.0.0.1", port);
  if (port == 0) {
    std::cerr << "cannot listen" << std::endl;
    return 1;
  }
  std::cout << "listening on 127.0.0.1:" << port << std::endl;
  while (departures_left != 0) {
    // Blocks until the next event.
    auto event = events.get();
    if (auto err = std::get_if<broker::error>(&event)) {
      std::cout << "error: " << *err << std::endl;
    } else if (auto st = std::get_if<broker::status>(&event)) {
      std::cout << "status: " << *st << std::endl;
      if (departures_left > 0 && (st->code() == broker::sc::peer_lost ||
                                  st->code() == broker::sc::peer_removed))
        --departures_left;
    }
  }
  return 0;
}
