// The public JSON helpers (broker/json.hh): thin wrappers of the JSON v1
// codec in format/json.hh.

#include "broker/json.hh"

#include "format/json.hh"

namespace broker {

namespace {

namespace codec = format::json::v1;

error to_error(codec::decode_error&& err) {
  return error{err.code, std::move(err.reason)};
}

} // namespace

std::string to_json(const data& x) {
  std::string result;
  codec::encode_value(x, result);
  return result;
}

std::string to_json(const topic& t, const data& x) {
  std::string result;
  codec::encode(t, x, result);
  return result;
}

std::string to_json(const data_message& msg) {
  return to_json(get_topic(msg), get_data(msg));
}

expected<data> data_from_json(std::string_view text) {
  data result;
  codec::decode_error err;
  if (!codec::decode_value(text, result, err))
    return to_error(std::move(err));
  return result;
}

expected<data_message> data_message_from_json(std::string_view text) {
  topic t;
  data x;
  codec::decode_error err;
  if (!codec::decode(text, t, x, err))
    return to_error(std::move(err));
  return make_data_message(std::move(t), std::move(x));
}

std::string json_quote(std::string_view str) {
  std::string result;
  codec::append_string(str, result);
  return result;
}

} // namespace broker
