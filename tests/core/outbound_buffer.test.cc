// The outbound buffer of peerings and WebSocket clients (spec:
// upstream-broker.md §2.5): single messages and publishers' frame runs in
// one queue, counted in messages, under each overflow policy.

#include "core/outbound_buffer.hh"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace broker;
using broker::core::frame_run;
using broker::core::framed_batch;
using broker::core::node_message;
using broker::core::node_message_batch;
using broker::core::outbound_buffer;
using broker::core::overflow_policy;

namespace {

/// A batch of `num` frames named `name`: frame i is i + 1 bytes, each the
/// letter of the batch followed by the digit of its index.
std::shared_ptr<const framed_batch> frames(char name, size_t num) {
  auto bytes = std::make_shared<std::vector<uint8_t>>();
  framed_batch result;
  for (size_t i = 0; i < num; ++i) {
    std::vector<uint8_t> frame(i + 1, static_cast<uint8_t>('0' + i));
    frame[0] = static_cast<uint8_t>(name);
    bytes->insert(bytes->end(), frame.begin(), frame.end());
    result.sizes.push_back(static_cast<uint32_t>(frame.size()));
  }
  result.bytes = std::move(bytes);
  return std::make_shared<const framed_batch>(std::move(result));
}

node_message_batch messages(std::vector<count> numbers) {
  node_message_batch result;
  for (auto n : numbers)
    result.push_back(node_message{make_data_message("/t", data{n}),
                                  endpoint_id{}, endpoint_id{}, 16});
  return result;
}

/// Names each queued message, oldest first: a frame as its letter and
/// index ("a2", read from its bytes), a message as its number ("#7").
/// Empties the buffer one message at a time and checks the count on the
/// way.
std::vector<std::string> drain(outbound_buffer& buf) {
  std::vector<std::string> result;
  while (!buf.empty()) {
    auto before = buf.size();
    auto& item = buf.front();
    if (auto run = std::get_if<frame_run>(&item)) {
      auto size = run->batch->sizes[run->first];
      std::string name{static_cast<char>(run->data()[0])};
      name += std::to_string(size - 1);
      // The last byte of frame i is the digit of i (the first of frame 0).
      if (size > 1)
        CHECK(run->data()[size - 1] == '0' + (size - 1));
      result.push_back(name);
    } else {
      auto& msg = std::get<node_message>(item);
      result.push_back("#" + std::to_string(get<count>(get_data(msg.content))));
    }
    buf.pop_front();
    CHECK(buf.size() == before - 1);
  }
  CHECK(buf.size() == 0);
  return result;
}

using names = std::vector<std::string>;

} // namespace

TEST_CASE("a frame run counts its frames and leaves the buffer in parts",
          "[core][outbound]") {
  outbound_buffer buf{10, overflow_policy::disconnect};
  size_t freed = 0;
  REQUIRE(buf.push(frame_run::whole(frames('a', 4)), freed));
  auto msgs = messages({7, 8});
  REQUIRE(buf.push(msgs, freed));
  REQUIRE(buf.push(frame_run::whole(frames('b', 2)), freed));
  CHECK(freed == 0);
  CHECK(buf.size() == 8);
  SECTION("several frames at once") {
    buf.pop_front(3);
    CHECK(buf.size() == 5);
    auto run = std::get_if<frame_run>(&buf.front());
    REQUIRE(run);
    CHECK(run->size() == 1);
    CHECK(run->data()[0] == 'a');
    CHECK(run->bytes_of(1) == 4);
    CHECK(drain(buf) == names{"a3", "#7", "#8", "b0", "b1"});
  }
  SECTION("one by one") {
    CHECK(drain(buf) == names{"a0", "a1", "a2", "a3", "#7", "#8", "b0", "b1"});
  }
  SECTION("clear") {
    CHECK(buf.clear() == 8);
    CHECK(buf.empty());
    CHECK(buf.size() == 0);
  }
}

TEST_CASE("disconnect refuses a run that does not fit whole",
          "[core][outbound]") {
  outbound_buffer buf{4, overflow_policy::disconnect};
  size_t freed = 0;
  CHECK_FALSE(buf.push(frame_run::whole(frames('a', 5)), freed));
  CHECK(buf.empty());
  REQUIRE(buf.push(frame_run::whole(frames('b', 3)), freed));
  CHECK_FALSE(buf.push(frame_run::whole(frames('c', 2)), freed));
  auto one = messages({1});
  REQUIRE(buf.push(one, freed));
  auto another = messages({2});
  CHECK_FALSE(buf.push(another, freed));
  CHECK(freed == 0);
  CHECK(buf.dropped() == 0);
  CHECK(drain(buf) == names{"b0", "b1", "b2", "#1"});
}

TEST_CASE("drop_newest keeps the frames of a run that fit",
          "[core][outbound]") {
  outbound_buffer buf{4, overflow_policy::drop_newest};
  size_t freed = 0;
  REQUIRE(buf.push(frame_run::whole(frames('a', 3)), freed));
  REQUIRE(buf.push(frame_run::whole(frames('b', 3)), freed));
  CHECK(freed == 2);
  CHECK(buf.dropped() == 2);
  CHECK(buf.size() == 4);
  // Full: a run and a message are dropped whole.
  REQUIRE(buf.push(frame_run::whole(frames('c', 2)), freed));
  auto msgs = messages({9});
  REQUIRE(buf.push(msgs, freed));
  CHECK(freed == 5);
  CHECK(buf.dropped() == 5);
  CHECK(drain(buf) == names{"a0", "a1", "a2", "b0"});
}

TEST_CASE("drop_oldest drops whole entries, then parts of runs",
          "[core][outbound]") {
  outbound_buffer buf{4, overflow_policy::drop_oldest};
  size_t freed = 0;
  REQUIRE(buf.push(frame_run::whole(frames('a', 3)), freed));
  auto msgs = messages({5});
  REQUIRE(buf.push(msgs, freed));
  CHECK(freed == 0);
  SECTION("an arriving run pushes out the oldest frames") {
    REQUIRE(buf.push(frame_run::whole(frames('b', 2)), freed));
    CHECK(freed == 2);
    CHECK(buf.dropped() == 2);
    CHECK(drain(buf) == names{"a2", "#5", "b0", "b1"});
  }
  SECTION("a run larger than the buffer keeps its newest frames") {
    REQUIRE(buf.push(frame_run::whole(frames('c', 6)), freed));
    CHECK(freed == 6);
    CHECK(buf.dropped() == 6);
    CHECK(drain(buf) == names{"c2", "c3", "c4", "c5"});
  }
  SECTION("an arriving message pushes out one frame") {
    auto more = messages({6});
    REQUIRE(buf.push(more, freed));
    CHECK(freed == 1);
    CHECK(drain(buf) == names{"a1", "a2", "#5", "#6"});
  }
}

TEST_CASE("a write takes the fewest frames of a run that fill its room",
          "[core][outbound]") {
  // Frames of 1, 2, 3 and 4 bytes.
  auto run = frame_run::whole(frames('a', 4));
  using result = std::pair<size_t, size_t>;
  CHECK(run.prefix_reaching(0) == result{0, 0});
  CHECK(run.prefix_reaching(1) == result{1, 1});
  CHECK(run.prefix_reaching(2) == result{2, 3});
  CHECK(run.prefix_reaching(3) == result{2, 3});
  CHECK(run.prefix_reaching(4) == result{3, 6});
  CHECK(run.prefix_reaching(100) == result{4, 10});
  run.drop_front(2);
  CHECK(run.prefix_reaching(1) == result{1, 3});
  CHECK(run.data()[0] == 'a');
  CHECK(run.data()[2] == '2');
}
