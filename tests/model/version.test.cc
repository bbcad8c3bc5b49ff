#include "broker/version.hh"

#include <catch2/catch.hpp>

TEST_CASE("version string", "[model][version]") {
  CHECK(broker::version::string() == "2.8.0");
  CHECK(broker::version::wire_protocol == 1);
}
