#include "broker/topic.hh"

#include <catch2/catch.hpp>

#include <sstream>

using namespace broker;
using strings = std::vector<std::string>;

TEST_CASE("split drops empty components", "[model][topic]") {
  CHECK(topic::split("/zeek/event/x") == strings{"zeek", "event", "x"});
  CHECK(topic::split("a//b/") == strings{"a", "b"});
  CHECK(topic::split("a") == strings{"a"});
  CHECK(topic::split("") == strings{});
  CHECK(topic::split("///") == strings{});
}

TEST_CASE("join and operator/ put exactly one separator between parts",
          "[model][topic]") {
  // spec: upstream-broker.md §3.1
  CHECK(topic::join({"a", "b", "c"}) == "a/b/c");
  CHECK(topic::join({}) == "");
  CHECK(topic::join({"a", "", "b/"}) == "a/b");
  CHECK(topic{"a"} / topic{"b"} == "a/b");
  CHECK(topic{"a/"} / topic{"/b"} == "a/b");
  CHECK(topic{"a//"} / topic{"//b//"} == "a/b");
  CHECK(topic{"/zeek"} / topic{"event"} == "/zeek/event");
  CHECK(topic{""} / topic{"/b"} == "/b");
  CHECK(topic{"a"} / topic{""} == "a");
  CHECK(topic{"a/"} / topic{""} == "a");
  CHECK(topic{"/"} / topic{"b"} == "/b");
  topic t{"x"};
  t /= "y";
  CHECK(t.string() == "x/y");
}

TEST_CASE("prefix matching is plain string prefix", "[model][topic]") {
  // spec: upstream-broker.md §3.1: /foo matches /foobar, "" matches all.
  CHECK(topic{"/foo"}.prefix_of("/foobar"));
  CHECK(topic{"/foo"}.prefix_of("/foo"));
  CHECK(topic{""}.prefix_of("/anything"));
  CHECK_FALSE(topic{"/foo/"}.prefix_of("/foo"));
  CHECK_FALSE(topic{"/bar"}.prefix_of("/foo"));
}

TEST_CASE("suffix returns the last component", "[model][topic]") {
  CHECK(topic{"/zeek/event/x"}.suffix() == "x");
  CHECK(topic{"x"}.suffix() == "x");
  CHECK(topic{"x/"}.suffix() == "");
  CHECK(topic{""}.suffix() == "");
}

TEST_CASE("internal topics start with the local prefix", "[model][topic]") {
  CHECK(is_internal(topic::errors()));
  CHECK(is_internal(topic::statuses()));
  CHECK(is_internal(topic::store_events()));
  CHECK(topic::statuses().string() == "<$>/local/data/statuses");
  CHECK(topic::errors().string() == "<$>/local/data/errors");
  CHECK_FALSE(is_internal("<$>"));
  CHECK_FALSE(is_internal("<$>/local"));
  CHECK_FALSE(is_internal("/test"));
  CHECK_FALSE(is_internal("x/<$>/data/master"));
}

TEST_CASE("topics compare, hash and print as strings", "[model][topic]") {
  using namespace broker::literals;
  CHECK("/a"_t < "/b"_t);
  CHECK("/a"_t == topic{std::string{"/a"}});
  CHECK(std::hash<topic>{}("/a"_t) == std::hash<std::string>{}("/a"));
  std::ostringstream out;
  out << "/a/b"_t;
  CHECK(out.str() == "/a/b");
  std::string str;
  convert("/a/b"_t, str);
  CHECK(str == "/a/b");
  CHECK(std::move(topic{"/m"}).move_string() == "/m");
}
