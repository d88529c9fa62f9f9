/*
 * reload — coalesced CONFIG_CHANGED. See reload.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util.h"
#include "daemon/hsysd.h"
#include "daemon/listener.h"
#include "daemon/log.h"
#include "daemon/reload.h"
#include "proto/proto.h"

/* Senders waiting for the next reload; beyond it a sender is closed
 * without a reply (hsys treats that as "announced"). */
#define RELOAD_MAX_WAITING	256
/* The OK's payload: the listener errors, one a line, within this. */
#define RELOAD_WARN_MAX		2048

struct reload_waiter {
	int		fd;
	uint64_t	generation;	/* announced */
};

struct reload {
	struct loop_defer	 run;
	int			 scheduled;
	int			 closing;	/* hsysd is stopping */
	struct hsysd		*d;
	size_t			 n;
	struct reload_waiter	 w[RELOAD_MAX_WAITING];
};

/* One small frame on a fresh socket: it fits its buffer, so a
 * non-blocking send either takes it whole or the peer is gone. */
static void
answer(int fd, uint16_t type, uint64_t id, const void *p, size_t len)
{
	unsigned char buf[PROTO_HEADER_SIZE + RELOAD_WARN_MAX] = { 0 };

	proto_header_put(buf, (uint32_t)len, type, 0, id);
	if (len > 0)
		memcpy(buf + PROTO_HEADER_SIZE, p, len);
	(void)send(fd, buf, proto_frame_size((uint32_t)len),
	    MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

static void
answer_error(int fd, uint64_t id, int code, const char *msg)
{
	unsigned char p[480];

	answer(fd, PROTO_ERROR, id, p, proto_error_put(p, sizeof(p),
	    (uint32_t)code, msg, strlen(msg)));
}

struct warnings {
	char	 text[RELOAD_WARN_MAX];
	size_t	 len;
};

/* "cannot listen on 0.0.0.0:443: Address already in use (for the
 * binding ipport=127.0.0.1:443)": what a port hsysd wants but cannot
 * open says; the lines that do not fit are left out. */
static void
add_warning(const struct listener_info *i, void *arg)
{
	struct warnings *w = arg;
	char line[LISTENER_ERROR_MAX + 160];
	int n;

	if (strcmp(i->state, "failed") != 0 || i->error[0] == '\0')
		return;
	n = snprintf(line, sizeof(line), "%s (for %s%s)\n", i->error,
	    i->binding[0] != '\0' ? "the binding " : "registered prefixes",
	    i->binding);
	if (n < 0 || (size_t)n >= sizeof(line) ||
	    w->len + (size_t)n > sizeof(w->text))
		return;
	memcpy(w->text + w->len, line, (size_t)n);
	w->len += (size_t)n;
}

static void
run(struct loop_defer *df)
{
	struct reload *r = container_of(df, struct reload, run);
	uint64_t served;
	size_t i;

	struct warnings w = { .len = 0 };

	r->scheduled = 0;
	if (r->closing) {
		free(r);
		return;
	}
	hsysd_reload(r->d);	/* one read of the store for all of them */
	listeners_each(r->d, add_warning, &w);
	served = r->d->generation < 0 ? 0 : (uint64_t)r->d->generation;
	for (i = 0; i < r->n; i++) {
		if (r->w[i].generation > served)
			answer_error(r->w[i].fd, r->w[i].generation, EAGAIN,
			    "hsysd serves an older generation; it reads the "
			    "store again within seconds");
		else
			answer(r->w[i].fd, PROTO_OK, served, w.text, w.len);
	}
	r->n = 0;
}

void
reload_request(struct hsysd *d, int fd, const struct proto_frame *f)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct reload *r;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		answer_error(fd, f->id, EPROTO, "cannot identify the peer");
		return;
	}
	if (cred.uid != 0 && cred.uid != geteuid()) {
		log_debug("control: CONFIG_CHANGED from uid %ld refused",
		    (long)cred.uid);
		answer_error(fd, f->id, EACCES, "only root or hsysd's own user "
		    "may announce configuration changes");
		return;
	}
	if (d->reload == NULL && (d->reload = calloc(1, sizeof(*r))) == NULL) {
		close(fd);	/* the poll timer reloads anyway */
		return;
	}
	r = d->reload;
	r->d = d;
	r->run.fn = run;
	log_debug("control: configuration generation %llu announced",
	    (unsigned long long)f->id);
	if (r->n == RELOAD_MAX_WAITING)
		close(fd);
	else
		r->w[r->n++] = (struct reload_waiter){ fd, f->id };
	if (!r->scheduled) {
		r->scheduled = 1;
		loop_defer(d->loop, &r->run);
	}
}

void
reload_free(struct hsysd *d)
{
	struct reload *r = d->reload;
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		close(r->w[i].fd);
	r->n = 0;
	d->reload = NULL;
	/* A run still deferred frees it when the loop runs it. */
	if (r->scheduled)
		r->closing = 1;
	else
		free(r);
}
