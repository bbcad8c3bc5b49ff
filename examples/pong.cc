// pong: the answering half of the ping/pong example (upstream Broker's
// documentation shows it as a Zeek script). Listens on 127.0.0.1, answers
// every Zeek event ping(n) on /topic/test with pong(n), and exits after N
// pings.
//
// Usage: pong [N] [--websocket]
//   N            pings to answer before exiting (default 5)
//   --websocket  accept WebSocket clients (examples/ws_client.py) instead of
//                Broker peers, on plain ws:// (TLS disabled)
//
// Prints "listening on 127.0.0.1:PORT" first (port 0: the system picks one),
// so that scripts know where to connect.

#include <broker/broker.hh>
#include <broker/zeek.hh>

#include <cstring>
#include <iostream>
#include <string>

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  int pings = 5;
  bool websocket = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--websocket") == 0)
      websocket = true;
    else
      pings = std::stoi(argv[i]);
  }
  broker::configuration cfg;
  if (websocket)
    cfg.set("broker.disable-ssl", true); // Plain ws:// for the script.
  broker::endpoint ep{std::move(cfg)};
  auto sub = ep.make_subscriber({"/topic/test"});
  auto port = websocket ? ep.web_socket_listen("127.0.0.1", 0)
                        : ep.listen("127.0.0.1", 0);
  if (port == 0) {
    std::cerr << "cannot listen" << std::endl;
    return 1;
  }
  std::cout << "listening on 127.0.0.1:" << port << std::endl;
  for (int answered = 0; answered < pings;) {
    // Bounded wait, so that a lost peer cannot make us hang forever.
    auto msg = sub.get(30s);
    if (!msg) {
      std::cerr << "no ping within 30 s" << std::endl;
      return 1;
    }
    broker::zeek::Event ping{broker::move_data(*msg)};
    if (!ping.valid() || ping.name() != "ping" || ping.args().size() != 1)
      continue;
    std::cout << "received " << ping.name() << broker::to_string(ping.args())
              << std::endl;
    // Reply with the same argument.
    ep.publish("/topic/test", broker::zeek::Event{"pong", ping.args()});
    ++answered;
  }
  // The endpoint's destructor flushes the last pong and says goodbye.
  return 0;
}
