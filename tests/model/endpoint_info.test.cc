#include "broker/endpoint_info.hh"

#include "broker/data.hh"

#include <catch2/catch.hpp>

#include <sstream>

using namespace std::literals;
using namespace broker;

namespace {

endpoint_id id_q() {
  endpoint_id result;
  REQUIRE(convert("22222222-2222-4222-8222-222222222222"s, result));
  return result;
}

} // namespace

TEST_CASE("network_info prints address and port", "[model][endpoint_info]") {
  network_info x{"127.0.0.1", 9999, timeout::seconds{5}};
  std::string str;
  convert(x, str);
  CHECK(str == "127.0.0.1:9999");
  std::ostringstream out;
  out << x;
  CHECK(out.str() == "127.0.0.1:9999");
  // Equality ignores the retry interval.
  CHECK(x == network_info{"127.0.0.1", 9999});
  CHECK(x != network_info{"127.0.0.1", 9998});
  CHECK(network_info{"a", 2} < network_info{"b", 1});
  CHECK(network_info{"a", 1} < network_info{"a", 2});
}

TEST_CASE("endpoint_info prints as upstream does", "[model][endpoint_info]") {
  endpoint_info with_net{id_q(), network_info{"127.0.0.1", 9999}};
  CHECK(to_string(with_net) ==
        "endpoint_info(22222222-2222-4222-8222-222222222222, "
        "*127.0.0.1:9999)");
  endpoint_info without_net{id_q(), std::nullopt};
  CHECK(to_string(without_net) ==
        "endpoint_info(22222222-2222-4222-8222-222222222222, none)");
  std::ostringstream out;
  out << without_net;
  CHECK(out.str() == to_string(without_net));
}

TEST_CASE("endpoint_info converts to and from data", "[model][endpoint_info]") {
  // spec: upstream-broker.md §2.3
  endpoint_info full{id_q(), network_info{"::1", 80, timeout::seconds{3}}};
  data x;
  REQUIRE(convert(full, x));
  CHECK(x == data{vector{"22222222-2222-4222-8222-222222222222"s, "::1"s,
                         port{80, port::protocol::tcp}, count{3}}});
  endpoint_info back;
  REQUIRE(convert(x, back));
  CHECK(back == full);
  CHECK(back.network->retry == timeout::seconds{3});
  endpoint_info none_at_all;
  REQUIRE(convert(none_at_all, x));
  CHECK(x == data{vector{nil, nil, nil, nil}});
  REQUIRE(convert(x, back));
  CHECK(back == none_at_all);
}

TEST_CASE("malformed endpoint_info data is rejected",
          "[model][endpoint_info]") {
  const auto id = "22222222-2222-4222-8222-222222222222"s;
  const auto tcp80 = port{80, port::protocol::tcp};
  const data bad[] = {
      nil,
      vector{},
      vector{nil, nil, nil},
      vector{"not-an-id"s, nil, nil, nil},
      vector{count{1}, nil, nil, nil},
      vector{id, "::1"s, nil, nil}, // network fields: all or none
      vector{id, nil, tcp80, count{1}},
      vector{id, "::1"s, tcp80, integer{1}}, // retry must be a count
      vector{id, "::1"s, count{80}, count{1}},
      vector{id, nil, nil, nil, nil},
  };
  for (const auto& x : bad) {
    INFO(to_string(x));
    endpoint_info result{id_q(), std::nullopt};
    CHECK_FALSE(convert(x, result));
    CHECK(result == endpoint_info{id_q(), std::nullopt});
  }
}
