#include "broker/data_view.hh"

#include "format/bin.hh"

#include <cstring>

namespace broker {

namespace bin = format::bin::v1;

namespace {

/// Wire tags equal the alternative indexes of `data` (spec:
/// upstream-broker.md §4.6).
using tag = data::type;

constexpr uint8_t max_tag = static_cast<uint8_t>(tag::vector);

/// Bytes of an address (the body of an address, the start of a subnet's).
constexpr size_t address_size = std::tuple_size_v<address::byte_array>;

/// Largest port protocol value (icmp, spec: §4.6).
constexpr uint8_t max_port_protocol =
    static_cast<uint8_t>(port::protocol::icmp);

size_t remaining(const uint8_t* pos, const uint8_t* end) noexcept {
  return static_cast<size_t>(end - pos);
}

/// Returns the end of the value at `pos`, or `nullptr` if `[pos, end)` does
/// not start with a well-formed one (see `bin::value_end`).
const uint8_t* skip_element(const uint8_t* pos, const uint8_t* end) noexcept {
  if (pos == nullptr)
    return nullptr;
  return bin::value_end(bin::byte_span{pos, remaining(pos, end)});
}

} // namespace

// -- data_view ----------------------------------------------------------------

data::type data_view::type() const noexcept {
  if (pos_ == nullptr || pos_ == end_ || *pos_ > max_tag)
    return data::type::none;
  return static_cast<data::type>(*pos_);
}

namespace {

/// Returns the body of the value at `[pos, end)` if its tag is `t` (a type
/// with a fixed-size body) and the whole body follows, otherwise `nullptr`.
const uint8_t* fixed_body(const uint8_t* pos, const uint8_t* end,
                          tag t) noexcept {
  if (pos == nullptr || pos == end || *pos != static_cast<uint8_t>(t) ||
      remaining(pos + 1, end) < *bin::fixed_body_size_of(t))
    return nullptr;
  return pos + 1;
}

/// Reads the string body of the value at `[pos, end)` if its tag is `t`.
std::optional<std::string_view>
string_body(const uint8_t* pos, const uint8_t* end, tag t) noexcept {
  if (pos == nullptr || pos == end || *pos != static_cast<uint8_t>(t))
    return std::nullopt;
  bin::reader src{bin::byte_span{pos + 1, remaining(pos + 1, end)}};
  std::string_view result;
  if (!src.read_string_view(result))
    return std::nullopt;
  return result;
}

} // namespace

std::optional<boolean> data_view::as_boolean() const noexcept {
  if (auto body = fixed_body(pos_, end_, tag::boolean))
    return *body != 0; // spec: §4.2: any non-zero byte is true
  return std::nullopt;
}

std::optional<count> data_view::as_count() const noexcept {
  if (auto body = fixed_body(pos_, end_, tag::count))
    return bin::read_u64(body);
  return std::nullopt;
}

std::optional<integer> data_view::as_integer() const noexcept {
  if (auto body = fixed_body(pos_, end_, tag::integer))
    return static_cast<integer>(bin::read_u64(body));
  return std::nullopt;
}

std::optional<real> data_view::as_real() const noexcept {
  if (auto body = fixed_body(pos_, end_, tag::real))
    return bin::unpack_real(bin::read_u64(body));
  return std::nullopt;
}

namespace {

/// Reads the address whose bytes start at `body`.
address address_at(const uint8_t* body) noexcept {
  address::byte_array bytes;
  std::memcpy(bytes.data(), body, address_size);
  return address{bytes};
}

} // namespace

std::optional<address> data_view::as_address() const noexcept {
  if (auto body = fixed_body(pos_, end_, tag::address))
    return address_at(body);
  return std::nullopt;
}

std::optional<subnet> data_view::as_subnet() const noexcept {
  // As the decoder: the raw length is not validated (spec: §4.6).
  if (auto body = fixed_body(pos_, end_, tag::subnet))
    return subnet::unchecked(address_at(body), body[address_size]);
  return std::nullopt;
}

std::optional<port> data_view::as_port() const noexcept {
  auto body = fixed_body(pos_, end_, tag::port);
  if (!body || body[2] > max_port_protocol)
    return std::nullopt;
  return port{bin::read_u16(body), static_cast<port::protocol>(body[2])};
}

std::optional<timestamp> data_view::as_timestamp() const noexcept {
  if (auto body = fixed_body(pos_, end_, tag::timestamp))
    return timestamp{timespan{static_cast<int64_t>(bin::read_u64(body))}};
  return std::nullopt;
}

std::optional<timespan> data_view::as_timespan() const noexcept {
  if (auto body = fixed_body(pos_, end_, tag::timespan))
    return timespan{static_cast<int64_t>(bin::read_u64(body))};
  return std::nullopt;
}

std::optional<std::string_view> data_view::as_string() const noexcept {
  return string_body(pos_, end_, tag::string);
}

std::optional<std::string_view> data_view::as_enum_name() const noexcept {
  return string_body(pos_, end_, tag::enum_value);
}

template <class Range>
std::optional<Range> data_view::container(data::type t) const noexcept {
  if (pos_ == nullptr || pos_ == end_ || *pos_ != static_cast<uint8_t>(t))
    return std::nullopt;
  bin::reader src{bin::byte_span{pos_ + 1, remaining(pos_ + 1, end_)}};
  uint32_t size = 0;
  if (!src.read_varbyte(size))
    return std::nullopt;
  return Range{src.position(), end_, size};
}

std::optional<data_view_list> data_view::as_vector() const noexcept {
  return container<data_view_list>(tag::vector);
}

std::optional<data_view_list> data_view::as_set() const noexcept {
  return container<data_view_list>(tag::set);
}

std::optional<data_view_table> data_view::as_table() const noexcept {
  return container<data_view_table>(tag::table);
}

const uint8_t* data_view::value_end() const noexcept {
  return skip_element(pos_, end_);
}

data data_view::to_data() const {
  auto last = value_end();
  data result;
  bin::decode_error err;
  if (!last ||
      !bin::decode(bin::byte_span{pos_, remaining(pos_, last)}, result, err))
    return data{};
  return result;
}

// -- data_view_list -----------------------------------------------------------

data_view_list::iterator& data_view_list::iterator::operator++() noexcept {
  if (left_ == 0)
    return *this;
  if (--left_ > 0) {
    // No element starts at the end of the bytes.
    pos_ = skip_element(pos_, end_);
    if (pos_ == nullptr || pos_ == end_)
      left_ = 0;
  }
  return *this;
}

data_view data_view_list::operator[](size_t i) const noexcept {
  if (i >= size_)
    return data_view{};
  auto pos = first_;
  for (size_t j = 0; j < i && pos != nullptr; ++j)
    pos = skip_element(pos, end_);
  return pos ? data_view{pos, end_} : data_view{};
}

// -- data_view_table ----------------------------------------------------------

data_view_table::iterator::iterator(const uint8_t* pos, const uint8_t* end,
                                    uint32_t left) noexcept
    : view_iterator_base(left), pos_(pos), end_(end) {
  if (left_ > 0) {
    value_ = skip_element(pos_, end_);
    if (value_ == nullptr || value_ == end_)
      left_ = 0;
  }
}

data_view_table::iterator& data_view_table::iterator::operator++() noexcept {
  if (left_ == 0)
    return *this;
  if (--left_ > 0) {
    pos_ = skip_element(value_, end_);
    value_ = pos_ ? skip_element(pos_, end_) : nullptr;
    if (value_ == nullptr || value_ == end_)
      left_ = 0;
  }
  return *this;
}

} // namespace broker
