#pragma once

#include "broker/error.hh"

#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace broker {

/// Either a `T` or an `error` explaining why there is none.
template <class T>
class expected {
public:
  using value_type = T;

  template <class U, class = std::enable_if_t<
                         std::is_constructible_v<T, U&&> &&
                         !std::is_same_v<std::decay_t<U>, broker::error> &&
                         !std::is_same_v<std::decay_t<U>, expected>>>
  expected(U&& x) : value_(std::in_place_index<0>, std::forward<U>(x)) {}

  expected(broker::error err)
      : value_(std::in_place_index<1>, std::move(err)) {}

  expected(ec code) : value_(std::in_place_index<1>, broker::error{code}) {}

  [[nodiscard]] bool has_value() const noexcept { return value_.index() == 0; }

  explicit operator bool() const noexcept { return has_value(); }

  bool operator!() const noexcept { return !has_value(); }

  /// @pre `has_value()`
  T& operator*() & { return *std::get_if<0>(&value_); }

  /// @pre `has_value()`
  const T& operator*() const& { return *std::get_if<0>(&value_); }

  /// @pre `has_value()`
  T&& operator*() && { return std::move(*std::get_if<0>(&value_)); }

  /// @pre `has_value()`
  T* operator->() { return std::get_if<0>(&value_); }

  /// @pre `has_value()`
  const T* operator->() const { return std::get_if<0>(&value_); }

  /// @throws std::logic_error if there is no value.
  T& value() & {
    check();
    return **this;
  }

  /// @copydoc value
  const T& value() const& {
    check();
    return **this;
  }

  /// @pre `!has_value()`
  [[nodiscard]] broker::error& error() { return *std::get_if<1>(&value_); }

  /// @pre `!has_value()`
  [[nodiscard]] const broker::error& error() const {
    return *std::get_if<1>(&value_);
  }

private:
  void check() const {
    if (!has_value())
      throw std::logic_error("expected<T>::value() called on an error");
  }

  std::variant<T, broker::error> value_;
};

/// An `expected` without a value: either success or an error.
template <>
class expected<void> {
public:
  expected() = default;

  expected(broker::error err) : err_(std::move(err)) {}

  expected(ec code) : err_(code) {}

  [[nodiscard]] bool has_value() const noexcept { return !err_.valid(); }

  explicit operator bool() const noexcept { return has_value(); }

  bool operator!() const noexcept { return !has_value(); }

  [[nodiscard]] const broker::error& error() const noexcept { return err_; }

private:
  broker::error err_;
};

} // namespace broker
