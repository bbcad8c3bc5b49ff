#include "broker/status.hh"

#include "broker/data.hh"

#include <algorithm>
#include <ostream>

namespace broker {

namespace {

/// Names indexed by `sc` value (spec: upstream-broker.md §2.1).
constexpr std::string_view sc_names[] = {
    "unspecified", "peer_added",          "peer_removed",
    "peer_lost",   "endpoint_discovered", "endpoint_unreachable",
};

/// Type tag in field 0 of a status as data (spec: upstream-broker.md §2.3).
constexpr std::string_view status_tag = "status";

// Fields of the data layout ["status", enum code, endpoint_info, message].
enum field : size_t {
  tag_field,
  code_field,
  context_field,
  message_field,
  num_fields,
};

} // namespace

std::string_view enum_str(sc code) noexcept {
  auto index = static_cast<size_t>(code);
  return index < std::size(sc_names) ? sc_names[index] : std::string_view{};
}

void convert(sc code, std::string& str) {
  str = enum_str(code);
}

bool convert(std::string_view str, sc& code) noexcept {
  auto i = std::find(std::begin(sc_names), std::end(sc_names), str);
  if (i == std::end(sc_names))
    return false;
  code = static_cast<sc>(i - std::begin(sc_names));
  return true;
}

void convert(const status& x, std::string& str) {
  // Upstream's format, message not escaped: `<code>(<id>, <net>, "<msg>")`,
  // `<code>(<id>, "<msg>")` or `<code>("<msg>")`.
  std::string tmp;
  str = enum_str(x.code());
  str += '(';
  if (auto ctx = x.context()) {
    convert(ctx->node, tmp);
    str += tmp;
    str += ", ";
    if (ctx->network) {
      convert(*ctx->network, tmp);
      str += tmp;
      str += ", ";
    }
  }
  str += '"';
  str += *x.message();
  str += "\")";
}

bool convert(const status& x, data& dst) {
  vector result(num_fields);
  result[tag_field] = std::string{status_tag};
  result[code_field] = enum_value{std::string{enum_str(x.code())}};
  if (auto ctx = x.context()) {
    convert(*ctx, result[context_field]);
    result[message_field] = *x.message();
  }
  dst = std::move(result);
  return true;
}

bool convert(const data& src, status& x) {
  auto xs = get_if<vector>(src);
  if (!xs || xs->size() != num_fields)
    return false;
  auto tag = get_if<std::string>((*xs)[tag_field]);
  auto name = get_if<enum_value>((*xs)[code_field]);
  sc code = sc::unspecified;
  if (!tag || *tag != status_tag || !name || !convert(name->name, code))
    return false;
  const auto& context = (*xs)[context_field];
  const auto& message = (*xs)[message_field];
  if (code == sc::unspecified) {
    // An unspecified status carries neither context nor message.
    if (!context.is_none() || !message.is_none())
      return false;
    x = status{};
    return true;
  }
  endpoint_info info;
  auto msg = get_if<std::string>(message);
  if (!msg || !convert(context, info))
    return false;
  x = status::make(code, std::move(info), *msg);
  return true;
}

std::ostream& operator<<(std::ostream& out, const status& x) {
  std::string str;
  convert(x, str);
  return out << str;
}

std::ostream& operator<<(std::ostream& out, sc x) {
  return out << enum_str(x);
}

} // namespace broker
