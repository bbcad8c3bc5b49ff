#include "support/child_process.hh"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>

extern char** environ;

namespace broker::test {

namespace {

using clock_type = std::chrono::steady_clock;

clock_type::time_point deadline_after(timespan timeout) {
  return clock_type::now() +
         std::chrono::duration_cast<clock_type::duration>(timeout);
}

bool wait_readable(int fd, clock_type::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - clock_type::now());
    pollfd pfd{fd, POLLIN, 0};
    auto rc = ::poll(&pfd, 1, left.count() < 0 ? 0 : int(left.count()));
    if (rc > 0)
      return true;
    if (rc == 0 || errno != EINTR)
      return false;
  }
}

} // namespace

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

bool child_process::write_line(const std::string& line) {
  if (in_ < 0)
    return false;
  auto text = line + "\n";
  // A child that exited must not kill us with SIGPIPE: block it for this
  // thread and swallow the one our write raised.
  sigset_t pipe_set;
  sigset_t old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  bool ok = true;
  size_t written = 0;
  while (written < text.size()) {
    auto rc = ::write(in_, text.data() + written, text.size() - written);
    if (rc < 0) {
      if (errno == EINTR)
        continue;
      ok = false;
      break;
    }
    written += static_cast<size_t>(rc);
  }
  if (!ok && errno == EPIPE) {
    timespec zero{0, 0};
    sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  return ok;
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
