#pragma once

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

namespace broker::core {

/// Installs a lean CAF scheduler into `cfg`: `caf.scheduler.max-threads`
/// worker threads and nothing else. Unlike CAF 0.17's default coordinator it
/// starts no printer thread (nothing here uses `aout`) and no clock thread:
/// timers are dispatched by the workers themselves, which sleep until the
/// next deadline. An idle endpoint thus has its worker(s) and one I/O
/// thread, and uses no CPU (no polling).
void use_lean_scheduler(caf::actor_system_config& cfg);

} // namespace broker::core
