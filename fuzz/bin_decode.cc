// libFuzzer target for the binary data decoder (src/format/bin.hh, spec:
// upstream-broker.md §4.6): any input must decode to a value or to a
// deserialization error, without crashing, reading out of bounds or
// allocating unboundedly; every accepted value must survive a round trip.

#include "format/bin.hh"

#include "broker/zeek.hh"

#include <cstdlib>

namespace bin = broker::format::bin::v1;

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
  if (!ok) {
    if (err.code != broker::ec::deserialization_failed || err.reason.empty())
      std::abort();
    return 0;
  }
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
