/*
 * registry — registered URL prefixes and their publication to workers.
 * See registry.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/util.h"
#include "daemon/acl.h"
#include "daemon/hsysd.h"
#include "daemon/listener.h"
#include "daemon/log.h"
#include "daemon/qgate.h"
#include "daemon/queue.h"
#include "daemon/registry.h"
#include "daemon/route.h"
#include "daemon/session.h"
#include "daemon/stats.h"
#include "daemon/worker.h"

struct registration {
	struct registration	*next;
	struct url_prefix	 prefix;
	char			 text[URL_PREFIX_MAX];
	struct queue		*queue;
};

void
routes_release(struct routes *r)
{
	size_t i;

	if (r == NULL || atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	for (i = 0; i < r->n; i++) {
		qstats_unref(r->stats != NULL ? r->stats[i] : NULL);
		qgate_release(r->gates != NULL ? r->gates[i] : NULL);
	}
	free(r->stats);
	free(r->prefixes);
	free(r->queues);
	free(r->gates);
	free(r);
}

/* Builds the route table from the registrations and mails it to every
 * worker; each holds one reference. */
static void
publish(struct hsysd *d)
{
	struct registration *g;
	struct routes *r;
	size_t n = 0, i;
	int w;

	for (g = d->registrations; g != NULL; g = g->next)
		n++;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (n > 0 && ((r->prefixes = calloc(n, sizeof(*r->prefixes))) ==
	    NULL || (r->queues = calloc(n, sizeof(*r->queues))) == NULL ||
	    (r->stats = calloc(n, sizeof(*r->stats))) == NULL ||
	    (r->gates = calloc(n, sizeof(*r->gates))) == NULL))) {
		/* Workers keep the previous table: stale, not broken. */
		log_err("out of memory publishing routes");
		if (r != NULL) {
			free(r->prefixes);
			free(r->queues);
			free(r->stats);
			free(r->gates);
			free(r);
		}
		return;
	}
	for (g = d->registrations, i = 0; g != NULL; g = g->next, i++) {
		r->prefixes[i] = g->prefix;
		r->queues[i] = g->queue ? g->queue->id : REGISTRY_INTERNAL;
		if (g->queue != NULL) {
			qstats_ref(r->stats[i] = g->queue->stats);
			qgate_hold(r->gates[i] = g->queue->gate);
		}
	}
	r->n = n;
	atomic_init(&r->refs, d->workers);
	for (w = 0; w < d->workers; w++)
		route_post_table(&d->worker[w], r);
}

static struct registration *
find(struct hsysd *d, const struct url_prefix *p)
{
	struct registration *g;

	for (g = d->registrations; g != NULL; g = g->next)
		if (url_prefix_equal(&g->prefix, p))
			return g;
	return NULL;
}

static int
port_scheme_conflict(struct hsysd *d, const struct url_prefix *p,
    struct err *e)
{
	struct registration *g;

	for (g = d->registrations; g != NULL; g = g->next) {
		if (g->prefix.port != p->port || g->prefix.https == p->https)
			continue;
		err_set(e, "port %u serves %s (%s is registered); a port "
		    "serves either https or http", p->port,
		    g->prefix.https ? "https" : "http", g->text);
		e->code = EPROTO;
		return -1;
	}
	return 0;
}

/* A prefix of an anonymous queue in its grace period goes to a queue of
 * a process of the same owner that adds it: the application restarted.
 * Requests waiting for the old queue are routed again, to the new one. */
static int
take_over(struct hsysd *d, struct session *s, struct queue *q,
    struct registration *g)
{
	struct queue *old = g->queue;

	/* (NULL: the daemon's metrics page, never taken over) */
	if (old == NULL || old == q || old->sessions > 0 ||
	    old->name[0] != '\0' || old->owner != s->uid)
		return 0;
	g->queue = q;
	log_info("session %llu took %s over from queue %u, in its grace "
	    "period, to queue %u", (unsigned long long)s->id, g->text,
	    old->id, q->id);
	publish(d);
	queue_reroute(d, old);
	return 1;
}

/* A new registration of p for q (NULL: the daemon's own page), once its
 * port serves p's scheme; the workers get the new route table. */
static struct registration *
insert(struct hsysd *d, const struct url_prefix *p, struct queue *q,
    struct err *e)
{
	struct registration *g;

	if (port_scheme_conflict(d, p, e) == -1 ||
	    listener_want(d, p->port, p->https, e) == -1)
		return NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		listener_unwant(d, p->port);
		err_set(e, "out of memory");
		e->code = ENOMEM;
		return NULL;
	}
	g->prefix = *p;
	g->queue = q;
	url_prefix_format(p, g->text, sizeof(g->text));
	g->next = d->registrations;
	d->registrations = g;
	publish(d);
	return g;
}

int
registry_add(struct hsysd *d, struct session *s, struct queue *q,
    const char *text, size_t len, struct err *e)
{
	struct registration *g;
	struct url_prefix p;

	if (url_prefix_parse(text, len, &p, e) == -1) {
		e->code = EINVAL;
		return -1;
	}
	if (acl_may_listen(s->uid, s->gid, &p, e) == -1)
		return -1;
	if ((g = find(d, &p)) != NULL && take_over(d, s, q, g))
		return 0;
	if (g != NULL) {
		err_set(e, "%s is registered already%s", g->text,
		    g->queue == q ? " on this queue" : g->queue == NULL ?
		    " for hsysd's metrics page" : " by another queue");
		e->code = EEXIST;
		return -1;
	}
	if ((g = insert(d, &p, q, e)) == NULL)
		return -1;
	log_info("session %llu registered %s on queue %u",
	    (unsigned long long)s->id, g->text, q->id);
	return 0;
}

static void
unlink_registration(struct hsysd *d, struct registration *g)
{
	struct registration **pp;

	for (pp = &d->registrations; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
	listener_unwant(d, g->prefix.port);
	free(g);
}

int
registry_remove(struct hsysd *d, struct queue *q, const char *text,
    size_t len, struct err *e)
{
	struct registration *g;
	struct url_prefix p;

	if (url_prefix_parse(text, len, &p, e) == -1) {
		e->code = EINVAL;
		return -1;
	}
	if ((g = find(d, &p)) == NULL || g->queue != q) {
		err_set(e, "the prefix is not registered on this queue");
		e->code = ENOENT;
		return -1;
	}
	unlink_registration(d, g);
	publish(d);
	return 0;
}

void
registry_drop_queue(struct hsysd *d, struct queue *q)
{
	struct registration *g, *next;
	int changed = 0;

	for (g = d->registrations; g != NULL; g = next) {
		next = g->next;
		if (g->queue == q) {
			unlink_registration(d, g);
			changed = 1;
		}
	}
	if (changed)
		publish(d);
}

size_t
registry_count(struct hsysd *d, const struct queue *q)
{
	struct registration *g;
	size_t n = 0;

	for (g = d->registrations; g != NULL; g = g->next)
		if (g->queue == q)
			n++;
	return n;
}

void
registry_serve(struct hsysd *d, struct session *s, struct queue *q,
    int serving)
{
	int w;

	for (w = 0; w < d->workers; w++)
		route_post_serve(&d->worker[w], s->id, q->id, serving);
}

int
registry_add_internal(struct hsysd *d, const char *text, struct err *e)
{
	struct registration *g;
	struct url_prefix p;

	if (url_prefix_parse(text, strlen(text), &p, e) == -1) {
		e->code = EINVAL;
		return -1;
	}
	if ((g = find(d, &p)) != NULL) {
		err_set(e, "%s is registered already", g->text);
		e->code = EEXIST;
		return -1;
	}
	return insert(d, &p, NULL, e) == NULL ? -1 : 0;
}

void
registry_remove_internal(struct hsysd *d)
{
	struct registration *g, *next;
	int changed = 0;

	for (g = d->registrations; g != NULL; g = next) {
		next = g->next;
		if (g->queue == NULL) {
			unlink_registration(d, g);
			changed = 1;
		}
	}
	if (changed)
		publish(d);
}

int
registry_each(struct hsysd *d, int (*fn)(const char *,
    const struct url_prefix *, struct queue *, void *), void *arg)
{
	struct registration *g;

	for (g = d->registrations; g != NULL; g = g->next)
		if (fn(g->text, &g->prefix, g->queue, arg) == -1)
			return -1;
	return 0;
}
