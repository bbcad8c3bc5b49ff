#pragma once

#include "broker/error.hh"

#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace broker {

/// Either a `T` or an `error` explaining why there is none.
///
/// Accessing the wrong side is well-defined: `value()`, `operator*` and
/// `operator->` on an error, and `error()` on a value, throw
/// `std::logic_error` (they never dereference a null pointer).
///
/// Thread safety: a value type; distinct objects may be used concurrently.
template <class T>
class expected {
public:
  static_assert(!std::is_reference_v<T>, "expected<T&> is not supported");
  static_assert(!std::is_same_v<std::decay_t<T>, broker::error>,
                "expected<error> would be ambiguous");

  /// The type of the value.
  using value_type = T;

  /// Holds a `T` constructed from `x`.
  template <class U, class = std::enable_if_t<
                         std::is_constructible_v<T, U&&> &&
                         !std::is_same_v<std::decay_t<U>, broker::error> &&
                         !std::is_same_v<std::decay_t<U>, ec> &&
                         !std::is_same_v<std::decay_t<U>, expected>>>
  expected(U&& x) : value_(std::in_place_index<0>, std::forward<U>(x)) {}

  /// Holds `err`.
  expected(broker::error err)
      : value_(std::in_place_index<1>, std::move(err)) {}

  /// Holds `error{code}`.
  expected(ec code) : value_(std::in_place_index<1>, broker::error{code}) {}

  /// Returns whether a value is held.
  [[nodiscard]] bool has_value() const noexcept { return value_.index() == 0; }

  /// Returns `has_value()`.
  explicit operator bool() const noexcept { return has_value(); }

  /// Returns `!has_value()`.
  bool operator!() const noexcept { return !has_value(); }

  /// Returns the value.
  /// @throws std::logic_error if there is no value.
  T& operator*() & { return *find_value(*this, "operator*"); }

  /// @copydoc operator*()
  const T& operator*() const& { return *find_value(*this, "operator*"); }

  /// @copydoc operator*()
  T&& operator*() && { return std::move(*find_value(*this, "operator*")); }

  /// Returns a pointer to the value.
  /// @throws std::logic_error if there is no value.
  T* operator->() { return find_value(*this, "operator->"); }

  /// @copydoc operator->()
  const T* operator->() const { return find_value(*this, "operator->"); }

  /// Returns the value.
  /// @throws std::logic_error if there is no value.
  T& value() & { return *find_value(*this, "value()"); }

  /// @copydoc value()
  const T& value() const& { return *find_value(*this, "value()"); }

  /// @copydoc value()
  T&& value() && { return std::move(*find_value(*this, "value()")); }

  /// Returns the error.
  /// @throws std::logic_error if there is a value.
  [[nodiscard]] broker::error& error() { return *find_error(*this); }

  /// @copydoc error()
  [[nodiscard]] const broker::error& error() const {
    return *find_error(*this);
  }

private:
  /// Returns the value of `self` (`expected` or `const expected`).
  template <class Self>
  static auto find_value(Self& self, const char* what) {
    if (auto ptr = std::get_if<0>(&self.value_))
      return ptr;
    throw std::logic_error(std::string{"expected<T>::"} + what +
                           " called on an error");
  }

  /// Returns the error of `self` (`expected` or `const expected`).
  template <class Self>
  static auto find_error(Self& self) {
    if (auto ptr = std::get_if<1>(&self.value_))
      return ptr;
    throw std::logic_error("expected<T>::error() called on a value");
  }

  std::variant<T, broker::error> value_;
};

/// An `expected` without a value: either success or an error.
template <>
class expected<void> {
public:
  /// Success.
  expected() = default;

  /// Holds `err`; a default-constructed `err` (`ec::none`) means success.
  expected(broker::error err) : err_(std::move(err)) {}

  /// Holds `error{code}`; `ec::none` means success.
  expected(ec code) : err_(code) {}

  /// Returns whether this is success (no error).
  [[nodiscard]] bool has_value() const noexcept { return !err_.valid(); }

  /// Returns `has_value()`.
  explicit operator bool() const noexcept { return has_value(); }

  /// Returns `!has_value()`.
  bool operator!() const noexcept { return !has_value(); }

  /// Returns the error; on success a default-constructed one (`ec::none`).
  [[nodiscard]] const broker::error& error() const noexcept { return err_; }

private:
  broker::error err_;
};

} // namespace broker
