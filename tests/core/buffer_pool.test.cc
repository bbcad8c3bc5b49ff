// Batch allocation of envelopes (core/buffer_pool.hh): messages of a batch
// share their topic where it repeats, and each keeps its own value.

#include "core/buffer_pool.hh"

#include "format/bin.hh"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace broker;
using broker::core::batch_envelopes;

namespace bin = broker::format::bin::v1;

TEST_CASE("messages of a batch share runs of one topic and outlive the batch",
          "[core][envelopes]") {
  // More messages than a block holds, so the topics span blocks too.
  constexpr size_t num = batch_envelopes::block_size + 10;
  auto topic_of = [](size_t i) {
    return i % 3 == 2 ? std::string{"/b"} : std::string{"/a/long-topic-name"};
  };
  auto bytes = std::make_shared<std::vector<uint8_t>>();
  std::vector<uint32_t> offsets;
  for (size_t i = 0; i < num; ++i) {
    offsets.push_back(static_cast<uint32_t>(bytes->size()));
    bin::encode(data{count{i}}, *bytes);
  }
  offsets.push_back(static_cast<uint32_t>(bytes->size()));
  shared_bytes shared = bytes;
  std::vector<data_message> msgs;
  {
    batch_envelopes envs{num};
    for (size_t i = 0; i < num; ++i)
      msgs.push_back(envs.make_shared_topic(topic_of(i), shared, offsets[i],
                                            offsets[i + 1] - offsets[i]));
  }
  for (size_t i = 0; i < num; ++i) {
    INFO("message " << i);
    CHECK(get_topic(msgs[i]).string() == topic_of(i));
    CHECK(get_data(msgs[i]) == data{count{i}});
  }
  // Within a block, a repeated topic is the same object; a change is not.
  CHECK(&get_topic(msgs[0]) == &get_topic(msgs[1]));
  CHECK(&get_topic(msgs[1]) != &get_topic(msgs[2]));
  CHECK(&get_topic(msgs[1]) != &get_topic(msgs[3]));
  // Releasing messages in any order leaves the others intact (ASan checks
  // that nothing is read after its block went).
  for (size_t i = 0; i < num; i += 2)
    msgs[i] = nullptr;
  for (size_t i = 1; i < num; i += 2)
    CHECK(get_topic(msgs[i]).string() == topic_of(i));
}
