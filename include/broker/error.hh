#pragma once

#include "broker/convert.hh"
#include "broker/endpoint_info.hh"
#include "broker/fwd.hh"

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace broker {

/// Broker's error codes, with upstream's numeric values (spec:
/// upstream-broker.md §2.2). These numbers travel in `drop_conn` messages.
enum class ec : uint8_t {
  none = 0,
  unspecified = 1,
  peer_incompatible = 2,
  peer_invalid = 3,
  peer_unavailable = 4,
  peer_disconnect_during_handshake = 5,
  peer_timeout = 6,
  master_exists = 7,
  no_such_master = 8,
  no_such_key = 9,
  request_timeout = 10,
  type_clash = 11,
  invalid_data = 12,
  backend_failure = 13,
  stale_data = 14,
  cannot_open_file = 15,
  cannot_write_file = 16,
  invalid_topic_key = 17,
  end_of_file = 18,
  invalid_tag = 19,
  invalid_message = 20,
  invalid_status = 21,
  conversion_failed = 22,
  consumer_exists = 23,
  connection_timeout = 24,
  bad_member_function_call = 25,
  repeated_request_id = 26,
  broken_clone = 27,
  shutting_down = 28,
  invalid_peering_request = 29,
  repeated_peering_handshake_request = 30,
  unexpected_handshake_message = 31,
  invalid_handshake_state = 32,
  no_path_to_peer = 33,
  no_connector_available = 34,
  cannot_open_resource = 35,
  serialization_failed = 36,
  deserialization_failed = 37,
  wrong_magic_number = 38,
  redundant_connection = 39,
  logic_error = 40,
  invalid_json = 41,
};

/// Returns the enumerator's name (`"peer_unavailable"`). Unlike upstream,
/// `invalid_json` has a name too.
std::string_view enum_str(ec code) noexcept;

/// Writes `enum_str(code)`.
void convert(ec code, std::string& str);

/// Parses an enumerator's name.
[[nodiscard]] bool convert(std::string_view str, ec& code) noexcept;

/// Returns whether `x` is a code that a received `drop_conn` may carry: as
/// upstream's `convertible_to_ec`, only the values below 41 (`none` up to
/// `logic_error`). `invalid_json` (41) is an `ec`, but on the wire it counts
/// as a decode error (spec: upstream-broker.md §2.2 quirk, §4.3).
constexpr bool convertible_to_ec(uint8_t x) noexcept {
  return x < static_cast<uint8_t>(ec::invalid_json);
}

/// An error: a code from `ec` plus optional context (an `endpoint_info`) and
/// message. A default-constructed error means "no error".
///
/// Thread safety: a value type; distinct objects may be used concurrently.
class error {
public:
  /// Constructs "no error" (`ec::none`).
  error() noexcept = default;

  error(ec code) : code_(code) {}

  error(ec code, std::string message)
      : code_(code), message_(std::move(message)) {}

  error(ec code, endpoint_info context, std::string message)
      : code_(code), context_(std::move(context)),
        message_(std::move(message)) {}

  /// Returns whether this is an actual error (code other than `ec::none`).
  [[nodiscard]] bool valid() const noexcept { return code_ != ec::none; }

  explicit operator bool() const noexcept { return valid(); }

  bool operator!() const noexcept { return !valid(); }

  [[nodiscard]] ec code() const noexcept { return code_; }

  /// Returns the message, or `nullptr` if there is none.
  [[nodiscard]] const std::string* message() const noexcept {
    return message_ ? &*message_ : nullptr;
  }

  /// Returns the context, or `nullptr` if there is none.
  [[nodiscard]] const endpoint_info* context() const noexcept {
    return context_ ? &*context_ : nullptr;
  }

  friend bool operator==(const error& x, const error& y) {
    return x.code_ == y.code_ && x.context_ == y.context_ &&
           x.message_ == y.message_;
  }

  friend bool operator==(const error& x, ec y) noexcept { return x.code_ == y; }

  friend bool operator==(ec x, const error& y) noexcept { return x == y.code_; }

  friend bool operator!=(const error& x, const error& y) { return !(x == y); }

  friend bool operator!=(const error& x, ec y) noexcept { return !(x == y); }

  friend bool operator!=(ec x, const error& y) noexcept { return !(x == y); }

private:
  ec code_ = ec::none;
  std::optional<endpoint_info> context_;
  std::optional<std::string> message_;
};

inline error make_error(ec code) {
  return error{code};
}

inline error make_error(ec code, std::string message) {
  return error{code, std::move(message)};
}

inline error make_error(ec code, endpoint_info info, std::string message) {
  return error{code, std::move(info), std::move(message)};
}

/// Writes upstream's rendering: `none`, `<code>("<msg>")` or
/// `<code>(<endpoint_info>, "<msg>")`.
void convert(const error& x, std::string& str);

/// Converts to `["error", enum <code>, <context>]` where context is `nil`,
/// `[msg]` or `[<endpoint_info>, msg]` (spec: upstream-broker.md §2.3).
bool convert(const error& x, data& dst);

/// Converts from the layout above.
/// @returns `false` (leaving `x` untouched) if `src` does not have it.
bool convert(const data& src, error& x);

std::ostream& operator<<(std::ostream& out, const error& x);

std::ostream& operator<<(std::ostream& out, ec x);

} // namespace broker
