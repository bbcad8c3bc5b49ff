#include "broker/expected.hh"

#include <catch2/catch.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

using namespace std::literals;
using namespace broker;

namespace {

expected<int> parse_digit(char c) {
  if (c < '0' || c > '9')
    return make_error(ec::invalid_data, "not a digit: "s + c);
  return c - '0';
}

/// Runs `fn` and returns the `what()` of the `std::logic_error` it throws.
template <class F>
std::string logic_error_of(F fn) {
  try {
    fn();
  } catch (const std::logic_error& ex) {
    return ex.what();
  }
  FAIL("no std::logic_error thrown");
  return {};
}

} // namespace

// Only explicit conversions to bool, as for std::optional.
static_assert(!std::is_convertible_v<expected<int>, bool>);
static_assert(std::is_constructible_v<bool, expected<int>>);
static_assert(!std::is_convertible_v<expected<void>, bool>);

TEST_CASE("expected holding a value", "[model][expected]") {
  auto x = parse_digit('7');
  REQUIRE(x.has_value());
  CHECK(static_cast<bool>(x));
  CHECK_FALSE(!x);
  CHECK(*x == 7);
  CHECK(x.value() == 7);
  *x = 8;
  CHECK(x.value() == 8);
  expected<std::string> str{"abc"};
  CHECK(str->size() == 3);
  str->append("d");
  CHECK(*str == "abcd");
  const auto& const_str = str;
  CHECK(const_str->size() == 4);
  CHECK(*const_str == "abcd");
  CHECK(const_str.value() == "abcd");
}

TEST_CASE("expected holding an error", "[model][expected]") {
  auto x = parse_digit('x');
  REQUIRE_FALSE(x.has_value());
  CHECK_FALSE(static_cast<bool>(x));
  CHECK(!x);
  CHECK(x.error() == ec::invalid_data);
  REQUIRE(x.error().message() != nullptr);
  CHECK(*x.error().message() == "not a digit: x");
  x.error() = make_error(ec::type_clash);
  CHECK(x.error() == ec::type_clash);
  expected<std::string> from_code{ec::no_such_key};
  CHECK_FALSE(from_code);
  CHECK(from_code.error() == make_error(ec::no_such_key));
  const auto& const_code = from_code;
  CHECK(const_code.error().code() == ec::no_such_key);
}

TEST_CASE("misusing expected throws std::logic_error", "[model][expected]") {
  auto err = parse_digit('x');
  const auto& const_err = err;
  const auto on_error = "expected<T>::operator* called on an error"s;
  CHECK(logic_error_of([&] { (void)*err; }) == on_error);
  CHECK(logic_error_of([&] { (void)*const_err; }) == on_error);
  CHECK(logic_error_of([&] { (void)*std::move(err); }) == on_error);
  CHECK(logic_error_of([&] { (void)err.value(); }) ==
        "expected<T>::value() called on an error");
  CHECK(logic_error_of([&] { (void)const_err.value(); }) ==
        "expected<T>::value() called on an error");
  CHECK(logic_error_of([&] { (void)std::move(err).value(); }) ==
        "expected<T>::value() called on an error");
  expected<std::string> str_err{ec::unspecified};
  const auto& const_str_err = str_err;
  CHECK(logic_error_of([&] { (void)str_err->size(); }) ==
        "expected<T>::operator-> called on an error");
  CHECK(logic_error_of([&] { (void)const_str_err->size(); }) ==
        "expected<T>::operator-> called on an error");
  auto val = parse_digit('1');
  const auto& const_val = val;
  CHECK(logic_error_of([&] { (void)val.error(); }) ==
        "expected<T>::error() called on a value");
  CHECK(logic_error_of([&] { (void)const_val.error(); }) ==
        "expected<T>::error() called on a value");
  // The failed access leaves the object as it was.
  CHECK(err.error() == ec::invalid_data);
  CHECK(val.value() == 1);
}

TEST_CASE("expected copies and moves its content", "[model][expected]") {
  expected<std::string> x{std::string(100, 'x')};
  auto copy = x;
  REQUIRE(copy);
  CHECK(*copy == std::string(100, 'x'));
  CHECK(*x == *copy);
  auto moved = std::move(x);
  REQUIRE(moved);
  CHECK(*moved == std::string(100, 'x'));
  expected<std::string> err{make_error(ec::invalid_data, "bad")};
  auto err_copy = err;
  REQUIRE_FALSE(err_copy);
  CHECK(err_copy.error() == make_error(ec::invalid_data, "bad"));
  copy = err;
  REQUIRE_FALSE(copy);
  CHECK(copy.error() == ec::invalid_data);
  copy = moved;
  REQUIRE(copy);
  CHECK(copy->size() == 100);
  // Move-only values, moved out with an rvalue `*` or `value()`.
  expected<std::unique_ptr<int>> ptr{std::make_unique<int>(42)};
  auto ptr2 = std::move(ptr);
  REQUIRE(ptr2);
  REQUIRE(*ptr2 != nullptr);
  CHECK(**ptr2 == 42);
  std::unique_ptr<int> out = *std::move(ptr2);
  REQUIRE(out != nullptr);
  CHECK(*out == 42);
  expected<std::unique_ptr<int>> ptr3{std::make_unique<int>(7)};
  out = std::move(ptr3).value();
  CHECK(*out == 7);
  static_assert(!std::is_copy_constructible_v<expected<std::unique_ptr<int>>>);
}

TEST_CASE("expected<void> is success or an error", "[model][expected]") {
  expected<void> ok;
  CHECK(ok.has_value());
  CHECK(static_cast<bool>(ok));
  CHECK_FALSE(!ok);
  CHECK(ok.error() == ec::none); // documented: "no error" on success
  CHECK_FALSE(ok.error().valid());
  expected<void> from_none{ec::none};
  CHECK(from_none);
  expected<void> failed{make_error(ec::peer_invalid, "who?")};
  CHECK_FALSE(failed.has_value());
  CHECK_FALSE(static_cast<bool>(failed));
  CHECK(!failed);
  CHECK(failed.error() == make_error(ec::peer_invalid, "who?"));
  expected<void> from_code{ec::peer_unavailable};
  CHECK_FALSE(from_code);
  CHECK(from_code.error() == ec::peer_unavailable);
  auto copy = failed;
  CHECK(copy.error() == failed.error());
  copy = ok;
  CHECK(copy);
  auto moved = std::move(failed);
  CHECK(moved.error() == ec::peer_invalid);
}
