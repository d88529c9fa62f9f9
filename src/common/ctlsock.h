/*
 * ctlsock — a client of hsysd's control socket (a Unix stream socket),
 * every step bounded by one deadline, so that a stuck or overloaded daemon
 * cannot hang an admin's command or an application: connecting (a full
 * listen backlog makes connect wait), sending, receiving.
 *
 * hsys (config/notify.c, cli/http_state.c) and libhsys (lib/session.c)
 * share it; it needs libc only, so libhsys links it (the Makefile's
 * LIB_SRC). A deadline is a time on the monotonic clock, in ms
 * (ctlsock_deadline). Functions return 0 or a count, else -errno:
 * -ETIMEDOUT when the deadline passed.
 */
#ifndef HSYS_COMMON_CTLSOCK_H
#define HSYS_COMMON_CTLSOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Now, and ms from now, on the monotonic clock, in ms. */
int64_t	ctlsock_now_ms(void);
int64_t	ctlsock_deadline(int ms);

/* A connected socket to path (blocking, close-on-exec), or -errno:
 * -ENOENT or -ECONNREFUSED when nothing listens there, -ETIMEDOUT when the
 * daemon's backlog stayed full until the deadline, -ENAMETOOLONG. */
int	ctlsock_connect(const char *path, int64_t deadline);
/* Waits until fd is ready for events (POLLIN, POLLOUT): 0, -ETIMEDOUT. */
int	ctlsock_wait(int fd, short events, int64_t deadline);
/* Sends all n bytes (no SIGPIPE): 0, or -errno. */
int	ctlsock_send(int fd, const void *, size_t n, int64_t deadline);
/* Receives what has come, up to n bytes: a count, 0 at end of stream,
 * or -errno. */
ssize_t	ctlsock_recv(int fd, void *, size_t n, int64_t deadline);
/* Receives exactly n bytes: 0, -ECONNRESET when the stream ends first,
 * or -errno. */
int	ctlsock_recv_full(int fd, void *, size_t n, int64_t deadline);

#endif
