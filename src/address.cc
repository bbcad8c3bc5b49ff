#include "broker/address.hh"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <string_view>

namespace broker {

namespace {

/// Bytes 0..9 are zero and bytes 10..11 are 0xff in an IPv4-mapped IPv6
/// address (RFC 4291 §2.5.5.2).
constexpr uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0,    0,
                                          0, 0, 0, 0, 0xff, 0xff};

/// Offset of the embedded IPv4 address inside the 16 bytes.
constexpr size_t v4_offset = sizeof(v4_mapped_prefix);

/// Number of 16-bit groups in an IPv6 address.
constexpr size_t num_groups = 8;

/// Largest text inet_pton has to read: a full IPv6 address with an embedded
/// dotted quad is 45 characters (INET6_ADDRSTRLEN - 1).
constexpr size_t max_address_text = INET6_ADDRSTRLEN - 1;

void store_word(uint32_t word, address::byte_order order, uint8_t* dst) {
  if (order == address::byte_order::host)
    word = htonl(word);
  std::memcpy(dst, &word, sizeof(word));
}

/// Appends `x` as lowercase hex without leading zeros (RFC 5952 §4.1, §4.3).
void append_hex_group(uint16_t x, std::string& str) {
  static constexpr char digits[] = "0123456789abcdef";
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    auto nibble = (x >> shift) & 0x0f;
    if (nibble != 0 || started || shift == 0) {
      str += digits[nibble];
      started = true;
    }
  }
}

void append_dotted_quad(const uint8_t* bytes, std::string& str) {
  for (size_t i = 0; i < 4; ++i) {
    if (i > 0)
      str += '.';
    str += std::to_string(bytes[i]);
  }
}

/// Appends RFC 5952 text: the longest run of two or more zero groups (the
/// first one on ties) becomes `::` (§4.2).
void append_v6(const address::byte_array& bytes, std::string& str) {
  uint16_t groups[num_groups];
  for (size_t i = 0; i < num_groups; ++i)
    groups[i] = static_cast<uint16_t>((bytes[2 * i] << 8) | bytes[2 * i + 1]);
  size_t best_first = num_groups;
  size_t best_len = 0;
  for (size_t i = 0; i < num_groups;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < num_groups && groups[j] == 0)
      ++j;
    if (j - i > best_len) {
      best_first = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2)
    best_first = num_groups;
  for (size_t i = 0; i < num_groups; ++i) {
    if (i == best_first) {
      str += "::";
      i += best_len - 1;
      continue;
    }
    if (i > 0 && i != best_first + best_len)
      str += ':';
    append_hex_group(groups[i], str);
  }
}

} // namespace

address::address(const uint32_t* words, family fam, byte_order order) noexcept
    : bytes_{} {
  if (fam == family::ipv4) {
    std::copy(std::begin(v4_mapped_prefix), std::end(v4_mapped_prefix),
              bytes_.begin());
    store_word(words[0], order, bytes_.data() + v4_offset);
    return;
  }
  for (size_t i = 0; i < 4; ++i)
    store_word(words[i], order, bytes_.data() + 4 * i);
}

bool address::mask(uint8_t top_bits_to_keep) noexcept {
  constexpr size_t max_bits = 128;
  if (top_bits_to_keep > max_bits)
    return false;
  size_t full_bytes = top_bits_to_keep / 8;
  size_t rest_bits = top_bits_to_keep % 8;
  size_t i = full_bytes;
  if (rest_bits != 0 && i < bytes_.size()) {
    bytes_[i] &= static_cast<uint8_t>(0xff << (8 - rest_bits));
    ++i;
  }
  for (; i < bytes_.size(); ++i)
    bytes_[i] = 0;
  return true;
}

bool address::is_v4() const noexcept {
  return std::memcmp(bytes_.data(), v4_mapped_prefix, v4_offset) == 0;
}

int address::compare(const address& other) const noexcept {
  return std::memcmp(bytes_.data(), other.bytes_.data(), bytes_.size());
}

size_t address::hash() const noexcept {
  std::string_view view{reinterpret_cast<const char*>(bytes_.data()),
                        bytes_.size()};
  return std::hash<std::string_view>{}(view);
}

void convert(const address& x, std::string& str) {
  str.clear();
  if (x.is_v4())
    append_dotted_quad(x.bytes().data() + v4_offset, str);
  else
    append_v6(x.bytes(), str);
}

bool convert(const std::string& str, address& x) noexcept {
  // inet_pton wants a C string: reject embedded NULs and oversized input
  // before copying into a fixed buffer.
  if (str.empty() || str.size() > max_address_text ||
      str.find('\0') != std::string::npos)
    return false;
  char buf[max_address_text + 1];
  std::memcpy(buf, str.data(), str.size());
  buf[str.size()] = '\0';
  address::byte_array bytes{};
  if (inet_pton(AF_INET, buf, bytes.data() + v4_offset) == 1) {
    std::copy(std::begin(v4_mapped_prefix), std::end(v4_mapped_prefix),
              bytes.begin());
    x = address{bytes};
    return true;
  }
  if (inet_pton(AF_INET6, buf, bytes.data()) == 1) {
    x = address{bytes};
    return true;
  }
  return false;
}

} // namespace broker
