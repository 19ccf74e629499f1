#ifndef EVENTIDE_CLIBUV_SHIM_H
#define EVENTIDE_CLIBUV_SHIM_H

#include <uv.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <errno.h>
#include <signal.h>
#include <pthread.h>
#include <time.h>

// Swift cannot cast between the handle "subclasses" libuv declares in C; these
// helpers keep those casts in one place.
static inline uv_handle_t *eventide_handle(void *handle) { return (uv_handle_t *)handle; }
static inline uv_stream_t *eventide_stream(void *handle) { return (uv_stream_t *)handle; }

// Creates a listening-ready TCP socket with SO_REUSEADDR (and SO_REUSEPORT when
// asked), bound to `addr`. Returns the fd or -errno. Debian's libuv 1.44 has no
// UV_TCP_REUSEPORT, so the socket is configured here and handed to uv_tcp_open.
static inline int eventide_bound_socket(const struct sockaddr *addr, int reuse_port) {
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) goto fail;
    if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0) goto fail;
    if (addr->sa_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0) goto fail;
    socklen_t len = addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (bind(fd, addr, len) != 0) goto fail;
    return fd;
fail:;
    int err = errno;
    close(fd);
    return -err;
}

static inline void eventide_close_fd(int fd) { close(fd); }

// A process may inherit a mask that blocks SIGTERM (e.g. from its launcher); a server
// that asked to handle the signal must see it.
static inline void eventide_unblock_signal(int signum) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signum);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

// A thread nobody will join releases its resources when it exits.
static inline void eventide_detach_thread(uv_thread_t thread) { pthread_detach(thread); }

// Names the calling thread (at most 15 bytes: the kernel's limit).
static inline void eventide_name_thread(const char *name) { pthread_setname_np(pthread_self(), name); }

// Writes to a closed socket must fail with EPIPE, not kill the process.
static inline void eventide_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

#endif
