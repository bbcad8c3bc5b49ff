// JSON v1 codec (spec: upstream-broker.md §5.2-§5.4, DESIGN.md §6).
//
// Encoding writes the text directly (fixed key order, exact formats).
// Decoding runs Boost.JSON's SAX parser (`basic_parser`) with a handler that
// records the document as a flat array of nodes in per-thread buffers, then
// converts that tree into a `data` value. Reals are converted from their
// text with `std::from_chars` (correctly rounded; Boost 1.81's own
// conversion is not). Upstream also accepts a few things strict JSON does
// not (`nan`, the escape `\v`, raw control bytes inside strings); input that
// fails the strict parse is rewritten into strict JSON (see `relax`) and
// parsed once more, so well-formed input never pays for that.

#include "format/json.hh"

#include "format/bin.hh"

#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <system_error>
#include <utility>
#include <vector>

namespace broker::format::json::v1 {

static_assert(max_nesting_depth == bin::v1::max_nesting_depth,
              "JSON and binary decoders must accept the same values");

namespace {

namespace bin = format::bin::v1;

// -- constants ----------------------------------------------------------------

/// `@data-type` names, indexed by `data::type` (spec: §5.4).
constexpr std::string_view type_names[] = {
    "none",     "boolean",    "count",  "integer", "real",
    "string",   "address",    "subnet", "port",    "timestamp",
    "timespan", "enum-value", "set",    "table",   "vector",
};

constexpr size_t num_types = std::size(type_names);

static_assert(num_types == std::variant_size_v<data::variant_type>);

constexpr int64_t ns_per_us = 1'000;
constexpr int64_t ns_per_ms = 1'000'000;
constexpr int64_t ns_per_s = 1'000'000'000;
constexpr int64_t ms_per_s = 1'000;
constexpr int64_t seconds_per_day = 86'400;

/// Longest output of `std::to_chars` for an int64, uint64 or the shortest
/// round-trip form of a double ("-2.2250738585072014e-308" has 24).
constexpr size_t max_number_text = 32;

/// Values quoted in error reasons are cut after this many bytes.
constexpr size_t max_quoted_value = 64;

/// Per-thread parse buffers larger than this are released after a decode,
/// so that one huge frame does not pin its memory for the thread's life.
constexpr size_t max_retained_nodes = 64 * 1024;
constexpr size_t max_retained_text = 1024 * 1024;

// -- encoding helpers ---------------------------------------------------------

/// Characters that `append_string` must escape: `"`, `\` and the control
/// characters below 0x20 (RFC 8259 §7).
constexpr bool needs_escape(unsigned char c) noexcept {
  return c < 0x20 || c == '"' || c == '\\';
}

template <class T>
void append_integer(T x, std::string& out) {
  char buf[max_number_text];
  auto res = std::to_chars(buf, buf + sizeof(buf), x);
  out.append(buf, res.ptr);
}

/// Writes the shortest text that reads back to `x` (DESIGN.md §6), always
/// with a fraction or exponent so that it reads back as a real (upstream
/// rejects `1` as a real); non-finite values as upstream writes them.
void append_real(double x, std::string& out) {
  if (std::isnan(x)) {
    out += "nan";
    return;
  }
  if (std::isinf(x)) {
    out += x > 0 ? "inf" : "-inf";
    return;
  }
  char buf[max_number_text];
  auto res = std::to_chars(buf, buf + sizeof(buf), x);
  out.append(buf, res.ptr);
  if (std::find_if(buf, res.ptr, [](char c) { return c == '.' || c == 'e'; }) ==
      res.ptr)
    out += ".0";
}

/// Appends `x` with at least `width` digits (zero-padded). @pre x >= 0
void append_padded(int64_t x, int width, std::string& out) {
  char buf[max_number_text];
  auto res = std::to_chars(buf, buf + sizeof(buf), x);
  for (auto len = res.ptr - buf; len < width; ++len)
    out += '0';
  out.append(buf, res.ptr);
}

/// Floor division (rounds toward negative infinity).
constexpr int64_t floor_div(int64_t x, int64_t y) noexcept {
  auto q = x / y;
  return (x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q;
}

/// Converts days since 1970-01-01 into a proleptic Gregorian date. Counts
/// whole 400-year eras (146097 days) starting at March 1st, so that the leap
/// day ends a year (inverse of `days_from_civil` in src/time.cc).
void civil_from_days(int64_t days, int64_t& year, int& month, int& day) {
  constexpr int64_t days_per_era = 146'097;
  // Days from 0000-03-01 to 1970-01-01.
  constexpr int64_t epoch_offset = 719'468;
  days += epoch_offset;
  auto era = floor_div(days, days_per_era);
  auto day_of_era = days - era * days_per_era; // [0, 146096]
  auto year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 -
                      day_of_era / 146096) /
                     365; // [0, 399]
  auto day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  auto month_from_march = (5 * day_of_year + 2) / 153; // [0, 11]
  day = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  month = static_cast<int>(month_from_march < 10 ? month_from_march + 3
                                                 : month_from_march - 9);
  year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
}

/// Writes `"YYYY-MM-DDThh:mm:ss.mmm"` in UTC, milliseconds truncated toward
/// negative infinity, so that times before 1970 keep their exact
/// milliseconds (spec: §5.4; DESIGN.md §6).
void append_timestamp(timestamp x, std::string& out) {
  auto ms = floor_div(x.time_since_epoch().count(), ns_per_ms);
  auto secs = floor_div(ms, ms_per_s);
  auto days = floor_div(secs, seconds_per_day);
  auto second_of_day = secs - days * seconds_per_day;
  int64_t year = 0;
  int month = 0;
  int day = 0;
  civil_from_days(days, year, month, day);
  out += '"';
  append_padded(year, 4, out);
  out += '-';
  append_padded(month, 2, out);
  out += '-';
  append_padded(day, 2, out);
  out += 'T';
  append_padded(second_of_day / 3600, 2, out);
  out += ':';
  append_padded(second_of_day / 60 % 60, 2, out);
  out += ':';
  append_padded(second_of_day % 60, 2, out);
  out += '.';
  append_padded(ms - secs * ms_per_s, 3, out);
  out += '"';
}

/// Writes `"<n><unit>"` with the largest of `s`, `ms`, `us`, `ns` that
/// represents `x` exactly; zero is `"0s"` (spec: §5.4).
void append_timespan(timespan x, std::string& out) {
  struct unit {
    int64_t ns;
    std::string_view name;
  };
  constexpr unit units[] = {
      {ns_per_s, "s"}, {ns_per_ms, "ms"}, {ns_per_us, "us"}, {1, "ns"}};
  auto count = x.count();
  out += '"';
  for (const auto& u : units) {
    if (count % u.ns == 0) {
      append_integer(count / u.ns, out);
      out += u.name;
      break;
    }
  }
  out += '"';
}

/// Writes `x` with the model's text conversion, quoted (addresses, subnets
/// and ports contain no characters that need escaping).
template <class T>
void append_quoted_text(const T& x, std::string& out) {
  thread_local std::string scratch;
  convert(x, scratch);
  out += '"';
  out += scratch;
  out += '"';
}

/// Writes the `data` member of a value (the part after `"data":`).
class data_writer {
public:
  explicit data_writer(std::string& out) : out_(out) {}

  void operator()(none) { out_ += "{}"; }

  void operator()(boolean x) { out_ += x ? "true" : "false"; }

  void operator()(count x) { append_integer(x, out_); }

  void operator()(integer x) { append_integer(x, out_); }

  void operator()(real x) { append_real(x, out_); }

  void operator()(const std::string& x) { append_string(x, out_); }

  void operator()(const address& x) { append_quoted_text(x, out_); }

  void operator()(const subnet& x) { append_quoted_text(x, out_); }

  void operator()(const port& x) { append_quoted_text(x, out_); }

  void operator()(timestamp x) { append_timestamp(x, out_); }

  void operator()(timespan x) { append_timespan(x, out_); }

  void operator()(const enum_value& x) { append_string(x.name, out_); }

  void operator()(const set& xs) { write_list(xs); }

  void operator()(const vector& xs) { write_list(xs); }

  void operator()(const table& xs) {
    out_ += '[';
    bool first = true;
    for (const auto& [key, value] : xs) {
      if (!first)
        out_ += ',';
      first = false;
      out_ += "{\"key\":";
      encode_value(key, out_);
      out_ += ",\"value\":";
      encode_value(value, out_);
      out_ += '}';
    }
    out_ += ']';
  }

private:
  template <class List>
  void write_list(const List& xs) {
    out_ += '[';
    bool first = true;
    for (const auto& x : xs) {
      if (!first)
        out_ += ',';
      first = false;
      encode_value(x, out_);
    }
    out_ += ']';
  }

  std::string& out_;
};

/// Writes `"@data-type":"<type>","data":<value>` (no braces).
void append_typed_value(const data& x, std::string& out) {
  out += "\"@data-type\":\"";
  out += type_names[static_cast<size_t>(x.get_type())];
  out += "\",\"data\":";
  visit(data_writer{out}, x);
}

/// Writes the value at `src` (binary wire format v1) as `append_typed_value`
/// writes its decoded form, reading scalars and vectors in place. Sets and
/// tables are decoded and written as values: their JSON order is the
/// value's order, which need not be the (accepted) wire order.
/// @returns false if the bytes are no valid value or nest deeper than
///          `max_nesting_depth`.
bool append_typed_wire_value(bin::reader& src, std::string& out,
                             size_t depth = 0) {
  const auto* start = src.position();
  auto remaining = src.remaining();
  uint8_t raw_tag = 0;
  if (!src.read_u8(raw_tag) || raw_tag >= num_types)
    return false;
  auto type = static_cast<data::type>(raw_tag);
  auto write_header = [&out, raw_tag] {
    out += "\"@data-type\":\"";
    out += type_names[raw_tag];
    out += "\",\"data\":";
  };
  auto read_string = [&src](std::string_view& str) {
    uint32_t len = 0;
    bin::byte_span bytes;
    if (!src.read_varbyte(len) || !src.read_bytes(len, bytes))
      return false;
    str =
        std::string_view{reinterpret_cast<const char*>(bytes.data), bytes.size};
    return true;
  };
  uint64_t bits = 0;
  switch (type) {
  case data::type::none:
    write_header();
    out += "{}";
    return true;
  case data::type::boolean: {
    uint8_t byte = 0;
    if (!src.read_u8(byte))
      return false;
    write_header();
    out += byte != 0 ? "true" : "false";
    return true;
  }
  case data::type::count:
    if (!src.read_u64(bits))
      return false;
    write_header();
    append_integer(bits, out);
    return true;
  case data::type::integer:
    if (!src.read_u64(bits))
      return false;
    write_header();
    append_integer(static_cast<integer>(bits), out);
    return true;
  case data::type::real:
    if (!src.read_u64(bits))
      return false;
    write_header();
    append_real(bin::unpack_real(bits), out);
    return true;
  case data::type::timestamp:
    if (!src.read_u64(bits))
      return false;
    write_header();
    append_timestamp(timestamp{timespan{static_cast<int64_t>(bits)}}, out);
    return true;
  case data::type::timespan:
    if (!src.read_u64(bits))
      return false;
    write_header();
    append_timespan(timespan{static_cast<int64_t>(bits)}, out);
    return true;
  case data::type::string:
  case data::type::enum_value: {
    std::string_view str;
    if (!read_string(str))
      return false;
    write_header();
    append_string(str, out);
    return true;
  }
  case data::type::vector: {
    uint32_t n = 0;
    if (depth >= max_nesting_depth || !src.read_varbyte(n) ||
        n > src.remaining())
      return false;
    write_header();
    out += '[';
    for (uint32_t i = 0; i < n; ++i) {
      out += i == 0 ? "{" : ",{";
      if (!append_typed_wire_value(src, out, depth + 1))
        return false;
      out += '}';
    }
    out += ']';
    return true;
  }
  default: {
    // Addresses, subnets, ports (their text form), sets and tables.
    bin::reader sub{bin::byte_span{start, remaining}};
    data x;
    bin::decode_error err;
    bin::byte_span consumed;
    if (!bin::decode_value(sub, x, err) ||
        !src.read_bytes(sub.offset() - 1, consumed))
      return false;
    append_typed_value(x, out);
    return true;
  }
  }
}

// -- parsed documents ---------------------------------------------------------

/// JSON kinds of a parsed node. Numbers are split by how the parser saw
/// them: `integer` (fits int64), `unsigned_integer` (above INT64_MAX, fits
/// uint64) and `real` (with fraction or exponent, or an integer beyond 64
/// bits).
enum class node_kind : uint8_t {
  null,
  boolean,
  integer,
  unsigned_integer,
  real,
  string,
  array,
  object,
};

std::string_view kind_name(node_kind x) noexcept {
  switch (x) {
  case node_kind::null:
    return "null";
  case node_kind::boolean:
    return "boolean";
  case node_kind::integer:
  case node_kind::unsigned_integer:
  case node_kind::real:
    return "number";
  case node_kind::string:
    return "string";
  case node_kind::array:
    return "array";
  default:
    return "object";
  }
}

/// One JSON value of a parsed document. The document is the pre-order
/// sequence of its nodes: a container's descendants follow it, up to `end`;
/// an object's children alternate key (a string node) and value.
struct node {
  node_kind kind = node_kind::null;
  /// boolean: the value.
  bool flag = false;
  /// real: the text has neither fraction nor exponent (an integer beyond 64
  /// bits).
  bool integral = false;
  /// real: the value exceeds the range of double.
  bool overflow = false;
  /// string and real: the text is in the input, not in the text buffer.
  bool in_input = false;
  /// Index one past the last descendant (`self + 1` for scalars).
  uint32_t end = 0;
  /// array: number of elements; object: number of members.
  uint32_t size = 0;
  /// string and real: the (unescaped) text in the input or in the
  /// document's text buffer (see `in_input`).
  uint32_t text_offset = 0;
  uint32_t text_size = 0;
  union {
    int64_t i;
    uint64_t u;
    double d;
  };

  node() : i(0) {}
};

/// Special values `relax` turns into `null` tokens (see there).
enum class special_token : uint8_t { none, nan, pos_inf, neg_inf };

/// Boost.JSON parse handler that appends nodes to a document.
class dom_builder {
public:
  using error_code = boost::json::error_code;
  using string_view = boost::json::string_view;

  // Limits checked by the parser. The input size bounds everything else.
  static constexpr size_t max_array_size = std::numeric_limits<uint32_t>::max();
  static constexpr size_t max_object_size =
      std::numeric_limits<uint32_t>::max();
  static constexpr size_t max_string_size =
      std::numeric_limits<uint32_t>::max();
  static constexpr size_t max_key_size = std::numeric_limits<uint32_t>::max();

  std::vector<node> nodes;
  /// Strings and number texts that are not in the input as they are
  /// (escaped, or split across parser calls), referenced by the nodes.
  std::string text;

  /// Starts a new document parsed from `input`. `specials` says, for every
  /// `null` token in order, which special value it stands for (or nullptr:
  /// all are null).
  void reset(std::string_view input,
             const std::vector<special_token>* specials) {
    input_ = input;
    nodes.clear();
    text.clear();
    open_.clear();
    number_.clear();
    in_string_ = false;
    specials_ = specials;
    next_special_ = 0;
  }

  /// Releases buffers that grew beyond what a typical frame needs.
  void trim() {
    if (nodes.capacity() > max_retained_nodes)
      std::vector<node>{}.swap(nodes);
    if (text.capacity() > max_retained_text)
      std::string{}.swap(text);
    if (open_.capacity() > max_retained_nodes)
      std::vector<uint32_t>{}.swap(open_);
  }

  bool on_document_begin(error_code&) { return true; }

  bool on_document_end(error_code&) { return true; }

  bool on_array_begin(error_code&) {
    open_.push_back(push(node_kind::array));
    return true;
  }

  bool on_array_end(size_t n, error_code&) {
    close(n);
    return true;
  }

  bool on_object_begin(error_code&) {
    open_.push_back(push(node_kind::object));
    return true;
  }

  bool on_object_end(size_t n, error_code&) {
    close(n);
    return true;
  }

  bool on_string_part(string_view s, size_t, error_code&) {
    append_string_part(s);
    return true;
  }

  bool on_string(string_view s, size_t, error_code&) {
    finish_string(s);
    return true;
  }

  bool on_key_part(string_view s, size_t, error_code&) {
    append_string_part(s);
    return true;
  }

  bool on_key(string_view s, size_t, error_code&) {
    finish_string(s);
    return true;
  }

  bool on_number_part(string_view s, error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }

  bool on_int64(int64_t x, string_view, error_code&) {
    number_.clear();
    nodes[push(node_kind::integer)].i = x;
    return true;
  }

  bool on_uint64(uint64_t x, string_view, error_code&) {
    number_.clear();
    nodes[push(node_kind::unsigned_integer)].u = x;
    return true;
  }

  bool on_double(double, string_view s, error_code&) {
    // Boost.JSON 1.81's own conversion is not correctly rounded: convert
    // the text again (DESIGN.md §6: correctly rounded reals).
    std::string_view str{s.data(), s.size()};
    if (!number_.empty()) {
      number_.append(s.data(), s.size());
      str = number_;
    }
    push_real(str);
    number_.clear();
    return true;
  }

  bool on_bool(bool x, error_code&) {
    nodes[push(node_kind::boolean)].flag = x;
    return true;
  }

  bool on_null(error_code&) {
    auto special = special_token::none;
    if (specials_ != nullptr && next_special_ < specials_->size())
      special = (*specials_)[next_special_++];
    switch (special) {
    case special_token::nan:
      push_special("nan", std::numeric_limits<double>::quiet_NaN());
      break;
    case special_token::pos_inf:
      push_special("inf", std::numeric_limits<double>::infinity());
      break;
    case special_token::neg_inf:
      push_special("-inf", -std::numeric_limits<double>::infinity());
      break;
    default:
      push(node_kind::null);
    }
    return true;
  }

  bool on_comment_part(string_view, error_code&) { return true; }

  bool on_comment(string_view, error_code&) { return true; }

private:
  uint32_t push(node_kind kind) {
    auto index = static_cast<uint32_t>(nodes.size());
    auto& x = nodes.emplace_back();
    x.kind = kind;
    x.end = index + 1;
    return index;
  }

  void close(size_t n) {
    auto index = open_.back();
    open_.pop_back();
    auto& x = nodes[index];
    x.end = static_cast<uint32_t>(nodes.size());
    x.size = static_cast<uint32_t>(n);
  }

  void append_string_part(string_view s) {
    if (!in_string_) {
      in_string_ = true;
      string_start_ = text.size();
    }
    text.append(s.data(), s.size());
  }

  void finish_string(string_view s) {
    if (!in_string_) {
      set_text(nodes[push(node_kind::string)], {s.data(), s.size()});
      return;
    }
    append_string_part(s);
    in_string_ = false;
    auto& x = nodes[push(node_kind::string)];
    x.text_offset = static_cast<uint32_t>(string_start_);
    x.text_size = static_cast<uint32_t>(text.size() - string_start_);
  }

  /// Makes `str` the text of `x`: a reference if `str` lies in the input
  /// (the parser hands out such views for text without escapes), else a
  /// copy in the text buffer.
  void set_text(node& x, std::string_view str) {
    auto begin = reinterpret_cast<uintptr_t>(input_.data());
    auto pos = reinterpret_cast<uintptr_t>(str.data());
    if (pos >= begin && pos - begin <= input_.size() &&
        str.size() <= input_.size() - (pos - begin)) {
      x.in_input = true;
      x.text_offset = static_cast<uint32_t>(pos - begin);
    } else {
      x.text_offset = static_cast<uint32_t>(text.size());
      text.append(str);
    }
    x.text_size = static_cast<uint32_t>(str.size());
  }

  /// Adds a real node for the JSON number `str`, converted with
  /// `std::from_chars` (correctly rounded). Underflow yields ±0 (the
  /// correctly rounded result); overflow marks the node.
  void push_real(std::string_view str) {
    auto index = push(node_kind::real);
    auto& x = nodes[index];
    set_text(x, str);
    x.integral = str.find_first_of(".eE") == std::string_view::npos;
    double value = 0;
    auto res = std::from_chars(str.data(), str.data() + str.size(), value);
    if (res.ec == std::errc::result_out_of_range) {
      if (decimal_exponent(str) > 0) {
        x.overflow = true;
        value = std::numeric_limits<double>::infinity();
      } else {
        value = 0.0;
      }
      if (str.front() == '-')
        value = -value;
    }
    x.d = value;
  }

  /// Returns E such that the nonzero number `str` is 0.d... * 10^E (clamped
  /// to a few thousand; only the sign matters).
  static int64_t decimal_exponent(std::string_view str) {
    constexpr int64_t clamp = 100'000;
    size_t i = str.front() == '-' ? 1 : 0;
    int64_t integer_digits = 0;
    int64_t leading_zeros = 0;
    bool seen_nonzero = false;
    for (; i < str.size() && str[i] >= '0' && str[i] <= '9'; ++i) {
      if (seen_nonzero || str[i] != '0') {
        seen_nonzero = true;
        ++integer_digits;
      }
    }
    if (i < str.size() && str[i] == '.') {
      for (++i; i < str.size() && str[i] >= '0' && str[i] <= '9'; ++i) {
        if (!seen_nonzero && str[i] == '0')
          ++leading_zeros;
        else
          seen_nonzero = true;
      }
    }
    int64_t exponent = 0;
    if (i < str.size() && (str[i] == 'e' || str[i] == 'E')) {
      ++i;
      bool negative = false;
      if (i < str.size() && (str[i] == '+' || str[i] == '-'))
        negative = str[i++] == '-';
      for (; i < str.size(); ++i)
        exponent = std::min(exponent * 10 + (str[i] - '0'), clamp);
      if (negative)
        exponent = -exponent;
    }
    return (integer_digits > 0 ? integer_digits : -leading_zeros) + exponent;
  }

  void push_special(std::string_view name, double value) {
    auto& x = nodes[push(node_kind::real)];
    x.text_offset = static_cast<uint32_t>(text.size());
    x.text_size = static_cast<uint32_t>(name.size());
    text.append(name);
    x.d = value;
  }

  std::string_view input_;
  std::vector<uint32_t> open_;
  std::string number_;
  bool in_string_ = false;
  size_t string_start_ = 0;
  const std::vector<special_token>* specials_ = nullptr;
  size_t next_special_ = 0;
};

bool type_from_name(std::string_view name, data::type& x) noexcept;

// -- streaming transcoder -----------------------------------------------------

/// Boost.JSON parse handler that writes the wire form of a data-message
/// while the parser runs, without building a document: the fast path of
/// `decode_wire` for the messages encoders write (`@data-type` before
/// `data` in every object, no sets or tables). On anything else (a set or
/// table, keys in another order or repeated, a value of the wrong kind, a
/// number out of range, an error) it stops the parser, and `decode_wire`
/// decodes as `decode` does instead, whose results and errors are the
/// reference.
class wire_builder {
public:
  using error_code = boost::json::error_code;
  using string_view = boost::json::string_view;

  static constexpr size_t max_array_size = dom_builder::max_array_size;
  static constexpr size_t max_object_size = dom_builder::max_object_size;
  static constexpr size_t max_string_size = dom_builder::max_string_size;
  static constexpr size_t max_key_size = dom_builder::max_key_size;

  /// Starts a new message whose value goes to the end of `out`.
  void reset(bin::byte_buffer& out) {
    out_ = &out;
    frames_.clear();
    skip_depth_ = 0;
    skipping_ = false;
    part_.clear();
    topic_.clear();
    has_topic_ = false;
    done_ = false;
  }

  /// Returns whether the message was complete and in the streamed subset.
  [[nodiscard]] bool done() const noexcept { return done_; }

  /// Returns the topic (empty if the message had none).
  [[nodiscard]] const std::string& topic_text() const noexcept {
    return topic_;
  }

  bool on_document_begin(error_code&) { return true; }

  bool on_document_end(error_code&) { return true; }

  /// Releases buffers that grew beyond what a typical frame needs.
  void trim() {
    for (auto* str : {&part_, &last_, &topic_, &scratch_})
      if (str->capacity() > max_retained_text)
        std::string{}.swap(*str);
  }

  bool on_object_begin(error_code& ec) {
    if (skip_begin())
      return true;
    if (frames_.empty()) {
      frames_.push_back(frame{frame_kind::object, true, 0});
      return true;
    }
    // A value object is an element of a vector; anything else is not in
    // the streamed subset.
    auto& top = frames_.back();
    if (top.kind != frame_kind::vector)
      return stop(ec);
    frames_.push_back(frame{frame_kind::object, false, top.depth + 1});
    return true;
  }

  bool on_object_end(size_t, error_code& ec) {
    if (skip_end())
      return true;
    auto& obj = frames_.back();
    if (!obj.has_type || (obj.type != data::type::none && !obj.has_data))
      return stop(ec);
    if (obj.type == data::type::none)
      bin::write_u8(static_cast<uint8_t>(data::type::none), *out_);
    auto root = obj.root;
    frames_.pop_back();
    if (root)
      done_ = true;
    return true;
  }

  bool on_array_begin(error_code& ec) {
    if (skip_begin())
      return true;
    if (!expecting(data::type::vector))
      return stop(ec);
    auto& obj = frames_.back();
    obj.pending = pending_value::none;
    // As `converter::convert`: a container at the maximum depth fails.
    if (obj.depth >= max_nesting_depth)
      return stop(ec);
    bin::write_u8(static_cast<uint8_t>(data::type::vector), *out_);
    frames_.push_back(frame{frame_kind::vector, false, obj.depth});
    frames_.back().start = out_->size();
    return true;
  }

  bool on_array_end(size_t n, error_code&) {
    if (skip_end())
      return true;
    // The element count precedes the elements on the wire: append it, then
    // rotate it into place.
    auto start = static_cast<std::ptrdiff_t>(frames_.back().start);
    auto end = static_cast<std::ptrdiff_t>(out_->size());
    bin::write_varbyte(static_cast<uint32_t>(n), *out_);
    std::rotate(out_->begin() + start, out_->begin() + end, out_->end());
    frames_.pop_back();
    return true;
  }

  bool on_key_part(string_view s, size_t, error_code&) {
    return append_part(s);
  }

  bool on_key(string_view s, size_t, error_code& ec) {
    if (skipping_)
      return true;
    auto key = take_text(s);
    auto& obj = frames_.back();
    if (key == "@data-type") {
      if (obj.has_type)
        return stop(ec);
      obj.pending = pending_value::type;
    } else if (key == "data") {
      if (!obj.has_type || obj.has_data)
        return stop(ec);
      obj.has_data = true;
      // spec: §5.4, `data` of none is ignored.
      if (obj.type == data::type::none)
        skip_next();
      else
        obj.pending = pending_value::data;
    } else if (obj.root && key == "topic") {
      if (has_topic_)
        return stop(ec);
      obj.pending = pending_value::topic;
    } else {
      // Other members are ignored, as the document decoder ignores them.
      skip_next();
    }
    return true;
  }

  bool on_string_part(string_view s, size_t, error_code&) {
    return append_part(s);
  }

  bool on_string(string_view s, size_t, error_code& ec) {
    if (skip_scalar())
      return true;
    if (frames_.empty())
      return stop(ec);
    auto str = take_text(s);
    auto& obj = frames_.back();
    switch (obj.kind == frame_kind::object ? obj.pending
                                           : pending_value::none) {
    case pending_value::type: {
      if (!type_from_name(str, obj.type) || !streamed(obj.type))
        return stop(ec);
      obj.has_type = true;
      break;
    }
    case pending_value::topic:
      // A string topic only (the document decoder maps others to "").
      topic_.assign(str.data(), str.size());
      has_topic_ = true;
      break;
    case pending_value::data:
      if (!put_text(obj.type, str))
        return stop(ec);
      break;
    default:
      return stop(ec);
    }
    obj.pending = pending_value::none;
    return true;
  }

  bool on_number_part(string_view s, error_code&) { return append_part(s); }

  bool on_int64(int64_t x, string_view, error_code& ec) {
    if (skip_scalar())
      return true;
    part_.clear();
    if (expecting(data::type::count) && x >= 0)
      return put_u64(data::type::count, static_cast<uint64_t>(x));
    if (expecting(data::type::integer))
      return put_u64(data::type::integer, static_cast<uint64_t>(x));
    return stop(ec);
  }

  bool on_uint64(uint64_t x, string_view, error_code& ec) {
    if (skip_scalar())
      return true;
    part_.clear();
    if (expecting(data::type::count))
      return put_u64(data::type::count, x);
    return stop(ec);
  }

  bool on_double(double, string_view s, error_code& ec) {
    if (skip_scalar())
      return true;
    if (!expecting(data::type::real))
      return stop(ec);
    // Converted again, correctly rounded (as `dom_builder::push_real`);
    // out of range goes the document's way.
    auto str = take_text(s);
    double x = 0;
    auto res = std::from_chars(str.data(), str.data() + str.size(), x);
    if (res.ec != std::errc{} || res.ptr != str.data() + str.size())
      return stop(ec);
    return put_u64(data::type::real, bin::pack_real(x));
  }

  bool on_bool(bool x, error_code& ec) {
    if (skip_scalar())
      return true;
    if (!expecting(data::type::boolean))
      return stop(ec);
    frames_.back().pending = pending_value::none;
    bin::write_u8(static_cast<uint8_t>(data::type::boolean), *out_);
    bin::write_u8(x ? 1 : 0, *out_);
    return true;
  }

  bool on_null(error_code& ec) { return skip_scalar() || stop(ec); }

  bool on_comment_part(string_view, error_code&) { return true; }

  bool on_comment(string_view, error_code&) { return true; }

private:
  enum class frame_kind : uint8_t { object, vector };

  /// What the next value of an object is.
  enum class pending_value : uint8_t { none, type, topic, data };

  struct frame {
    frame_kind kind;
    /// object: the message itself.
    bool root = false;
    /// The nesting depth of the value (object) or of its owner (vector),
    /// counted as `converter` counts it.
    size_t depth = 0;
    pending_value pending = pending_value::none;
    bool has_type = false;
    bool has_data = false;
    data::type type = data::type::none;
    /// vector: where its elements start in the output.
    size_t start = 0;
  };

  /// Sets and tables need their values (order, duplicates): they go the
  /// document's way.
  static bool streamed(data::type x) noexcept {
    return x != data::type::set && x != data::type::table;
  }

  /// Writes the value of type `type` whose JSON form is the string `str`.
  bool put_text(data::type type, std::string_view str) {
    switch (type) {
    case data::type::string:
    case data::type::enum_value:
      bin::write_u8(static_cast<uint8_t>(type), *out_);
      bin::write_string(str, *out_);
      return true;
    case data::type::address:
      return put_converted<address>(str);
    case data::type::subnet:
      return put_converted<subnet>(str);
    case data::type::port:
      return put_converted<port>(str);
    case data::type::timestamp:
      return put_converted<timestamp>(str);
    case data::type::timespan:
      return put_converted<timespan>(str);
    default:
      return false;
    }
  }

  /// Parses `str` as `converter::to_text_value` does.
  template <class T>
  bool put_converted(std::string_view str) {
    scratch_.assign(str.data(), str.size());
    T value;
    if (!broker::convert(scratch_, value))
      return false;
    bin::encode(data{value}, *out_);
    return true;
  }

  /// Returns whether the next value is the data of a value of type `x`.
  bool expecting(data::type x) const noexcept {
    if (frames_.empty())
      return false;
    const auto& top = frames_.back();
    return top.kind == frame_kind::object &&
           top.pending == pending_value::data && top.type == x;
  }

  bool put_u64(data::type tag, uint64_t x) {
    frames_.back().pending = pending_value::none;
    bin::write_u8(static_cast<uint8_t>(tag), *out_);
    bin::write_u64(x, *out_);
    return true;
  }

  /// Collects a piece of a key, string or number split across parser
  /// calls (unless it is ignored).
  bool append_part(string_view s) {
    if (!skipping_)
      part_.append(s.data(), s.size());
    return true;
  }

  /// The whole text of a key, string or number whose last part is `s`.
  std::string_view take_text(string_view s) {
    if (part_.empty())
      return {s.data(), s.size()};
    part_.append(s.data(), s.size());
    last_.swap(part_);
    part_.clear();
    return last_;
  }

  /// The next value is ignored.
  void skip_next() {
    skipping_ = true;
    skip_depth_ = 0;
  }

  /// Consumes a scalar that is (part of) an ignored value.
  bool skip_scalar() {
    if (!skipping_)
      return false;
    if (skip_depth_ == 0)
      skipping_ = false;
    part_.clear();
    return true;
  }

  bool skip_begin() {
    if (!skipping_)
      return false;
    ++skip_depth_;
    return true;
  }

  bool skip_end() {
    if (!skipping_)
      return false;
    if (--skip_depth_ == 0)
      skipping_ = false;
    return true;
  }

  /// Not in the streamed subset: `decode_wire` takes the document path.
  static bool stop(error_code& ec) {
    ec = boost::json::error::syntax;
    return false;
  }

  bin::byte_buffer* out_ = nullptr;
  std::vector<frame> frames_;
  size_t skip_depth_ = 0;
  bool skipping_ = false;
  std::string part_;
  std::string last_;
  std::string topic_;
  std::string scratch_;
  bool has_topic_ = false;
  bool done_ = false;
};

// -- relaxed input ------------------------------------------------------------

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

bool is_word_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_';
}

/// Rewrites what upstream's JSON reader accepts beyond strict JSON into
/// strict JSON: the bare tokens `nan`, `inf`, `-inf` become `null` (and
/// `specials` records, for every `null` token in order, what it stands for);
/// inside strings, the escape `\v` and raw control bytes become `\u00XX`.
/// (Upstream rejects `inf` and `-inf`; we accept them so that everything we
/// write reads back.) Returns whether anything changed.
bool relax(std::string_view in, std::string& out,
           std::vector<special_token>& specials) {
  static constexpr char hex_digits[] = "0123456789abcdef";
  out.clear();
  specials.clear();
  out.reserve(in.size() + in.size() / 8);
  bool changed = false;
  size_t i = 0;
  auto escape_control = [&](unsigned char c) {
    out += "\\u00";
    out += hex_digits[c >> 4];
    out += hex_digits[c & 0x0f];
    changed = true;
  };
  while (i < in.size()) {
    auto c = in[i];
    if (c == '"') {
      out += c;
      for (++i; i < in.size(); ++i) {
        c = in[i];
        if (c == '"') {
          out += c;
          ++i;
          break;
        }
        if (c == '\\' && i + 1 < in.size()) {
          if (in[i + 1] == 'v') {
            escape_control('\v');
          } else {
            out += c;
            out += in[i + 1];
          }
          ++i;
        } else if (static_cast<unsigned char>(c) < 0x20) {
          escape_control(static_cast<unsigned char>(c));
        } else {
          out += c;
        }
      }
      continue;
    }
    bool word = is_word_char(c) && !is_digit(c);
    bool minus_word = c == '-' && i + 1 < in.size() &&
                      is_word_char(in[i + 1]) && !is_digit(in[i + 1]);
    if (word || minus_word) {
      auto first = minus_word ? i + 1 : i;
      auto last = first;
      while (last < in.size() && is_word_char(in[last]))
        ++last;
      auto name = in.substr(first, last - first);
      auto special = special_token::none;
      if (!minus_word && name == "nan")
        special = special_token::nan;
      else if (name == "inf")
        special = minus_word ? special_token::neg_inf : special_token::pos_inf;
      if (special != special_token::none) {
        out += "null";
        specials.push_back(special);
        changed = true;
      } else {
        out.append(in.substr(i, last - i));
        if (!minus_word && name == "null")
          specials.push_back(special_token::none);
      }
      i = last;
      continue;
    }
    // Skip over numbers whole, so that their exponent `e` is no word.
    if (is_digit(c)) {
      auto last = i;
      while (last < in.size() && (is_word_char(in[last]) || in[last] == '.' ||
                                  in[last] == '+' || in[last] == '-'))
        ++last;
      out.append(in.substr(i, last - i));
      i = last;
      continue;
    }
    out += c;
    ++i;
  }
  return changed;
}

// -- parse context ------------------------------------------------------------

/// Appends `str` quoted and escaped, cut after `max_quoted_value` bytes.
void append_quoted(std::string_view str, std::string& out) {
  if (str.size() <= max_quoted_value) {
    append_string(str, out);
    return;
  }
  append_string(str.substr(0, max_quoted_value), out);
  out += "...";
}

std::string quoted(std::string_view str) {
  std::string result;
  append_quoted(str, result);
  return result;
}

/// Describes a byte of the input for error messages: `'x'` or `0x01`.
std::string describe_byte(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f && c != '\'')
    return std::string{'\'', c, '\''};
  static constexpr char hex_digits[] = "0123456789abcdef";
  return std::string{"0x"} + hex_digits[u >> 4] + hex_digits[u & 0x0f];
}

/// Per-thread parser state, reused between calls.
class parse_context {
public:
  parse_context() : parser_(make_options()), wire_parser_(make_options()) {}

  /// Transcodes the data-message `input` into `out` while parsing it (see
  /// `wire_builder`). @returns false if the message is not in the streamed
  /// subset or not valid; `out` may then hold part of a value.
  bool stream_wire(std::string_view input, bin::byte_buffer& out, topic& t) {
    if (input.size() >= std::numeric_limits<uint32_t>::max())
      return false;
    wire_parser_.reset();
    wire_parser_.handler().reset(out);
    boost::json::error_code ec;
    auto n = wire_parser_.write_some(false, input.data(), input.size(), ec);
    if (ec || n != input.size() || !wire_parser_.handler().done())
      return false;
    t = topic{wire_parser_.handler().topic_text()};
    return true;
  }

  /// Parses `input` into the node buffer.
  /// @returns `true` on success, otherwise `false` with `reason` set.
  bool parse(std::string_view input, std::string& reason) {
    if (input.size() >= std::numeric_limits<uint32_t>::max()) {
      reason = "input of " + std::to_string(input.size()) +
               " bytes exceeds the maximum of 4 GiB";
      return false;
    }
    size_t offset = 0;
    boost::json::error_code ec;
    if (run(input, nullptr, offset, ec))
      return true;
    // Keep the first error: it refers to the client's text.
    auto first_ec = ec;
    auto first_offset = offset;
    if (ec != boost::json::error::too_deep &&
        relax(input, relaxed_, specials_)) {
      if (run(relaxed_, &specials_, offset, ec))
        return true;
    }
    reason = describe_error(input, first_ec, first_offset);
    return false;
  }

  const std::vector<node>& nodes() const noexcept {
    return parser_.handler().nodes;
  }

  std::string_view text(const node& x) const noexcept {
    // Offsets are in range by construction (no substr check needed).
    const char* base =
        x.in_input ? input_.data() : parser_.handler().text.data();
    return std::string_view{base + x.text_offset, x.text_size};
  }

  /// Returns the value of `key` in the object at `index` (the last one if
  /// the key repeats), or 0 if absent (0 is never a member value).
  uint32_t member(uint32_t index, std::string_view key) const noexcept {
    const auto& xs = nodes();
    uint32_t result = 0;
    for (auto i = index + 1; i < xs[index].end; i = xs[i + 1].end)
      if (text(xs[i]) == key)
        result = i + 1;
    return result;
  }

  /// Scratch string for the model's `convert` functions.
  std::string scratch;

  void trim() {
    parser_.handler().trim();
    wire_parser_.handler().trim();
    if (relaxed_.capacity() > max_retained_text)
      std::string{}.swap(relaxed_);
    if (scratch.capacity() > max_retained_text)
      std::string{}.swap(scratch);
  }

private:
  static boost::json::parse_options make_options() {
    boost::json::parse_options opts;
    opts.max_depth = max_json_depth;
    // Upstream passes bytes through (and so do we when writing strings).
    opts.allow_invalid_utf8 = true;
    return opts;
  }

  bool run(std::string_view input, const std::vector<special_token>* specials,
           size_t& offset, boost::json::error_code& ec) {
    parser_.reset();
    input_ = input;
    parser_.handler().reset(input, specials);
    ec = {};
    offset = parser_.write_some(false, input.data(), input.size(), ec);
    if (ec)
      return false;
    if (offset != input.size()) {
      // A complete value followed by more than whitespace.
      ec = boost::json::error::extra_data;
      return false;
    }
    return true;
  }

  static std::string describe_error(std::string_view input,
                                    boost::json::error_code ec, size_t offset) {
    if (ec == boost::json::error::too_deep)
      return "JSON nesting deeper than " + std::to_string(max_json_depth) +
             " levels";
    std::string result = ec.message();
    if (ec == boost::json::error::incomplete || offset >= input.size()) {
      result += " at end of input (offset ";
      result += std::to_string(input.size());
      result += ')';
      return result;
    }
    result += " at offset ";
    result += std::to_string(offset);
    result += " (";
    result += describe_byte(input[offset]);
    result += ')';
    return result;
  }

  boost::json::basic_parser<dom_builder> parser_;
  boost::json::basic_parser<wire_builder> wire_parser_;
  /// The text of the document parsed last (the caller's or `relaxed_`).
  std::string_view input_;
  std::string relaxed_;
  std::vector<special_token> specials_;
};

/// Returns this thread's parser state. Allocated on the heap: with the
/// object itself thread_local, GCC specializes the parser on its address
/// and recomputes that address (`__tls_get_addr`) on every access.
parse_context& thread_context() {
  thread_local auto ctx = std::make_unique<parse_context>();
  return *ctx;
}

/// Releases oversized buffers when a decode call returns.
class trim_guard {
public:
  explicit trim_guard(parse_context& ctx) : ctx_(ctx) {}

  ~trim_guard() { ctx_.trim(); }

  trim_guard(const trim_guard&) = delete;

  trim_guard& operator=(const trim_guard&) = delete;

private:
  parse_context& ctx_;
};

// -- conversion to data -------------------------------------------------------

/// Looks up a `@data-type` name.
bool type_from_name(std::string_view name, data::type& x) noexcept {
  // Every value of a message names its type: pick the one candidate by
  // length and a distinguishing letter, then compare once.
  using type = data::type;
  type candidate;
  switch (name.size()) {
  case 3:
    candidate = type::set;
    break;
  case 4:
    candidate = name[0] == 'n'   ? type::none
                : name[0] == 'r' ? type::real
                                 : type::port;
    break;
  case 5:
    candidate = name[0] == 'c' ? type::count : type::table;
    break;
  case 6:
    candidate = name[0] == 'v'   ? type::vector
                : name[1] == 't' ? type::string
                                 : type::subnet;
    break;
  case 7:
    candidate = name[0] == 'b'   ? type::boolean
                : name[0] == 'i' ? type::integer
                                 : type::address;
    break;
  case 8:
    candidate = type::timespan;
    break;
  case 9:
    candidate = type::timestamp;
    break;
  case 10:
    candidate = type::enum_value;
    break;
  default:
    return false;
  }
  if (type_names[static_cast<size_t>(candidate)] != name)
    return false;
  x = candidate;
  return true;
}

/// Converts parsed nodes into `data` (spec: §5.4, "accepted on input").
/// Error reasons name the offending value and its place as a JSON pointer
/// (RFC 6901), e.g. "count -1 is outside [0, 18446744073709551615] at
/// /data/2/data".
class converter {
public:
  converter(parse_context& ctx, decode_error& err)
      : ctx_(ctx), nodes_(ctx.nodes()), err_(err) {}

  /// Converts the object at `index` (`{"@data-type":..., "data":...}`).
  bool value(uint32_t index, data& x, size_t depth) {
    data::type type;
    uint32_t data_index = 0;
    if (!header(index, type, data_index))
      return false;
    if (type == data::type::none) {
      // spec: §5.4, `data` of none is ignored.
      x = data{};
      return true;
    }
    path_.push_back(segment::data);
    if (!convert(type, data_index, x, depth))
      return false;
    path_.pop_back();
    return true;
  }

private:
  /// Reads `@data-type` and finds `data` of the object at `index`
  /// (`data_index` stays 0 for none, whose `data` is ignored).
  bool header(uint32_t index, data::type& type, uint32_t& data_index) {
    const auto& obj = nodes_[index];
    if (obj.kind != node_kind::object)
      return fail_kind("value", "object", obj, "");
    // Both members in one pass (the last one if a key repeats).
    uint32_t type_index = 0;
    uint32_t value_index = 0;
    for (auto i = index + 1; i < obj.end; i = nodes_[i + 1].end) {
      auto key = ctx_.text(nodes_[i]);
      if (key == "@data-type")
        type_index = i + 1;
      else if (key == "data")
        value_index = i + 1;
    }
    if (type_index == 0)
      return fail("missing @data-type", "");
    const auto& type_node = nodes_[type_index];
    if (type_node.kind != node_kind::string)
      return fail_kind("@data-type", "string", type_node, "/@data-type");
    auto name = ctx_.text(type_node);
    if (!type_from_name(name, type))
      return fail("unknown @data-type " + quoted(name), "/@data-type");
    if (type == data::type::none)
      return true;
    data_index = value_index;
    if (data_index == 0)
      return fail("missing data for " + std::string{name}, "");
    return true;
  }

  /// Steps of the JSON pointer to the value being converted, kept as
  /// compact codes and rendered only for error messages.
  enum class segment : uint32_t { data, key, value };

  /// The JSON pointer: a stack without allocations. A container level
  /// pushes at most three steps (index, key or value, data), and the
  /// converter descends at most `max_nesting_depth` levels.
  class path_stack {
  public:
    void push_back(segment x) noexcept { steps_[size_++] = x; }

    void pop_back() noexcept { --size_; }

    segment& back() noexcept { return steps_[size_ - 1]; }

    const segment* begin() const noexcept { return steps_.data(); }

    const segment* end() const noexcept { return steps_.data() + size_; }

  private:
    std::array<segment, 3 * (max_nesting_depth + 1) + 1> steps_;
    size_t size_ = 0;
  };

  /// Array index entries are stored as `index + offset`.
  static constexpr uint32_t index_offset = 3;

  bool convert(data::type type, uint32_t index, data& x, size_t depth) {
    const auto& y = nodes_[index];
    switch (type) {
    case data::type::boolean:
      if (y.kind != node_kind::boolean)
        return fail_kind("boolean", "boolean", y);
      x = y.flag;
      return true;
    case data::type::count:
      return to_count(y, x);
    case data::type::integer:
      return to_integer(y, x);
    case data::type::real:
      return to_real(y, x);
    case data::type::string:
      if (y.kind != node_kind::string)
        return fail_kind("string", "string", y);
      x = std::string{ctx_.text(y)};
      return true;
    case data::type::enum_value:
      if (y.kind != node_kind::string)
        return fail_kind("enum-value", "string", y);
      x = enum_value{std::string{ctx_.text(y)}};
      return true;
    case data::type::address:
      return to_text_value<address>("address", y, x);
    case data::type::subnet:
      return to_text_value<subnet>("subnet", y, x);
    case data::type::port:
      return to_text_value<port>("port", y, x);
    case data::type::timestamp:
      return to_text_value<timestamp>("timestamp", y, x);
    case data::type::timespan:
      return to_text_value<timespan>("timespan", y, x);
    case data::type::vector:
    case data::type::set:
    case data::type::table:
      if (y.kind != node_kind::array)
        return fail_kind(type_names[static_cast<size_t>(type)], "array", y);
      if (depth >= max_nesting_depth)
        return fail("nesting deeper than " + std::to_string(max_nesting_depth));
      if (type == data::type::vector)
        return to_vector(index, x, depth + 1);
      if (type == data::type::set)
        return to_set(index, x, depth + 1);
      return to_table(index, x, depth + 1);
    default: // none is handled by the caller
      x = data{};
      return true;
    }
  }

  bool to_count(const node& y, data& x) {
    switch (y.kind) {
    case node_kind::integer:
      if (y.i < 0)
        return fail_range("count", std::to_string(y.i));
      x = static_cast<count>(y.i);
      return true;
    case node_kind::unsigned_integer:
      x = y.u;
      return true;
    case node_kind::real:
      if (y.integral)
        return fail_range("count", ctx_.text(y));
      return fail("count expects an integer, got " + std::string{ctx_.text(y)});
    default:
      return fail_kind("count", "number", y);
    }
  }

  bool to_integer(const node& y, data& x) {
    switch (y.kind) {
    case node_kind::integer:
      x = y.i;
      return true;
    case node_kind::unsigned_integer:
      return fail_range("integer", std::to_string(y.u));
    case node_kind::real:
      if (y.integral)
        return fail_range("integer", ctx_.text(y));
      return fail("integer expects an integer, got " +
                  std::string{ctx_.text(y)});
    default:
      return fail_kind("integer", "number", y);
    }
  }

  bool to_real(const node& y, data& x) {
    switch (y.kind) {
    case node_kind::real:
      if (y.overflow)
        return fail("real " + std::string{ctx_.text(y)} + " is out of range");
      x = y.d;
      return true;
    case node_kind::integer:
      // As upstream: a real needs a fraction or an exponent (spec: §5.4).
      return fail("real expects a number with fraction or exponent, got " +
                  std::to_string(y.i));
    case node_kind::unsigned_integer:
      return fail("real expects a number with fraction or exponent, got " +
                  std::to_string(y.u));
    default:
      return fail_kind("real", "number", y);
    }
  }

  template <class T>
  bool to_text_value(std::string_view type, const node& y, data& x) {
    if (y.kind != node_kind::string)
      return fail_kind(type, "string", y);
    auto str = ctx_.text(y);
    ctx_.scratch.assign(str.data(), str.size());
    T result;
    if (!broker::convert(ctx_.scratch, result))
      return fail(diagnose(result, str));
    x = result;
    return true;
  }

  static std::string diagnose(const address&, std::string_view str) {
    return "invalid address " + quoted(str);
  }

  static std::string diagnose(const subnet&, std::string_view str) {
    auto slash = str.rfind('/');
    if (slash == std::string_view::npos)
      return "subnet " + quoted(str) + " lacks a prefix length";
    auto addr_str = str.substr(0, slash);
    auto len_str = str.substr(slash + 1);
    address addr;
    std::string tmp{addr_str};
    if (!broker::convert(tmp, addr))
      return "invalid address " + quoted(addr_str) + " in subnet " +
             quoted(str);
    unsigned len = 0;
    auto res =
        std::from_chars(len_str.data(), len_str.data() + len_str.size(), len);
    if (len_str.empty() || res.ptr != len_str.data() + len_str.size() ||
        len_str.front() == '+' || len_str.front() == '-')
      return "invalid prefix length " + quoted(len_str) + " in subnet " +
             quoted(str);
    if (addr.is_v4())
      return "subnet prefix length " + std::string{len_str} +
             " exceeds 32 for IPv4 " + std::string{addr_str};
    return "subnet prefix length " + std::string{len_str} +
           " exceeds 128 for IPv6 " + std::string{addr_str};
  }

  static std::string diagnose(const port&, std::string_view str) {
    auto number = str.substr(0, str.find('/'));
    bool digits = !number.empty() &&
                  std::all_of(number.begin(), number.end(),
                              [](char c) { return c >= '0' && c <= '9'; });
    if (digits && number.size() <= max_quoted_value)
      return "port number " + std::string{number} + " exceeds 65535";
    return "invalid port " + quoted(str) +
           " (expected <number> or <number>/<protocol>)";
  }

  static std::string diagnose(const timestamp&, std::string_view str) {
    return "invalid or out-of-range timestamp " + quoted(str) +
           " (expected YYYY-MM-DDThh:mm:ss[.fraction][Z|+hh:mm|-hh:mm])";
  }

  static std::string diagnose(const timespan&, std::string_view str) {
    return "invalid or out-of-range timespan " + quoted(str) +
           " (expected <number><unit>, unit one of ns, us, ms, s, min, h, d)";
  }

  bool to_vector(uint32_t index, data& x, size_t depth) {
    vector result;
    result.reserve(nodes_[index].size);
    uint32_t pos = 0;
    for (auto i = index + 1; i < nodes_[index].end; i = nodes_[i].end) {
      path_.push_back(static_cast<segment>(pos++ + index_offset));
      if (!value(i, result.emplace_back(), depth))
        return false;
      path_.pop_back();
    }
    x = std::move(result);
    return true;
  }

  bool to_set(uint32_t index, data& x, size_t depth) {
    set result;
    uint32_t pos = 0;
    for (auto i = index + 1; i < nodes_[index].end; i = nodes_[i].end) {
      path_.push_back(static_cast<segment>(pos++ + index_offset));
      data element;
      if (!value(i, element, depth))
        return false;
      // Our own output is sorted: the hint makes that linear.
      auto before = result.size();
      result.emplace_hint(result.end(), std::move(element));
      if (result.size() == before)
        return fail_internal("duplicate set element");
      path_.pop_back();
    }
    x = std::move(result);
    return true;
  }

  bool to_table(uint32_t index, data& x, size_t depth) {
    table result;
    uint32_t pos = 0;
    for (auto i = index + 1; i < nodes_[index].end; i = nodes_[i].end) {
      path_.push_back(static_cast<segment>(pos++ + index_offset));
      const auto& entry = nodes_[i];
      if (entry.kind != node_kind::object)
        return fail_kind("table entry", "object", entry, "");
      auto key_index = ctx_.member(i, "key");
      auto value_index = ctx_.member(i, "value");
      if (key_index == 0)
        return fail("table entry lacks a key", "");
      if (value_index == 0)
        return fail("table entry lacks a value", "");
      data key;
      path_.push_back(segment::key);
      if (!value(key_index, key, depth))
        return false;
      path_.back() = segment::value;
      data val;
      if (!value(value_index, val, depth))
        return false;
      path_.pop_back();
      auto before = result.size();
      result.emplace_hint(result.end(), std::move(key), std::move(val));
      if (result.size() == before)
        return fail_internal("duplicate table key");
      path_.pop_back();
    }
    x = std::move(result);
    return true;
  }

  /// Renders the current path as a JSON pointer, plus `suffix`.
  std::string pointer(std::string_view suffix) const {
    std::string result;
    for (auto step : path_) {
      switch (step) {
      case segment::data:
        result += "/data";
        break;
      case segment::key:
        result += "/key";
        break;
      case segment::value:
        result += "/value";
        break;
      default:
        result += '/';
        result += std::to_string(static_cast<uint32_t>(step) - index_offset);
      }
    }
    result += suffix;
    if (result.empty())
      result = "/";
    return result;
  }

  bool fail(std::string what, std::string_view suffix = {}) {
    err_.kind = decode_errc::invalid_data;
    err_.code = ec::deserialization_failed;
    err_.reason = std::move(what);
    err_.reason += " at ";
    err_.reason += pointer(suffix);
    return false;
  }

  bool fail_kind(std::string_view type, std::string_view expected,
                 const node& y, std::string_view suffix = {}) {
    std::string what{type};
    what += " must be a JSON ";
    what += expected;
    what += ", got ";
    what += kind_name(y.kind);
    return fail(std::move(what), suffix);
  }

  bool fail_range(std::string_view type, std::string_view text) {
    std::string what{type};
    what += ' ';
    what += text;
    what += type == "count" ? " is outside [0, 18446744073709551615]"
                            : " is outside [-9223372036854775808, "
                              "9223372036854775807]";
    return fail(std::move(what));
  }

  bool fail_internal(std::string what) {
    fail(std::move(what), "");
    err_.kind = decode_errc::internal_error;
    return false;
  }

  parse_context& ctx_;
  const std::vector<node>& nodes_;
  decode_error& err_;
  path_stack path_;
};

/// Returns the topic of the parsed data-message. spec: §5.3: `type` is not
/// checked; a missing topic is the empty topic (and so is a topic that is no
/// string, as upstream's vectors show).
topic message_topic(const parse_context& ctx) {
  auto topic_index = ctx.member(0, "topic");
  if (topic_index != 0 && ctx.nodes()[topic_index].kind == node_kind::string)
    return topic{ctx.text(ctx.nodes()[topic_index])};
  return topic{};
}

/// Parses `text` and checks that it is an object.
bool parse_object(parse_context& ctx, std::string_view text,
                  decode_error& err) {
  if (!ctx.parse(text, err.reason)) {
    err.kind = decode_errc::malformed_json;
    err.code = ec::deserialization_failed;
    return false;
  }
  const auto& root = ctx.nodes().front();
  if (root.kind != node_kind::object) {
    err.kind = decode_errc::not_an_object;
    err.code = ec::deserialization_failed;
    err.reason = "expected a JSON object, got ";
    err.reason += kind_name(root.kind);
    return false;
  }
  return true;
}

} // namespace

// -- encoding -----------------------------------------------------------------

std::string_view type_name(data::type x) noexcept {
  auto index = static_cast<size_t>(x);
  return index < num_types ? type_names[index] : std::string_view{};
}

void append_string(std::string_view str, std::string& out) {
  out.reserve(out.size() + str.size() + 2);
  out += '"';
  auto run = str.data();
  auto end = str.data() + str.size();
  for (auto p = run; p != end; ++p) {
    auto c = static_cast<unsigned char>(*p);
    if (!needs_escape(c))
      continue;
    out.append(run, p);
    run = p + 1;
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default: {
      // DESIGN.md §6: valid escapes (upstream writes `\v` and raw bytes).
      static constexpr char hex_digits[] = "0123456789abcdef";
      out += "\\u00";
      out += hex_digits[c >> 4];
      out += hex_digits[c & 0x0f];
    }
    }
  }
  out.append(run, end);
  out += '"';
}

void encode(const topic& t, const data& x, std::string& out) {
  // spec: §5.3, keys in exactly this order.
  out += "{\"type\":\"data-message\",\"topic\":";
  append_string(t.string(), out);
  out += ',';
  append_typed_value(x, out);
  out += '}';
}

void encode_value(const data& x, std::string& out) {
  out += '{';
  append_typed_value(x, out);
  out += '}';
}

bool encode_wire(const topic& t, const uint8_t* bytes, size_t size,
                 std::string& out) {
  auto old_size = out.size();
  out += "{\"type\":\"data-message\",\"topic\":";
  append_string(t.string(), out);
  out += ',';
  bin::reader src{bin::byte_span{bytes, size}};
  if (!append_typed_wire_value(src, out) || !src.at_end()) {
    out.resize(old_size);
    return false;
  }
  out += '}';
  return true;
}

std::string make_ack(const endpoint_id& id, std::string_view version) {
  // spec: §5.2
  std::string id_str;
  convert(id, id_str);
  std::string result = "{\"type\":\"ack\",\"endpoint\":\"";
  result += id_str;
  result += "\",\"version\":";
  append_string(version, result);
  result += '}';
  return result;
}

std::string make_error(ec code, std::string_view context) {
  // spec: §5.3
  std::string result = "{\"type\":\"error\",\"code\":\"";
  result += broker::enum_str(code);
  result += "\",\"context\":";
  append_string(context, result);
  result += '}';
  return result;
}

// -- decoding -----------------------------------------------------------------

std::string_view enum_str(decode_errc x) noexcept {
  switch (x) {
  case decode_errc::malformed_json:
    return "malformed_json";
  case decode_errc::not_an_object:
    return "not_an_object";
  case decode_errc::invalid_data:
    return "invalid_data";
  case decode_errc::internal_error:
    return "internal_error";
  }
  return "invalid";
}

bool decode(std::string_view text, topic& t, data& x, decode_error& err) {
  auto& ctx = thread_context();
  trim_guard guard{ctx};
  if (!parse_object(ctx, text, err))
    return false;
  t = message_topic(ctx);
  return converter{ctx, err}.value(0, x, 0);
}

bool decode_wire(std::string_view text, topic& t, std::vector<uint8_t>& out,
                 decode_error& err) {
  auto old_size = out.size();
  {
    // The common case in one pass.
    auto& ctx = thread_context();
    trim_guard guard{ctx};
    if (ctx.stream_wire(text, out, t))
      return true;
  }
  out.resize(old_size);
  // The rest (and every error) as `decode` does it.
  data x;
  if (!decode(text, t, x, err))
    return false;
  bin::encode(x, out);
  return true;
}

bool decode_value(std::string_view text, data& x, decode_error& err) {
  auto& ctx = thread_context();
  trim_guard guard{ctx};
  if (!parse_object(ctx, text, err))
    return false;
  return converter{ctx, err}.value(0, x, 0);
}

bool decode_filter(std::string_view text, filter_type& out,
                   std::string& reason) {
  auto& ctx = thread_context();
  trim_guard guard{ctx};
  out.clear();
  if (!ctx.parse(text, reason)) {
    reason.insert(0, "malformed JSON: ");
    return false;
  }
  const auto& xs = ctx.nodes();
  if (xs[0].kind != node_kind::array) {
    reason = "expected a JSON array of strings, got ";
    reason += kind_name(xs[0].kind);
    return false;
  }
  size_t pos = 0;
  for (uint32_t i = 1; i < xs[0].end; i = xs[i].end, ++pos) {
    if (xs[i].kind != node_kind::string) {
      reason = "element " + std::to_string(pos) + " is a JSON ";
      reason += kind_name(xs[i].kind);
      reason += ", expected a string";
      out.clear();
      return false;
    }
    filter_extend(out, topic{ctx.text(xs[i])});
  }
  return true;
}

} // namespace broker::format::json::v1
