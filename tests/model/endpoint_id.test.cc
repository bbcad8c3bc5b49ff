#include "broker/endpoint_id.hh"

#include <catch2/catch.hpp>

#include <set>
#include <sstream>
#include <unordered_set>

using namespace broker;

namespace {

endpoint_id parse_ok(const std::string& str) {
  endpoint_id result;
  INFO(str);
  REQUIRE(convert(str, result));
  return result;
}

std::string print(const endpoint_id& x) {
  std::string result;
  convert(x, result);
  return result;
}

// Fixed ids of tests/vectors/README.md.
constexpr const char* id_s = "00000000-0000-4000-8000-000000000000";
constexpr const char* id_p = "11111111-1111-4111-8111-111111111111";
constexpr const char* id_q = "22222222-2222-4222-8222-222222222222";
constexpr const char* id_r = "ffffffff-ffff-4fff-bfff-ffffffffffff";
constexpr const char* id_nil = "00000000-0000-0000-0000-000000000000";

} // namespace

TEST_CASE("endpoint ids print as lowercase UUIDs", "[model][endpoint_id]") {
  endpoint_id::array_type bytes{0x3e, 0xec, 0xe3, 0x5d, 0x9f, 0x94, 0x56, 0x8d,
                                0x86, 0x1c, 0x6a, 0x16, 0xc4, 0x33, 0xe0, 0x90};
  CHECK(print(endpoint_id{bytes}) == "3eece35d-9f94-568d-861c-6a16c433e090");
  CHECK(print(endpoint_id{}) == id_nil);
  std::ostringstream out;
  out << endpoint_id{bytes};
  CHECK(out.str() == "3eece35d-9f94-568d-861c-6a16c433e090");
  for (auto str : {id_s, id_p, id_q, id_r, id_nil})
    CHECK(print(parse_ok(str)) == str);
}

TEST_CASE("endpoint id parsing", "[model][endpoint_id]") {
  CHECK(parse_ok("3EECE35D-9F94-568D-861C-6A16C433E090") ==
        parse_ok("3eece35d-9f94-568d-861c-6a16c433e090"));
  CHECK_FALSE(parse_ok(id_nil).valid());
  CHECK(parse_ok(id_p).valid());
  CHECK(endpoint_id::can_parse(id_q));
  CHECK(endpoint_id::can_parse("00000000-0000-1000-0000-000000000000"));
  const std::string bad[] = {
      "",
      "3eece35d9f94568d861c6a16c433e090",      // no dashes
      "3eece35d-9f94-568d-861c-6a16c433e09",   // short
      "3eece35d-9f94-568d-861c-6a16c433e0900", // long
      "3eece35d-9f94-568d-861c6a16-c433e090",  // dash misplaced
      "3eece35g-9f94-568d-861c-6a16c433e090",  // not hex
      "3eece35d-9f94-068d-861c-6a16c433e090",  // version 0
      "3eece35d-9f94-668d-861c-6a16c433e090",  // version 6
      "3eece35d-9f94-f68d-861c-6a16c433e090",  // version 15
      "{3eece35d-9f94-568d-861c-6a16c433e090}",
      " 3eece35d-9f94-568d-861c-6a16c433e090",
  };
  for (const auto& str : bad) {
    INFO(str);
    auto x = parse_ok(id_p);
    CHECK_FALSE(convert(str, x));
    CHECK(x == parse_ok(id_p));
    CHECK_FALSE(endpoint_id::can_parse(str));
  }
}

TEST_CASE("endpoint ids order by bytes", "[model][endpoint_id]") {
  // spec: upstream-broker.md §4.4: the smaller id originates.
  CHECK(parse_ok(id_nil) < parse_ok(id_s));
  CHECK(parse_ok(id_s) < parse_ok(id_p));
  CHECK(parse_ok(id_p) < parse_ok(id_q));
  CHECK(parse_ok(id_q) < parse_ok(id_r));
  CHECK(parse_ok(id_p).compare(parse_ok(id_p)) == 0);
  CHECK(endpoint_id::nil() == endpoint_id{});
  CHECK_FALSE(static_cast<bool>(endpoint_id::nil()));
}

TEST_CASE("random endpoint ids have upstream's UUID layout",
          "[model][endpoint_id]") {
  // spec: upstream-broker.md §1.1: version nibble 5, variant bits 10.
  constexpr size_t num_ids = 1000;
  std::set<endpoint_id> ids;
  for (size_t i = 0; i < num_ids; ++i) {
    auto id = endpoint_id::random();
    CHECK(id.valid());
    CHECK((id.bytes()[6] >> 4) == 5);
    CHECK((id.bytes()[8] & 0xc0) == 0x80);
    auto text = print(id);
    CHECK(text[14] == '5');
    CHECK(std::string{"89ab"}.find(text[19]) != std::string::npos);
    CHECK(parse_ok(text) == id);
    ids.insert(id);
  }
  CHECK(ids.size() == num_ids);
}

TEST_CASE("endpoint id hashes agree with equality", "[model][endpoint_id]") {
  std::unordered_set<endpoint_id> ids{parse_ok(id_p), parse_ok(id_q),
                                      parse_ok(id_p)};
  CHECK(ids.size() == 2);
  // Equal ids built independently (text vs. bytes) hash alike.
  endpoint_id::array_type p_bytes;
  p_bytes.fill(0x11);
  p_bytes[6] = 0x41;
  p_bytes[8] = 0x81;
  endpoint_id from_bytes{p_bytes};
  REQUIRE(from_bytes == parse_ok(id_p));
  CHECK(from_bytes.hash() == parse_ok(id_p).hash());
  CHECK(std::hash<endpoint_id>{}(from_bytes) == parse_ok(id_p).hash());
  CHECK(endpoint_id{}.hash() == parse_ok(id_nil).hash());
}

TEST_CASE("endpoint id hashes depend on every bit", "[model][endpoint_id]") {
  // Flipping any one of the 128 bits changes the hash: no byte is ignored.
  auto base = parse_ok(id_p);
  std::set<size_t> hashes{base.hash()};
  for (size_t byte = 0; byte < endpoint_id::num_bytes; ++byte) {
    for (unsigned bit = 0; bit < 8; ++bit) {
      auto bytes = base.bytes();
      bytes[byte] = static_cast<uint8_t>(bytes[byte] ^ (1u << bit));
      INFO("byte " << byte << " bit " << bit);
      CHECK(endpoint_id{bytes}.hash() != base.hash());
      hashes.insert(endpoint_id{bytes}.hash());
    }
  }
  CHECK(hashes.size() == 1 + endpoint_id::num_bytes * 8);
  // The fixed ids of the vectors hash apart.
  std::set<size_t> fixed;
  for (auto str : {id_s, id_p, id_q, id_r, id_nil})
    fixed.insert(parse_ok(str).hash());
  CHECK(fixed.size() == 5);
  // 1000 random ids: a collision of 64-bit hashes is not expected (chance
  // about 1000^2 / 2^65).
  constexpr size_t num_ids = 1000;
  std::set<size_t> random_hashes;
  for (size_t i = 0; i < num_ids; ++i)
    random_hashes.insert(endpoint_id::random().hash());
  CHECK(random_hashes.size() == num_ids);
}
