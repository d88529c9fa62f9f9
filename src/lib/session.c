/*
 * session — libhsys: connecting to hsysd, the session's control and data
 * channels, queue and prefix operations. See include/hsys.h and
 * docs/protocol.md.
 *
 * Control operations are synchronous: send one frame, read frames until the
 * reply with the same id. Only replies travel on the control channel, and
 * GOAWAY, which is noted and acted on from hsys_next (see "Reconnecting"
 * at the end of this file).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/ctlsock.h"
#include "hsys.h"
#include "lib/lib.h"
#include "proto/proto.h"

#define WELCOME_SIZE	48
#define REPLY_TIMEOUT	30000	/* ms: a live daemon answers in far less */
#define RECONNECT_LIMIT	30000	/* ms: hsys_set_reconnect's default */
#define RECONNECT_FIRST	50	/* ms: first retry; doubles up to ... */
#define RECONNECT_MAX	1000

static void	goaway_noted(struct hsys *);
static int	watch_session(struct hsys *);
static void	queue_remember(struct hsys_queue *, const char *name,
		    unsigned flags, int attached);
static void	queue_forget(struct hsys *, struct lib_queue *);
static int	prefix_remember(struct hsys_queue *, const char *prefix,
		    int add);

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

	while ((rc = recv_frame(h, &f)) == 0 && f.type == PROTO_GOAWAY &&
	    f.id == 0)
		goaway_noted(h);
	if (rc < 0)
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
	proto_put32(fixed + 8, PROTO_HELLO_F_GOAWAY);
	/* A daemon that refuses the connection (a user over its connection
	 * cap) sends ERROR and closes at once: the HELLO may then fail with
	 * EPIPE, and the ERROR that says why is still there to read. */
	rc = send_op(h->ctl, PROTO_HELLO, 0, fixed, sizeof(fixed),
	    name ? name : "", NULL);
	if (rc < 0 && rc != -EPIPE && rc != -ECONNRESET)
		return rc;
	if (recv_frame(h, &f) < 0)
		return rc < 0 ? rc : -ECONNRESET;
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

/* The session's channels go after those of sessions it replaced. */
static int
open_channels(struct hsys *h)
{
	unsigned char p[32] = { 0 };
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
	proto_put64(p, h->session);
	memcpy(p + 8, h->key, sizeof(h->key));
	for (i = h->chan_base; i < h->nchan; i++) {
		if ((fd = dial()) < 0)
			return fd;
		h->chan[i].fd = fd;
		proto_put16(p + 24, (uint16_t)(i - h->chan_base));
		if ((rc = send_op(fd, PROTO_CHANNEL, 0, p, sizeof(p), NULL,
		    NULL)) < 0)
			return rc;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
			return -errno;
	}
	return 0;
}

/* $HSYS_RECONNECT_MS, for programs that cannot call hsys_set_reconnect. */
static int
reconnect_limit(void)
{
	const char *v = getenv("HSYS_RECONNECT_MS");
	char *end;
	long n;

	if (v == NULL || v[0] == '\0')
		return RECONNECT_LIMIT;
	n = strtol(v, &end, 10);
	return *end == '\0' && n >= 0 && n <= 3600000 ? (int)n :
	    RECONNECT_LIMIT;
}

int
hsys_open(struct hsys **hp, const char *name)
{
	struct hsys *h;
	int rc, i;

	*hp = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return -ENOMEM;
	h->ctl = -1;
	h->timer = -1;
	for (i = 0; i < LIB_OLD_SESSIONS; i++)
		h->old_ctl[i] = -1;
	h->rc_limit = reconnect_limit();
	snprintf(h->name, sizeof(h->name), "%s", name ? name : "");
	if ((h->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		rc = -errno;
		free(h);
		return rc;
	}
	if ((rc = dial()) < 0)
		goto fail;
	h->ctl = rc;
	if ((rc = hello(h, name)) < 0 || (rc = watch_session(h)) < 0 ||
	    (rc = open_channels(h)) < 0)
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
	for (i = 0; i < LIB_OLD_SESSIONS; i++)
		if (h->old_ctl[i] != -1)
			close(h->old_ctl[i]);
	if (h->timer != -1)
		close(h->timer);
	while (h->queues != NULL)
		queue_forget(h, h->queues);
	for (i = 0; h->chan != NULL && i < h->nchan; i++) {
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
	if (h->ctl == -1)
		return -ENOTCONN;	/* between two sessions */
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

/* Reconnecting is a session.c matter; these calls only say what the
 * application asked for, so that it can be asked again. */
static int
queue_remembered(struct hsys *h, const unsigned char id[4],
    struct hsys_queue **qp, const char *name, unsigned flags, int attached)
{
	int rc;

	if ((rc = queue_handle(h, id, qp)) < 0)
		return rc;
	queue_remember(*qp, name, flags, attached);
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
	return queue_remembered(h, id, qp, name, flags, 0);
}

int
hsys_queue_attach(struct hsys *h, const char *name, struct hsys_queue **qp)
{
	unsigned char id[4];
	int rc;

	*qp = NULL;
	if (name == NULL || name[0] == '\0')
		return -EINVAL;
	/* An older daemon's names are global: "alice/jobs" would be a name
	 * of its own there, not alice's queue. */
	if (strchr(name, '/') != NULL &&
	    !(h->features & PROTO_FEATURE_QUEUE_ALLOW))
		return -EOPNOTSUPP;
	if ((rc = queue_op(h, PROTO_QUEUE_ATTACH, NULL, 0, name, id,
	    sizeof(id))) < 0)
		return rc;
	return queue_remembered(h, id, qp, name, 0, 1);
}

uint32_t
hsys_queue_id(const struct hsys_queue *q)
{
	return q->rec != NULL ? q->rec->id : q->id;
}

int
hsys_queue_close(struct hsys_queue *q)
{
	unsigned char fixed[4];
	int rc;

	if (q == NULL)
		return 0;
	proto_put32(fixed, hsys_queue_id(q));
	rc = queue_op(q->h, PROTO_QUEUE_CLOSE, fixed, sizeof(fixed), NULL,
	    NULL, 0);
	queue_forget(q->h, q->rec);
	free(q);
	return rc;
}

static int
prefix_op(struct hsys_queue *q, uint16_t type, const char *prefix)
{
	unsigned char fixed[8] = { 0 };

	if (prefix == NULL)
		return -EINVAL;
	proto_put32(fixed, hsys_queue_id(q));
	return queue_op(q->h, type, fixed, sizeof(fixed), prefix, NULL, 0);
}

int
hsys_prefix_add(struct hsys_queue *q, const char *prefix)
{
	int rc = prefix_op(q, PROTO_PREFIX_ADD, prefix);

	return rc < 0 ? rc : prefix_remember(q, prefix, 1);
}

int
hsys_prefix_remove(struct hsys_queue *q, const char *prefix)
{
	int rc = prefix_op(q, PROTO_PREFIX_REMOVE, prefix);

	return rc < 0 ? rc : prefix_remember(q, prefix, 0);
}

static int
queue_set(struct hsys_queue *q, uint32_t prop, uint32_t value)
{
	unsigned char fixed[16] = { 0 };

	/* An older daemon would end the session on an unknown type. */
	if (!(q->h->features & PROTO_FEATURE_QUEUE_SET))
		return -EOPNOTSUPP;
	proto_put32(fixed, hsys_queue_id(q));
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

/* Remembered once the daemon took it, to be given again after a
 * reconnection, where the queue is created anew. */
static int
queue_allow(struct hsys_queue *q, uint32_t prop, uint32_t id)
{
	struct lib_queue *r = q->rec;
	unsigned i;
	int rc;

	/* An older daemon lets every user attach an open queue. */
	if (!(q->h->features & PROTO_FEATURE_QUEUE_ALLOW))
		return -EOPNOTSUPP;
	if ((rc = queue_set(q, prop, id)) < 0 || r == NULL)
		return rc;
	for (i = 0; i < r->nallow; i++)
		if (r->allow[i] == id && r->allow_prop[i] == prop)
			return 0;
	if (r->nallow < PROTO_QUEUE_ALLOW_MAX) {
		r->allow[r->nallow] = id;
		r->allow_prop[r->nallow++] = prop;
	}
	return 0;
}

int
hsys_queue_allow(struct hsys_queue *q, uid_t uid)
{
	return queue_allow(q, PROTO_QUEUE_ALLOW_UID, (uint32_t)uid);
}

int
hsys_queue_allow_group(struct hsys_queue *q, gid_t gid)
{
	return queue_allow(q, PROTO_QUEUE_ALLOW_GID, (uint32_t)gid);
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
	case EPERM:
		return "only the queue's owner may do that";
	case EDQUOT:
		return "a per-user limit of hsysd was reached (sessions, "
		    "queues, prefixes: hsysd --limit)";
	default:
		return strerror(-code);
	}
}

/*
 * Reconnecting. A session ends in one of two ways without the application
 * asking: hsysd says GOAWAY (another hsysd took over the socket; see
 * docs/operations.md), or the session breaks (hsysd stopped or crashed).
 * Either way libhsys opens a new session on the same socket path, creates
 * the application's queues again (same names and flags) and registers
 * their prefixes again, so that hsys_next goes on returning requests.
 *
 * After GOAWAY the old session stays open: the old daemon still sends
 * requests on its channels until the new one accepts, and answers to them
 * go back on the channels they came from (a request remembers its channel
 * index; a replaced session's channels keep theirs). Its control channel
 * is kept, unread, since closing it would end the old session at once; the
 * old daemon closes everything when it has drained. When a session breaks,
 * its requests in flight are cancelled (their clients are gone with it).
 *
 * Attempts run from hsys_next (a timerfd in the session's epoll set, so
 * programs that wait on hsys_fd wake up for them too), the first at once,
 * then after 50 ms, doubling up to 1 s, until hsys_set_reconnect's bound;
 * then hsys_next returns the last error.
 */

static long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
watch_session(struct hsys *h)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (h->timer == -1) {
		h->timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
		    TFD_CLOEXEC);
		if (h->timer == -1)
			return -errno;
		ev.data.u32 = LIB_TAG_TIMER;
		if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->timer, &ev) == -1)
			return -errno;
	}
	ev.data.u32 = LIB_TAG_CTL;
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->ctl, &ev) == -1)
		return -errno;
	return 0;
}

static void
timer_arm(struct hsys *h, long ms)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };

	if (ms < 1)
		ms = 1;		/* zero would disarm it */
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (ms % 1000) * 1000000;
	timerfd_settime(h->timer, 0, &its, NULL);
}

static void
chan_close(struct hsys *h, unsigned i)
{
	struct hsys_channel *c = &h->chan[i];

	if (c->fd == -1)
		return;
	epoll_ctl(h->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	free(c->rbuf);
	c->rbuf = NULL;
	c->rcap = c->rlen = 0;
	lib_requests_lost(h, i);
}

/* The current session stops being current: its channels are kept (they
 * end when their daemon closes them); its control channel too when
 * keep_ctl (after GOAWAY), else it is closed, which ends the session. */
static void
retire(struct hsys *h, int keep_ctl)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int k;

	h->chan_base = h->nchan;
	h->rlen = h->rused = 0;
	if (h->ctl == -1)
		return;
	epoll_ctl(h->epfd, EPOLL_CTL_DEL, h->ctl, NULL);
	for (k = 0; keep_ctl && k < LIB_OLD_SESSIONS; k++) {
		if (h->old_ctl[k] != -1)
			continue;
		ev.data.u32 = LIB_TAG_OLD + (uint32_t)k;
		if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->ctl, &ev) == -1)
			break;
		h->old_ctl[k] = h->ctl;
		h->ctl = -1;
		return;
	}
	close(h->ctl);
	h->ctl = -1;
}

static void
reconnect_start(struct hsys *h, int state)
{
	if (h->rc_state == LIB_RC_NONE) {
		h->rc_since = mono_ms();
		h->rc_delay = 0;
	}
	h->rc_state = state;
	timer_arm(h, 0);
}

static void
goaway_noted(struct hsys *h)
{
	if (h->rc_limit == 0)
		return;
	h->goaway = 1;
	timer_arm(h, 0);
}

static int
queue_again(struct hsys *h, struct lib_queue *r)
{
	struct hsys_queue q = { .h = h, .rec = r };
	unsigned char fixed[8] = { 0 }, id[4];
	struct lib_prefix *p;
	unsigned i;
	int rc;

	proto_put32(fixed, (r->name[0] ? 0x1 : 0) | (r->flags &
	    HSYS_QUEUE_OPEN));
	/* Another process of the queue may have made it again first; or
	 * the one that created it may not be back yet. */
	if (r->attached || (rc = queue_op(h, PROTO_QUEUE_CREATE, fixed,
	    sizeof(fixed), r->name, id, sizeof(id))) == -EEXIST)
		rc = queue_op(h, PROTO_QUEUE_ATTACH, NULL, 0, r->name, id,
		    sizeof(id));
	/* Another user's queue ("owner/name") is that user's to create. */
	if (rc == -ENOENT && r->attached && strchr(r->name, '/') == NULL)
		rc = queue_op(h, PROTO_QUEUE_CREATE, fixed, sizeof(fixed),
		    r->name, id, sizeof(id));
	if (rc < 0)
		return rc;
	r->id = proto_get32(id);
	/* A refusal leaves the safe side (fewer users admitted) and must not
	 * stop the reconnection: the queue may have been made again, not
	 * open, by another process of its owner that had attached. */
	for (i = 0; i < r->nallow; i++)
		if ((rc = queue_set(&q, r->allow_prop[i], r->allow[i])) < 0 &&
		    rc != -EINVAL && rc != -EPERM && rc != -ENOSPC)
			return rc;
	for (p = r->prefixes; p != NULL; p = p->next)
		if ((rc = prefix_op(&q, PROTO_PREFIX_ADD, p->text)) < 0 &&
		    rc != -EEXIST)
			return rc;
	return 0;
}

static int
session_again(struct hsys *h)
{
	struct lib_queue *q;
	int rc;

	if ((rc = dial()) < 0)
		return rc;
	h->ctl = rc;
	if ((rc = hello(h, h->name)) < 0 || (rc = watch_session(h)) < 0 ||
	    (rc = open_channels(h)) < 0)
		return rc;
	for (q = h->queues; q != NULL; q = q->next)
		if ((rc = queue_again(h, q)) < 0)
			return rc;
	return 0;
}

static int
reconnect_try(struct hsys *h)
{
	int rc;

	if (h->goaway && h->rc_state == LIB_RC_NONE) {
		retire(h, 1);
		reconnect_start(h, LIB_RC_SWITCH);
	}
	h->goaway = 0;
	if (h->rc_state == LIB_RC_NONE)
		return 0;
	if ((rc = session_again(h)) == 0) {
		h->rc_state = LIB_RC_NONE;
		return 0;
	}
	/* What this attempt opened ends with its control channel. */
	retire(h, 0);
	if (mono_ms() - h->rc_since >= h->rc_limit) {
		snprintf(h->last_error, sizeof(h->last_error), "the session "
		    "ended, and no new one could be opened within %d ms: %s",
		    h->rc_limit, hsys_strerror(rc));
		return h->broken = -ECONNRESET;
	}
	h->rc_delay = h->rc_delay == 0 ? RECONNECT_FIRST :
	    h->rc_delay * 2 > RECONNECT_MAX ? RECONNECT_MAX : h->rc_delay * 2;
	timer_arm(h, h->rc_delay);
	return 0;
}

int
lib_channel_lost(struct hsys *h, unsigned i, int code)
{
	chan_close(h, i);
	if (i < h->chan_base)
		return 0;	/* a replaced session's, drained */
	if (h->rc_limit == 0)
		return h->broken = code;
	retire(h, 0);
	reconnect_start(h, LIB_RC_LOST);
	return 0;
}

static int
ctl_event(struct hsys *h)
{
	struct proto_frame f;
	int rc;

	if ((rc = recv_frame(h, &f)) == 0 && f.type == PROTO_GOAWAY) {
		if (f.length >= 4 && proto_get32(f.payload) &
		    PROTO_GOAWAY_F_RECONNECT && h->rc_limit != 0) {
			retire(h, 1);
			reconnect_start(h, LIB_RC_SWITCH);
		}
		return 0;
	}
	if (rc == 0 && f.type != PROTO_ERROR)
		return 0;	/* a late reply nobody waits for */
	/* EOF, or ERROR with id 0: the session is over. */
	if (h->rc_limit == 0)
		return h->broken = rc < 0 ? rc : -ECONNRESET;
	retire(h, 0);
	reconnect_start(h, LIB_RC_LOST);
	return 0;
}

int
lib_session_event(struct hsys *h, uint32_t tag)
{
	unsigned char b[512];
	uint64_t ticks;
	ssize_t n;
	int k;

	if (tag == LIB_TAG_CTL)
		return h->ctl == -1 ? 0 : ctl_event(h);
	if (tag == LIB_TAG_TIMER) {
		if (read(h->timer, &ticks, sizeof(ticks)) == -1 &&
		    errno != EAGAIN)
			return -errno;
		return reconnect_try(h);
	}
	k = (int)(tag - LIB_TAG_OLD);
	if (k < 0 || k >= LIB_OLD_SESSIONS || h->old_ctl[k] == -1)
		return 0;
	/* A replaced session's control channel: nothing to act on, until
	 * its daemon closes it. */
	n = recv(h->old_ctl[k], b, sizeof(b), MSG_DONTWAIT);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		epoll_ctl(h->epfd, EPOLL_CTL_DEL, h->old_ctl[k], NULL);
		close(h->old_ctl[k]);
		h->old_ctl[k] = -1;
	}
	return 0;
}

int
hsys_set_reconnect(struct hsys *h, int timeout_ms)
{
	if (timeout_ms < 0)
		return -EINVAL;
	h->rc_limit = timeout_ms;
	return 0;
}

/* Out of memory, the queue is not remembered, and not created again
 * after a reconnection; the handle works meanwhile. */
static void
queue_remember(struct hsys_queue *q, const char *name, unsigned flags,
    int attached)
{
	struct lib_queue *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return;
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
	r->id = q->id;
	r->flags = flags;
	r->attached = attached;
	r->next = q->h->queues;
	q->h->queues = r;
	q->rec = r;
}

static void
queue_forget(struct hsys *h, struct lib_queue *r)
{
	struct lib_queue **pp;
	struct lib_prefix *p;

	if (r == NULL)
		return;
	for (pp = &h->queues; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	while ((p = r->prefixes) != NULL) {
		r->prefixes = p->next;
		free(p);
	}
	free(r);
}

/* Out of memory, a prefix is not remembered: it is not registered again
 * after a reconnection, which hsys_prefix_add cannot report now (the
 * prefix is registered). */
static int
prefix_remember(struct hsys_queue *q, const char *prefix, int add)
{
	struct lib_prefix *p, **pp;
	size_t n = strlen(prefix) + 1;

	if (q->rec == NULL)
		return 0;
	if (!add) {
		for (pp = &q->rec->prefixes; (p = *pp) != NULL; pp = &p->next)
			if (strcmp(p->text, prefix) == 0) {
				*pp = p->next;
				free(p);
				break;
			}
		return 0;
	}
	if ((p = malloc(sizeof(*p) + n)) == NULL)
		return 0;
	memcpy(p->text, prefix, n);
	p->next = q->rec->prefixes;
	q->rec->prefixes = p;
	return 0;
}
