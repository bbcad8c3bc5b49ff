// An LD_PRELOAD shim that makes a process look like it runs on a host
// without IPv6 (a kernel booted with ipv6.disable=1): socket(AF_INET6, ...)
// fails with EAFNOSUPPORT. Everything else goes straight to the kernel.

#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

extern "C" int socket(int domain, int type, int protocol) {
  if (domain == AF_INET6) {
    errno = EAFNOSUPPORT;
    return -1;
  }
  return static_cast<int>(::syscall(SYS_socket, domain, type, protocol));
}
