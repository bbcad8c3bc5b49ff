#pragma once

#include <chrono>
#include <cstdint>

namespace broker::timeout {

/// Retry intervals and other whole-second settings, as in upstream Broker.
using seconds = std::chrono::duration<int64_t>;

} // namespace broker::timeout
