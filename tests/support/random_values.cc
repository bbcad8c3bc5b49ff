#include "support/random_values.hh"

#include "support/vector_values.hh"

#include <cmath>
#include <cstring>

namespace broker::test {

data value_generator::next(size_t depth) {
  constexpr size_t max_depth = 4;
  constexpr uint32_t num_scalar_types = 12;
  constexpr uint32_t num_types = 15;
  auto type = static_cast<data::type>(
      pick(depth < max_depth ? num_types : num_scalar_types));
  switch (type) {
  case data::type::set: {
    set xs;
    for (auto n = pick(6); n > 0; --n)
      xs.insert(next(depth + 1));
    return xs;
  }
  case data::type::table: {
    table xs;
    for (auto n = pick(6); n > 0; --n)
      xs.emplace(next(depth + 1), next(depth + 1));
    return xs;
  }
  case data::type::vector: {
    vector xs;
    for (auto n = pick(6); n > 0; --n)
      xs.push_back(next(depth + 1));
    return xs;
  }
  default:
    return scalar(type);
  }
}

data value_generator::scalar(data::type type) {
  switch (type) {
  case data::type::none:
    return nil;
  case data::type::boolean:
    return pick(2) == 1;
  case data::type::count:
    return count{bits()};
  case data::type::integer:
    return static_cast<integer>(bits());
  case data::type::real:
    return finite_real();
  case data::type::string:
    return random_string();
  case data::type::address:
    return random_address();
  case data::type::subnet:
    return subnet{random_address(), static_cast<uint8_t>(pick(129))};
  case data::type::port:
    return port{static_cast<uint16_t>(bits()),
                static_cast<port::protocol>(pick(4))};
  case data::type::timestamp:
    return timestamp{timespan{static_cast<int64_t>(bits())}};
  case data::type::timespan:
    return timespan{static_cast<int64_t>(bits())};
  default:
    return enum_value{random_string()};
  }
}

real value_generator::finite_real() {
  for (;;) {
    uint64_t pattern = bits();
    double x = 0;
    std::memcpy(&x, &pattern, sizeof(x));
    if (std::isfinite(x))
      return x;
  }
}

std::string value_generator::random_string() {
  std::string result(pick(140), '\0');
  for (auto& c : result)
    c = static_cast<char>(bits());
  return result;
}

address value_generator::random_address() {
  address::byte_array bytes;
  for (auto& b : bytes)
    b = static_cast<uint8_t>(bits());
  if (pick(2) == 0) // half of them IPv4
    return broker::test::parse<address>(
        std::to_string(bytes[0]) + "." + std::to_string(bytes[1]) + "." +
        std::to_string(bytes[2]) + "." + std::to_string(bytes[3]));
  return address{bytes};
}

} // namespace broker::test
