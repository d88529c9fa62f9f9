/*
 * reconnect — libhsys: a session that ends without the application asking,
 * and the new one that replaces it; the session's events other than a
 * data channel's (its control channel, its timer, a replaced session's
 * control channel), which hsys_next hands here. See include/hsys.h.
 *
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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "hsys.h"
#include "lib/lib.h"
#include "proto/control.h"
#include "proto/proto.h"

#define RECONNECT_FIRST	50	/* ms: first retry; doubles up to ... */
#define RECONNECT_MAX	1000

long
lib_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
lib_watch_session(struct hsys *h)
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
	c->wlen = 0;		/* corked frames for it go nowhere */
	c->armed = 0;
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
		h->rc_since = lib_mono_ms();
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
	if ((rc = lib_hello(h, h->name)) < 0 || (rc = lib_watch_session(h)) < 0 ||
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
	if (lib_mono_ms() - h->rc_since >= h->rc_limit) {
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
