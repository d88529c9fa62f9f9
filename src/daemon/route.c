/*
 * route — a worker's routing state. See route.h.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/util.h"
#include "daemon/cache.h"
#include "daemon/channel.h"
#include "daemon/hsysd.h"
#include "daemon/log.h"
#include "daemon/qgate.h"
#include "daemon/registry.h"
#include "daemon/route.h"
#include "daemon/shared.h"
#include "daemon/stats.h"
#include "daemon/waitlist.h"
#include "daemon/worker.h"
#include "url/url.h"

/* The channels of one queue, on this worker, and the requests waiting
 * for one (allocated on the first; wqueues move when their array grows). */
struct wqueue {
	uint32_t	  id;
	size_t		  n, cap, next;
	struct channel	**chans;
	struct waitlist	 *wl;
};

struct serve_mail {
	struct mail	 mail;
	struct worker	*w;
	uint64_t	 session;
	uint32_t	 queue;
	int		 serving;
};

struct wake_mail {
	struct mail	 mail;
	struct worker	*w;
	uint32_t	 queue;
	int		 expire;
};

/* Where a route sits in one worker's table, and its two mails to it. */
struct rslot {
	struct rnode {
		struct rnode	 *next, **prevp;
	}		 bypath, byhost;
	struct mail	 add, remove;
	struct worker	*w;
	struct route	*r;
};

struct route {
	struct url_prefix	 prefix;
	uint32_t		 queue;
	struct queue_stats	*stats;
	struct qgate		*gate;
	char			*text;		/* url_prefix_format's */
	size_t			 textlen;
	struct shared		 ref;		/* workers holding it */
	uint64_t		 hhash, phash;	/* of key[0..hostlen), key */
	size_t			 hostlen, keylen;
	unsigned char		 key[4 + URL_HOST_MAX + 1 + URL_PATH_MAX];
	int			 nslots;
	struct rslot		 slot[];	/* one per worker */
};

/* A worker's table: two hashes over the routes it holds, chained. */
struct rtable {
	size_t		 n, nb;		/* routes, buckets (a power of 2) */
	struct rnode	**bypath, **byhost;
};

#define RTABLE_MIN_BUCKETS	64
#define FNV_OFFSET		0xcbf29ce484222325ull
#define FNV_PRIME		0x100000001b3ull

static uint64_t
fnv(uint64_t h, const unsigned char *p, size_t n)
{
	while (n-- > 0)
		h = (h ^ *p++) * FNV_PRIME;
	return h;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* The host key: https, port, class, then the lowercased name or the
 * address as IPv6 (IPv4 mapped, as dual-stack sockets report it). */
static size_t
host_key(unsigned char *k, int https, uint16_t port, enum url_host kind,
    const char *host, size_t hostlen, int family, const unsigned char *addr)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };
	size_t n = 4, i;

	k[0] = (unsigned char)https;
	k[1] = (unsigned char)(port >> 8);
	k[2] = (unsigned char)port;
	k[3] = (unsigned char)kind;
	if (kind == URL_HOST_NAME) {
		for (i = 0; i < hostlen; i++)
			k[n++] = (unsigned char)lower((unsigned char)host[i]);
	} else if (kind == URL_HOST_IP) {
		if (family == AF_INET) {
			memcpy(k + n, mapped, 12);
			memcpy(k + n + 12, addr, 4);
		} else {
			memcpy(k + n, addr, 16);
		}
		n += 16;
	}
	k[n++] = 0;
	return n;
}

/* The prefix's path as matching compares it (url_path_casecmp): byte for
 * byte, ASCII case folded. Requests are cooked to the form prefixes are
 * kept in (url.h), so no decoding: the router sees the bytes coverage and
 * registration compared. */
static size_t
path_key(unsigned char *k, const char *pp)
{
	size_t n = 0;

	while (*pp != '\0')
		k[n++] = (unsigned char)lower((unsigned char)*pp++);
	return n;
}

/* The last worker holding it let it go. */
static void
route_free_shared(struct shared *s)
{
	route_discard(container_of(s, struct route, ref));
}

struct route *
route_new(struct hsysd *d, const struct url_prefix *p, uint32_t queue,
    struct queue_stats *stats, struct qgate *gate)
{
	struct route *r;
	char text[URL_PREFIX_MAX];
	int i, n;

	/* The prefix's text goes with each REQUEST: formatted once here, not
	 * once a request (some 260 instructions, bench/callgrind). */
	if ((n = url_prefix_format(p, text, sizeof(text))) < 0)
		n = 0;
	r = calloc(1, sizeof(*r) + (size_t)d->workers * sizeof(r->slot[0]));
	if (r == NULL || (r->text = malloc((size_t)n + 1)) == NULL) {
		free(r);
		return NULL;
	}
	memcpy(r->text, text, (size_t)n);
	r->text[n] = '\0';
	r->textlen = (size_t)n;
	r->prefix = *p;
	r->queue = queue;
	if ((r->stats = stats) != NULL)
		qstats_ref(stats);
	if ((r->gate = gate) != NULL)
		qgate_hold(gate);
	r->hostlen = host_key(r->key, p->https, p->port, p->host_kind, p->host,
	    strlen(p->host), p->family, p->addr);
	r->keylen = r->hostlen + path_key(r->key + r->hostlen, p->path);
	r->hhash = fnv(FNV_OFFSET, r->key, r->hostlen);
	r->phash = fnv(r->hhash, r->key + r->hostlen, r->keylen - r->hostlen);
	r->nslots = d->workers;
	shared_init(&r->ref, d->workers, route_free_shared);
	for (i = 0; i < d->workers; i++) {
		r->slot[i].w = &d->worker[i];
		r->slot[i].r = r;
	}
	return r;
}

void
route_discard(struct route *r)
{
	if (r == NULL)
		return;
	qstats_unref(r->stats);
	qgate_release(r->gate);
	free(r->text);
	free(r);
}


static void
node_link(struct rnode **b, struct rnode *n)
{
	if ((n->next = *b) != NULL)
		n->next->prevp = &n->next;
	*b = n;
	n->prevp = b;
}

static void
node_unlink(struct rnode *n)
{
	if ((*n->prevp = n->next) != NULL)
		n->next->prevp = n->prevp;
}

static struct rslot *
slot_of_path(struct rnode *n)
{
	return container_of(n, struct rslot, bypath);
}

static struct rslot *
slot_of_host(struct rnode *n)
{
	return container_of(n, struct rslot, byhost);
}

/* Doubles the buckets when the routes outnumber them; without memory the
 * chains grow longer, nothing breaks. */
static void
rtable_grow(struct rtable *t)
{
	size_t nb = t->nb ? 2 * t->nb : RTABLE_MIN_BUCKETS, i;
	struct rnode **bp, **bh, *n, *next;
	struct rslot *sl;

	if (t->n < t->nb)
		return;
	bp = calloc(nb, sizeof(*bp));
	bh = calloc(nb, sizeof(*bh));
	if (bp == NULL || bh == NULL) {
		free(bp);
		free(bh);
		return;
	}
	for (i = 0; i < t->nb; i++) {
		for (n = t->bypath[i]; n != NULL; n = next) {
			next = n->next;
			sl = slot_of_path(n);
			node_link(&bp[sl->r->phash & (nb - 1)], n);
		}
		for (n = t->byhost[i]; n != NULL; n = next) {
			next = n->next;
			sl = slot_of_host(n);
			node_link(&bh[sl->r->hhash & (nb - 1)], n);
		}
	}
	free(t->bypath);
	free(t->byhost);
	t->bypath = bp;
	t->byhost = bh;
	t->nb = nb;
}

static void
add_fn(struct mail *m)
{
	struct rslot *sl = container_of(m, struct rslot, add);
	struct worker *w = sl->w;
	struct rtable *t = w->rtable;

	if (t == NULL && (t = w->rtable = calloc(1, sizeof(*t))) == NULL)
		goto fail;
	rtable_grow(t);
	if (t->nb == 0)
		goto fail;
	/* At the head: a route taken over is found before the one it
	 * replaces, whose remove mail follows. */
	node_link(&t->bypath[sl->r->phash & (t->nb - 1)], &sl->bypath);
	node_link(&t->byhost[sl->r->hhash & (t->nb - 1)], &sl->byhost);
	t->n++;
	return;
fail:
	log_err("worker %d: out of memory: a prefix on port %u (path %s) is "
	    "not routed here", w->index, sl->r->prefix.port,
	    sl->r->prefix.path);
	sl->bypath.prevp = NULL;	/* the remove mail finds it unlinked */
}

static void
remove_fn(struct mail *m)
{
	struct rslot *sl = container_of(m, struct rslot, remove);

	if (sl->bypath.prevp != NULL) {
		node_unlink(&sl->bypath);
		node_unlink(&sl->byhost);
		sl->w->rtable->n--;
	}
	/* Its responses go with it (unregistered, or its queue ended). */
	cache_forget_route(sl->w->cache, &sl->r->prefix);
	shared_release(&sl->r->ref);
}

void
route_adopt(struct worker *w, struct route *r)
{
	r->slot[w->index].add.fn = add_fn;
	add_fn(&r->slot[w->index].add);
}

void
route_post_add(struct hsysd *d, struct route *r)
{
	int i;

	for (i = 0; i < d->workers; i++) {
		r->slot[i].add.fn = add_fn;
		mailbox_post(&d->worker[i].mailbox, &r->slot[i].add);
	}
}

void
route_post_remove(struct hsysd *d, struct route *r)
{
	int i;

	for (i = 0; i < d->workers; i++) {
		r->slot[i].remove.fn = remove_fn;
		mailbox_post(&d->worker[i].mailbox, &r->slot[i].remove);
	}
}

static struct wqueue *
wqueue_get(struct worker *w, uint32_t id, int create)
{
	struct wqueue *q;
	size_t i;

	for (i = 0; i < w->nwqueues; i++)
		if (w->wqueues[i].id == id)
			return &w->wqueues[i];
	if (!create)
		return NULL;
	if (w->nwqueues == w->capwqueues) {
		size_t cap = w->capwqueues ? 2 * w->capwqueues : 8;
		struct wqueue *n = realloc(w->wqueues, cap * sizeof(*n));

		if (n == NULL)
			return NULL;
		w->wqueues = n;
		w->capwqueues = cap;
	}
	q = &w->wqueues[w->nwqueues++];
	memset(q, 0, sizeof(*q));
	q->id = id;
	return q;
}

static void
wqueue_remove(struct wqueue *q, struct channel *c)
{
	size_t i;

	for (i = 0; i < q->n; i++) {
		if (q->chans[i] == c) {
			q->chans[i] = q->chans[--q->n];
			return;
		}
	}
}

static void
serve_fn(struct mail *m)
{
	struct serve_mail *sm = container_of(m, struct serve_mail, mail);
	struct channel *c = channel_of_session(sm->w, sm->session);
	struct wqueue *q = wqueue_get(sm->w, sm->queue, sm->serving);
	struct channel **n;

	if (c == NULL || q == NULL) {
		log_debug("worker %d: serve %u for session %llu: %s",
		    sm->w->index, sm->queue, (unsigned long long)sm->session,
		    c == NULL ? "no channel yet" : "out of memory");
		goto out;
	}
	wqueue_remove(q, c);
	if (!sm->serving)
		goto out;
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 4;
		if ((n = realloc(q->chans, q->cap * sizeof(*n))) == NULL)
			goto out;
		q->chans = n;
	}
	q->chans[q->n++] = c;
	/* Wanted: the requests that waited for it. */
	if (q->wl != NULL)
		waitlist_end_all(q->wl, WAIT_GO);
out:
	free(sm);
}

void
route_post_serve(struct worker *w, uint64_t session, uint32_t queue,
    int serving)
{
	struct serve_mail *sm;

	if ((sm = calloc(1, sizeof(*sm))) == NULL)
		return;		/* requests find no channel: 503 */
	sm->mail.fn = serve_fn;
	sm->w = w;
	sm->session = session;
	sm->queue = queue;
	sm->serving = serving;
	mailbox_post(&w->mailbox, &sm->mail);
}

static void
wake_fn(struct mail *m)
{
	struct wake_mail *wm = container_of(m, struct wake_mail, mail);
	struct wqueue *q = wqueue_get(wm->w, wm->queue, 0);

	if (q != NULL && q->wl != NULL)
		waitlist_end_all(q->wl, wm->expire ? WAIT_EXPIRED : WAIT_GO);
	free(wm);
}

void
route_post_wake(struct worker *w, uint32_t queue, int expire)
{
	struct wake_mail *wm;

	/* Without it the waiters still leave by their own deadline. */
	if ((wm = calloc(1, sizeof(*wm))) == NULL)
		return;
	wm->mail.fn = wake_fn;
	wm->w = w;
	wm->queue = queue;
	wm->expire = expire;
	mailbox_post(&w->mailbox, &wm->mail);
}

/* Is a route with this host key in the table? */
static int
host_known(const struct rtable *t, const unsigned char *k, size_t n,
    uint64_t h)
{
	struct rnode *nd;
	struct route *r;

	for (nd = t->byhost[h & (t->nb - 1)]; nd != NULL; nd = nd->next) {
		r = slot_of_host(nd)->r;
		if (r->hhash == h && r->hostlen == n &&
		    memcmp(r->key, k, n) == 0)
			return 1;
	}
	return 0;
}

/* The route whose key is k[0..n) (hash h) that takes the request. */
static struct route *
probe(const struct rtable *t, const unsigned char *k, size_t n, uint64_t h,
    const struct url_request *req)
{
	struct rnode *nd;
	struct route *r;

	for (nd = t->bypath[h & (t->nb - 1)]; nd != NULL; nd = nd->next) {
		r = slot_of_path(nd)->r;
		if (r->phash == h && r->keylen == n &&
		    memcmp(r->key, k, n) == 0 &&
		    url_prefix_matches(&r->prefix, req))
			return r;
	}
	return NULL;
}

/*
 * The longest route of one host key taking the request: a probe at each
 * '/' of the path (the prefix paths that can match it end there), and one
 * for the path with a '/' added (HTTP.sys hands "/app" to "/app/").
 * Prefix paths are at most URL_PATH_MAX bytes: the rest of a longer
 * request path cannot change the answer.
 */
static struct route *
longest(const struct rtable *t, unsigned char *k, size_t hn,
    const struct url_request *req, int *known)
{
	uint64_t h = fnv(FNV_OFFSET, k, hn);
	struct route *best = NULL, *r;
	size_t i, n = req->pathlen;

	if (!host_known(t, k, hn, h))
		return NULL;
	*known = 1;
	if (n > URL_PATH_MAX)
		n = URL_PATH_MAX;
	for (i = 0; i < n; i++) {
		k[hn + i] = (unsigned char)lower((unsigned char)req->path[i]);
		h = (h ^ k[hn + i]) * FNV_PRIME;
		if (k[hn + i] == '/' && (r = probe(t, k, hn + i + 1, h,
		    req)) != NULL)
			best = r;
	}
	if (n == req->pathlen && (n == 0 || req->path[n - 1] != '/') &&
	    n < URL_PATH_MAX) {
		k[hn + n] = '/';
		h = (h ^ '/') * FNV_PRIME;
		if ((r = probe(t, k, hn + n + 1, h, req)) != NULL)
			best = r;
	}
	return best;
}

int
route_find(struct worker *w, const struct url_request *req,
    const struct url_prefix **prefix, uint32_t *queue, int *status)
{
	static const enum url_host order[] = { URL_HOST_STRONG,
	    URL_HOST_NAME, URL_HOST_IP, URL_HOST_WEAK };
	unsigned char k[4 + URL_HOST_MAX + 1 + URL_PATH_MAX + 1];
	const struct rtable *t = w->rtable;
	size_t hn, hostlen = req->hostlen, i;
	struct route *r;
	int known = 0;

	*status = 400;
	if (t == NULL || t->n == 0)
		return -1;
	if (hostlen > 0 && req->host[hostlen - 1] == '.')
		hostlen--;	/* "example.test." is example.test */
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if ((order[i] == URL_HOST_NAME && (req->host == NULL ||
		    hostlen >= URL_HOST_MAX)) || (order[i] == URL_HOST_IP &&
		    (req->local_addr == NULL || (req->local_family != AF_INET &&
		    req->local_family != AF_INET6))))
			continue;
		hn = host_key(k, req->https, req->port, order[i], req->host,
		    hostlen, req->local_family, req->local_addr);
		if ((r = longest(t, k, hn, req, &known)) != NULL) {
			*queue = r->queue;
			*prefix = &r->prefix;
			return 0;
		}
	}
	/* The host is known on this port, whatever the path: 404. */
	if (known)
		*status = 404;
	return -1;
}

struct queue_stats *
route_stats(struct worker *w, const struct url_prefix *prefix)
{
	(void)w;
	return container_of(prefix, struct route, prefix)->stats;
}

const char *
route_prefix_text(struct worker *w, const struct url_prefix *prefix,
    size_t *len)
{
	const struct route *r = container_of(prefix, struct route, prefix);

	(void)w;
	*len = r->textlen;
	return r->text;
}

struct channel *
route_channel(struct worker *w, uint32_t queue)
{
	struct wqueue *q = wqueue_get(w, queue, 0);
	struct channel *c;
	size_t i;

	if (q == NULL || q->n == 0)
		return NULL;
	/* Round robin over the channels that read what they are given; if
	 * none does, the next one (it is cut off if it grows too far). */
	for (i = 0; i < q->n; i++) {
		c = q->chans[q->next++ % q->n];
		if (!channel_congested(c))
			return c;
	}
	return q->chans[q->next++ % q->n];
}

struct qgate *
route_gate(struct worker *w, const struct url_prefix *p)
{
	(void)w;
	return container_of(p, struct route, prefix)->gate;
}

int
route_wait(struct worker *w, uint32_t queue, struct waiter *wt,
    uint64_t until)
{
	struct wqueue *q = wqueue_get(w, queue, 1);

	if (q == NULL || (q->wl == NULL &&
	    (q->wl = waitlist_new(w->loop)) == NULL))
		return -1;
	waitlist_add(q->wl, wt, until);
	return 0;
}

int
route_each(struct worker *w, int (*fn)(const struct url_prefix *,
    uint32_t, struct queue_stats *, struct qgate *, void *), void *arg)
{
	const struct rtable *t = w->rtable;
	struct rnode *nd;
	struct route *r;
	size_t i;
	int rc;

	for (i = 0; t != NULL && i < t->nb; i++) {
		for (nd = t->bypath[i]; nd != NULL; nd = nd->next) {
			r = slot_of_path(nd)->r;
			if ((rc = fn(&r->prefix, r->queue, r->stats, r->gate,
			    arg)) != 0)
				return rc;
		}
	}
	return 0;
}

void
route_forget_channel(struct worker *w, struct channel *c)
{
	size_t i;

	for (i = 0; i < w->nwqueues; i++)
		wqueue_remove(&w->wqueues[i], c);
}

/* The routes this worker still holds: the main thread's remove mails
 * will not come any more (hsysd is stopping). */
static void
route_table_free(struct worker *w)
{
	struct rtable *t = w->rtable;
	struct rnode *nd, *next;
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nb; i++) {
		for (nd = t->bypath[i]; nd != NULL; nd = next) {
			next = nd->next;
			shared_release(&slot_of_path(nd)->r->ref);
		}
	}
	free(t->bypath);
	free(t->byhost);
	free(t);
	w->rtable = NULL;
}

void
route_free(struct worker *w)
{
	size_t i;

	for (i = 0; i < w->nwqueues; i++) {
		free(w->wqueues[i].chans);
		waitlist_free(w->wqueues[i].wl);
	}
	free(w->wqueues);
	w->wqueues = NULL;
	w->nwqueues = w->capwqueues = 0;
	route_table_free(w);
}
