#include "broker/peer_status.hh"

#include <catch2/catch.hpp>

#include <sstream>
#include <type_traits>
#include <utility>

using namespace broker;

// spec: upstream-broker.md §1.5: an int enum with these values.
static_assert(std::is_same_v<std::underlying_type_t<peer_status>, int>);

TEST_CASE("peer_status names and values", "[model][peer_status]") {
  const std::pair<peer_status, const char*> names[] = {
      {peer_status::initialized, "initialized"},
      {peer_status::connecting, "connecting"},
      {peer_status::connected, "connected"},
      {peer_status::peered, "peered"},
      {peer_status::disconnected, "disconnected"},
      {peer_status::reconnecting, "reconnecting"},
      {peer_status::unknown, "unknown"},
  };
  int value = 0;
  for (const auto& [status, name] : names) {
    INFO(name);
    CHECK(static_cast<int>(status) == value++);
    std::string str;
    convert(status, str);
    CHECK(str == name);
    CHECK(to_string(status) == name);
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
  // Values outside the enumeration print as "unknown".
  CHECK(to_string(static_cast<peer_status>(7)) == "unknown");
  CHECK(to_string(static_cast<peer_status>(-1)) == "unknown");
}
