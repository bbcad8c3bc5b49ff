#include "broker/endpoint_info.hh"

#include "broker/data.hh"

#include <ostream>

namespace broker {

namespace {

// spec: upstream-broker.md §2.3: endpoint_info as data is
// [node-id string | nil, address string | nil, port | nil, count | nil].
enum field : size_t {
  node_field,
  address_field,
  port_field,
  retry_field,
  num_fields,
};

} // namespace

void convert(const endpoint_info& x, std::string& str) {
  std::string tmp;
  str = "endpoint_info(";
  convert(x.node, tmp);
  str += tmp;
  if (x.network) {
    convert(*x.network, tmp);
    str += ", *";
    str += tmp;
    str += ')';
  } else {
    str += ", none)";
  }
}

bool convert(const endpoint_info& x, data& dst) {
  vector result(num_fields);
  if (x.node) {
    std::string id;
    convert(x.node, id);
    result[node_field] = std::move(id);
  }
  if (x.network) {
    result[address_field] = x.network->address;
    result[port_field] = port{x.network->port, port::protocol::tcp};
    result[retry_field] = static_cast<count>(x.network->retry.count());
  }
  dst = std::move(result);
  return true;
}

bool convert(const data& src, endpoint_info& x) {
  auto xs = get_if<vector>(src);
  if (!xs || xs->size() != num_fields)
    return false;
  endpoint_info result;
  if (auto id = get_if<std::string>((*xs)[node_field])) {
    if (!convert(*id, result.node))
      return false;
  } else if (!(*xs)[node_field].is_none()) {
    return false;
  }
  auto addr = get_if<std::string>((*xs)[address_field]);
  auto num = get_if<port>((*xs)[port_field]);
  auto retry = get_if<count>((*xs)[retry_field]);
  if (addr && num && retry) {
    result.network = network_info{
        *addr, num->number(),
        timeout::seconds{static_cast<timeout::seconds::rep>(*retry)}};
  } else if (!(*xs)[address_field].is_none() || !(*xs)[port_field].is_none() ||
             !(*xs)[retry_field].is_none()) {
    // Fields 2-4 are either all set or all nil.
    return false;
  }
  x = std::move(result);
  return true;
}

std::ostream& operator<<(std::ostream& out, const endpoint_info& x) {
  std::string str;
  convert(x, str);
  return out << str;
}

} // namespace broker
