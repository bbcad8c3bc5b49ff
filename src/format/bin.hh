#pragma once

// Binary wire format v1 (spec: upstream-broker.md §4.2 primitives, §4.6 data
// values). Pure code: standard library and the public value types only.

#include "broker/data.hh"
#include "broker/error.hh"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace broker::format::bin::v1 {

/// Output buffer of all encoders; encoders append.
using byte_buffer = std::vector<uint8_t>;

/// A read-only view on bytes (C++17 has no std::span).
struct byte_span {
  const uint8_t* data = nullptr;
  size_t size = 0;

  byte_span() = default;

  byte_span(const uint8_t* data, size_t size) : data(data), size(size) {}

  byte_span(const byte_buffer& buf) : data(buf.data()), size(buf.size()) {}

  [[nodiscard]] bool empty() const noexcept { return size == 0; }

  [[nodiscard]] const uint8_t* begin() const noexcept { return data; }

  [[nodiscard]] const uint8_t* end() const noexcept { return data + size; }

  [[nodiscard]] byte_span subspan(size_t offset) const noexcept {
    return {data + offset, size - offset};
  }

  [[nodiscard]] byte_span subspan(size_t offset, size_t len) const noexcept {
    return {data + offset, len};
  }
};

/// Why a decoder gave up: the `ec` to report (always
/// `ec::deserialization_failed` for data values) and a reason that names the
/// problem and where it is, e.g. "failed to parse data: duplicate set element
/// at offset 20". Reasons of data-value errors start with upstream's text
/// ("failed to parse data", "cannot parse null data").
struct decode_error {
  ec code = ec::deserialization_failed;
  std::string reason;
};

// -- limits -------------------------------------------------------------------

/// Deepest nesting of containers the decoder accepts. Upstream has no limit
/// (and recurses); we cap it so that hostile input cannot exhaust the stack.
inline constexpr size_t max_nesting_depth = 128;

/// A varbyte carries at most 32 bits, i.e. at most 5 bytes (spec: §4.2).
inline constexpr size_t max_varbyte_size = 5;

/// Whether this machine stores integers least significant byte first.
inline constexpr bool is_little_endian =
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

// -- primitive encoders (big-endian, spec: §4.2) ------------------------------

/// Store big-endian integers at `p`. @pre room for them.
inline void store_u16(uint16_t x, uint8_t* p) noexcept {
  p[0] = static_cast<uint8_t>(x >> 8);
  p[1] = static_cast<uint8_t>(x);
}

inline void store_u32(uint32_t x, uint8_t* p) noexcept {
  p[0] = static_cast<uint8_t>(x >> 24);
  p[1] = static_cast<uint8_t>(x >> 16);
  p[2] = static_cast<uint8_t>(x >> 8);
  p[3] = static_cast<uint8_t>(x);
}

inline void store_u64(uint64_t x, uint8_t* p) noexcept {
  // One byte swap and one store (GCC does not fuse a byte-wise loop).
  if constexpr (is_little_endian)
    x = __builtin_bswap64(x);
  std::memcpy(p, &x, sizeof(x));
}

/// Stores an unsigned LEB128 "varbyte" of at most 32 bits at `p` (at most
/// `max_varbyte_size` bytes) and returns its end.
inline uint8_t* store_varbyte(uint32_t x, uint8_t* p) noexcept {
  for (; x > 0x7f; x >>= 7)
    *p++ = static_cast<uint8_t>((x & 0x7f) | 0x80);
  *p++ = static_cast<uint8_t>(x);
  return p;
}

/// Append big-endian integers to `out`.
inline void write_u8(uint8_t x, byte_buffer& out) {
  out.push_back(x);
}

inline void write_u16(uint16_t x, byte_buffer& out) {
  uint8_t bytes[2];
  store_u16(x, bytes);
  out.insert(out.end(), bytes, bytes + sizeof(bytes));
}

inline void write_u32(uint32_t x, byte_buffer& out) {
  uint8_t bytes[4];
  store_u32(x, bytes);
  out.insert(out.end(), bytes, bytes + sizeof(bytes));
}

inline void write_u64(uint64_t x, byte_buffer& out) {
  uint8_t bytes[8];
  store_u64(x, bytes);
  out.insert(out.end(), bytes, bytes + sizeof(bytes));
}

/// Appends an unsigned LEB128 "varbyte" of at most 32 bits.
inline void write_varbyte(uint32_t x, byte_buffer& out) {
  uint8_t bytes[max_varbyte_size];
  out.insert(out.end(), bytes, store_varbyte(x, bytes));
}

/// Writes varbyte length + raw bytes. @pre `str.size() < 2^32`
inline void write_string(std::string_view str, byte_buffer& out) {
  write_varbyte(static_cast<uint32_t>(str.size()), out);
  out.insert(out.end(), str.begin(), str.end());
}

// -- primitive decoders -------------------------------------------------------

/// Reads big-endian integers from a span. @pre enough bytes remain.
inline uint16_t read_u16(const uint8_t* p) noexcept {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

inline uint32_t read_u32(const uint8_t* p) noexcept {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

inline uint64_t read_u64(const uint8_t* p) noexcept {
  // One load and a byte swap (GCC does not fuse the byte-wise loop).
  uint64_t raw = 0;
  std::memcpy(&raw, p, sizeof(raw));
  if constexpr (is_little_endian)
    return __builtin_bswap64(raw);
  else
    return raw;
}

/// A cursor over input bytes used by all decoders of this format. Every read
/// checks the remaining size first; on failure it returns `false` and leaves
/// the cursor where the failing item started.
class reader {
public:
  explicit reader(byte_span input) noexcept
      : first_(input.data), pos_(input.data), end_(input.data + input.size) {}

  [[nodiscard]] size_t remaining() const noexcept {
    return static_cast<size_t>(end_ - pos_);
  }

  [[nodiscard]] size_t offset() const noexcept {
    return static_cast<size_t>(pos_ - first_);
  }

  [[nodiscard]] bool at_end() const noexcept { return pos_ == end_; }

  [[nodiscard]] const uint8_t* position() const noexcept { return pos_; }

  [[nodiscard]] bool read_u8(uint8_t& x) noexcept {
    if (remaining() < 1)
      return false;
    x = *pos_++;
    return true;
  }

  [[nodiscard]] bool read_u16(uint16_t& x) noexcept {
    if (remaining() < 2)
      return false;
    x = v1::read_u16(pos_);
    pos_ += 2;
    return true;
  }

  [[nodiscard]] bool read_u32(uint32_t& x) noexcept {
    if (remaining() < 4)
      return false;
    x = v1::read_u32(pos_);
    pos_ += 4;
    return true;
  }

  [[nodiscard]] bool read_u64(uint64_t& x) noexcept {
    if (remaining() < 8)
      return false;
    x = v1::read_u64(pos_);
    pos_ += 8;
    return true;
  }

  /// Reads a varbyte of at most `max_varbyte_size` bytes whose value fits
  /// into 32 bits (non-minimal encodings are accepted, as upstream does).
  [[nodiscard]] bool read_varbyte(uint32_t& x) noexcept {
    uint64_t result = 0;
    const uint8_t* p = pos_;
    for (size_t i = 0; i < max_varbyte_size; ++i) {
      if (p == end_)
        return false;
      uint8_t byte = *p++;
      result |= uint64_t{byte & 0x7fu} << (7 * i);
      if ((byte & 0x80) == 0) {
        if (result > UINT32_MAX)
          return false;
        x = static_cast<uint32_t>(result);
        pos_ = p;
        return true;
      }
    }
    return false;
  }

  /// Reads `n` raw bytes. @returns `false` if fewer than `n` remain.
  [[nodiscard]] bool read_bytes(size_t n, byte_span& x) noexcept {
    if (remaining() < n)
      return false;
    x = byte_span{pos_, n};
    pos_ += n;
    return true;
  }

  /// Reads varbyte length + bytes; the length is checked against the
  /// remaining input before anything is copied.
  [[nodiscard]] bool read_string(std::string& x) {
    auto start = pos_;
    uint32_t len = 0;
    if (!read_varbyte(len) || remaining() < len) {
      pos_ = start;
      return false;
    }
    x.assign(reinterpret_cast<const char*>(pos_), len);
    pos_ += len;
    return true;
  }

  /// Like `read_string`, but returns a view into the input.
  [[nodiscard]] bool read_string_view(std::string_view& x) noexcept {
    auto start = pos_;
    uint32_t len = 0;
    if (!read_varbyte(len) || remaining() < len) {
      pos_ = start;
      return false;
    }
    x = std::string_view{reinterpret_cast<const char*>(pos_), len};
    pos_ += len;
    return true;
  }

private:
  const uint8_t* first_;
  const uint8_t* pos_;
  const uint8_t* end_;
};

// -- reals (CAF's pack754, spec: §4.2) ----------------------------------------

/// Returns the 64-bit pattern upstream writes for `x`: plain IEEE-754 for
/// finite values (subnormals included, see DESIGN.md §6), NaN as all ones,
/// +inf as `fff0...`, -inf as `7ff0...` (CAF's swapped sign bits).
uint64_t pack_real(double x) noexcept;

/// Inverse of `pack_real`: `ff..ff` and every other NaN pattern decode to
/// NaN (DESIGN.md §6: upstream maps IEEE NaN patterns to infinities; we do
/// not), `fff0...` to +inf and `7ff0...` to -inf.
double unpack_real(uint64_t bits) noexcept;

// -- data values (spec: §4.6) -------------------------------------------------

/// Appends tag + body of `x`. Sets and tables are written in Broker's total
/// order (the order of the containers), so output is byte-identical to
/// upstream's.
void encode(const data& x, byte_buffer& out);

/// Returns the encoding of `x` as a fresh buffer.
byte_buffer encode(const data& x);

/// Decodes exactly one value that must span all of `input` (trailing bytes
/// are an error, as upstream treats them).
/// @returns `true` on success; otherwise `false` with `err` filled in.
/// Never reads outside `input`, never allocates more than `input` could
/// justify, never recurses deeper than `max_nesting_depth`.
[[nodiscard]] bool decode(byte_span input, data& x, decode_error& err);

/// Checks that `input` holds exactly one value that `decode` would accept,
/// without building it (sets and tables excepted: finding duplicates needs
/// their elements). Fails exactly when `decode` fails, with the same `err`.
/// Lets a receiver drop malformed messages early and decode good ones later,
/// on the thread that consumes them.
/// @returns `true` on success; otherwise `false` with `err` filled in.
[[nodiscard]] bool validate(byte_span input, decode_error& err);

/// Decodes one value at the reader's position (tag + body), leaving the
/// reader after it. Used by decoders of larger structures.
/// @returns `true` on success; otherwise `false` with `err` filled in.
[[nodiscard]] bool decode_value(reader& src, data& x, decode_error& err);

/// Returns the size of the body (the bytes after the tag) of every value of
/// type `t`, or `std::nullopt` for the types whose body has a length or a
/// count (strings, enum values, containers).
[[nodiscard]] std::optional<size_t> fixed_body_size_of(data::type t) noexcept;

/// Returns the end of the value that starts `input`, found by its structure
/// alone (tags, body sizes, lengths and counts; neither a port's protocol
/// nor a set's order is checked), or `nullptr` if `input` ends inside it,
/// holds an invalid tag, or nests deeper than `max_nesting_depth`. For
/// readers of validated bytes that step over values (`data_view`).
[[nodiscard]] const uint8_t* value_end(byte_span input) noexcept;

namespace detail {

/// The reference decoder behind `decode`, which first tries a faster path
/// that decides only successes. Same contract as `decode`; for tests and
/// fuzzers that check the two paths against each other.
[[nodiscard]] bool decode_reference(byte_span input, data& x,
                                    decode_error& err);

/// The reference validator behind `validate`; see `decode_reference`.
[[nodiscard]] bool validate_reference(byte_span input, decode_error& err);

} // namespace detail

} // namespace broker::format::bin::v1
