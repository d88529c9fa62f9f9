/*
 * listener — listening sockets. See listener.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "acme/acme.h"
#include "common/err.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "config/config.h"
#include "daemon/hsysd.h"
#include "daemon/listenaddr.h"
#include "daemon/listener.h"
#include "daemon/log.h"
#include "daemon/ratelimit.h"
#include "daemon/worker.h"
#include "store/store.h"


/*
 * Main thread's record of a port. A port is wanted by its registrations
 * (refs, all of one scheme) and by TLS bindings that name it (bound);
 * while wanted, every worker holds a socket per listen address. With
 * registrations, their scheme decides what the sockets speak; with only
 * bindings, TLS.
 *
 * fds are the sockets the workers were given (for a handover, which
 * passes the sockets themselves). `held` ones were inherited from the
 * hsysd this one took over from: they stay here, unaccepted, until
 * listeners_release_held() gives them to the workers.
 */
struct listener {
	struct listener	*next;
	uint16_t	 port;
	int		 refs;		/* registrations */
	int		 tls;		/* their scheme, while refs > 0 */
	int		 open;		/* the workers hold sockets */
	int		 open_tls;	/* what those sockets speak */
	int		 bound;		/* a binding names the port */
	int		 acme;		/* a pending ACME challenge: 1 http-01,
					 * 2 tls-alpn-01 (acmechal.h) */
	int		 was_bound;	/* before this sync */
	int		 closing;	/* workers yet to close its sockets */
	int		 failing;	/* could not be opened; said so once */
	char		 error[LISTENER_ERROR_MAX];	/* the last; "" */
	unsigned long	 errors;	/* attempts that failed */
	struct addrs	 addrs;		/* where the sockets are, while open */
	char		 binding[CONFIG_ENDPOINT_MAX + 16];	/* the first */
	int		 held;		/* inherited, not yet accepted from */
	int		 nfds;
	int		 fds[LISTENER_MAX_FDS];
};

/* A worker's socket. */
struct wlistener {
	struct loop_io		 io;
	struct loop_defer	 free;
	struct loop_timer	 resume;	/* paused: out of descriptors */
	struct worker		*w;
	struct wlistener	*next;
	uint16_t		 port;
	int			 tls;
};

struct listen_mail {
	struct mail	 mail;
	struct hsysd	*d;
	struct worker	*w;	/* not after the workers stopped */
	uint16_t	 port;
	int		 tls;
	int		 replace;	/* close the port's sockets first */
	int		 nfds;
	int		 fds[MAX_ADDRS];	/* nfds == 0: close the port */
};

/* The listener is watched again after a pause. */
static void
on_resume(struct loop *l, struct loop_timer *t)
{
	struct wlistener *wl = container_of(t, struct wlistener, resume);

	loop_io_change(l, &wl->io, LOOP_READ);
}

/*
 * accept() failed for want of descriptors (or memory, or anything but a
 * connection aborted early): the pending connection stays in the kernel's
 * queue, so a level-triggered listener would be reported again at once
 * and the worker would spin. It is not
 * watched for LISTENER_PAUSE_MS instead (connections closing meanwhile
 * free descriptors), and the warning goes out once per RATELIMIT_MS.
 */
static void
accept_pause(struct loop *l, struct wlistener *wl, int err)
{
	struct worker *w = wl->w;
	unsigned long more;

	loop_io_change(l, &wl->io, 0);
	loop_timer_set(l, &wl->resume, LISTENER_PAUSE_MS);
	if (!ratelimit_pass(&w->accept_warn, loop_now(l), &more))
		return;
	log_warn("worker %d: accept on port %u: %s; not accepting for %d ms "
	    "(%lu more since the last warning)%s", w->index, wl->port,
	    strerror(err), LISTENER_PAUSE_MS, more, err == EMFILE ||
	    err == ENFILE ? ". Raise the open-files limit (LimitNOFILE=) or "
	    "lower MaxConnections" : "");
}

static void
on_accept(struct loop *l, struct loop_io *io, unsigned rev)
{
	struct wlistener *wl = container_of(io, struct wlistener, io);
	int fd, n;

	(void)rev;
	/* A bounded batch, so one busy port cannot starve the others. */
	for (n = 0; n < 64; n++) {
		fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd != -1) {
			wl->w->d->accept(wl->w, fd, wl->port, wl->tls);
			continue;
		}
		/* Whatever else failed may fail again at once: pause. */
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			accept_pause(l, wl, errno);
		return;
	}
}

/* After the event batch: an event for this socket may still be pending in
 * the batch that closed it. */
static void
wlistener_free(struct loop_defer *df)
{
	free(container_of(df, struct wlistener, free));
}

static void	closed_fn(struct mail *);

static void
listen_fn(struct mail *m)
{
	struct listen_mail *lm = container_of(m, struct listen_mail, mail);
	struct wlistener *wl, **pp;
	struct worker *w = lm->w;
	struct err e;
	int i;

	if (lm->nfds == 0 || lm->replace) {
		for (pp = &w->listeners; (wl = *pp) != NULL;) {
			if (wl->port != lm->port) {
				pp = &wl->next;
				continue;
			}
			*pp = wl->next;
			loop_io_remove(w->loop, &wl->io);
			loop_timer_cancel(w->loop, &wl->resume);
			close(wl->io.fd);
			wl->free.fn = wlistener_free;
			loop_defer(w->loop, &wl->free);
		}
	}
	if (lm->nfds == 0) {
		/* The main thread counts the workers that are done. */
		lm->mail.fn = closed_fn;
		mailbox_post(&lm->d->mailbox, &lm->mail);
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
		wl->resume.fn = on_resume;
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

int
listener_every_address(void)
{
	struct addrs a;
	struct err e;

	return addrs_iplisten(&a, &e) == 0 && a.n == 0;
}

/*
 * Opens the port's sockets on the listen addresses, one per address and
 * worker, and mails them to the workers. With replace, the port may still
 * hold sockets of ours (to be replaced, or being closed): each worker
 * drops them as it takes the new ones (SO_REUSEPORT lets both exist
 * meanwhile), and the port is not probed, since ours would answer.
 * *where gets the addresses, on success only.
 */
static int
open_port(struct hsysd *d, struct listener *l, uint16_t port, int tls,
    int replace, struct addrs *where, struct err *e)
{
	struct listen_mail **lm;
	struct addrs a;
	int w, i, fd, rc = -1;

	if (addrs_listen(&a, port, e) == -1) {
		e->code = EIO;
		return -1;
	}
	if (!replace && addrs_probe_free(&a, e) == -1)
		return -1;	/* e->code: from bind */
	if ((lm = calloc((size_t)d->workers, sizeof(*lm))) == NULL)
		goto nomem;
	for (w = 0; w < d->workers; w++) {
		if ((lm[w] = calloc(1, sizeof(**lm))) == NULL)
			goto nomem;
		lm[w]->d = d;
		lm[w]->w = &d->worker[w];
		lm[w]->port = port;
		lm[w]->tls = tls;
		lm[w]->replace = replace;
		lm[w]->mail.fn = listen_fn;
	}
	for (w = 0; w < d->workers; w++) {
		for (i = 0; i < a.n; i++) {
			if ((fd = addrs_socket(&a.ss[i], a.len[i], 1, e)) ==
			    -1) {
				e->code = errno;
				goto out;
			}
			lm[w]->fds[lm[w]->nfds++] = fd;
		}
	}
	l->nfds = 0;
	for (w = 0; w < d->workers; w++) {
		for (i = 0; i < lm[w]->nfds && l->nfds < LISTENER_MAX_FDS; i++)
			l->fds[l->nfds++] = lm[w]->fds[i];
		mailbox_post(&d->worker[w].mailbox, &lm[w]->mail);
		lm[w] = NULL;
	}
	*where = a;
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
close_held(struct listener *l)
{
	int i;

	for (i = 0; i < l->nfds; i++)
		close(l->fds[i]);
	l->nfds = 0;
	l->held = 0;
}

static struct listener *
listener_find(struct hsysd *d, uint16_t port)
{
	struct listener *l;

	for (l = d->listeners; l != NULL; l = l->next)
		if (l->port == port)
			return l;
	return NULL;
}

static struct listener *
listener_get(struct hsysd *d, uint16_t port)
{
	struct listener *l;

	if ((l = listener_find(d, port)) != NULL)
		return l;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->port = port;
	l->next = d->listeners;
	d->listeners = l;
	return l;
}

static int
listener_open(struct hsysd *d, struct listener *l, int tls, struct err *e)
{
	if (open_port(d, l, l->port, tls, l->closing > 0, &l->addrs, e) == -1)
		return -1;
	l->open = 1;
	l->open_tls = tls;
	log_info("listening on port %u (%s)", l->port, tls ? "https" : "http");
	return 0;
}

/* Every worker closes its sockets of the port. */
static void
listener_close(struct hsysd *d, struct listener *l)
{
	struct listen_mail *lm;
	int w;

	for (w = 0; w < d->workers; w++) {
		if ((lm = calloc(1, sizeof(*lm))) == NULL)
			continue;	/* the port stays open until exit */
		lm->mail.fn = listen_fn;
		lm->d = d;
		lm->w = &d->worker[w];
		lm->port = l->port;
		mailbox_post(&d->worker[w].mailbox, &lm->mail);
		l->closing++;
	}
	l->open = 0;
	l->nfds = 0;
	log_info("no longer listening on port %u (%s)", l->port,
	    l->open_tls ? "https" : "http");
}

/*
 * Brings a port's sockets in line with what wants it: closes them when
 * nothing does, replaces them when they speak the other scheme (the last
 * http registration went from a port a binding names), opens them when
 * something does, and forgets the port when nothing wants it and every
 * worker has closed its sockets.
 */
/* A failed attempt: kept for STATE, the metrics page and the reply to
 * CONFIG_CHANGED (reload.c). */
static void
note_failure(struct listener *l, const struct err *e)
{
	snprintf(l->error, sizeof(l->error), "%.*s",
	    (int)sizeof(l->error) - 1, e->msg);
	l->errors++;
}

static void	publish(struct hsysd *);

static void
settle_one(struct hsysd *d, struct listener *l)
{
	struct listener **pp;
	int want = l->refs > 0 || l->bound || l->acme;
	int tls = l->refs > 0 ? l->tls : l->bound ? 1 : l->acme == 2;
	struct err e;

	if (l->held)
		return;		/* listeners_release_held() decides */
	if (l->open && !want)
		listener_close(d, l);
	if (l->open && l->open_tls != tls) {
		if (open_port(d, l, l->port, tls, 1, &l->addrs, &e) == -1) {
			if (!l->failing)
				log_warn("port %u cannot switch to %s: %s; "
				    "tried again every few seconds", l->port,
				    tls ? "https" : "http", e.msg);
			l->failing = 1;
			note_failure(l, &e);
		} else {
			l->open_tls = tls;
			l->failing = 0;
			l->error[0] = '\0';
			log_info("port %u now serves %s", l->port,
			    tls ? "https" : "http");
		}
	}
	if (want && !l->open) {
		if (listener_open(d, l, tls, &e) == -1) {
			if (!l->failing)
				log_warn("%s%s: %s; tried again every few "
				    "seconds", *l->binding ? "the binding " :
				    "an ACME challenge on port ", *l->binding ?
				    l->binding : "", e.msg);
			l->failing = 1;
			note_failure(l, &e);
		} else {
			l->failing = 0;
			l->error[0] = '\0';
		}
	}
	if (!want) {
		l->failing = 0;		/* nothing wants it: no error to tell */
		l->error[0] = '\0';
	}
	if (want || l->closing > 0)
		return;
	for (pp = &d->listeners; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	}
	free(l);
}

/* settle_one, then the metrics page learns the ports' states. */
static void
settle(struct hsysd *d, struct listener *l)
{
	settle_one(d, l);
	publish(d);
}

/* Main thread: a worker has closed its sockets of a port. */
static void
closed_fn(struct mail *m)
{
	struct listen_mail *lm = container_of(m, struct listen_mail, mail);
	struct hsysd *d = lm->d;
	struct listener *l = listener_find(d, lm->port);

	if (l != NULL && l->closing > 0) {
		l->closing--;
		settle(d, l);
	}
	free(lm);
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
	/* A binding added a moment ago counts: hsys waits until hsysd
	 * serves the generation it announced (reload.h), so the store need
	 * not be read again here, once per prefix. */
	l = listener_find(d, port);
	if (l != NULL && !tls && l->bound) {
		err_set(e, "port %u has the TLS binding %s, so it serves "
		    "https; a port serves either https or http: register "
		    "https:// on it, or delete the binding first", port,
		    l->binding);
		e->code = EPROTO;
		return -1;
	}
	if (l != NULL && l->refs > 0 && l->tls != tls) {
		err_set(e, "port %u serves %s; a port serves either https or "
		    "http", port, l->tls ? "https" : "http");
		e->code = EPROTO;
		return -1;
	}
	if ((l = listener_get(d, port)) == NULL) {
		err_set(e, "out of memory");
		e->code = ENOMEM;
		return -1;
	}
	if (l->held && l->refs == 0)
		log_info("port %u: an inherited listener serves it again",
		    port);
	if (!l->open && !l->held && listener_open(d, l, tls, e) == -1) {
		settle(d, l);	/* forgets it unless a binding wants it */
		return -1;
	}
	l->refs++;
	l->tls = tls;
	return 0;
}

void
listener_unwant(struct hsysd *d, uint16_t port)
{
	struct listener *l;

	if ((l = listener_find(d, port)) == NULL || l->refs == 0)
		return;
	l->refs--;
	settle(d, l);
}

/* The iplisten list changed: an open port moves to the new addresses,
 * or stays where it is if it cannot. */
static void
readdress(struct hsysd *d, struct listener *l, const struct addrs *now)
{
	struct err e;

	if (!l->open || addrs_same(&l->addrs, now))
		return;
	if (open_port(d, l, l->port, l->open_tls, 1, &l->addrs, &e) == -1) {
		log_err("the iplisten list changed, but port %u cannot listen "
		    "on its addresses: %s; it stays on the previous ones",
		    l->port, e.msg);
		return;
	}
	log_info("port %u (%s) now listens on the iplisten list's addresses",
	    l->port, l->open_tls ? "https" : "http");
}

/* The ports that bindings name, read from the store, and those of the
 * pending ACME challenges (opened while they are pending). */
struct bound {
	struct {
		uint16_t port;
		int	 tls;
	}		 acme[16];
	size_t		 nacme;
	struct addrs	 ipl;
	struct {
		uint16_t port;
		char	 text[CONFIG_ENDPOINT_MAX + 16];
	}		*b;
	size_t		 n, cap;
};

static int
add_bound(const struct config_sslcert *c, void *arg)
{
	struct bound *bd = arg;
	const char *colon = strrchr(c->endpoint, ':');
	void *nb;

	if (colon == NULL)
		return 0;
	if (c->kind == CONFIG_IPPORT && !addrs_covered(&bd->ipl, c->endpoint)) {
		log_warn("the binding ipport=%s: its address is not in the "
		    "iplisten list, so hsysd does not listen for it",
		    c->endpoint);
		return 0;
	}
	if (bd->n == bd->cap) {
		bd->cap = bd->cap ? 2 * bd->cap : 8;
		if ((nb = realloc(bd->b, bd->cap * sizeof(*bd->b))) == NULL)
			return 1;
		bd->b = nb;
	}
	bd->b[bd->n].port = (uint16_t)atoi(colon + 1);
	snprintf(bd->b[bd->n].text, sizeof(bd->b[bd->n].text), "%s=%s",
	    c->kind == CONFIG_IPPORT ? "ipport" : "hostnameport",
	    c->endpoint);
	bd->n++;
	return 0;
}

static int
add_acme(const struct acme_pending *p, void *arg)
{
	struct bound *bd = arg;
	int tls = strcmp(p->type, ACME_CHALLENGE_TLSALPN01) == 0;
	size_t i;

	if (strcmp(p->type, ACME_CHALLENGE_HTTP01) != 0 && !tls)
		return 0;
	for (i = 0; i < bd->nacme; i++)
		if (bd->acme[i].port == p->port)
			return 0;
	if (bd->nacme < sizeof(bd->acme) / sizeof(bd->acme[0]) &&
	    p->port > 0 && p->port < 65536) {
		bd->acme[bd->nacme].port = (uint16_t)p->port;
		bd->acme[bd->nacme++].tls = tls;
	}
	return 0;
}

static int
read_bound(struct bound *bd, struct err *e)
{
	struct store *s;
	int rc;

	if (addrs_iplisten(&bd->ipl, e) == -1)
		return -1;
	if (store_open(&s, STORE_MACHINE, STORE_READ, e) == -1)
		return -1;
	rc = config_sslcert_list(s, add_bound, bd, e);
	if (rc == 0)
		rc = acme_pending_list(s, (int64_t)time(NULL), add_acme, bd,
		    e);
	store_close(s);
	if (rc > 0)
		err_set(e, "out of memory");
	return rc == 0 ? 0 : -1;
}

void
listener_retry(struct hsysd *d)
{
	struct listener *l, *next;

	if (d->drain != NULL)
		return;
	for (l = d->listeners; l != NULL; l = next) {
		next = l->next;
		if (l->failing)
			settle(d, l);
	}
}

void
listener_sync(struct hsysd *d)
{
	struct bound bd = { .n = 0 };
	struct listener *l, *next;
	struct addrs now;
	struct err e;
	size_t i;

	if (d->drain != NULL)
		return;		/* stopping: no port opens again */
	if (read_bound(&bd, &e) == -1 || addrs_listen(&now, 0, &e) == -1) {
		log_warn("cannot read the bindings: %s; the listeners stay as "
		    "they are", e.msg);
		free(bd.b);
		return;
	}
	for (l = d->listeners; l != NULL; l = l->next)
		readdress(d, l, &now);
	for (l = d->listeners; l != NULL; l = l->next) {
		l->was_bound = l->bound;
		l->bound = 0;
		l->acme = 0;
	}
	for (i = 0; i < bd.nacme; i++) {
		if ((l = listener_get(d, bd.acme[i].port)) == NULL)
			continue;
		l->acme = bd.acme[i].tls ? 2 : 1;
		if (!l->open && !l->bound && l->refs == 0)
			log_info("acme: opening port %u (%s) for a pending "
			    "challenge", l->port, bd.acme[i].tls ? "https, "
			    "tls-alpn-01" : "http, http-01");
	}
	for (i = 0; i < bd.n; i++) {
		if ((l = listener_get(d, bd.b[i].port)) == NULL) {
			log_err("out of memory: no listener for the binding "
			    "%s", bd.b[i].text);
			continue;
		}
		if (l->bound)
			continue;
		l->bound = 1;
		snprintf(l->binding, sizeof(l->binding), "%s", bd.b[i].text);
	}
	for (l = d->listeners; l != NULL; l = next) {
		next = l->next;
		if (l->bound && !l->was_bound && l->refs > 0 && !l->tls)
			log_err("the binding %s names port %u, which serves "
			    "http for registered prefixes: the port stays "
			    "http until they go, then serves https",
			    l->binding, l->port);
		settle(d, l);
	}
	free(bd.b);
}

static void
info_of(const struct listener *l, struct listener_info *i)
{
	i->port = l->port;
	i->tls = l->held ? l->tls : l->refs > 0 ? l->tls : l->open ?
	    l->open_tls : 1;
	i->up = l->open || l->held;
	i->state = l->held ? "inherited" : l->open ? "listening" :
	    l->refs > 0 || l->bound ? "failed" : "closing";
	i->error = l->error;
	i->errors = l->errors;
	i->binding = l->bound ? l->binding : "";
	i->registrations = l->refs;
}

void
listeners_each(struct hsysd *d, void (*fn)(const struct listener_info *,
    void *), void *arg)
{
	struct listener_info i;
	struct listener *l;

	for (l = d->listeners; l != NULL; l = l->next) {
		info_of(l, &i);
		fn(&i, arg);
	}
}

/*
 * The metrics page is rendered on a worker thread, which must not walk
 * the main thread's list: each change publishes its lines instead, under
 * listen_lock.
 */
static void
publish(struct hsysd *d)
{
	struct strbuf b = { 0 };
	struct listener_info i;
	struct listener *l;
	char *old;

	strbuf_printf(&b, "# HELP hsys_listener_up 1 while hsysd listens "
	    "on a port it wants (for a registration or a binding), 0 while "
	    "it cannot open it.\n# TYPE hsys_listener_up gauge\n");
	for (l = d->listeners; l != NULL; l = l->next) {
		info_of(l, &i);
		if (strcmp(i.state, "closing") != 0)
			strbuf_printf(&b, "hsys_listener_up{port=\"%u\"} %d\n",
			    i.port, i.up);
	}
	strbuf_printf(&b, "# HELP hsys_listener_errors_total Attempts to "
	    "open a port that failed (hsysd retries at each change and every "
	    "5 s).\n# TYPE hsys_listener_errors_total counter\n");
	for (l = d->listeners; l != NULL; l = l->next) {
		info_of(l, &i);
		if (strcmp(i.state, "closing") != 0)
			strbuf_printf(&b, "hsys_listener_errors_total{port="
			    "\"%u\"} %lu\n", i.port, i.errors);
	}
	if (strbuf_failed(&b)) {
		strbuf_free(&b);
		return;		/* the previous lines stay */
	}
	pthread_mutex_lock(&d->listen_lock);
	old = d->listen_metrics;
	d->listen_metrics = b.s;
	pthread_mutex_unlock(&d->listen_lock);
	free(old);
}

void
listeners_metrics(struct hsysd *d, struct strbuf *b)
{
	pthread_mutex_lock(&d->listen_lock);
	if (d->listen_metrics != NULL)
		strbuf_add(b, d->listen_metrics, strlen(d->listen_metrics));
	pthread_mutex_unlock(&d->listen_lock);
}

void
listeners_free(struct hsysd *d)
{
	struct listener *l;

	free(d->listen_metrics);	/* the workers have stopped */
	d->listen_metrics = NULL;

	while ((l = d->listeners) != NULL) {
		d->listeners = l->next;
		if (l->held)
			close_held(l);
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
		loop_timer_cancel(w->loop, &wl->resume);
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
		for (i = 0; (l->open || l->held) && i < l->nfds; i++)
			if (fn(l->fds[i], l->port, l->held ? l->tls :
			    l->open_tls, arg) == -1)
				return -1;
	return 0;
}

int
listener_adopt(struct hsysd *d, int fd, uint16_t port, int tls)
{
	struct listener *l;

	if ((l = listener_get(d, port)) == NULL)
		return -1;
	if (l->open || l->nfds == LISTENER_MAX_FDS)
		return -1;
	if (!l->held) {
		l->held = 1;
		l->tls = tls;
	}
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
	int w, i, tls = l->tls;

	for (w = 0; w < d->workers && w < l->nfds; w++) {
		if ((lm = calloc(1, sizeof(*lm))) == NULL) {
			log_err("out of memory: port %u loses listeners",
			    l->port);
			break;
		}
		lm->mail.fn = listen_fn;
		lm->d = d;
		lm->w = &d->worker[w];
		lm->port = l->port;
		lm->tls = tls;
		for (i = w; i < l->nfds && lm->nfds < MAX_ADDRS;
		    i += d->workers)
			lm->fds[lm->nfds++] = l->fds[i];
		mailbox_post(&d->worker[w].mailbox, &lm->mail);
	}
	l->held = 0;
	l->open = 1;
	l->open_tls = tls;
	l->addrs.n = 0;		/* inherited: the iplisten list may move it */
}

void
listeners_release_held(struct hsysd *d)
{
	struct listener *l, *next;

	for (l = d->listeners; l != NULL; l = next) {
		next = l->next;
		if (!l->held)
			continue;
		if (l->refs == 0 && !l->bound) {
			log_info("port %u: no application registered again; "
			    "its inherited listener closes", l->port);
			close_held(l);
			settle(d, l);	/* forgets it */
			continue;
		}
		release_port(d, l);
		log_info("listening on port %u (%s, inherited)", l->port,
		    l->open_tls ? "https" : "http");
		settle(d, l);	/* the scheme wanted now, if it changed */
	}
}

/* Stops accepting: every port closes (a handed-over daemon, SIGTERM).
 * The caller starts the drain at once, which keeps ports from opening
 * again. */
void
listeners_stop(struct hsysd *d)
{
	struct listener *l, *next;

	for (l = d->listeners; l != NULL; l = next) {
		next = l->next;
		l->refs = 0;
		l->bound = 0;
		if (l->held)
			close_held(l);
		settle(d, l);
	}
}
