#include "broker/peer_info.hh"

#include <catch2/catch.hpp>

#include <sstream>

using namespace broker;

TEST_CASE("peer_status names", "[model][peer_info]") {
  const std::pair<peer_status, const char*> names[] = {
      {peer_status::initialized, "initialized"},
      {peer_status::connecting, "connecting"},
      {peer_status::connected, "connected"},
      {peer_status::peered, "peered"},
      {peer_status::disconnected, "disconnected"},
      {peer_status::reconnecting, "reconnecting"},
      {peer_status::unknown, "unknown"},
  };
  for (const auto& [status, name] : names) {
    std::string str;
    convert(status, str);
    CHECK(str == name);
    auto parsed = peer_status::unknown;
    REQUIRE(convert(std::string{name}, parsed));
    CHECK(parsed == status);
    std::ostringstream out;
    out << status;
    CHECK(out.str() == name);
  }
  auto x = peer_status::peered;
  CHECK_FALSE(convert(std::string{"bogus"}, x));
  CHECK(x == peer_status::peered);
}

TEST_CASE("peer_flags print joined by bars", "[model][peer_info]") {
  std::string str;
  convert(peer_flags::invalid, str);
  CHECK(str == "invalid");
  convert(peer_flags::remote | peer_flags::outbound, str);
  CHECK(str == "remote|outbound");
  convert(peer_flags::local, str);
  CHECK(str == "local");
  auto flags = peer_flags::remote;
  flags |= peer_flags::inbound;
  CHECK(has_flags(flags, peer_flags::inbound));
  CHECK_FALSE(has_flags(flags, peer_flags::outbound));
  peer_info info;
  CHECK(info.flags == peer_flags::invalid);
  CHECK(info.status == peer_status::initialized);
}
