/*
 * session — libhsys: connecting to hsysd, the session's control and data
 * channels, queue and prefix operations. See include/hsys.h and
 * docs/protocol.md.
 *
 * Control operations are synchronous: send one frame, read frames until the
 * reply with the same id. Only replies travel on the control channel, so
 * nothing else can arrive in between.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hsys.h"
#include "lib/lib.h"
#include "proto/proto.h"

#define WELCOME_SIZE	48
#define REPLY_TIMEOUT	30000	/* ms: a live daemon answers in far less */

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

static int
dial(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc;

	if ((rc = sock_path(sun.sun_path, sizeof(sun.sun_path))) < 0)
		return rc;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
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

/* Sends one frame whose payload is `fixed` followed by spans for up to two
 * strings and their bytes. */
static int
send_op(int fd, uint16_t type, uint64_t id, const void *fixed, size_t flen,
    const char *s1, const char *s2)
{
	unsigned char buf[PROTO_HEADER_SIZE + 4096] = { 0 };
	const char *s[2] = { s1, s2 };
	size_t len[2], nspans = (s1 != NULL) + (s2 != NULL), area, off, i;

	len[0] = s1 ? strlen(s1) : 0;
	len[1] = s2 ? strlen(s2) : 0;
	area = flen + 8 * nspans;
	if (area + len[0] + len[1] > sizeof(buf) - PROTO_HEADER_SIZE)
		return -ENAMETOOLONG;
	if (flen > 0)
		memcpy(buf + PROTO_HEADER_SIZE, fixed, flen);
	for (i = 0, off = 0; i < nspans; i++) {
		proto_span_put(buf + PROTO_HEADER_SIZE + flen + 8 * i,
		    (uint32_t)off, (uint32_t)len[i]);
		memcpy(buf + PROTO_HEADER_SIZE + area + off, s[i], len[i]);
		off += len[i];
	}
	proto_header_put(buf, (uint32_t)(area + off), type, 0, id);
	return send_all(fd, buf, proto_frame_size((uint32_t)(area + off)));
}

/* Reads the next frame from the control channel into h->rbuf. */
static int
recv_frame(struct hsys *h, struct proto_frame *f)
{
	struct pollfd pfd = { .fd = h->ctl, .events = POLLIN };
	ssize_t n;
	long used;

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
		if (poll(&pfd, 1, REPLY_TIMEOUT) == 0)
			return -ETIMEDOUT;
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

	if (f->length < 16)
		return -EPROTO;
	code = proto_get32(f->payload);
	if (proto_span_get(f, 8, 16, &s, &n) == 0) {
		if (n >= sizeof(h->last_error))
			n = sizeof(h->last_error) - 1;
		memcpy(h->last_error, s, n);
		h->last_error[n] = '\0';
	}
	return code > 0 && code < 4096 ? -(int)code : -EPROTO;
}

/* Waits for the reply to operation `id`; on OK copies up to `olen` bytes
 * of its payload to `out`. */
static int
await_reply(struct hsys *h, uint64_t id, void *out, size_t olen)
{
	struct proto_frame f;
	int rc;

	if ((rc = recv_frame(h, &f)) < 0)
		return rc;
	if (f.id != id)
		return -EPROTO;
	if (f.type == PROTO_ERROR)
		return take_error(h, &f);
	if (f.type != PROTO_OK || f.length < olen)
		return -EPROTO;
	if (olen > 0)
		memcpy(out, f.payload, olen);
	return 0;
}

static int
hello(struct hsys *h, const char *name)
{
	unsigned char fixed[16] = { 0 };
	struct proto_frame f;
	int rc;

	proto_put32(fixed, PROTO_MAGIC);
	proto_put16(fixed + 4, PROTO_VERSION);
	proto_put16(fixed + 6, PROTO_VERSION);
	if ((rc = send_op(h->ctl, PROTO_HELLO, 0, fixed, sizeof(fixed),
	    name ? name : "", NULL)) < 0)
		return rc;
	if ((rc = recv_frame(h, &f)) < 0)
		return rc;
	if (f.type == PROTO_ERROR)
		return take_error(h, &f);
	if (f.type != PROTO_WELCOME || f.length < WELCOME_SIZE)
		return -EPROTO;
	h->workers = proto_get16(f.payload + 2);
	h->max_frame = proto_get32(f.payload + 4);
	h->window = proto_get32(f.payload + 8);
	h->session = proto_get64(f.payload + 16);
	memcpy(h->key, f.payload + 24, sizeof(h->key));
	h->features = f.length >= WELCOME_SIZE + 4 ?
	    proto_get32(f.payload + WELCOME_SIZE) : 0;
	if (h->workers == 0 || h->workers > 256)
		return -EPROTO;
	return 0;
}

static int
open_channels(struct hsys *h)
{
	unsigned char p[32] = { 0 };
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned i;
	int fd, rc;

	if ((h->chan = calloc(h->workers, sizeof(*h->chan))) == NULL)
		return -ENOMEM;
	for (i = 0; i < h->workers; i++)
		h->chan[i].fd = -1;
	proto_put64(p, h->session);
	memcpy(p + 8, h->key, sizeof(h->key));
	for (i = 0; i < h->workers; i++) {
		if ((fd = dial()) < 0)
			return fd;
		h->chan[i].fd = fd;
		proto_put16(p + 24, (uint16_t)i);
		if ((rc = send_op(fd, PROTO_CHANNEL, 0, p, sizeof(p), NULL,
		    NULL)) < 0)
			return rc;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
			return -errno;
	}
	return 0;
}

int
hsys_open(struct hsys **hp, const char *name)
{
	struct hsys *h;
	int rc;

	*hp = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return -ENOMEM;
	h->ctl = -1;
	if ((h->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		rc = -errno;
		free(h);
		return rc;
	}
	if ((rc = dial()) < 0)
		goto fail;
	h->ctl = rc;
	if ((rc = hello(h, name)) < 0 || (rc = open_channels(h)) < 0)
		goto fail;
	*hp = h;
	return 0;
fail:
	hsys_close(h);
	return rc;
}

void
hsys_close(struct hsys *h)
{
	unsigned i;

	if (h == NULL)
		return;
	lib_requests_free(h);
	for (i = 0; h->chan != NULL && i < h->workers; i++) {
		if (h->chan[i].fd != -1)
			close(h->chan[i].fd);
		free(h->chan[i].rbuf);
	}
	free(h->chan);
	if (h->ctl != -1)
		close(h->ctl);
	close(h->epfd);
	explicit_bzero(h->key, sizeof(h->key));
	free(h);
}

int
hsys_fd(const struct hsys *h)
{
	return h->epfd;
}

const char *
hsys_last_error(const struct hsys *h)
{
	return h->last_error;
}

static int
queue_op(struct hsys *h, uint16_t type, const void *fixed, size_t flen,
    const char *name, void *out, size_t olen)
{
	uint64_t id = ++h->last_op;
	int rc;

	h->last_error[0] = '\0';
	if ((rc = send_op(h->ctl, type, id, fixed, flen, name, NULL)) < 0)
		return rc;
	return await_reply(h, id, out, olen);
}

static int
queue_handle(struct hsys *h, const unsigned char id[4],
    struct hsys_queue **qp)
{
	struct hsys_queue *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return -ENOMEM;
	q->h = h;
	q->id = proto_get32(id);
	*qp = q;
	return 0;
}

int
hsys_queue_create(struct hsys *h, const char *name, unsigned flags,
    struct hsys_queue **qp)
{
	unsigned char fixed[8] = { 0 }, id[4];
	int rc;

	*qp = NULL;
	proto_put32(fixed, (name && name[0] ? 0x1 : 0) |
	    (flags & HSYS_QUEUE_OPEN));
	if ((rc = queue_op(h, PROTO_QUEUE_CREATE, fixed, sizeof(fixed),
	    name ? name : "", id, sizeof(id))) < 0)
		return rc;
	return queue_handle(h, id, qp);
}

int
hsys_queue_attach(struct hsys *h, const char *name, struct hsys_queue **qp)
{
	unsigned char id[4];
	int rc;

	*qp = NULL;
	if (name == NULL || name[0] == '\0')
		return -EINVAL;
	if ((rc = queue_op(h, PROTO_QUEUE_ATTACH, NULL, 0, name, id,
	    sizeof(id))) < 0)
		return rc;
	return queue_handle(h, id, qp);
}

uint32_t
hsys_queue_id(const struct hsys_queue *q)
{
	return q->id;
}

int
hsys_queue_close(struct hsys_queue *q)
{
	unsigned char fixed[4];
	int rc;

	if (q == NULL)
		return 0;
	proto_put32(fixed, q->id);
	rc = queue_op(q->h, PROTO_QUEUE_CLOSE, fixed, sizeof(fixed), NULL,
	    NULL, 0);
	free(q);
	return rc;
}

static int
prefix_op(struct hsys_queue *q, uint16_t type, const char *prefix)
{
	unsigned char fixed[8] = { 0 };

	if (prefix == NULL)
		return -EINVAL;
	proto_put32(fixed, q->id);
	return queue_op(q->h, type, fixed, sizeof(fixed), prefix, NULL, 0);
}

int
hsys_prefix_add(struct hsys_queue *q, const char *prefix)
{
	return prefix_op(q, PROTO_PREFIX_ADD, prefix);
}

int
hsys_prefix_remove(struct hsys_queue *q, const char *prefix)
{
	return prefix_op(q, PROTO_PREFIX_REMOVE, prefix);
}

static int
queue_set(struct hsys_queue *q, uint32_t prop, uint32_t value)
{
	unsigned char fixed[16] = { 0 };

	/* An older daemon would end the session on an unknown type. */
	if (!(q->h->features & PROTO_FEATURE_QUEUE_SET))
		return -EOPNOTSUPP;
	proto_put32(fixed, q->id);
	proto_put32(fixed + 4, prop);
	proto_put32(fixed + 8, value);
	return queue_op(q->h, PROTO_QUEUE_SET, fixed, sizeof(fixed), NULL,
	    NULL, 0);
}

int
hsys_queue_set_length(struct hsys_queue *q, uint32_t length)
{
	if (length < 1 || length > PROTO_QUEUE_LENGTH_MAX)
		return -EINVAL;
	return queue_set(q, PROTO_QUEUE_LENGTH, length);
}

int
hsys_queue_set_grace(struct hsys_queue *q, uint32_t ms)
{
	if (ms > PROTO_QUEUE_GRACE_MAX)
		return -EINVAL;
	return queue_set(q, PROTO_QUEUE_GRACE, ms);
}

const char *
hsys_strerror(int code)
{
	switch (-code) {
	case 0:
		return "success";
	case ENOENT:
		return "hsysd is not running (no socket), or no such queue";
	case ECONNREFUSED:
		return "hsysd is not running (connection refused)";
	case EACCES:
		return "permission denied: no URL reservation or ownership "
		    "allows it";
	case EEXIST:
		return "already registered or already exists";
	case EPROTONOSUPPORT:
		return "hsysd speaks no protocol version this library knows";
	case EPROTO:
		return "protocol error between libhsys and hsysd";
	case ECONNRESET:
		return "hsysd closed the session";
	case ETIMEDOUT:
		return "hsysd did not answer in time";
	case EOPNOTSUPP:
		return "this hsysd does not support the operation (too old)";
	default:
		return strerror(-code);
	}
}
