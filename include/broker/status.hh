#pragma once

#include "broker/endpoint_info.hh"
#include "broker/error.hh"
#include "broker/fwd.hh"

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace broker {

/// Broker's status codes, with upstream's numeric values (spec:
/// upstream-broker.md §2.1).
enum class sc : uint8_t {
  /// A default-constructed status.
  unspecified = 0,
  /// A direct peering completed its handshake.
  peer_added = 1,
  /// This side ended a direct peering (unpeer, shutdown, overflow).
  peer_removed = 2,
  /// A direct peering ended for any other reason.
  peer_lost = 3,
  /// A new endpoint became reachable.
  endpoint_discovered = 4,
  /// The last path to an endpoint disappeared.
  endpoint_unreachable = 5,
};

/// Returns the enumerator's name (`"peer_added"`).
std::string_view enum_str(sc code) noexcept;

/// Writes `enum_str(code)`.
void convert(sc code, std::string& str);

/// Parses an enumerator's name.
[[nodiscard]] bool convert(std::string_view str, sc& code) noexcept;

/// A status code as a type, for `status::make`.
/// @relates sc
template <sc S>
using sc_constant = std::integral_constant<sc, S>;

/// A status event: a code, the endpoint it concerns and a message.
///
/// Thread safety: a value type; distinct objects may be used concurrently.
class status {
public:
  /// Returns a status with code `S`, which must not be `sc::unspecified`
  /// (checked at compile time).
  template <sc S>
  static status make(endpoint_info ei, std::string msg) {
    static_assert(S != sc::unspecified);
    return status{S, std::move(ei), std::move(msg)};
  }

  /// Returns a status with code `S`, given as a tag value.
  template <sc S>
  static status make(sc_constant<S>, endpoint_info ei, std::string msg) {
    return make<S>(std::move(ei), std::move(msg));
  }

  /// Returns a status with code `S` for `node`, without network info.
  template <sc S>
  static status make(endpoint_id node, std::string msg) {
    return make<S>(endpoint_info{node, std::nullopt}, std::move(msg));
  }

  /// Constructs a status with a run-time code. `code` must not be
  /// `sc::unspecified`.
  static status make(sc code, endpoint_info ei, std::string msg) {
    return status{code, std::move(ei), std::move(msg)};
  }

  /// Constructs an unspecified status.
  status() = default;

  /// Returns the code.
  [[nodiscard]] sc code() const noexcept { return code_; }

  /// Returns the endpoint this status concerns, or `nullptr` for an
  /// unspecified status.
  template <class T = endpoint_info>
  [[nodiscard]] const T* context() const noexcept {
    static_assert(std::is_same_v<T, endpoint_info>,
                  "a status carries an endpoint_info");
    return code_ != sc::unspecified ? &context_ : nullptr;
  }

  /// Returns the message (never `nullptr`).
  [[nodiscard]] const std::string* message() const noexcept {
    return &message_;
  }

  /// Returns whether code, context and message are equal.
  friend bool operator==(const status& x, const status& y) {
    return x.code_ == y.code_ && x.context_ == y.context_ &&
           x.message_ == y.message_;
  }

  /// Returns whether `x` has the code `y`.
  friend bool operator==(const status& x, sc y) noexcept {
    return x.code_ == y;
  }

  /// Returns whether `y` has the code `x`.
  friend bool operator==(sc x, const status& y) noexcept {
    return x == y.code_;
  }

  /// Returns whether code, context or message differ.
  friend bool operator!=(const status& x, const status& y) { return !(x == y); }

  /// Returns whether `x` does not have the code `y`.
  friend bool operator!=(const status& x, sc y) noexcept { return !(x == y); }

  /// Returns whether `y` does not have the code `x`.
  friend bool operator!=(sc x, const status& y) noexcept { return !(x == y); }

private:
  status(sc code, endpoint_info context, std::string message)
      : code_(code), context_(std::move(context)),
        message_(std::move(message)) {}

  sc code_ = sc::unspecified;
  endpoint_info context_;
  std::string message_;
};

/// Returns `status::make<S>(xs...)`.
/// @relates status
template <sc S, class... Ts>
status make_status(Ts&&... xs) {
  return status::make<S>(std::forward<Ts>(xs)...);
}

/// Writes upstream's rendering: `<code>(<id>, <addr>:<port>, "<msg>")`,
/// `<code>(<id>, "<msg>")` or `unspecified("<msg>")`.
void convert(const status& x, std::string& str);

/// Converts to `["status", enum <code>, <endpoint_info>, msg]`; an
/// unspecified status has `nil` for the last two fields (spec:
/// upstream-broker.md §2.3).
/// Always returns `true`.
bool convert(const status& x, data& dst);

/// Converts from the layout above.
/// @returns `false` (leaving `x` untouched) if `src` does not have it.
bool convert(const data& src, status& x);

/// Writes the `convert` rendering.
std::ostream& operator<<(std::ostream& out, const status& x);

/// Writes `enum_str(x)`.
std::ostream& operator<<(std::ostream& out, sc x);

} // namespace broker
