/*
 * upstream — connections to the upstream server: a non-blocking connect
 * and I/O bounded by --timeout, and each worker's pool of idle keep-alive
 * connections. A pooled connection is checked before reuse (a readable
 * idle connection has been closed by the upstream, or sent bytes nobody
 * asked for: either way it is dropped, never read from).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include "forward/forward.h"

static int
wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int rc;

	while ((rc = poll(&p, 1, timeout_ms)) == -1 && errno == EINTR)
		;
	if (rc == -1)
		return -errno;
	return rc == 0 ? -ETIMEDOUT : 0;
}

static struct timeval
tv_of(int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
	    .tv_usec = (ms % 1000) * 1000 };

	return tv;
}

int
upstream_recv_timeout(int fd, int ms)
{
	struct timeval tv = tv_of(ms);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		return -errno;
	return 0;
}

/* Once connected the socket blocks, with --timeout as its send timeout
 * and the grace (FWD_GRACE_MS) as its receive timeout: one syscall per
 * read or write instead of a poll and a retry (the tunnels' reads say
 * MSG_DONTWAIT). exchange.c lengthens the receive timeout to --timeout
 * when the grace is over, and shortens it again before pooling. */
static int
blocking(int fd, int timeout_ms)
{
	struct timeval tv = tv_of(timeout_ms);

	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1 ||
	    upstream_recv_timeout(fd, FWD_GRACE_MS) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		return -errno;
	return fd;
}

int
upstream_connect(const struct fwd_config *cfg)
{
	int fd, rc, one = 1;
	socklen_t len = sizeof(rc);

	fd = socket(cfg->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	if (cfg->addr.ss_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&cfg->addr,
	    cfg->addrlen) == 0)
		goto done;
	if (errno != EINPROGRESS && errno != EAGAIN) {
		rc = -errno;
		goto fail;
	}
	if ((rc = wait_fd(fd, POLLOUT, cfg->timeout_ms)) < 0)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &rc, &len) == -1)
		rc = errno;
	if (rc != 0) {
		rc = -rc;
		goto fail;
	}
done:
	if ((rc = blocking(fd, cfg->timeout_ms)) >= 0)
		return fd;
fail:
	close(fd);
	return rc;
}

int
upstream_pool_get(struct fwd_pool *p, int check)
{
	struct pollfd pfd;
	int fd;

	while (p->n > 0) {
		fd = p->fds[--p->n];
		if (!check)
			return fd;
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) == 0)
			return fd;
		close(fd);
	}
	return -1;
}

void
upstream_pool_put(struct fwd_pool *p, int fd)
{
	if (p->n == sizeof(p->fds) / sizeof(p->fds[0])) {
		close(fd);
		return;
	}
	p->fds[p->n++] = fd;
}

void
upstream_pool_clear(struct fwd_pool *p)
{
	while (p->n > 0)
		close(p->fds[--p->n]);
}

int
upstream_write(int fd, const void *buf, size_t len, int timeout_ms)
{
	const char *p = buf;
	ssize_t w;

	(void)timeout_ms;	/* SO_SNDTIMEO */
	while (len > 0) {
		w = send(fd, p, len, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			len -= (size_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return -ETIMEDOUT;
		return w == 0 ? -EPIPE : -errno;
	}
	return 0;
}

ssize_t
upstream_read(int fd, void *buf, size_t len, int timeout_ms)
{
	ssize_t n;

	(void)timeout_ms;	/* SO_RCVTIMEO */
	for (;;) {
		n = recv(fd, buf, len, 0);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -ETIMEDOUT;
		return -errno;
	}
}
