// A minimal host application for broker-bench's `peering` figure: one
// endpoint that listens (plaintext) and idles until its stdin closes, so
// that its threads, RSS and CPU are the library's, not a benchmark's.

#include "broker/broker.hh"

#include <unistd.h>

#include <iostream>

int main() {
  broker::broker_options opts;
  opts.disable_ssl = true;
  broker::endpoint ep{broker::configuration{opts}};
  std::cout << "port " << ep.listen("127.0.0.1", 0) << std::endl;
  char buf[64];
  while (::read(STDIN_FILENO, buf, sizeof(buf)) > 0) {
    // wait for EOF
  }
  return 0;
}
