#include "broker/data.hh"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <ostream>

namespace broker {

namespace {

/// Type names, indexed by `data::type`.
constexpr const char* type_names[] = {
    "none",     "boolean",    "count",  "integer", "real",
    "string",   "address",    "subnet", "port",    "timestamp",
    "timespan", "enum_value", "set",    "table",   "vector",
};

static_assert(std::size(type_names) == std::variant_size_v<data::variant_type>,
              "one name per alternative");

// -- hashing ------------------------------------------------------------------

/// Mixes `value` into `seed` (the classic golden-ratio hash combiner).
size_t hash_combine(size_t seed, size_t value) noexcept {
  constexpr size_t golden_ratio = 0x9e3779b97f4a7c15ull;
  return seed ^ (value + golden_ratio + (seed << 6) + (seed >> 2));
}

template <class Container>
size_t hash_range(const Container& xs) noexcept;

struct hash_visitor {
  size_t operator()(none) const noexcept { return 0; }

  size_t operator()(real x) const noexcept {
    // 0.0 == -0.0, so both must hash alike.
    return std::hash<real>{}(x == 0 ? 0.0 : x);
  }

  size_t operator()(const std::string& x) const noexcept {
    return std::hash<std::string>{}(x);
  }

  size_t operator()(const enum_value& x) const noexcept {
    return std::hash<std::string>{}(x.name);
  }

  size_t operator()(timestamp x) const noexcept {
    return std::hash<int64_t>{}(x.time_since_epoch().count());
  }

  size_t operator()(timespan x) const noexcept {
    return std::hash<int64_t>{}(x.count());
  }

  size_t operator()(const set& xs) const noexcept { return hash_range(xs); }

  size_t operator()(const vector& xs) const noexcept { return hash_range(xs); }

  size_t operator()(const table& xs) const noexcept {
    size_t seed = xs.size();
    for (const auto& [key, value] : xs)
      seed = hash_combine(hash_combine(seed, key.hash()), value.hash());
    return seed;
  }

  template <class T>
  size_t operator()(const T& x) const noexcept {
    return std::hash<T>{}(x);
  }
};

template <class Container>
size_t hash_range(const Container& xs) noexcept {
  size_t seed = xs.size();
  for (const auto& x : xs)
    seed = hash_combine(seed, x.hash());
  return seed;
}

// -- rendering (spec vectors to_string.txt) -----------------------------------

void render(const data& x, std::string& out);

/// Appends `convert(x, tmp)` for types whose `convert` assigns.
template <class T>
void render_converted(const T& x, std::string& out) {
  std::string tmp;
  convert(x, tmp);
  out += tmp;
}

void render_real(real x, std::string& out) {
  // Upstream prints like printf's `%f`; any NaN prints as `nan` (never
  // `-nan`), as upstream's NaN has no sign.
  if (std::isnan(x)) {
    out += "nan";
    return;
  }
  // The longest `%f` text of a double: sign, 309 integer digits, point and
  // six decimals.
  constexpr size_t max_fixed_text = 1 + 309 + 1 + 6;
  char buf[max_fixed_text + 1];
  auto len = std::snprintf(buf, sizeof(buf), "%f", x);
  if (len > 0)
    out.append(buf, std::min(static_cast<size_t>(len), max_fixed_text));
}

template <class Container, class RenderElement>
void render_sequence(const Container& xs, char open, char close,
                     RenderElement render_element, std::string& out) {
  out += open;
  bool first = true;
  for (const auto& x : xs) {
    if (!first)
      out += ", ";
    first = false;
    render_element(x, out);
  }
  out += close;
}

void render(const set& xs, std::string& out) {
  render_sequence(
      xs, '{', '}', [](const data& x, std::string& str) { render(x, str); },
      out);
}

void render(const table& xs, std::string& out) {
  render_sequence(
      xs, '{', '}',
      [](const table::value_type& kvp, std::string& str) {
        render(kvp.first, str);
        str += " -> ";
        render(kvp.second, str);
      },
      out);
}

void render(const vector& xs, std::string& out) {
  render_sequence(
      xs, '(', ')', [](const data& x, std::string& str) { render(x, str); },
      out);
}

struct render_visitor {
  std::string& out;

  void operator()(none) const { out += "nil"; }

  void operator()(boolean x) const { out += x ? 'T' : 'F'; }

  void operator()(count x) const { out += std::to_string(x); }

  void operator()(integer x) const { out += std::to_string(x); }

  void operator()(real x) const { render_real(x, out); }

  void operator()(const std::string& x) const { out += x; }

  void operator()(const enum_value& x) const { out += x.name; }

  void operator()(const set& xs) const { render(xs, out); }

  void operator()(const table& xs) const { render(xs, out); }

  void operator()(const vector& xs) const { render(xs, out); }

  template <class T>
  void operator()(const T& x) const {
    render_converted(x, out);
  }
};

void render(const data& x, std::string& out) {
  std::visit(render_visitor{out}, x.get_data());
}

template <class T>
std::string render_to_string(const T& x) {
  std::string result;
  render(x, result);
  return result;
}

} // namespace

const char* data::get_type_name() const noexcept {
  return to_string(get_type());
}

size_t data::hash() const noexcept {
  return hash_combine(data_.index(), std::visit(hash_visitor{}, data_));
}

const char* to_string(data::type x) noexcept {
  auto index = static_cast<size_t>(x);
  return index < std::size(type_names) ? type_names[index] : "invalid";
}

void convert(const data& x, std::string& str) {
  str.clear();
  render(x, str);
}

void convert(const set& x, std::string& str) {
  str.clear();
  render(x, str);
}

void convert(const table& x, std::string& str) {
  str.clear();
  render(x, str);
}

void convert(const vector& x, std::string& str) {
  str.clear();
  render(x, str);
}

std::string to_string(const data& x) {
  return render_to_string(x);
}

std::string to_string(const set& x) {
  return render_to_string(x);
}

std::string to_string(const table& x) {
  return render_to_string(x);
}

std::string to_string(const vector& x) {
  return render_to_string(x);
}

std::ostream& operator<<(std::ostream& out, const data& x) {
  return out << to_string(x);
}

} // namespace broker
