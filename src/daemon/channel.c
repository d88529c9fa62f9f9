/*
 * channel — data channels on workers. See channel.h.
 *
 * A channel that closes, or sends something it must not, ends its whole
 * session: the main thread is told, and the requests in flight on it are
 * answered by the exchange (both through d->channel_ops).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/util.h"
#include "daemon/channel.h"
#include "daemon/hsysd.h"
#include "daemon/log.h"
#include "daemon/quota.h"
#include "daemon/worker.h"
#include "proto/proto.h"

#define CHANNEL_READ_SIZE	(64u << 10)
#define CHANNEL_DRAIN_MAX	(4u << 20)	/* read at a session's end */

struct adopt_mail {
	struct mail	 mail;
	struct worker	*w;
	int		 fd;
	uint64_t	 session;
};

struct session_mail {
	struct mail	 mail;
	struct hsysd	*d;
	struct worker	*w;
	uint64_t	 session;
};

static size_t
share(const struct hsysd *d)
{
	size_t s = quota_app_buffer(d) / 16;

	return s < CHANNEL_MIN_SHARE ? CHANNEL_MIN_SHARE : s;
}

/* Keeps the daemon's total in step with what this channel holds. */
static void
account(struct channel *c)
{
	struct hsysd *d = c->w->d;
	size_t held = c->outlen - c->outoff;

	if (held > c->counted)
		atomic_fetch_add(&d->app_buffered, held - c->counted);
	else if (held < c->counted)
		atomic_fetch_sub(&d->app_buffered, c->counted - held);
	c->counted = held;
	if (held <= share(d))
		c->over_since = 0;
	else if (c->over_since == 0)	/* (the loop's clock is never 0) */
		c->over_since = loop_now(c->w->loop);
}

int
channel_congested(const struct channel *c)
{
	return c->outlen - c->outoff > share(c->w->d);
}

static void
channel_free(struct loop_defer *df)
{
	struct channel *c = container_of(df, struct channel, free);

	c->outoff = c->outlen = 0;
	account(c);
	close(c->io.fd);
	free(c->out);
	free(c->in);
	free(c);
}

/* Main thread: a channel of the session is gone, so is the session. */
static void
lost_fn(struct mail *m)
{
	struct session_mail *sm = container_of(m, struct session_mail, mail);

	sm->d->channel_ops->session_lost(sm->d, sm->session,
	    "a data channel closed");
	free(sm);
}

static void
channel_close(struct channel *c, const char *why)
{
	struct session_mail *sm;

	if (c->dead)
		return;
	c->dead = 1;
	if (why != NULL) {
		log_info("worker %d: session %llu: %s", c->w->index,
		    (unsigned long long)c->session, why);
		if ((sm = calloc(1, sizeof(*sm))) != NULL) {
			sm->mail.fn = lost_fn;
			sm->d = c->w->d;
			sm->session = c->session;
			mailbox_post(&c->w->d->mailbox, &sm->mail);
		}
	}
	loop_io_remove(c->w->loop, &c->io);
	if ((*c->prevp = c->next) != NULL)
		c->next->prevp = c->prevp;
	c->w->d->channel_ops->closed(c->w, c);
	/* A flush already queued holds the channel until it runs (the
	 * deferred list would otherwise reach it through freed memory). */
	if (!c->flush_pending)
		loop_defer(c->w->loop, &c->free);
}

static void	channel_drain(struct channel *);

static void
channel_flush(struct loop_defer *df)
{
	struct channel *c = container_of(df, struct channel, flush);
	ssize_t n;
	int err;

	c->flush_pending = 0;
	if (c->dead) {
		channel_free(&c->free);	/* closed while this was queued */
		return;
	}
	while (c->outoff < c->outlen) {
		n = write(c->io.fd, c->out + c->outoff, c->outlen - c->outoff);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			loop_io_change(c->w->loop, &c->io,
			    LOOP_READ | LOOP_WRITE);
			return;
		}
		if (n == -1) {
			/* The application closed its end (it ended its
			 * session): what it wrote before still counts. */
			err = errno;
			channel_drain(c);
			channel_close(c, strerror(err));
			return;
		}
		c->outoff += (size_t)n;
		account(c);
	}
	c->outoff = c->outlen = 0;
	account(c);
	loop_io_change(c->w->loop, &c->io, LOOP_READ);
}

/* -1 (and the channel cut off) when it may not buffer `need` more: it
 * would pass its own bound, or its share while the daemon's is reached,
 * or it stayed over its share too long. */
static int
over_bounds(struct channel *c, size_t need)
{
	struct hsysd *d = c->w->d;
	size_t held = c->outlen - c->outoff;

	if (held + need > CHANNEL_MAX_BUFFERED) {
		channel_close(c, "does not read its data channel; cut off");
		return -1;
	}
	if (held + need <= share(d))
		return 0;
	if (atomic_load(&d->app_buffered) + need > quota_app_buffer(d)) {
		log_warn("worker %d: session %llu holds %zu bytes, more than "
		    "its share, while the bytes buffered for applications "
		    "reach hsysd's bound (--limit app-buffer=%zu)",
		    c->w->index, (unsigned long long)c->session, held,
		    quota_app_buffer(d));
		channel_close(c, "does not read its data channel while "
		    "hsysd's buffers are full; cut off");
		return -1;
	}
	if (c->over_since != 0 && loop_now(c->w->loop) > c->over_since +
	    CHANNEL_OVER_MS) {
		channel_close(c, "held more than its share of hsysd's "
		    "buffers for too long; cut off");
		return -1;
	}
	return 0;
}

int
channel_writev(struct channel *c, const struct iovec *iov, int n)
{
	size_t need = 0, cap;
	unsigned char *nb;
	int i;

	if (c->dead)
		return -1;
	for (i = 0; i < n; i++)
		need += iov[i].iov_len;
	if (c->outoff > 0 && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (over_bounds(c, need) == -1)
		return -1;
	if (c->outlen + need > c->outcap) {
		cap = c->outcap ? c->outcap : 16384;
		while (cap < c->outlen + need)
			cap *= 2;
		if ((nb = realloc(c->out, cap)) == NULL) {
			channel_close(c, "out of memory");
			return -1;
		}
		c->out = nb;
		c->outcap = cap;
	}
	for (i = 0; i < n; i++) {
		if (iov[i].iov_len == 0)
			continue;	/* its base may be NULL */
		memcpy(c->out + c->outlen, iov[i].iov_base, iov[i].iov_len);
		c->outlen += iov[i].iov_len;
	}
	account(c);
	if (!c->flush_pending) {
		c->flush_pending = 1;
		loop_defer(c->w->loop, &c->flush);
	}
	return 0;
}

int
channel_frame(struct channel *c, uint16_t type, uint16_t flags, uint64_t id,
    const void *payload, size_t len)
{
	static const unsigned char zero[8];
	unsigned char head[PROTO_HEADER_SIZE];
	struct iovec iov[3];

	proto_header_put(head, (uint32_t)len, type, flags, id);
	iov[0].iov_base = head;
	iov[0].iov_len = sizeof(head);
	iov[1].iov_base = (void *)payload;
	iov[1].iov_len = len;
	iov[2].iov_base = (void *)zero;
	iov[2].iov_len = proto_frame_size((uint32_t)len) - PROTO_HEADER_SIZE -
	    len;
	return channel_writev(c, iov, 3);
}

/*
 * One read from the channel, and the frames it completes. Returns what
 * read() did: > 0 bytes, 0 at the application's end, -1 with errno (the
 * channel is closed on a malformed frame or no memory: c->dead).
 */
static ssize_t
channel_read_once(struct channel *c)
{
	const struct channel_ops *ops = c->w->d->channel_ops;
	struct proto_frame f;
	unsigned char *nb;
	size_t off = 0;
	ssize_t n;
	long used = PROTO_INCOMPLETE;

	if (c->incap - c->inlen < CHANNEL_READ_SIZE) {
		if ((nb = realloc(c->in, c->inlen + CHANNEL_READ_SIZE)) ==
		    NULL) {
			channel_close(c, "out of memory");
			return -1;
		}
		c->in = nb;
		c->incap = c->inlen + CHANNEL_READ_SIZE;
	}
	n = read(c->io.fd, c->in + c->inlen, c->incap - c->inlen);
	if (n <= 0)
		return n;
	c->inlen += (size_t)n;
	while (!c->dead && (used = proto_frame_next(c->in + off,
	    c->inlen - off, PROTO_MAX_FRAME, &f)) > 0) {
		off += (size_t)used;
		if (ops->frame(c->w, c, &f) == -1)
			channel_close(c, "sent a malformed frame; cut off");
	}
	if (c->dead)
		return n;
	if (used == PROTO_MALFORMED) {
		channel_close(c, "sent an oversized frame; cut off");
		return n;
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
	/* Keep a big buffer only while a big frame is arriving. */
	if (c->inlen == 0 && c->incap > 4 * CHANNEL_READ_SIZE) {
		free(c->in);
		c->in = NULL;
		c->incap = 0;
	}
	return n;
}

static void
channel_read(struct channel *c)
{
	ssize_t n = channel_read_once(c);

	if (c->dead || (n == -1 && (errno == EAGAIN || errno == EINTR)))
		return;
	if (n <= 0)
		channel_close(c, n == 0 ? "closed its data channel" :
		    strerror(errno));
}

/*
 * The session ended (its control channel closed, or another of its data
 * channels): what the application wrote on this one before then is
 * still taken, so a response whose last frames were under way when the
 * application closed its session (as a server that drains and exits
 * does) is not cut short. Bounded: at most CHANNEL_DRAIN_MAX bytes.
 */
static void
channel_drain(struct channel *c)
{
	size_t total = 0;
	ssize_t n;

	while (!c->dead && total < CHANNEL_DRAIN_MAX) {
		if ((n = channel_read_once(c)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		total += (size_t)n;
	}
}

static void
channel_io(struct loop *l, struct loop_io *io, unsigned rev)
{
	struct channel *c = container_of(io, struct channel, io);

	(void)l;
	/* Not while a flush is queued: it runs this batch, and the queued
	 * item must not be queued a second time (flush_pending would be
	 * clear), which would break the loop's list of deferred work. */
	if (rev & LOOP_WRITE && !c->flush_pending)
		channel_flush(&c->flush);
	if (!c->dead && rev & (LOOP_READ | LOOP_ERROR))
		channel_read(c);
}

static void
adopt_fn(struct mail *m)
{
	struct adopt_mail *am = container_of(m, struct adopt_mail, mail);
	struct worker *w = am->w;
	struct channel *c;
	struct err e;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(am->fd);
		free(am);
		return;
	}
	c->w = w;
	c->session = am->session;
	c->io.fd = am->fd;
	c->io.fn = channel_io;
	c->free.fn = channel_free;
	c->flush.fn = channel_flush;
	if (loop_io_add(w->loop, &c->io, LOOP_READ, &e) == -1) {
		log_warn("worker %d: %s", w->index, e.msg);
		close(am->fd);
		free(c);
		free(am);
		return;
	}
	if ((c->next = w->channels) != NULL)
		c->next->prevp = &c->next;
	w->channels = c;
	c->prevp = &w->channels;
	free(am);
}

int
channel_adopt(struct hsysd *d, int index, int fd, uint64_t session)
{
	struct adopt_mail *am;

	if ((am = calloc(1, sizeof(*am))) == NULL)
		return -1;
	am->mail.fn = adopt_fn;
	am->w = &d->worker[index];
	am->fd = fd;
	am->session = session;
	mailbox_post(&am->w->mailbox, &am->mail);
	return 0;
}

struct channel *
channel_of_session(struct worker *w, uint64_t session)
{
	struct channel *c;

	for (c = w->channels; c != NULL; c = c->next)
		if (c->session == session)
			return c;
	return NULL;
}

static void
close_session_fn(struct mail *m)
{
	struct session_mail *sm = container_of(m, struct session_mail, mail);
	struct channel *c;

	if ((c = channel_of_session(sm->w, sm->session)) != NULL) {
		channel_drain(c);
		channel_close(c, NULL);
	}
	free(sm);
}

void
channels_close_session(struct hsysd *d, uint64_t session)
{
	struct session_mail *sm;
	int i;

	for (i = 0; i < d->workers; i++) {
		if ((sm = calloc(1, sizeof(*sm))) == NULL)
			continue;	/* its channel closes with the peer */
		sm->mail.fn = close_session_fn;
		sm->w = &d->worker[i];
		sm->session = session;
		mailbox_post(&sm->w->mailbox, &sm->mail);
	}
}

void
channels_close_all(struct worker *w)
{
	while (w->channels != NULL)
		channel_close(w->channels, NULL);
}
