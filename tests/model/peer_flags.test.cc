#include "broker/peer_flags.hh"

#include <catch2/catch.hpp>

#include <sstream>
#include <type_traits>

using namespace broker;

// spec: upstream-broker.md §1.5: an int bit set with upstream's values.
static_assert(std::is_same_v<std::underlying_type_t<peer_flags>, int>);
static_assert(static_cast<int>(peer_flags::invalid) == 0x00);
static_assert(static_cast<int>(peer_flags::local) == 0x01);
static_assert(static_cast<int>(peer_flags::remote) == 0x02);
static_assert(static_cast<int>(peer_flags::outbound) == 0x04);
static_assert(static_cast<int>(peer_flags::inbound) == 0x08);

namespace {

std::string streamed(peer_flags x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

} // namespace

TEST_CASE("peer_flags combine as bits", "[model][peer_flags]") {
  auto flags = peer_flags::remote;
  flags |= peer_flags::inbound;
  CHECK(static_cast<int>(flags) == 0x0a);
  CHECK(has_flags(flags, peer_flags::inbound));
  CHECK(has_flags(flags, peer_flags::remote | peer_flags::inbound));
  CHECK_FALSE(has_flags(flags, peer_flags::outbound));
  CHECK_FALSE(has_flags(flags, peer_flags::remote | peer_flags::outbound));
  CHECK(has_flags(flags, peer_flags::invalid)); // the empty set
  CHECK((flags & peer_flags::remote) == peer_flags::remote);
  CHECK((flags & peer_flags::local) == peer_flags::invalid);
}

TEST_CASE("peer_flags print joined by bars", "[model][peer_flags]") {
  const std::pair<peer_flags, const char*> texts[] = {
      {peer_flags::invalid, "invalid"},
      {peer_flags::local, "local"},
      {peer_flags::remote, "remote"},
      {peer_flags::outbound, "outbound"},
      {peer_flags::inbound, "inbound"},
      {peer_flags::remote | peer_flags::outbound, "remote|outbound"},
      {peer_flags::inbound | peer_flags::remote, "remote|inbound"},
      {peer_flags::local | peer_flags::remote | peer_flags::outbound |
           peer_flags::inbound,
       "local|remote|outbound|inbound"},
      // Bits that are no flag are not printed.
      {static_cast<peer_flags>(0x10), "invalid"},
      {static_cast<peer_flags>(0x12), "remote"},
  };
  for (const auto& [flags, text] : texts) {
    INFO(static_cast<int>(flags));
    std::string str = "junk";
    convert(flags, str);
    CHECK(str == text);
    CHECK(to_string(flags) == text);
    CHECK(streamed(flags) == text);
  }
}

TEST_CASE("peer_flags parse what they print", "[model][peer_flags]") {
  for (int bits = 0; bits <= 0x0f; ++bits) {
    auto flags = static_cast<peer_flags>(bits);
    INFO(to_string(flags));
    auto parsed = static_cast<peer_flags>(0xff);
    REQUIRE(convert(to_string(flags), parsed));
    CHECK(parsed == flags);
  }
  auto parsed = peer_flags::invalid;
  REQUIRE(convert(std::string{"inbound|remote"}, parsed));
  CHECK(parsed == (peer_flags::remote | peer_flags::inbound));
  for (const char* bad :
       {"", "|", "remote|", "|remote", "remote||inbound", "Remote",
        "remote|bogus", "invalid|remote", "remote "}) {
    INFO('"' << bad << '"');
    auto x = peer_flags::local;
    CHECK_FALSE(convert(std::string{bad}, x));
    CHECK(x == peer_flags::local);
  }
}
