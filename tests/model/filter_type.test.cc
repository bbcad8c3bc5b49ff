#include "broker/filter_type.hh"

#include <catch2/catch.hpp>

using namespace broker;

namespace {

filter_type make_filter(std::initializer_list<const char*> xs) {
  filter_type result;
  for (auto x : xs)
    result.emplace_back(x);
  return result;
}

} // namespace

TEST_CASE("filter_extend keeps the filter minimal and sorted",
          "[model][filter_type]") {
  // spec: upstream-broker.md §3.2
  filter_type f;
  CHECK(filter_extend(f, "/zeek/event/x"));
  CHECK(filter_extend(f, "/a/one"));
  CHECK(f == make_filter({"/a/one", "/zeek/event/x"}));
  SECTION("an existing entry that equals x is a no-op") {
    CHECK_FALSE(filter_extend(f, "/a/one"));
    CHECK(f == make_filter({"/a/one", "/zeek/event/x"}));
  }
  SECTION("an existing prefix of x is a no-op") {
    CHECK_FALSE(filter_extend(f, "/a/one/two"));
    CHECK_FALSE(filter_extend(f, "/zeek/event/xyz"));
    CHECK(f == make_filter({"/a/one", "/zeek/event/x"}));
  }
  SECTION("x replaces all entries it is a prefix of") {
    CHECK(filter_extend(f, "/a/one/two") == false);
    CHECK(filter_extend(f, "/a/b"));
    CHECK(filter_extend(f, "/a/c"));
    CHECK(f == make_filter({"/a/b", "/a/c", "/a/one", "/zeek/event/x"}));
    CHECK(filter_extend(f, "/a/"));
    CHECK(f == make_filter({"/a/", "/zeek/event/x"}));
    CHECK(filter_extend(f, ""));
    CHECK(f == make_filter({""}));
    CHECK_FALSE(filter_extend(f, "/anything"));
  }
  SECTION("unrelated topics are inserted in order") {
    CHECK(filter_extend(f, "/b"));
    CHECK(filter_extend(f, "/zzz"));
    CHECK(f == make_filter({"/a/one", "/b", "/zeek/event/x", "/zzz"}));
  }
}

TEST_CASE("filter_extend with many topics", "[model][filter_type]") {
  filter_type f = make_filter({"/b"});
  CHECK(filter_extend(f, make_filter({"/c", "/a", "/b/x"})));
  CHECK(f == make_filter({"/a", "/b", "/c"}));
  CHECK_FALSE(filter_extend(f, make_filter({"/a/1", "/c/2"})));
  CHECK_FALSE(filter_extend(f, filter_type{}));
}

TEST_CASE("filter_matches uses string prefixes", "[model][filter_type]") {
  auto f = make_filter({"/a/one", "/foo"});
  CHECK(filter_matches(f, "/foobar"));
  CHECK(filter_matches(f, "/a/one/two"));
  CHECK_FALSE(filter_matches(f, "/a/on"));
  CHECK_FALSE(filter_matches(f, "/b"));
  CHECK_FALSE(filter_matches(filter_type{}, "/b"));
  CHECK(filter_matches(make_filter({""}), "/b"));
  // Filters received from a peer may be unsorted.
  CHECK(filter_matches(make_filter({"/z", "/a"}), "/a/1"));
}
