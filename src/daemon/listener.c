/*
 * listener — listening sockets. See listener.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/err.h"
#include "common/util.h"
#include "config/config.h"
#include "daemon/conn.h"
#include "daemon/hsysd.h"
#include "daemon/listener.h"
#include "daemon/log.h"
#include "daemon/worker.h"
#include "store/store.h"

#define LISTEN_BACKLOG	1024
#define MAX_ADDRS	16

/* Main thread's record of a port. Its sockets belong to the workers once
 * mailed; `held` ones (inherited from the hsysd this one took over from)
 * stay here, unaccepted, until listeners_release_held(). */
struct listener {
	struct listener	*next;
	uint16_t	 port;
	int		 tls;
	int		 refs;
	int		 held;
	int		 nfds;
	int		 fds[LISTENER_MAX_FDS];
};

/* A worker's socket. */
struct wlistener {
	struct loop_io		 io;
	struct loop_defer	 free;
	struct worker		*w;
	struct wlistener	*next;
	uint16_t		 port;
	int			 tls;
};

struct listen_mail {
	struct mail	 mail;
	struct worker	*w;
	uint16_t	 port;
	int		 tls;
	int		 nfds;
	int		 fds[LISTENER_MAX_FDS];	/* nfds 0: close the port */
};

static void
on_accept(struct loop *l, struct loop_io *io, unsigned rev)
{
	struct wlistener *wl = container_of(io, struct wlistener, io);
	int fd, n;

	(void)l;
	(void)rev;
	/* A bounded batch, so one busy port cannot starve the others. */
	for (n = 0; n < 64; n++) {
		fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("worker %d: accept on port %u: %s",
				    wl->w->index, wl->port, strerror(errno));
			return;
		}
		conn_accept(wl->w, fd, wl->port, wl->tls);
	}
}

/* After the event batch: an event for this socket may still be pending in
 * the batch that closed it. */
static void
wlistener_free(struct loop_defer *df)
{
	free(container_of(df, struct wlistener, free));
}

static void
listen_fn(struct mail *m)
{
	struct listen_mail *lm = container_of(m, struct listen_mail, mail);
	struct wlistener *wl, **pp;
	struct worker *w = lm->w;
	struct err e;
	int i;

	if (lm->nfds == 0) {
		for (pp = &w->listeners; (wl = *pp) != NULL;) {
			if (wl->port != lm->port) {
				pp = &wl->next;
				continue;
			}
			*pp = wl->next;
			loop_io_remove(w->loop, &wl->io);
			close(wl->io.fd);
			wl->free.fn = wlistener_free;
			loop_defer(w->loop, &wl->free);
		}
		free(lm);
		return;
	}
	for (i = 0; i < lm->nfds; i++) {
		if ((wl = calloc(1, sizeof(*wl))) == NULL) {
			close(lm->fds[i]);
			continue;
		}
		wl->w = w;
		wl->port = lm->port;
		wl->tls = lm->tls;
		wl->io.fd = lm->fds[i];
		wl->io.fn = on_accept;
		if (loop_io_add(w->loop, &wl->io, LOOP_READ, &e) == -1) {
			log_warn("worker %d: %s", w->index, e.msg);
			close(wl->io.fd);
			free(wl);
			continue;
		}
		wl->next = w->listeners;
		w->listeners = wl;
	}
	free(lm);
}

struct addrs {
	int			n;
	struct sockaddr_storage	ss[MAX_ADDRS];
	socklen_t		len[MAX_ADDRS];
};

static int
add_addr(const char *text, void *arg)
{
	struct addrs *a = arg;
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss[a->n];
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss[a->n];

	if (a->n == MAX_ADDRS)
		return 0;
	memset(&a->ss[a->n], 0, sizeof(a->ss[a->n]));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		a->len[a->n++] = sizeof(*sin);
	} else if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		a->len[a->n++] = sizeof(*sin6);
	}
	return 0;
}

/* The iplisten list, or the two wildcard addresses. */
static int
listen_addrs(struct addrs *a, uint16_t port, struct err *e)
{
	struct store *s;
	int i;

	a->n = 0;
	if (store_open(&s, STORE_MACHINE, STORE_READ, e) == -1)
		return -1;
	if (config_iplisten_list(s, add_addr, a, e) == -1) {
		store_close(s);
		return -1;
	}
	store_close(s);
	if (a->n == 0) {
		add_addr("0.0.0.0", a);
		add_addr("::", a);
	}
	for (i = 0; i < a->n; i++) {
		if (a->ss[i].ss_family == AF_INET)
			((struct sockaddr_in *)&a->ss[i])->sin_port =
			    htons(port);
		else
			((struct sockaddr_in6 *)&a->ss[i])->sin6_port =
			    htons(port);
	}
	return 0;
}

static int
open_socket(const struct sockaddr_storage *ss, socklen_t len, struct err *e)
{
	char host[INET6_ADDRSTRLEN] = "?";
	const void *ap;
	int fd, one = 1, port;

	ap = ss->ss_family == AF_INET ?
	    (const void *)&((const struct sockaddr_in *)ss)->sin_addr :
	    (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	port = ntohs(ss->ss_family == AF_INET ?
	    ((const struct sockaddr_in *)ss)->sin_port :
	    ((const struct sockaddr_in6 *)ss)->sin6_port);
	inet_ntop(ss->ss_family, ap, host, sizeof(host));
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
	    -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
	    sizeof(one)) == -1)
		goto fail;
	if (ss->ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == -1)
		goto fail;
	if (bind(fd, (const struct sockaddr *)ss, len) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1)
		goto fail;
	return fd;
fail:
	err_sys(e, "cannot listen on %s%s%s:%d", ss->ss_family == AF_INET6 ?
	    "[" : "", host, ss->ss_family == AF_INET6 ? "]" : "", port);
	if (fd != -1)
		close(fd);
	return -1;
}

static int
open_port(struct hsysd *d, struct listener *l, uint16_t port, int tls,
    struct err *e)
{
	struct listen_mail **lm;
	struct addrs a;
	int w, i, fd, rc = -1;

	if (listen_addrs(&a, port, e) == -1) {
		e->code = EIO;
		return -1;
	}
	if ((lm = calloc((size_t)d->workers, sizeof(*lm))) == NULL)
		goto nomem;
	for (w = 0; w < d->workers; w++) {
		if ((lm[w] = calloc(1, sizeof(**lm))) == NULL)
			goto nomem;
		lm[w]->w = &d->worker[w];
		lm[w]->port = port;
		lm[w]->tls = tls;
		lm[w]->mail.fn = listen_fn;
	}
	for (w = 0; w < d->workers; w++) {
		for (i = 0; i < a.n; i++) {
			if ((fd = open_socket(&a.ss[i], a.len[i], e)) == -1) {
				e->code = errno;
				goto out;
			}
			lm[w]->fds[lm[w]->nfds++] = fd;
			if (l->nfds < LISTENER_MAX_FDS)
				l->fds[l->nfds++] = fd;
		}
	}
	for (w = 0; w < d->workers; w++) {
		mailbox_post(&d->worker[w].mailbox, &lm[w]->mail);
		lm[w] = NULL;
	}
	rc = 0;
	goto out;
nomem:
	err_set(e, "out of memory");
	e->code = ENOMEM;
out:
	for (w = 0; lm != NULL && w < d->workers; w++) {
		if (lm[w] == NULL)
			continue;
		for (i = 0; i < lm[w]->nfds; i++)
			close(lm[w]->fds[i]);
		free(lm[w]);
	}
	free(lm);
	return rc;
}

static void
listener_close_held(struct listener *l)
{
	int i;

	for (i = 0; i < l->nfds; i++)
		close(l->fds[i]);
	free(l);
}

int
listener_want(struct hsysd *d, uint16_t port, int tls, struct err *e)
{
	struct listener *l;

	/* A stopping daemon opens nothing: what it accepted would be cut
	 * off when it exits. */
	if (d->drain != NULL) {
		err_set(e, "hsysd is stopping; register with the daemon that "
		    "serves the socket now");
		e->code = ESHUTDOWN;
		return -1;
	}
	for (l = d->listeners; l != NULL; l = l->next) {
		if (l->port == port) {
			if (l->refs++ == 0 && l->held)
				log_info("port %u: an inherited listener "
				    "serves it again", port);
			return 0;
		}
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		err_set(e, "out of memory");
		e->code = ENOMEM;
		return -1;
	}
	if (open_port(d, l, port, tls, e) == -1) {
		free(l);
		return -1;
	}
	l->port = port;
	l->tls = tls;
	l->refs = 1;
	l->next = d->listeners;
	d->listeners = l;
	log_info("listening on port %u (%s)", port, tls ? "https" : "http");
	return 0;
}

void
listener_unwant(struct hsysd *d, uint16_t port)
{
	struct listener *l, **pp;
	struct listen_mail *lm;
	int w;

	for (pp = &d->listeners; (l = *pp) != NULL; pp = &l->next)
		if (l->port == port)
			break;
	if (l == NULL || --l->refs > 0)
		return;
	*pp = l->next;
	if (l->held) {
		listener_close_held(l);
		return;
	}
	free(l);
	for (w = 0; w < d->workers; w++) {
		if ((lm = calloc(1, sizeof(*lm))) == NULL)
			continue;	/* the port stays open until exit */
		lm->mail.fn = listen_fn;
		lm->w = &d->worker[w];
		lm->port = port;
		mailbox_post(&d->worker[w].mailbox, &lm->mail);
	}
	log_info("no longer listening on port %u", port);
}

void
listeners_free(struct hsysd *d)
{
	struct listener *l;

	while ((l = d->listeners) != NULL) {
		d->listeners = l->next;
		if (l->held)
			listener_close_held(l);
		else
			free(l);
	}
}

void
listeners_close_all(struct worker *w)
{
	struct wlistener *wl;

	while ((wl = w->listeners) != NULL) {
		w->listeners = wl->next;
		loop_io_remove(w->loop, &wl->io);
		close(wl->io.fd);
		free(wl);
	}
}

/*
 * Handing listeners over (handover.c). The sockets themselves travel, not
 * their addresses: the new hsysd accepts from the very sockets (and accept
 * queues) the old one listened on, so no connection waiting in a queue is
 * lost and no port is ever closed.
 */

int
listeners_each_fd(struct hsysd *d, int (*fn)(int fd, uint16_t port, int tls,
    void *), void *arg)
{
	struct listener *l;
	int i;

	for (l = d->listeners; l != NULL; l = l->next)
		for (i = 0; i < l->nfds; i++)
			if (fn(l->fds[i], l->port, l->tls, arg) == -1)
				return -1;
	return 0;
}

int
listener_adopt(struct hsysd *d, int fd, uint16_t port, int tls)
{
	struct listener *l;

	for (l = d->listeners; l != NULL; l = l->next)
		if (l->port == port)
			break;
	if (l == NULL) {
		if ((l = calloc(1, sizeof(*l))) == NULL)
			return -1;
		l->port = port;
		l->tls = tls;
		l->held = 1;
		l->next = d->listeners;
		d->listeners = l;
	}
	if (!l->held || l->nfds == LISTENER_MAX_FDS)
		return -1;
	l->fds[l->nfds++] = fd;
	return 0;
}

/* Spreads a port's sockets over the workers, round robin: every socket of
 * the SO_REUSEPORT group must be accepted from, whatever the number of
 * workers the old hsysd had. */
static void
release_port(struct hsysd *d, struct listener *l)
{
	struct listen_mail *lm;
	int w, i;

	for (w = 0; w < d->workers && w < l->nfds; w++) {
		if ((lm = calloc(1, sizeof(*lm))) == NULL) {
			log_err("out of memory: port %u loses listeners",
			    l->port);
			break;
		}
		lm->mail.fn = listen_fn;
		lm->w = &d->worker[w];
		lm->port = l->port;
		lm->tls = l->tls;
		for (i = w; i < l->nfds; i += d->workers)
			lm->fds[lm->nfds++] = l->fds[i];
		mailbox_post(&d->worker[w].mailbox, &lm->mail);
	}
	l->held = 0;
}

void
listeners_release_held(struct hsysd *d)
{
	struct listener *l, **pp;

	for (pp = &d->listeners; (l = *pp) != NULL;) {
		if (!l->held) {
			pp = &l->next;
			continue;
		}
		if (l->refs == 0) {
			log_info("port %u: no application registered again; "
			    "its inherited listener closes", l->port);
			*pp = l->next;
			listener_close_held(l);
			continue;
		}
		release_port(d, l);
		log_info("listening on port %u (%s, inherited)", l->port,
		    l->tls ? "https" : "http");
		pp = &l->next;
	}
}

void
listeners_stop(struct hsysd *d)
{
	struct listener *l;

	while ((l = d->listeners) != NULL) {
		l->refs = 1;
		listener_unwant(d, l->port);
	}
}
