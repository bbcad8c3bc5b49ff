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
  /// No error.
  none = 0,
  /// An error without a more specific code.
  unspecified = 1,
  /// The peer speaks no compatible protocol version.
  peer_incompatible = 2,
  /// The referenced peer does not exist.
  peer_invalid = 3,
  /// A connection attempt to a peer failed.
  peer_unavailable = 4,
  /// The peer disconnected during the handshake.
  peer_disconnect_during_handshake = 5,
  /// A peering handshake timed out.
  peer_timeout = 6,
  /// A store master of that name exists (data stores only).
  master_exists = 7,
  /// No store master of that name exists (data stores only).
  no_such_master = 8,
  /// The store key does not exist (data stores only).
  no_such_key = 9,
  /// A store request timed out (data stores only).
  request_timeout = 10,
  /// An operation expected another type (data stores only).
  type_clash = 11,
  /// A value does not fit the operation (data stores only).
  invalid_data = 12,
  /// The store backend failed (data stores only).
  backend_failure = 13,
  /// A clone has not synchronised with its master (data stores only).
  stale_data = 14,
  /// Opening a file failed.
  cannot_open_file = 15,
  /// Writing to a file failed.
  cannot_write_file = 16,
  /// A topic is invalid, e.g. longer than `topic::max_size`.
  invalid_topic_key = 17,
  /// Reached the end of an input file.
  end_of_file = 18,
  /// An unknown type tag was received.
  invalid_tag = 19,
  /// A malformed message was received.
  invalid_message = 20,
  /// An invalid status was deserialised.
  invalid_status = 21,
  /// Converting between types or formats failed.
  conversion_failed = 22,
  /// The consumer was added to the producer before.
  consumer_exists = 23,
  /// A remote endpoint did not respond in time.
  connection_timeout = 24,
  /// A member function was called without its preconditions.
  bad_member_function_call = 25,
  /// A request ID was used twice.
  repeated_request_id = 26,
  /// A clone ran out of sync with its master (data stores only).
  broken_clone = 27,
  /// An operation was cancelled because the endpoint shuts down.
  shutting_down = 28,
  /// A peering request is invalid (e.g. with this endpoint itself).
  invalid_peering_request = 29,
  /// A second handshake started before the first one completed.
  repeated_peering_handshake_request = 30,
  /// An unexpected or duplicate handshake message arrived.
  unexpected_handshake_message = 31,
  /// The handshake made an invalid state transition.
  invalid_handshake_state = 32,
  /// No path to the receiver of a message exists.
  no_path_to_peer = 33,
  /// No connector is available to accept or establish peerings.
  no_connector_available = 34,
  /// Opening a resource failed.
  cannot_open_resource = 35,
  /// Serialising an object failed.
  serialization_failed = 36,
  /// Deserialising input (binary or JSON) failed.
  deserialization_failed = 37,
  /// The peer's handshake does not start with Broker's magic number.
  wrong_magic_number = 38,
  /// A connection closed because another one to the same peer exists.
  redundant_connection = 39,
  /// An internal logic error.
  logic_error = 40,
  /// JSON input is malformed (not a valid `drop_conn` code).
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

  /// Constructs an error with `code`, no context and no message.
  error(ec code) : code_(code) {}

  /// Constructs an error with `code` and `message`.
  error(ec code, std::string message)
      : code_(code), message_(std::move(message)) {}

  /// Constructs an error with `code`, `context` and `message`.
  error(ec code, endpoint_info context, std::string message)
      : code_(code), context_(std::move(context)),
        message_(std::move(message)) {}

  /// Returns whether this is an actual error (code other than `ec::none`).
  [[nodiscard]] bool valid() const noexcept { return code_ != ec::none; }

  /// Returns `valid()`.
  explicit operator bool() const noexcept { return valid(); }

  /// Returns `!valid()`.
  bool operator!() const noexcept { return !valid(); }

  /// Returns the code (`ec::none` for no error).
  [[nodiscard]] ec code() const noexcept { return code_; }

  /// Returns the message, or `nullptr` if there is none.
  [[nodiscard]] const std::string* message() const noexcept {
    return message_ ? &*message_ : nullptr;
  }

  /// Returns the context, or `nullptr` if there is none.
  [[nodiscard]] const endpoint_info* context() const noexcept {
    return context_ ? &*context_ : nullptr;
  }

  /// Returns whether code, context and message are equal.
  friend bool operator==(const error& x, const error& y) {
    return x.code_ == y.code_ && x.context_ == y.context_ &&
           x.message_ == y.message_;
  }

  /// Returns whether `x` has the code `y`.
  friend bool operator==(const error& x, ec y) noexcept { return x.code_ == y; }

  /// Returns whether `y` has the code `x`.
  friend bool operator==(ec x, const error& y) noexcept { return x == y.code_; }

  /// Returns whether code, context or message differ.
  friend bool operator!=(const error& x, const error& y) { return !(x == y); }

  /// Returns whether `x` does not have the code `y`.
  friend bool operator!=(const error& x, ec y) noexcept { return !(x == y); }

  /// Returns whether `y` does not have the code `x`.
  friend bool operator!=(ec x, const error& y) noexcept { return !(x == y); }

private:
  ec code_ = ec::none;
  std::optional<endpoint_info> context_;
  std::optional<std::string> message_;
};

/// Returns `error{code}`.
inline error make_error(ec code) {
  return error{code};
}

/// Returns `error{code, message}`.
inline error make_error(ec code, std::string message) {
  return error{code, std::move(message)};
}

/// Returns `error{code, info, message}`.
inline error make_error(ec code, endpoint_info info, std::string message) {
  return error{code, std::move(info), std::move(message)};
}

/// Writes upstream's rendering: `none`, `<code>("<msg>")` or
/// `<code>(<endpoint_info>, "<msg>")`.
void convert(const error& x, std::string& str);

/// Converts to `["error", enum <code>, <context>]` where context is `nil`,
/// `[msg]` or `[<endpoint_info>, msg]` (spec: upstream-broker.md §2.3).
/// Always returns `true`.
bool convert(const error& x, data& dst);

/// Converts from the layout above.
/// @returns `false` (leaving `x` untouched) if `src` does not have it.
bool convert(const data& src, error& x);

/// Writes the `convert` rendering.
std::ostream& operator<<(std::ostream& out, const error& x);

/// Writes `enum_str(x)`.
std::ostream& operator<<(std::ostream& out, ec x);

} // namespace broker
