/*
 * session — libhsys's top layer: a session opened and closed (hsys_open,
 * hsys_close) and its wait loop (hsys_next), which hands each event to
 * the file that owns it: a data channel's to channel.c, the control
 * channel's and the timer's to reconnect.c. See include/hsys.h.
 *
 * The layers below, each calling only those under it: reconnect.c (a new
 * session when one ends), queue.c (queues and prefixes), control.c (the
 * control channel); response.c and body.c (answering, reading bodies),
 * channel.c (a data channel's I/O), inbound.c (the daemon's frames),
 * request.c (request objects and what an application reads of them),
 * error.c (hsys_strerror). channel.c reports a channel's end up through h->channel_lost.
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
#include "proto/control.h"
#include "proto/proto.h"

#define RECONNECT_LIMIT	30000	/* ms: hsys_set_reconnect's default */

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
	if ((rc = lib_hello(h, name)) < 0 || (rc = lib_watch_session(h)) < 0 ||
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
	if (!h->broken)
		(void)lib_flush(h);	/* answers given before the close */
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
		free(h->chan[i].wq);
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
	/* A program with its own loop: corked frames make the descriptor
	 * readable from now on (channel.c). The session is never const. */
	((struct hsys *)h)->own_loop = 1;
	return h->epfd;
}

int
hsys_flush(struct hsys *h)
{
	return lib_flush(h);
}

const char *
hsys_last_error(const struct hsys *h)
{
	return h->last_error;
}

/* The wait loop: requests already decoded first, else whatever the
 * session's descriptors have (data channels, the control channel, the
 * reconnection timer), until one is ready or the time is up. */
int
hsys_next(struct hsys *h, struct hsys_request **rp, int timeout_ms)
{
	struct epoll_event ev[16];
	struct hsys_request *r;
	long deadline = timeout_ms > 0 ? lib_mono_ms() + timeout_ms : 0;
	int n, i, rc, wait = timeout_ms;

	*rp = NULL;
	for (;;) {
		if ((r = lib_req_next_ready(h)) != NULL) {
			*rp = r;
			return 1;
		}
		if (h->broken)
			return h->broken;
		/* The application would wait, or go back to its own loop:
		 * what it answered leaves now (errors show when reading). */
		(void)lib_flush(h);
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
			wait = (int)(deadline - lib_mono_ms());
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

