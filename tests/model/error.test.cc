#include "broker/error.hh"

#include "broker/data.hh"

#include <catch2/catch.hpp>

#include <sstream>

using namespace std::literals;
using namespace broker;

TEST_CASE("ec names match upstream", "[model][error]") {
  // spec: upstream-broker.md §2.2
  CHECK(enum_str(ec::none) == "none");
  CHECK(enum_str(ec::peer_unavailable) == "peer_unavailable");
  CHECK(enum_str(ec::invalid_status) == "invalid_status");
  CHECK(enum_str(ec::deserialization_failed) == "deserialization_failed");
  CHECK(enum_str(ec::logic_error) == "logic_error");
  CHECK(enum_str(ec::invalid_json) == "invalid_json"); // not named upstream
  CHECK(enum_str(static_cast<ec>(42)).empty());
  for (uint8_t i = 0; i <= 41; ++i) {
    auto code = static_cast<ec>(i);
    ec parsed = ec::none;
    REQUIRE(convert(enum_str(code), parsed));
    CHECK(parsed == code);
  }
  ec code = ec::unspecified;
  CHECK_FALSE(convert("no_such_code"sv, code));
  CHECK(code == ec::unspecified);
  std::string str;
  convert(ec::peer_invalid, str);
  CHECK(str == "peer_invalid");
  std::ostringstream out;
  out << ec::type_clash;
  CHECK(out.str() == "type_clash");
}

TEST_CASE("drop_conn accepts the codes below 41, as upstream",
          "[model][error]") {
  // spec: upstream-broker.md §2.2 quirk: upstream's convertible_to_ec
  // accepts x < 41, so invalid_json (41) is an ec but not on the wire.
  for (unsigned i = 0; i <= 40; ++i) {
    INFO(i);
    CHECK(convertible_to_ec(static_cast<uint8_t>(i)));
  }
  CHECK(convertible_to_ec(static_cast<uint8_t>(ec::logic_error)));
  CHECK_FALSE(convertible_to_ec(static_cast<uint8_t>(ec::invalid_json)));
  for (unsigned i = 41; i <= 255; ++i) {
    INFO(i);
    CHECK_FALSE(convertible_to_ec(static_cast<uint8_t>(i)));
  }
  static_assert(!convertible_to_ec(41));
}

TEST_CASE("error accessors", "[model][error]") {
  error none_err;
  CHECK_FALSE(none_err.valid());
  CHECK(!none_err);
  CHECK(none_err.code() == ec::none);
  CHECK(none_err.message() == nullptr);
  CHECK(none_err.context() == nullptr);
  auto err = make_error(ec::invalid_data, "msg");
  CHECK(err.valid());
  CHECK(err == ec::invalid_data);
  CHECK(ec::invalid_data == err);
  CHECK(err != ec::type_clash);
  REQUIRE(err.message() != nullptr);
  CHECK(*err.message() == "msg");
  CHECK(err.context() == nullptr);
  endpoint_info info{endpoint_id{}, network_info{"h", 1}};
  auto full = make_error(ec::peer_unavailable, info, "m");
  REQUIRE(full.context() != nullptr);
  CHECK(*full.context() == info);
  CHECK(full != err);
}

TEST_CASE("errors print as upstream does", "[model][error]") {
  // Texts of the to_string_object column of status.txt, plus the forms it
  // does not cover.
  CHECK(to_string(error{}) == "none");
  CHECK(to_string(make_error(ec::peer_invalid)) == "peer_invalid");
  CHECK(to_string(make_error(ec::invalid_data, "just a message")) ==
        "invalid_data(\"just a message\")");
  CHECK(to_string(make_error(ec::invalid_data, "say \"hi\"\\")) ==
        "invalid_data(\"say \\\"hi\\\"\\\\\")");
  CHECK(to_string(make_error(ec::invalid_json, "x")) == "invalid_json(\"x\")");
  std::ostringstream out;
  out << make_error(ec::unspecified, "u");
  CHECK(out.str() == "unspecified(\"u\")");
}

TEST_CASE("errors convert to and from data", "[model][error]") {
  // spec: upstream-broker.md §2.3
  const error samples[] = {
      error{},
      make_error(ec::peer_invalid),
      make_error(ec::invalid_data, "just a message"),
      make_error(ec::peer_unavailable,
                 endpoint_info{endpoint_id{}, network_info{"127.0.0.1", 9999}},
                 "unable to connect to remote peer"),
      make_error(ec::invalid_json, "bad"),
  };
  for (const auto& err : samples) {
    INFO(to_string(err));
    data x;
    REQUIRE(convert(err, x));
    error back{ec::logic_error};
    REQUIRE(convert(x, back));
    CHECK(back == err);
  }
  data x;
  REQUIRE(convert(make_error(ec::peer_invalid), x));
  CHECK(x == data{vector{"error"s, enum_value{"peer_invalid"}, nil}});
  REQUIRE(convert(error{}, x));
  CHECK(x == data{vector{"error"s, enum_value{"none"}, nil}});
}

TEST_CASE("malformed error data is rejected", "[model][error]") {
  const data bad[] = {
      nil,
      vector{},
      vector{"error"s, enum_value{"none"}},
      vector{"status"s, enum_value{"none"}, nil},
      vector{"error"s, "peer_invalid"s, nil},
      vector{"error"s, enum_value{"no_such_code"}, nil},
      vector{"error"s, enum_value{"peer_invalid"}, "msg"s},
      vector{"error"s, enum_value{"peer_invalid"}, vector{}},
      vector{"error"s, enum_value{"peer_invalid"}, vector{count{1}}},
      vector{"error"s, enum_value{"peer_invalid"}, vector{nil, "m"s}},
      vector{"error"s, enum_value{"peer_invalid"},
             vector{vector{nil, nil, nil, nil}, count{1}}},
      vector{"error"s, enum_value{"peer_invalid"}, vector{"a"s, "b"s, "c"s}},
  };
  for (const auto& x : bad) {
    INFO(to_string(x));
    auto err = make_error(ec::logic_error, "keep");
    CHECK_FALSE(convert(x, err));
    CHECK(err == make_error(ec::logic_error, "keep"));
  }
  // As upstream: code `none` means "no error", whatever the context says.
  error err{ec::logic_error};
  REQUIRE(
      convert(data{vector{"error"s, enum_value{"none"}, vector{"m"s}}}, err));
  CHECK(err == error{});
}
