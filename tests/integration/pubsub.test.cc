// Publish/subscribe between real endpoints: prefix matching, the local
// delivery rules (spec: upstream-broker.md §1.7), filter propagation
// (§3.2), per-hop forwarding and TTL loop safety (§3.3, §3.4, DESIGN.md §2),
// unicast (§3.6), ordering and loss, flow control, and the overflow
// policies of a peer that stops reading (§2.5).

#include "broker/endpoint.hh"

#include "support/child_process.hh"
#include "support/endpoints.hh"
#include "support/events.hh"

#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <map>

using namespace broker;
using namespace broker::test;
using namespace std::chrono_literals;

namespace {

#ifdef BROKER_SANITIZED
// Sanitizers slow everything down several times: same tests, fewer messages.
constexpr size_t big_run = 100'000;
#else
constexpr size_t big_run = 1'000'000;
#endif

const std::string payload(50, 'x');

/// Peers `a` with `b` (b listens) and waits until `a` knows `b`'s filter.
void connect(endpoint& a, endpoint& b) {
  auto port = b.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  REQUIRE(a.peer("127.0.0.1", port, 0s));
  REQUIRE(b.await_peer(a.node_id(), 5s));
}

/// Receives `num` numbered events (in a bounded time); returns how many
/// arrived and whether they were in order 0, 1, 2, ...
std::pair<size_t, bool> receive_numbered(subscriber& sub, size_t num,
                                         timespan quiet = 10s) {
  size_t got = 0;
  bool in_order = true;
  while (got < num) {
    auto batch = sub.get(std::min<size_t>(num - got, 1024), quiet);
    if (batch.empty())
      break;
    for (auto& msg : batch) {
      if (event_number(get_data(msg)) != got)
        in_order = false;
      ++got;
    }
  }
  return {got, in_order};
}

/// Counts what arrives until nothing came for `quiet`.
size_t count_until_quiet(subscriber& sub, timespan quiet) {
  size_t result = 0;
  while (sub.get(quiet))
    ++result;
  return result;
}

std::string line_of(child_process& child, timespan timeout = wait_bound) {
  auto line = child.read_line(timeout);
  REQUIRE(line);
  return *line;
}

uint16_t child_port(child_process& child) {
  auto line = line_of(child);
  REQUIRE(line.rfind("port ", 0) == 0);
  return static_cast<uint16_t>(std::stoul(line.substr(5)));
}

} // namespace

TEST_CASE("publish reaches matching subscribers of a peer by prefix",
          "[pubsub]") {
  endpoint a{test_config()};
  endpoint b{test_config()};
  auto foo = b.make_subscriber({"/foo"});
  auto all = b.make_subscriber({""});
  connect(a, b);
  REQUIRE(peer_wants(a, "/foo"));
  a.publish("/foo/bar", data{count{1}});
  a.publish("/foobar", data{count{2}}); // plain string prefix matching
  a.publish("/fo", data{count{3}});
  a.publish("/other", data{count{4}});
  auto got = foo.get(2, 5s);
  REQUIRE(got.size() == 2);
  CHECK(get_topic(got[0]) == topic{"/foo/bar"});
  CHECK(get_data(got[0]) == data{count{1}});
  CHECK(get_topic(got[1]) == topic{"/foobar"});
  // A received message keeps its wire form, readable through a view.
  REQUIRE(got[1]->has_encoded());
  CHECK(got[1]->encoded_view().as_count() == count{2});
  CHECK(got[1]->encoded_view().to_data() == get_data(got[1]));
  CHECK_FALSE(foo.get(200ms));
  // The "" subscriber sees everything the peer sends to b.
  CHECK(all.get(4, 5s).size() == 4);
}

TEST_CASE("one batch of mixed topics reaches each subscriber and peer "
          "exactly with its own topics, in order",
          "[pubsub]") {
  // Routing matches filters once per run of equal topics within a batch:
  // alternating and repeated topics in one publish call exercise that.
  endpoint a{test_config()};
  endpoint b{test_config()};
  endpoint c{test_config()};
  auto b_x = b.make_subscriber({"/x"});
  auto b_y = b.make_subscriber({"/y"});
  auto b_all = b.make_subscriber({"/"});
  auto c_y = c.make_subscriber({"/y"});
  connect(a, b);
  connect(a, c);
  REQUIRE(peer_wants(a, "/x"));
  REQUIRE(peer_wants(a, "/y"));
  const std::string order = "xxyxzyyxzzyxy"; // topics of the batch
  std::vector<data_message> batch;
  std::map<char, count> next;
  for (auto t : order)
    batch.push_back(
        make_data_message(topic{std::string{"/"} + t}, data{count{next[t]++}}));
  a.publish(std::move(batch));
  auto expect = [](subscriber& sub, const std::string& topics,
                   const std::string& only) {
    std::map<char, count> seen;
    size_t num = 0;
    for (auto t : topics)
      num += only.find(t) != std::string::npos ? 1 : 0;
    auto got = sub.get(num, 5s);
    REQUIRE(got.size() == num);
    size_t i = 0;
    for (auto t : topics) {
      if (only.find(t) == std::string::npos)
        continue;
      INFO("message " << i << " on /" << t);
      CHECK(get_topic(got[i]) == topic{std::string{"/"} + t});
      CHECK(get_data(got[i]) == data{count{seen[t]++}});
      ++i;
    }
    CHECK_FALSE(sub.get(200ms));
  };
  expect(b_x, order, "x");
  expect(b_y, order, "y");
  expect(b_all, order, "xyz");
  expect(c_y, order, "y");
}

TEST_CASE("local subscribers do not see their own endpoint's publications",
          "[pubsub]") {
  endpoint a{test_config()};
  auto sub = a.make_subscriber({"/t"});
  a.publish("/t", data{count{1}});
  CHECK_FALSE(sub.get(300ms));
  // ... except what is unicast to the endpoint itself (spec §1.7).
  a.publish(endpoint_info{a.node_id(), std::nullopt}, "/t", data{count{2}});
  auto msg = sub.get(5s);
  REQUIRE(msg);
  CHECK(get_data(*msg) == data{count{2}});
}

TEST_CASE("filters propagate: subscriptions after peering work", "[pubsub]") {
  endpoint a{test_config()};
  endpoint b{test_config()};
  connect(a, b);
  CHECK(a.peer_subscriptions().empty());
  auto sub = b.make_subscriber({"/late"});
  REQUIRE(peer_wants(a, "/late"));
  CHECK(b.filter() == filter_type{"/late"});
  a.publish("/late/x", data{"hello"});
  auto msg = sub.get(5s);
  REQUIRE(msg);
  CHECK(get_data(*msg) == data{"hello"});
  // peer_subscriptions() is the union of the direct peers' filters.
  endpoint c{test_config()};
  auto sub_c = c.make_subscriber({"/c"});
  connect(a, c);
  REQUIRE(peer_wants(a, "/c"));
  auto subs = a.peer_subscriptions();
  std::sort(subs.begin(), subs.end());
  CHECK(subs == std::vector<topic>{"/c", "/late"});
  // Internal topics are never advertised.
  auto events = b.make_status_subscriber(true);
  std::this_thread::sleep_for(200ms);
  for (auto& t : a.peer_subscriptions())
    CHECK_FALSE(is_internal(t));
}

TEST_CASE("add_topic and remove_topic change a subscriber at run time",
          "[pubsub]") {
  endpoint a{test_config()};
  endpoint b{test_config()};
  auto sub = b.make_subscriber({"/one"});
  connect(a, b);
  sub.add_topic("/two", true);
  REQUIRE(peer_wants(a, "/two"));
  a.publish("/two", data{count{2}});
  auto msg = sub.get(5s);
  REQUIRE(msg);
  CHECK(get_topic(*msg) == topic{"/two"});
  sub.remove_topic("/one", true);
  CHECK(sub.filter() == filter_type{"/two"});
  a.publish("/one", data{count{1}});
  a.publish("/two", data{count{3}});
  msg = sub.get(5s);
  REQUIRE(msg);
  CHECK(get_data(*msg) == data{count{3}});
  CHECK_FALSE(sub.get(200ms));
}

TEST_CASE("forwarding along a chain A-B-C", "[pubsub][forwarding]") {
  auto cfg_b = test_config();
  SECTION("B forwards /t: C receives A's messages") {
    endpoint a{test_config()};
    endpoint b{test_config()};
    endpoint c{test_config()};
    auto sub = c.make_subscriber({"/t"});
    b.forward({"/t"});
    connect(a, b);
    connect(b, c);
    REQUIRE(peer_wants(a, "/t"));
    REQUIRE(peer_wants(b, "/t"));
    a.publish("/t", data{count{7}});
    auto msg = sub.get(5s);
    REQUIRE(msg);
    CHECK(get_data(*msg) == data{count{7}});
  }
  SECTION("B without a matching filter: A does not send, C gets nothing") {
    endpoint a{test_config()};
    endpoint b{test_config()};
    endpoint c{test_config()};
    auto sub = c.make_subscriber({"/t"});
    connect(a, b);
    connect(b, c);
    REQUIRE(peer_wants(b, "/t"));
    a.publish("/t", data{count{7}});
    CHECK_FALSE(sub.get(500ms));
  }
  SECTION("B with disable_forwarding keeps what it receives") {
    cfg_b.set("broker.disable-forwarding", true);
    endpoint a{test_config()};
    endpoint b{std::move(cfg_b)};
    endpoint c{test_config()};
    auto sub_b = b.make_subscriber({"/t"});
    auto sub_c = c.make_subscriber({"/t"});
    connect(a, b);
    connect(b, c);
    REQUIRE(peer_wants(a, "/t"));
    REQUIRE(peer_wants(b, "/t"));
    a.publish("/t", data{count{7}});
    CHECK(sub_b.get(5s));
    CHECK_FALSE(sub_c.get(500ms));
    // B's own publications still go out.
    b.publish("/t", data{count{8}});
    auto msg = sub_c.get(5s);
    REQUIRE(msg);
    CHECK(get_data(*msg) == data{count{8}});
  }
}

TEST_CASE("a forwarding triangle delivers a bounded number of copies",
          "[pubsub][forwarding]") {
  // A-B, B-C, C-A, all forwarding /t: without a TTL this loops forever
  // (spec §3.4); with it every message dies after `broker.ttl` hops.
  endpoint a{test_config()};
  endpoint b{test_config()};
  endpoint c{test_config()};
  auto sub_a = a.make_subscriber({"/t"});
  auto sub_b = b.make_subscriber({"/t"});
  auto sub_c = c.make_subscriber({"/t"});
  connect(a, b);
  connect(b, c);
  connect(c, a);
  REQUIRE(peer_wants(a, "/t"));
  REQUIRE(peer_wants(b, "/t"));
  REQUIRE(peer_wants(c, "/t"));
  a.publish("/t", data{count{1}});
  auto nb = count_until_quiet(sub_b, 1s);
  auto nc = count_until_quiet(sub_c, 200ms);
  auto na = count_until_quiet(sub_a, 200ms);
  CHECK(nb >= 1);
  CHECK(nc >= 1);
  // Each copy took at least one hop; at most 16 hops per path, two paths.
  CHECK(nb <= 32);
  CHECK(nc <= 32);
  CHECK(na <= 32);
  // And it stopped: nothing more arrives.
  CHECK_FALSE(sub_b.get(500ms));
  CHECK_FALSE(sub_c.get(10ms));
  CHECK_FALSE(sub_a.get(10ms));
}

TEST_CASE("unicast reaches only the addressed direct peer", "[pubsub]") {
  endpoint a{test_config()};
  endpoint b{test_config()};
  endpoint c{test_config()};
  auto sub_b = b.make_subscriber({"/u"});
  auto sub_c = c.make_subscriber({"/u"});
  connect(a, b);
  connect(a, c);
  REQUIRE(peer_wants(a, "/u"));
  a.publish(endpoint_info{b.node_id(), std::nullopt}, "/u", data{count{1}});
  auto msg = sub_b.get(5s);
  REQUIRE(msg);
  CHECK(get_data(*msg) == data{count{1}});
  CHECK_FALSE(sub_c.get(300ms));
  // To a node that is no direct peer: dropped (spec §3.6).
  a.publish(endpoint_info{endpoint_id::random(), std::nullopt}, "/u",
            data{count{2}});
  CHECK_FALSE(sub_b.get(300ms));
}

TEST_CASE("messages from one publisher arrive in order, none lost",
          "[pubsub]") {
  endpoint a{test_config()};
  endpoint b{test_config()};
  auto sub = b.make_subscriber({"/n"}, 1024);
  connect(a, b);
  REQUIRE(peer_wants(a, "/n"));
  auto pub = a.make_publisher("/n");
  std::thread producer{[&] {
    for (size_t i = 0; i < big_run; ++i)
      pub.publish(numbered_event(i, payload));
  }};
  auto [got, in_order] = receive_numbered(sub, big_run);
  producer.join();
  CHECK(got == big_run);
  CHECK(in_order);
}

TEST_CASE("endpoint::publish keeps order too", "[pubsub]") {
  // Unpaced publishing meets the overflow policy directly (spec §2.5): give
  // the burst room.
  auto cfg = test_config();
  cfg.set("broker.peer-buffer-size", uint64_t{100'000});
  endpoint a{std::move(cfg)};
  endpoint b{test_config()};
  auto sub = b.make_subscriber({"/n"}, 1024);
  connect(a, b);
  REQUIRE(peer_wants(a, "/n"));
  constexpr size_t num = 20'000;
  for (size_t i = 0; i < num; ++i)
    a.publish("/n", numbered_event(i, payload));
  auto [got, in_order] = receive_numbered(sub, num);
  CHECK(got == num);
  CHECK(in_order);
}

TEST_CASE("a graceful unpeer flushes what was published before", "[pubsub]") {
  auto cfg = test_config();
  cfg.set("broker.peer-buffer-size", uint64_t{100'000});
  // The BYE waits behind all messages below; under sanitizers sending them
  // can take longer than the default bound (3 s).
  cfg.set("broker.unpeer-timeout", timespan{30s});
  endpoint a{std::move(cfg)};
  endpoint b{test_config()};
  auto sub = b.make_subscriber({"/n"}, 100'000);
  auto port = b.listen("127.0.0.1", 0);
  REQUIRE(a.peer("127.0.0.1", port, 0s));
  REQUIRE(peer_wants(a, "/n"));
  constexpr size_t num = 20'000;
  for (size_t i = 0; i < num; ++i)
    a.publish("/n", numbered_event(i, payload));
  CHECK(a.unpeer("127.0.0.1", port));
  auto [got, in_order] = receive_numbered(sub, num, 2s);
  CHECK(got == num);
  CHECK(in_order);
}

TEST_CASE("an unpaced publisher in another process delivers everything",
          "[pubsub][process]") {
  endpoint b{test_config()};
  event_log log{b};
  auto sub = b.make_subscriber({"/n"}, 4096);
  auto port = b.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  child_process child{BROKER_CHILD_ENDPOINT,
                      {"--peer", std::to_string(port), "--publish", "/n",
                       "--send", std::to_string(big_run)}};
  CHECK(line_of(child) == "peered 1");
  auto [got, in_order] = receive_numbered(sub, big_run);
  CHECK(got == big_run);
  CHECK(in_order);
  CHECK(line_of(child) == "sent " + std::to_string(big_run));
  // No disconnect happened on the way.
  CHECK(log.drain(200ms) ==
        std::vector<std::string>{"endpoint_discovered", "peer_added"});
}

TEST_CASE("a publisher is paced by a slow but healthy subscriber",
          "[pubsub][process]") {
  // A small buffer and the default disconnect policy: upstream would drop
  // this peer within a second; we slow the publisher down instead.
  auto cfg = test_config();
  cfg.set("broker.peer-buffer-size", uint64_t{64});
  endpoint a{std::move(cfg)};
  event_log log{a};
  constexpr size_t num = 20'000;
  child_process child{BROKER_CHILD_ENDPOINT,
                      {"--listen", "--subscribe", "/n", "--queue", "16",
                       "--receive", std::to_string(num), "--slow-us", "20"}};
  auto port = child_port(child);
  REQUIRE(a.peer("127.0.0.1", port, 0s));
  REQUIRE(peer_wants(a, "/n"));
  auto pub = a.make_publisher("/n", 32);
  for (size_t i = 0; i < num; ++i)
    pub.publish(numbered_event(i, payload));
  CHECK(line_of(child, 60s) == "received 20000 in_order 1");
  CHECK(log.drain(200ms) ==
        std::vector<std::string>{"endpoint_discovered", "peer_added"});
}

namespace {

/// A publishes to a stuck peer and to a healthy one. The stuck peer is a
/// child whose subscriber is never read, so it stops reading its socket
/// (back-pressure) and A's buffer for it fills up. C is a healthy in-process
/// peer of A that must get every message in order meanwhile.
struct stuck_peer_fixture {
  static constexpr size_t num = 20'000;

  explicit stuck_peer_fixture(const std::string& policy)
      : a(make_config(policy)), c(test_config()), log(a),
        sub_c(c.make_subscriber({"/n"}, num)),
        child(BROKER_CHILD_ENDPOINT,
              {"--listen", "--subscribe", "/n", "--queue", "16"}) {
    auto port = child_port(child);
    REQUIRE(a.peer("127.0.0.1", port, 0s));
    connect(c, a);
    REQUIRE(wait_until([&] { return num_peered(a) == 2; }));
    REQUIRE(wait_until([&] {
      auto subs = a.peer_subscriptions();
      return subs.size() == 1 && subs[0] == topic{"/n"};
    }));
    log.drain(200ms);
  }

  static configuration make_config(const std::string& policy) {
    auto cfg = test_config();
    cfg.set("broker.peer-buffer-size", uint64_t{64});
    cfg.set("broker.peer-overflow-policy", policy);
    cfg.set("broker.peer-stall-timeout", timespan{1s});
    return cfg;
  }

  /// Publishes with flow control: the publisher waits while the stuck
  /// peer is full, until the stall timeout hands it to its policy.
  void publish_all() {
    // Big messages fill the stuck peer's socket buffers quickly.
    std::string big(1000, 'x');
    auto pub = a.make_publisher("/n", 64);
    for (size_t i = 0; i < num; ++i)
      pub.publish(numbered_event(i, big));
  }

  endpoint a;
  endpoint c;
  event_log log;
  subscriber sub_c;
  child_process child;
};

} // namespace

TEST_CASE("overflow policy disconnect drops a peer that stops reading",
          "[pubsub][backpressure][process]") {
  stuck_peer_fixture f{"disconnect"};
  f.publish_all();
  auto x = f.log.wait_for("peer_removed", 20s);
  REQUIRE(code_of(x) == "peer_removed");
  CHECK(message_of(x) == "removed connection to remote peer "
                         "(caf::sec::backpressure_overflow)");
  CHECK(code_of(f.log.next()) == "endpoint_unreachable");
  // The other side sees the connection lost.
  bool lost = false;
  for (int i = 0; i < 10 && !lost; ++i) {
    auto line = f.child.read_line(10s);
    lost = line && *line == "event peer_lost";
  }
  CHECK(lost);
  // The healthy peer got everything, in order.
  auto [got, in_order] = receive_numbered(f.sub_c, f.num);
  CHECK(got == f.num);
  CHECK(in_order);
}

TEST_CASE("overflow policies drop_newest and drop_oldest keep the peering",
          "[pubsub][backpressure][process]") {
  auto policy = GENERATE(as<std::string>{}, "drop_newest", "drop_oldest");
  INFO("policy " << policy);
  stuck_peer_fixture f{policy};
  f.publish_all();
  auto [got, in_order] = receive_numbered(f.sub_c, f.num);
  CHECK(got == f.num);
  CHECK(in_order);
  // No peering ended: the stuck peer just misses messages. Watched for
  // longer than test_config()'s heartbeat timeout (3 s): a peer holding its
  // reads back cannot answer pings, so it must keep pinging us itself.
  CHECK(f.log.drain(4s).empty());
  CHECK(num_peered(f.a) == 2);
  // The drops are counted, per peer and policy (only the stuck peer's).
  uint64_t newest = 0;
  uint64_t oldest = 0;
  for (auto& x : f.a.metrics()) {
    newest += x.dropped_newest;
    oldest += x.dropped_oldest;
  }
  CHECK((policy == "drop_newest" ? newest : oldest) > 0);
  CHECK((policy == "drop_newest" ? oldest : newest) == 0);
}

TEST_CASE("unpaced publishing meets the overflow policy directly",
          "[pubsub][backpressure][process]") {
  // endpoint::publish has no flow control (as upstream): a burst beyond a
  // stuck peer's buffer disconnects it at once, without a stall timeout.
  auto cfg = test_config();
  cfg.set("broker.peer-buffer-size", uint64_t{64});
  cfg.set("broker.peer-stall-timeout", timespan{60s});
  endpoint a{std::move(cfg)};
  event_log log{a};
  child_process child{BROKER_CHILD_ENDPOINT,
                      {"--listen", "--subscribe", "/n", "--queue", "16"}};
  auto port = child_port(child);
  REQUIRE(a.peer("127.0.0.1", port, 0s));
  REQUIRE(peer_wants(a, "/n"));
  log.drain(200ms);
  std::string big(1000, 'x');
  for (size_t i = 0; i < 20'000; ++i)
    a.publish("/n", numbered_event(i, big));
  auto x = log.wait_for("peer_removed", 10s);
  REQUIRE(code_of(x) == "peer_removed");
  CHECK(message_of(x).find("caf::sec::backpressure_overflow") !=
        std::string::npos);
}

TEST_CASE("a full subscriber queue holds peers back without loss",
          "[pubsub][backpressure]") {
  endpoint a{test_config()};
  endpoint b{test_config()};
  auto sub = b.make_subscriber({"/n"}, 8);
  connect(a, b);
  REQUIRE(peer_wants(a, "/n"));
  constexpr size_t num = 5'000;
  auto pub = a.make_publisher("/n", 16);
  std::thread producer{[&] {
    for (size_t i = 0; i < num; ++i)
      pub.publish(numbered_event(i, payload));
  }};
  // The queue size is honoured...
  std::this_thread::sleep_for(300ms);
  CHECK(sub.available() <= 8);
  // ... and nothing is lost once the consumer reads.
  auto [got, in_order] = receive_numbered(sub, num);
  producer.join();
  CHECK(got == num);
  CHECK(in_order);
}

TEST_CASE("a full subscriber holds back only the peers that feed it",
          "[pubsub][backpressure]") {
  endpoint a{test_config()};
  endpoint b{test_config()};
  endpoint target{test_config()};
  // Never read: fills up and holds a's messages back.
  auto stuck = target.make_subscriber({"/stuck"}, 8);
  auto other = target.make_subscriber({"/other"}, 64);
  connect(a, target);
  connect(b, target);
  REQUIRE(peer_wants(a, "/stuck"));
  REQUIRE(peer_wants(b, "/other"));
  for (size_t i = 0; i < 1'000; ++i)
    a.publish("/stuck", numbered_event(i, payload));
  REQUIRE(wait_until([&] { return stuck.available() == 8; }));
  // Meanwhile b's messages keep flowing, each one only after the previous
  // one arrived: an ack withheld from b would stop this at once.
  for (size_t i = 0; i < 200; ++i) {
    b.publish("/other", numbered_event(i, payload));
    auto msg = other.get(wait_bound);
    REQUIRE(msg);
    CHECK(event_number(get_data(*msg)) == i);
  }
  // And a's messages are held, not lost.
  auto [got, in_order] = receive_numbered(stuck, 1'000);
  CHECK(got == 1'000);
  CHECK(in_order);
}

TEST_CASE("a topic longer than the wire allows is refused with an error",
          "[pubsub]") {
  endpoint a{test_config()};
  event_log log{a};
  std::string t(70'000, 't');
  SECTION("endpoint::publish") {
    a.publish(t, data{count{1}});
  }
  SECTION("a publisher, which refuses everything and never blocks") {
    auto pub = a.make_publisher(t, 4);
    for (count i = 0; i < 100; ++i)
      pub.publish(data{i});
  }
  auto x = log.next(5s);
  CHECK(code_of(x) == "error:invalid_topic_key");
  CHECK(message_of(x) == "cannot publish: topic of 70000 bytes exceeds the "
                         "wire limit of 65535");
}
