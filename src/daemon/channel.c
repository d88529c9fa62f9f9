/*
 * channel — data channels on workers. See channel.h.
 *
 * For now a channel carries nothing but its own end: the request path that
 * sends REQUEST frames down it comes with the HTTP side of the daemon. A
 * channel that closes ends its whole session (the main thread is told).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/err.h"
#include "common/util.h"
#include "daemon/channel.h"
#include "daemon/hsysd.h"
#include "daemon/log.h"
#include "daemon/session.h"
#include "daemon/worker.h"

struct channel {
	struct loop_io		 io;
	struct loop_defer	 free;
	struct worker		*w;
	uint64_t		 session;
	struct channel		*next, **prevp;
};

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

static void
channel_free(struct loop_defer *df)
{
	struct channel *c = container_of(df, struct channel, free);

	close(c->io.fd);
	free(c);
}

static void
channel_close(struct channel *c)
{
	loop_io_remove(c->w->loop, &c->io);
	if ((*c->prevp = c->next) != NULL)
		c->next->prevp = c->prevp;
	loop_defer(c->w->loop, &c->free);
}

/* Main thread: a channel of the session is gone, so is the session. */
static void
lost_fn(struct mail *m)
{
	struct session_mail *sm = container_of(m, struct session_mail, mail);

	session_end_by_id(sm->d, sm->session, "a data channel closed");
	free(sm);
}

static void
channel_read(struct loop *l, struct loop_io *io, unsigned rev)
{
	struct channel *c = container_of(io, struct channel, io);
	struct session_mail *sm;
	unsigned char buf[4096];
	ssize_t n;

	(void)l;
	(void)rev;
	n = read(io->fd, buf, sizeof(buf));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		log_info("worker %d: session %llu sent %zd bytes on its data "
		    "channel before any request; closing it", c->w->index,
		    (unsigned long long)c->session, n);
	if ((sm = calloc(1, sizeof(*sm))) != NULL) {
		sm->mail.fn = lost_fn;
		sm->d = c->w->d;
		sm->session = c->session;
		mailbox_post(&c->w->d->mailbox, &sm->mail);
	}
	channel_close(c);
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
	c->io.fn = channel_read;
	c->free.fn = channel_free;
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

static void
close_session_fn(struct mail *m)
{
	struct session_mail *sm = container_of(m, struct session_mail, mail);
	struct channel *c, *next;

	for (c = sm->w->channels; c != NULL; c = next) {
		next = c->next;
		if (c->session == sm->session)
			channel_close(c);
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
	struct channel *c;

	while ((c = w->channels) != NULL) {
		w->channels = c->next;
		loop_io_remove(w->loop, &c->io);
		close(c->io.fd);
		free(c);
	}
}
