#include "broker/port.hh"

#include <catch2/catch.hpp>

using namespace broker;

namespace {

std::string print(const port& x) {
  std::string result;
  convert(x, result);
  return result;
}

} // namespace

TEST_CASE("ports print as number and protocol", "[model][port]") {
  CHECK(print(port{80, port::protocol::tcp}) == "80/tcp");
  CHECK(print(port{53, port::protocol::udp}) == "53/udp");
  CHECK(print(port{8, port::protocol::icmp}) == "8/icmp");
  CHECK(print(port{}) == "0/?");
  CHECK(print(port{65535, port::protocol::unknown}) == "65535/?");
}

TEST_CASE("port text parses as upstream does", "[model][port]") {
  // json-decode.txt rows port_80_no_proto, port_80_bogus_proto, ...
  const std::pair<const char*, port> cases[] = {
      {"80", port{80, port::protocol::tcp}},
      {"80/tcp", port{80, port::protocol::tcp}},
      {"53/udp", port{53, port::protocol::udp}},
      {"8/icmp", port{8, port::protocol::icmp}},
      {"0/?", port{0, port::protocol::unknown}},
      {"80/sctp", port{80, port::protocol::unknown}},
      {"65535/tcp", port{65535, port::protocol::tcp}},
  };
  for (const auto& [str, expected] : cases) {
    INFO(str);
    port x;
    REQUIRE(convert(std::string{str}, x));
    CHECK(x == expected);
  }
}

TEST_CASE("malformed port text is rejected", "[model][port]") {
  // DESIGN.md §6: numbers above 65535 are errors (upstream wraps them).
  for (std::string str : {"", "/tcp", "70000/tcp", "65536", "-1/tcp", "+1/tcp",
                          "1 /tcp", "x/tcp", "123456/tcp", "0x50/tcp"}) {
    INFO(str);
    port x{1, port::protocol::udp};
    CHECK_FALSE(convert(str, x));
    CHECK(x == port{1, port::protocol::udp});
  }
}

TEST_CASE("ports order by number then protocol", "[model][port]") {
  CHECK(port{80, port::protocol::udp} < port{81, port::protocol::tcp});
  CHECK(port{80, port::protocol::tcp} < port{80, port::protocol::udp});
  CHECK(port{80, port::protocol::tcp}.hash() !=
        port{80, port::protocol::udp}.hash());
}
