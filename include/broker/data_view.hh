#pragma once

#include "broker/address.hh"
#include "broker/data.hh"
#include "broker/port.hh"
#include "broker/subnet.hh"
#include "broker/time.hh"

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>
#include <utility>

namespace broker {

class data_view_list;
class data_view_table;

namespace detail {

/// What the range iterators of `data_view` share: post-increment, and
/// equality by the number of items left (so an iterator that reached the
/// end of its range, or a malformed item, equals `end()`). Compare only
/// iterators of one range.
template <class Derived>
class view_iterator_base {
public:
  Derived operator++(int) noexcept {
    auto result = derived();
    ++derived();
    return result;
  }

  friend bool operator==(const Derived& x, const Derived& y) noexcept {
    return x.left() == y.left();
  }

  friend bool operator!=(const Derived& x, const Derived& y) noexcept {
    return !(x == y);
  }

protected:
  view_iterator_base() noexcept = default;

  explicit view_iterator_base(uint32_t left) noexcept : left_(left) {}

  [[nodiscard]] uint32_t left() const noexcept { return left_; }

  /// Items from here to the end of the range.
  uint32_t left_ = 0;

private:
  Derived& derived() noexcept { return static_cast<Derived&>(*this); }
};

} // namespace detail

/// A read-only view of one value in the binary wire format (spec:
/// upstream-broker.md §4.6), as a received message carries it: reads single
/// fields (an event's name, one argument) without decoding the whole value
/// into a `data`, which allocates for every string and container.
///
/// A view does not own its bytes: it is valid while the message it came
/// from (`data_envelope::encoded_view`) is alive. Reading never goes past
/// the bytes it was given, whatever they contain: `type()` is the value's
/// tag (`none` if there is no valid one), an accessor whose body is cut
/// short returns `std::nullopt`, a container's range ends at its first
/// malformed element, and `to_data` returns `none` for bytes that do not
/// decode. A received message's bytes passed the decoder's validator, so
/// none of that happens for them.
///
/// Thread safety: a pair of pointers; copies may be read concurrently.
class data_view {
public:
  /// A view of `none`.
  data_view() noexcept = default;

  /// A view of the value encoded at the start of `[first, last)`.
  data_view(const uint8_t* first, const uint8_t* last) noexcept
      : pos_(first), end_(last) {}

  /// Returns the type of the value (its tag).
  [[nodiscard]] data::type type() const noexcept;

  /// Returns whether the value is `none`.
  [[nodiscard]] bool is_none() const noexcept {
    return type() == data::type::none;
  }

  /// Each returns the value if it has that type and a whole, valid body (a
  /// port's protocol is checked), otherwise `std::nullopt`.
  [[nodiscard]] std::optional<boolean> as_boolean() const noexcept;
  [[nodiscard]] std::optional<count> as_count() const noexcept;
  [[nodiscard]] std::optional<integer> as_integer() const noexcept;
  [[nodiscard]] std::optional<real> as_real() const noexcept;
  [[nodiscard]] std::optional<address> as_address() const noexcept;
  [[nodiscard]] std::optional<subnet> as_subnet() const noexcept;
  [[nodiscard]] std::optional<port> as_port() const noexcept;
  [[nodiscard]] std::optional<timestamp> as_timestamp() const noexcept;
  [[nodiscard]] std::optional<timespan> as_timespan() const noexcept;

  /// Returns the characters of a string (a view into the message).
  [[nodiscard]] std::optional<std::string_view> as_string() const noexcept;

  /// Returns the name of an `enum_value` (a view into the message).
  [[nodiscard]] std::optional<std::string_view> as_enum_name() const noexcept;

  /// Returns the elements of a vector.
  [[nodiscard]] std::optional<data_view_list> as_vector() const noexcept;

  /// Returns the elements of a set, in wire order (the set's order, as
  /// encoders write it).
  [[nodiscard]] std::optional<data_view_list> as_set() const noexcept;

  /// Returns the entries of a table, in wire order (the order of its keys,
  /// as encoders write it).
  [[nodiscard]] std::optional<data_view_table> as_table() const noexcept;

  /// Decodes the value into a `data` (what `data_envelope::value()` holds).
  [[nodiscard]] data to_data() const;

private:
  friend class data_view_list;
  friend class data_view_table;

  /// Returns the end of the value's encoding, or `nullptr` if the bytes do
  /// not hold a well-formed value (nesting deeper than the decoder's limit
  /// included).
  [[nodiscard]] const uint8_t* value_end() const noexcept;

  /// Returns the elements (or entries) of a container with tag `t`, or
  /// `std::nullopt` if the value has another tag or its size is cut short.
  template <class Range>
  [[nodiscard]] std::optional<Range> container(data::type t) const noexcept;

  const uint8_t* pos_ = nullptr;
  const uint8_t* end_ = nullptr;
};

/// The elements of a vector or set seen through a `data_view`: a forward
/// range of `data_view`s. Valid while the viewed message is alive.
///
/// Thread safety: as `data_view`.
class data_view_list {
public:
  /// Visits the elements in wire order; each step skips one element.
  class iterator : public detail::view_iterator_base<iterator> {
  public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = data_view;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = data_view;

    iterator() noexcept = default;

    [[nodiscard]] data_view operator*() const noexcept {
      return data_view{pos_, end_};
    }

    /// Moves to the next element; a malformed element ends the range.
    iterator& operator++() noexcept;

    using view_iterator_base::operator++; // it++

  private:
    friend class data_view_list;

    iterator(const uint8_t* pos, const uint8_t* end, uint32_t left) noexcept
        : view_iterator_base(left), pos_(pos), end_(end) {}

    const uint8_t* pos_ = nullptr;
    const uint8_t* end_ = nullptr;
  };

  /// Returns the number of elements the container claims.
  [[nodiscard]] size_t size() const noexcept { return size_; }

  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  [[nodiscard]] iterator begin() const noexcept {
    // No element starts at the end of the bytes.
    return iterator{first_, end_, first_ == end_ ? 0 : size_};
  }

  [[nodiscard]] iterator end() const noexcept { return iterator{}; }

  /// Returns element `i`, or a view of `none` if `i >= size()`. Takes
  /// linear time: it skips the `i` elements before it.
  [[nodiscard]] data_view operator[](size_t i) const noexcept;

private:
  friend class data_view;

  data_view_list(const uint8_t* first, const uint8_t* end,
                 uint32_t size) noexcept
      : first_(first), end_(end), size_(size) {}

  const uint8_t* first_;
  const uint8_t* end_;
  uint32_t size_;
};

/// The entries of a table seen through a `data_view`: a forward range of
/// (key, value) pairs. Valid while the viewed message is alive.
///
/// Thread safety: as `data_view`.
class data_view_table {
public:
  /// Visits the entries in wire order; each step skips a key and a value.
  class iterator : public detail::view_iterator_base<iterator> {
  public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::pair<data_view, data_view>;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = value_type;

    iterator() noexcept = default;

    [[nodiscard]] value_type operator*() const noexcept {
      return {data_view{pos_, end_}, data_view{value_, end_}};
    }

    /// Moves to the next entry; a malformed entry ends the range.
    iterator& operator++() noexcept;

    using view_iterator_base::operator++; // it++

  private:
    friend class data_view_table;

    /// Starts at the key at `pos`; ends at once if its value is missing.
    iterator(const uint8_t* pos, const uint8_t* end, uint32_t left) noexcept;

    const uint8_t* pos_ = nullptr;
    /// Where the current entry's value starts.
    const uint8_t* value_ = nullptr;
    const uint8_t* end_ = nullptr;
  };

  /// Returns the number of entries the table claims.
  [[nodiscard]] size_t size() const noexcept { return size_; }

  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  [[nodiscard]] iterator begin() const noexcept {
    return iterator{first_, end_, size_};
  }

  [[nodiscard]] iterator end() const noexcept { return iterator{}; }

private:
  friend class data_view;

  data_view_table(const uint8_t* first, const uint8_t* end,
                  uint32_t size) noexcept
      : first_(first), end_(end), size_(size) {}

  const uint8_t* first_;
  const uint8_t* end_;
  uint32_t size_;
};

} // namespace broker
