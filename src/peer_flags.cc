#include "broker/peer_flags.hh"

#include <ostream>
#include <string_view>

namespace broker {

namespace {

struct flag_name {
  peer_flags flag;
  std::string_view name;
};

constexpr flag_name flag_names[] = {
    {peer_flags::local, "local"},
    {peer_flags::remote, "remote"},
    {peer_flags::outbound, "outbound"},
    {peer_flags::inbound, "inbound"},
};

/// Text of a value without any flag set.
constexpr std::string_view invalid_name = "invalid";

/// Separates flag names.
constexpr char separator = '|';

/// Returns the flag called `name`, or `invalid` if there is none.
peer_flags flag_of(std::string_view name) noexcept {
  for (const auto& entry : flag_names)
    if (entry.name == name)
      return entry.flag;
  return peer_flags::invalid;
}

} // namespace

void convert(peer_flags x, std::string& str) {
  str.clear();
  for (const auto& entry : flag_names) {
    if (!has_flags(x, entry.flag))
      continue;
    if (!str.empty())
      str += separator;
    str += entry.name;
  }
  if (str.empty())
    str = invalid_name;
}

bool convert(const std::string& str, peer_flags& x) noexcept {
  if (str == invalid_name) {
    x = peer_flags::invalid;
    return true;
  }
  auto result = peer_flags::invalid;
  std::string_view rest{str};
  for (;;) {
    auto end = rest.find(separator);
    auto flag = flag_of(rest.substr(0, end));
    if (flag == peer_flags::invalid)
      return false;
    result |= flag;
    if (end == std::string_view::npos)
      break;
    rest.remove_prefix(end + 1);
  }
  x = result;
  return true;
}

std::ostream& operator<<(std::ostream& out, peer_flags x) {
  std::string str;
  convert(x, str);
  return out << str;
}

} // namespace broker
