#include "broker/error.hh"

#include "broker/data.hh"

#include <algorithm>
#include <ostream>

namespace broker {

namespace {

/// Names indexed by `ec` value (spec: upstream-broker.md §2.2). Upstream's
/// table ends at `logic_error`; we also name `invalid_json`.
constexpr std::string_view ec_names[] = {
    "none",
    "unspecified",
    "peer_incompatible",
    "peer_invalid",
    "peer_unavailable",
    "peer_disconnect_during_handshake",
    "peer_timeout",
    "master_exists",
    "no_such_master",
    "no_such_key",
    "request_timeout",
    "type_clash",
    "invalid_data",
    "backend_failure",
    "stale_data",
    "cannot_open_file",
    "cannot_write_file",
    "invalid_topic_key",
    "end_of_file",
    "invalid_tag",
    "invalid_message",
    "invalid_status",
    "conversion_failed",
    "consumer_exists",
    "connection_timeout",
    "bad_member_function_call",
    "repeated_request_id",
    "broken_clone",
    "shutting_down",
    "invalid_peering_request",
    "repeated_peering_handshake_request",
    "unexpected_handshake_message",
    "invalid_handshake_state",
    "no_path_to_peer",
    "no_connector_available",
    "cannot_open_resource",
    "serialization_failed",
    "deserialization_failed",
    "wrong_magic_number",
    "redundant_connection",
    "logic_error",
    "invalid_json",
};

static_assert(std::size(ec_names) == static_cast<size_t>(ec::invalid_json) + 1,
              "one name per ec value");

/// Type tag in field 0 of an error as data (spec: upstream-broker.md §2.3).
constexpr std::string_view error_tag = "error";

// Fields of the data layout ["error", enum code, context].
enum field : size_t {
  tag_field,
  code_field,
  context_field,
  num_fields,
};

/// Appends `str` in double quotes, escaping quotes, backslashes and the
/// common control characters as CAF's printer does for error contexts.
void append_quoted(const std::string& str, std::string& out) {
  out += '"';
  for (auto c : str) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      out += c;
    }
  }
  out += '"';
}

} // namespace

std::string_view enum_str(ec code) noexcept {
  auto index = static_cast<size_t>(code);
  // Values outside the enumeration have no name (upstream asserts).
  return index < std::size(ec_names) ? ec_names[index] : std::string_view{};
}

void convert(ec code, std::string& str) {
  str = enum_str(code);
}

bool convert(std::string_view str, ec& code) noexcept {
  auto i = std::find(std::begin(ec_names), std::end(ec_names), str);
  if (i == std::end(ec_names))
    return false;
  code = static_cast<ec>(i - std::begin(ec_names));
  return true;
}

void convert(const error& x, std::string& str) {
  if (!x) {
    str = "none";
    return;
  }
  str = enum_str(x.code());
  auto ctx = x.context();
  auto msg = x.message();
  if (!ctx && !msg)
    return;
  str += '(';
  if (ctx) {
    std::string tmp;
    convert(*ctx, tmp);
    str += tmp;
    if (msg)
      str += ", ";
  }
  if (msg)
    append_quoted(*msg, str);
  str += ')';
}

bool convert(const error& x, data& dst) {
  vector result(num_fields);
  result[tag_field] = std::string{error_tag};
  result[code_field] = enum_value{std::string{enum_str(x.code())}};
  if (x) {
    if (auto ctx = x.context()) {
      vector context(2);
      convert(*ctx, context[0]);
      if (auto msg = x.message())
        context[1] = *msg;
      else
        context[1] = std::string{};
      result[context_field] = std::move(context);
    } else if (auto msg = x.message()) {
      result[context_field] = vector{data{*msg}};
    }
  }
  dst = std::move(result);
  return true;
}

namespace {

/// Parses the context field of an error as data: `nil`, `[msg]` or
/// `[<endpoint_info>, msg]`.
bool parse_error_context(ec code, const data& context, error& x) {
  if (context.is_none()) {
    x = error{code};
    return true;
  }
  auto args = get_if<vector>(context);
  if (!args)
    return false;
  if (args->size() == 1) {
    auto msg = get_if<std::string>(args->front());
    if (!msg)
      return false;
    x = error{code, *msg};
    return true;
  }
  endpoint_info info;
  if (args->size() != 2 || !convert((*args)[0], info))
    return false;
  auto msg = get_if<std::string>((*args)[1]);
  if (!msg)
    return false;
  x = error{code, std::move(info), *msg};
  return true;
}

} // namespace

bool convert(const data& src, error& x) {
  auto xs = get_if<vector>(src);
  if (!xs || xs->size() != num_fields)
    return false;
  auto tag = get_if<std::string>((*xs)[tag_field]);
  auto name = get_if<enum_value>((*xs)[code_field]);
  ec code = ec::none;
  if (!tag || *tag != error_tag || !name || !convert(name->name, code))
    return false;
  error result;
  if (!parse_error_context(code, (*xs)[context_field], result))
    return false;
  // As upstream: code `none` means "no error", whatever the context says.
  x = code == ec::none ? error{} : std::move(result);
  return true;
}

std::ostream& operator<<(std::ostream& out, const error& x) {
  std::string str;
  convert(x, str);
  return out << str;
}

std::ostream& operator<<(std::ostream& out, ec x) {
  return out << enum_str(x);
}

} // namespace broker
