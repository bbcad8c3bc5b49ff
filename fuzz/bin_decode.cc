// libFuzzer target for the binary data decoder (src/format/bin.hh, spec:
// upstream-broker.md §4.6): any input must decode to a value or to a
// deserialization error, without crashing, reading out of bounds or
// allocating unboundedly; every accepted value must survive a round trip.
// A `data_view` of the same bytes must stay inside them and, where they
// decode, read the same value.

#include "format/bin.hh"

#include "broker/data_view.hh"
#include "broker/zeek.hh"

#include <cstdlib>

namespace bin = broker::format::bin::v1;

namespace {

/// Deepest containers `walk` enters (each level re-skips its elements).
constexpr size_t max_walk_depth = 6;

/// Calls every accessor of `v` and walks its containers; the sum keeps the
/// reads from being optimized away.
size_t walk(const broker::data_view& v, size_t depth = 0) {
  size_t sum = static_cast<size_t>(v.type());
  sum += v.as_boolean().has_value() + v.as_count().has_value() +
         v.as_integer().has_value() + v.as_real().has_value() +
         v.as_address().has_value() + v.as_subnet().has_value() +
         v.as_port().has_value() + v.as_timestamp().has_value() +
         v.as_timespan().has_value();
  for (auto str : {v.as_string(), v.as_enum_name()})
    if (str && !str->empty())
      sum += static_cast<uint8_t>(str->back());
  if (depth == max_walk_depth)
    return sum;
  for (auto elements : {v.as_set(), v.as_vector()})
    if (elements)
      for (auto x : *elements)
        sum += walk(x, depth + 1);
  if (auto entries = v.as_table())
    for (auto [key, value] : *entries)
      sum += walk(key, depth + 1) + walk(value, depth + 1);
  return sum;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  broker::data value;
  bin::decode_error err;
  auto ok = bin::decode(bin::byte_span{bytes, size}, value, err);
  // The validator must agree with the decoder, to the error text.
  bin::decode_error verr;
  if (bin::validate(bin::byte_span{bytes, size}, verr) != ok ||
      (!ok && verr.reason != err.reason))
    std::abort();
  // Both must agree with the reference implementations behind their fast
  // paths: a fast path decides only successes.
  broker::data reference;
  bin::decode_error rerr;
  if (bin::detail::decode_reference(bin::byte_span{bytes, size}, reference,
                                    rerr) != ok ||
      (!ok && rerr.reason != err.reason) ||
      (ok && bin::encode(reference) != bin::encode(value)) ||
      bin::detail::validate_reference(bin::byte_span{bytes, size}, rerr) != ok)
    std::abort();
  broker::data_view view{bytes, bytes + size};
  static_cast<void>(walk(view));
  if (!ok) {
    if (err.code != broker::ec::deserialization_failed || err.reason.empty())
      std::abort();
    return 0;
  }
  if (bin::encode(view.to_data()) != bin::encode(value))
    std::abort();
  // Encoding is canonical (sorted containers, minimal varbytes, bool 0/1),
  // so the re-encoding must decode and encode to itself.
  auto encoded = bin::encode(value);
  broker::data again;
  if (!bin::decode(encoded, again, err) || bin::encode(again) != encoded)
    std::abort();
  // Exercise the other consumers of decoded values.
  static_cast<void>(broker::to_string(value));
  static_cast<void>(value.hash());
  static_cast<void>(broker::zeek::valid(value));
  return 0;
}
