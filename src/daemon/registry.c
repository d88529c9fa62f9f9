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
#include "daemon/quota.h"
#include "daemon/registry.h"
#include "daemon/route.h"
#include "daemon/session.h"
#include "daemon/stats.h"
#include "daemon/worker.h"

struct registration {
	struct registration	*next, **prevp;	/* d->registrations */
	struct registration	*hnext;		/* its hash chain */
	struct registration	*qnext, **qprevp;	/* its queue's */
	uint64_t		 hash;
	struct url_prefix	 prefix;
	char			 text[URL_PREFIX_MAX];
	struct queue		*queue;
	uid_t			 uid;		/* who added it */
	gid_t			 gid;
	int			 counted;	/* in uid's quota */
	struct route		*route;		/* the workers' view */
};

/* The registrations by prefix, as url_prefix_equal compares them. */
struct regindex {
	size_t			 n, nb;		/* nb: a power of 2 */
	struct registration	**b;
};

#define REGINDEX_MIN_BUCKETS	64

static uint64_t
prefix_hash(const struct url_prefix *p)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const char *c;

	h = (h ^ (uint64_t)p->https) * 0x100000001b3ull;
	h = (h ^ p->port) * 0x100000001b3ull;
	h = (h ^ (uint64_t)p->host_kind) * 0x100000001b3ull;
	for (c = p->host; *c != '\0'; c++)
		h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
	h = (h ^ '/') * 0x100000001b3ull;
	for (c = p->path; *c != '\0'; c++)	/* strcasecmp's folding */
		h = (h ^ (unsigned char)(*c >= 'A' && *c <= 'Z' ?
		    *c + ('a' - 'A') : *c)) * 0x100000001b3ull;
	return h;
}

/* Without memory to grow, chains grow longer; nothing breaks. */
static void
index_grow(struct regindex *x)
{
	size_t nb = x->nb ? 2 * x->nb : REGINDEX_MIN_BUCKETS, i;
	struct registration **b, *g, *next;

	if (x->n < x->nb || (b = calloc(nb, sizeof(*b))) == NULL)
		return;
	for (i = 0; i < x->nb; i++) {
		for (g = x->b[i]; g != NULL; g = next) {
			next = g->hnext;
			g->hnext = b[g->hash & (nb - 1)];
			b[g->hash & (nb - 1)] = g;
		}
	}
	free(x->b);
	x->b = b;
	x->nb = nb;
}

static struct registration *
find(struct hsysd *d, const struct url_prefix *p)
{
	struct regindex *x = d->regindex;
	uint64_t h = prefix_hash(p);
	struct registration *g;

	if (x == NULL || x->nb == 0)
		return NULL;
	for (g = x->b[h & (x->nb - 1)]; g != NULL; g = g->hnext)
		if (g->hash == h && url_prefix_equal(&g->prefix, p))
			return g;
	return NULL;
}

static void
queue_link(struct registration *g, struct queue *q)
{
	g->queue = q;
	if (q == NULL)
		return;
	if ((g->qnext = q->prefixes) != NULL)
		g->qnext->qprevp = &g->qnext;
	q->prefixes = g;
	g->qprevp = &q->prefixes;
	q->nprefixes++;
}

static void
queue_unlink(struct registration *g)
{
	if (g->queue == NULL)
		return;
	if ((*g->qprevp = g->qnext) != NULL)
		g->qnext->qprevp = g->qprevp;
	g->queue->nprefixes--;
	g->queue = NULL;
}

static struct route *
new_route(struct hsysd *d, const struct url_prefix *p, struct queue *q)
{
	return route_new(d, p, q != NULL ? q->id : REGISTRY_INTERNAL,
	    q != NULL ? q->stats : NULL, q != NULL ? q->gate : NULL);
}

/* A prefix of an anonymous queue in its grace period goes to a queue of
 * a process of the same owner that adds it: the application restarted.
 * Requests waiting for the old queue are to be routed again, to the new
 * one: 1 with *from that queue. -1: out of memory (e->code ENOMEM). */
static int
take_over(struct hsysd *d, struct session *s, struct queue *q,
    struct registration *g, struct queue **from, struct err *e)
{
	struct queue *old = g->queue;
	struct route *r;

	/* (NULL: the daemon's metrics page, never taken over) */
	if (old == NULL || old == q || old->sessions > 0 ||
	    old->name[0] != '\0' || old->owner != s->uid)
		return 0;
	if ((r = new_route(d, &g->prefix, q)) == NULL) {
		err_set(e, "out of memory");
		e->code = ENOMEM;
		return -1;
	}
	/* The new route first: workers find it before the old one goes. */
	route_post_add(d, r);
	route_post_remove(d, g->route);
	g->route = r;
	queue_unlink(g);
	queue_link(g, q);
	log_info("session %llu took %s over from queue %u, in its grace "
	    "period, to queue %u", (unsigned long long)s->id, g->text,
	    old->id, q->id);
	*from = old;
	return 1;
}

/* A new registration of p for q (NULL: the daemon's own page), once its
 * port serves p's scheme; the workers get its route. */
static struct registration *
insert(struct hsysd *d, const struct url_prefix *p, struct queue *q,
    struct err *e)
{
	struct regindex *x = d->regindex;
	struct registration *g;

	if (x == NULL && (x = d->regindex = calloc(1, sizeof(*x))) == NULL)
		goto nomem;
	if (listener_want(d, p->port, p->https, e) == -1)
		return NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->route = new_route(d, p, q)) == NULL) {
		free(g);
		listener_unwant(d, p->port);
		goto nomem;
	}
	g->prefix = *p;
	g->hash = prefix_hash(p);
	url_prefix_format(p, g->text, sizeof(g->text));
	index_grow(x);
	if (x->nb == 0) {
		route_discard(g->route);
		free(g);
		listener_unwant(d, p->port);
		goto nomem;
	}
	g->hnext = x->b[g->hash & (x->nb - 1)];
	x->b[g->hash & (x->nb - 1)] = g;
	x->n++;
	if ((g->next = d->registrations) != NULL)
		g->next->prevp = &g->next;
	d->registrations = g;
	g->prevp = &d->registrations;
	queue_link(g, q);
	route_post_add(d, g->route);
	return g;
nomem:
	err_set(e, "out of memory");
	e->code = ENOMEM;
	return NULL;
}

int
registry_add(struct hsysd *d, struct session *s, struct queue *q,
    const char *text, size_t len, struct queue **from, struct err *e)
{
	struct registration *g;
	struct url_prefix p;
	int rc;

	if (url_prefix_parse(text, len, &p, e) == -1) {
		e->code = EINVAL;
		return -1;
	}
	if (acl_may_listen_cached(d, s->uid, s->gid, &p, e) == -1)
		return -1;
	*from = NULL;
	if ((g = find(d, &p)) != NULL && (rc = take_over(d, s, q, g, from, e)) !=
	    0)
		return rc == 1 ? 0 : -1;
	if (g != NULL) {
		err_set(e, "%s is registered already%s", g->text,
		    g->queue == q ? " on this queue" : g->queue == NULL ?
		    " for hsysd's metrics page" : " by another queue");
		e->code = EEXIST;
		return -1;
	}
	if (quota_take(d, s->uid, QUOTA_PREFIXES, e) == -1)
		return -1;
	if ((g = insert(d, &p, q, e)) == NULL) {
		quota_give(d, s->uid, QUOTA_PREFIXES);
		return -1;
	}
	g->uid = s->uid;
	g->gid = s->gid;
	g->counted = 1;
	log_info("session %llu registered %s on queue %u",
	    (unsigned long long)s->id, g->text, q->id);
	/* HTTP.sys's rule, said where it surprises nginx's users. */
	if (p.host_kind == URL_HOST_IP && listener_every_address())
		log_info("%s: port %u listens on every address, not only %s, "
		    "while the iplisten list is empty ('hsys http add iplisten "
		    "ipaddress=%s' keeps it to that address)", g->text, p.port,
		    p.host, p.host);
	return 0;
}

/*
 * HTTP.sys checks a reservation when a prefix is registered, not after:
 * deleting the reservation leaves the registration serving until its
 * application removes it or ends. So does hsysd, and servicestate says
 * which registrations no reservation covers any more.
 */
int
registry_reserved(struct hsysd *d, const struct url_prefix *p)
{
	struct registration *g = find(d, p);
	struct err e;

	if (g == NULL || g->queue == NULL || g->uid == 0)
		return 1;	/* the daemon's own, or root's */
	if (acl_may_listen_cached(d, g->uid, g->gid, p, &e) == 0)
		return 1;
	return e.code == EACCES ? 0 : -1;
}

static void
unlink_registration(struct hsysd *d, struct registration *g)
{
	struct regindex *x = d->regindex;
	struct registration **pp;

	for (pp = &x->b[g->hash & (x->nb - 1)]; *pp != NULL;
	    pp = &(*pp)->hnext) {
		if (*pp == g) {
			*pp = g->hnext;
			break;
		}
	}
	x->n--;
	if ((*g->prevp = g->next) != NULL)
		g->next->prevp = g->prevp;
	queue_unlink(g);
	route_post_remove(d, g->route);
	listener_unwant(d, g->prefix.port);
	if (g->counted)
		quota_give(d, g->uid, QUOTA_PREFIXES);
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
	return 0;
}

void
registry_drop_queue(struct hsysd *d, struct queue *q)
{
	while (q->prefixes != NULL)
		unlink_registration(d, q->prefixes);
}

size_t
registry_count(struct hsysd *d, const struct queue *q)
{
	(void)d;
	return q->nprefixes;
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

	for (g = d->registrations; g != NULL; g = next) {
		next = g->next;
		if (g->queue == NULL)
			unlink_registration(d, g);
	}
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

void
registry_free(struct hsysd *d)
{
	while (d->registrations != NULL)
		unlink_registration(d, d->registrations);
	if (d->regindex != NULL)
		free(d->regindex->b);
	free(d->regindex);
	d->regindex = NULL;
}
