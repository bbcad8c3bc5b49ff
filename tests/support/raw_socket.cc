#include "support/raw_socket.hh"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace broker::test {

namespace {

using clock_type = std::chrono::steady_clock;

int remaining_ms(clock_type::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - clock_type::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

/// Waits until `fd` is readable or the deadline passed.
bool wait_readable(int fd, clock_type::time_point deadline) {
  for (;;) {
    pollfd pfd{fd, POLLIN, 0};
    auto rc = ::poll(&pfd, 1, remaining_ms(deadline));
    if (rc > 0)
      return true;
    if (rc == 0 || errno != EINTR)
      return false;
  }
}

clock_type::time_point deadline_after(timespan timeout) {
  return clock_type::now() +
         std::chrono::duration_cast<clock_type::duration>(timeout);
}

} // namespace

raw_socket raw_socket::connect(uint16_t port, const char* host) {
  sockaddr_storage storage{};
  socklen_t len = 0;
  int family = AF_INET;
  auto v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (::inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
  } else {
    throw std::runtime_error(std::string{"not an IP address: "} + host);
  }
  auto fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw std::runtime_error("socket() failed");
  if (::connect(fd, reinterpret_cast<sockaddr*>(&storage), len) != 0) {
    auto err = errno;
    ::close(fd);
    throw std::runtime_error("connect() failed: " +
                             std::string{std::strerror(err)});
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return raw_socket{fd};
}

raw_socket& raw_socket::operator=(raw_socket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

raw_socket::~raw_socket() {
  if (fd_ >= 0)
    ::close(fd_);
}

bool raw_socket::send(const std::vector<uint8_t>& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    auto n =
        ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool raw_socket::read_exact(uint8_t* buf, size_t n,
                            clock_type::time_point deadline) {
  size_t got = 0;
  while (got < n) {
    if (!wait_readable(fd_, deadline))
      return false;
    auto rc = ::recv(fd_, buf + got, n - got, 0);
    if (rc <= 0) {
      if (rc < 0 && errno == EINTR)
        continue;
      return false;
    }
    got += static_cast<size_t>(rc);
  }
  return true;
}

std::optional<std::vector<uint8_t>> raw_socket::read_frame(timespan timeout) {
  auto deadline = deadline_after(timeout);
  uint8_t header[4];
  if (!read_exact(header, sizeof(header), deadline))
    return std::nullopt;
  uint32_t len = (uint32_t{header[0]} << 24) | (uint32_t{header[1]} << 16) |
                 (uint32_t{header[2]} << 8) | uint32_t{header[3]};
  if (len > 16 * 1024 * 1024)
    return std::nullopt;
  std::vector<uint8_t> payload(len);
  if (!read_exact(payload.data(), len, deadline))
    return std::nullopt;
  return payload;
}

std::string raw_socket::read_until_closed(timespan timeout) {
  auto deadline = deadline_after(timeout);
  std::string result;
  char buf[4096];
  while (wait_readable(fd_, deadline)) {
    auto rc = ::recv(fd_, buf, sizeof(buf), 0);
    if (rc <= 0) {
      if (rc < 0 && errno == EINTR)
        continue;
      break;
    }
    result.append(buf, static_cast<size_t>(rc));
  }
  return result;
}

bool raw_socket::wait_closed(timespan timeout) {
  auto deadline = deadline_after(timeout);
  uint8_t buf[4096];
  for (;;) {
    if (!wait_readable(fd_, deadline))
      return false;
    auto rc = ::recv(fd_, buf, sizeof(buf), 0);
    if (rc == 0)
      return true;
    if (rc < 0 && errno != EINTR && errno != EAGAIN)
      return true; // reset counts as closed
  }
}

uint16_t raw_socket::local_port() const {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return 0;
  if (addr.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

void raw_socket::shrink_receive_buffer() {
  int size = 4096;
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

raw_listener::raw_listener(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    throw std::runtime_error("socket() failed");
  int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  socklen_t len = sizeof(addr);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd_, 16) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    auto err = errno;
    ::close(fd_);
    throw std::runtime_error("cannot listen on 127.0.0.1:" +
                             std::to_string(port) + ": " + std::strerror(err));
  }
  port_ = ntohs(addr.sin_port);
}

raw_listener::~raw_listener() {
  if (fd_ >= 0)
    ::close(fd_);
}

std::optional<raw_socket> raw_listener::accept(timespan timeout) {
  auto deadline = deadline_after(timeout);
  for (;;) {
    if (!wait_readable(fd_, deadline))
      return std::nullopt;
    auto fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      return raw_socket{fd};
    }
    if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN)
      return std::nullopt;
  }
}

} // namespace broker::test
