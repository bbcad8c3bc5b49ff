#include "broker/subnet.hh"

#include <catch2/catch.hpp>

#include <unordered_set>

using namespace broker;

namespace {

template <class T>
T parse_ok(const std::string& str) {
  T result;
  INFO(str);
  REQUIRE(convert(str, result));
  return result;
}

std::string print(const subnet& x) {
  std::string result;
  convert(x, result);
  return result;
}

} // namespace

TEST_CASE("IPv4 subnets store the raw length", "[model][subnet]") {
  auto x = parse_ok<subnet>("10.0.0.0/8");
  CHECK(x.length() == 8);
  CHECK(x.raw_len() == 104);
  CHECK(print(x) == "10.0.0.0/8");
  CHECK(x.network() == parse_ok<address>("10.0.0.0"));
  CHECK(print(parse_ok<subnet>("0.0.0.0/0")) == "0.0.0.0/0");
  CHECK(parse_ok<subnet>("0.0.0.0/0").raw_len() == 96);
  CHECK(print(parse_ok<subnet>("1.2.3.4/32")) == "1.2.3.4/32");
}

TEST_CASE("subnets mask host bits", "[model][subnet]") {
  CHECK(print(parse_ok<subnet>("10.1.2.3/8")) == "10.0.0.0/8");
  CHECK(print(parse_ok<subnet>("2001:db8:ffff::1/32")) == "2001:db8::/32");
  subnet x{parse_ok<address>("192.168.77.1"), 16};
  CHECK(print(x) == "192.168.0.0/16");
}

TEST_CASE("out-of-range lengths yield the default subnet", "[model][subnet]") {
  subnet v4{parse_ok<address>("10.0.0.0"), 33};
  CHECK(v4 == subnet{});
  CHECK(print(v4) == "::/0");
  subnet v6{parse_ok<address>("2001:db8::"), 129};
  CHECK(v6 == subnet{});
}

TEST_CASE("unchecked subnets keep wire fields", "[model][subnet]") {
  // spec: upstream-broker.md §4.6: the decoder does not validate lengths.
  auto x = subnet::unchecked(parse_ok<address>("10.0.0.10"), 200);
  CHECK(x.raw_len() == 200);
  CHECK(print(x) == "10.0.0.10/104"); // data-decode.txt subnet_v4_raw_len_200
  CHECK(x.contains(parse_ok<address>("10.0.0.10")));
  CHECK_FALSE(x.contains(parse_ok<address>("10.0.0.11")));
}

TEST_CASE("contains checks the prefix", "[model][subnet]") {
  auto x = parse_ok<subnet>("192.168.0.0/16");
  CHECK(x.contains(parse_ok<address>("192.168.1.2")));
  CHECK_FALSE(x.contains(parse_ok<address>("192.169.0.0")));
  CHECK(parse_ok<subnet>("::/0").contains(parse_ok<address>("1.2.3.4")));
  CHECK(parse_ok<subnet>("0.0.0.0/0").contains(parse_ok<address>("1.2.3.4")));
  CHECK_FALSE(parse_ok<subnet>("0.0.0.0/0").contains(parse_ok<address>("::1")));
}

TEST_CASE("malformed subnet text is rejected", "[model][subnet]") {
  const std::string bad[] = {
      "",         "10.0.0.0",    "10.0.0.0/",   "/8",           "10.0.0.0/33",
      "::/129",   "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8 ",  "10.0.0.0/0008",
      "10.0.0/8", "x/8",         "10.0.0.0//8", "10.0.0.0/8/8",
  };
  for (const auto& str : bad) {
    INFO(str);
    auto x = parse_ok<subnet>("9.9.9.0/24");
    CHECK_FALSE(convert(str, x));
    CHECK(x == parse_ok<subnet>("9.9.9.0/24"));
  }
}

TEST_CASE("subnets order by network then length", "[model][subnet]") {
  auto a = parse_ok<subnet>("10.0.0.0/8");
  auto b = parse_ok<subnet>("10.0.0.0/16");
  auto c = parse_ok<subnet>("11.0.0.0/8");
  CHECK(a < b);
  CHECK(b < c);
  CHECK(a == parse_ok<subnet>("10.9.9.9/8"));
  std::unordered_set<subnet> xs{a, b, c, parse_ok<subnet>("10.9.9.9/8")};
  CHECK(xs.size() == 3);
}
