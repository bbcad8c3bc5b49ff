// libFuzzer target for the JSON v1 decoder (src/format/json.hh, spec:
// upstream-broker.md §5.2-§5.4): any input must decode to a value or to a
// documented error, without crashing, recursing unboundedly or allocating
// out of proportion; every accepted value must survive a round trip, and
// its encoding must be canonical (encode . decode . encode = encode).
// The same input also goes through `decode_wire` (which must agree with
// `decode`), `decode_value` and `decode_filter`.

#include "format/json.hh"

#include "format/bin.hh"

#include <cstdlib>
#include <string>
#include <string_view>

namespace json = broker::format::json::v1;
namespace bin = broker::format::bin::v1;

namespace {

/// Replaces every timestamp by its value truncated to milliseconds (what
/// JSON carries, spec: §5.4). Returns false if that merges elements of a
/// set or keys of a table (then the encoding holds duplicates and cannot be
/// read back, as upstream's).
bool truncate_timestamps(broker::data& x) {
  using namespace broker;
  constexpr int64_t ns_per_ms = 1'000'000;
  if (auto ts = get_if<timestamp>(x)) {
    auto ns = ts->time_since_epoch().count();
    auto ms = ns / ns_per_ms - (ns % ns_per_ms < 0 ? 1 : 0);
    *ts = timestamp{timespan{ms * ns_per_ms}};
    return true;
  }
  if (auto xs = get_if<vector>(x)) {
    for (auto& y : *xs)
      if (!truncate_timestamps(y))
        return false;
    return true;
  }
  if (auto xs = get_if<set>(x)) {
    set result;
    for (auto y : *xs) {
      if (!truncate_timestamps(y) || !result.insert(std::move(y)).second)
        return false;
    }
    *xs = std::move(result);
    return true;
  }
  if (auto xs = get_if<table>(x)) {
    table result;
    for (const auto& [old_key, old_value] : *xs) {
      auto key = old_key;
      auto value = old_value;
      if (!truncate_timestamps(key) || !truncate_timestamps(value) ||
          !result.emplace(std::move(key), std::move(value)).second)
        return false;
    }
    *xs = std::move(result);
    return true;
  }
  return true;
}

void check_error(const json::decode_error& err) {
  if (err.code != broker::ec::deserialization_failed || err.reason.empty())
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view text{reinterpret_cast<const char*>(bytes), size};
  broker::topic t;
  broker::data value;
  json::decode_error err;
  auto ok = json::decode(text, t, value, err);
  // decode_wire agrees: the wire form of the same value, or the same error
  // with the buffer untouched.
  bin::byte_buffer wire{0x2a};
  broker::topic wire_topic;
  json::decode_error wire_err;
  if (json::decode_wire(text, wire_topic, wire, wire_err) != ok)
    std::abort();
  if (ok) {
    bin::byte_buffer expected{0x2a};
    bin::encode(value, expected);
    if (wire != expected || wire_topic != t)
      std::abort();
  } else if (wire.size() != 1 || wire_err.kind != err.kind ||
             wire_err.reason != err.reason) {
    std::abort();
  }
  if (!ok) {
    check_error(err);
  } else {
    std::string encoded;
    json::encode(t, value, encoded);
    if (truncate_timestamps(value)) {
      broker::topic t2;
      broker::data again;
      if (!json::decode(encoded, t2, again, err) || t2 != t)
        std::abort();
      // Compare the binary encodings: NaN != NaN, but both encode alike.
      if (bin::encode(again) != bin::encode(value))
        std::abort();
      std::string reencoded;
      json::encode(t2, again, reencoded);
      if (reencoded != encoded)
        std::abort();
    }
  }
  // The nested form and the filter decoder on the same bytes.
  broker::data nested;
  if (!json::decode_value(text, nested, err))
    check_error(err);
  broker::filter_type filter;
  std::string reason;
  if (!json::decode_filter(text, filter, reason)) {
    if (reason.empty() || !filter.empty())
      std::abort();
  }
  return 0;
}
