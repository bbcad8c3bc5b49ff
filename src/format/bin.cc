#include "format/bin.hh"

#include <algorithm>
#include <cmath>
#include <limits>

namespace broker::format::bin::v1 {

namespace {

// -- constants ----------------------------------------------------------------

/// Wire tags equal the alternative indexes of `data` (spec:
/// upstream-broker.md §4.6).
using tag = data::type;

constexpr uint8_t max_tag = static_cast<uint8_t>(tag::vector);

/// Largest port protocol value (icmp, spec: §4.6).
constexpr uint8_t max_port_protocol =
    static_cast<uint8_t>(port::protocol::icmp);

/// Bytes of an address body.
constexpr size_t address_size = std::tuple_size_v<address::byte_array>;

// CAF's pack754 patterns for non-finite values (spec: §4.2).
constexpr uint64_t nan_bits = 0xffff'ffff'ffff'ffffull;
constexpr uint64_t pos_inf_bits = 0xfff0'0000'0000'0000ull;
constexpr uint64_t neg_inf_bits = 0x7ff0'0000'0000'0000ull;

/// All exponent bits set: infinities and NaNs in IEEE-754 binary64.
constexpr uint64_t exponent_mask = 0x7ff0'0000'0000'0000ull;
constexpr uint64_t mantissa_mask = 0x000f'ffff'ffff'ffffull;
constexpr uint64_t sign_mask = 0x8000'0000'0000'0000ull;

/// Upper bound for the initial `reserve` of a decoded vector. A count is
/// only a claim; beyond this, the vector grows with the elements actually
/// decoded, so that a lying count costs no memory.
constexpr size_t max_initial_reserve = 1024;

/// Smallest encoding of a table entry: two one-byte values (two `none`s).
constexpr size_t min_table_entry_size = 2;

// Prefixes of all data decoding errors (upstream's texts).
constexpr std::string_view parse_failure = "failed to parse data";
constexpr std::string_view null_data_failure = "cannot parse null data";

// -- encoding -----------------------------------------------------------------

/// Appends `n` bytes to `out` and returns where they start.
uint8_t* grow(byte_buffer& out, size_t n) {
  auto old_size = out.size();
  out.resize(old_size + n);
  return out.data() + old_size;
}

void store_u64(uint64_t x, uint8_t* dst) noexcept {
  for (int i = 0; i < 8; ++i)
    dst[i] = static_cast<uint8_t>(x >> (56 - 8 * i));
}

/// Writes tag + 8-byte big-endian body in one step.
void write_tagged_u64(tag t, uint64_t x, byte_buffer& out) {
  auto dst = grow(out, 9);
  dst[0] = static_cast<uint8_t>(t);
  store_u64(x, dst + 1);
}

/// Writes the container size. @pre `n < 2^32` (spec: §4.2, varbytes carry
/// 32 bits).
void write_size(size_t n, byte_buffer& out) {
  write_varbyte(static_cast<uint32_t>(n), out);
}

void encode_value(const data& x, byte_buffer& out);

struct encode_visitor {
  byte_buffer& out;

  void operator()(none) const {
    write_u8(static_cast<uint8_t>(tag::none), out);
  }

  void operator()(boolean x) const {
    auto dst = grow(out, 2);
    dst[0] = static_cast<uint8_t>(tag::boolean);
    dst[1] = x ? 1 : 0;
  }

  void operator()(count x) const { write_tagged_u64(tag::count, x, out); }

  void operator()(integer x) const {
    write_tagged_u64(tag::integer, static_cast<uint64_t>(x), out);
  }

  void operator()(real x) const {
    write_tagged_u64(tag::real, pack_real(x), out);
  }

  void operator()(const std::string& x) const {
    write_u8(static_cast<uint8_t>(tag::string), out);
    write_string(x, out);
  }

  void operator()(const address& x) const {
    auto dst = grow(out, 1 + address_size);
    dst[0] = static_cast<uint8_t>(tag::address);
    std::copy(x.bytes().begin(), x.bytes().end(), dst + 1);
  }

  void operator()(const subnet& x) const {
    auto dst = grow(out, 1 + address_size + 1);
    dst[0] = static_cast<uint8_t>(tag::subnet);
    const auto& bytes = x.network().bytes();
    std::copy(bytes.begin(), bytes.end(), dst + 1);
    dst[1 + address_size] = x.raw_len();
  }

  void operator()(port x) const {
    auto dst = grow(out, 4);
    dst[0] = static_cast<uint8_t>(tag::port);
    dst[1] = static_cast<uint8_t>(x.number() >> 8);
    dst[2] = static_cast<uint8_t>(x.number());
    dst[3] = static_cast<uint8_t>(x.type());
  }

  void operator()(timestamp x) const {
    write_tagged_u64(tag::timestamp,
                     static_cast<uint64_t>(x.time_since_epoch().count()), out);
  }

  void operator()(timespan x) const {
    write_tagged_u64(tag::timespan, static_cast<uint64_t>(x.count()), out);
  }

  void operator()(const enum_value& x) const {
    write_u8(static_cast<uint8_t>(tag::enum_value), out);
    write_string(x.name, out);
  }

  // Sets and tables iterate in Broker's total order, which is the order
  // upstream writes (spec: §4.6).
  void operator()(const set& xs) const {
    write_u8(static_cast<uint8_t>(tag::set), out);
    write_size(xs.size(), out);
    for (const auto& x : xs)
      encode_value(x, out);
  }

  void operator()(const table& xs) const {
    write_u8(static_cast<uint8_t>(tag::table), out);
    write_size(xs.size(), out);
    for (const auto& [key, value] : xs) {
      encode_value(key, out);
      encode_value(value, out);
    }
  }

  void operator()(const vector& xs) const {
    write_u8(static_cast<uint8_t>(tag::vector), out);
    write_size(xs.size(), out);
    for (const auto& x : xs)
      encode_value(x, out);
  }
};

void encode_value(const data& x, byte_buffer& out) {
  std::visit(encode_visitor{out}, x.get_data());
}

// -- decoding -----------------------------------------------------------------

/// Decodes values from one reader; every failure fills in `err` with a
/// reason of the form "failed to parse data: <what> at offset <n>".
class decoder {
public:
  decoder(reader& src, decode_error& err) : src_(src), err_(err) {}

  /// Decodes tag + body into `x`; `depth` counts the enclosing containers.
  bool value(data& x, size_t depth) {
    auto tag_offset = src_.offset();
    uint8_t raw_tag = 0;
    if (!src_.read_u8(raw_tag))
      return fail_end("type tag");
    if (raw_tag > max_tag)
      return fail(tag_offset,
                  "invalid type tag " + std::to_string(unsigned{raw_tag}));
    auto& v = x.get_data();
    switch (static_cast<tag>(raw_tag)) {
    case tag::none:
      v.emplace<none>();
      return true;
    case tag::boolean: {
      uint8_t byte = 0;
      if (!src_.read_u8(byte))
        return fail_end("boolean");
      // spec: §4.2: any non-zero byte is true.
      v.emplace<boolean>(byte != 0);
      return true;
    }
    case tag::count:
      return u64_body<count>(v, "count", [](uint64_t bits) { return bits; });
    case tag::integer:
      return u64_body<integer>(v, "integer", [](uint64_t bits) {
        return static_cast<integer>(bits);
      });
    case tag::real:
      return u64_body<real>(v, "real", unpack_real);
    case tag::string:
      return string(v.emplace<std::string>(), "string");
    case tag::address:
      return address_bytes(v.emplace<address>().bytes(), "address");
    case tag::subnet: {
      address net;
      uint8_t raw_length = 0;
      if (!address_bytes(net.bytes(), "subnet"))
        return false;
      if (!src_.read_u8(raw_length))
        return fail_end("subnet length");
      // As upstream, the raw length is not validated (spec: §4.6).
      v.emplace<subnet>(subnet::unchecked(net, raw_length));
      return true;
    }
    case tag::port: {
      uint16_t number = 0;
      if (!src_.read_u16(number))
        return fail_end("port number");
      auto proto_offset = src_.offset();
      uint8_t proto = 0;
      if (!src_.read_u8(proto))
        return fail_end("port protocol");
      if (proto > max_port_protocol)
        return fail(proto_offset,
                    "invalid port protocol " + std::to_string(unsigned{proto}));
      v.emplace<port>(number, static_cast<port::protocol>(proto));
      return true;
    }
    case tag::timestamp:
      return u64_body<timestamp>(v, "timestamp", [](uint64_t bits) {
        return timestamp{timespan{static_cast<int64_t>(bits)}};
      });
    case tag::timespan:
      return u64_body<timespan>(v, "timespan", [](uint64_t bits) {
        return timespan{static_cast<int64_t>(bits)};
      });
    case tag::enum_value:
      return string(v.emplace<enum_value>().name, "enum_value");
    case tag::set:
      return set_body(v.emplace<set>(), tag_offset, depth);
    case tag::table:
      return table_body(v.emplace<table>(), tag_offset, depth);
    case tag::vector:
      return vector_body(v.emplace<vector>(), tag_offset, depth);
    }
    return fail(tag_offset, "unreachable");
  }

  /// Checks tag + body exactly as `value` does (same failures, same
  /// reasons) without building anything, except sets and tables, whose
  /// elements must be compared to find duplicates.
  bool skip(size_t depth) {
    auto tag_offset = src_.offset();
    uint8_t raw_tag = 0;
    if (!src_.read_u8(raw_tag))
      return fail_end("type tag");
    if (raw_tag > max_tag)
      return fail(tag_offset,
                  "invalid type tag " + std::to_string(unsigned{raw_tag}));
    switch (static_cast<tag>(raw_tag)) {
    case tag::none:
      return true;
    case tag::boolean:
      return skip_bytes(1, "boolean");
    case tag::count:
      return skip_bytes(8, "count");
    case tag::integer:
      return skip_bytes(8, "integer");
    case tag::real:
      return skip_bytes(8, "real");
    case tag::timestamp:
      return skip_bytes(8, "timestamp");
    case tag::timespan:
      return skip_bytes(8, "timespan");
    case tag::string:
      return skip_string("string");
    case tag::enum_value:
      return skip_string("enum_value");
    case tag::address:
      return skip_bytes(address_size, "address");
    case tag::subnet:
      return skip_bytes(address_size, "subnet") &&
             skip_bytes(1, "subnet length");
    case tag::port: {
      if (!skip_bytes(2, "port number"))
        return false;
      auto proto_offset = src_.offset();
      uint8_t proto = 0;
      if (!src_.read_u8(proto))
        return fail_end("port protocol");
      if (proto > max_port_protocol)
        return fail(proto_offset,
                    "invalid port protocol " + std::to_string(unsigned{proto}));
      return true;
    }
    case tag::set: {
      set xs;
      return set_body(xs, tag_offset, depth);
    }
    case tag::table: {
      table xs;
      return table_body(xs, tag_offset, depth);
    }
    case tag::vector: {
      uint32_t n = 0;
      if (!container_header(tag_offset, depth, n, 1))
        return false;
      for (uint32_t i = 0; i < n; ++i)
        if (!skip(depth + 1))
          return false;
      return true;
    }
    }
    return fail(tag_offset, "unreachable");
  }

  bool fail(size_t offset, const std::string& what) {
    err_.code = ec::deserialization_failed;
    err_.reason = std::string{parse_failure};
    err_.reason += ": ";
    err_.reason += what;
    err_.reason += " at offset ";
    err_.reason += std::to_string(offset);
    return false;
  }

private:
  /// Reads the 8-byte body of a `T` and stores `convert(bits)` into `v`.
  template <class T, class Convert>
  bool u64_body(data::variant_type& v, const char* what, Convert convert) {
    uint64_t bits = 0;
    if (!src_.read_u64(bits))
      return fail_end(what);
    v.emplace<T>(convert(bits));
    return true;
  }

  /// Skips `n` bytes of a fixed-size body.
  bool skip_bytes(size_t n, const char* what) {
    byte_span ignored;
    if (!src_.read_bytes(n, ignored))
      return fail_end(what);
    return true;
  }

  /// Skips varbyte length + bytes, with `string`'s checks.
  bool skip_string(const char* what) {
    uint32_t len = 0;
    if (!size(len, what))
      return false;
    if (len > src_.remaining())
      return fail_oversized(std::string{what} + " length", len);
    return skip_bytes(len, what);
  }

  /// Reports that the input ended inside `what`.
  bool fail_end(const char* what) {
    return fail(src_.offset(),
                std::string{"unexpected end of input reading "} + what);
  }

  /// Reads a varbyte size, telling truncation apart from a malformed
  /// varbyte (more than `max_varbyte_size` bytes or above 2^32 - 1).
  bool size(uint32_t& n, const char* what) {
    if (src_.read_varbyte(n))
      return true;
    auto limit = std::min(src_.remaining(), max_varbyte_size);
    auto pos = src_.position();
    bool all_continue = std::all_of(pos, pos + limit,
                                    [](uint8_t b) { return (b & 0x80) != 0; });
    if (all_continue && limit < max_varbyte_size)
      return fail_end(what);
    return fail(src_.offset(), std::string{"invalid varbyte in "} + what);
  }

  /// Reports a size field that claims more than the remaining input.
  bool fail_oversized(const std::string& what, uint32_t claimed) {
    return fail(src_.offset(), what + " " + std::to_string(claimed) +
                                   " exceeds remaining " +
                                   std::to_string(src_.remaining()) + " bytes");
  }

  /// Reads varbyte length + bytes; `what` names the value ("string").
  bool string(std::string& x, const char* what) {
    uint32_t len = 0;
    if (!size(len, what))
      return false;
    if (len > src_.remaining())
      return fail_oversized(std::string{what} + " length", len);
    byte_span bytes;
    if (!src_.read_bytes(len, bytes))
      return fail_end(what);
    x.assign(reinterpret_cast<const char*>(bytes.data), bytes.size);
    return true;
  }

  bool address_bytes(address::byte_array& x, const char* what) {
    byte_span bytes;
    if (!src_.read_bytes(address_size, bytes))
      return fail_end(what);
    std::copy(bytes.begin(), bytes.end(), x.begin());
    return true;
  }

  /// Reads the element count of a container and checks the nesting depth.
  bool container_header(size_t tag_offset, size_t depth, uint32_t& n,
                        size_t min_element_size) {
    if (depth >= max_nesting_depth)
      return fail(tag_offset,
                  "nesting deeper than " + std::to_string(max_nesting_depth));
    if (!size(n, "container size"))
      return false;
    // Each element needs at least `min_element_size` bytes: a larger count
    // is an error before anything is allocated for it.
    if (uint64_t{n} * min_element_size > src_.remaining())
      return fail_oversized("container size", n);
    return true;
  }

  bool set_body(set& xs, size_t tag_offset, size_t depth) {
    uint32_t n = 0;
    if (!container_header(tag_offset, depth, n, 1))
      return false;
    for (uint32_t i = 0; i < n; ++i) {
      auto element_offset = src_.offset();
      data x;
      if (!value(x, depth + 1))
        return false;
      // Upstream writes sets sorted: append in O(1) then. Other orders are
      // accepted as upstream does (spec: §4.6).
      if (xs.empty() || *xs.rbegin() < x)
        xs.emplace_hint(xs.end(), std::move(x));
      else if (!xs.insert(std::move(x)).second)
        return fail(element_offset, "duplicate set element");
    }
    return true;
  }

  bool table_body(table& xs, size_t tag_offset, size_t depth) {
    uint32_t n = 0;
    if (!container_header(tag_offset, depth, n, min_table_entry_size))
      return false;
    for (uint32_t i = 0; i < n; ++i) {
      auto key_offset = src_.offset();
      data key;
      if (!value(key, depth + 1))
        return false;
      bool in_order = xs.empty() || xs.rbegin()->first < key;
      if (!in_order && xs.count(key) != 0)
        return fail(key_offset, "duplicate table key");
      data val;
      if (!value(val, depth + 1))
        return false;
      xs.emplace_hint(in_order ? xs.end() : xs.lower_bound(key), std::move(key),
                      std::move(val));
    }
    return true;
  }

  bool vector_body(vector& xs, size_t tag_offset, size_t depth) {
    uint32_t n = 0;
    if (!container_header(tag_offset, depth, n, 1))
      return false;
    xs.reserve(std::min(size_t{n}, max_initial_reserve));
    for (uint32_t i = 0; i < n; ++i)
      if (!value(xs.emplace_back(), depth + 1))
        return false;
    return true;
  }

  reader& src_;
  decode_error& err_;
};

} // namespace

uint64_t pack_real(double x) noexcept {
  // spec: §4.2: CAF's pack754; subnormals as plain IEEE (DESIGN.md §6).
  if (std::isnan(x))
    return nan_bits;
  if (std::isinf(x))
    return x > 0 ? pos_inf_bits : neg_inf_bits;
  uint64_t bits = 0;
  std::memcpy(&bits, &x, sizeof(bits));
  return bits;
}

double unpack_real(uint64_t bits) noexcept {
  if ((bits & exponent_mask) == exponent_mask) {
    if ((bits & mantissa_mask) != 0)
      return std::numeric_limits<double>::quiet_NaN(); // DESIGN.md §6
    // CAF's swapped signs: `fff0...` is +inf, `7ff0...` is -inf.
    constexpr auto inf = std::numeric_limits<double>::infinity();
    return (bits & sign_mask) != 0 ? inf : -inf;
  }
  double result = 0;
  std::memcpy(&result, &bits, sizeof(result));
  return result;
}

void encode(const data& x, byte_buffer& out) {
  encode_value(x, out);
}

byte_buffer encode(const data& x) {
  byte_buffer result;
  encode_value(x, result);
  return result;
}

bool decode(byte_span input, data& x, decode_error& err) {
  if (input.empty()) {
    err.code = ec::deserialization_failed;
    err.reason = std::string{null_data_failure} + ": empty input at offset 0";
    return false;
  }
  reader src{input};
  data result;
  decoder dec{src, err};
  if (!dec.value(result, 0))
    return false;
  if (!src.at_end())
    return dec.fail(src.offset(),
                    std::to_string(src.remaining()) + " trailing bytes");
  x = std::move(result);
  return true;
}

bool validate(byte_span input, decode_error& err) {
  if (input.empty()) {
    err.code = ec::deserialization_failed;
    err.reason = std::string{null_data_failure} + ": empty input at offset 0";
    return false;
  }
  reader src{input};
  decoder dec{src, err};
  if (!dec.skip(0))
    return false;
  if (!src.at_end())
    return dec.fail(src.offset(),
                    std::to_string(src.remaining()) + " trailing bytes");
  return true;
}

bool decode_value(reader& src, data& x, decode_error& err) {
  data result;
  decoder dec{src, err};
  if (!dec.value(result, 0))
    return false;
  x = std::move(result);
  return true;
}

} // namespace broker::format::bin::v1
