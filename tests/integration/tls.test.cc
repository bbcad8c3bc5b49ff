// TLS between real endpoints on loopback (spec: upstream-broker.md §6):
// anonymous TLS by default (checked on the wire with `openssl s_client`),
// mutual TLS with certificates made at test time, every way of failing a
// TLS handshake (peer_unavailable on the connecting side, no event and no
// harm on the accepting side, §2.4), and the constructor's checks of the
// `broker.ssl.*` settings (§1.1; we throw where upstream aborts).

#include "broker/endpoint.hh"

#include "net/tls_loader.hh"
#include "support/certificates.hh"
#include "support/child_process.hh"
#include "support/endpoints.hh"
#include "support/events.hh"
#include "support/raw_socket.hh"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <thread>

using namespace broker;
using namespace broker::test;
using namespace std::chrono_literals;

using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;

using codes = std::vector<std::string>;

namespace {

#ifdef BROKER_SANITIZED
// Sanitizers slow everything down several times: same tests, fewer messages.
constexpr size_t many = 20'000;
#else
constexpr size_t many = 200'000;
#endif

const codes added = {"endpoint_discovered", "peer_added"};
const codes removed = {"peer_removed", "endpoint_unreachable"};
const codes lost = {"peer_lost", "endpoint_unreachable"};

/// A TLS handshake against a listener that does not speak TLS (or that
/// waits for a ClientHello that never comes) ends at the handshake timeout
/// of test_config() (3 s): well within this.
constexpr auto failure_bound = 8s;

/// Peers `a` with listening `b`, then sends one message each way.
void check_peering_works(endpoint& a, endpoint& b, uint16_t port) {
  auto sub_a = a.make_subscriber({"/test/to-a"});
  auto sub_b = b.make_subscriber({"/test/to-b"});
  REQUIRE(a.peer("127.0.0.1", port, 0s));
  REQUIRE(b.await_peer(a.node_id(), wait_bound));
  REQUIRE(wait_until([&] { return a.peer_subscriptions().size() == 1; }));
  REQUIRE(wait_until([&] { return b.peer_subscriptions().size() == 1; }));
  a.publish("/test/to-b", data{"hello b"});
  b.publish("/test/to-a", data{count{42}});
  auto at_b = sub_b.get(wait_bound);
  REQUIRE(at_b);
  CHECK(get_topic(*at_b) == "/test/to-b");
  CHECK(get_data(*at_b) == data{"hello b"});
  auto at_a = sub_a.get(wait_bound);
  REQUIRE(at_a);
  CHECK(get_data(*at_a) == data{count{42}});
}

/// Expects `a.peer()` with listening `b` to fail: `false`, one
/// peer_unavailable on `a`, nothing at all on `b`, and `b` still serving:
/// `good` (configured like `b` wants) peers with it afterwards.
void check_peering_fails(endpoint& a, endpoint& b, endpoint& good) {
  event_log la{a};
  event_log lb{b};
  auto port = b.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  CHECK_FALSE(a.peer("127.0.0.1", port, 0s));
  auto x = la.next(failure_bound);
  CHECK(code_of(x) == "error:peer_unavailable");
  CHECK(message_of(x) == "unable to connect to remote peer");
  REQUIRE(context_of(x).network);
  CHECK(context_of(x).network->port == port);
  CHECK(a.peers().empty());
  CHECK(num_peered(b) == 0);
  CHECK(lb.drain(500ms).empty());
  CHECK(good.peer("127.0.0.1", port, 0s));
  CHECK(lb.codes(2) == added);
  CHECK(la.drain(100ms).empty());
}

/// Returns the message of the exception that constructing an endpoint with
/// `cfg` throws (std::invalid_argument), or "" if it does not throw.
std::string construction_error(configuration cfg) {
  try {
    endpoint ep{std::move(cfg)};
  } catch (const std::invalid_argument& ex) {
    return ex.what();
  }
  return "";
}

/// Receives numbered events (spec: support/events.hh) until `num` arrived
/// or none came for `quiet`; returns how many arrived in order 0, 1, ...
size_t receive_in_order(subscriber& sub, size_t num, timespan quiet) {
  size_t next = 0;
  while (next < num) {
    auto msg = sub.get(quiet);
    if (!msg || event_number(get_data(*msg)) != next)
      break;
    ++next;
  }
  return next;
}

bool contains(const std::string& str, const std::string& what) {
  return str.find(what) != std::string::npos;
}

/// `openssl s_client` connected to a listener on loopback.
class s_client {
public:
  /// Starts `openssl s_client -connect 127.0.0.1:<port> <args>`; its stdin
  /// stays open, so it stays connected until the server closes.
  s_client(uint16_t port, const std::vector<std::string>& args)
      : proc_("/usr/bin/openssl", with_connect(port, args)) {}

  /// Returns the output lines up to the first one containing `until`, or
  /// up to the end of the output (every read bounded).
  std::vector<std::string> read_until(const std::string& until) {
    std::vector<std::string> lines;
    while (auto line = proc_.read_line(wait_bound)) {
      lines.emplace_back(*line);
      if (contains(*line, until))
        break;
    }
    return lines;
  }

  /// Returns the rest of the output (until s_client exits or stays silent
  /// for `timeout`).
  std::string read_rest(timespan timeout) {
    std::string result;
    while (auto line = proc_.read_line(timeout))
      result += *line + '\n';
    return result;
  }

private:
  static std::vector<std::string>
  with_connect(uint16_t port, const std::vector<std::string>& args) {
    std::vector<std::string> result{"s_client", "-connect",
                                    "127.0.0.1:" + std::to_string(port)};
    result.insert(result.end(), args.begin(), args.end());
    return result;
  }

  child_process proc_;
};

bool has_line(const std::vector<std::string>& lines, const std::string& a,
              const std::string& b) {
  for (auto& line : lines)
    if (contains(line, a) && contains(line, b))
      return true;
  return false;
}

} // namespace

// -- anonymous TLS (the default) ----------------------------------------------

TEST_CASE("default endpoints peer over anonymous TLS with the usual events",
          "[tls]") {
  endpoint a{tls_config()};
  endpoint b{configuration{broker_options{}}}; // all defaults: TLS on
  event_log la{a};
  event_log lb{b};
  auto port = b.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  check_peering_works(a, b, port);
  auto ea = la.events(2);
  REQUIRE(ea.size() == 2);
  CHECK(code_of(ea[0]) == "endpoint_discovered");
  CHECK(code_of(ea[1]) == "peer_added");
  CHECK(context_of(ea[1]).node == b.node_id());
  REQUIRE(context_of(ea[1]).network);
  CHECK(context_of(ea[1]).network->port == port);
  auto eb = lb.events(2);
  REQUIRE(eb.size() == 2);
  CHECK(code_of(eb[1]) == "peer_added");
  CHECK(context_of(eb[1]).node == a.node_id());
  REQUIRE(context_of(eb[1]).network);
  CHECK(context_of(eb[1]).network->address == "127.0.0.1");
  CHECK(a.unpeer("127.0.0.1", port));
  CHECK(la.codes(2) == removed);
  CHECK(lb.codes(2) == lost);
  CHECK(la.drain(300ms).empty());
}

TEST_CASE("many messages over TLS arrive complete and in order",
          "[tls][pubsub]") {
  endpoint a{tls_config()};
  endpoint b{tls_config()};
  auto sub = b.make_subscriber({"/n"}, 1024);
  auto port = b.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  REQUIRE(a.peer("127.0.0.1", port, 0s));
  REQUIRE(wait_until([&] { return !a.peer_subscriptions().empty(); }));
  // A paced publisher: the subscriber's bounded queue pushes back through
  // the TLS stream (reads pause) to the publisher.
  auto pub = a.make_publisher("/n");
  const std::string payload(50, 'x');
  std::thread producer{[&] {
    for (size_t i = 0; i < many; ++i)
      pub.publish(numbered_event(i, payload));
  }};
  CHECK(receive_in_order(sub, many, 10s) == many);
  producer.join();
}

TEST_CASE("a graceful unpeer over TLS flushes what was published before",
          "[tls][pubsub]") {
  auto cfg = tls_config();
  cfg.set("broker.peer-buffer-size", uint64_t{100'000});
  // The BYE waits behind all messages below; under sanitizers encrypting
  // them can take longer than the default bound (3 s).
  cfg.set("broker.unpeer-timeout", timespan{30s});
  endpoint a{std::move(cfg)};
  endpoint b{tls_config()};
  event_log lb{b};
  auto sub = b.make_subscriber({"/n"}, 100'000);
  auto port = b.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  REQUIRE(a.peer("127.0.0.1", port, 0s));
  REQUIRE(wait_until([&] { return !a.peer_subscriptions().empty(); }));
  constexpr size_t num = 20'000;
  const std::string payload(50, 'x');
  for (size_t i = 0; i < num; ++i)
    a.publish("/n", numbered_event(i, payload));
  CHECK(a.unpeer("127.0.0.1", port));
  CHECK(receive_in_order(sub, num, 2s) == num);
  CHECK(lb.codes(4) == codes{"endpoint_discovered", "peer_added", "peer_lost",
                             "endpoint_unreachable"});
}

TEST_CASE("anonymous TLS is TLS 1.2 with AECDH-AES256-SHA, as upstream's",
          "[tls]") {
  endpoint ep{tls_config()};
  auto port = ep.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  // The session summary ends with the cipher line.
  const std::string last = "Cipher    :";
  const std::vector<std::string> upstream_like = {
      "-tls1_2", "-cipher", "AECDH-AES256-SHA@SECLEVEL=0"};
  SECTION("a TLS 1.2 client with upstream's cipher") {
    s_client client{port, upstream_like};
    auto lines = client.read_until(last);
    CHECK(has_line(lines, "New, ", "Cipher is AECDH-AES256-SHA"));
    CHECK(has_line(lines, "Protocol  :", "TLSv1.2"));
    CHECK(has_line(lines, "Cipher    :", "AECDH-AES256-SHA"));
  }
  SECTION("a client that also offers TLS 1.3 gets TLS 1.2") {
    s_client client{port, {"-cipher", "AECDH-AES256-SHA@SECLEVEL=0"}};
    auto lines = client.read_until(last);
    CHECK(has_line(lines, "Protocol  :", "TLSv1.2"));
    CHECK(has_line(lines, "Cipher    :", "AECDH-AES256-SHA"));
  }
  SECTION("the Broker probe arrives inside TLS") {
    s_client client{port, upstream_like};
    REQUIRE(has_line(client.read_until(last), last, "AECDH"));
    // The listener's probe (its magic is "ZEEK") follows the handshake;
    // without a hello, the listener ends the connection at its handshake
    // deadline, which ends s_client's output.
    CHECK(contains(client.read_rest(failure_bound), "ZEEK"));
  }
  SECTION("a client without anonymous ciphers fails") {
    s_client client{port, {"-tls1_2"}};
    CHECK_FALSE(has_line(client.read_until(last), "Cipher is", "AECDH"));
  }
}

TEST_CASE("a TLS listener says nothing in plaintext and is not stalled by "
          "silent clients",
          "[tls]") {
  endpoint ep{tls_config()};
  event_log log{ep};
  auto port = ep.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  std::vector<raw_socket> silent;
  for (int i = 0; i < 10; ++i)
    silent.emplace_back(raw_socket::connect(port));
  // A plaintext listener sends its probe at once; this one waits for a
  // ClientHello.
  CHECK_FALSE(silent.front().read_frame(500ms));
  // Handshakes in progress do not hold up others.
  endpoint good{tls_config()};
  CHECK(good.peer("127.0.0.1", port, 0s));
  CHECK(log.codes(2) == added);
  // The silent ones are cut off at the handshake deadline, without events.
  for (auto& sock : silent)
    CHECK(sock.wait_closed(failure_bound));
  CHECK(num_peered(ep) == 1);
  CHECK(log.drain(200ms).empty());
}

TEST_CASE("TLS and plaintext endpoints do not peer, in either direction",
          "[tls]") {
  SECTION("plaintext initiator, TLS listener") {
    endpoint a{test_config()};
    endpoint b{tls_config()};
    endpoint good{tls_config()};
    check_peering_fails(a, b, good);
  }
  SECTION("TLS initiator, plaintext listener") {
    endpoint a{tls_config()};
    endpoint b{test_config()};
    endpoint good{test_config()};
    check_peering_fails(a, b, good);
  }
}

TEST_CASE("a failing TLS handshake with retry keeps retrying", "[tls]") {
  endpoint a{tls_config()};
  endpoint b{test_config()};
  event_log la{a};
  auto port = b.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  CHECK_FALSE(a.peer("127.0.0.1", port, 1s));
  CHECK(la.codes(2, 2 * failure_bound) ==
        codes{"error:peer_unavailable", "error:peer_unavailable"});
  CHECK(a.unpeer("127.0.0.1", port));
}

// -- mutual TLS ---------------------------------------------------------------

TEST_CASE("mutual TLS with certificates from a shared CA", "[tls]") {
  certificate_dir certs;
  auto ca = certs.make_ca("ca");
  auto ka = certs.issue("a", "ca");
  auto kb = certs.issue("b", "ca");
  endpoint a{tls_config(ka, ca)};
  endpoint b{tls_config(kb, ca)};
  event_log la{a};
  event_log lb{b};
  auto port = b.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  check_peering_works(a, b, port);
  CHECK(la.codes(2) == added);
  CHECK(lb.codes(2) == added);
  b.shutdown();
  CHECK(la.codes(2) == lost);
}

TEST_CASE("mutual TLS with a CA directory (broker.ssl.capath)", "[tls]") {
  certificate_dir certs;
  auto ca = certs.make_ca("ca");
  auto ka = certs.issue("a", "ca");
  auto kb = certs.issue("b", "ca");
  // OpenSSL finds CAs in a directory by their subject hash.
  child_process rehash{"/usr/bin/openssl", {"rehash", certs.path("")}};
  REQUIRE(rehash.wait(wait_bound) == 0);
  auto cfg = tls_config(ka, "");
  cfg.openssl_capath(certs.path(""));
  endpoint a{std::move(cfg)};
  endpoint b{tls_config(kb, ca)};
  auto port = b.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  check_peering_works(a, b, port);
}

TEST_CASE("a self-signed certificate is its own CA file", "[tls]") {
  certificate_dir certs;
  auto own = certs.self_signed("self");
  endpoint a{tls_config(own, own.certificate)};
  endpoint b{tls_config(own, own.certificate)};
  auto port = b.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  check_peering_works(a, b, port);
}

TEST_CASE("certificates from an untrusted CA are rejected", "[tls]") {
  certificate_dir certs;
  auto ca = certs.make_ca("ca");
  auto other_ca = certs.make_ca("other-ca");
  auto trusted = certs.issue("trusted", "ca");
  auto untrusted = certs.issue("untrusted", "other-ca");
  endpoint b{tls_config(certs.issue("b", "ca"), ca)};
  endpoint good{tls_config(trusted, ca)};
  SECTION("neither side trusts the other") {
    endpoint a{tls_config(untrusted, other_ca)};
    check_peering_fails(a, b, good);
  }
  SECTION("only the listener rejects the initiator") {
    endpoint a{tls_config(untrusted, ca)};
    check_peering_fails(a, b, good);
  }
  SECTION("only the initiator rejects the listener") {
    endpoint a{tls_config(trusted, other_ca)};
    check_peering_fails(a, b, good);
  }
  SECTION("the initiator trusts no CA at all") {
    endpoint a{tls_config(trusted, "")};
    check_peering_fails(a, b, good);
  }
}

TEST_CASE("certificates and anonymous TLS do not mix, in either direction",
          "[tls]") {
  certificate_dir certs;
  auto ca = certs.make_ca("ca");
  SECTION("anonymous initiator, authenticating listener") {
    endpoint a{tls_config()};
    endpoint b{tls_config(certs.issue("b", "ca"), ca)};
    endpoint good{tls_config(certs.issue("good", "ca"), ca)};
    check_peering_fails(a, b, good);
  }
  SECTION("authenticating initiator, anonymous listener") {
    endpoint a{tls_config(certs.issue("a", "ca"), ca)};
    endpoint b{tls_config()};
    endpoint good{tls_config()};
    check_peering_fails(a, b, good);
  }
}

TEST_CASE("an encrypted key needs its passphrase", "[tls]") {
  certificate_dir certs;
  auto ca = certs.make_ca("ca");
  auto ka = certs.issue("a", "ca", "s3cret pass");
  SECTION("the right passphrase works") {
    endpoint a{tls_config(ka, ca, "s3cret pass")};
    endpoint b{tls_config(certs.issue("b", "ca"), ca)};
    auto port = b.listen("127.0.0.1", 0);
    REQUIRE(port != 0);
    check_peering_works(a, b, port);
  }
  SECTION("a wrong passphrase throws") {
    auto what = construction_error(tls_config(ka, ca, "wrong"));
    CHECK_THAT(what, Contains("broker.ssl.key"));
    CHECK_THAT(what, Contains(ka.key));
    CHECK_THAT(what, Contains("passphrase"));
  }
  SECTION("no passphrase throws (and never prompts on a terminal)") {
    auto what = construction_error(tls_config(ka, ca));
    CHECK_THAT(what, Contains("broker.ssl.key"));
    CHECK_THAT(what, Contains(ka.key));
  }
}

TEST_CASE("bad broker.ssl settings make the constructor throw", "[tls]") {
  certificate_dir certs;
  auto ca = certs.make_ca("ca");
  auto ka = certs.issue("a", "ca");
  auto kb = certs.issue("b", "ca");
  SECTION("a CA file but no certificate and key") {
    auto cfg = tls_config();
    cfg.openssl_cafile(ca);
    auto what = construction_error(std::move(cfg));
    CHECK_THAT(what, Contains("broker.ssl.certificate: not set"));
  }
  SECTION("only a passphrase") {
    auto cfg = tls_config();
    cfg.openssl_passphrase("secret");
    CHECK_THAT(construction_error(std::move(cfg)),
               Contains("broker.ssl.certificate: not set"));
  }
  SECTION("a certificate without key") {
    auto cfg = tls_config();
    cfg.openssl_certificate(ka.certificate);
    cfg.openssl_cafile(ca);
    CHECK_THAT(construction_error(std::move(cfg)),
               Contains("broker.ssl.key: not set"));
  }
  SECTION("a certificate file that does not exist") {
    auto missing = certs.path("missing.pem");
    auto what = construction_error(tls_config(key_pair{missing, ka.key}, ca));
    CHECK_THAT(what, Contains("broker.ssl.certificate"));
    CHECK_THAT(what, Contains(missing));
    CHECK_THAT(what, Contains("No such file"));
  }
  SECTION("a key that belongs to another certificate") {
    auto what =
        construction_error(tls_config(key_pair{ka.certificate, kb.key}, ca));
    CHECK_THAT(what, Contains("broker.ssl.key"));
    CHECK_THAT(what, Contains("does not match broker.ssl.certificate"));
  }
  SECTION("a CA file that is not PEM") {
    auto what = construction_error(tls_config(ka, ka.key));
    CHECK_THAT(what, Contains("broker.ssl.cafile"));
  }
  SECTION("disable-ssl ignores the settings") {
    auto cfg = test_config();
    cfg.openssl_cafile(ca);
    CHECK(construction_error(std::move(cfg)).empty());
  }
}

// -- the TLS module (net/tls_module.hh) ---------------------------------------

TEST_CASE("plaintext endpoints never load OpenSSL, TLS endpoints load it with "
          "the TLS module",
          "[tls]") {
  const std::vector<std::string> files = {"libssl.so", "libcrypto.so",
                                          "libbroker-tls.so"};
  auto run_child = [&](uint16_t port, std::vector<std::string> args,
                       const char* expected) {
    for (auto x : {std::string{"--peer"}, std::to_string(port)})
      args.push_back(x);
    for (auto& file : files)
      for (auto x : {std::string{"--mapped"}, file})
        args.push_back(x);
    child_process child{BROKER_CHILD_ENDPOINT, args};
    CHECK(child.read_line(10s) == "peered 1");
    for (auto& file : files)
      CHECK(child.read_line(10s) == "mapped " + file + ' ' + expected);
  };
  SECTION("plaintext: neither OpenSSL nor the module") {
    endpoint a{test_config()};
    run_child(a.listen("127.0.0.1", 0), {}, "0");
  }
  SECTION("TLS: OpenSSL and the module") {
    endpoint a{tls_config()};
    run_child(a.listen("127.0.0.1", 0), {"--set", "broker.disable-ssl=false"},
              "1");
  }
}

TEST_CASE("the TLS module's loader says what went wrong", "[tls]") {
  std::string what;
  SECTION("the module next to libbroker loads, once") {
    auto path = net::default_tls_module_path();
    CHECK_THAT(path, EndsWith("/libbroker-tls.so"));
    auto* mod = net::load_tls_module(path, what);
    REQUIRE(mod != nullptr);
    CHECK(net::load_tls_module(path, what) == mod);
  }
  SECTION("a file that does not exist") {
    CHECK(net::load_tls_module("/nonexistent/libbroker-tls.so", what) ==
          nullptr);
    CHECK_THAT(what, StartsWith("cannot load the TLS module: "));
    CHECK_THAT(what, Contains("/nonexistent/libbroker-tls.so"));
  }
  SECTION("a library without the entry point") {
    CHECK(net::load_tls_module("libc.so.6", what) == nullptr);
    CHECK(what ==
          "cannot load the TLS module: libc.so.6 has no broker_tls_module");
  }
  SECTION("a module of another build") {
    CHECK(net::load_tls_module(BROKER_FAKE_TLS_MODULE, what) == nullptr);
    CHECK_THAT(what, EndsWith(" was built for 'tls_module v0', this libbroker "
                              "for '" +
                              net::tls_module_abi() + "'"));
  }
}
