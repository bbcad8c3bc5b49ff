#pragma once

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "net/io_runtime.hh"

namespace broker::core {

/// Installs a lean CAF scheduler into `cfg` with `threads` worker threads
/// and nothing else. Unlike CAF 0.17's default coordinator it starts no
/// printer thread (nothing here uses `aout`) and no clock thread: timers are
/// dispatched by the workers themselves, which sleep until the next
/// deadline. An idle endpoint thus has its worker(s) and one I/O thread, and
/// uses no CPU (no polling).
///
/// With `threads == 0`, actors run on the I/O thread of `io` instead (one
/// event loop; fewer thread handoffs per message). `io` must outlive the
/// actor system. @pre `threads > 0 || io != nullptr`
void use_lean_scheduler(caf::actor_system_config& cfg, size_t threads,
                        net::io_runtime* io);

} // namespace broker::core
