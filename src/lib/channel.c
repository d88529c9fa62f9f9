/*
 * channel — libhsys: a data channel's I/O. Reading: one receive buffer per
 * channel, big enough for the largest frame and a batch more; one recv
 * takes whatever is there and every complete frame is handed to
 * lib_frame (inbound.c) at once. Writing: whole frames, corked: queued
 * per channel and written in one writev when the application would wait
 * (before a poll here, before hsys_next's epoll_wait, before an operation
 * on the control channel, hsys_flush, hsys_close), or when the queue
 * passes LIB_CORK_MAX; a frame that big goes at once, after the queue.
 * Under load one system call thus carries many responses, and a lone
 * response still leaves before the application waits (docs/protocol.md,
 * "Batching"). Programs with their own loop asked for hsys_fd: while
 * frames wait, the channel is watched for EPOLLOUT too, so that hsys_fd
 * turns readable and the program's next hsys_next_nowait writes them.
 * A channel that ends is reported up to the session through
 * h->channel_lost (reconnect.c decides: reconnect or break), a callback
 * since the session is the layer above.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "lib/lib.h"
#include "proto/proto.h"

#define CHAN_BATCH	(64u << 10)	/* receive room beyond one frame */

/* Reads what channel `i` has (waiting up to timeout_ms for something) and
 * handles every complete frame. Returns 1 when bytes came, 0 on timeout, or
 * a negative errno, which also breaks the session. */
int
lib_chan_read(struct hsys *h, unsigned i, int timeout_ms)
{
	struct hsys_channel *c = &h->chan[i];
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	struct proto_frame f;
	size_t off = 0;
	ssize_t n;
	long used;
	int rc = 0;

	if (h->broken)
		return h->broken;
	if (c->fd == -1)
		return 0;	/* lost: its requests are cancelled */
	if (c->rbuf == NULL) {
		c->rcap = proto_frame_size(h->max_frame) + CHAN_BATCH;
		if ((c->rbuf = malloc(c->rcap)) == NULL)
			return -ENOMEM;
	}
	for (;;) {
		n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen,
		    MSG_DONTWAIT);
		if (n > 0)
			break;
		if (n == 0)
			return h->channel_lost(h, i, -ECONNRESET);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return h->channel_lost(h, i, -errno);
		if (timeout_ms == 0)
			return 0;
		(void)lib_flush(h);	/* nothing corked while we wait */
		rc = poll(&pfd, 1, timeout_ms);
		if (rc == -1 && errno != EINTR)
			return h->broken = -errno;
		if (rc == 0)
			return 0;
	}
	c->rlen += (size_t)n;
	while ((used = proto_frame_next(c->rbuf + off, c->rlen - off,
	    h->max_frame, &f)) > 0) {
		if ((rc = lib_frame(h, i, &f)) < 0)
			return h->broken = rc;
		off += (size_t)used;
	}
	if (used == PROTO_MALFORMED)
		return h->broken = -EPROTO;
	if (off > 0) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	return 1;
}

int
lib_send_iov(int fd, struct iovec *iov, int n)
{
	ssize_t w;

	while (n > 0) {
		w = writev(fd, iov, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			poll(&pfd, 1, -1);
			continue;
		}
		if (w == -1)
			return errno == EPIPE ? -ECONNRESET : -errno;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int
lib_send_small(struct hsys_request *r, uint16_t type, uint16_t flags,
    const void *payload, uint32_t len)
{
	static const unsigned char zero[8];
	unsigned char hd[PROTO_HEADER_SIZE];
	struct iovec iov[3];

	proto_header_put(hd, len, type, flags, r->id);
	iov[0].iov_base = hd;
	iov[0].iov_len = sizeof(hd);
	iov[1].iov_base = (void *)payload;
	iov[1].iov_len = len;
	iov[2].iov_base = (void *)zero;
	iov[2].iov_len = proto_frame_size(len) - PROTO_HEADER_SIZE - len;
	return lib_chan_send(r->h, r->chan, iov, 3);
}

/* Watches channel i for EPOLLOUT while frames wait (on), or not: a
 * program polling hsys_fd wakes up to have them written. */
static void
chan_arm(struct hsys *h, unsigned i, int on)
{
	struct hsys_channel *c = &h->chan[i];
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0),
	    .data.u32 = i };

	if (c->armed == on || c->fd == -1)
		return;
	if (epoll_ctl(h->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->armed = on;
}

/* Channel i's queue, written out; dropped when the write fails. */
static int
chan_flush(struct hsys *h, unsigned i)
{
	struct hsys_channel *c = &h->chan[i];
	struct iovec iov;
	int rc = 0;

	if (c->wlen == 0)
		return 0;
	if (c->fd != -1) {
		iov.iov_base = c->wq;
		iov.iov_len = c->wlen;
		rc = lib_send_iov(c->fd, &iov, 1);
	}
	c->wlen = 0;
	chan_arm(h, i, 0);
	return rc;
}

int
lib_flush(struct hsys *h)
{
	unsigned i;
	int rc, first = 0;

	for (i = 0; h->chan != NULL && i < h->nchan; i++)
		if ((rc = chan_flush(h, i)) < 0 && first == 0)
			first = rc;
	return first;
}

int
lib_chan_send(struct hsys *h, unsigned i, struct iovec *iov, int n)
{
	struct hsys_channel *c = &h->chan[i];
	size_t len = 0, need, cap;
	unsigned char *nb;
	int k, rc;

	if (c->fd == -1)
		return -ECONNRESET;
	for (k = 0; k < n; k++)
		len += iov[k].iov_len;
	if (c->wlen + len > LIB_CORK_MAX && (rc = chan_flush(h, i)) < 0)
		return rc;
	if (len >= LIB_CORK_MAX)	/* big: no copy */
		return lib_send_iov(c->fd, iov, n);
	need = c->wlen + len;
	if (need > c->wcap) {
		cap = c->wcap ? c->wcap : 4096;
		while (cap < need)
			cap *= 2;
		if ((nb = realloc(c->wq, cap)) == NULL)
			return -ENOMEM;
		c->wq = nb;
		c->wcap = cap;
	}
	for (k = 0; k < n; k++) {
		if (iov[k].iov_len == 0)
			continue;	/* its base may be NULL */
		memcpy(c->wq + c->wlen, iov[k].iov_base, iov[k].iov_len);
		c->wlen += iov[k].iov_len;
	}
	if (h->own_loop)
		chan_arm(h, i, 1);
	return 0;
}
