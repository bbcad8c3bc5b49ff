#include "broker/peer_metrics.hh"

#include "broker/convert.hh"
#include "broker/endpoint_id.hh"
#include "broker/network_info.hh"

#include <charconv>
#include <chrono>

namespace broker {

namespace {

/// Appends `str` as a Prometheus label value: `\`, `"` and newlines escaped
/// (text exposition format 0.0.4).
void append_label_value(std::string_view str, std::string& out) {
  out += '"';
  for (auto c : str) {
    switch (c) {
    case '\\':
      out += "\\\\";
      break;
    case '"':
      out += "\\\"";
      break;
    case '\n':
      out += "\\n";
      break;
    default:
      out += c;
    }
  }
  out += '"';
}

template <class T>
void append_number(T x, std::string& out) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), x);
  out.append(buf, res.ptr);
}

/// One metric family: its name, kind, help text, and how to read it.
struct family {
  std::string_view name;
  std::string_view type;
  std::string_view help;
  uint64_t (*read)(const peer_metrics&);
};

constexpr family families[] = {
    {"broker_peer_received_messages_total", "counter",
     "Data messages received from the peer.",
     [](const peer_metrics& x) { return x.messages_in; }},
    {"broker_peer_sent_messages_total", "counter",
     "Data messages written to the peer.",
     [](const peer_metrics& x) { return x.messages_out; }},
    {"broker_peer_received_bytes_total", "counter",
     "Bytes received from the peer.",
     [](const peer_metrics& x) { return x.bytes_in; }},
    {"broker_peer_sent_bytes_total", "counter", "Bytes written to the peer.",
     [](const peer_metrics& x) { return x.bytes_out; }},
    {"broker_peer_dropped_newest_messages_total", "counter",
     "Messages dropped by the overflow policy drop_newest.",
     [](const peer_metrics& x) { return x.dropped_newest; }},
    {"broker_peer_dropped_oldest_messages_total", "counter",
     "Messages dropped by the overflow policy drop_oldest.",
     [](const peer_metrics& x) { return x.dropped_oldest; }},
    {"broker_peer_malformed_messages_total", "counter",
     "Malformed messages from the peer that were dropped.",
     [](const peer_metrics& x) { return x.malformed; }},
    {"broker_peer_queued_messages", "gauge",
     "Messages waiting in the peer's outbound buffer.",
     [](const peer_metrics& x) { return uint64_t{x.queue_depth}; }},
    {"broker_peer_queue_capacity_messages", "gauge",
     "Capacity of the peer's outbound buffer.",
     [](const peer_metrics& x) { return uint64_t{x.queue_capacity}; }},
    {"broker_peer_reconnects_total", "counter",
     "Times an outbound peering was re-established after a loss.",
     [](const peer_metrics& x) { return x.reconnects; }},
};

void append_header(std::string_view name, std::string_view type,
                   std::string_view help, std::string& out) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

/// Appends `{endpoint="..",peer="..",address="..",type=".."}`.
void append_peer_labels(const std::string& endpoint_name, const peer_metrics& x,
                        std::string& out) {
  out += "{endpoint=";
  append_label_value(endpoint_name, out);
  out += ",peer=";
  std::string text;
  convert(x.peer.node, text);
  append_label_value(text, out);
  out += ",address=";
  text.clear();
  if (x.peer.network)
    text = x.peer.network->address + ":" + std::to_string(x.peer.network->port);
  append_label_value(text, out);
  out += ",type=";
  append_label_value(x.web_socket ? "web-socket" : "native", out);
  out += '}';
}

} // namespace

std::string to_prometheus(const std::vector<peer_metrics>& xs,
                          const std::string& endpoint_name) {
  std::string out;
  // Upstream's family (spec: upstream-broker.md §1.10).
  append_header("broker_connections", "gauge",
                "Established peerings and WebSocket clients.", out);
  size_t clients = 0;
  for (const auto& x : xs)
    clients += x.web_socket ? 1 : 0;
  for (auto [type, n] : {std::pair{"native", xs.size() - clients},
                         std::pair{"web-socket", clients}}) {
    out += "broker_connections{endpoint=";
    append_label_value(endpoint_name, out);
    out += ",type=";
    append_label_value(type, out);
    out += "} ";
    append_number(n, out);
    out += '\n';
  }
  for (const auto& fam : families) {
    append_header(fam.name, fam.type, fam.help, out);
    for (const auto& x : xs) {
      out += fam.name;
      append_peer_labels(endpoint_name, x, out);
      out += ' ';
      append_number(fam.read(x), out);
      out += '\n';
    }
  }
  append_header("broker_peer_round_trip_seconds", "gauge",
                "Round trip of the latest answered heartbeat ping.", out);
  for (const auto& x : xs) {
    if (!x.round_trip)
      continue;
    out += "broker_peer_round_trip_seconds";
    append_peer_labels(endpoint_name, x, out);
    out += ' ';
    append_number(std::chrono::duration<double>(*x.round_trip).count(), out);
    out += '\n';
  }
  return out;
}

} // namespace broker
