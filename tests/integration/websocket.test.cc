// WebSocket clients (spec: upstream-broker.md §5, §2.4): a real client
// nobody here wrote (Debian's python3-websockets, run by ws_client.py)
// against our listener, messages crossing native hops both ways, error
// frames, the first-frame rules, HTTP answers for wrong requests, and the
// overflow policy for a client that stops reading.

#include "broker/endpoint.hh"

#include "support/certificates.hh"
#include "support/child_process.hh"
#include "support/endpoints.hh"
#include "support/raw_socket.hh"
#include "support/raw_websocket.hh"

#include <catch2/catch.hpp>

using namespace broker;
using namespace broker::test;
using namespace std::chrono_literals;

namespace {

/// The interpreter that sees Debian's Python packages (DESIGN: "python3 on
/// PATH may be a separate interpreter").
constexpr const char* python = "/usr/bin/python3";

child_process ws_client(std::vector<std::string> args) {
  args.insert(args.begin(), BROKER_WS_CLIENT_SCRIPT);
  return child_process{python, args};
}

std::string line_of(child_process& child, timespan timeout = wait_bound) {
  auto line = child.read_line(timeout);
  REQUIRE(line);
  return *line;
}

/// Returns the rest of a line after `prefix`, requiring the prefix.
std::string after(const std::string& line, const std::string& prefix) {
  INFO("line: " << line);
  REQUIRE(line.rfind(prefix, 0) == 0);
  return line.substr(prefix.size());
}

void connect(endpoint& a, endpoint& b) {
  auto port = b.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  REQUIRE(a.peer("127.0.0.1", port, 0s));
  REQUIRE(b.await_peer(a.node_id(), 5s));
}

std::string id_text(const endpoint& ep) {
  return to_string(ep.node_id());
}

} // namespace

TEST_CASE("a third-party WebSocket client exchanges messages across two "
          "native hops",
          "[websocket][process]") {
  // client <-> A (WebSocket) <-> B <-> C, B forwarding both topics.
  endpoint a{test_config()};
  endpoint b{test_config()};
  endpoint c{test_config()};
  event_log log{a};
  auto sub_c = c.make_subscriber({"/from-client"});
  b.forward({"/from-client", "/to-client"});
  a.forward({"/to-client"}); // client prefixes are not advertised (§5.5)
  connect(a, b);
  connect(b, c);
  REQUIRE(peer_wants(c, "/to-client"));
  REQUIRE(peer_wants(a, "/from-client"));
  log.drain(200ms);
  auto ws_port = a.listen("127.0.0.1", 0, protocol::websocket);
  REQUIRE(ws_port != 0);
  auto client = ws_client({"basic", std::to_string(ws_port)});
  CHECK(after(line_of(client), "ACK ") == R"({"type":"ack","endpoint":")" +
                                              id_text(a) +
                                              R"(","version":"2.8.0"})");
  CHECK(line_of(client) == "READY");
  // The client became a participant with its own ID and statuses (§2.4).
  auto discovered = log.next();
  CHECK(code_of(discovered) == "endpoint_discovered");
  CHECK(message_of(discovered) == "found a new client in the network");
  auto added = log.next();
  CHECK(code_of(added) == "peer_added");
  CHECK(message_of(added) == "handshake successful");
  REQUIRE(context_of(added).network);
  CHECK(context_of(added).network->address == "127.0.0.1");
  auto client_id = context_of(added).node;
  CHECK(client_id != a.node_id());
  // C -> B -> A -> client.
  c.publish("/to-client", data{"hello"});
  CHECK(after(line_of(client), "GOT ") ==
        R"({"type":"data-message","topic":"/to-client",)"
        R"("@data-type":"string","data":"hello"})");
  // client -> A -> B -> C, values unchanged.
  auto msg = sub_c.get(wait_bound);
  REQUIRE(msg);
  CHECK(get_topic(*msg) == topic{"/from-client"});
  CHECK(get_data(*msg) == data{count{42}});
  msg = sub_c.get(wait_bound);
  REQUIRE(msg);
  address v6;
  REQUIRE(convert(std::string{"2001:db8::1"}, v6));
  address net10;
  REQUIRE(convert(std::string{"10.0.0.0"}, net10));
  table tbl;
  tbl.emplace(data{"k"}, data{1.5});
  vector expected{
      data{v6},
      data{subnet{net10, 8}},
      data{port{80, port::protocol::tcp}},
      data{timestamp{timespan{1'700'000'000'123'000'000}}},
      data{timespan{1'500'000'000}},
      data{set{data{enum_value{"Conn::LOG"}}}},
      data{tbl},
  };
  CHECK(get_data(*msg) == data{expected});
  // Bad frames get error frames (spec §5.3) and the connection stays.
  auto error_frame = [&](int n, const std::string& context_prefix) {
    auto frame = after(line_of(client), "ERROR ");
    INFO("frame " << frame);
    CHECK(frame.rfind(R"({"type":"error","code":"deserialization_failed",)"
                      R"("context":"input #)" +
                          std::to_string(n) + " " + context_prefix,
                      0) == 0);
  };
  error_frame(3, "contained malformed JSON -> ");
  error_frame(4, "expected a JSON object");
  error_frame(5, "contained invalid data");
  error_frame(6, "contained invalid data");
  error_frame(7, "caused an internal error -> ");
  msg = sub_c.get(wait_bound);
  REQUIRE(msg);
  CHECK(get_data(*msg) == data{"bye"});
  CHECK(line_of(client) == "DONE");
  // The client left: lost, then unreachable.
  auto lost = log.wait_for("peer_lost");
  CHECK(message_of(lost) == "lost connection to client");
  CHECK(context_of(lost).node == client_id);
  CHECK(code_of(log.next()) == "endpoint_unreachable");
}

TEST_CASE("a bad first frame closes the WebSocket with a reason",
          "[websocket][process]") {
  endpoint a{test_config()};
  event_log log{a};
  auto port = a.listen("127.0.0.1", 0, protocol::websocket);
  REQUIRE(port != 0);
  auto bad = GENERATE(as<std::string>{}, R"({"not":"an array"})",
                      R"(["/ok", 1])", "garbage");
  INFO("first frame " << bad);
  auto client = ws_client({"first", std::to_string(port), bad});
  auto line = line_of(client);
  CHECK(line.rfind("CLOSED 1008 first message must contain a filter", 0) == 0);
  // It never became a client: no events.
  CHECK(log.drain(300ms).empty());
}

TEST_CASE("a filter as first frame is acknowledged", "[websocket][process]") {
  endpoint a{test_config()};
  auto port = a.listen("127.0.0.1", 0, protocol::websocket);
  REQUIRE(port != 0);
  auto client = ws_client({"first", std::to_string(port), "[]"});
  CHECK(after(line_of(client), "ACK ") == R"({"type":"ack","endpoint":")" +
                                              id_text(a) +
                                              R"(","version":"2.8.0"})");
}

TEST_CASE("requests that are no upgrade on the right path get HTTP errors",
          "[websocket]") {
  endpoint a{test_config()};
  auto port = a.listen("127.0.0.1", 0, protocol::websocket);
  REQUIRE(port != 0);
  SECTION("wrong path") {
    auto sock = raw_socket::connect(port);
    std::string req = "GET /v2/foo HTTP/1.1\r\nHost: x\r\nUpgrade: "
                      "websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n";
    REQUIRE(sock.send({req.begin(), req.end()}));
    auto reply = sock.read_until_closed(wait_bound);
    CHECK(reply.rfind("HTTP/1.1 404", 0) == 0);
    CHECK(reply.find("invalid path; try /v1/messages/json") !=
          std::string::npos);
  }
  SECTION("no upgrade") {
    auto sock = raw_socket::connect(port);
    std::string req = "GET /v1/messages/json HTTP/1.1\r\nHost: x\r\n\r\n";
    REQUIRE(sock.send({req.begin(), req.end()}));
    auto reply = sock.read_until_closed(wait_bound);
    CHECK(reply.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(reply.find("/v1/messages/json") != std::string::npos);
  }
  SECTION("garbage, then the listener keeps serving") {
    auto sock = raw_socket::connect(port);
    std::string junk(100, '\x01');
    REQUIRE(sock.send({junk.begin(), junk.end()}));
    CHECK(sock.wait_closed(wait_bound));
    auto client = ws_client({"first", std::to_string(port), "[]"});
    CHECK(line_of(client).rfind("ACK ", 0) == 0);
  }
}

TEST_CASE("a WebSocket client that stops reading is disconnected, others "
          "keep receiving",
          "[websocket][backpressure][process]") {
  auto cfg = test_config();
  cfg.set("broker.web-socket-buffer-size", uint64_t{64});
  // The close (the queued messages, our close frame, the client's answer)
  // is bounded by the handshake timeout, and the client reads again only
  // once B got everything below: under sanitizers that takes longer than
  // test_config()'s 3 s, and the client would be cut off (1006) instead.
  cfg.set("broker.handshake-timeout", timespan{30s});
  endpoint a{std::move(cfg)};
  endpoint b{test_config()};
  event_log log{a};
  auto sub_b = b.make_subscriber({"/flood"}, 100'000);
  connect(a, b);
  REQUIRE(peer_wants(a, "/flood"));
  auto port = a.listen("127.0.0.1", 0, protocol::websocket);
  REQUIRE(port != 0);
  auto client = ws_client({"stall", std::to_string(port)});
  CHECK(line_of(client) == "READY");
  REQUIRE(code_of(log.wait_for("peer_added")) == "peer_added");
  constexpr size_t num = 20'000;
  std::string big(1000, 'x');
  {
    auto pub = a.make_publisher("/flood");
    for (size_t i = 0; i < num; ++i)
      pub.publish(data{big});
  }
  auto removed = log.wait_for("peer_removed");
  REQUIRE(code_of(removed) == "peer_removed");
  CHECK(message_of(removed) ==
        "client removed: caf::sec::backpressure_overflow");
  CHECK(code_of(log.next()) == "endpoint_unreachable");
  // The native peer got everything meanwhile.
  size_t got = 0;
  while (got < num && sub_b.get(5s))
    ++got;
  CHECK(got == num);
  // The client learns why once it reads again.
  client.close_stdin();
  CHECK(line_of(client, 40s)
            .rfind("CLOSED 1008 caf::sec::backpressure_overflow", 0) == 0);
}

TEST_CASE("WebSocket clients get each other's messages, never their own, "
          "and so do local subscribers and peers",
          "[websocket][process]") {
  endpoint a{test_config()};
  endpoint b{test_config()};
  event_log log{a};
  auto local = a.make_subscriber({"/chat"});
  auto remote = b.make_subscriber({"/chat"});
  connect(a, b);
  REQUIRE(peer_wants(a, "/chat"));
  log.drain(200ms);
  auto ws_port = a.web_socket_listen("127.0.0.1", 0);
  REQUIRE(ws_port != 0);
  auto client = ws_client({"pair", std::to_string(ws_port)});
  CHECK(line_of(client) == "READY");
  // Both clients are participants before anyone publishes.
  REQUIRE(code_of(log.wait_for("peer_added")) == "peer_added");
  REQUIRE(code_of(log.wait_for("peer_added")) == "peer_added");
  client.close_stdin();
  CHECK(line_of(client) == "B GOT from A");
  // A's first message is B's answer: it never saw its own.
  CHECK(line_of(client) == "A GOT from B");
  CHECK(line_of(client) == "DONE");
  for (auto* sub : {&local, &remote}) {
    auto first = sub->get(wait_bound);
    REQUIRE(first);
    CHECK(get_data(*first) == data{"from A"});
    auto second = sub->get(wait_bound);
    REQUIRE(second);
    CHECK(get_data(*second) == data{"from B"});
  }
}

TEST_CASE("a binary frame closes the WebSocket with 1003",
          "[websocket][process]") {
  endpoint a{test_config()};
  auto ws_port = a.listen("127.0.0.1", 0, protocol::websocket);
  REQUIRE(ws_port != 0);
  auto client = ws_client({"binary", std::to_string(ws_port)});
  CHECK(line_of(client).rfind("CLOSED 1003 binary messages are not supported",
                              0) == 0);
}

TEST_CASE("broker.web-socket.port starts a WebSocket listener",
          "[websocket][process]") {
  // A port that was free a moment ago (the endpoint must bind a fixed one).
  uint16_t ws_port = 0;
  {
    endpoint probe{test_config()};
    ws_port = probe.web_socket_listen("127.0.0.1", 0);
    REQUIRE(ws_port != 0);
  }
  auto cfg = test_config();
  cfg.set("broker.web-socket.address", std::string{"127.0.0.1"});
  cfg.set("broker.web-socket.port", uint64_t{ws_port});
  endpoint a{std::move(cfg)};
  auto client = ws_client({"first", std::to_string(ws_port), "[]"});
  CHECK(after(line_of(client), "ACK ").rfind(R"({"type":"ack")", 0) == 0);
}

TEST_CASE("wss:// with certificates: a client with a certificate from the "
          "CA gets in, one without does not",
          "[websocket][tls][process]") {
  certificate_dir certs;
  auto ca = certs.make_ca("ca");
  auto server = certs.issue("server", "ca");
  auto client_pair = certs.issue("client", "ca");
  endpoint a{tls_config(server, ca)};
  event_log log{a};
  auto ws_port = a.listen("127.0.0.1", 0, protocol::websocket);
  REQUIRE(ws_port != 0);
  SECTION("client certificate from the CA") {
    auto client = ws_client({"wss", std::to_string(ws_port), ca,
                             client_pair.certificate, client_pair.key});
    CHECK(after(line_of(client), "ACK ").rfind(R"({"type":"ack")", 0) == 0);
    REQUIRE(code_of(log.wait_for("peer_added")) == "peer_added");
    a.publish("/secure", data{"over TLS"});
    CHECK(after(line_of(client), "GOT ") ==
          R"({"type":"data-message","topic":"/secure",)"
          R"("@data-type":"string","data":"over TLS"})");
  }
  SECTION("no client certificate") {
    auto client = ws_client({"wss", std::to_string(ws_port), ca});
    CHECK(line_of(client).rfind("FAILED ", 0) == 0);
    CHECK(log.drain(300ms).empty());
  }
}

TEST_CASE("WebSocket messages above the inbound batch limit arrive whole and "
          "in order, and reading goes on after them",
          "[websocket]") {
  // The client actor hands a batch to the core once it holds 4 MiB of wire
  // form (src/core/ws_client_actor.cc, max_batch_bytes): each message of
  // 5 MiB cuts the batch right after itself, however the frames were read.
  // Nothing may be lost, duplicated or garbled at the cuts, and the small
  // messages after them (more than the session's read window of 256
  // frames) must still get through.
  constexpr size_t big_size = 5 * 1024 * 1024;
  constexpr size_t num_big = 3;
  constexpr size_t num_small = 300;
  endpoint a{test_config()};
  auto sub = a.make_subscriber({"/big"}, num_big + num_small);
  auto port = a.web_socket_listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  auto client = raw_ws_client::connect(port, R"(["/nothing"])");
  std::vector<uint8_t> bytes;
  auto add = [&bytes](const std::string& json) {
    auto frame = ws_frame(ws_text, json);
    bytes.insert(bytes.end(), frame.begin(), frame.end());
  };
  for (size_t i = 0; i < num_big; ++i)
    add(R"({"type":"data-message","topic":"/big","@data-type":"string",)"
        R"("data":")" +
        std::string(big_size, static_cast<char>('a' + i)) + R"("})");
  for (size_t i = 0; i < num_small; ++i)
    add(R"({"type":"data-message","topic":"/big","@data-type":"count",)"
        R"("data":)" +
        std::to_string(i) + "}");
  REQUIRE(client.send(bytes));
  std::vector<data_message> got;
  auto deadline = std::chrono::steady_clock::now() + 4 * wait_bound;
  while (got.size() < num_big + num_small &&
         std::chrono::steady_clock::now() < deadline) {
    auto more = sub.get(num_big + num_small - got.size(), 100ms);
    got.insert(got.end(), more.begin(), more.end());
  }
  REQUIRE(got.size() == num_big + num_small);
  for (size_t i = 0; i < num_big; ++i) {
    auto str = get_if<std::string>(get_data(got[i]));
    REQUIRE(str);
    CHECK(*str == std::string(big_size, static_cast<char>('a' + i)));
  }
  for (size_t i = 0; i < num_small; ++i)
    CHECK(get_data(got[num_big + i]) == data{count{i}});
}

TEST_CASE("a publisher's messages reach WebSocket clients whole and in order",
          "[websocket]") {
  // Publishers hand over whole wire frames; clients get each message's
  // value out of them. More messages than the client's buffer holds (512):
  // the core paces the publisher by the client's credit.
  constexpr size_t num = 2000;
  endpoint a{test_config()};
  event_log log{a};
  auto port = a.web_socket_listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  auto client = raw_ws_client::connect(port, R"(["/pub"])");
  REQUIRE(code_of(log.wait_for("peer_added")) == "peer_added");
  // Room for all in the publisher: publish never blocks, the core paces.
  auto pub = a.make_publisher("/pub/n", num);
  for (size_t i = 0; i < num; ++i)
    pub.publish(i % 2 == 0 ? data{count{i}} : data{std::to_string(i)});
  for (size_t i = 0; i < num; ++i) {
    auto frame = client.read_frame();
    REQUIRE(frame);
    auto value =
        i % 2 == 0
            ? R"("@data-type":"count","data":)" + std::to_string(i)
            : R"("@data-type":"string","data":")" + std::to_string(i) + "\"";
    REQUIRE(frame->payload ==
            R"({"type":"data-message","topic":"/pub/n",)" + value + "}");
  }
}
