#pragma once

// JSON v1 of Broker's WebSocket API (spec: upstream-broker.md §5.2-§5.4,
// DESIGN.md §6). Pure code: standard library and the public value types;
// the parser behind `decode` (Boost.JSON) stays inside json.cc, so this
// header may be included by layers that must not see Boost.
//
// Output matches upstream byte for byte except where DESIGN.md §6 says we do
// better: reals are written as the shortest text that reads back to the same
// double (always with a fraction or exponent, so they read back as reals),
// control characters as valid JSON escapes, timestamps before 1970 with
// exact milliseconds. Input is accepted as upstream accepts it (`nan`,
// `\v`, raw control bytes in strings), plus `inf`/`-inf` (so that all our
// output reads back) and the timespan unit `d`.

#include "broker/data.hh"
#include "broker/endpoint_id.hh"
#include "broker/error.hh"
#include "broker/filter_type.hh"
#include "broker/topic.hh"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace broker::format::json::v1 {

// -- limits -------------------------------------------------------------------

/// Deepest nesting of containers a decoded value may have; the same cap as
/// the binary decoder's (`bin::v1::max_nesting_depth`), so that whatever we
/// decode from JSON also travels on the native wire.
inline constexpr size_t max_nesting_depth = 128;

/// Deepest JSON nesting the parser accepts: a table level takes three JSON
/// levels (entry list, entry object, key/value object), plus the message
/// object, its `data` array and the innermost value object with its `data`.
/// Bounds the recursion of the JSON parser.
inline constexpr size_t max_json_depth = 3 * max_nesting_depth + 4;

// -- encoding -----------------------------------------------------------------

/// Appends `{"type":"data-message","topic":<t>,"@data-type":<type>,"data":
/// <value>}` (compact, keys in exactly this order, spec: §5.3).
void encode(const topic& t, const data& x, std::string& out);

/// Appends exactly what `encode(t, x, out)` appends, for the value `x`
/// whose binary wire form (v1) is `bytes[0..size)`, reading it in place
/// instead of building `x` first (WebSocket clients receive messages that
/// arrived or were published in wire form).
/// @returns false (and appends nothing) if the bytes are no valid value.
[[nodiscard]] bool encode_wire(const topic& t, const uint8_t* bytes,
                               size_t size, std::string& out);

/// Appends `{"@data-type":<type>,"data":<value>}` (the nested form used
/// inside containers, spec: §5.4).
void encode_value(const data& x, std::string& out);

/// Returns the `@data-type` name of a type (`"count"`, `"enum-value"`, ...).
std::string_view type_name(data::type x) noexcept;

// -- decoding -----------------------------------------------------------------

/// What kind of problem made `decode` fail. The WebSocket layer composes
/// upstream's error frame texts from it (spec: §5.3).
enum class decode_errc : uint8_t {
  /// Not valid JSON (as upstream reads JSON): "contained malformed JSON".
  malformed_json,
  /// Valid JSON, but not an object: "expected a JSON object".
  not_an_object,
  /// Unknown `@data-type`, wrong JSON kind for `data`, a missing field,
  /// unparsable address/subnet/port/timestamp/timespan, a number out of
  /// range, nesting too deep: "contained invalid data".
  invalid_data,
  /// The value converts but is no valid Broker value (duplicate set element
  /// or table key): "caused an internal error".
  internal_error,
};

/// Returns the enumerator's name (`"malformed_json"`, ...).
std::string_view enum_str(decode_errc x) noexcept;

/// Why `decode` failed: the kind, the `ec` to report (always
/// `ec::deserialization_failed`, as upstream) and a reason that names the
/// field and value, e.g. "subnet prefix length 33 exceeds 32 for IPv4
/// 10.0.0.0" or "syntax error at offset 12".
struct decode_error {
  decode_errc kind = decode_errc::malformed_json;
  ec code = ec::deserialization_failed;
  std::string reason;
};

/// Decodes one data-message frame. The `type` field is not checked and a
/// missing (or non-string) `topic` yields an empty topic, as upstream does.
/// Returns immediately; never throws for bad input, never recurses deeper
/// than `max_json_depth`, and allocates only in proportion to `text`.
/// Thread-safe (the parser's buffers are per thread).
/// @returns `true` on success; otherwise `false` with `err` filled in, and
///          `t` and `x` in an unspecified valid state.
[[nodiscard]] bool decode(std::string_view text, topic& t, data& x,
                          decode_error& err);

/// Like `decode`, but appends the value's binary wire form (v1) to `out`
/// instead of building it: exactly what `bin::v1::encode` appends for the
/// value `decode` yields, and the same `err` where `decode` fails (then
/// `out` keeps its size). A message as encoders write it (`@data-type`
/// before `data`, no sets or tables) is transcoded while it is parsed, in
/// one pass without allocations of its own; anything else is decoded
/// through the parsed document, as `decode` does.
[[nodiscard]] bool decode_wire(std::string_view text, topic& t,
                               std::vector<uint8_t>& out, decode_error& err);

/// Decodes a nested value `{"@data-type":<type>,"data":<value>}` (the
/// inverse of `encode_value`). Same guarantees as `decode`.
[[nodiscard]] bool decode_value(std::string_view text, data& x,
                                decode_error& err);

/// Decodes the first client frame: a JSON array of strings (topic prefixes,
/// spec: §5.2); `[]` is valid (publish-only client). The result is a proper
/// `filter_type` (sorted, without entries covered by a shorter prefix),
/// which matches the same topics as the list the client sent.
/// @returns `true` on success; otherwise `false` with `reason` saying what
///          was wrong (e.g. "element 2 is a number, expected a string").
[[nodiscard]] bool decode_filter(std::string_view text, filter_type& out,
                                 std::string& reason);

// -- control frames -----------------------------------------------------------

/// Returns `{"type":"ack","endpoint":"<id>","version":"<version>"}` (spec:
/// §5.2; `version` is JSON-escaped).
std::string make_ack(const endpoint_id& id, std::string_view version);

/// Returns `{"type":"error","code":"<ec name>","context":"<text>"}` (spec:
/// §5.3; `context` is JSON-escaped).
std::string make_error(ec code, std::string_view context);

/// Appends `str` as a JSON string literal: `"`, `\` and control characters
/// escaped (`\b \f \n \r \t`, others as `\u00XX`), all other bytes raw.
void append_string(std::string_view str, std::string& out);

} // namespace broker::format::json::v1
