#pragma once

/// Forward declarations of Broker's public types.

#include <cstdint>
#include <map>
#include <set>
#include <vector>

namespace broker {

class address;
class configuration;
class data;
class endpoint;
class endpoint_id;
class error;
class port;
class publisher;
class status;
class status_subscriber;
class subnet;
class subscriber;
class topic;

struct endpoint_info;
struct enum_value;
struct network_info;
struct none;
struct peer_info;

/// An ordered set of values (Zeek's `set`).
using set = std::set<data>;
/// An ordered map from values to values (Zeek's `table`).
using table = std::map<data, data>;
/// A sequence of values (Zeek's `vector`).
using vector = std::vector<data>;

enum class ec : uint8_t;
enum class sc : uint8_t;

} // namespace broker
