#pragma once

// The library's console log: one line per event on stderr, filtered by the
// level from `broker.console-verbosity` (env BROKER_CONSOLE_VERBOSITY; spec:
// upstream-broker.md §1.10). Quiet unless a level is set. Internal: used by
// core/ and the endpoint facade for lifecycle events (listen, peering
// attempts, peers added and removed, handshake failures); standard library
// only, so that any layer above the model may include it.

#include <atomic>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

namespace broker::logger {

/// Upstream's verbosity levels, most verbose first; `quiet` logs nothing.
enum class level : uint8_t {
  trace,
  debug,
  info,
  warning,
  error,
  quiet,
};

/// Parses upstream's names (`trace`, `debug`, `info`, `warning`, `error`,
/// `quiet`). @returns `false` (leaving `out` untouched) for anything else.
[[nodiscard]] bool parse(std::string_view str, level& out) noexcept;

/// Returns the name of `x` (as `parse` reads it).
[[nodiscard]] std::string_view to_string(level x) noexcept;

/// Sets the process-wide console threshold (initially `quiet`). Thread-safe.
void set_console_level(level x) noexcept;

/// Returns the console threshold. Thread-safe.
[[nodiscard]] level console_level() noexcept;

/// Returns whether a message at `x` would be written.
[[nodiscard]] inline bool enabled(level x) noexcept {
  return x != level::quiet && x >= console_level();
}

/// Writes `<UTC time> <LEVEL> <component>: <text>` and a newline to stderr
/// with a single write (lines of concurrent writers do not interleave), if
/// `enabled(x)`. Never throws; a failed write is ignored.
void write(level x, std::string_view component, std::string_view text) noexcept;

/// Formats `xs...` with `operator<<` and writes them at `x`; formats
/// nothing unless `enabled(x)`.
template <class... Ts>
void log(level x, std::string_view component, const Ts&... xs) {
  if (!enabled(x))
    return;
  std::ostringstream out;
  (out << ... << xs);
  write(x, component, out.str());
}

/// `log` at `level::debug`.
template <class... Ts>
void debug(std::string_view component, const Ts&... xs) {
  log(level::debug, component, xs...);
}

/// `log` at `level::info`.
template <class... Ts>
void info(std::string_view component, const Ts&... xs) {
  log(level::info, component, xs...);
}

/// `log` at `level::warning`.
template <class... Ts>
void warning(std::string_view component, const Ts&... xs) {
  log(level::warning, component, xs...);
}

} // namespace broker::logger
