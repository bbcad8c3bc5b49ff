#include "format/bin.hh"

#include "format/truncation.hh"
#include "support/random_values.hh"
#include "support/vector_values.hh"
#include "support/vectors.hh"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>

using namespace std::literals;
using namespace broker;

namespace bin = broker::format::bin::v1;

using broker::test::from_hex;
using broker::test::text_column;
using broker::test::to_hex;
using broker::test::value_generator;
using broker::test::vector_row;

namespace {

struct decode_result {
  bool ok = false;
  data value;
  bin::decode_error err;
};

/// Decodes `bytes`, and checks on the way that `validate` agrees with
/// `decode` (same verdict, same error) and that both agree with the
/// reference decoder and validator behind their fast paths, so that every
/// decoding test here also tests the validator and both paths.
decode_result decode_bytes(const std::vector<uint8_t>& bytes) {
  decode_result result;
  result.ok = bin::decode(bytes, result.value, result.err);
  bin::decode_error verr;
  auto valid = bin::validate(bytes, verr);
  CHECK(valid == result.ok);
  if (!result.ok && !valid)
    CHECK(verr.reason == result.err.reason);
  data reference;
  bin::decode_error rerr;
  CHECK(bin::detail::decode_reference(bytes, reference, rerr) == result.ok);
  if (result.ok)
    CHECK(bin::encode(reference) == bin::encode(result.value));
  else
    CHECK(rerr.reason == result.err.reason);
  CHECK(bin::detail::validate_reference(bytes, rerr) == result.ok);
  return result;
}

decode_result decode_hex(std::string_view hex) {
  return decode_bytes(from_hex(hex));
}

std::string hex_of(const data& x) {
  return to_hex(bin::encode(x));
}

/// Equality, except that a NaN real equals a NaN real (NaN != NaN).
bool same_value(const data& x, const data& y) {
  auto xr = get_if<real>(x);
  auto yr = get_if<real>(y);
  if (xr && yr && std::isnan(*xr) && std::isnan(*yr))
    return true;
  return x == y;
}

/// Returns the bit pattern of a double.
uint64_t bits_of(double x) {
  uint64_t result = 0;
  std::memcpy(&result, &x, sizeof(result));
  return result;
}

bool starts_with(std::string_view str, std::string_view prefix) {
  return str.substr(0, prefix.size()) == prefix;
}

constexpr std::string_view parse_failure = "failed to parse data: ";

/// The canonical (sorted) encoding of the set {1, 2, 3}.
constexpr std::string_view sorted_set_1_2_3_hex =
    "0c03020000000000000001020000000000000002020000000000000003";

// -- data.txt -----------------------------------------------------------------

void check_data_row(const vector_row& row) {
  const auto& name = row.name();
  const auto& hex = row.fields.at(1);
  auto decoded = decode_hex(hex);
  INFO(decoded.err.reason);
  REQUIRE(decoded.ok);
  auto value = broker::test::data_vector_value(name);
  if (!value) {
    // A row without a value in vector_values.cc: upstream's bytes must
    // still decode and re-encode to the same bytes (vectors README: every
    // data.txt row does, except the set_builder row handled below).
    CHECK(hex_of(decoded.value) == hex);
    auto again = decode_bytes(bin::encode(decoded.value));
    REQUIRE(again.ok);
    CHECK(same_value(again.value, decoded.value));
    return;
  }
  if (name == "set_count_3_1_2_via_set_builder") {
    // Upstream's set_builder writes elements in insertion order; a
    // broker::set is always sorted, so no value of ours encodes to these
    // bytes. Decoding accepts them and re-encodes sorted, as upstream does.
    CHECK(decoded.value == *value);
    CHECK(hex_of(decoded.value) == sorted_set_1_2_3_hex);
    return;
  }
  if (name == "real_5em324_subnormal") {
    // DESIGN.md §6: upstream (CAF's pack754) garbles subnormals into
    // `fcd0...`; we encode them as plain IEEE-754 binary64 instead. The
    // upstream bytes are a normal double, decoded as plain IEEE as well.
    CHECK(hex_of(*value) == "040000000000000001");
    CHECK(bits_of(get<real>(decoded.value)) == 0xfcd0'0000'0000'0000ull);
    CHECK(hex_of(decoded.value) == hex);
    auto ours = decode_hex("040000000000000001");
    REQUIRE(ours.ok);
    CHECK(ours.value == *value);
    return;
  }
  CHECK(hex_of(*value) == hex);
  CHECK(same_value(decoded.value, *value));
  CHECK(hex_of(decoded.value) == hex);
}

BROKER_VECTOR_TESTS("data.txt", "[format][bin][vectors]", check_data_row);

// -- data-decode.txt ----------------------------------------------------------

/// Rows where we decode IEEE NaN patterns to NaN, not to ±inf as upstream
/// does (DESIGN.md §6). We still write NaN as CAF's `ff..ff`.
const std::set<std::string> nan_pattern_rows = {
    "real_ieee_nan_7ff8",
    "real_ieee_neg_qnan_fff8",
    "real_ieee_snan_7ff0000000000001",
};

/// Parses `error:ec=<n>:<name>("<text>")` into n and text.
void parse_error_column(const std::string& result, int& code,
                        std::string& text) {
  constexpr std::string_view prefix = "error:ec=";
  REQUIRE(starts_with(result, prefix));
  auto colon = result.find(':', prefix.size());
  REQUIRE(colon != std::string::npos);
  code = std::stoi(result.substr(prefix.size(), colon - prefix.size()));
  auto open = result.find("(\"");
  auto close = result.rfind("\")");
  REQUIRE(open != std::string::npos);
  REQUIRE(close != std::string::npos);
  text = result.substr(open + 2, close - open - 2);
}

void check_decode_row(const vector_row& row) {
  const auto& name = row.name();
  const auto& result = row.fields.at(2);
  auto decoded = decode_hex(row.fields.at(1));
  INFO(decoded.err.reason);
  if (nan_pattern_rows.count(name) != 0) {
    REQUIRE(decoded.ok);
    CHECK(std::isnan(get<real>(decoded.value)));
    CHECK(hex_of(decoded.value) == "04ffffffffffffffff");
    CHECK(to_string(decoded.value) == "nan");
    return;
  }
  if (name == "real_ieee_min_subnormal_0000000000000001") {
    // DESIGN.md §6: plain IEEE subnormal (upstream reads 0). Both print as
    // 0.000000.
    REQUIRE(decoded.ok);
    CHECK(get<real>(decoded.value) == std::numeric_limits<real>::denorm_min());
    CHECK(hex_of(decoded.value) == "040000000000000001");
    CHECK(to_string(decoded.value) == text_column(row.fields.at(3)));
    return;
  }
  if (starts_with(result, "ok:")) {
    REQUIRE(decoded.ok);
    CHECK(hex_of(decoded.value) == result.substr(3));
    if (row.fields.size() > 3)
      CHECK(to_string(decoded.value) == text_column(row.fields[3]));
    return;
  }
  int code = 0;
  std::string text;
  parse_error_column(result, code, text);
  CHECK_FALSE(decoded.ok);
  CHECK(static_cast<int>(decoded.err.code) == code);
  CHECK(starts_with(decoded.err.reason, text));
}

BROKER_VECTOR_TESTS("data-decode.txt", "[format][bin][vectors]",
                    check_decode_row);

} // namespace

// -- primitives ---------------------------------------------------------------

TEST_CASE("varbyte encoding follows the spec examples", "[format][bin]") {
  // spec: upstream-broker.md §4.2
  auto varbyte_hex = [](uint32_t x) {
    bin::byte_buffer buf;
    bin::write_varbyte(x, buf);
    return to_hex(buf);
  };
  CHECK(varbyte_hex(0) == "00");
  CHECK(varbyte_hex(127) == "7f");
  CHECK(varbyte_hex(128) == "8001");
  CHECK(varbyte_hex(300) == "ac02");
  CHECK(varbyte_hex(16384) == "808001");
  CHECK(varbyte_hex(UINT32_MAX) == "ffffffff0f");
}

TEST_CASE("varbyte decoding accepts non-minimal forms up to five bytes",
          "[format][bin]") {
  auto read = [](std::string_view hex, uint32_t& x) {
    auto bytes = from_hex(hex);
    bin::reader src{bytes};
    return src.read_varbyte(x) && src.at_end();
  };
  uint32_t x = 0;
  CHECK((read("8100", x) && x == 1));
  CHECK((read("8080808000", x) && x == 0));
  CHECK((read("ffffffff0f", x) && x == UINT32_MAX));
  CHECK_FALSE(read("808080808000", x)); // six bytes
  CHECK_FALSE(read("ffffffff1f", x));   // above 2^32 - 1
  CHECK_FALSE(read("80", x));           // truncated
  CHECK_FALSE(read("", x));
}

TEST_CASE("reals use CAF's patterns for non-finite values", "[format][bin]") {
  // spec: upstream-broker.md §4.2
  constexpr auto inf = std::numeric_limits<double>::infinity();
  constexpr auto nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(bin::pack_real(nan) == 0xffff'ffff'ffff'ffffull);
  CHECK(bin::pack_real(-nan) == 0xffff'ffff'ffff'ffffull);
  CHECK(bin::pack_real(inf) == 0xfff0'0000'0000'0000ull);
  CHECK(bin::pack_real(-inf) == 0x7ff0'0000'0000'0000ull);
  CHECK(bin::pack_real(1.5) == 0x3ff8'0000'0000'0000ull);
  CHECK(bin::pack_real(-0.0) == 0x8000'0000'0000'0000ull);
  CHECK(bin::pack_real(std::numeric_limits<double>::denorm_min()) == 1);
  CHECK(bin::unpack_real(0xfff0'0000'0000'0000ull) == inf);
  CHECK(bin::unpack_real(0x7ff0'0000'0000'0000ull) == -inf);
  CHECK(std::isnan(bin::unpack_real(0xffff'ffff'ffff'ffffull)));
  // DESIGN.md §6: IEEE NaN patterns are NaN (upstream: infinities).
  CHECK(std::isnan(bin::unpack_real(0x7ff8'0000'0000'0000ull)));
  CHECK(std::isnan(bin::unpack_real(0xfff8'0000'0000'0000ull)));
  CHECK(std::isnan(bin::unpack_real(0x7ff0'0000'0000'0001ull)));
  CHECK(bin::unpack_real(1) == std::numeric_limits<double>::denorm_min());
  CHECK(bin::unpack_real(0x3ff8'0000'0000'0000ull) == 1.5);
}

// -- encoder ------------------------------------------------------------------

TEST_CASE("encode appends to the buffer", "[format][bin]") {
  bin::byte_buffer buf{0xab};
  bin::encode(data{count{42}}, buf);
  CHECK(to_hex(buf) == "ab02000000000000002a");
}

TEST_CASE("the spec examples encode as documented", "[format][bin]") {
  // spec: upstream-broker.md §4.6, "Examples"
  CHECK(hex_of(count{42}) == "02000000000000002a");
  CHECK(hex_of(integer{-2}) == "03fffffffffffffffe");
  CHECK(hex_of(1.5) == "043ff8000000000000");
  CHECK(hex_of("hi"s) == "05026869");
  CHECK(hex_of(port{80, port::protocol::tcp}) == "08005001");
  CHECK(hex_of(enum_value{"Conn::LOG"}) == "0b09436f6e6e3a3a4c4f47");
  CHECK(hex_of(set{"a"s, "b"s}) == "0c02050161050162");
  CHECK(hex_of(table{{"k"s, count{1}}}) == "0d0105016b020000000000000001");
}

// -- decoder: exact errors ----------------------------------------------------

namespace {

struct malformed_case {
  const char* what;
  std::string hex;
  std::string reason;
};

std::string repeat(std::string_view hex, size_t n) {
  std::string result;
  result.reserve(hex.size() * n);
  for (size_t i = 0; i < n; ++i)
    result += hex;
  return result;
}

} // namespace

TEST_CASE("malformed input yields exact errors", "[format][bin]") {
  const auto fail = std::string{parse_failure};
  const malformed_case cases[] = {
      {"empty input", "", "cannot parse null data: empty input at offset 0"},
      {"unknown tag", "0f", fail + "invalid type tag 15 at offset 0"},
      {"unknown tag 255", "ff", fail + "invalid type tag 255 at offset 0"},
      {"trailing byte", "02000000000000002a00",
       fail + "1 trailing bytes at offset 9"},
      {"truncated bool", "01",
       fail + "unexpected end of input reading boolean at offset 1"},
      {"truncated count", "020000",
       fail + "unexpected end of input reading count at offset 1"},
      {"truncated integer", "03",
       fail + "unexpected end of input reading integer at offset 1"},
      {"truncated real", "0400000000000000",
       fail + "unexpected end of input reading real at offset 1"},
      {"truncated address", "0600000000",
       fail + "unexpected end of input reading address at offset 1"},
      {"truncated subnet", "0700000000000000000000ffff0a000000",
       fail + "unexpected end of input reading subnet length at offset 17"},
      {"truncated port", "0800",
       fail + "unexpected end of input reading port number at offset 1"},
      {"port without protocol", "080050",
       fail + "unexpected end of input reading port protocol at offset 3"},
      {"port protocol 4", "08000804",
       fail + "invalid port protocol 4 at offset 3"},
      {"truncated timestamp", "0900",
       fail + "unexpected end of input reading timestamp at offset 1"},
      {"truncated timespan", "0a00",
       fail + "unexpected end of input reading timespan at offset 1"},
      {"string without length", "05",
       fail + "unexpected end of input reading string at offset 1"},
      {"truncated string length", "0580",
       fail + "unexpected end of input reading string at offset 1"},
      {"string length beyond input", "050568",
       fail + "string length 5 exceeds remaining 1 bytes at offset 2"},
      {"string length 2^32-1 in 10 bytes", "05ffffffff0f61626364",
       fail + "string length 4294967295 exceeds remaining 4 bytes at offset 6"},
      {"six-byte varbyte", "0580808080800001",
       fail + "invalid varbyte in string at offset 1"},
      {"varbyte above 2^32-1", "05ffffffff1f",
       fail + "invalid varbyte in string at offset 1"},
      {"enum length beyond input", "0b0341",
       fail + "enum_value length 3 exceeds remaining 1 bytes at offset 2"},
      {"vector count 2^32-1", "0effffffff0f",
       fail +
           "container size 4294967295 exceeds remaining 0 bytes at offset 6"},
      {"set count beyond input", "0c0300",
       fail + "container size 3 exceeds remaining 1 bytes at offset 2"},
      {"table count beyond input", "0d02000000",
       fail + "container size 2 exceeds remaining 3 bytes at offset 2"},
      {"six-byte container size", "0e808080808000",
       fail + "invalid varbyte in container size at offset 1"},
      {"missing vector element", "0e020100",
       fail + "unexpected end of input reading type tag at offset 4"},
      {"vector count beyond input", "0e0200",
       fail + "container size 2 exceeds remaining 1 bytes at offset 2"},
      {"duplicate set element", "0c02020000000000000001020000000000000001",
       fail + "duplicate set element at offset 11"},
      {"duplicate table key",
       "0d02050161020000000000000001050161020000000000000002",
       fail + "duplicate table key at offset 14"},
      {"duplicate unsorted set element", "0c030502626205016105026262",
       fail + "duplicate set element at offset 9"},
      {"bad element in set", "0c010f",
       fail + "invalid type tag 15 at offset 2"},
      {"bad table value", "0d0100ff",
       fail + "invalid type tag 255 at offset 3"},
      {"129 nested vectors", repeat("0e01", 129) + "00",
       fail + "nesting deeper than 128 at offset 256"},
      {"100000 nested vector tags", repeat("0e01", 100000),
       fail + "nesting deeper than 128 at offset 256"},
      {"129 nested sets", repeat("0c01", 129) + "00",
       fail + "nesting deeper than 128 at offset 256"},
      {"129 nested table keys", repeat("0d01", 129) + "00" + repeat("00", 129),
       fail + "nesting deeper than 128 at offset 256"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    auto result = decode_hex(c.hex);
    CHECK_FALSE(result.ok);
    CHECK(result.err.code == ec::deserialization_failed);
    CHECK(result.err.reason == c.reason);
  }
}

TEST_CASE("nesting up to the cap is accepted", "[format][bin]") {
  auto depth = bin::max_nesting_depth;
  auto decoded = decode_hex(repeat("0e01", depth) + "00");
  INFO(decoded.err.reason);
  REQUIRE(decoded.ok);
  const data* x = &decoded.value;
  for (size_t i = 0; i < depth; ++i) {
    auto xs = get_if<vector>(*x);
    REQUIRE(xs);
    REQUIRE(xs->size() == 1);
    x = &xs->front();
  }
  CHECK(x->is_none());
}

TEST_CASE("unsorted sets and tables are accepted", "[format][bin]") {
  // spec: upstream-broker.md §4.6: decoders accept any order.
  auto decoded = decode_hex("0c030502636305016105026262");
  REQUIRE(decoded.ok);
  CHECK(decoded.value == data{set{"a"s, "bb"s, "cc"s}});
  decoded = decode_hex("0d0305016300050161000501620100");
  REQUIRE(decoded.ok);
  CHECK(decoded.value == data{table{{"a"s, nil}, {"b"s, false}, {"c"s, nil}}});
}

TEST_CASE("bool bytes other than zero are true", "[format][bin]") {
  for (int byte = 1; byte < 256; ++byte) {
    auto decoded = decode_bytes({1, static_cast<uint8_t>(byte)});
    REQUIRE(decoded.ok);
    CHECK(decoded.value == data{true});
  }
}

TEST_CASE("decode leaves the target untouched on failure", "[format][bin]") {
  data x{"keep"s};
  bin::decode_error err;
  auto bytes = from_hex("0e0200");
  CHECK_FALSE(bin::decode(bytes, x, err));
  CHECK(x == data{"keep"s});
}

TEST_CASE("decode into nil leaves nil on failure", "[format][bin]") {
  // nil targets are decoded in place: a vector whose second element is cut
  // short fails after the first element was built.
  data x;
  bin::decode_error err;
  auto bytes = from_hex("0e02"               // vector of 2
                        "020000000000000001" // count 1
                        "05056162");         // string of 5, 2 bytes left
  CHECK_FALSE(bin::decode(bytes, x, err));
  CHECK(x == data{});
  CHECK(err.reason.rfind("failed to parse data", 0) == 0);
  // And a good value still decodes into the same target afterwards.
  REQUIRE(bin::decode(from_hex("020000000000000007"), x, err));
  CHECK(x == data{count{7}});
}

TEST_CASE("decode_value stops after one value", "[format][bin]") {
  auto bytes = from_hex("02000000000000002a0502686900");
  bin::reader src{bytes};
  bin::decode_error err;
  data x;
  REQUIRE(bin::decode_value(src, x, err));
  CHECK(x == data{count{42}});
  CHECK(src.offset() == 9);
  REQUIRE(bin::decode_value(src, x, err));
  CHECK(x == data{"hi"s});
  REQUIRE(bin::decode_value(src, x, err));
  CHECK(x.is_none());
  CHECK(src.at_end());
  CHECK_FALSE(bin::decode_value(src, x, err));
  CHECK(err.reason ==
        std::string{parse_failure} +
            "unexpected end of input reading type tag at offset 14");
}

// -- decoder: every vector, damaged -------------------------------------------

namespace {

/// Decodes every proper prefix of `bytes` (a valid encoding) and checks the
/// exact error: the one `truncated_data_error` derives from the layout.
void check_every_truncation(const std::string& what,
                            const std::vector<uint8_t>& bytes) {
  for (size_t len = 0; len < bytes.size(); ++len) {
    INFO(what << " truncated to " << len << " bytes");
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + len);
    auto decoded = decode_bytes(prefix);
    REQUIRE_FALSE(decoded.ok);
    CHECK(decoded.err.code == ec::deserialization_failed);
    CHECK(decoded.err.reason == broker::test::truncated_data_error(bytes, len));
  }
}

/// Runs `check_every_truncation` on column `column` of the rows of `file`
/// for which `filter` holds; returns the number of rows checked.
template <class Filter>
size_t check_file_truncations(const char* file, size_t column, Filter filter) {
  size_t num_rows = 0;
  for (const auto& row : broker::test::load_vector_file(file)) {
    if (!filter(row))
      continue;
    auto bytes = from_hex(row.fields.at(column));
    REQUIRE(decode_bytes(bytes).ok);
    check_every_truncation(row.file + "/" + row.name(), bytes);
    ++num_rows;
  }
  return num_rows;
}

bool any_row(const vector_row&) {
  return true;
}

} // namespace

TEST_CASE("the truncation oracle knows the decoder's messages",
          "[format][bin]") {
  using broker::test::truncated_data_error;
  const auto fail = std::string{parse_failure};
  // Spot checks, written by hand from the layout (spec: §4.6).
  auto set_hex = from_hex(sorted_set_1_2_3_hex);
  CHECK(truncated_data_error(set_hex, 0) ==
        "cannot parse null data: empty input at offset 0");
  CHECK(truncated_data_error(set_hex, 1) ==
        fail + "unexpected end of input reading container size at offset 1");
  CHECK(truncated_data_error(set_hex, 4) ==
        fail + "container size 3 exceeds remaining 2 bytes at offset 2");
  CHECK(truncated_data_error(set_hex, 10) ==
        fail + "unexpected end of input reading count at offset 3");
  CHECK(truncated_data_error(set_hex, 20) ==
        fail + "unexpected end of input reading type tag at offset 20");
  auto str = from_hex("05810068"); // non-minimal length varbyte
  CHECK(truncated_data_error(str, 2) ==
        fail + "unexpected end of input reading string at offset 1");
  CHECK(truncated_data_error(str, 3) ==
        fail + "string length 1 exceeds remaining 0 bytes at offset 3");
  auto table_hex = from_hex("0d0105016b020000000000000001");
  CHECK(truncated_data_error(table_hex, 4) ==
        fail + "string length 1 exceeds remaining 0 bytes at offset 4");
  CHECK(truncated_data_error(table_hex, 3) ==
        fail + "container size 1 exceeds remaining 1 bytes at offset 2");
  auto subnet_hex = from_hex("0700000000000000000000ffff0a00000008");
  CHECK(truncated_data_error(subnet_hex, 17) ==
        fail + "unexpected end of input reading subnet length at offset 17");
  auto port_hex = from_hex("08005001");
  CHECK(truncated_data_error(port_hex, 3) ==
        fail + "unexpected end of input reading port protocol at offset 3");
  CHECK_THROWS_AS(truncated_data_error(port_hex, 4), std::invalid_argument);
}

TEST_CASE("every data.txt vector truncated at every offset: exact errors",
          "[format][bin][truncated]") {
  CHECK(check_file_truncations("data.txt", 1, any_row) > 0);
}

TEST_CASE("every zeek.txt vector truncated at every offset: exact errors",
          "[format][bin][truncated]") {
  CHECK(check_file_truncations("zeek.txt", 1, any_row) > 0);
}

TEST_CASE("every ok row of data-decode.txt truncated at every offset: exact "
          "errors",
          "[format][bin][truncated]") {
  auto is_ok_row = [](const vector_row& row) {
    return starts_with(row.fields.at(2), "ok:");
  };
  CHECK(check_file_truncations("data-decode.txt", 1, is_ok_row) > 0);
}

TEST_CASE("every data row of status.txt truncated at every offset: exact "
          "errors",
          "[format][bin][truncated]") {
  auto is_data_row = [](const vector_row& row) {
    return row.fields.at(1) == "data";
  };
  CHECK(check_file_truncations("status.txt", 2, is_data_row) > 0);
}

TEST_CASE("every data.txt vector with a trailing byte is an error",
          "[format][bin]") {
  for (const auto& row : broker::test::load_vector_file("data.txt")) {
    INFO(row.name());
    auto bytes = from_hex(row.fields.at(1));
    auto size = bytes.size();
    bytes.push_back(0);
    auto decoded = decode_bytes(bytes);
    CHECK_FALSE(decoded.ok);
    CHECK(decoded.err.reason == std::string{parse_failure} +
                                    "1 trailing bytes at offset " +
                                    std::to_string(size));
  }
}

TEST_CASE("every single-byte change of a data.txt vector is handled",
          "[format][bin]") {
  // No crash, no sanitizer report; whatever decodes must re-encode to
  // something that decodes to the same value.
  for (const auto& row : broker::test::load_vector_file("data.txt")) {
    auto bytes = from_hex(row.fields.at(1));
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (uint8_t delta : {uint8_t{1}, uint8_t{0x80}, uint8_t{0xff}}) {
        auto damaged = bytes;
        damaged[i] = static_cast<uint8_t>(damaged[i] + delta);
        auto decoded = decode_bytes(damaged);
        if (!decoded.ok) {
          CHECK(decoded.err.code == ec::deserialization_failed);
          continue;
        }
        auto again = decode_bytes(bin::encode(decoded.value));
        INFO(row.name() << " byte " << i);
        REQUIRE(again.ok);
        CHECK(hex_of(again.value) == hex_of(decoded.value));
      }
    }
  }
}

// -- round trips --------------------------------------------------------------

namespace {

void check_round_trip(const data& x) {
  INFO(to_string(x));
  auto bytes = bin::encode(x);
  auto decoded = decode_bytes(bytes);
  INFO(decoded.err.reason);
  REQUIRE(decoded.ok);
  CHECK(same_value(decoded.value, x));
  CHECK(bin::encode(decoded.value) == bytes);
}

} // namespace

TEST_CASE("values of every type round-trip", "[format][bin]") {
  constexpr auto inf = std::numeric_limits<real>::infinity();
  const data samples[] = {
      nil,
      true,
      false,
      count{0},
      std::numeric_limits<count>::max(),
      std::numeric_limits<integer>::min(),
      std::numeric_limits<integer>::max(),
      0.0,
      -0.0,
      inf,
      -inf,
      std::numeric_limits<real>::quiet_NaN(),
      std::numeric_limits<real>::denorm_min(),
      -std::numeric_limits<real>::denorm_min(),
      std::numeric_limits<real>::max(),
      std::numeric_limits<real>::lowest(),
      std::numeric_limits<real>::min(),
      ""s,
      std::string(100000, 'z'),
      "a\0b"s,
      broker::test::parse<address>("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
      broker::test::parse<address>("255.255.255.255"),
      subnet::unchecked(address{}, 255),
      broker::test::parse<subnet>("::/0"),
      broker::test::parse<subnet>("fe80::/10"),
      port{65535, port::protocol::icmp},
      port{},
      timestamp{timespan{std::numeric_limits<int64_t>::min()}},
      timespan{std::numeric_limits<int64_t>::max()},
      enum_value{},
      enum_value{std::string(300, 'e')},
      set{},
      set{nil, true, count{1}, integer{1}, 1.0, "1"s, vector{}},
      table{{nil, nil}, {vector{count{1}}, set{}}, {table{}, table{{1u, 2u}}}},
      vector(1000, data{count{7}}),
  };
  for (const auto& x : samples)
    check_round_trip(x);
}

TEST_CASE("random values round-trip", "[format][bin]") {
  constexpr size_t num_values = 2000;
  value_generator gen{42};
  for (size_t i = 0; i < num_values; ++i)
    check_round_trip(gen.next());
}

TEST_CASE("damaged encodings of random values: both paths agree",
          "[format][bin]") {
  // decode_bytes checks decode and validate against their reference
  // implementations; random values reach every branch of the fast paths.
  constexpr size_t num_values = 500;
  value_generator gen{7};
  std::mt19937 rng{7};
  for (size_t i = 0; i < num_values; ++i) {
    auto bytes = bin::encode(gen.next());
    INFO(to_hex(bytes));
    for (int change = 0; change < 4; ++change) {
      auto damaged = bytes;
      auto pos = rng() % damaged.size();
      damaged[pos] = static_cast<uint8_t>(rng());
      decode_bytes(damaged);
      damaged.resize(rng() % damaged.size());
      decode_bytes(damaged);
    }
  }
}

TEST_CASE("value_end finds where each data.txt vector ends, and nothing in "
          "its strict prefixes",
          "[format][bin]") {
  for (const auto& row : broker::test::load_vector_file("data.txt")) {
    INFO(row.name());
    auto bytes = from_hex(row.fields.at(1));
    bytes.push_back(0); // a trailing byte is not part of the value
    bin::byte_span all{bytes.data(), bytes.size()};
    CHECK(bin::value_end(all) == bytes.data() + bytes.size() - 1);
    for (size_t len = 0; len + 1 < bytes.size(); ++len)
      CHECK(bin::value_end(bin::byte_span{bytes.data(), len}) == nullptr);
  }
  // Nesting beyond the decoder's cap, and an invalid tag.
  std::vector<uint8_t> deep;
  for (size_t i = 0; i <= bin::max_nesting_depth; ++i) {
    deep.push_back(static_cast<uint8_t>(data::type::vector));
    deep.push_back(1);
  }
  deep.push_back(0);
  CHECK(bin::value_end(deep) == nullptr);
  CHECK(bin::value_end(from_hex("0f")) == nullptr);
}

TEST_CASE("fixed_body_size_of matches what the encoder writes",
          "[format][bin]") {
  const data samples[] = {
      nil,         true,       count{1}, integer{-1},
      1.5,         address{},  subnet{}, port{80, port::protocol::tcp},
      timestamp{}, timespan{},
  };
  for (const auto& x : samples) {
    INFO(to_string(x));
    auto size = bin::fixed_body_size_of(x.get_type());
    REQUIRE(size);
    CHECK(bin::encode(x).size() == 1 + *size);
  }
  for (const data& x : {data{"abc"s}, data{enum_value{"e"}}, data{set{}},
                        data{table{}}, data{vector{}}})
    CHECK(!bin::fixed_body_size_of(x.get_type()));
}
