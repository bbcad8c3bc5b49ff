#include "broker/peer_flags.hh"

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

} // namespace

void convert(peer_flags x, std::string& str) {
  str.clear();
  for (const auto& entry : flag_names) {
    if (!has_flags(x, entry.flag))
      continue;
    if (!str.empty())
      str += '|';
    str += entry.name;
  }
  if (str.empty())
    str = "invalid";
}

} // namespace broker
