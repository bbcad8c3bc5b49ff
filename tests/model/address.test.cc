#include "broker/address.hh"

#include <catch2/catch.hpp>

#include <cstring>
#include <unordered_set>

using namespace broker;

namespace {

address parse_ok(const std::string& str) {
  address result;
  INFO(str);
  REQUIRE(convert(str, result));
  return result;
}

std::string print(const address& x) {
  std::string result;
  convert(x, result);
  return result;
}

} // namespace

TEST_CASE("IPv4 addresses print dotted and are IPv4-mapped",
          "[model][address]") {
  auto x = parse_ok("192.168.1.2");
  CHECK(x.is_v4());
  CHECK_FALSE(x.is_v6());
  const address::byte_array expected{0, 0, 0,    0,    0,   0,   0, 0,
                                     0, 0, 0xff, 0xff, 192, 168, 1, 2};
  CHECK(x.bytes() == expected);
  CHECK(print(x) == "192.168.1.2");
  CHECK(print(parse_ok("::ffff:1.2.3.4")) == "1.2.3.4");
  CHECK(print(parse_ok("0.0.0.0")) == "0.0.0.0");
  CHECK(print(parse_ok("255.255.255.255")) == "255.255.255.255");
}

TEST_CASE("IPv6 addresses print as RFC 5952 text", "[model][address]") {
  const std::pair<const char*, const char*> cases[] = {
      {"::", "::"},
      {"::1", "::1"},
      {"2001:db8::1", "2001:db8::1"},
      {"2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
      // A single zero group is not compressed (RFC 5952 §4.2.2).
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
      // The longest run wins; the first one on ties (§4.2.3).
      {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
      {"1::", "1::"},
      {"fe80::1:2", "fe80::1:2"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      // IPv4-compatible (not mapped) addresses stay hexadecimal.
      {"::1.2.3.4", "::102:304"},
  };
  for (const auto& [in, out] : cases) {
    INFO(in);
    auto x = parse_ok(in);
    CHECK(x.is_v6());
    CHECK(print(x) == out);
    CHECK(parse_ok(print(x)) == x);
  }
}

TEST_CASE("malformed address text is rejected", "[model][address]") {
  const std::string bad[] = {
      "",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "1.2.3.4 ",
      " 1.2.3.4",
      "01.2.3.4",
      "1.2.3.-4",
      "a.b.c.d",
      ":::",
      "1::2::3",
      "12345::",
      "fe80::1%eth0",
      "::ffff:1.2.3",
      std::string{"1.2.3.4\0", 8},
      std::string(100, '1'),
      "localhost",
  };
  for (const auto& str : bad) {
    INFO(str);
    address x = parse_ok("9.9.9.9");
    CHECK_FALSE(convert(str, x));
    CHECK(x == parse_ok("9.9.9.9")); // untouched
  }
}

TEST_CASE("addresses from raw words", "[model][address]") {
  uint32_t host_v4 = 0x0a000001; // 10.0.0.1
  address a{&host_v4, address::family::ipv4, address::byte_order::host};
  CHECK(print(a) == "10.0.0.1");
  uint32_t net_v4 = 0;
  uint8_t net_bytes[] = {10, 0, 0, 1};
  std::memcpy(&net_v4, net_bytes, 4);
  address b{&net_v4, address::family::ipv4, address::byte_order::network};
  CHECK(a == b);
  uint32_t host_v6[] = {0x20010db8, 0, 0, 1};
  address c{host_v6, address::family::ipv6, address::byte_order::host};
  CHECK(print(c) == "2001:db8::1");
}

TEST_CASE("mask keeps the top bits", "[model][address]") {
  auto x = parse_ok("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  CHECK(x.mask(128));
  CHECK(print(x) == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  CHECK(x.mask(17));
  CHECK(print(x) == "ffff:8000::");
  CHECK(x.mask(0));
  CHECK(print(x) == "::");
  auto y = parse_ok("10.1.2.3");
  CHECK(y.mask(96 + 8));
  CHECK(print(y) == "10.0.0.0");
  CHECK_FALSE(y.mask(129));
  CHECK(print(y) == "10.0.0.0");
}

TEST_CASE("addresses order by bytes and hash consistently",
          "[model][address]") {
  auto a = parse_ok("::1");
  auto b = parse_ok("1.2.3.4");
  auto c = parse_ok("2001:db8::1");
  CHECK(a < b);
  CHECK(b < c);
  CHECK(a.compare(a) == 0);
  CHECK(a != b);
  CHECK(std::hash<address>{}(b) ==
        std::hash<address>{}(parse_ok("::ffff:1.2.3.4")));
  std::unordered_set<address> xs{a, b, c, parse_ok("::ffff:1.2.3.4")};
  CHECK(xs.size() == 3);
  CHECK(address{} == parse_ok("::"));
}
