// publisher: the sending half of the publisher/subscriber example. Peers
// with a subscriber (examples/subscriber.cc), publishes N numbers on
// /demo/numbers through a flow-controlled publisher, and waits until the
// subscriber, having got them all, leaves.
//
// Usage: publisher PORT [N]   (peers with 127.0.0.1:PORT; N defaults to 10)

#include <broker/broker.hh>

#include <iostream>
#include <string>
#include <variant>

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: publisher PORT [N]" << std::endl;
    return 2;
  }
  auto port = static_cast<uint16_t>(std::stoi(argv[1]));
  int total = argc == 3 ? std::stoi(argv[2]) : 10;
  broker::endpoint ep;
  auto events = ep.make_status_subscriber(true);
  // Retry 0: a single attempt; `peer` returns once it succeeded or failed.
  if (!ep.peer("127.0.0.1", port, 0s)) {
    std::cerr << "could not connect" << std::endl;
    return 1;
  }
  // A publisher blocks in `publish` while its queue is full, instead of
  // piling up messages that the network cannot take yet.
  auto pub = ep.make_publisher("/demo/numbers");
  for (int i = 0; i < total; ++i)
    pub.publish(broker::count(i));
  std::cout << "published " << total << " messages" << std::endl;
  // The subscriber leaves once it has them all: wait for that (bounded).
  for (;;) {
    auto event = events.get(30s);
    if (std::holds_alternative<broker::none>(event)) {
      std::cerr << "the subscriber did not leave within 30 s" << std::endl;
      return 1;
    }
    if (auto st = std::get_if<broker::status>(&event);
        st && st->code() == broker::sc::peer_lost) {
      std::cout << "subscriber left" << std::endl;
      return 0;
    }
  }
}
