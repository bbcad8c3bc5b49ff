#include "logger.hh"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iterator>

namespace broker::logger {

namespace {

/// Names indexed by `level` (upstream's spelling, spec §1.10).
constexpr std::string_view level_names[] = {
    "trace", "debug", "info", "warning", "error", "quiet",
};

/// Upper-case names for the log line, padded to one width.
constexpr std::string_view level_tags[] = {
    "TRACE", "DEBUG", "INFO ", "WARN ", "ERROR", "QUIET",
};

std::atomic<level> threshold{level::quiet};

} // namespace

bool parse(std::string_view str, level& out) noexcept {
  for (size_t i = 0; i < std::size(level_names); ++i) {
    if (str == level_names[i]) {
      out = static_cast<level>(i);
      return true;
    }
  }
  return false;
}

std::string_view to_string(level x) noexcept {
  auto index = static_cast<size_t>(x);
  return index < std::size(level_names) ? level_names[index] : "quiet";
}

void set_console_level(level x) noexcept {
  threshold.store(x, std::memory_order_relaxed);
}

level console_level() noexcept {
  return threshold.load(std::memory_order_relaxed);
}

void write(level x, std::string_view component,
           std::string_view text) noexcept {
  if (!enabled(x))
    return;
  try {
    using namespace std::chrono;
    auto now = system_clock::now();
    auto secs = system_clock::to_time_t(now);
    auto millis =
        duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm utc{};
    gmtime_r(&secs, &utc);
    char stamp[40];
    auto len = std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(stamp + len, sizeof(stamp) - len, ".%03dZ",
                  static_cast<int>(millis));
    std::string line = stamp;
    line += ' ';
    line += level_tags[static_cast<size_t>(x)];
    line += ' ';
    line += component;
    line += ": ";
    line += text;
    line += '\n';
    // One write(2) per line: lines of concurrent threads never interleave.
    auto rc = ::write(STDERR_FILENO, line.data(), line.size());
    static_cast<void>(rc);
  } catch (...) {
    // Out of memory while formatting: drop the line.
  }
}

} // namespace broker::logger
