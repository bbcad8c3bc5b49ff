// ping: the asking half of the ping/pong example, as in upstream Broker's
// documentation. Peers with a pong endpoint (examples/pong.cc, or Zeek
// running the docs' pong script), sends N Zeek events ping(n) on
// /topic/test, waits for each pong(n) and prints the round-trip time.
//
// Usage: ping PORT [N]   (peers with 127.0.0.1:PORT; N defaults to 5)

#include <broker/broker.hh>
#include <broker/zeek.hh>

#include <chrono>
#include <iostream>
#include <string>

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: ping PORT [N]" << std::endl;
    return 2;
  }
  auto port = static_cast<uint16_t>(std::stoi(argv[1]));
  int pings = argc == 3 ? std::stoi(argv[2]) : 5;
  // Set up the endpoint and connect to the pong side. Retry 0: a single
  // attempt; `peer` returns once the peering is up or the attempt failed.
  broker::endpoint ep;
  auto sub = ep.make_subscriber({"/topic/test"});
  if (!ep.peer("127.0.0.1", port, 0s)) {
    std::cerr << "could not connect" << std::endl;
    return 1;
  }
  for (int n = 0; n < pings; ++n) {
    // Send the event ping(n) ...
    auto sent = std::chrono::steady_clock::now();
    ep.publish("/topic/test", broker::zeek::Event{"ping", {broker::count(n)}});
    // ... and wait for the pong(n) reply.
    auto msg = sub.get(10s);
    if (!msg) {
      std::cerr << "no pong within 10 s" << std::endl;
      return 1;
    }
    auto rtt = std::chrono::steady_clock::now() - sent;
    broker::zeek::Event pong{broker::get_data(*msg)};
    if (!pong.valid() || pong.name() != "pong") {
      std::cerr << "unexpected message " << broker::get_data(*msg) << std::endl;
      return 1;
    }
    auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(rtt).count();
    std::cout << "received " << pong.name() << broker::to_string(pong.args())
              << " after " << us << " us" << std::endl;
  }
  return 0;
}
