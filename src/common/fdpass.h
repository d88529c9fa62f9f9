/*
 * fdpass — a message on a Unix socket with descriptors beside it
 * (SCM_RIGHTS), the one place that builds and reads the control messages:
 * the key process's channels (src/keys) and hsysd's hand-over
 * (daemon/handover.c) use it.
 */
#ifndef HSYS_COMMON_FDPASS_H
#define HSYS_COMMON_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* Sends len bytes of buf, and the descriptor pass with them unless it is
 * -1; no SIGPIPE, EINTR retried: what sendmsg(2) returns (a stream socket
 * may take part: the descriptor went with the first byte). */
ssize_t	fdpass_send(int fd, const void *buf, size_t len, int pass);

/* Receives one message (or what a stream socket has) into buf, and up to
 * max descriptors sent with it into fds, *nfds of them, close-on-exec;
 * any beyond max are closed. EINTR retried: what recvmsg(2) returns; with
 * *flags, when not NULL, the message's flags (MSG_TRUNC: the message was
 * longer than size; MSG_CTRUNC: descriptors were lost). */
ssize_t	fdpass_recv(int fd, void *buf, size_t size, int *fds, int max,
	    int *nfds, int *flags);

#endif
