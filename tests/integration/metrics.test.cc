// Per-peer metrics: endpoint::metrics() and the Prometheus exporter of
// broker.metrics.port.

#include "broker/peer_metrics.hh"

#include "broker/endpoint.hh"
#include "support/endpoints.hh"
#include "support/events.hh"
#include "support/raw_socket.hh"

#include <catch2/catch.hpp>

#include <optional>
#include <stdexcept>
#include <string>

using namespace broker;
using namespace broker::test;

namespace {

const std::string payload(50, 'x');

/// Returns `ep`'s metrics entry for `peer` (if it has one).
std::optional<peer_metrics> metrics_of(const endpoint& ep,
                                       const endpoint_id& peer) {
  for (auto& x : ep.metrics())
    if (x.peer.node == peer)
      return x;
  return std::nullopt;
}

/// Sends `GET <target>` to 127.0.0.1:`port` and returns the whole answer.
std::string http_get(uint16_t port, const std::string& target) {
  auto sock = raw_socket::connect(port);
  auto request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  REQUIRE(sock.send(std::vector<uint8_t>{request.begin(), request.end()}));
  return sock.read_until_closed(wait_bound);
}

/// Returns the value of the sample line that starts with `prefix` (metric
/// name plus labels), or nullopt.
std::optional<std::string> sample(const std::string& text,
                                  const std::string& prefix) {
  auto pos = text.find("\n" + prefix);
  if (pos == std::string::npos)
    return std::nullopt;
  auto start = text.find(' ', pos + 1 + prefix.size());
  auto end = text.find('\n', start);
  return text.substr(start + 1, end - start - 1);
}

} // namespace

TEST_CASE("metrics count the messages and bytes of each peering", "[metrics]") {
  auto cfg = test_config();
  cfg.set("broker.heartbeat-interval", timespan{100ms});
  endpoint a{cfg};
  endpoint b{test_config()};
  auto sub = b.make_subscriber({"/m"});
  auto port = b.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  REQUIRE(a.peer("127.0.0.1", port, 0s));
  REQUIRE(wait_until([&] { return !a.peer_subscriptions().empty(); }));
  constexpr size_t num = 1'000;
  for (size_t i = 0; i < num; ++i)
    a.publish("/m", numbered_event(i, payload));
  size_t got = 0;
  while (got < num && sub.get(wait_bound))
    ++got;
  REQUIRE(got == num);
  // The sender's view of the receiver.
  REQUIRE(wait_until([&] {
    auto x = metrics_of(a, b.node_id());
    return x && x->messages_out == num && x->round_trip;
  }));
  auto at_a = *metrics_of(a, b.node_id());
  CHECK(at_a.messages_in == 0);
  CHECK(at_a.bytes_out > num * payload.size());
  CHECK(at_a.bytes_in > 0); // handshake and pongs
  CHECK(at_a.queue_depth == 0);
  CHECK(at_a.queue_capacity == 2048);
  CHECK(at_a.dropped_newest == 0);
  CHECK(at_a.dropped_oldest == 0);
  CHECK(at_a.reconnects == 0);
  CHECK_FALSE(at_a.web_socket);
  CHECK(has_flags(at_a.flags, peer_flags::outbound));
  REQUIRE(at_a.round_trip);
  CHECK(*at_a.round_trip > timespan{0});
  CHECK(*at_a.round_trip < wait_bound);
  REQUIRE(at_a.peer.network);
  CHECK(at_a.peer.network->port == port);
  // The receiver's view of the sender.
  auto at_b = metrics_of(b, a.node_id());
  REQUIRE(at_b);
  CHECK(at_b->messages_in == num);
  CHECK(at_b->bytes_in > num * payload.size());
  CHECK(has_flags(at_b->flags, peer_flags::inbound));
  // Gone with the peering.
  REQUIRE(a.unpeer("127.0.0.1", port));
  CHECK(a.metrics().empty());
}

TEST_CASE("broker.metrics.port serves the metrics in Prometheus format",
          "[metrics]") {
  auto cfg = test_config();
  cfg.set("broker.metrics.port", uint64_t{0});
  cfg.set("broker.metrics.endpoint-name", std::string{"node \"a\""});
  endpoint a{cfg};
  auto port = a.metrics_port();
  REQUIRE(port != 0);
  endpoint b{test_config()};
  auto sub = b.make_subscriber({"/p"});
  auto bport = b.listen("127.0.0.1", 0);
  REQUIRE(a.peer("127.0.0.1", bport, 0s));
  REQUIRE(wait_until([&] { return !a.peer_subscriptions().empty(); }));
  for (size_t i = 0; i < 10; ++i)
    a.publish("/p", numbered_event(i, payload));
  size_t got = 0;
  while (got < 10 && sub.get(wait_bound))
    ++got;
  REQUIRE(got == 10);
  REQUIRE(wait_until([&] {
    auto x = metrics_of(a, b.node_id());
    return x && x->messages_out == 10;
  }));
  auto answer = http_get(port, "/metrics");
  INFO(answer);
  CHECK(answer.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(answer.find("Content-Type: text/plain; version=0.0.4") !=
        std::string::npos);
  CHECK(answer.find("# TYPE broker_peer_sent_messages_total counter") !=
        std::string::npos);
  std::string id;
  convert(b.node_id(), id);
  auto labels = "{endpoint=\"node \\\"a\\\"\",peer=\"" + id +
                "\",address=\"127.0.0.1:" + std::to_string(bport) +
                "\",type=\"native\"}";
  CHECK(sample(answer, "broker_peer_sent_messages_total" + labels) == "10");
  CHECK(sample(answer, "broker_peer_received_messages_total" + labels) == "0");
  CHECK(sample(answer, "broker_peer_queue_capacity_messages" + labels) ==
        "2048");
  CHECK(
      sample(
          answer,
          "broker_connections{endpoint=\"node \\\"a\\\"\",type=\"native\"}") ==
      "1");
  // Other paths and methods get errors, and the exporter keeps serving.
  CHECK(http_get(port, "/other").rfind("HTTP/1.1 404", 0) == 0);
  {
    auto sock = raw_socket::connect(port);
    std::string post = "POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    REQUIRE(sock.send(std::vector<uint8_t>{post.begin(), post.end()}));
    CHECK(sock.read_until_closed(wait_bound).rfind("HTTP/1.1 405", 0) == 0);
  }
  CHECK(http_get(port, "/metrics").rfind("HTTP/1.1 200", 0) == 0);
}

TEST_CASE("to_prometheus escapes label values and skips unknown round trips",
          "[metrics]") {
  peer_metrics x;
  x.peer.node = endpoint_id::random();
  x.peer.network = network_info{"::1", 4711};
  x.messages_in = 3;
  x.web_socket = true;
  auto text = to_prometheus({x}, "a\\b\nc");
  INFO(text);
  CHECK(text.find("endpoint=\"a\\\\b\\nc\"") != std::string::npos);
  CHECK(text.find("address=\"::1:4711\",type=\"web-socket\"} 3") !=
        std::string::npos);
  CHECK(text.find("broker_connections{endpoint=\"a\\\\b\\nc\","
                  "type=\"web-socket\"} 1") != std::string::npos);
  CHECK(text.find("broker_peer_round_trip_seconds{") == std::string::npos);
  x.round_trip = timespan{1'500'000};
  text = to_prometheus({x}, "n");
  CHECK(text.find("broker_peer_round_trip_seconds{") != std::string::npos);
  CHECK(text.find("} 0.0015\n") != std::string::npos);
}

TEST_CASE("a bad broker.metrics.port makes the constructor throw",
          "[metrics]") {
  auto cfg = test_config();
  cfg.set("broker.metrics.port", std::string{"http"});
  CHECK_THROWS_AS(endpoint{cfg}, std::invalid_argument);
  auto cfg2 = test_config();
  cfg2.set("broker.metrics.port", std::string{"0/tcp"});
  endpoint ok{cfg2};
  CHECK(ok.metrics_port() != 0);
  endpoint none{test_config()};
  CHECK(none.metrics_port() == 0);
}
