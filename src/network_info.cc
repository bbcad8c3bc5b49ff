#include "broker/network_info.hh"

#include <ostream>

namespace broker {

void convert(const network_info& x, std::string& str) {
  str = x.address;
  str += ':';
  str += std::to_string(x.port);
}

std::ostream& operator<<(std::ostream& out, const network_info& x) {
  std::string str;
  convert(x, str);
  return out << str;
}

} // namespace broker
