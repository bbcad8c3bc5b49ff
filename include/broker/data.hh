#pragma once

#include "broker/address.hh"
#include "broker/enum_value.hh"
#include "broker/fwd.hh"
#include "broker/none.hh"
#include "broker/port.hh"
#include "broker/subnet.hh"
#include "broker/time.hh"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace broker {

/// Zeek's `bool`.
using boolean = bool;
/// Zeek's `count`: an unsigned 64-bit integer.
using count = uint64_t;
/// Zeek's `int`: a signed 64-bit integer.
using integer = int64_t;
/// Zeek's `double`.
using real = double;

namespace detail {

/// Whether `T` is a `std::chrono::duration`.
template <class T>
struct is_duration : std::false_type {};

/// Matches every `std::chrono::duration`.
template <class Rep, class Period>
struct is_duration<std::chrono::duration<Rep, Period>> : std::true_type {};

/// Whether `T` is a time point of `std::chrono::system_clock`.
template <class T>
struct is_system_time_point : std::false_type {};

/// Matches system-clock time points of any duration.
template <class Duration>
struct is_system_time_point<
    std::chrono::time_point<std::chrono::system_clock, Duration>>
    : std::true_type {};

/// Maps a C++ type to the `data` alternative that stores it (`void*` if none):
/// bool -> boolean, unsigned integers -> count, signed integers -> integer,
/// floating point -> real, strings -> std::string, durations -> timespan,
/// system-clock time points -> timestamp, Broker types -> themselves.
template <class T>
auto data_alternative() {
  using std::is_same_v;
  if constexpr (is_same_v<T, bool>)
    return bool{};
  else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>)
    return count{};
  else if constexpr (std::is_integral_v<T>)
    return integer{};
  else if constexpr (std::is_floating_point_v<T>)
    return real{};
  else if constexpr (is_same_v<T, std::string> || is_same_v<T, const char*> ||
                     is_same_v<T, char*> || is_same_v<T, std::string_view>)
    return std::string{};
  else if constexpr (is_duration<T>::value)
    return timespan{};
  else if constexpr (is_system_time_point<T>::value)
    return timestamp{};
  else if constexpr (is_same_v<T, none> || is_same_v<T, address> ||
                     is_same_v<T, subnet> || is_same_v<T, port> ||
                     is_same_v<T, enum_value> || is_same_v<T, set> ||
                     is_same_v<T, table> || is_same_v<T, vector>)
    return T{};
  else
    return static_cast<void*>(nullptr);
}

/// The `data` alternative for `std::decay_t<T>` (`void*` if none).
template <class T>
using data_alternative_t = decltype(data_alternative<std::decay_t<T>>());

/// Whether a `data` can be constructed from a `T`.
template <class T>
inline constexpr bool is_data_constructible_v =
    !std::is_same_v<data_alternative_t<T>, void*>;

} // namespace detail

/// A Broker value: one of the 15 types that travel on the wire (spec:
/// upstream-broker.md §4.6). The alternatives are ordered like the wire tags,
/// so comparing two values compares the type first, then the value; this is
/// upstream's total order and the order in which sets and tables are encoded.
///
/// Thread safety: a value type; distinct objects may be used concurrently,
/// one object may be read concurrently.
class data {
public:
  /// The alternatives, numbered like the binary wire tags.
  enum class type : uint8_t {
    none,
    boolean,
    count,
    integer,
    real,
    string,
    address,
    subnet,
    port,
    timestamp,
    timespan,
    enum_value,
    set,
    table,
    vector,
  };

  /// The variant that holds the value; its index is the `type`.
  using variant_type =
      std::variant<none, boolean, count, integer, real, std::string, address,
                   subnet, port, timestamp, timespan, enum_value, broker::set,
                   broker::table, broker::vector>;

  /// Constructs `nil`.
  data() noexcept = default;

  /// Copies the value (containers deeply).
  data(const data&) = default;

  /// Moves the value; the source is left valid but unspecified.
  data(data&&) noexcept = default;

  /// Replaces the value with a copy of the other's.
  data& operator=(const data&) = default;

  /// Replaces the value with the other's (moved).
  data& operator=(data&&) noexcept = default;

  /// Constructs a value from any type that maps to an alternative (see
  /// `detail::data_alternative`), e.g. `data{42}` is an integer and
  /// `data{42u}` a count.
  template <class T,
            class = std::enable_if_t<!std::is_same_v<std::decay_t<T>, data> &&
                                     detail::is_data_constructible_v<T>>>
  data(T&& x) : data_(convert_arg(std::forward<T>(x))) {}

  /// Returns which alternative is held.
  [[nodiscard]] type get_type() const noexcept {
    return static_cast<type>(data_.index());
  }

  /// Returns the name of the held alternative (`"count"`, `"vector"`, ...).
  [[nodiscard]] const char* get_type_name() const noexcept;

  /// Returns the variant that holds the value (mutable).
  [[nodiscard]] variant_type& get_data() noexcept { return data_; }

  /// Returns the variant that holds the value.
  [[nodiscard]] const variant_type& get_data() const noexcept { return data_; }

  /// Returns whether this is `nil`.
  [[nodiscard]] bool is_none() const noexcept { return data_.index() == 0; }

  /// Returns a hash consistent with `==` (used by `std::hash<data>`).
  [[nodiscard]] size_t hash() const noexcept;

private:
  template <class T>
  static auto convert_arg(T&& x) {
    using alt = detail::data_alternative_t<T>;
    using arg = std::decay_t<T>;
    if constexpr (std::is_same_v<alt, timespan> && !std::is_same_v<arg, alt>)
      return std::chrono::duration_cast<timespan>(x);
    else if constexpr (std::is_same_v<alt, timestamp> &&
                       !std::is_same_v<arg, alt>)
      return std::chrono::time_point_cast<timespan>(x);
    else if constexpr (std::is_same_v<alt, std::string> &&
                       !std::is_same_v<arg, std::string>)
      return std::string{x};
    else if constexpr (std::is_same_v<alt, arg>)
      return std::forward<T>(x);
    else
      return static_cast<alt>(x);
  }

  variant_type data_;
};

/// Returns the name of a type (`"none"`, `"boolean"`, ..., `"vector"`).
const char* to_string(data::type x) noexcept;

// -- comparison ---------------------------------------------------------------

/// Returns whether `x` and `y` hold the same alternative and value.
inline bool operator==(const data& x, const data& y) {
  return x.get_data() == y.get_data();
}
/// Returns whether `x` and `y` differ in alternative or value.
inline bool operator!=(const data& x, const data& y) {
  return x.get_data() != y.get_data();
}
/// Returns whether `x` sorts before `y`: by alternative, then by value.
inline bool operator<(const data& x, const data& y) {
  return x.get_data() < y.get_data();
}
/// Returns whether `x` sorts before `y` or equals it.
inline bool operator<=(const data& x, const data& y) {
  return x.get_data() <= y.get_data();
}
/// Returns whether `x` sorts after `y`.
inline bool operator>(const data& x, const data& y) {
  return x.get_data() > y.get_data();
}
/// Returns whether `x` sorts after `y` or equals it.
inline bool operator>=(const data& x, const data& y) {
  return x.get_data() >= y.get_data();
}

// -- access -------------------------------------------------------------------

/// Returns the held `T`.
/// @throws std::bad_variant_access if `x` holds another alternative.
template <class T>
T& get(data& x) {
  return std::get<T>(x.get_data());
}

/// @copydoc get
template <class T>
const T& get(const data& x) {
  return std::get<T>(x.get_data());
}

/// Returns a pointer to the held `T`, or `nullptr` if `x` holds another
/// alternative (or is `nullptr`).
template <class T>
T* get_if(data* x) noexcept {
  return x ? std::get_if<T>(&x->get_data()) : nullptr;
}

/// @copydoc get_if
template <class T>
const T* get_if(const data* x) noexcept {
  return x ? std::get_if<T>(&x->get_data()) : nullptr;
}

/// @copydoc get_if
template <class T>
T* get_if(data& x) noexcept {
  return std::get_if<T>(&x.get_data());
}

/// @copydoc get_if
template <class T>
const T* get_if(const data& x) noexcept {
  return std::get_if<T>(&x.get_data());
}

/// Returns whether `x` holds a `T`.
template <class T>
bool is(const data& x) noexcept {
  return std::holds_alternative<T>(x.get_data());
}

/// Calls `f` with the held alternative.
template <class Visitor>
decltype(auto) visit(Visitor&& f, data& x) {
  return std::visit(std::forward<Visitor>(f), x.get_data());
}

/// @copydoc visit
template <class Visitor>
decltype(auto) visit(Visitor&& f, const data& x) {
  return std::visit(std::forward<Visitor>(f), x.get_data());
}

// -- text ---------------------------------------------------------------------

/// Writes upstream Broker's `to_string` rendering (spec vectors
/// `to_string.txt`): `nil`, `T`/`F`, reals with six decimals, `{a, b}` for
/// sets, `{k -> v}` for tables, `(a, b)` for vectors.
void convert(const data& x, std::string& str);

/// @copydoc convert(const data&, std::string&)
void convert(const set& x, std::string& str);

/// @copydoc convert(const data&, std::string&)
void convert(const table& x, std::string& str);

/// @copydoc convert(const data&, std::string&)
void convert(const vector& x, std::string& str);

/// Returns the `to_string` rendering of `x`.
std::string to_string(const data& x);

/// @copydoc to_string(const data&)
std::string to_string(const set& x);

/// @copydoc to_string(const data&)
std::string to_string(const table& x);

/// @copydoc to_string(const data&)
std::string to_string(const vector& x);

/// Writes `to_string(x)`.
std::ostream& operator<<(std::ostream& out, const data& x);

} // namespace broker

namespace std {

/// Hashes values with `data::hash`.
template <>
struct hash<broker::data> {
  /// Returns `x.hash()`.
  size_t operator()(const broker::data& x) const noexcept { return x.hash(); }
};

} // namespace std
