#include "format/json.hh"

#include "format/bin.hh"
#include "support/random_values.hh"
#include "support/vector_values.hh"
#include "support/vectors.hh"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>

using namespace std::literals;
using namespace broker;

namespace json = broker::format::json::v1;
namespace bin = broker::format::bin::v1;

using broker::test::text_column;
using broker::test::to_hex;
using broker::test::vector_row;
using json::decode_errc;

namespace {

// -- helpers ------------------------------------------------------------------

/// Topic of every value vector (vectors README, "Conventions").
constexpr std::string_view vector_topic = "/test";

std::string encode(const data& x, std::string_view t = vector_topic) {
  std::string result;
  json::encode(topic{t}, x, result);
  return result;
}

std::string encode_value(const data& x) {
  std::string result;
  json::encode_value(x, result);
  return result;
}

/// A data message as upstream and we write it, with `type` and the text of
/// `data`.
std::string message(std::string_view type, std::string_view data_text) {
  std::string result = R"({"type":"data-message","topic":"/test",)";
  result += R"("@data-type":")";
  result += type;
  result += R"(","data":)";
  result += data_text;
  result += '}';
  return result;
}

struct decode_result {
  bool ok = false;
  topic t;
  data value;
  json::decode_error err;
};

/// Decodes `text` with `json::decode`, and checks on the way that
/// `json::decode_wire` agrees: the same topic and the wire form of the same
/// value appended to what the buffer held, or the same error and the buffer
/// untouched. Every decoding test thus tests both.
decode_result decode(std::string_view text) {
  decode_result result;
  result.ok = json::decode(text, result.t, result.value, result.err);
  const bin::byte_buffer prefix{0xde, 0xad};
  auto wire = prefix;
  topic wire_topic;
  json::decode_error wire_err;
  auto wire_ok = json::decode_wire(text, wire_topic, wire, wire_err);
  INFO("decode_wire of " << text);
  REQUIRE(wire_ok == result.ok);
  if (result.ok) {
    CHECK(wire_topic == result.t);
    auto expected = prefix;
    bin::encode(result.value, expected);
    CHECK(to_hex(wire) == to_hex(expected));
  } else {
    CHECK(wire == prefix);
    CHECK(json::enum_str(wire_err.kind) == json::enum_str(result.err.kind));
    CHECK(wire_err.code == result.err.code);
    CHECK(wire_err.reason == result.err.reason);
  }
  return result;
}

std::string hex_of(const data& x) {
  return to_hex(bin::encode(x));
}

uint64_t bits_of(double x) {
  uint64_t result = 0;
  std::memcpy(&result, &x, sizeof(result));
  return result;
}

/// Equality, except that NaN reals equal each other (also inside
/// containers: the binary encoding writes every NaN as `ff..ff`).
bool same_value(const data& x, const data& y) {
  return x == y || bin::encode(x) == bin::encode(y);
}

bool starts_with(std::string_view str, std::string_view prefix) {
  return str.substr(0, prefix.size()) == prefix;
}

bool contains(std::string_view str, std::string_view what) {
  return str.find(what) != std::string_view::npos;
}

timestamp truncated_to_ms(timestamp x) {
  auto ns = x.time_since_epoch().count();
  constexpr int64_t ns_per_ms = 1'000'000;
  auto ms = ns / ns_per_ms - (ns % ns_per_ms < 0 ? 1 : 0);
  return timestamp{timespan{ms * ns_per_ms}};
}

// -- json.txt -----------------------------------------------------------------

/// Rows of json.txt where we write something else (DESIGN.md §6): reals as
/// the shortest text that reads back (always with fraction or exponent),
/// valid escapes instead of `\v` and raw control bytes, exact milliseconds
/// before 1970.
const std::map<std::string, std::string, std::less<>>& our_json_rows() {
  static const std::map<std::string, std::string, std::less<>> rows = {
      {"real_0", message("real", "0.0")},
      {"real_neg0", message("real", "-0.0")},
      {"real_1_5", message("real", "1.5")},
      {"real_m7_5", message("real", "-7.5")},
      {"real_1e300", message("real", "1e+300")},
      // Our binary codec keeps subnormals exact, so JSON shows the value
      // itself (upstream renders the garbled -1.6e299).
      {"real_5em324_subnormal", message("real", "5e-324")},
      {"real_0_1", message("real", "0.1")},
      {"string_with_nul", message("string", R"("a\u0000b")")},
      {"string_json_escapes",
       message("string", R"("q\"b\\s/n\nr\rt\tb\bf\fv\u000bc\u0001")")},
      {"timestamp_neg_1500000000ns",
       message("timestamp", R"("1969-12-31T23:59:58.500")")},
      {"set_mixed_a_1_2_5_1_2_3_4",
       message("set", R"([{"@data-type":"count","data":1},)"
                      R"({"@data-type":"real","data":2.5},)"
                      R"({"@data-type":"string","data":"a"},)"
                      R"({"@data-type":"address","data":"1.2.3.4"}])")},
      {"vector_mixed_nested",
       message("vector", R"([{"@data-type":"count","data":1},)"
                         R"({"@data-type":"string","data":"two"},)"
                         R"({"@data-type":"real","data":3.0},)"
                         R"({"@data-type":"vector","data":[)"
                         R"({"@data-type":"count","data":4},)"
                         R"({"@data-type":"string","data":"five"}]},)"
                         R"({"@data-type":"set","data":[]}])")},
  };
  return rows;
}

void check_json_row(const vector_row& row) {
  const auto& name = row.name();
  auto upstream_text = text_column(row.fields.at(1));
  auto value = broker::test::data_vector_value(name);
  REQUIRE(value);
  auto ours = encode(*value);
  // Encoding: byte-exact, except the documented rows.
  if (auto i = our_json_rows().find(name); i != our_json_rows().end()) {
    CHECK(ours == i->second);
    CHECK(ours != upstream_text);
  } else {
    CHECK(ours == upstream_text);
  }
  // Our output reads back to the value. Timestamps carry milliseconds only
  // (spec: §5.4), so a finer timestamp comes back truncated.
  auto expected = *value;
  if (auto ts = get_if<timestamp>(expected))
    expected = truncated_to_ms(*ts);
  auto decoded = decode(ours);
  INFO(decoded.err.reason);
  REQUIRE(decoded.ok);
  CHECK(decoded.t == topic{vector_topic});
  CHECK(same_value(decoded.value, expected));
  if (name == "real_nan")
    CHECK(std::isnan(get<real>(decoded.value)));
  // Upstream's output reads back too (even its `%f` reals, `\v` and raw
  // control bytes), to the value it printed.
  auto upstream = decode(upstream_text);
  INFO(upstream.err.reason);
  REQUIRE(upstream.ok);
  if (name == "real_5em324_subnormal") {
    // Upstream printed the value its binary round trip garbled (vectors
    // README, "Differences" 3): bytes fcd0..., about -1.6e299.
    CHECK(bits_of(get<real>(upstream.value)) == 0xfcd0'0000'0000'0000ull);
  } else if (name == "timestamp_neg_1500000000ns") {
    // Upstream printed -1 s (vectors README, "Differences" 4).
    CHECK(upstream.value == data{timestamp{std::chrono::seconds{-1}}});
  } else {
    CHECK(same_value(upstream.value, expected));
  }
}

BROKER_VECTOR_TESTS("json.txt", "[format][json][vectors]", check_json_row);

// -- json-decode.txt ----------------------------------------------------------

/// Returns the correctly rounded double for `text` (glibc's strtod is
/// correctly rounded; `decode` uses std::from_chars).
double correctly_rounded(const char* text) {
  return std::strtod(text, nullptr);
}

/// Expected decode_errc of the rows that fail for upstream. Upstream's ec
/// describes its internals: ec=41 (invalid_json) = CAF's JSON parser
/// failed -> malformed_json; ec=11 (type_clash) = conversion to a value
/// failed -> invalid_data (or not_an_object for a top-level non-object);
/// ec=37 (deserialization_failed) = the converted value was rejected by the
/// binary parser (duplicates) -> internal_error. count_overflow (ec=41) is
/// valid JSON with an out-of-range number: invalid_data for us.
decode_errc expected_errc(const std::string& name, int upstream_ec) {
  if (name == "top_level_array")
    return decode_errc::not_an_object;
  if (name == "count_overflow")
    return decode_errc::invalid_data;
  switch (upstream_ec) {
  case 41:
    return decode_errc::malformed_json;
  case 37:
    return decode_errc::internal_error;
  default:
    return decode_errc::invalid_data;
  }
}

void check_json_decode_row(const vector_row& row) {
  const auto& name = row.name();
  auto input = text_column(row.fields.at(1));
  const auto& result = row.fields.at(2);
  auto decoded = decode(input);
  INFO(decoded.err.reason);
  // DESIGN.md §6 rows first.
  if (name == "timespan_1d") {
    // Accepted (upstream rejects the unit `d`).
    REQUIRE(decoded.ok);
    CHECK(decoded.value == data{timespan{std::chrono::hours{24}}});
    return;
  }
  if (contains(name, "not_correctly_rounded")) {
    // Correctly rounded (upstream is off by one ulp).
    REQUIRE(decoded.ok);
    auto text = input.substr(input.rfind(':') + 1);
    text.pop_back(); // '}'
    auto expected = correctly_rounded(text.c_str());
    CHECK(bits_of(get<real>(decoded.value)) == bits_of(expected));
    CHECK("ok:" + hex_of(decoded.value) != result);
    return;
  }
  if (name == "subnet_v4_len_33") {
    // Rejected (upstream yields ::/0).
    CHECK_FALSE(decoded.ok);
    CHECK(decoded.err.kind == decode_errc::invalid_data);
    CHECK(decoded.err.reason ==
          "subnet prefix length 33 exceeds 32 for IPv4 10.0.0.0 at /data");
    return;
  }
  if (name == "port_out_of_range") {
    // Rejected (upstream wraps to 4464).
    CHECK_FALSE(decoded.ok);
    CHECK(decoded.err.kind == decode_errc::invalid_data);
    CHECK(decoded.err.reason == "port number 70000 exceeds 65535 at /data");
    return;
  }
  if (name == "real_huge_fixed_notation") {
    // DESIGN.md §6 ("reals ... always readable back"): upstream's parser
    // fails on fixed-notation numbers beyond 64-bit integers; ours reads
    // them.
    REQUIRE(decoded.ok);
    CHECK(decoded.value == data{1e23});
    return;
  }
  if (name == "real_inf_literal" || name == "real_neg_inf_literal") {
    // Our decision (json.hh): `inf` and `-inf` are accepted, so that all
    // our output (which writes them as upstream does) reads back; upstream
    // rejects them.
    REQUIRE(decoded.ok);
    auto inf = std::numeric_limits<real>::infinity();
    CHECK(decoded.value == data{name == "real_inf_literal" ? inf : -inf});
    return;
  }
  if (starts_with(result, "ok:")) {
    REQUIRE(decoded.ok);
    CHECK(hex_of(decoded.value) == result.substr(3));
    // spec: §5.3: a missing topic (or one that is no string) is empty.
    if (name == "missing_topic" || name == "topic_not_string")
      CHECK(decoded.t.empty());
    else
      CHECK(decoded.t == topic{vector_topic});
    return;
  }
  REQUIRE(starts_with(result, "error:ec="));
  auto upstream_ec = std::stoi(result.substr(9));
  CHECK_FALSE(decoded.ok);
  CHECK(decoded.err.code == ec::deserialization_failed);
  CHECK(json::enum_str(decoded.err.kind) ==
        json::enum_str(expected_errc(name, upstream_ec)));
  CHECK_FALSE(decoded.err.reason.empty());
}

BROKER_VECTOR_TESTS("json-decode.txt", "[format][json][vectors]",
                    check_json_decode_row);

} // namespace

// -- encoder ------------------------------------------------------------------

TEST_CASE("JSON encode appends to the output", "[format][json]") {
  std::string out = "xy";
  json::encode(topic{"/a"}, data{count{1}}, out);
  CHECK(out == R"(xy{"type":"data-message","topic":"/a",)"
               R"("@data-type":"count","data":1})");
  out = "z";
  json::encode_value(data{"s"s}, out);
  CHECK(out == R"(z{"@data-type":"string","data":"s"})");
}

TEST_CASE("JSON reals are the shortest text that reads back",
          "[format][json]") {
  auto real_text = [](double x) {
    auto str = encode_value(data{x});
    constexpr std::string_view prefix = R"({"@data-type":"real","data":)";
    REQUIRE(starts_with(str, prefix));
    return str.substr(prefix.size(), str.size() - prefix.size() - 1);
  };
  CHECK(real_text(1.0) == "1.0");
  CHECK(real_text(100.0) == "100.0");
  CHECK(real_text(-0.0) == "-0.0");
  CHECK(real_text(0.1) == "0.1");
  CHECK(real_text(1e22) == "1e+22");
  CHECK(real_text(1.5e-7) == "1.5e-07");
  CHECK(real_text(123456789.125) == "123456789.125");
  CHECK(real_text(std::numeric_limits<double>::max()) ==
        "1.7976931348623157e+308");
  CHECK(real_text(std::numeric_limits<double>::denorm_min()) == "5e-324");
  CHECK(real_text(std::numeric_limits<double>::quiet_NaN()) == "nan");
  CHECK(real_text(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(real_text(-std::numeric_limits<double>::infinity()) == "-inf");
}

TEST_CASE("JSON timespans use the largest exact unit", "[format][json]") {
  // spec: §5.4
  auto text = [](timespan x) { return encode_value(data{x}); };
  auto expect = [](std::string_view str) {
    return R"({"@data-type":"timespan","data":")" + std::string{str} + "\"}";
  };
  CHECK(text(timespan{0}) == expect("0s"));
  CHECK(text(std::chrono::minutes{2}) == expect("120s"));
  CHECK(text(std::chrono::milliseconds{-1500}) == expect("-1500ms"));
  CHECK(text(std::chrono::microseconds{7}) == expect("7us"));
  CHECK(text(timespan{1001}) == expect("1001ns"));
  CHECK(text(timespan{std::numeric_limits<int64_t>::min()}) ==
        expect("-9223372036854775808ns"));
}

TEST_CASE("JSON timestamps floor to milliseconds", "[format][json]") {
  auto text = [](int64_t ns) {
    return encode_value(data{timestamp{timespan{ns}}});
  };
  auto expect = [](std::string_view str) {
    return R"({"@data-type":"timestamp","data":")" + std::string{str} + "\"}";
  };
  CHECK(text(0) == expect("1970-01-01T00:00:00.000"));
  CHECK(text(-1) == expect("1969-12-31T23:59:59.999"));
  CHECK(text(-1'000'000) == expect("1969-12-31T23:59:59.999"));
  CHECK(text(-1'000'001) == expect("1969-12-31T23:59:59.998"));
  CHECK(text(951'782'400'000'000'000) == expect("2000-02-29T00:00:00.000"));
  CHECK(text(std::numeric_limits<int64_t>::max()) ==
        expect("2262-04-11T23:47:16.854"));
  CHECK(text(std::numeric_limits<int64_t>::min()) ==
        expect("1677-09-21T00:12:43.145"));
}

TEST_CASE("JSON strings escape quotes, backslashes and control characters",
          "[format][json]") {
  std::string out;
  json::append_string("\x7f\xff\xfe/\x1f\x00"s, out);
  CHECK(out == "\"\x7f\xff\xfe/\\u001f\\u0000\""s);
}

TEST_CASE("JSON ack and error frames", "[format][json]") {
  // spec: §5.2, §5.3
  endpoint_id id;
  REQUIRE(convert("11111111-1111-4111-8111-111111111111"s, id));
  CHECK(json::make_ack(id, "2.8.0-dev") ==
        R"({"type":"ack","endpoint":"11111111-1111-4111-8111-111111111111",)"
        R"("version":"2.8.0-dev"})");
  CHECK(json::make_error(ec::deserialization_failed,
                         "input #1 contained invalid data") ==
        R"({"type":"error","code":"deserialization_failed",)"
        R"("context":"input #1 contained invalid data"})");
  CHECK(json::make_error(ec::peer_invalid, "a \"b\"\n\\") ==
        R"({"type":"error","code":"peer_invalid","context":"a \"b\"\n\\"})");
}

TEST_CASE("JSON type names", "[format][json]") {
  CHECK(json::type_name(data::type::enum_value) == "enum-value");
  CHECK(json::type_name(data::type::none) == "none");
  CHECK(json::type_name(data::type::vector) == "vector");
}

// -- decoder: exact errors ----------------------------------------------------

namespace {

struct bad_input {
  const char* what;
  std::string text;
  decode_errc kind;
  std::string reason;
};

std::string repeat(std::string_view str, size_t n) {
  std::string result;
  result.reserve(str.size() * n);
  for (size_t i = 0; i < n; ++i)
    result += str;
  return result;
}

/// `n` nested vectors around a none.
std::string nested_vectors(size_t n) {
  auto open = repeat(R"({"@data-type":"vector","data":[)", n);
  auto close = repeat("]}", n);
  return open + R"({"@data-type":"none","data":{}})" + close;
}

} // namespace

TEST_CASE("malformed JSON input yields exact errors", "[format][json]") {
  const bad_input cases[] = {
      {"empty input", "", decode_errc::malformed_json,
       "incomplete JSON at end of input (offset 0)"},
      {"truncated", R"({"type":)", decode_errc::malformed_json,
       "incomplete JSON at end of input (offset 8)"},
      {"bad token", R"({"a":x})", decode_errc::malformed_json,
       "syntax error at offset 5 ('x')"},
      {"trailing garbage", R"({} x)", decode_errc::malformed_json,
       "extra data at offset 3 ('x')"},
      {"trailing comma", R"({"a":1,})", decode_errc::malformed_json,
       "syntax error at offset 7 ('}')"},
      {"single quotes", R"({'a':1})", decode_errc::malformed_json,
       "syntax error at offset 1 (0x27)"},
      {"bad escape", R"({"a":"\q"})", decode_errc::malformed_json,
       "syntax error at offset 7 ('q')"},
      {"-nan", message("real", "-nan"), decode_errc::malformed_json,
       "syntax error at offset 67 ('n')"},
      {"NaN", message("real", "NaN"), decode_errc::malformed_json,
       "syntax error at offset 66 ('N')"},
      {"infinity", message("real", "infinity"), decode_errc::malformed_json,
       "syntax error at offset 66 ('i')"},
      {"nan as key", R"({nan:1})", decode_errc::malformed_json,
       "syntax error at offset 1 ('n')"},
      {"not an object", "[1,2]", decode_errc::not_an_object,
       "expected a JSON object, got array"},
      {"a string", R"("x")", decode_errc::not_an_object,
       "expected a JSON object, got string"},
      {"nan alone", "nan", decode_errc::not_an_object,
       "expected a JSON object, got number"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    auto result = decode(c.text);
    CHECK_FALSE(result.ok);
    CHECK(json::enum_str(result.err.kind) == json::enum_str(c.kind));
    CHECK(result.err.code == ec::deserialization_failed);
    CHECK(result.err.reason == c.reason);
  }
}

TEST_CASE("invalid data yields exact errors", "[format][json]") {
  auto in_vector = [](std::string_view type, std::string_view data_text) {
    return message("vector", R"([{"@data-type":"count","data":1},)"
                             R"({"@data-type":")" +
                                 std::string{type} + R"(","data":)" +
                                 std::string{data_text} + "}]");
  };
  const bad_input cases[] = {
      {"missing @data-type", R"({"data":1})", decode_errc::invalid_data,
       "missing @data-type at /"},
      {"@data-type not a string", R"({"@data-type":1,"data":1})",
       decode_errc::invalid_data,
       "@data-type must be a JSON string, got number at /@data-type"},
      {"unknown @data-type", message("foo", "1"), decode_errc::invalid_data,
       R"(unknown @data-type "foo" at /@data-type)"},
      {"missing data", R"({"@data-type":"count"})", decode_errc::invalid_data,
       "missing data for count at /"},
      {"negative count", message("count", "-1"), decode_errc::invalid_data,
       "count -1 is outside [0, 18446744073709551615] at /data"},
      {"count above 2^64-1", message("count", "18446744073709551616"),
       decode_errc::invalid_data,
       "count 18446744073709551616 is outside [0, 18446744073709551615] at "
       "/data"},
      {"count with fraction", message("count", "1.0"),
       decode_errc::invalid_data, "count expects an integer, got 1.0 at /data"},
      {"count as string", message("count", R"("1")"), decode_errc::invalid_data,
       "count must be a JSON number, got string at /data"},
      {"integer above int64", message("integer", "9223372036854775808"),
       decode_errc::invalid_data,
       "integer 9223372036854775808 is outside [-9223372036854775808, "
       "9223372036854775807] at /data"},
      {"integer below int64", message("integer", "-9223372036854775809"),
       decode_errc::invalid_data,
       "integer -9223372036854775809 is outside [-9223372036854775808, "
       "9223372036854775807] at /data"},
      {"integer with exponent", message("integer", "1e3"),
       decode_errc::invalid_data,
       "integer expects an integer, got 1e3 at /data"},
      {"real without fraction", message("real", "1"), decode_errc::invalid_data,
       "real expects a number with fraction or exponent, got 1 at /data"},
      {"real overflow", message("real", "1e400"), decode_errc::invalid_data,
       "real 1e400 is out of range at /data"},
      {"real as null", message("real", "null"), decode_errc::invalid_data,
       "real must be a JSON number, got null at /data"},
      {"boolean as int", message("boolean", "1"), decode_errc::invalid_data,
       "boolean must be a JSON boolean, got number at /data"},
      {"bad address", message("address", R"("1.2.3")"),
       decode_errc::invalid_data, R"(invalid address "1.2.3" at /data)"},
      {"subnet without length", message("subnet", R"("10.0.0.0")"),
       decode_errc::invalid_data,
       R"(subnet "10.0.0.0" lacks a prefix length at /data)"},
      {"subnet with bad address", message("subnet", R"("10.0.0/8")"),
       decode_errc::invalid_data,
       R"(invalid address "10.0.0" in subnet "10.0.0/8" at /data)"},
      {"subnet with bad length", message("subnet", R"("10.0.0.0/x")"),
       decode_errc::invalid_data,
       R"(invalid prefix length "x" in subnet "10.0.0.0/x" at /data)"},
      {"subnet /129", message("subnet", R"("::/129")"),
       decode_errc::invalid_data,
       "subnet prefix length 129 exceeds 128 for IPv6 :: at /data"},
      {"port 65536", message("port", R"("65536/udp")"),
       decode_errc::invalid_data, "port number 65536 exceeds 65535 at /data"},
      {"bad port", message("port", R"("http")"), decode_errc::invalid_data,
       R"(invalid port "http" (expected <number> or <number>/<protocol>) at )"
       R"(/data)"},
      {"date-only timestamp", message("timestamp", R"("2023-11-14")"),
       decode_errc::invalid_data,
       R"(invalid or out-of-range timestamp "2023-11-14" (expected )"
       R"(YYYY-MM-DDThh:mm:ss[.fraction][Z|+hh:mm|-hh:mm]) at /data)"},
      {"timestamp beyond 2262",
       message("timestamp", R"("2263-01-01T00:00:00")"),
       decode_errc::invalid_data,
       R"(invalid or out-of-range timestamp "2263-01-01T00:00:00" (expected )"
       R"(YYYY-MM-DDThh:mm:ss[.fraction][Z|+hh:mm|-hh:mm]) at /data)"},
      {"timespan without unit", message("timespan", R"("10")"),
       decode_errc::invalid_data,
       R"(invalid or out-of-range timespan "10" (expected <number><unit>, )"
       R"(unit one of ns, us, ms, s, min, h, d) at /data)"},
      {"vector as object", message("vector", "{}"), decode_errc::invalid_data,
       "vector must be a JSON array, got object at /data"},
      {"vector element not an object", message("vector", "[1]"),
       decode_errc::invalid_data,
       "value must be a JSON object, got number at /data/0"},
      {"bad nested value", in_vector("count", "-5"), decode_errc::invalid_data,
       "count -5 is outside [0, 18446744073709551615] at /data/1/data"},
      {"nested unknown type", in_vector("bogus", "1"),
       decode_errc::invalid_data,
       R"(unknown @data-type "bogus" at /data/1/@data-type)"},
      {"table entry not an object", message("table", "[[]]"),
       decode_errc::invalid_data,
       "table entry must be a JSON object, got array at /data/0"},
      {"table entry without key",
       message("table", R"([{"value":{"@data-type":"none","data":{}}}])"),
       decode_errc::invalid_data, "table entry lacks a key at /data/0"},
      {"table entry without value",
       message("table", R"([{"key":{"@data-type":"none","data":{}}}])"),
       decode_errc::invalid_data, "table entry lacks a value at /data/0"},
      {"bad table value",
       message("table", R"([{"key":{"@data-type":"none","data":{}},)"
                        R"("value":{"@data-type":"port","data":"1x"}}])"),
       decode_errc::invalid_data,
       R"(invalid port "1x" (expected <number> or <number>/<protocol>) at )"
       R"(/data/0/value/data)"},
      {"duplicate set element",
       message("set", R"([{"@data-type":"count","data":1},)"
                      R"({"@data-type":"count","data":2},)"
                      R"({"@data-type":"count","data":1}])"),
       decode_errc::internal_error, "duplicate set element at /data/2"},
      {"duplicate table key",
       message("table", R"([{"key":{"@data-type":"string","data":"k"},)"
                        R"("value":{"@data-type":"none","data":{}}},)"
                        R"({"key":{"@data-type":"string","data":"k"},)"
                        R"("value":{"@data-type":"count","data":1}}])"),
       decode_errc::internal_error, "duplicate table key at /data/1"},
      {"long values are cut in reasons",
       message("address", "\"" + std::string(100, 'a') + "\""),
       decode_errc::invalid_data,
       "invalid address \"" + std::string(64, 'a') + "\"... at /data"},
      {"129 nested vectors",
       "{\"topic\":\"/t\"," + nested_vectors(129).substr(1),
       decode_errc::invalid_data,
       "nesting deeper than 128 at " + repeat("/data/0", 128) + "/data"},
      {"JSON nested too deep", repeat("[", 100000), decode_errc::malformed_json,
       "JSON nesting deeper than 388 levels"},
      {"none inside deep JSON",
       message("none", repeat("[", 400) + repeat("]", 400)),
       decode_errc::malformed_json, "JSON nesting deeper than 388 levels"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    auto result = decode(c.text);
    CHECK_FALSE(result.ok);
    CHECK(json::enum_str(result.err.kind) == json::enum_str(c.kind));
    CHECK(result.err.code == ec::deserialization_failed);
    CHECK(result.err.reason == c.reason);
  }
}

TEST_CASE("JSON nesting up to the cap is accepted", "[format][json]") {
  auto result = decode(nested_vectors(json::max_nesting_depth));
  INFO(result.err.reason);
  REQUIRE(result.ok);
  const data* x = &result.value;
  for (size_t i = 0; i < json::max_nesting_depth; ++i) {
    auto xs = get_if<vector>(*x);
    REQUIRE(xs);
    REQUIRE(xs->size() == 1);
    x = &xs->front();
  }
  CHECK(x->is_none());
  // The same depth as tables: three JSON levels per table.
  std::string text;
  for (size_t i = 0; i < json::max_nesting_depth; ++i)
    text += R"({"@data-type":"table","data":[{"value":{"@data-type":"none",)"
            R"("data":{}},"key":)";
  text += R"({"@data-type":"none","data":{}})";
  for (size_t i = 0; i < json::max_nesting_depth; ++i)
    text += "}]}";
  data y;
  json::decode_error err;
  CHECK(json::decode_value(text, y, err));
  INFO(err.reason);
  CHECK(bin::encode(y).size() > json::max_nesting_depth);
}

// -- decoder: accepted input --------------------------------------------------

TEST_CASE("JSON decoding accepts what upstream accepts", "[format][json]") {
  auto value_of = [](const std::string& text) {
    auto result = decode(text);
    INFO(text);
    INFO(result.err.reason);
    REQUIRE(result.ok);
    return result.value;
  };
  // spec: §5.4: none ignores `data`, even when it is missing.
  CHECK(value_of(R"({"@data-type":"none"})") == data{});
  CHECK(value_of(message("none", "[1,{}]")) == data{});
  // Keys in any order, unknown keys ignored, the last duplicate wins.
  CHECK(value_of(R"({"data":5,"x":[],"@data-type":"count","topic":"/t"})") ==
        data{count{5}});
  CHECK(value_of(R"({"@data-type":"count","data":1,"data":2})") ==
        data{count{2}});
  CHECK(value_of(message("count", "-0")) == data{count{0}});
  CHECK(value_of(message("real", "-0.0")) == data{-0.0});
  CHECK(value_of(message("real", "1E2")) == data{100.0});
  CHECK(value_of(message("real", "1e-400")) == data{0.0});
  CHECK(value_of(message("real", "2.4703282292062328e-324")) ==
        data{std::numeric_limits<double>::denorm_min()});
  CHECK(value_of(message("string", R"("\ud83d\ude00")")) ==
        data{"\xf0\x9f\x98\x80"s});
  // Invalid UTF-8 passes through, as upstream.
  CHECK(value_of(message("string", "\"\xff\xfe\"")) == data{"\xff\xfe"s});
  // Upstream's relaxed forms, also inside containers and next to `null`.
  CHECK(value_of(message("string", "\"a\\vb\x01\x1f\"")) ==
        data{"a\vb\x01\x1f"s});
  auto xs = get<vector>(value_of(
      message("vector", R"([{"@data-type":"none","data":null},)"
                        R"({"@data-type":"real","data":nan},)"
                        R"({"@data-type":"none","data":[null, "nan", -1e3]},)"
                        R"({"@data-type":"real","data":-inf},)"
                        R"({"@data-type":"string","data":"inf null nan"},)"
                        R"({"@data-type":"real","data":inf}])")));
  REQUIRE(xs.size() == 6);
  CHECK(std::isnan(get<real>(xs[1])));
  CHECK(xs[3] == data{-std::numeric_limits<real>::infinity()});
  CHECK(xs[4] == data{"inf null nan"s});
  CHECK(xs[5] == data{std::numeric_limits<real>::infinity()});
  // Ports, subnets and timestamps in all accepted forms.
  CHECK(value_of(message("port", R"("443")")) ==
        data{port{443, port::protocol::tcp}});
  CHECK(value_of(message("subnet", R"("::ffff:10.1.2.3/8")")) ==
        data{broker::test::parse<subnet>("10.0.0.0/8")});
  CHECK(value_of(message("timestamp", R"("1969-12-31T23:59:58.500")")) ==
        data{timestamp{std::chrono::milliseconds{-1500}}});
  CHECK(value_of(message("timestamp", R"("2023-11-14T22:13:20-01:30")")) ==
        data{timestamp{std::chrono::seconds{1700000000 + 5400}}});
  CHECK(value_of(message("timespan", R"("-2.5h")")) ==
        data{timespan{std::chrono::minutes{-150}}});
  // Sets and tables given in any order are sorted.
  CHECK(value_of(message("table",
                         R"([{"key":{"@data-type":"count","data":2},)"
                         R"("value":{"@data-type":"none","data":{}}},)"
                         R"({"value":{"@data-type":"boolean","data":true},)"
                         R"("key":{"@data-type":"count","data":1}}])")) ==
        data{table{{count{1}, true}, {count{2}, nil}}});
}

TEST_CASE("decode_wire streams what it can and agrees with decode on the rest",
          "[format][json]") {
  // `decode` (the test helper) checks decode_wire against json::decode on
  // each input: its one-pass path must accept exactly what the document
  // path accepts, with the same bytes, and leave everything else to it.
  const std::string_view ok_inputs[] = {
      // Key orders and members the one-pass path must handle or hand over.
      R"({"topic":"/t","type":"data-message","@data-type":"count","data":1})",
      R"({"@data-type":"count","data":1,"topic":"/t","type":"x"})",
      R"({"@data-type":"count","x":{"data":[1,{"a":[]}]},"data":2,"y":null})",
      R"({"data":3,"@data-type":"count","topic":"/t"})",
      R"({"@data-type":"count","data":4,"data":5,"topic":"/t"})",
      R"({"@data-type":"string","@data-type":"count","data":6})",
      R"({"topic":"/a","topic":"/b","@data-type":"count","data":7})",
      R"({"topic":7,"@data-type":"count","data":8})",
      R"({"@data-type":"none","data":{"anything":[1,2,"x"]}})",
      R"({"@data-type":"none"})",
      R"({"data":"ignored","@data-type":"none"})",
      R"({"\u0040data-type":"count","d\u0061ta":9,"topic":"/\u00e9"})",
      // Every type inside vectors, nested.
      R"({"@data-type":"vector","data":[{"@data-type":"boolean","data":true},)"
      R"({"@data-type":"count","data":18446744073709551615},)"
      R"({"@data-type":"integer","data":-9223372036854775808},)"
      R"({"@data-type":"real","data":-0.0},{"@data-type":"real","data":5e-324},)"
      R"({"@data-type":"real","data":1.7976931348623157e308},)"
      R"({"@data-type":"string","data":"a\"b\u0000c"},)"
      R"({"@data-type":"enum-value","data":"E::x"},)"
      R"({"@data-type":"address","data":"2001:db8::1"},)"
      R"({"@data-type":"subnet","data":"10.0.0.0/8"},)"
      R"({"@data-type":"port","data":"80/tcp"},)"
      R"({"@data-type":"timestamp","data":"2023-11-14T22:13:20.123"},)"
      R"({"@data-type":"timespan","data":"1500ms"},)"
      R"({"@data-type":"set","data":[{"@data-type":"count","data":1}]},)"
      R"({"@data-type":"vector","data":[{"@data-type":"vector","data":[]}]}]})",
      R"({"@data-type":"vector","data":[{"@data-type":"real","data":nan}]})",
  };
  for (auto text : ok_inputs) {
    INFO(text);
    auto result = decode(text);
    INFO(result.err.reason);
    CHECK(result.ok);
  }
  const std::string_view bad_inputs[] = {
      R"({"@data-type":"count","data":-1})",
      R"({"@data-type":"integer","data":9223372036854775808})",
      R"({"@data-type":"real","data":1})",
      R"({"@data-type":"real","data":1e999})",
      R"({"@data-type":"count","data":"1"})",
      R"({"@data-type":"vector","data":[1]})",
      R"({"@data-type":"vector","data":[[]]})",
      R"({"@data-type":"vector","data":{}})",
      R"({"@data-type":"address","data":"1.2.3"})",
      R"({"@data-type":"bogus","data":1})",
      R"({"@data-type":"count"})",
      R"({"data":1})",
      R"({"@data-type":"count","data":1} x)",
      R"({"@data-type":"count","data":1)",
      R"("just a string")",
      R"([{"@data-type":"count","data":1}])",
  };
  for (auto text : bad_inputs) {
    INFO(text);
    CHECK_FALSE(decode(text).ok);
  }
}

TEST_CASE("JSON decoding does not depend on earlier calls", "[format][json]") {
  // A huge frame, then failures of every kind, then a small frame: the
  // per-thread buffers are reused and trimmed, never stale.
  vector big;
  for (size_t i = 0; i < 100'000; ++i)
    big.emplace_back(std::to_string(i));
  auto big_text = encode(data{big}, "/big");
  auto result = decode(big_text);
  REQUIRE(result.ok);
  CHECK(result.value == data{big});
  CHECK_FALSE(decode("{").ok);
  CHECK_FALSE(decode(message("real", "nan x")).ok);
  CHECK_FALSE(decode("[]").ok);
  CHECK_FALSE(decode(message("count", "-1")).ok);
  result = decode(encode(data{count{7}}, "/small"));
  REQUIRE(result.ok);
  CHECK(result.t == topic{"/small"});
  CHECK(result.value == data{count{7}});
}

TEST_CASE("decode_value is the inverse of encode_value", "[format][json]") {
  data x = vector{count{1}, "two"s, set{3.5}};
  data y;
  json::decode_error err;
  REQUIRE(json::decode_value(encode_value(x), y, err));
  CHECK(x == y);
  CHECK_FALSE(json::decode_value("[]", y, err));
  CHECK(err.kind == decode_errc::not_an_object);
}

// -- filters ------------------------------------------------------------------

TEST_CASE("decode_filter reads arrays of topic prefixes", "[format][json]") {
  // spec: §5.2
  filter_type filter{topic{"stale"}};
  std::string reason;
  REQUIRE(json::decode_filter("[]", filter, reason));
  CHECK(filter.empty());
  REQUIRE(json::decode_filter(R"([ "/b", "/a", "/a/x", "" ])", filter, reason));
  // A proper filter: sorted, entries covered by a prefix dropped.
  CHECK(filter == filter_type{topic{""}});
  REQUIRE(json::decode_filter(R"(["/zeek/event/x","/a/one","/a\u0041"])",
                              filter, reason));
  CHECK(filter ==
        filter_type{topic{"/a/one"}, topic{"/aA"}, topic{"/zeek/event/x"}});
}

TEST_CASE("decode_filter rejects everything else", "[format][json]") {
  struct bad_filter {
    std::string text;
    std::string reason;
  };
  const bad_filter cases[] = {
      {"", "malformed JSON: incomplete JSON at end of input (offset 0)"},
      {R"(["/a",])", "malformed JSON: syntax error at offset 6 (']')"},
      {R"({"topics":["/a"]})", "expected a JSON array of strings, got object"},
      {R"("/a")", "expected a JSON array of strings, got string"},
      {R"(["/a", 1])", "element 1 is a JSON number, expected a string"},
      {R"([["/a"]])", "element 0 is a JSON array, expected a string"},
      {R"(["/a", null])", "element 1 is a JSON null, expected a string"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    filter_type filter;
    std::string reason;
    CHECK_FALSE(json::decode_filter(c.text, filter, reason));
    CHECK(reason == c.reason);
    CHECK(filter.empty());
  }
}

// -- round trips --------------------------------------------------------------

namespace {

/// Random values of every type that JSON can carry exactly: timestamps at
/// millisecond precision, subnets built by the model (valid lengths), all
/// finite reals (subnormals included), arbitrary bytes in strings.
class json_value_generator : public broker::test::value_generator {
public:
  using value_generator::value_generator;

protected:
  data scalar(data::type type) override {
    switch (type) {
    case data::type::count:
      return count{bits() >> pick(64)};
    case data::type::integer:
      return static_cast<integer>(bits()) >> pick(64);
    case data::type::timestamp: {
      // Milliseconds within the representable range of nanoseconds.
      constexpr int64_t max_ms = 9'223'372'036'853;
      auto ms = static_cast<int64_t>(bits() % (2 * max_ms + 1)) - max_ms;
      return timestamp{std::chrono::milliseconds{ms}};
    }
    case data::type::timespan:
      return timespan{static_cast<int64_t>(bits()) >> pick(64)};
    default: // the others through the helpers below
      return value_generator::scalar(type);
    }
  }

  real finite_real() override {
    for (;;) {
      auto pattern = bits();
      if (pick(4) == 0) // small-magnitude values and subnormals
        pattern >>= pick(64);
      double x = 0;
      std::memcpy(&x, &pattern, sizeof(x));
      if (std::isfinite(x))
        return x;
    }
  }

  std::string random_string() override {
    std::string result(pick(40), '\0');
    for (auto& c : result)
      c = static_cast<char>(pick(4) == 0 ? bits() : 0x20 + pick(0x60));
    return result;
  }

  address random_address() override {
    address::byte_array bytes;
    for (auto& b : bytes)
      b = static_cast<uint8_t>(bits());
    if (pick(2) == 0) {
      uint32_t word = static_cast<uint32_t>(bits());
      return address{&word, address::family::ipv4, address::byte_order::host};
    }
    return address{bytes};
  }
};

} // namespace

TEST_CASE("random values of every type round-trip through JSON",
          "[format][json]") {
  constexpr uint64_t seed = 0x6a736f6e; // "json"
  constexpr size_t num_values = 3000;
  json_value_generator gen{seed};
  for (size_t i = 0; i < num_values; ++i) {
    auto x = gen.next();
    auto text = encode(x, "/t/" + std::to_string(i));
    auto result = decode(text);
    INFO(text);
    INFO(result.err.reason);
    REQUIRE(result.ok);
    CHECK(result.t == topic{"/t/" + std::to_string(i)});
    CHECK(result.value == x);
    // And the text is canonical: encoding the decoded value reproduces it.
    CHECK(encode(result.value, result.t.string()) == text);
  }
}

TEST_CASE("special values round-trip through JSON", "[format][json]") {
  constexpr auto inf = std::numeric_limits<real>::infinity();
  const data samples[] = {
      nil,
      std::numeric_limits<count>::max(),
      std::numeric_limits<integer>::min(),
      std::numeric_limits<integer>::max(),
      0.0,
      -0.0,
      inf,
      -inf,
      std::numeric_limits<real>::denorm_min(),
      -std::numeric_limits<real>::denorm_min(),
      std::numeric_limits<real>::max(),
      std::numeric_limits<real>::lowest(),
      std::numeric_limits<real>::min(),
      std::string(100000, 'z'),
      "\0\x01\x1f\x7f\"\\\xc3\xa9"s,
      broker::test::parse<address>("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
      broker::test::parse<address>("::ffff:0.0.0.0"),
      broker::test::parse<subnet>("::/0"),
      broker::test::parse<subnet>("255.255.255.255/32"),
      port{65535, port::protocol::icmp},
      timestamp{std::chrono::milliseconds{-9'223'372'036'854}},
      timestamp{std::chrono::milliseconds{9'223'372'036'854}},
      timespan{std::numeric_limits<int64_t>::min()},
      timespan{std::numeric_limits<int64_t>::max()},
      enum_value{},
      set{table{}, vector{}, set{}},
  };
  for (const auto& x : samples) {
    INFO(to_string(x));
    auto result = decode(encode(x));
    INFO(result.err.reason);
    REQUIRE(result.ok);
    CHECK(result.value == x);
  }
  // NaN reads back as NaN (and never equals itself).
  auto result = decode(encode(data{std::numeric_limits<real>::quiet_NaN()}));
  REQUIRE(result.ok);
  CHECK(std::isnan(get<real>(result.value)));
}

// -- encode_wire: the same text, straight from the binary wire form -----------

namespace {

/// Checks that transcoding the wire form of `x` yields `encode(x)`.
void check_wire_transcoding(const data& x, const std::string& topic_str) {
  auto bytes = format::bin::v1::encode(x);
  std::string expected;
  json::encode(topic{topic_str}, x, expected);
  std::string actual = "prefix:";
  INFO(expected);
  REQUIRE(
      json::encode_wire(topic{topic_str}, bytes.data(), bytes.size(), actual));
  CHECK(actual == "prefix:" + expected);
}

} // namespace

TEST_CASE("encode_wire writes what encode writes, for random values",
          "[format][json]") {
  constexpr uint64_t seed = 0x77697265; // "wire"
  constexpr size_t num_values = 3000;
  json_value_generator gen{seed};
  for (size_t i = 0; i < num_values; ++i)
    check_wire_transcoding(gen.next(), "/t/" + std::to_string(i));
}

TEST_CASE("encode_wire writes what encode writes, for special values",
          "[format][json]") {
  const data samples[] = {
      nil,
      true,
      false,
      std::numeric_limits<count>::max(),
      std::numeric_limits<integer>::min(),
      -0.0,
      std::numeric_limits<real>::infinity(),
      std::nan(""),
      std::numeric_limits<real>::denorm_min(),
      std::string{"quote \" backslash \\ control \x01 \v"},
      enum_value{"Log::WRITER_ASCII"},
      timestamp{timespan{-1'500'000'000}},
      timespan{1'500'000},
      vector{},
      vector{vector{data{vector{count{1}}}}, set{count{2}, count{1}},
             table{{std::string{"k"}, vector{}}}},
  };
  for (const auto& x : samples)
    check_wire_transcoding(x, "/special");
}

TEST_CASE("encode_wire orders sets and tables as their values do",
          "[format][json]") {
  // A set written in descending order (accepted on the wire, spec §4.6):
  // tag 12, two elements, count 2, count 1.
  std::vector<uint8_t> bytes{12, 2, 2, 0, 0, 0, 0, 0, 0, 0,
                             2,  2, 0, 0, 0, 0, 0, 0, 0, 1};
  std::string actual;
  REQUIRE(json::encode_wire(topic{"/s"}, bytes.data(), bytes.size(), actual));
  std::string expected;
  json::encode(topic{"/s"}, set{count{1}, count{2}}, expected);
  CHECK(actual == expected);
}

TEST_CASE("encode_wire rejects bytes that are no value", "[format][json]") {
  auto bytes = format::bin::v1::encode(
      vector{count{1}, std::string{"text"}, set{count{3}}});
  for (size_t len = 0; len < bytes.size(); ++len) {
    std::string out = "kept";
    INFO("truncated to " << len << " bytes");
    CHECK_FALSE(json::encode_wire(topic{"/t"}, bytes.data(), len, out));
    CHECK(out == "kept");
  }
  auto trailing = bytes;
  trailing.push_back(0);
  std::string out;
  CHECK_FALSE(
      json::encode_wire(topic{"/t"}, trailing.data(), trailing.size(), out));
  const uint8_t bad_tag[] = {42};
  CHECK_FALSE(json::encode_wire(topic{"/t"}, bad_tag, 1, out));
  CHECK(out.empty());
}
