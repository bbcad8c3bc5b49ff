#include "support/vector_values.hh"

#include "broker/zeek.hh"

#include <limits>
#include <map>
#include <stdexcept>

using namespace std::literals;

namespace broker::test {

namespace {

/// Number of elements of `vector_300_counts_0_to_299`.
constexpr count num_vector_counts = 300;

/// Length of `string_200_x`.
constexpr size_t long_string_size = 200;

data make_count_vector() {
  vector xs;
  for (count i = 0; i < num_vector_counts; ++i)
    xs.emplace_back(i);
  return xs;
}

const std::map<std::string, data, std::less<>>& data_values() {
  static const auto values = [] {
    std::map<std::string, data, std::less<>> m;
    m["none"] = data{};
    m["bool_true"] = true;
    m["bool_false"] = false;
    m["count_0"] = count{0};
    m["count_1"] = count{1};
    m["count_42"] = count{42};
    m["count_max_2p64m1"] = std::numeric_limits<count>::max();
    m["integer_0"] = integer{0};
    m["integer_m1"] = integer{-1};
    m["integer_m2"] = integer{-2};
    m["integer_min"] = std::numeric_limits<integer>::min();
    m["integer_max"] = std::numeric_limits<integer>::max();
    m["real_0"] = 0.0;
    m["real_neg0"] = -0.0;
    m["real_1_5"] = 1.5;
    m["real_m7_5"] = -7.5;
    m["real_1e300"] = 1e300;
    m["real_5em324_subnormal"] = 4.9406564584124654e-324;
    m["real_pos_inf"] = std::numeric_limits<real>::infinity();
    m["real_neg_inf"] = -std::numeric_limits<real>::infinity();
    m["real_nan"] = std::numeric_limits<real>::quiet_NaN();
    m["real_0_1"] = 0.1;
    m["string_empty"] = ""s;
    m["string_hi"] = "hi"s;
    m["string_200_x"] = std::string(long_string_size, 'x');
    m["string_utf8_hello"] = "h\xc3\xa9llo"s;
    m["string_with_nul"] = "a\0b"s;
    m["string_json_escapes"] = "q\"b\\s/n\nr\rt\tb\bf\fv\vc\x01"s;
    m["address_192_168_1_2"] = parse<address>("192.168.1.2");
    m["address_0_0_0_0"] = parse<address>("0.0.0.0");
    m["address_v6_loopback"] = parse<address>("::1");
    m["address_2001_db8__1"] = parse<address>("2001:db8::1");
    m["address_v4mapped_1_2_3_4"] = parse<address>("::ffff:1.2.3.4");
    m["subnet_10_0_0_0_8"] = parse<subnet>("10.0.0.0/8");
    m["subnet_192_168_0_0_16"] = parse<subnet>("192.168.0.0/16");
    m["subnet_2001_db8__32"] = parse<subnet>("2001:db8::/32");
    m["subnet_0_0_0_0_0"] = parse<subnet>("0.0.0.0/0");
    m["port_80_tcp"] = port{80, port::protocol::tcp};
    m["port_53_udp"] = port{53, port::protocol::udp};
    m["port_8_icmp"] = port{8, port::protocol::icmp};
    m["port_0_unknown"] = port{0, port::protocol::unknown};
    m["port_65535_tcp"] = port{65535, port::protocol::tcp};
    m["timestamp_0"] = timestamp{};
    m["timestamp_1700000000123456789ns"] =
        timestamp{timespan{1700000000123456789}};
    m["timestamp_neg_1500000000ns"] = timestamp{timespan{-1500000000}};
    m["timespan_0"] = timespan{0};
    m["timespan_1s"] = timespan{std::chrono::seconds{1}};
    m["timespan_m1ns"] = timespan{-1};
    m["timespan_1500ms"] = std::chrono::milliseconds{1500};
    m["enum_conn_log"] = enum_value{"Conn::LOG"};
    m["enum_empty"] = enum_value{""};
    m["set_empty"] = set{};
    m["table_empty"] = table{};
    m["vector_empty"] = vector{};
    m["set_count_3_1_2_inserted_std_set"] = set{count{3}, count{1}, count{2}};
    m["set_count_3_1_2_via_set_builder"] = set{count{3}, count{1}, count{2}};
    m["set_mixed_a_1_2_5_1_2_3_4"] =
        set{"a"s, count{1}, 2.5, parse<address>("1.2.3.4")};
    m["table_k1_a2"] = table{{"k"s, count{1}}, {"a"s, count{2}}};
    m["vector_mixed_nested"] =
        vector{count{1}, "two"s, 3.0, vector{count{4}, "five"s}, set{}};
    m["vector_3_deep"] = vector{data{vector{data{vector{"deep"s}}}}};
    m["vector_300_counts_0_to_299"] = make_count_vector();
    return m;
  }();
  return values;
}

const std::map<std::string, data, std::less<>>& zeek_values() {
  static const auto values = [] {
    using namespace broker::zeek;
    std::map<std::string, data, std::less<>> m;
    auto ping42 = [] { return vector{count{42}}; };
    m["event_ping42_no_metadata"] = Event{"ping", ping42()}.move_data();
    m["event_ping42_empty_metadata"] =
        Event{"ping", ping42(), vector{}}.move_data();
    m["event_ping42_network_timestamp_1700000000123456789ns"] = Event{
        "ping", ping42(), timestamp{timespan{1700000000123456789}}}.move_data();
    m["event_ping42_user_metadata_200"] =
        Event{"ping", ping42(), vector{data{vector{count{200}, "custom"s}}}}
            .move_data();
    m["event_no_args"] = Event{"hello", vector{}}.move_data();
    auto field = [](std::string name, count type) {
      return vector{std::move(name), nil, type, count{0}, false};
    };
    m["log_create_conn"] =
        LogCreate{enum_value{"Conn::LOG"}, enum_value{"Log::WRITER_ASCII"},
                  vector{"conn"s, timestamp{}, timespan{}, table{}},
                  vector{field("ts", 5), field("uid", 7)}}
            .move_data();
    m["log_write_conn"] =
        LogWrite{enum_value{"Conn::LOG"}, enum_value{"Log::WRITER_ASCII"},
                 "conn", "\x01\x02serialized\x00"s}
            .move_data();
    m["identifier_update_test_x_42"] =
        IdentifierUpdate{"Test::x", count{42}}.move_data();
    Batch batch;
    batch.add(Event{"ping", vector{count{1}}});
    batch.add(Event{"pong", vector{count{2}}});
    m["batch_ping1_pong2"] = batch.move_data();
    return m;
  }();
  return values;
}

std::optional<data> find(const std::map<std::string, data, std::less<>>& m,
                         std::string_view name) {
  if (auto i = m.find(name); i != m.end())
    return i->second;
  return std::nullopt;
}

} // namespace

std::optional<data> data_vector_value(std::string_view name) {
  return find(data_values(), name);
}

std::optional<data> zeek_vector_value(std::string_view name) {
  return find(zeek_values(), name);
}

} // namespace broker::test
