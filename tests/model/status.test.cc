#include "broker/status.hh"

#include "broker/data.hh"
#include "format/bin.hh"
#include "support/vectors.hh"

#include <catch2/catch.hpp>

#include <map>
#include <sstream>
#include <variant>

using namespace std::literals;
using namespace broker;

namespace bin = broker::format::bin::v1;

using broker::test::vector_row;

namespace {

endpoint_id id_q() {
  endpoint_id result;
  REQUIRE(convert("22222222-2222-4222-8222-222222222222"s, result));
  return result;
}

// -- status.txt ---------------------------------------------------------------

using status_or_error = std::variant<status, error>;

/// The objects behind the constructed rows (tests/vectors/README.md).
std::map<std::string, status_or_error> constructed_rows() {
  auto localhost = network_info{"127.0.0.1", 9999, timeout::seconds{0}};
  std::map<std::string, status_or_error> m;
  m["status_peer_added"] = status::make<sc::peer_added>(
      endpoint_info{id_q(), localhost}, "handshake successful");
  m["status_endpoint_discovered_no_network"] =
      status::make<sc::endpoint_discovered>(id_q(),
                                            "found a new peer in the network");
  m["status_default_unspecified"] = status{};
  m["error_peer_unavailable"] =
      make_error(ec::peer_unavailable, endpoint_info{endpoint_id{}, localhost},
                 "unable to connect to remote peer");
  m["error_peer_invalid_id_only"] =
      make_error(ec::peer_invalid, endpoint_info{id_q(), std::nullopt},
                 "cannot unpeer from unknown peer");
  m["error_invalid_data_message_only"] =
      make_error(ec::invalid_data, "just a message");
  m["error_default"] = error{};
  return m;
}

/// Returns the `data` column of the row `name` of status.txt, decoded.
data data_column(const std::string& name) {
  static const auto rows = broker::test::load_vector_file("status.txt");
  for (const auto& row : rows) {
    if (row.name() == name && row.fields.at(1) == "data") {
      auto bytes = broker::test::from_hex(row.fields.at(2));
      data result;
      bin::decode_error err;
      auto ok = bin::decode(bytes, result, err);
      INFO(err.reason);
      REQUIRE(ok);
      return result;
    }
  }
  FAIL("no data row for " << name);
  return {};
}

/// Converts a status or error as data back into its object.
status_or_error from_data(const data& x) {
  const auto& tag = get<std::string>(get<vector>(x).at(0));
  if (tag == "status") {
    status result;
    REQUIRE(convert(x, result));
    return result;
  }
  error result;
  REQUIRE(convert(x, result));
  return result;
}

data to_data(const status_or_error& x) {
  data result;
  std::visit([&result](const auto& obj) { REQUIRE(convert(obj, result)); }, x);
  return result;
}

std::string text_of(const status_or_error& x) {
  return std::visit([](const auto& obj) { return to_string(obj); }, x);
}

void check_status_row(const vector_row& row) {
  const auto& name = row.name();
  const auto& field = row.fields.at(1);
  const auto& expected = row.fields.at(2);
  auto value = data_column(name);
  auto constructed = constructed_rows();
  auto made = constructed.find(name);
  if (field == "data") {
    // data -> object -> data gives the same bytes.
    CHECK(broker::test::to_hex(bin::encode(to_data(from_data(value)))) ==
          expected);
    if (made != constructed.end()) {
      CHECK(broker::test::to_hex(bin::encode(to_data(made->second))) ==
            expected);
      CHECK(from_data(value) == made->second);
    }
  } else if (field == "to_string_object") {
    CHECK(text_of(from_data(value)) == expected);
    REQUIRE(made != constructed.end());
    CHECK(text_of(made->second) == expected);
  } else if (field == "to_string_data") {
    CHECK(to_string(value) == broker::test::text_column(expected));
  } else {
    FAIL("unknown field " << field);
  }
}

/// The `envelope` column belongs to the wire layer's tests.
bool is_model_row(const vector_row& row) {
  return row.fields.at(1) != "envelope";
}

BROKER_VECTOR_TESTS("status.txt", "[model][status][vectors]", check_status_row,
                    is_model_row);

} // namespace

TEST_CASE("sc names match upstream", "[model][status]") {
  // spec: upstream-broker.md §2.1
  const std::pair<sc, const char*> names[] = {
      {sc::unspecified, "unspecified"},
      {sc::peer_added, "peer_added"},
      {sc::peer_removed, "peer_removed"},
      {sc::peer_lost, "peer_lost"},
      {sc::endpoint_discovered, "endpoint_discovered"},
      {sc::endpoint_unreachable, "endpoint_unreachable"},
  };
  for (const auto& [code, name] : names) {
    CHECK(enum_str(code) == name);
    sc parsed = sc::unspecified;
    REQUIRE(convert(std::string_view{name}, parsed));
    CHECK(parsed == code);
    std::string str;
    convert(code, str);
    CHECK(str == name);
  }
  sc code = sc::peer_lost;
  CHECK_FALSE(convert("peer_recovered"sv, code));
  CHECK(code == sc::peer_lost);
  CHECK(enum_str(static_cast<sc>(6)).empty());
  std::ostringstream out;
  out << sc::peer_added;
  CHECK(out.str() == "peer_added");
}

TEST_CASE("status accessors", "[model][status]") {
  status unspecified;
  CHECK(unspecified.code() == sc::unspecified);
  CHECK(unspecified.context() == nullptr);
  REQUIRE(unspecified.message() != nullptr);
  CHECK(unspecified.message()->empty());
  auto added = make_status<sc::peer_added>(id_q(), "hi");
  CHECK(added == sc::peer_added);
  CHECK(sc::peer_added == added);
  CHECK(added != sc::peer_lost);
  REQUIRE(added.context() != nullptr);
  CHECK(added.context()->node == id_q());
  CHECK_FALSE(added.context()->network);
  CHECK(*added.message() == "hi");
  auto same = status::make(sc_constant<sc::peer_added>{},
                           endpoint_info{id_q(), std::nullopt}, "hi");
  CHECK(same == added);
  CHECK(status::make(sc::peer_added, endpoint_info{id_q(), std::nullopt},
                     "hi") == added);
  std::ostringstream out;
  out << added;
  CHECK(out.str() ==
        "peer_added(22222222-2222-4222-8222-222222222222, \"hi\")");
}

TEST_CASE("malformed status data is rejected", "[model][status]") {
  const auto ei =
      vector{"22222222-2222-4222-8222-222222222222"s, nil, nil, nil};
  const data bad[] = {
      nil,
      vector{"status"s, enum_value{"peer_added"}, ei},
      vector{"error"s, enum_value{"peer_added"}, ei, "m"s},
      vector{"status"s, "peer_added"s, ei, "m"s},
      vector{"status"s, enum_value{"peer_recovered"}, ei, "m"s},
      vector{"status"s, enum_value{"peer_added"}, nil, "m"s},
      vector{"status"s, enum_value{"peer_added"}, ei, nil},
      vector{"status"s, enum_value{"peer_added"}, vector{count{1}}, "m"s},
      vector{"status"s, enum_value{"unspecified"}, ei, "m"s},
      vector{"status"s, enum_value{"unspecified"}, nil, "m"s},
  };
  for (const auto& x : bad) {
    INFO(to_string(x));
    auto st = make_status<sc::peer_lost>(id_q(), "keep");
    CHECK_FALSE(convert(x, st));
    CHECK(st == make_status<sc::peer_lost>(id_q(), "keep"));
  }
}
