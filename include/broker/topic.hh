#pragma once

#include "broker/convert.hh"

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace broker {

/// A topic: an arbitrary byte string, by convention separated by `/`.
/// Subscriptions match topics by plain string prefix (spec:
/// upstream-broker.md §3.1): `/foo` matches `/foobar`, `""` matches all.
///
/// Thread safety: a value type; distinct objects may be used concurrently.
class topic {
public:
  /// The conventional separator.
  static constexpr char sep = '/';

  /// Marks topics reserved for Broker itself.
  static constexpr std::string_view reserved = "<$>";

  /// Prefix of topics that never leave the endpoint.
  static constexpr std::string_view local_prefix = "<$>/local/";

  /// Topic of locally emitted error events.
  static constexpr std::string_view errors_str = "<$>/local/data/errors";

  /// Topic of locally emitted status events.
  static constexpr std::string_view statuses_str = "<$>/local/data/statuses";

  /// Topic of data-store events.
  static constexpr std::string_view store_events_str =
      "<$>/local/data/store-events";

  /// Largest topic the wire format can carry (u16 length field).
  static constexpr size_t max_size = 65535;

  /// Splits a topic into its `/`-separated components, dropping empty ones.
  static std::vector<std::string> split(const topic& t);

  /// Joins components with `/` (no duplicate or trailing separators).
  static topic join(const std::vector<std::string>& components);

  /// Returns the topic of error events (`errors_str`).
  static topic errors() { return topic{std::string{errors_str}}; }

  /// Returns the topic of status events (`statuses_str`).
  static topic statuses() { return topic{std::string{statuses_str}}; }

  /// Returns the topic of data-store events (`store_events_str`).
  static topic store_events() { return topic{std::string{store_events_str}}; }

  /// Constructs the empty topic (which matches every topic).
  topic() = default;

  /// Constructs a topic from `str` as it is.
  topic(std::string str) : str_(std::move(str)) {}

  /// Constructs a topic from `str` as it is.
  topic(std::string_view str) : str_(str) {}

  /// Constructs a topic from `str` as it is. @pre `str != nullptr`
  topic(const char* str) : str_(str) {}

  /// Appends `rhs` with exactly one separator in between.
  topic& operator/=(const topic& rhs);

  /// Returns the topic string.
  [[nodiscard]] const std::string& string() const noexcept { return str_; }

  /// Moves the topic string out of this (expiring) topic.
  [[nodiscard]] std::string&& move_string() && noexcept {
    return std::move(str_);
  }

  /// Returns whether this topic is a prefix of `t` (i.e. matches it).
  [[nodiscard]] bool prefix_of(const topic& t) const noexcept {
    return t.str_.compare(0, str_.size(), str_) == 0;
  }

  /// Returns the last component.
  [[nodiscard]] std::string_view suffix() const noexcept;

  /// Returns whether the topic string is empty.
  [[nodiscard]] bool empty() const noexcept { return str_.empty(); }

  /// Returns the length of the topic string in bytes.
  [[nodiscard]] size_t size() const noexcept { return str_.size(); }

private:
  std::string str_;
};

/// Returns whether `t` starts with `<$>/local/` (never advertised, never sent).
bool is_internal(const topic& t) noexcept;

/// Joins two topics with one separator.
topic operator/(const topic& lhs, const topic& rhs);

/// Returns whether the topic strings are equal.
inline bool operator==(const topic& x, const topic& y) noexcept {
  return x.string() == y.string();
}
/// Returns whether the topic strings differ.
inline bool operator!=(const topic& x, const topic& y) noexcept {
  return x.string() != y.string();
}
/// Returns whether the string of `x` sorts before that of `y`.
inline bool operator<(const topic& x, const topic& y) noexcept {
  return x.string() < y.string();
}
/// Returns whether the string of `x` sorts before that of `y` or equals it.
inline bool operator<=(const topic& x, const topic& y) noexcept {
  return x.string() <= y.string();
}
/// Returns whether the string of `x` sorts after that of `y`.
inline bool operator>(const topic& x, const topic& y) noexcept {
  return x.string() > y.string();
}
/// Returns whether the string of `x` sorts after that of `y` or equals it.
inline bool operator>=(const topic& x, const topic& y) noexcept {
  return x.string() >= y.string();
}

/// Writes the topic string.
inline void convert(const topic& x, std::string& str) {
  str = x.string();
}

/// Writes the topic string.
std::ostream& operator<<(std::ostream& out, const topic& x);

/// User-defined literals (inline: `using namespace broker` suffices).
inline namespace literals {

/// Returns the topic `str`, e.g. `"/zeek/events"_t`.
inline topic operator""_t(const char* str, size_t len) {
  return topic{std::string{str, len}};
}

} // namespace literals

} // namespace broker

namespace std {

/// Hashes topics by their string.
template <>
struct hash<broker::topic> {
  /// Returns the hash of `x.string()`.
  size_t operator()(const broker::topic& x) const noexcept {
    return hash<string>{}(x.string());
  }
};

} // namespace std
