/*
 * channel — libhsys: a data channel's I/O. Reading: one receive buffer per
 * channel, big enough for the largest frame and a batch more; one recv
 * takes whatever is there and every complete frame is handed to
 * lib_frame (inbound.c) at once. Writing: whole frames, waiting while the
 * socket is full. A channel that ends is reported up to the session
 * through h->channel_lost (reconnect.c decides: reconnect or break), a
 * callback since the session is the layer above.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
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
	return lib_send_iov(r->h->chan[r->chan].fd, iov, 3);
}
