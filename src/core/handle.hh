#pragma once

#include <caf/actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include <mutex>
#include <utility>

namespace broker::core {

/// A shared, resettable reference to the core actor, held by the endpoint
/// and by every subscriber and listener it created. After `reset` (endpoint
/// shutdown) sends fail instead of touching a dead actor system.
///
/// Thread safety: all member functions are thread-safe.
class core_handle {
public:
  explicit core_handle(caf::actor core) : core_(std::move(core)) {}

  /// Sends `msg` to the core. Returns immediately.
  /// @returns `false` if the endpoint is shut down.
  template <class T>
  bool send(T&& msg) {
    std::lock_guard guard{mtx_};
    if (!core_)
      return false;
    caf::anon_send(core_, std::forward<T>(msg));
    return true;
  }

  /// Terminates the core (and with it every peering actor) and forgets it.
  /// Idempotent.
  void kill() {
    std::lock_guard guard{mtx_};
    if (core_)
      caf::anon_send_exit(core_, caf::exit_reason::kill);
    core_ = nullptr;
  }

private:
  std::mutex mtx_;
  caf::actor core_;
};

} // namespace broker::core
