#include "broker/peer_info.hh"

#include <catch2/catch.hpp>

using namespace broker;

TEST_CASE("a default peer_info is invalid and initialized",
          "[model][peer_info]") {
  peer_info info;
  CHECK(info.flags == peer_flags::invalid);
  CHECK(info.status == peer_status::initialized);
}
