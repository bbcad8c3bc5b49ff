#include "support/raw_websocket.hh"

#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace broker::test {

namespace {

using clock_type = std::chrono::steady_clock;

/// The mask key of every frame we send (RFC 6455 §5.3: any value; a fixed
/// one keeps the bytes reproducible).
constexpr uint8_t mask_key[4] = {0x5a, 0x17, 0xc3, 0x9e};

/// Largest server frame `read_frame` accepts.
constexpr uint64_t max_server_frame = 16 * 1024 * 1024;

int remaining_ms(clock_type::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - clock_type::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

/// Reads up to `n` bytes into `out`; false on timeout, EOF or error.
bool read_some(int fd, size_t n, std::string& out,
               clock_type::time_point deadline) {
  for (;;) {
    pollfd pfd{fd, POLLIN, 0};
    auto rc = ::poll(&pfd, 1, remaining_ms(deadline));
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc <= 0)
      return false;
    char buf[4096];
    auto got = ::recv(fd, buf, n < sizeof(buf) ? n : sizeof(buf), 0);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return false;
    out.append(buf, static_cast<size_t>(got));
    return true;
  }
}

} // namespace

std::string ws_upgrade_request(const std::string& path) {
  return "GET " + path +
         " HTTP/1.1\r\n"
         "Host: 127.0.0.1\r\n"
         "Upgrade: websocket\r\n"
         "Connection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
         "Sec-WebSocket-Version: 13\r\n"
         "\r\n";
}

std::vector<uint8_t> ws_frame_header(uint8_t opcode, uint64_t size, bool fin) {
  std::vector<uint8_t> out;
  out.push_back(static_cast<uint8_t>((fin ? 0x80 : 0x00) | (opcode & 0x0f)));
  constexpr uint8_t masked = 0x80;
  if (size <= 125) {
    out.push_back(static_cast<uint8_t>(masked | size));
  } else if (size <= UINT16_MAX) {
    out.push_back(masked | 126);
    out.push_back(static_cast<uint8_t>(size >> 8));
    out.push_back(static_cast<uint8_t>(size));
  } else {
    out.push_back(masked | 127);
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(static_cast<uint8_t>(size >> shift));
  }
  out.insert(out.end(), mask_key, mask_key + 4);
  return out;
}

std::vector<uint8_t> ws_frame(uint8_t opcode, std::string_view payload,
                              bool fin) {
  auto out = ws_frame_header(opcode, payload.size(), fin);
  out.reserve(out.size() + payload.size());
  for (size_t i = 0; i < payload.size(); ++i)
    out.push_back(static_cast<uint8_t>(payload[i]) ^ mask_key[i % 4]);
  return out;
}

uint16_t ws_server_frame::close_code() const {
  if (opcode != ws_close || payload.size() < 2)
    return 0;
  return static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) |
                               static_cast<uint8_t>(payload[1]));
}

raw_ws_client raw_ws_client::connect(uint16_t port) {
  auto sock = raw_socket::connect(port);
  auto req = ws_upgrade_request();
  REQUIRE(sock.send({req.begin(), req.end()}));
  // Byte by byte up to the blank line: the server sends nothing else
  // before our first frame.
  std::string reply;
  auto deadline = clock_type::now() + wait_bound;
  while (reply.size() < 4 || reply.compare(reply.size() - 4, 4, "\r\n\r\n"))
    REQUIRE(read_some(sock.fd(), 1, reply, deadline));
  INFO("reply: " << reply);
  REQUIRE(reply.rfind("HTTP/1.1 101", 0) == 0);
  return raw_ws_client{std::move(sock)};
}

raw_ws_client raw_ws_client::connect(uint16_t port, std::string_view filter) {
  auto client = connect(port);
  REQUIRE(client.send_text(filter));
  auto ack = client.read_frame();
  REQUIRE(ack);
  INFO("first frame: " << ack->payload);
  REQUIRE(ack->payload.find(R"("type":"ack")") != std::string::npos);
  return client;
}

bool raw_ws_client::read_exact(size_t n, std::string& out,
                               clock_type::time_point deadline) {
  auto goal = out.size() + n;
  while (out.size() < goal)
    if (!read_some(sock_.fd(), goal - out.size(), out, deadline))
      return false;
  return true;
}

std::optional<ws_server_frame> raw_ws_client::read_frame(timespan timeout) {
  auto deadline = clock_type::now() +
                  std::chrono::duration_cast<clock_type::duration>(timeout);
  std::string header;
  if (!read_exact(2, header, deadline))
    return std::nullopt;
  ws_server_frame result;
  auto b0 = static_cast<uint8_t>(header[0]);
  auto b1 = static_cast<uint8_t>(header[1]);
  result.fin = (b0 & 0x80) != 0;
  result.opcode = b0 & 0x0f;
  uint64_t size = b1 & 0x7f;
  size_t extra = size == 126 ? 2 : size == 127 ? 8 : 0;
  if (extra > 0) {
    std::string ext;
    if (!read_exact(extra, ext, deadline))
      return std::nullopt;
    size = 0;
    for (auto c : ext)
      size = (size << 8) | static_cast<uint8_t>(c);
  }
  if (size > max_server_frame)
    return std::nullopt;
  if (!read_exact(static_cast<size_t>(size), result.payload, deadline))
    return std::nullopt;
  return result;
}

std::optional<ws_server_frame> raw_ws_client::read_close(timespan timeout) {
  auto deadline = clock_type::now() +
                  std::chrono::duration_cast<clock_type::duration>(timeout);
  for (;;) {
    auto left =
        std::chrono::duration_cast<timespan>(deadline - clock_type::now());
    if (left <= timespan{0})
      return std::nullopt;
    auto frame = read_frame(left);
    if (!frame || frame->opcode == ws_close)
      return frame;
  }
}

} // namespace broker::test
