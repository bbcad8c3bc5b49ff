#include "broker/endpoint_id.hh"

#include <algorithm>
#include <functional>
#include <ostream>
#include <random>
#include <string_view>

namespace broker {

namespace {

// UUID layout (spec: upstream-broker.md §1.1, RFC 4122 §4.1.3 and §4.1.1).

/// Byte whose high nibble holds the version.
constexpr size_t version_byte = 6;

/// Byte whose two top bits hold the variant.
constexpr size_t variant_byte = 8;

/// Upstream writes version 5 into random IDs (although they are random).
constexpr uint8_t random_version = 5;

/// Highest version nibble the parser accepts (upstream's rule).
constexpr uint8_t max_version = 5;

/// Variant bits `10` (RFC 4122).
constexpr uint8_t variant_mask = 0xc0;
constexpr uint8_t variant_bits = 0x80;

/// Length of the text form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
constexpr size_t text_size = 36;

/// Positions of the dashes in the text form.
constexpr size_t dash_positions[] = {8, 13, 18, 23};

bool is_dash_position(size_t pos) {
  return std::find(std::begin(dash_positions), std::end(dash_positions), pos) !=
         std::end(dash_positions);
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// Parses the text form; does not check the version.
bool parse_uuid(const std::string& str, endpoint_id::array_type& bytes) {
  if (str.size() != text_size)
    return false;
  size_t byte_index = 0;
  for (size_t pos = 0; pos < text_size;) {
    if (is_dash_position(pos)) {
      if (str[pos] != '-')
        return false;
      ++pos;
      continue;
    }
    auto hi = hex_value(str[pos]);
    auto lo = hex_value(str[pos + 1]);
    if (hi < 0 || lo < 0)
      return false;
    bytes[byte_index++] = static_cast<uint8_t>(hi * 16 + lo);
    pos += 2;
  }
  return true;
}

/// Returns this thread's random engine, seeded once from std::random_device.
std::mt19937_64& random_engine() {
  // Eight 32-bit words of seed: IDs of endpoints started at the same moment
  // on different hosts must not collide.
  constexpr size_t seed_words = 8;
  thread_local std::mt19937_64 engine = [] {
    std::random_device device;
    uint32_t words[seed_words];
    for (auto& word : words)
      word = device();
    std::seed_seq seq(std::begin(words), std::end(words));
    return std::mt19937_64{seq};
  }();
  return engine;
}

} // namespace

endpoint_id endpoint_id::random() {
  auto& engine = random_engine();
  array_type bytes;
  for (size_t i = 0; i < num_bytes; i += sizeof(uint64_t)) {
    auto word = engine();
    for (size_t j = 0; j < sizeof(uint64_t); ++j)
      bytes[i + j] = static_cast<uint8_t>(word >> (8 * j));
  }
  bytes[version_byte] = static_cast<uint8_t>((bytes[version_byte] & 0x0f) |
                                             (random_version << 4));
  bytes[variant_byte] = static_cast<uint8_t>(
      (bytes[variant_byte] & ~variant_mask) | variant_bits);
  return endpoint_id{bytes};
}

size_t endpoint_id::hash() const noexcept {
  std::string_view view{reinterpret_cast<const char*>(bytes_.data()),
                        bytes_.size()};
  return std::hash<std::string_view>{}(view);
}

bool endpoint_id::can_parse(const std::string& str) noexcept {
  endpoint_id tmp;
  return convert(str, tmp);
}

void convert(const endpoint_id& x, std::string& str) {
  static constexpr char digits[] = "0123456789abcdef";
  str.clear();
  str.reserve(text_size);
  size_t pos = 0;
  for (auto byte : x.bytes()) {
    if (is_dash_position(pos)) {
      str += '-';
      ++pos;
    }
    str += digits[byte >> 4];
    str += digits[byte & 0x0f];
    pos += 2;
  }
}

bool convert(const std::string& str, endpoint_id& x) noexcept {
  endpoint_id::array_type bytes{};
  if (!parse_uuid(str, bytes))
    return false;
  endpoint_id result{bytes};
  // spec: upstream-broker.md §1.1: versions 1..5 only, except for nil.
  auto version = bytes[version_byte] >> 4;
  if (result.valid() && (version == 0 || version > max_version))
    return false;
  x = result;
  return true;
}

std::ostream& operator<<(std::ostream& out, const endpoint_id& x) {
  std::string str;
  convert(x, str);
  return out << str;
}

} // namespace broker
