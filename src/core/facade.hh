#pragma once

// Internal to the endpoint facade (src/*.cc): state shared between an
// endpoint and the subscribers it creates.

#include "broker/filter_type.hh"
#include "broker/publisher.hh"
#include "broker/subscriber.hh"

#include "core/handle.hh"
#include "core/publisher_queue.hh"
#include "core/subscriber_queue.hh"

#include <memory>
#include <mutex>

namespace broker::detail {

struct subscriber_state {
  uint64_t id = 0;
  std::shared_ptr<core::subscriber_queue> queue;
  std::shared_ptr<core::core_handle> core;
  std::mutex mtx;
  filter_type filter;
  bool active = true;
};

struct publisher_state {
  uint64_t id = 0;
  topic dst;
  std::shared_ptr<core::publisher_queue> queue;
  std::shared_ptr<core::core_handle> core;
  bool active = true;
};

} // namespace broker::detail
