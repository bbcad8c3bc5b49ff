#include "broker/time.hh"

#include <catch2/catch.hpp>

#include <limits>

using namespace broker;
using namespace std::chrono_literals;

namespace {

template <class T>
std::string print(T x) {
  std::string result;
  convert(x, result);
  return result;
}

timestamp ts(int64_t ns) {
  return timestamp{timespan{ns}};
}

} // namespace

TEST_CASE("times print as nanoseconds", "[model][time]") {
  CHECK(print(timespan{0}) == "0ns");
  CHECK(print(timespan{-1}) == "-1ns");
  CHECK(print(timespan{1500ms}) == "1500000000ns");
  CHECK(print(ts(1700000000123456789)) == "1700000000123456789ns");
  CHECK(print(ts(-1500000000)) == "-1500000000ns");
}

TEST_CASE("timespan text with units", "[model][time]") {
  const std::pair<const char*, timespan> cases[] = {
      {"7ns", timespan{7}},
      {"3us", 3us},
      {"10ms", 10ms},
      {"1s", 1s},
      {"5min", 5min},
      {"2h", 2h},
      {"1d", 24h}, // DESIGN.md §6: accepted (upstream rejects `d`)
      {"-1ns", timespan{-1}},
      {"1.5s", 1500ms},
      {"1.5min", 90s},
      {"0.000000001s", timespan{1}},
      {"0.0000000019s", timespan{1}}, // truncated toward zero
      {"-2.5us", timespan{-2500}},
      {"0s", timespan{0}},
      {"9223372036854775807ns", timespan{std::numeric_limits<int64_t>::max()}},
      {"-9223372036854775808ns", timespan{std::numeric_limits<int64_t>::min()}},
  };
  for (const auto& [str, expected] : cases) {
    INFO(str);
    timespan x;
    REQUIRE(convert(std::string{str}, x));
    CHECK(x == expected);
  }
}

TEST_CASE("malformed timespan text is rejected", "[model][time]") {
  const std::string bad[] = {
      "",
      "10",
      "s",
      "1.s",
      ".5s",
      "1.5",
      "1 s",
      "1sec",
      "+1s",
      "--1s",
      "1e3s",
      "1S",
      "0x10s",
      "1.5.5s",
      "9223372036854775808ns",
      "106752d",
      "-9223372036854775809ns",
      "99999999999999999999999999ns",
      std::string{"1s\0", 3},
  };
  for (const auto& str : bad) {
    INFO(str);
    timespan x{42};
    CHECK_FALSE(convert(str, x));
    CHECK(x == timespan{42});
  }
}

TEST_CASE("timestamp text in ns and ISO 8601 forms", "[model][time]") {
  // ISO rows from json-decode.txt.
  const std::pair<const char*, int64_t> cases[] = {
      {"0ns", 0},
      {"-1500000000ns", -1500000000},
      {"1700000000123456789ns", 1700000000123456789},
      {"2023-11-14T22:13:20.123", 1700000000123000000},
      {"2023-11-14T22:13:20", 1700000000000000000},
      {"2023-11-14T22:13:20.123Z", 1700000000123000000},
      {"2023-11-14T23:13:20.123+01:00", 1700000000123000000},
      {"2023-11-14T21:43:20.123-00:30", 1700000000123000000},
      {"1970-01-01T00:00:00.000", 0},
      {"2023-11-14T22:13:20.123456789", 1700000000123456789},
      {"1969-12-31T23:59:58.5", -1500000000},
      {"2000-02-29T00:00:00", 951782400000000000},
      {"1677-09-21T00:12:43.145224192", std::numeric_limits<int64_t>::min()},
      {"2262-04-11T23:47:16.854775807", std::numeric_limits<int64_t>::max()},
  };
  for (const auto& [str, expected] : cases) {
    INFO(str);
    timestamp x;
    REQUIRE(convert(std::string{str}, x));
    CHECK(x.time_since_epoch().count() == expected);
  }
}

TEST_CASE("malformed timestamp text is rejected", "[model][time]") {
  const std::string bad[] = {
      "",
      "2023-11-14",                     // date only (as upstream)
      "2023-11-14 22:13:20",            // no T
      "2023-11-14T22:13",               // no seconds
      "2023-13-14T22:13:20",            // month 13
      "2023-02-29T00:00:00",            // not a leap year
      "2023-11-31T00:00:00",            // November 31st
      "2023-11-14T24:00:00",            // hour 24
      "2023-11-14T22:60:00",            // minute 60
      "2023-11-14T22:13:60",            // second 60
      "2023-11-14T22:13:20.",           // empty fraction
      "2023-11-14T22:13:20.1234567891", // more than ns resolution
      "2023-11-14T22:13:20+01",         // offset without minutes
      "2023-11-14T22:13:20z",
      "2023-11-14T22:13:20Z ",
      "23-11-14T22:13:20",
      "2262-04-11T23:47:16.854775808", // overflows int64 nanoseconds
      "9999-12-31T23:59:59",
      "ns",
      "-ns",
      "12a3ns",
      "9223372036854775808ns",
      "1700000000",
  };
  for (const auto& str : bad) {
    INFO(str);
    timestamp x = ts(42);
    CHECK_FALSE(convert(str, x));
    CHECK(x == ts(42));
  }
}

TEST_CASE("now is close to the system clock", "[model][time]") {
  auto before = std::chrono::system_clock::now();
  auto x = now();
  auto after = std::chrono::system_clock::now();
  CHECK(x >= std::chrono::time_point_cast<timespan>(before));
  CHECK(x <= std::chrono::time_point_cast<timespan>(after));
}
