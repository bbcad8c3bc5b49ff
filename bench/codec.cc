// Measures the binary codec (src/format/bin.hh) on a typical Zeek event
// `[1, 1, ["ping", [count i, string of 50 bytes]]]`: prints the average
// time per message for encoding, for validating (what a receiving peering
// does before it forwards or delivers bytes) and for decoding; and for
// making, encoding and freeing a fresh event, which is what the publishing
// thread of `broker-bench throughput` does per message before the queue
// (so 1e9 / that figure bounds its rate, whatever the rest costs).
//
// Usage: broker-bench-codec [num-messages]   (default 1,000,000)

#include "format/bin.hh"

#include "broker/zeek.hh"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace bin = broker::format::bin::v1;

namespace {

/// Messages run through the codec by default.
constexpr size_t default_num_messages = 1'000'000;

/// Distinct messages cycled through (keeps memory small while the count
/// argument differs between messages).
constexpr size_t pool_size = 1'000;

/// Length of the string argument.
constexpr size_t payload_size = 50;

using clock_type = std::chrono::steady_clock;

double ns_per_message(clock_type::duration elapsed, size_t num_messages) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed);
  return static_cast<double>(ns.count()) / static_cast<double>(num_messages);
}

} // namespace

int main(int argc, char** argv) {
  size_t num_messages = default_num_messages;
  if (argc > 1)
    num_messages = std::strtoull(argv[1], nullptr, 10);
  if (num_messages == 0) {
    std::fprintf(stderr, "usage: %s [num-messages > 0]\n", argv[0]);
    return EXIT_FAILURE;
  }
  std::vector<broker::data> messages;
  messages.reserve(pool_size);
  for (size_t i = 0; i < pool_size; ++i) {
    broker::vector args{broker::data{broker::count{i}},
                        broker::data{std::string(payload_size, 'x')}};
    messages.emplace_back(
        broker::zeek::Event{"ping", std::move(args)}.move_data());
  }
  // Encode: one reused buffer, as a sender appends into its write buffer.
  bin::byte_buffer buf;
  size_t total_bytes = 0;
  auto start = clock_type::now();
  for (size_t i = 0; i < num_messages; ++i) {
    buf.clear();
    bin::encode(messages[i % pool_size], buf);
    total_bytes += buf.size();
  }
  auto encode_time = clock_type::now() - start;
  // Make + encode + free, as a publisher that builds each event does.
  const std::string payload(payload_size, 'x');
  start = clock_type::now();
  for (size_t i = 0; i < num_messages; ++i) {
    buf.clear();
    broker::vector args;
    args.reserve(2);
    args.emplace_back(broker::count{i});
    args.emplace_back(payload);
    bin::encode(broker::zeek::Event{"ping", std::move(args)}.move_data(), buf);
    total_bytes += buf.size();
  }
  auto make_encode_time = clock_type::now() - start;
  total_bytes /= 2;
  // Decode: from pre-encoded frames.
  std::vector<bin::byte_buffer> frames;
  frames.reserve(pool_size);
  for (const auto& msg : messages)
    frames.emplace_back(bin::encode(msg));
  broker::data result;
  bin::decode_error err;
  size_t num_ok = 0;
  start = clock_type::now();
  for (size_t i = 0; i < num_messages; ++i)
    num_ok += bin::decode(frames[i % pool_size], result, err) ? 1 : 0;
  auto decode_time = clock_type::now() - start;
  size_t num_valid = 0;
  start = clock_type::now();
  for (size_t i = 0; i < num_messages; ++i)
    num_valid += bin::validate(frames[i % pool_size], err) ? 1 : 0;
  auto validate_time = clock_type::now() - start;
  if (num_valid != num_messages) {
    std::fprintf(stderr, "validate failed: %s\n", err.reason.c_str());
    return EXIT_FAILURE;
  }
  if (num_ok != num_messages ||
      result != messages[(num_messages - 1) % pool_size]) {
    std::fprintf(stderr, "decode failed: %s\n", err.reason.c_str());
    return EXIT_FAILURE;
  }
  std::printf("messages: %zu (%zu bytes each)\n", num_messages,
              total_bytes / num_messages);
  std::printf("encode: %.1f ns/msg\n",
              ns_per_message(encode_time, num_messages));
  std::printf("make+encode: %.1f ns/msg\n",
              ns_per_message(make_encode_time, num_messages));
  std::printf("validate: %.1f ns/msg\n",
              ns_per_message(validate_time, num_messages));
  std::printf("decode: %.1f ns/msg\n",
              ns_per_message(decode_time, num_messages));
  return EXIT_SUCCESS;
}
