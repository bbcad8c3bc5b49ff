#include "broker/port.hh"

#include <string_view>

namespace broker {

namespace {

/// Protocol names, indexed by the wire value (spec: upstream-broker.md §4.6).
constexpr std::string_view protocol_names[] = {"?", "tcp", "udp", "icmp"};

/// Largest valid port number.
constexpr unsigned long max_port_number = 65535;

/// Parses 1-5 decimal digits (no sign, no whitespace) up to 65535.
bool parse_number(std::string_view str, port::number_type& result) {
  constexpr size_t max_digits = 5;
  if (str.empty() || str.size() > max_digits)
    return false;
  unsigned long value = 0;
  for (auto c : str) {
    if (c < '0' || c > '9')
      return false;
    value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (value > max_port_number)
    return false;
  result = static_cast<port::number_type>(value);
  return true;
}

} // namespace

void convert(const port& x, std::string& str) {
  str = std::to_string(x.number());
  str += '/';
  auto index = static_cast<size_t>(x.type());
  str += index < std::size(protocol_names) ? protocol_names[index] : "?";
}

bool convert(const std::string& str, port& x) noexcept {
  std::string_view view{str};
  auto slash = view.find('/');
  port::number_type num = 0;
  if (!parse_number(view.substr(0, slash), num))
    return false;
  // As upstream: a bare number means TCP, an unknown protocol name `?`.
  auto proto = port::protocol::tcp;
  if (slash != std::string_view::npos) {
    auto name = view.substr(slash + 1);
    proto = port::protocol::unknown;
    for (size_t i = 0; i < std::size(protocol_names); ++i)
      if (name == protocol_names[i])
        proto = static_cast<port::protocol>(i);
  }
  x = port{num, proto};
  return true;
}

} // namespace broker
