/*
 * ctlsock — hsysd's control socket, from the client's side, with a
 * deadline. See ctlsock.h.
 *
 * A Unix stream connect never answers EINPROGRESS: a non-blocking one
 * fails with EAGAIN at once when the listen backlog is full, a blocking one
 * waits for room, for as long as SO_SNDTIMEO allows. So connect blocks with
 * SO_SNDTIMEO set to the time left, which is then cleared: the socket goes
 * back to its caller as an ordinary blocking one. Sending and receiving
 * poll for the time left, then use MSG_DONTWAIT, whatever the socket's
 * mode.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/ctlsock.h"

int64_t
ctlsock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
ctlsock_deadline(int ms)
{
	return ctlsock_now_ms() + ms;
}

static int64_t
left_ms(int64_t deadline)
{
	int64_t left = deadline - ctlsock_now_ms();

	return left > 0 ? left : 0;
}

/* SO_SNDTIMEO: ms, at least 1 ({0, 0} would mean forever); -1 clears
 * it. */
static int
send_timeout(int fd, int64_t ms)
{
	struct timeval tv = { 0, 0 };

	if (ms >= 0) {
		if (ms < 1)
			ms = 1;
		tv.tv_sec = (time_t)(ms / 1000);
		tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	}
	return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int
ctlsock_connect(const char *path, int64_t deadline)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -errno;
	do {
		if (send_timeout(fd, left_ms(deadline)) == -1)
			goto fail;
		rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	} while (rc == -1 && errno == EINTR && left_ms(deadline) > 0);
	if (rc == -1) {
		/* A blocking connect says EAGAIN when its wait for room in
		 * the backlog (SO_SNDTIMEO) ran out. */
		if (errno == EAGAIN)
			errno = ETIMEDOUT;
		goto fail;
	}
	if (send_timeout(fd, -1) == -1)
		goto fail;
	return fd;
fail:
	rc = -errno;
	close(fd);
	return rc;
}

int
ctlsock_wait(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int rc;

	do
		rc = poll(&p, 1, (int)left_ms(deadline));
	while (rc == -1 && errno == EINTR);
	if (rc == -1)
		return -errno;
	return rc == 0 ? -ETIMEDOUT : 0;
}

int
ctlsock_send(int fd, const void *buf, size_t n, int64_t deadline)
{
	const unsigned char *p = buf;
	ssize_t w;
	int rc;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno == EAGAIN) {
			if ((rc = ctlsock_wait(fd, POLLOUT, deadline)) < 0)
				return rc;
			continue;
		}
		if (w == -1)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

ssize_t
ctlsock_recv(int fd, void *buf, size_t n, int64_t deadline)
{
	ssize_t r;
	int rc;

	for (;;) {
		if ((rc = ctlsock_wait(fd, POLLIN, deadline)) < 0)
			return rc;
		r = recv(fd, buf, n, MSG_DONTWAIT);
		if (r >= 0)
			return r;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
}

int
ctlsock_recv_full(int fd, void *buf, size_t n, int64_t deadline)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = ctlsock_recv(fd, (char *)buf + got, n - got, deadline);
		if (r < 0)
			return (int)r;
		if (r == 0)
			return -ECONNRESET;
		got += (size_t)r;
	}
	return 0;
}
