#include "broker/subnet.hh"

#include <string>

namespace broker {

namespace {

/// An IPv4 prefix length counts bits of the last 32 of the 128-bit
/// representation (spec: upstream-broker.md §4.6, "raw" subnet length).
constexpr uint8_t v4_length_offset = 96;

constexpr uint8_t max_v4_length = 32;

constexpr uint8_t max_v6_length = 128;

/// Parses 1-3 decimal digits (no sign, no whitespace).
bool parse_length(const std::string& str, size_t first, unsigned& result) {
  constexpr size_t max_digits = 3;
  auto len = str.size() - first;
  if (len == 0 || len > max_digits)
    return false;
  unsigned value = 0;
  for (size_t i = first; i < str.size(); ++i) {
    auto c = str[i];
    if (c < '0' || c > '9')
      return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  result = value;
  return true;
}

} // namespace

subnet::subnet(address addr, uint8_t length) noexcept : net_(addr) {
  if (net_.is_v4()) {
    if (length > max_v4_length) {
      net_ = address{};
      return;
    }
    len_ = static_cast<uint8_t>(length + v4_length_offset);
  } else {
    if (length > max_v6_length) {
      net_ = address{};
      return;
    }
    len_ = length;
  }
  net_.mask(len_);
}

subnet subnet::unchecked(address network, uint8_t raw_length) noexcept {
  subnet result;
  result.net_ = network;
  result.len_ = raw_length;
  return result;
}

bool subnet::contains(const address& addr) const noexcept {
  // As upstream: a raw length above 128 (only possible via `unchecked`)
  // leaves `masked` untouched, so only the network address itself matches.
  auto masked = addr;
  masked.mask(len_);
  return masked == net_;
}

uint8_t subnet::length() const noexcept {
  // Wraps for IPv4 networks with a raw length below 96 (only possible via
  // `unchecked`), exactly like upstream's uint8_t arithmetic.
  return net_.is_v4() ? static_cast<uint8_t>(len_ - v4_length_offset) : len_;
}

int subnet::compare(const subnet& other) const noexcept {
  if (auto res = net_.compare(other.net_); res != 0)
    return res;
  if (len_ != other.len_)
    return len_ < other.len_ ? -1 : 1;
  return 0;
}

size_t subnet::hash() const noexcept {
  constexpr size_t mix = 0x9e3779b97f4a7c15ull;
  return net_.hash() ^ (static_cast<size_t>(len_) * mix);
}

void convert(const subnet& x, std::string& str) {
  convert(x.network(), str);
  str += '/';
  str += std::to_string(x.length());
}

bool convert(const std::string& str, subnet& x) noexcept {
  auto slash = str.rfind('/');
  if (slash == std::string::npos)
    return false;
  unsigned length = 0;
  if (!parse_length(str, slash + 1, length))
    return false;
  address addr;
  try {
    if (!convert(str.substr(0, slash), addr))
      return false;
  } catch (...) { // std::bad_alloc from substr
    return false;
  }
  auto max_length = addr.is_v4() ? max_v4_length : max_v6_length;
  if (length > max_length)
    return false;
  x = subnet{addr, static_cast<uint8_t>(length)};
  return true;
}

} // namespace broker
