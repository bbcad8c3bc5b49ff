// Measures the JSON v1 codec (src/format/json.hh) on the data message a
// WebSocket client sees for a typical Zeek event `ping(count, string of 50
// bytes)` with network-timestamp metadata on topic `/zeek/event/ping`:
// prints the average time per message for encoding (from a value and from
// the binary wire form) and for decoding.
//
// Usage: broker-bench-json [num-messages]   (default 1,000,000)

#include "format/json.hh"

#include "format/bin.hh"

#include "broker/zeek.hh"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace json = broker::format::json::v1;

namespace {

/// Messages run through the codec by default.
constexpr size_t default_num_messages = 1'000'000;

/// Distinct messages cycled through (keeps memory small while the count
/// argument differs between messages).
constexpr size_t pool_size = 1'000;

/// Length of the string argument.
constexpr size_t payload_size = 50;

/// Network timestamp of the first message (2023-11-14T22:13:20Z).
constexpr int64_t first_timestamp_ns = 1'700'000'000'000'000'000;

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
  const broker::topic topic{"/zeek/event/ping"};
  std::vector<broker::data> messages;
  messages.reserve(pool_size);
  for (size_t i = 0; i < pool_size; ++i) {
    broker::vector args{broker::data{broker::count{i}},
                        broker::data{std::string(payload_size, 'x')}};
    // Millisecond timestamps: what JSON carries, so decoding is exact.
    broker::timestamp ts{broker::timespan{first_timestamp_ns +
                                          static_cast<int64_t>(i) * 1'000'000}};
    messages.emplace_back(
        broker::zeek::Event{"ping", std::move(args), ts}.move_data());
  }
  // Encode: one reused buffer, as a session appends into its write buffer.
  std::string buf;
  size_t total_bytes = 0;
  auto start = clock_type::now();
  for (size_t i = 0; i < num_messages; ++i) {
    buf.clear();
    json::encode(topic, messages[i % pool_size], buf);
    total_bytes += buf.size();
  }
  auto encode_time = clock_type::now() - start;
  // Transcode: from the binary wire form, as WebSocket clients receive
  // messages that peers or publishers sent.
  std::vector<std::vector<uint8_t>> wire;
  wire.reserve(pool_size);
  for (const auto& msg : messages)
    wire.emplace_back(broker::format::bin::v1::encode(msg));
  size_t num_transcoded = 0;
  start = clock_type::now();
  for (size_t i = 0; i < num_messages; ++i) {
    buf.clear();
    const auto& bytes = wire[i % pool_size];
    num_transcoded +=
        json::encode_wire(topic, bytes.data(), bytes.size(), buf) ? 1 : 0;
  }
  auto transcode_time = clock_type::now() - start;
  if (num_transcoded != num_messages) {
    std::fprintf(stderr, "transcoding failed\n");
    return EXIT_FAILURE;
  }
  // Decode: from pre-encoded frames.
  std::vector<std::string> frames;
  frames.reserve(pool_size);
  for (const auto& msg : messages) {
    frames.emplace_back();
    json::encode(topic, msg, frames.back());
  }
  broker::topic result_topic;
  broker::data result;
  json::decode_error err;
  size_t num_ok = 0;
  start = clock_type::now();
  for (size_t i = 0; i < num_messages; ++i)
    num_ok +=
        json::decode(frames[i % pool_size], result_topic, result, err) ? 1 : 0;
  auto decode_time = clock_type::now() - start;
  if (num_ok != num_messages ||
      result != messages[(num_messages - 1) % pool_size] ||
      result_topic != topic) {
    std::fprintf(stderr, "decode failed: %s\n", err.reason.c_str());
    return EXIT_FAILURE;
  }
  // Decode into the wire form, as a WebSocket session hands messages to
  // the core: one reused buffer.
  std::vector<uint8_t> wire_out;
  num_ok = 0;
  start = clock_type::now();
  for (size_t i = 0; i < num_messages; ++i) {
    wire_out.clear();
    num_ok +=
        json::decode_wire(frames[i % pool_size], result_topic, wire_out, err)
            ? 1
            : 0;
  }
  auto decode_wire_time = clock_type::now() - start;
  if (num_ok != num_messages ||
      wire_out != wire[(num_messages - 1) % pool_size]) {
    std::fprintf(stderr, "decode_wire failed: %s\n", err.reason.c_str());
    return EXIT_FAILURE;
  }
  std::printf("messages: %zu (%zu bytes each)\n", num_messages,
              total_bytes / num_messages);
  std::printf("encode: %.1f ns/msg\n",
              ns_per_message(encode_time, num_messages));
  std::printf("transcode from wire form: %.1f ns/msg\n",
              ns_per_message(transcode_time, num_messages));
  std::printf("decode: %.1f ns/msg\n",
              ns_per_message(decode_time, num_messages));
  std::printf("decode to wire form: %.1f ns/msg\n",
              ns_per_message(decode_wire_time, num_messages));
  return EXIT_SUCCESS;
}
