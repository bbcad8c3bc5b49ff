#pragma once

// Broker's JSON v1 encoding of data (the WebSocket API's format, spec:
// upstream-broker.md §5.3-§5.4), for tools and applications that read or
// write JSON themselves: `broker-node --json`, scripts, log shippers.

#include "broker/data.hh"
#include "broker/expected.hh"
#include "broker/message.hh"
#include "broker/topic.hh"

#include <string>
#include <string_view>

namespace broker {

/// Returns `x` in the nested JSON v1 form, e.g. `{"@data-type":"count",
/// "data":42}` (compact, keys in this order). Thread-safe.
[[nodiscard]] std::string to_json(const data& x);

/// Returns a WebSocket data-message frame: `{"type":"data-message",
/// "topic":<t>,"@data-type":<type>,"data":<value>}`. Thread-safe.
[[nodiscard]] std::string to_json(const topic& t, const data& x);

/// Returns `to_json(get_topic(msg), get_data(msg))`.
/// @pre `msg != nullptr`
[[nodiscard]] std::string to_json(const data_message& msg);

/// Parses the nested form written by `to_json(const data&)`. Never throws
/// for bad input; nesting is bounded (128 container levels). Thread-safe.
/// @returns the value, or an error with code `ec::deserialization_failed`
///          whose message says what was wrong and where (e.g. "syntax error
///          at offset 12").
[[nodiscard]] expected<data> data_from_json(std::string_view text);

/// Parses a data-message frame as `to_json(const topic&, const data&)`
/// writes it. Same guarantees and errors as `data_from_json`.
[[nodiscard]] expected<data_message>
data_message_from_json(std::string_view text);

/// Returns `str` as a JSON string literal (with the quotes): `"`, `\` and
/// control characters escaped, all other bytes as they are.
[[nodiscard]] std::string json_quote(std::string_view str);

} // namespace broker
