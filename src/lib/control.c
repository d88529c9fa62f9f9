/*
 * control — libhsys: the session's control channel. Connecting to hsysd's
 * socket, HELLO and WELCOME, opening the data channels, and the
 * operations (one frame, then the frames read until the reply with the
 * same id). See docs/protocol.md.
 *
 * Only replies travel on the control channel, and GOAWAY, which is only
 * noted here (h->goaway, and the session's timer armed): reconnect.c acts
 * on it from hsys_next.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/ctlsock.h"
#include "lib/lib.h"
#include "proto/control.h"
#include "proto/proto.h"

#define REPLY_TIMEOUT	30000	/* ms: a live daemon answers in far less */
#define OP_ROOM		4096	/* an operation's payload, at most */
#define OP_BUF		(PROTO_HEADER_SIZE + OP_ROOM + 8)

static int
sock_path(char *buf, size_t size)
{
	const char *p = getenv("HSYS_SOCKET"), *home = getenv("HSYS_HOME");
	int n;

	if (p != NULL && p[0] != '\0')
		n = snprintf(buf, size, "%s", p);
	else if (home != NULL && home[0] != '\0')
		n = snprintf(buf, size, "%s/hsysd.sock", home);
	else
		n = snprintf(buf, size, "/run/hsys/hsysd.sock");
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int
lib_dial(void)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int rc;

	if ((rc = sock_path(path, sizeof(path))) < 0)
		return rc;
	return ctlsock_connect(path, ctlsock_deadline(REPLY_TIMEOUT));
}

static int
send_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Sends one frame; its payload (at most 4096 bytes) is written by the
 * proto_*_put encoder `len` came from (0: it did not fit). */
static int
send_frame(int fd, uint16_t type, uint64_t id, unsigned char *buf,
    size_t len)
{
	if (len == 0)
		return -ENAMETOOLONG;
	proto_header_put(buf, (uint32_t)len, type, 0, id);
	memset(buf + PROTO_HEADER_SIZE + len, 0, proto_frame_size(
	    (uint32_t)len) - PROTO_HEADER_SIZE - len);
	return send_all(fd, buf, proto_frame_size((uint32_t)len));
}

/* Reads the next frame from the control channel into h->rbuf. */
int
lib_recv_frame(struct hsys *h, struct proto_frame *f)
{
	ssize_t n;
	long used;
	int rc;

	if (h->rused > 0) {
		memmove(h->rbuf, h->rbuf + h->rused, h->rlen - h->rused);
		h->rlen -= h->rused;
		h->rused = 0;
	}
	for (;;) {
		used = proto_frame_next(h->rbuf, h->rlen, sizeof(h->rbuf) -
		    PROTO_HEADER_SIZE, f);
		if (used > 0) {
			h->rused = (size_t)used;
			return 0;
		}
		if (used == PROTO_MALFORMED)
			return -EPROTO;
		if ((rc = ctlsock_wait(h->ctl, POLLIN,
		    ctlsock_deadline(REPLY_TIMEOUT))) < 0)
			return rc;
		n = recv(h->ctl, h->rbuf + h->rlen, sizeof(h->rbuf) - h->rlen,
		    0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		h->rlen += (size_t)n;
	}
}

/* Turns an ERROR frame into -code and keeps its sentence. */
static int
take_error(struct hsys *h, const struct proto_frame *f)
{
	const unsigned char *s;
	uint32_t n, code;

	if (proto_error_get(f, &code, &s, &n) < 0)
		return -EPROTO;
	if (n > 0) {
		if (n >= sizeof(h->last_error))
			n = sizeof(h->last_error) - 1;
		memcpy(h->last_error, s, n);
		h->last_error[n] = '\0';
	}
	return code > 0 && code < 4096 ? -(int)code : -EPROTO;
}

void
lib_timer_arm(struct hsys *h, long ms)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };

	if (ms < 1)
		ms = 1;		/* zero would disarm it */
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (ms % 1000) * 1000000;
	timerfd_settime(h->timer, 0, &its, NULL);
}

/* GOAWAY between an operation and its reply: acted on from hsys_next. */
static void
goaway_noted(struct hsys *h)
{
	if (h->rc_limit == 0)
		return;
	h->goaway = 1;
	lib_timer_arm(h, 0);
}

/* Waits for the reply to operation `id`; on OK, when `queue` is not
 * NULL, takes the queue id it carries. */
static int
await_reply(struct hsys *h, uint64_t id, uint32_t *queue)
{
	struct proto_frame f;
	int rc;

	while ((rc = lib_recv_frame(h, &f)) == 0 && f.type == PROTO_GOAWAY &&
	    f.id == 0)
		goaway_noted(h);
	if (rc < 0)
		return rc;
	if (f.id != id)
		return -EPROTO;
	if (f.type == PROTO_ERROR)
		return take_error(h, &f);
	if (f.type != PROTO_OK)
		return -EPROTO;
	if (queue != NULL && proto_ok_queue_get(&f, queue) < 0)
		return -EPROTO;
	return 0;
}

int
lib_hello(struct hsys *h, const char *name)
{
	struct proto_hello hi = { .magic = PROTO_MAGIC,
	    .min_version = PROTO_VERSION, .max_version = PROTO_VERSION,
	    .flags = PROTO_HELLO_F_GOAWAY,
	    .name = (const unsigned char *)(name ? name : ""),
	    .name_len = (uint32_t)(name ? strlen(name) : 0) };
	unsigned char buf[OP_BUF];
	struct proto_welcome w;
	struct proto_frame f;
	int rc;

	/* A daemon that refuses the connection (a user over its connection
	 * cap) sends ERROR and closes at once: the HELLO may then fail with
	 * EPIPE, and the ERROR that says why is still there to read. */
	rc = send_frame(h->ctl, PROTO_HELLO, 0, buf, proto_hello_put(buf +
	    PROTO_HEADER_SIZE, OP_ROOM, &hi));
	if (rc < 0 && rc != -EPIPE && rc != -ECONNRESET)
		return rc;
	if (lib_recv_frame(h, &f) < 0)
		return rc < 0 ? rc : -ECONNRESET;
	if (f.type == PROTO_ERROR)
		return take_error(h, &f);
	if (f.type != PROTO_WELCOME || proto_welcome_get(&f, &w) < 0)
		return -EPROTO;
	h->workers = w.workers;
	h->max_frame = w.max_frame;
	h->window = w.window;
	h->session = w.session;
	memcpy(h->key, w.key, sizeof(h->key));
	h->features = w.features;
	if (h->workers == 0 || h->workers > 256)
		return -EPROTO;
	return 0;
}

/* The session's channels go after those of sessions it replaced. */
int
lib_open_channels(struct hsys *h)
{
	unsigned char buf[PROTO_HEADER_SIZE + PROTO_CHANNEL_SIZE];
	struct proto_channel ch = { .session = h->session };
	struct epoll_event ev = { .events = EPOLLIN };
	struct hsys_channel *nc;
	unsigned i;
	int fd, rc;

	if ((nc = realloc(h->chan, (h->nchan + h->workers) *
	    sizeof(*h->chan))) == NULL)
		return -ENOMEM;
	h->chan = nc;
	memset(h->chan + h->nchan, 0, h->workers * sizeof(*h->chan));
	h->chan_base = h->nchan;
	for (i = h->nchan; i < h->nchan + h->workers; i++)
		h->chan[i].fd = -1;
	h->nchan += h->workers;
	memcpy(ch.key, h->key, sizeof(ch.key));
	for (i = h->chan_base; i < h->nchan; i++) {
		if ((fd = lib_dial()) < 0)
			return fd;
		h->chan[i].fd = fd;
		ch.index = (uint16_t)(i - h->chan_base);
		if ((rc = send_frame(fd, PROTO_CHANNEL, 0, buf,
		    proto_channel_put(buf + PROTO_HEADER_SIZE,
		    PROTO_CHANNEL_SIZE, &ch))) < 0)
			return rc;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
			return -errno;
	}
	return 0;
}

/* Operation `type` with `op`'s fields; when `queue` is not NULL, the OK
 * carries the queue's id. */
int
lib_queue_op(struct hsys *h, uint16_t type, const struct proto_queue_op *op,
    uint32_t *queue)
{
	unsigned char buf[OP_BUF];
	uint64_t id = ++h->last_op;
	int rc;

	h->last_error[0] = '\0';
	if (h->ctl == -1)
		return -ENOTCONN;	/* between two sessions */
	/* Answers given before the operation reach hsysd before it (closing
	 * a queue must not overtake its last responses). */
	(void)lib_flush(h);
	if ((rc = send_frame(h->ctl, type, id, buf, proto_queue_op_put(buf +
	    PROTO_HEADER_SIZE, OP_ROOM, type, op))) < 0)
		return rc;
	return await_reply(h, id, queue);
}
