#include "broker/data.hh"

#include "format/bin.hh"
#include "support/vector_values.hh"
#include "support/vectors.hh"

#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <sstream>
#include <unordered_set>

using namespace std::literals;
using namespace broker;

namespace {

// -- to_string.txt ------------------------------------------------------------

namespace bin = broker::format::bin::v1;

/// Decodes the bytes of a data.txt row.
data decode_row(const broker::test::vector_row& row) {
  auto bytes = broker::test::from_hex(row.fields.at(1));
  data result;
  bin::decode_error err;
  auto ok = bin::decode(bytes, result, err);
  INFO(row.name() << ": " << err.reason);
  REQUIRE(ok);
  return result;
}

bool is_data_row(const broker::test::vector_row& row) {
  return row.name().rfind("zeek_", 0) != 0;
}

void check_to_string_row(const broker::test::vector_row& row) {
  auto value = broker::test::data_vector_value(row.name());
  if (!value) {
    // No value in vector_values.cc: use the row of the same name in
    // data.txt (vectors README: to_string.txt covers every data.txt value).
    auto bytes_row = broker::test::find_vector_row("data.txt", row.name());
    INFO("to_string.txt row without a value in code or a data.txt row");
    REQUIRE(bytes_row);
    value = decode_row(*bytes_row);
  }
  CHECK(to_string(*value) == broker::test::text_column(row.fields.at(1)));
}

/// Returns whether `x` is a NaN real (which equals nothing, not even itself).
bool is_nan(const data& x) {
  auto r = get_if<real>(x);
  return r && std::isnan(*r);
}

BROKER_VECTOR_TESTS("to_string.txt", "[model][data][vectors]",
                    check_to_string_row, is_data_row);

} // namespace

TEST_CASE("data maps C++ types to alternatives", "[model][data]") {
  CHECK(data{}.get_type() == data::type::none);
  CHECK(data{true}.get_type() == data::type::boolean);
  CHECK(data{42}.get_type() == data::type::integer);
  CHECK(data{42u}.get_type() == data::type::count);
  CHECK(data{uint8_t{42}}.get_type() == data::type::count);
  CHECK(data{1.5f}.get_type() == data::type::real);
  CHECK(data{"x"}.get_type() == data::type::string);
  CHECK(data{"x"sv}.get_type() == data::type::string);
  CHECK(data{std::chrono::seconds{1}} == data{timespan{1'000'000'000}});
  CHECK(data{std::chrono::system_clock::time_point{}}.get_type() ==
        data::type::timestamp);
  CHECK(data{enum_value{"x"}}.get_type() == data::type::enum_value);
  CHECK(data{vector{}}.get_type() == data::type::vector);
  CHECK(data{}.is_none());
}

TEST_CASE("type names", "[model][data]") {
  CHECK(data{}.get_type_name() == "none"s);
  CHECK(data{count{1}}.get_type_name() == "count"s);
  CHECK(data{table{}}.get_type_name() == "table"s);
  CHECK(to_string(data::type::enum_value) == "enum_value"s);
  CHECK(to_string(data::type::vector) == "vector"s);
}

TEST_CASE("access with get, get_if and is", "[model][data]") {
  data x{"abc"s};
  CHECK(is<std::string>(x));
  CHECK_FALSE(is<count>(x));
  CHECK(get<std::string>(x) == "abc");
  CHECK(get_if<count>(x) == nullptr);
  CHECK(get_if<count>(static_cast<data*>(nullptr)) == nullptr);
  REQUIRE(get_if<std::string>(&x) != nullptr);
  CHECK_THROWS_AS(get<count>(x), std::bad_variant_access);
  auto len = visit(
      [](const auto& v) -> size_t {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>)
          return v.size();
        else
          return 0;
      },
      x);
  CHECK(len == 3);
}

TEST_CASE("values order by type tag first", "[model][data]") {
  // spec: upstream-broker.md §4.6: type tag first, then the value.
  const data ordered[] = {
      nil,
      false,
      true,
      count{0},
      count{100},
      integer{-100},
      integer{0},
      -1e300,
      1.5,
      ""s,
      "a"s,
      "b"s,
      test::parse<address>("::1"),
      test::parse<address>("1.2.3.4"),
      test::parse<subnet>("10.0.0.0/8"),
      test::parse<subnet>("10.0.0.0/16"),
      port{80, port::protocol::tcp},
      port{80, port::protocol::udp},
      timestamp{timespan{-1}},
      timespan{-1},
      enum_value{"A"},
      set{},
      set{count{1}},
      set{count{1}, count{2}},
      set{count{2}},
      table{},
      table{{count{1}, nil}},
      vector{},
      vector{nil},
      vector{count{0}},
  };
  for (size_t i = 0; i + 1 < std::size(ordered); ++i) {
    INFO(to_string(ordered[i]) << " < " << to_string(ordered[i + 1]));
    CHECK(ordered[i] < ordered[i + 1]);
    CHECK(ordered[i + 1] > ordered[i]);
    CHECK(ordered[i] != ordered[i + 1]);
    CHECK(ordered[i] <= ordered[i]);
  }
  // A count is never equal to an integer of the same value.
  CHECK(data{count{1}} != data{integer{1}});
  set mixed{"a"s, count{1}, 2.5, test::parse<address>("1.2.3.4")};
  CHECK(to_string(mixed) == "{1, 2.500000, a, 1.2.3.4}");
}

TEST_CASE("hashes agree with equality", "[model][data]") {
  std::unordered_set<data> xs;
  xs.insert(0.0);
  xs.insert(-0.0);
  CHECK(xs.size() == 1);
  CHECK(data{0.0}.hash() == data{-0.0}.hash());
  xs.insert(count{1});
  xs.insert(integer{1});
  xs.insert(vector{count{1}, "x"s});
  xs.insert(vector{count{1}, "x"s});
  xs.insert(table{{"k"s, set{nil}}});
  xs.insert(table{{"k"s, set{nil}}});
  CHECK(xs.size() == 5);
}

TEST_CASE("equal values built independently hash alike", "[model][data]") {
  set inserted;
  for (count i : {3u, 1u, 2u})
    inserted.insert(i);
  table filled;
  filled.emplace("b"s, count{2});
  filled.emplace("a"s, count{1});
  vector pushed;
  pushed.emplace_back(count{1});
  pushed.emplace_back("x"s);
  const std::pair<data, data> pairs[] = {
      {0.0, -0.0},
      {inserted, set{count{1}, count{2}, count{3}}},
      {filled, table{{"a"s, count{1}}, {"b"s, count{2}}}},
      {pushed, vector{count{1}, "x"s}},
      {"ab"s + "c", "abc"s},
      {enum_value{"a"s + "b"}, enum_value{"ab"}},
      {timespan{std::chrono::seconds{1}},
       timespan{std::chrono::milliseconds{1000}}},
      {vector{inserted, filled},
       vector{set{count{1}, count{2}, count{3}},
              table{{"a"s, count{1}}, {"b"s, count{2}}}}},
  };
  for (const auto& [x, y] : pairs) {
    INFO(to_string(x));
    REQUIRE(x == y);
    CHECK(x.hash() == y.hash());
  }
  // Each data.txt value as the decoder builds it from upstream's bytes and
  // as vector_values.cc builds it in C++.
  size_t num_compared = 0;
  for (const auto& row : broker::test::load_vector_file("data.txt")) {
    auto built = broker::test::data_vector_value(row.name());
    auto decoded = decode_row(row);
    if (!built || !(*built == decoded))
      continue; // NaN, and the rows that decode to another value (subnormal)
    INFO(row.name());
    CHECK(built->hash() == decoded.hash());
    ++num_compared;
  }
  CHECK(num_compared > 0);
}

TEST_CASE("different values hash differently", "[model][data]") {
  // Near misses: same bits, another type or order or nesting.
  const std::pair<data, data> pairs[] = {
      {count{1}, integer{1}},
      {count{0}, false},
      {nil, ""s},
      {nil, vector{}},
      {""s, enum_value{""}},
      {"a"s, enum_value{"a"}},
      {timestamp{}, timespan{}},
      {set{}, vector{}},
      {set{}, table{}},
      {set{count{1}}, vector{count{1}}},
      {vector{count{1}, count{2}}, vector{count{2}, count{1}}},
      {vector{}, vector{data{vector{}}}},
      {vector{nil}, vector{}},
      {table{{count{1}, count{2}}}, table{{count{2}, count{1}}}},
      {table{{count{1}, nil}}, set{count{1}}},
      {"ab"s, "ba"s},
      {port{80, port::protocol::tcp}, port{80, port::protocol::udp}},
  };
  for (const auto& [x, y] : pairs) {
    INFO(to_string(x) << " vs " << to_string(y));
    REQUIRE(x != y);
    CHECK(x.hash() != y.hash());
  }
  // The distinct values of data.txt: a collision of 64-bit hashes among 60
  // values is not expected.
  std::set<data> values;
  for (const auto& row : broker::test::load_vector_file("data.txt")) {
    auto x = decode_row(row);
    if (!is_nan(x))
      values.insert(std::move(x));
  }
  std::set<size_t> hashes;
  for (const auto& x : values)
    hashes.insert(x.hash());
  CHECK(values.size() > 1);
  CHECK(hashes.size() == values.size());
}

TEST_CASE("to_string of containers and streaming", "[model][data]") {
  CHECK(to_string(set{}) == "{}");
  CHECK(to_string(table{{count{1}, "x"s}, {count{2}, vector{}}}) ==
        "{1 -> x, 2 -> ()}");
  CHECK(to_string(vector{nil, true, false}) == "(nil, T, F)");
  CHECK(to_string(data{-std::numeric_limits<real>::quiet_NaN()}) == "nan");
  std::string str = "junk";
  convert(data{vector{count{1}}}, str);
  CHECK(str == "(1)");
  convert(set{count{2}}, str);
  CHECK(str == "{2}");
  convert(table{}, str);
  CHECK(str == "{}");
  convert(vector{}, str);
  CHECK(str == "()");
  std::ostringstream out;
  out << data{port{80, port::protocol::tcp}};
  CHECK(out.str() == "80/tcp");
}
