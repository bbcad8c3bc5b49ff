#include "support/raw_socket.hh"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

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

void raw_socket::shrink_receive_buffer() {
  int size = 4096;
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

child_process::child_process(const std::string& path,
                             const std::vector<std::string>& args) {
  int in_pipe[2];
  int out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe2() failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path.c_str()));
  for (auto& arg : args)
    argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  auto rc = ::posix_spawn(&pid_, path.c_str(), &actions, nullptr, argv.data(),
                          environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  in_ = in_pipe[1];
  out_ = out_pipe[0];
  if (rc != 0) {
    ::close(in_);
    ::close(out_);
    throw std::runtime_error("cannot start " + path);
  }
}

child_process::~child_process() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (in_ >= 0)
    ::close(in_);
  if (out_ >= 0)
    ::close(out_);
}

std::optional<std::string> child_process::read_line(timespan timeout) {
  auto deadline = deadline_after(timeout);
  for (;;) {
    if (auto nl = buffered_.find('\n'); nl != std::string::npos) {
      auto line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      return line;
    }
    if (!wait_readable(out_, deadline))
      return std::nullopt;
    char buf[512];
    auto rc = ::read(out_, buf, sizeof(buf));
    if (rc <= 0)
      return std::nullopt;
    buffered_.append(buf, static_cast<size_t>(rc));
  }
}

void child_process::signal(int sig) {
  ::kill(pid_, sig);
}

void child_process::close_stdin() {
  if (in_ >= 0) {
    ::close(in_);
    in_ = -1;
  }
}

std::optional<int> child_process::wait(timespan timeout) {
  auto deadline = deadline_after(timeout);
  for (;;) {
    int status = 0;
    auto rc = ::waitpid(pid_, &status, WNOHANG);
    if (rc == pid_) {
      reaped_ = true;
      return status;
    }
    if (clock_type::now() >= deadline)
      return std::nullopt;
    ::usleep(10'000);
  }
}

} // namespace broker::test
