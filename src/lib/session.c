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

#include "hsys.h"
#include "lib/lib.h"
#include "proto/control.h"
#include "proto/proto.h"

#define RECONNECT_LIMIT	30000	/* ms: hsys_set_reconnect's default */
#define RECONNECT_FIRST	50	/* ms: first retry; doubles up to ... */
#define RECONNECT_MAX	1000

static int	watch_session(struct hsys *);

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
	h->channel_lost = lib_channel_lost;
	snprintf(h->name, sizeof(h->name), "%s", name ? name : "");
	if ((h->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		rc = -errno;
		free(h);
		return rc;
	}
	if ((rc = lib_dial()) < 0)
		goto fail;
	h->ctl = rc;
	if ((rc = lib_hello(h, name)) < 0 || (rc = watch_session(h)) < 0 ||
	    (rc = lib_open_channels(h)) < 0)
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
		lib_queue_forget(h, h->queues);
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

static long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The wait loop: requests already decoded first, else whatever the
 * session's descriptors have (data channels, the control channel, the
 * reconnection timer), until one is ready or the time is up. */
int
hsys_next(struct hsys *h, struct hsys_request **rp, int timeout_ms)
{
	struct epoll_event ev[16];
	struct hsys_request *r;
	long deadline = timeout_ms > 0 ? mono_ms() + timeout_ms : 0;
	int n, i, rc, wait = timeout_ms;

	*rp = NULL;
	for (;;) {
		if ((r = lib_req_next_ready(h)) != NULL) {
			*rp = r;
			return 1;
		}
		if (h->broken)
			return h->broken;
		n = epoll_wait(h->epfd, ev, 16, wait);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -errno;
		for (i = 0; i < n; i++)
			if ((rc = ev[i].data.u32 >= LIB_TAG_CTL ?
			    lib_session_event(h, ev[i].data.u32) :
			    lib_chan_read(h, ev[i].data.u32, 0)) < 0)
				return rc;
		if (h->ready != NULL)
			continue;
		if (timeout_ms == 0)
			return 0;
		if (timeout_ms > 0) {
			wait = (int)(deadline - mono_ms());
			if (wait <= 0)
				return 0;
		}
	}
}

int
hsys_next_nowait(struct hsys *h, struct hsys_request **rp)
{
	return hsys_next(h, rp, 0);
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
	lib_timer_arm(h, 0);
}

static int
session_again(struct hsys *h)
{
	struct lib_queue *q;
	int rc;

	if ((rc = lib_dial()) < 0)
		return rc;
	h->ctl = rc;
	if ((rc = lib_hello(h, h->name)) < 0 || (rc = watch_session(h)) < 0 ||
	    (rc = lib_open_channels(h)) < 0)
		return rc;
	for (q = h->queues; q != NULL; q = q->next)
		if ((rc = lib_queue_again(h, q)) < 0)
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
	lib_timer_arm(h, h->rc_delay);
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
	uint32_t flags;
	int rc;

	if ((rc = lib_recv_frame(h, &f)) == 0 && f.type == PROTO_GOAWAY) {
		if (proto_goaway_get(&f, &flags) == 0 &&
		    (flags & PROTO_GOAWAY_F_RECONNECT) && h->rc_limit != 0) {
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

