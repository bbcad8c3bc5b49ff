#include "broker/message.hh"

#include <catch2/catch.hpp>

using namespace std::literals;
using namespace broker;

TEST_CASE("data messages hold topic and value", "[model][message]") {
  auto msg = make_data_message("/test", data{count{42}});
  CHECK(get_topic(msg) == "/test");
  CHECK(get_data(msg) == data{count{42}});
  std::string str;
  convert(msg, str);
  CHECK(str == "(/test, 42)");
  convert(data_message{}, str);
  CHECK(str == "null");
}

TEST_CASE("move_data moves only from the sole owner", "[model][message]") {
  auto msg = make_data_message("/t", data{"payload"s});
  auto copy = msg;
  CHECK(move_data(msg) == data{"payload"s});
  CHECK(get_data(copy) == data{"payload"s}); // shared: copied, not moved
  copy.reset();
  CHECK(move_data(msg) == data{"payload"s});
  // The second call moved the value out of the message.
  CHECK(get_data(msg) != data{"payload"s});
  const data_message& const_ref = make_data_message("/t", data{count{1}});
  CHECK(move_data(const_ref) == data{count{1}});
  CHECK(get_data(const_ref) == data{count{1}}); // const: copied
}
