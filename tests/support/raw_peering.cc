#include "support/raw_peering.hh"

#include "format/bin.hh"

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <variant>

namespace broker::test {

namespace bin = format::bin::v1;

endpoint_id id_of(const char* str) {
  endpoint_id result;
  REQUIRE(convert(std::string{str}, result));
  return result;
}

std::vector<uint8_t> frame_of(const wire::handshake_msg& msg) {
  bin::byte_buffer out;
  wire::encode(msg, out);
  return out;
}

wire::handshake_msg read_handshake(raw_socket& sock, timespan timeout) {
  auto payload = sock.read_frame(timeout);
  REQUIRE(payload);
  wire::handshake_msg msg;
  ec code = ec::none;
  std::string reason;
  REQUIRE(wire::decode_handshake_msg(
      bin::byte_span{payload->data(), payload->size()}, msg, code, reason));
  return msg;
}

raw_socket raw_peering(uint16_t port, const endpoint_id& own,
                       filter_type filter) {
  auto sock = raw_socket::connect(port);
  REQUIRE(std::holds_alternative<wire::probe_msg>(read_handshake(sock)));
  REQUIRE(sock.send(frame_of(wire::make_hello_msg(own))));
  REQUIRE(
      std::holds_alternative<wire::version_select_msg>(read_handshake(sock)));
  REQUIRE(
      std::holds_alternative<wire::originator_syn_msg>(read_handshake(sock)));
  REQUIRE(sock.send(frame_of(wire::responder_syn_ack_msg{std::move(filter)})));
  REQUIRE(
      std::holds_alternative<wire::originator_ack_msg>(read_handshake(sock)));
  return sock;
}

} // namespace broker::test
