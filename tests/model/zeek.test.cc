#include "broker/zeek.hh"

#include "format/bin.hh"
#include "support/vector_values.hh"
#include "support/vectors.hh"

#include <catch2/catch.hpp>

using namespace std::literals;
using namespace broker;
using namespace broker::zeek;

namespace bin = broker::format::bin::v1;

using broker::test::vector_row;

namespace {

// -- zeek.txt and the zeek_ rows of to_string.txt -----------------------------

/// Decodes the bytes of a zeek.txt row.
data decode_row(const vector_row& row) {
  auto bytes = broker::test::from_hex(row.fields.at(1));
  data result;
  bin::decode_error err;
  auto ok = bin::decode(bytes, result, err);
  INFO(row.name() << ": " << err.reason);
  REQUIRE(ok);
  return result;
}

void check_zeek_row(const vector_row& row) {
  const auto& hex = row.fields.at(1);
  auto decoded = decode_row(row);
  // Every row, also one without a value in vector_values.cc, is a valid
  // Zeek message that re-encodes to upstream's bytes.
  CHECK(valid(decoded));
  CHECK(broker::test::to_hex(bin::encode(decoded)) == hex);
  if (auto value = broker::test::zeek_vector_value(row.name())) {
    CHECK(broker::test::to_hex(bin::encode(*value)) == hex);
    CHECK(decoded == *value);
  }
}

BROKER_VECTOR_TESTS("zeek.txt", "[model][zeek][vectors]", check_zeek_row);

constexpr std::string_view zeek_row_prefix = "zeek_";

bool is_zeek_row(const vector_row& row) {
  return row.name().rfind(zeek_row_prefix, 0) == 0;
}

void check_zeek_to_string_row(const vector_row& row) {
  auto name = std::string_view{row.name()}.substr(zeek_row_prefix.size());
  auto value = broker::test::zeek_vector_value(name);
  if (!value) {
    // No value in vector_values.cc: use the zeek.txt row of that name.
    auto bytes_row = broker::test::find_vector_row("zeek.txt", name);
    INFO("to_string.txt row without a value in code or a zeek.txt row");
    REQUIRE(bytes_row);
    value = decode_row(*bytes_row);
  }
  CHECK(to_string(*value) == broker::test::text_column(row.fields.at(1)));
}

BROKER_VECTOR_TESTS("to_string.txt", "[model][zeek][vectors]",
                    check_zeek_to_string_row, is_zeek_row);

timestamp ts_1700() {
  return timestamp{timespan{1700000000123456789}};
}

} // namespace

TEST_CASE("events expose name, args and metadata", "[model][zeek]") {
  Event plain{"ping", vector{count{42}}};
  CHECK(plain.valid());
  CHECK(plain.type() == Type::Event);
  CHECK(plain.name() == "ping");
  CHECK(plain.args() == vector{count{42}});
  CHECK(plain.metadata() == nullptr);
  CHECK_FALSE(plain.ts());
  plain.args().emplace_back("more"s);
  CHECK(plain.args().size() == 2);
  Event stamped{"ping", vector{}, ts_1700()};
  CHECK(stamped.valid());
  REQUIRE(stamped.ts());
  CHECK(*stamped.ts() == ts_1700());
  REQUIRE(stamped.metadata() != nullptr);
  CHECK(stamped.metadata()->size() == 1);
  Event custom{
      "ping", vector{},
      vector{vector{count{200}, "custom"s}, vector{count{1}, ts_1700()}}};
  CHECK(custom.valid());
  REQUIRE(custom.metadata_value(200) != nullptr);
  CHECK(*custom.metadata_value(200) == data{"custom"s});
  CHECK(custom.metadata_value(201) == nullptr);
  CHECK(custom.ts() == ts_1700());
}

TEST_CASE("other message types expose their fields", "[model][zeek]") {
  LogCreate create{enum_value{"Conn::LOG"}, enum_value{"Log::WRITER_ASCII"},
                   "info"s, vector{}};
  CHECK(create.valid());
  CHECK(create.type() == Type::LogCreate);
  CHECK(create.stream_id().name == "Conn::LOG");
  CHECK(create.writer_id().name == "Log::WRITER_ASCII");
  CHECK(create.writer_info() == data{"info"s});
  CHECK(create.fields_data() == data{vector{}});
  LogWrite write{enum_value{"A"}, enum_value{"B"}, "path", "bytes"};
  CHECK(write.valid());
  CHECK(write.path() == "path");
  CHECK(write.serial_data() == "bytes");
  CHECK(write.stream_id().name == "A");
  CHECK(write.writer_id().name == "B");
  IdentifierUpdate update{"Test::x", count{42}};
  CHECK(update.valid());
  CHECK(update.id_name() == "Test::x");
  CHECK(update.id_value() == data{count{42}});
  Batch batch;
  CHECK(batch.valid());
  CHECK(batch.size() == 0);
  batch.add(update);
  batch.add(Event{"e", vector{}});
  CHECK(batch.valid());
  CHECK(batch.size() == 2);
  CHECK(batch.batch().at(0) == update.as_data());
  CHECK(Message::type(batch.as_data()) == Type::Batch);
}

TEST_CASE("validity follows the Zeek message layout", "[model][zeek]") {
  // spec: upstream-broker.md §4.7
  auto msg = [](count type, vector content) {
    return data{vector{count{1}, type, std::move(content)}};
  };
  auto ping = Event{"ping", vector{}}.move_data();
  const data invalid[] = {
      nil,
      vector{},
      vector{count{1}, count{1}},                           // too short
      vector{count{2}, count{1}, vector{"e"s, vector{}}},   // version 2
      vector{integer{1}, count{1}, vector{"e"s, vector{}}}, // integer version
      msg(0, vector{"e"s, vector{}}),                       // type 0
      msg(6, vector{"e"s, vector{}}),                       // type 6
      vector{count{1}, count{1}, "content"s},           // content not a vector
      msg(1, vector{"e"s}),                             // event without args
      msg(1, vector{count{1}, vector{}}),               // name not a string
      msg(1, vector{"e"s, set{}}),                      // args not a vector
      msg(1, vector{"e"s, vector{}, set{}}),            // metadata not a vector
      msg(1, vector{"e"s, vector{}, vector{count{1}}}), // entry not a pair
      msg(1, vector{"e"s, vector{}, vector{data{vector{count{1}}}}}),
      msg(1, vector{"e"s, vector{}, vector{data{vector{integer{5}, nil}}}}),
      msg(1, vector{"e"s, vector{},
                    vector{data{vector{count{1}, count{5}}}}}), // ts type
      msg(2, vector{enum_value{"a"}, "b"s, nil, nil}), // writer not an enum
      msg(2, vector{enum_value{"a"}, enum_value{"b"}, nil}), // too short
      msg(3, vector{enum_value{"a"}, enum_value{"b"}, "p"s, count{1}}),
      msg(4, vector{count{1}, nil}), // name not a string
      msg(4, vector{"x"s}),          // no value
      msg(5, vector{ping, nil}),     // invalid element
      msg(5, vector{ping, msg(5, vector{msg(1, vector{})})}), // nested invalid
  };
  for (const auto& x : invalid) {
    INFO(to_string(x));
    CHECK_FALSE(valid(x));
  }
  const data ok[] = {
      msg(1, vector{"e"s, vector{}}),
      msg(1, vector{"e"s, vector{}, vector{}}),
      msg(1, vector{"e"s, vector{}, vector{data{vector{count{7}, nil}}}}),
      msg(2, vector{enum_value{"a"}, enum_value{"b"}, nil, nil}),
      msg(3, vector{enum_value{"a"}, enum_value{"b"}, "p"s, ""s}),
      msg(4, vector{"x"s, nil}),
      msg(5, vector{}),
      msg(5, vector{ping, msg(5, vector{ping})}),
  };
  for (const auto& x : ok) {
    INFO(to_string(x));
    CHECK(valid(x));
  }
  CHECK(Event{msg(1, vector{"e"s, vector{}})}.valid());
  CHECK_FALSE(Event{msg(4, vector{"x"s, nil})}.valid());
  CHECK_FALSE(
      LogWrite{msg(2, vector{enum_value{"a"}, enum_value{"b"}, nil, nil})}
          .valid());
  CHECK_FALSE(Batch{msg(5, vector{nil})}.valid());
  CHECK(Batch{msg(5, vector{ping})}.size() == 1);
  CHECK(Message::type(vector{count{1}, count{3}, nil}) == Type::LogWrite);
  CHECK(Message::type(count{1}) == Type::Invalid);
}

TEST_CASE("accessors of invalid messages throw", "[model][zeek]") {
  Event broken{data{count{1}}};
  CHECK_FALSE(broken.valid());
  CHECK_THROWS(broken.name());
  CHECK_THROWS(broken.args());
  CHECK(broken.metadata() == nullptr);
  CHECK_FALSE(broken.ts());
  Batch not_a_batch{data{nil}};
  CHECK(not_a_batch.size() == 0);
  CHECK_THROWS(not_a_batch.batch());
  CHECK_THROWS(not_a_batch.add(Event{"e", vector{}}));
}
