// subscriber: the receiving half of the publisher/subscriber example.
// Listens on 127.0.0.1, prints every message on /demo/numbers and exits
// after N of them.
//
// Usage: subscriber [N]   (N defaults to 10; prints "listening on
//                          127.0.0.1:PORT" first)

#include <broker/broker.hh>

#include <iostream>
#include <string>

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  int expected = argc > 1 ? std::stoi(argv[1]) : 10;
  broker::endpoint ep;
  // Subscribe before peering, so that the first message is not missed: the
  // filter travels with the handshake.
  auto sub = ep.make_subscriber({"/demo/numbers"});
  auto port = ep.listen("127.0.0.1", 0);
  if (port == 0) {
    std::cerr << "cannot listen" << std::endl;
    return 1;
  }
  std::cout << "listening on 127.0.0.1:" << port << std::endl;
  for (int i = 0; i < expected; ++i) {
    auto msg = sub.get(30s);
    if (!msg) {
      std::cerr << "got only " << i << " of " << expected << " messages"
                << std::endl;
      return 1;
    }
    std::cout << broker::get_topic(*msg) << ": " << broker::get_data(*msg)
              << std::endl;
  }
  return 0;
}
