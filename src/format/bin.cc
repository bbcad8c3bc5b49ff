#include "format/bin.hh"

#include <algorithm>
#include <cassert>
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

/// Starts one of the codec's hot loops on a 64-byte boundary. Their speed
/// depends on where the linker happens to place them: on bench/codec.cc the
/// encoder took 70 or 103 ns per event with the same instructions (callgrind)
/// when an unrelated change moved it by 16 bytes.
#define BROKER_HOT_CODE __attribute__((aligned(64)))

/// Appends to a byte buffer through a plain pointer. The buffer grows in
/// steps of at least `min_step` bytes (zero-filled by `resize`) and is cut
/// back to what was written by `finish`.
class buffer_writer {
public:
  explicit buffer_writer(byte_buffer& out) noexcept
      : out_(out), pos_(out.size()) {}

  /// Returns room for `n` bytes and counts them as written.
  uint8_t* room(size_t n) {
    if (out_.size() - pos_ < n)
      out_.resize(pos_ + std::max(n, min_step));
    auto result = out_.data() + pos_;
    pos_ += n;
    return result;
  }

  void put_u8(uint8_t x) { *room(1) = x; }

  /// Writes a tag and an 8-byte big-endian body.
  void put_tagged_u64(tag t, uint64_t x) {
    auto p = room(9);
    p[0] = static_cast<uint8_t>(t);
    store_u64(x, p + 1);
  }

  /// Writes a tag and a varbyte size. @pre `n < 2^32` (spec: §4.2,
  /// varbytes carry 32 bits).
  void put_tagged_size(tag t, size_t n) {
    auto p = room(1 + max_varbyte_size);
    *p = static_cast<uint8_t>(t);
    auto end = store_varbyte(static_cast<uint32_t>(n), p + 1);
    // Give back what the varbyte did not use.
    pos_ = static_cast<size_t>(end - out_.data());
  }

  void put_tagged_string(tag t, std::string_view x) {
    put_tagged_size(t, x.size());
    if (!x.empty())
      std::memcpy(room(x.size()), x.data(), x.size());
  }

  void put_address(const address& x) {
    std::memcpy(room(address_size), x.bytes().data(), address_size);
  }

  /// Cuts the buffer back to the bytes written.
  void finish() { out_.resize(pos_); }

private:
  /// Growing by less would zero-fill and grow again for every few values.
  static constexpr size_t min_step = 256;

  byte_buffer& out_;
  size_t pos_;
};

/// Writes tag + body of `x` (spec: §4.6). One pass, one `switch` per value.
BROKER_HOT_CODE void write_value(const data& x, buffer_writer& out) {
  const auto& v = x.get_data();
  switch (x.get_type()) {
  case tag::none:
    out.put_u8(static_cast<uint8_t>(tag::none));
    return;
  case tag::boolean: {
    auto p = out.room(2);
    p[0] = static_cast<uint8_t>(tag::boolean);
    p[1] = *std::get_if<boolean>(&v) ? 1 : 0;
    return;
  }
  case tag::count:
    out.put_tagged_u64(tag::count, *std::get_if<count>(&v));
    return;
  case tag::integer:
    out.put_tagged_u64(tag::integer,
                       static_cast<uint64_t>(*std::get_if<integer>(&v)));
    return;
  case tag::real:
    out.put_tagged_u64(tag::real, pack_real(*std::get_if<real>(&v)));
    return;
  case tag::string:
    out.put_tagged_string(tag::string, *std::get_if<std::string>(&v));
    return;
  case tag::address:
    out.put_u8(static_cast<uint8_t>(tag::address));
    out.put_address(*std::get_if<address>(&v));
    return;
  case tag::subnet: {
    const auto& net = *std::get_if<subnet>(&v);
    out.put_u8(static_cast<uint8_t>(tag::subnet));
    out.put_address(net.network());
    out.put_u8(net.raw_len());
    return;
  }
  case tag::port: {
    const auto& p = *std::get_if<port>(&v);
    auto dst = out.room(4);
    dst[0] = static_cast<uint8_t>(tag::port);
    store_u16(p.number(), dst + 1);
    dst[3] = static_cast<uint8_t>(p.type());
    return;
  }
  case tag::timestamp:
    out.put_tagged_u64(
        tag::timestamp,
        static_cast<uint64_t>(
            std::get_if<timestamp>(&v)->time_since_epoch().count()));
    return;
  case tag::timespan:
    out.put_tagged_u64(tag::timespan, static_cast<uint64_t>(
                                          std::get_if<timespan>(&v)->count()));
    return;
  case tag::enum_value:
    out.put_tagged_string(tag::enum_value, std::get_if<enum_value>(&v)->name);
    return;
  // Sets and tables iterate in Broker's total order, which is the order
  // upstream writes (spec: §4.6).
  case tag::set: {
    const auto& xs = *std::get_if<set>(&v);
    out.put_tagged_size(tag::set, xs.size());
    for (const auto& element : xs)
      write_value(element, out);
    return;
  }
  case tag::table: {
    const auto& xs = *std::get_if<table>(&v);
    out.put_tagged_size(tag::table, xs.size());
    for (const auto& [key, value] : xs) {
      write_value(key, out);
      write_value(value, out);
    }
    return;
  }
  case tag::vector: {
    const auto& xs = *std::get_if<vector>(&v);
    out.put_tagged_size(tag::vector, xs.size());
    for (const auto& element : xs)
      write_value(element, out);
    return;
  }
  }
}

void encode_value(const data& x, byte_buffer& out) {
  buffer_writer writer{out};
  write_value(x, writer);
  writer.finish();
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

// -- fast paths ---------------------------------------------------------------

// `decode` and `validate` first try these lean versions: no error texts, no
// offsets, and (for validation) no recursion. They decide only successes.
// On any failure the input goes to the reference `decoder` above, which
// gives the verdict and the exact reason, so error reporting is unchanged;
// a fast path must therefore never accept what the reference rejects
// (tests/format/bin.test.cc and fuzz/bin_decode.cc check both paths on every
// input). Sets and tables, whose duplicate checks need the elements
// decoded, are handed to the reference decoder value by value.

/// Skips `n` bytes of a fixed-size body.
bool skip_body(reader& src, size_t n) noexcept {
  byte_span ignored;
  return src.read_bytes(n, ignored);
}

/// Reads a container count that the remaining input can hold (each element
/// takes at least one byte).
bool read_count(reader& src, uint32_t& n) noexcept {
  return src.read_varbyte(n) && n <= src.remaining();
}

/// Hands the value at `src` (a set or a table, tag included) to the
/// reference decoder: to `value` if `x` is set, else to `skip`. `depth`
/// counts the value's enclosing containers.
bool reference_value(reader& src, data* x, size_t depth) {
  decode_error ignored;
  decoder dec{src, ignored};
  return x ? dec.value(*x, depth) : dec.skip(depth);
}

/// Body sizes of the tags whose body has a fixed size and needs no check,
/// indexed by tag; `variable` marks the others.
constexpr uint8_t variable = 0xff;
constexpr uint8_t fixed_body_size[max_tag + 1] = {
    0,                // none
    1,                // boolean
    8,                // count
    8,                // integer
    8,                // real
    variable,         // string
    address_size,     // address
    address_size + 1, // subnet
    variable,         // port (checks its protocol byte)
    8,                // timestamp
    8,                // timespan
    variable,         // enum_value
    variable,         // set
    variable,         // table
    variable,         // vector
};

static_assert(static_cast<uint8_t>(tag::string) == 5 &&
                  static_cast<uint8_t>(tag::port) == 8 &&
                  static_cast<uint8_t>(tag::enum_value) == 11 &&
                  static_cast<uint8_t>(tag::vector) == 14,
              "fixed_body_size follows the wire tags (spec: §4.6)");

/// Validates one value and checks that the input ends there. Looks the tag
/// up in `fixed_body_size` instead of switching on it: 34 ns per event on
/// bench/codec.cc, against 38 to 62 ns with a switch (its jump table is
/// sensitive to code layout).
BROKER_HOT_CODE bool fast_validate(byte_span input) {
  reader src{input};
  // Elements left to read in each open container; `left[0]` is the root.
  uint32_t left[max_nesting_depth + 1];
  size_t depth = 0;
  left[0] = 1;
  for (;;) {
    while (left[depth] == 0) {
      if (depth == 0)
        return src.at_end();
      --depth;
    }
    --left[depth];
    auto at_tag = src;
    uint8_t raw_tag = 0;
    if (!src.read_u8(raw_tag) || raw_tag > max_tag)
      return false;
    if (auto n = fixed_body_size[raw_tag]; n != variable) {
      if (!skip_body(src, n))
        return false;
      continue;
    }
    auto t = static_cast<tag>(raw_tag);
    if (t == tag::string || t == tag::enum_value) {
      std::string_view ignored;
      if (!src.read_string_view(ignored))
        return false;
    } else if (t == tag::vector) {
      uint32_t n = 0;
      if (depth >= max_nesting_depth || !read_count(src, n))
        return false;
      left[++depth] = n;
    } else if (t == tag::port) {
      uint8_t proto = 0;
      if (!skip_body(src, 2) || !src.read_u8(proto) ||
          proto > max_port_protocol)
        return false;
    } else { // set or table
      src = at_tag;
      if (!reference_value(src, nullptr, depth))
        return false;
    }
  }
}

/// Bytes of a port's body: number and protocol (spec: §4.6).
constexpr size_t port_body_size = 3;

} // namespace

std::optional<size_t> fixed_body_size_of(data::type t) noexcept {
  if (t == tag::port)
    return port_body_size;
  auto n = fixed_body_size[static_cast<uint8_t>(t)];
  if (n == variable)
    return std::nullopt;
  return n;
}

const uint8_t* value_end(byte_span input) noexcept {
  reader src{input};
  // Values left to step over in each open container (a table's entries
  // count twice); `left[0]` is the root.
  uint64_t left[max_nesting_depth + 1];
  size_t depth = 0;
  left[0] = 1;
  for (;;) {
    while (left[depth] == 0) {
      if (depth == 0)
        return src.position();
      --depth;
    }
    --left[depth];
    uint8_t raw_tag = 0;
    if (!src.read_u8(raw_tag) || raw_tag > max_tag)
      return nullptr;
    auto t = static_cast<tag>(raw_tag);
    if (auto n = fixed_body_size_of(t)) {
      if (!skip_body(src, *n))
        return nullptr;
    } else if (t == tag::string || t == tag::enum_value) {
      std::string_view ignored;
      if (!src.read_string_view(ignored))
        return nullptr;
    } else { // set, table, vector
      uint32_t n = 0;
      if (depth >= max_nesting_depth || !read_count(src, n))
        return nullptr;
      left[++depth] = t == tag::table ? uint64_t{n} * 2 : uint64_t{n};
    }
  }
}

namespace {

/// Decodes one value; a mirror of `decoder::value` that builds each value
/// where it goes (a vector element is constructed in the vector), so that
/// no `data` is first made `none` and then reassigned.
class fast_decoder {
public:
  explicit fast_decoder(reader& src) noexcept : src_(src) {}

  /// Decodes into `x`. @pre `x` holds `none` (a fresh `data`).
  bool value(data& x, size_t depth) { return decode_one(put_into{x}, depth); }

private:
  /// Stores a decoded value into a `data`.
  struct put_into {
    data& x;

    template <class T>
    data& operator()(T&& val) {
      using type = std::decay_t<T>;
      if constexpr (std::is_same_v<type, data>)
        x = std::forward<T>(val);
      else
        x.get_data().emplace<type>(std::forward<T>(val));
      return x;
    }
  };

  /// Appends a decoded value to a vector, constructing it in place.
  struct append_to {
    vector& xs;

    template <class T>
    data& operator()(T&& val) {
      return xs.emplace_back(std::forward<T>(val));
    }
  };

  /// Reads one value and hands it to `put`, which stores it and returns
  /// the `data` that now holds it.
  template <class Put>
  BROKER_HOT_CODE bool decode_one(Put&& put, size_t depth) {
    auto at_tag = src_;
    uint8_t raw_tag = 0;
    if (!src_.read_u8(raw_tag))
      return false;
    switch (static_cast<tag>(raw_tag)) {
    case tag::none:
      put(none{});
      return true;
    case tag::boolean: {
      uint8_t byte = 0;
      if (!src_.read_u8(byte))
        return false;
      put(boolean{byte != 0}); // spec: §4.2
      return true;
    }
    case tag::count:
      return u64_body(put, [](uint64_t bits) { return count{bits}; });
    case tag::integer:
      return u64_body(put,
                      [](uint64_t bits) { return static_cast<integer>(bits); });
    case tag::real:
      return u64_body(put, unpack_real);
    case tag::timestamp:
      return u64_body(put, [](uint64_t bits) {
        return timestamp{timespan{static_cast<int64_t>(bits)}};
      });
    case tag::timespan:
      return u64_body(put, [](uint64_t bits) {
        return timespan{static_cast<int64_t>(bits)};
      });
    case tag::string: {
      std::string_view str;
      if (!src_.read_string_view(str))
        return false;
      put(std::string{str});
      return true;
    }
    case tag::enum_value: {
      std::string_view str;
      if (!src_.read_string_view(str))
        return false;
      put(enum_value{std::string{str}});
      return true;
    }
    case tag::address: {
      byte_span body;
      if (!src_.read_bytes(address_size, body))
        return false;
      address addr;
      std::memcpy(addr.bytes().data(), body.data, address_size);
      put(addr);
      return true;
    }
    case tag::subnet: {
      byte_span body;
      if (!src_.read_bytes(address_size + 1, body))
        return false;
      address net;
      std::memcpy(net.bytes().data(), body.data, address_size);
      // As upstream, the raw length is not validated (spec: §4.6).
      put(subnet::unchecked(net, body.data[address_size]));
      return true;
    }
    case tag::port: {
      byte_span body;
      if (!src_.read_bytes(3, body))
        return false;
      if (body.data[2] > max_port_protocol)
        return false;
      put(port{static_cast<uint16_t>(read_u16(body.data)),
               static_cast<port::protocol>(body.data[2])});
      return true;
    }
    case tag::set:
    case tag::table: {
      src_ = at_tag;
      data x;
      if (!reference_value(src_, &x, depth))
        return false;
      put(std::move(x));
      return true;
    }
    case tag::vector: {
      uint32_t n = 0;
      if (depth >= max_nesting_depth || !read_count(src_, n))
        return false;
      auto& xs = *get_if<vector>(&put(vector{}));
      xs.reserve(std::min(size_t{n}, max_initial_reserve));
      for (uint32_t i = 0; i < n; ++i)
        if (!decode_one(append_to{xs}, depth + 1))
          return false;
      return true;
    }
    }
    return false;
  }

  template <class Put, class Convert>
  bool u64_body(Put& put, Convert convert) {
    uint64_t bits = 0;
    if (!src_.read_u64(bits))
      return false;
    put(convert(bits));
    return true;
  }

  reader& src_;
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
  reader src{input};
  fast_decoder dec{src};
  if (x.get_type() == data::type::none) {
    // The common case (a message's value is decoded once, into nil):
    // decode in place, and put nil back if that fails.
    if (dec.value(x, 0) && src.at_end())
      return true;
    x = data{};
  } else if (data result; dec.value(result, 0) && src.at_end()) {
    x = std::move(result);
    return true;
  }
  return detail::decode_reference(input, x, err);
}

bool validate(byte_span input, decode_error& err) {
  return fast_validate(input) || detail::validate_reference(input, err);
}

bool detail::decode_reference(byte_span input, data& x, decode_error& err) {
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

bool detail::validate_reference(byte_span input, decode_error& err) {
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
