// The connector's retry timing (DESIGN.md §2: retry interval ± 20 %).

#include "core/retry.hh"

#include <catch2/catch.hpp>

#include <random>

using namespace broker;
using namespace std::chrono_literals;

using broker::core::jittered_delay;

TEST_CASE("jittered_delay stays within interval ± jitter", "[core][retry]") {
  timespan interval = 10s;
  SECTION("the ends of the range") {
    CHECK(jittered_delay(interval, 0.2, 0.0) == 8s);
    CHECK(jittered_delay(interval, 0.2, 0.5) == 10s);
    CHECK(jittered_delay(interval, 0.2, 1.0) == 12s);
  }
  SECTION("random draws cover the range and never leave it") {
    std::minstd_rand rng{42};
    std::uniform_real_distribution<double> unit{0.0, 1.0};
    timespan lo = timespan::max();
    timespan hi = timespan::min();
    for (int i = 0; i < 10000; ++i) {
      auto x = jittered_delay(interval, 0.2, unit(rng));
      REQUIRE(x >= 8s);
      REQUIRE(x <= 12s);
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
    // Spread out, not stuck at one value.
    CHECK(lo < 8100ms);
    CHECK(hi > 11900ms);
  }
  SECTION("out-of-range inputs are clamped") {
    CHECK(jittered_delay(interval, 0.2, -1.0) == 8s);
    CHECK(jittered_delay(interval, 0.2, 2.0) == 12s);
    CHECK(jittered_delay(interval, 0.0, 0.9) == 10s);
    CHECK(jittered_delay(interval, 5.0, 0.0) == 0s);
    CHECK(jittered_delay(interval, -1.0, 0.0) == 10s);
  }
  SECTION("whole seconds of upstream's retry argument") {
    CHECK(jittered_delay(std::chrono::seconds{1}, 0.2, 0.0) == 800ms);
  }
}
