#pragma once

#include "core/settings.hh"
#include "net/io_runtime.hh"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <memory>

namespace broker::core {

/// What the core actor starts with.
struct core_args {
  std::shared_ptr<const settings> cfg;
  /// The endpoint's I/O threads (outlive the actor system).
  net::io_runtime* io = nullptr;
};

/// Spawns the core actor of one endpoint (see core/README.md). Returns
/// immediately. The actor quits after answering a `shutdown_msg`.
caf::actor spawn_core_actor(caf::actor_system& sys, core_args args);

} // namespace broker::core
