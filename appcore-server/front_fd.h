/* System calls on descriptors that CivetWeb's threads own: probing sockets, cutting them,
 * swapping the listener. They are made with syscall(2) instead of the C library's wrappers
 * because ThreadSanitizer models each descriptor as a memory location and would report every
 * probe as a race with CivetWeb's accept() or close() on another thread, which is exactly the
 * situation this code is written for: a socket is identified by its cookie before anything is
 * done to it, and cut through a dup() that holds on to that very socket. */
#ifndef APPCORE_SERVER_FRONT_FD_H
#define APPCORE_SERVER_FRONT_FD_H

#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SO_COOKIE
#define SO_COOKIE 57 /* asm-generic/socket.h, Linux 4.12 */
#endif

static inline int fd_getsockname(int fd, void *address, socklen_t *len)
{
	return (int)syscall(SYS_getsockname, fd, address, len);
}

static inline int fd_getpeername(int fd, void *address, socklen_t *len)
{
	return (int)syscall(SYS_getpeername, fd, address, len);
}

static inline int fd_getsockopt(int fd, int level, int name, void *value, socklen_t *len)
{
	return (int)syscall(SYS_getsockopt, fd, level, name, value, len);
}

/* The socket's cookie: unique among every socket the kernel ever made (never reused, unlike a
 * descriptor number); 0 on error. */
static inline uint64_t fd_cookie(int fd)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);

	if (fd_getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) != 0)
		return 0;
	return cookie;
}

/* Bytes in the receive queue, or -1. */
static inline int fd_pending(int fd)
{
	int pending = 0;

	if (syscall(SYS_ioctl, fd, FIONREAD, &pending) != 0)
		return -1;
	return pending;
}

static inline long fd_peek(int fd, void *buf, size_t len)
{
	return syscall(SYS_recvfrom, fd, buf, len, MSG_PEEK | MSG_DONTWAIT, NULL, NULL);
}

static inline int fd_dup(int fd)
{
	return (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0);
}

static inline int fd_dup2(int from, int to)
{
	return (int)syscall(SYS_dup3, from, to, O_CLOEXEC);
}

static inline int fd_shutdown(int fd, int how)
{
	return (int)syscall(SYS_shutdown, fd, how);
}

static inline int fd_close(int fd)
{
	return (int)syscall(SYS_close, fd);
}

#endif
