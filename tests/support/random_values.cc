#include "support/random_values.hh"

#include "support/vector_values.hh"

#include <cmath>
#include <cstring>

namespace broker::test {

data value_generator::next(size_t depth) {
  constexpr size_t max_depth = 4;
  constexpr uint32_t num_scalar_types = 12;
  constexpr uint32_t num_types = 15;
  auto type = pick(depth < max_depth ? num_types : num_scalar_types);
  switch (type) {
  case 0:
    return nil;
  case 1:
    return pick(2) == 1;
  case 2:
    return count{rng_()};
  case 3:
    return static_cast<integer>(rng_());
  case 4:
    return finite_real();
  case 5:
    return random_string();
  case 6:
    return random_address();
  case 7:
    return subnet{random_address(), static_cast<uint8_t>(pick(129))};
  case 8:
    return port{static_cast<uint16_t>(rng_()),
                static_cast<port::protocol>(pick(4))};
  case 9:
    return timestamp{timespan{static_cast<int64_t>(rng_())}};
  case 10:
    return timespan{static_cast<int64_t>(rng_())};
  case 11:
    return enum_value{random_string()};
  case 12: {
    set xs;
    for (auto n = pick(6); n > 0; --n)
      xs.insert(next(depth + 1));
    return xs;
  }
  case 13: {
    table xs;
    for (auto n = pick(6); n > 0; --n)
      xs.emplace(next(depth + 1), next(depth + 1));
    return xs;
  }
  default: {
    vector xs;
    for (auto n = pick(6); n > 0; --n)
      xs.push_back(next(depth + 1));
    return xs;
  }
  }
}

real value_generator::finite_real() {
  for (;;) {
    uint64_t bits = rng_();
    double x = 0;
    std::memcpy(&x, &bits, sizeof(x));
    if (std::isfinite(x))
      return x;
  }
}

std::string value_generator::random_string() {
  std::string result(pick(140), '\0');
  for (auto& c : result)
    c = static_cast<char>(rng_());
  return result;
}

address value_generator::random_address() {
  address::byte_array bytes;
  for (auto& b : bytes)
    b = static_cast<uint8_t>(rng_());
  if (pick(2) == 0) // half of them IPv4
    return broker::test::parse<address>(
        std::to_string(bytes[0]) + "." + std::to_string(bytes[1]) + "." +
        std::to_string(bytes[2]) + "." + std::to_string(bytes[3]));
  return address{bytes};
}

} // namespace broker::test
