// data_view: reading values in wire form, checked against the decoder on
// upstream's vectors and random values, and on damaged bytes, where it must
// never read past its input (the ASan+UBSan run checks that).

#include "broker/data_view.hh"

#include "broker/message.hh"
#include "broker/zeek.hh"
#include "format/bin.hh"
#include "support/events.hh"
#include "support/random_values.hh"
#include "support/vectors.hh"

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace broker;

namespace bin = broker::format::bin::v1;

using broker::test::from_hex;
using broker::test::to_hex;

namespace {

using bytes = std::vector<uint8_t>;

data_view view_of(const bytes& buf) {
  return data_view{buf.data(), buf.data() + buf.size()};
}

/// Checks that exactly the accessor of the view's type answers.
void check_one_accessor(const data_view& v) {
  using t = data::type;
  auto type = v.type();
  CHECK(v.as_boolean().has_value() == (type == t::boolean));
  CHECK(v.as_count().has_value() == (type == t::count));
  CHECK(v.as_integer().has_value() == (type == t::integer));
  CHECK(v.as_real().has_value() == (type == t::real));
  CHECK(v.as_string().has_value() == (type == t::string));
  CHECK(v.as_address().has_value() == (type == t::address));
  CHECK(v.as_subnet().has_value() == (type == t::subnet));
  CHECK(v.as_port().has_value() == (type == t::port));
  CHECK(v.as_timestamp().has_value() == (type == t::timestamp));
  CHECK(v.as_timespan().has_value() == (type == t::timespan));
  CHECK(v.as_enum_name().has_value() == (type == t::enum_value));
  CHECK(v.as_set().has_value() == (type == t::set));
  CHECK(v.as_table().has_value() == (type == t::table));
  CHECK(v.as_vector().has_value() == (type == t::vector));
  CHECK(v.is_none() == (type == t::none));
}

/// Builds the value behind a view of well-formed bytes through its
/// accessors only (not through the decoder).
data rebuild(const data_view& v) {
  check_one_accessor(v);
  switch (v.type()) {
  case data::type::none:
    return nil;
  case data::type::boolean:
    return *v.as_boolean();
  case data::type::count:
    return *v.as_count();
  case data::type::integer:
    return *v.as_integer();
  case data::type::real:
    return *v.as_real();
  case data::type::string:
    return std::string{*v.as_string()};
  case data::type::address:
    return *v.as_address();
  case data::type::subnet:
    return *v.as_subnet();
  case data::type::port:
    return *v.as_port();
  case data::type::timestamp:
    return *v.as_timestamp();
  case data::type::timespan:
    return *v.as_timespan();
  case data::type::enum_value:
    return enum_value{std::string{*v.as_enum_name()}};
  case data::type::set: {
    auto elements = *v.as_set();
    set result;
    size_t visited = 0;
    for (auto x : elements) {
      result.insert(rebuild(x));
      ++visited;
    }
    CHECK(visited == elements.size());
    return result;
  }
  case data::type::table: {
    auto entries = *v.as_table();
    table result;
    size_t visited = 0;
    for (auto [key, value] : entries) {
      result.emplace(rebuild(key), rebuild(value));
      ++visited;
    }
    CHECK(visited == entries.size());
    return result;
  }
  case data::type::vector: {
    auto elements = *v.as_vector();
    vector result;
    for (auto x : elements)
      result.push_back(rebuild(x));
    CHECK(result.size() == elements.size());
    // Indexing finds the same elements as iterating.
    for (size_t i = 0; i < result.size(); ++i)
      CHECK(bin::encode(elements[i].to_data()) == bin::encode(result[i]));
    CHECK(elements[result.size()].is_none());
    return result;
  }
  }
  FAIL("unknown type");
  return nil;
}

/// Checks a view of the encoded value `buf` against the decoder: rebuilt
/// through the accessors and through `to_data`, it encodes to the same bytes
/// as the decoded value (bytes, not `==`: NaN).
void check_view(const bytes& buf) {
  INFO(to_hex(buf));
  data decoded;
  bin::decode_error err;
  REQUIRE(bin::decode(bin::byte_span{buf}, decoded, err));
  auto expected = bin::encode(decoded);
  CHECK(bin::encode(rebuild(view_of(buf))) == expected);
  CHECK(bin::encode(view_of(buf).to_data()) == expected);
}

/// Calls every accessor and walks every container, reading what there is
/// (for bytes that need not be well formed), including the last character
/// of every string. Returns a checksum of what it read.
size_t walk(const data_view& v, size_t depth = 0) {
  size_t sum = static_cast<size_t>(v.type());
  sum += v.as_boolean().value_or(false);
  sum += v.as_count().value_or(0);
  sum += static_cast<size_t>(v.as_integer().value_or(0));
  sum += v.as_real().has_value();
  sum += v.as_address().has_value();
  sum += v.as_subnet().has_value();
  sum += v.as_port().has_value();
  sum += v.as_timestamp().has_value();
  sum += v.as_timespan().has_value();
  for (auto str : {v.as_string(), v.as_enum_name()})
    if (str && !str->empty())
      sum += static_cast<uint8_t>(str->back());
  if (depth > 8)
    return sum;
  for (auto elements : {v.as_set(), v.as_vector()})
    if (elements) {
      for (auto x : *elements)
        sum += walk(x, depth + 1);
      sum += walk((*elements)[elements->size() / 2], depth + 1);
    }
  if (auto entries = v.as_table())
    for (auto [key, value] : *entries)
      sum += walk(key, depth + 1) + walk(value, depth + 1);
  return sum;
}

} // namespace

TEST_CASE("a view reads every data.txt vector as the decoder does",
          "[model][data_view]") {
  auto rows = broker::test::load_vector_file("data.txt");
  REQUIRE(!rows.empty());
  for (const auto& row : rows) {
    INFO(row.name());
    check_view(from_hex(row.fields.at(1)));
  }
}

TEST_CASE("a view reads random values as the decoder does",
          "[model][data_view]") {
  constexpr size_t num_values = 2000;
  broker::test::value_generator gen{42};
  for (size_t i = 0; i < num_values; ++i)
    check_view(bin::encode(gen.next()));
}

TEST_CASE("a view of cut or damaged bytes stays inside them",
          "[model][data_view]") {
  // Every strict prefix of an encoding ends inside the value, so it never
  // decodes; a view of it must not read past it (ASan) and yields none.
  constexpr size_t num_values = 300;
  broker::test::value_generator gen{11};
  std::mt19937 rng{11};
  for (size_t i = 0; i < num_values; ++i) {
    auto buf = bin::encode(gen.next());
    INFO(to_hex(buf));
    for (size_t len = 0; len < buf.size(); ++len) {
      // A copy of exactly `len` bytes, so that ASan sees any read past it.
      auto cut = std::make_unique<uint8_t[]>(len);
      std::copy(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(len),
                cut.get());
      data_view v{cut.get(), cut.get() + len};
      walk(v);
      CHECK(v.to_data().is_none());
    }
    auto damaged = buf;
    for (int change = 0; change < 8; ++change) {
      damaged[rng() % damaged.size()] = static_cast<uint8_t>(rng());
      walk(view_of(damaged));
    }
  }
}

TEST_CASE("a container's claimed size does not outrun its bytes",
          "[model][data_view]") {
  // A vector that claims 2^32 - 1 elements and holds two nones.
  auto buf = from_hex("0effffffff0f0000");
  auto elements = view_of(buf).as_vector();
  REQUIRE(elements);
  CHECK(elements->size() == 4294967295u);
  size_t visited = 0;
  for (auto x : *elements) {
    CHECK(x.is_none());
    ++visited;
  }
  CHECK(visited == 2);
  auto it = elements->begin();
  CHECK(it++ == elements->begin()); // post-increment returns the old position
  CHECK(it != elements->begin());
  CHECK(++it == elements->end());
  CHECK(view_of(buf).to_data().is_none());
  // A table that claims one entry and holds only its key.
  auto half = from_hex("0d0100");
  auto entries = view_of(half).as_table();
  REQUIRE(entries);
  CHECK(entries->begin() == entries->end());
  // A string whose length runs past the end.
  auto str = from_hex("0505616263");
  CHECK(!view_of(str).as_string());
  CHECK(view_of(str).type() == data::type::string);
  // An invalid tag, and no bytes at all.
  auto bad = from_hex("0f");
  CHECK(view_of(bad).is_none());
  CHECK(!view_of(bad).as_vector());
  CHECK(data_view{}.is_none());
  CHECK(data_view{}.to_data().is_none());
}

TEST_CASE("a message in wire form is readable through its view",
          "[model][data_view]") {
  auto event = broker::test::numbered_event(4711, std::string(50, 'x'));
  auto buf = std::make_shared<const bytes>(bin::encode(event));
  // Padding around the message: the view must see only its slice.
  auto padded = std::make_shared<bytes>(buf->size() + 4, uint8_t{0x0e});
  std::copy(buf->begin(), buf->end(), padded->begin() + 3);
  auto size = static_cast<uint32_t>(buf->size());
  data_message msg{new data_envelope(topic{"/a"}, std::move(padded), 3, size),
                   false};
  REQUIRE(msg->has_encoded());
  auto v = msg->encoded_view();
  CHECK(broker::test::event_number(v) == 4711u);
  auto content = (*v.as_vector())[2].as_vector();
  REQUIRE(content);
  CHECK((*content)[0].as_string() == std::string_view{"bench"});
  auto args = (*content)[1].as_vector();
  REQUIRE(args);
  CHECK((*args)[1].as_string() == std::string_view{std::string(50, 'x')});
  CHECK(bin::encode(v.to_data()) == *buf);
  // Reading the view left the value undecoded; decoding gives the same.
  CHECK(bin::encode(msg->value()) == *buf);
  // Anything else reads as no event.
  auto other = bin::encode(data{vector{count{1}, count{1}}});
  CHECK(!broker::test::event_number(view_of(other)));
}
