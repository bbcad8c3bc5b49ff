#include "broker/version.hh"

namespace broker::version {

std::string string() {
  std::string result = std::to_string(major);
  result += '.';
  result += std::to_string(minor);
  result += '.';
  result += std::to_string(patch);
  return result;
}

} // namespace broker::version
