#include "broker/time.hh"

#include <cstdint>
#include <limits>
#include <string_view>

namespace broker {

namespace {

// Both parsers compute in 128 bits so that every overflow of the 64-bit
// result is detected instead of wrapping. (GCC and Clang extension.)
using int128 = __int128;

constexpr int64_t ns_per_us = 1'000;
constexpr int64_t ns_per_ms = 1'000'000;
constexpr int64_t ns_per_s = 1'000'000'000;
constexpr int64_t ns_per_min = 60 * ns_per_s;
constexpr int64_t ns_per_h = 60 * ns_per_min;
constexpr int64_t ns_per_day = 24 * ns_per_h;

constexpr int64_t seconds_per_day = 86'400;

/// Fraction digits beyond this many cannot change a nanosecond count of any
/// unit up to days (10^18 * ns_per_day still fits into 128 bits); further
/// digits are checked but ignored (truncation toward zero).
constexpr size_t max_fraction_digits = 18;

/// Nanosecond digits of an ISO 8601 fraction.
constexpr size_t max_iso_fraction_digits = 9;

/// Suffix of upstream's `to_string` form of times and durations.
constexpr std::string_view ns_suffix = "ns";

struct time_unit {
  std::string_view name;
  int64_t ns;
};

/// Accepted timespan units. Upstream rejects `d`; we accept it (DESIGN.md §6).
constexpr time_unit time_units[] = {
    {"ns", 1},           {"us", ns_per_us}, {"ms", ns_per_ms}, {"s", ns_per_s},
    {"min", ns_per_min}, {"h", ns_per_h},   {"d", ns_per_day},
};

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

bool fits_int64(int128 x) noexcept {
  return x >= std::numeric_limits<int64_t>::min() &&
         x <= std::numeric_limits<int64_t>::max();
}

/// Consumes digits at the front of `str` into `result`, at most `max_digits`
/// of them count (the rest are skipped). Returns the number of digits seen.
size_t take_digits(std::string_view& str, int128& result, size_t max_digits,
                   size_t* counted = nullptr) noexcept {
  // Any run of more than 38 counted digits could overflow 128 bits.
  constexpr size_t max_counted = 38;
  if (max_digits > max_counted)
    max_digits = max_counted;
  size_t seen = 0;
  size_t used = 0;
  result = 0;
  while (seen < str.size() && is_digit(str[seen])) {
    if (used < max_digits) {
      result = result * 10 + (str[seen] - '0');
      ++used;
    }
    ++seen;
  }
  str.remove_prefix(seen);
  if (counted)
    *counted = used;
  return seen;
}

/// Parses exactly `n` digits at the front of `str`.
bool take_fixed(std::string_view& str, size_t n, int& result) noexcept {
  if (str.size() < n)
    return false;
  int value = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!is_digit(str[i]))
      return false;
    value = value * 10 + (str[i] - '0');
  }
  str.remove_prefix(n);
  result = value;
  return true;
}

bool take_char(std::string_view& str, char c) noexcept {
  if (str.empty() || str.front() != c)
    return false;
  str.remove_prefix(1);
  return true;
}

/// Parses `[-]<digits>` spanning all of `str` into a 64-bit integer.
bool parse_int64(std::string_view str, int64_t& result) noexcept {
  // More than 19 digits never fit into 64 bits.
  constexpr size_t max_int64_digits = 19;
  bool negative = take_char(str, '-');
  int128 value = 0;
  size_t used = 0;
  auto seen = take_digits(str, value, max_int64_digits + 1, &used);
  if (seen == 0 || !str.empty() || used != seen)
    return false;
  if (negative)
    value = -value;
  if (!fits_int64(value))
    return false;
  result = static_cast<int64_t>(value);
  return true;
}

bool is_leap_year(int year) noexcept {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int days_in_month(int year, int month) noexcept {
  constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : days[month - 1];
}

/// Returns the number of days from 1970-01-01 to the given proleptic
/// Gregorian date (negative before). Counts whole 400-year eras (146097
/// days each) starting at March 1st, so that the leap day ends a year.
int64_t days_from_civil(int year, int month, int day) noexcept {
  constexpr int64_t days_per_era = 146'097;
  // Days from 0000-03-01 to 1970-01-01.
  constexpr int64_t epoch_offset = 719'468;
  int64_t y = month <= 2 ? year - 1 : year;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t year_of_era = y - era * 400;
  int64_t month_from_march = month > 2 ? month - 3 : month + 9;
  int64_t day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
  int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * days_per_era + day_of_era - epoch_offset;
}

/// Parses `YYYY-MM-DDThh:mm:ss[.fraction][Z|(+|-)hh:mm]` spanning all of
/// `str` into nanoseconds since the epoch.
bool parse_iso8601(std::string_view str, int64_t& result) noexcept {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!take_fixed(str, 4, year) || !take_char(str, '-') ||
      !take_fixed(str, 2, month) || !take_char(str, '-') ||
      !take_fixed(str, 2, day) || !take_char(str, 'T') ||
      !take_fixed(str, 2, hour) || !take_char(str, ':') ||
      !take_fixed(str, 2, minute) || !take_char(str, ':') ||
      !take_fixed(str, 2, second))
    return false;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
      hour > 23 || minute > 59 || second > 59)
    return false;
  int128 fraction_ns = 0;
  if (take_char(str, '.')) {
    int128 digits = 0;
    auto seen = take_digits(str, digits, max_iso_fraction_digits);
    if (seen == 0 || seen > max_iso_fraction_digits)
      return false;
    for (auto i = seen; i < max_iso_fraction_digits; ++i)
      digits *= 10;
    fraction_ns = digits;
  }
  int64_t offset_seconds = 0;
  if (!str.empty()) {
    if (take_char(str, 'Z')) {
      // UTC
    } else if (str.front() == '+' || str.front() == '-') {
      auto sign = str.front() == '-' ? -1 : 1;
      str.remove_prefix(1);
      int offset_hours = 0, offset_minutes = 0;
      if (!take_fixed(str, 2, offset_hours) || !take_char(str, ':') ||
          !take_fixed(str, 2, offset_minutes) || offset_hours > 23 ||
          offset_minutes > 59)
        return false;
      offset_seconds = sign * (offset_hours * 3600 + offset_minutes * 60);
    } else {
      return false;
    }
    if (!str.empty())
      return false;
  }
  int128 seconds = int128{days_from_civil(year, month, day)} * seconds_per_day +
                   hour * 3600 + minute * 60 + second - offset_seconds;
  int128 ns = seconds * ns_per_s + fraction_ns;
  if (!fits_int64(ns))
    return false;
  result = static_cast<int64_t>(ns);
  return true;
}

} // namespace

timestamp now() noexcept {
  return std::chrono::time_point_cast<timespan>(
      std::chrono::system_clock::now());
}

void convert(timespan x, std::string& str) {
  str = std::to_string(x.count());
  str += ns_suffix;
}

void convert(timestamp x, std::string& str) {
  convert(x.time_since_epoch(), str);
}

bool convert(const std::string& str, timespan& x) noexcept {
  std::string_view input{str};
  bool negative = take_char(input, '-');
  int128 whole = 0;
  // Integer parts beyond 20 digits overflow anyway; count them to reject.
  constexpr size_t max_whole_digits = 20;
  size_t used = 0;
  auto seen = take_digits(input, whole, max_whole_digits, &used);
  if (seen == 0 || used != seen)
    return false;
  int128 fraction = 0;
  size_t fraction_digits = 0;
  if (take_char(input, '.')) {
    if (take_digits(input, fraction, max_fraction_digits, &fraction_digits) ==
        0)
      return false;
  }
  for (const auto& unit : time_units) {
    if (input != unit.name)
      continue;
    int128 scale = 1;
    for (size_t i = 0; i < fraction_digits; ++i)
      scale *= 10;
    int128 ns = whole * unit.ns + fraction * unit.ns / scale;
    if (negative)
      ns = -ns;
    if (!fits_int64(ns))
      return false;
    x = timespan{static_cast<int64_t>(ns)};
    return true;
  }
  return false;
}

bool convert(const std::string& str, timestamp& x) noexcept {
  std::string_view input{str};
  int64_t ns = 0;
  auto suffix_pos = input.size() >= ns_suffix.size()
                        ? input.size() - ns_suffix.size()
                        : std::string_view::npos;
  bool ok = suffix_pos != std::string_view::npos &&
                    input.substr(suffix_pos) == ns_suffix
                ? parse_int64(input.substr(0, suffix_pos), ns)
                : parse_iso8601(input, ns);
  if (!ok)
    return false;
  x = timestamp{timespan{ns}};
  return true;
}

} // namespace broker
