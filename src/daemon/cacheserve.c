/*
 * cacheserve — the response cache on a request's way (exchange.c calls
 * it): the key a request has, a hit's RESPONSE and body for the exchange
 * to hand to the framing as an application's would be, and a cacheable
 * response filled as the application sends it. The rules and the store
 * are cache.c's; this file knows the exchange and the worker.
 *
 * A hit happens after routing (so a host or path nothing serves gets its
 * 400 or 404, and the entry must come from the route and queue that serve
 * the request now) and before the queue (no place taken, no process
 * needed).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "daemon/cache.h"
#include "daemon/cacheserve.h"
#include "daemon/exchange.h"
#include "daemon/hsysd.h"
#include "daemon/mailbox.h"
#include "daemon/snapshot.h"
#include "daemon/worker.h"
#include "http/http.h"
#include "proto/exchange.h"
#include "url/url.h"

/* The caps in force: UriMaxUriBytes, and this worker's share of
 * UriMaxCacheMegabyteCount. 0 when the cache is off. */
static size_t
limits(struct worker *w)
{
	const struct snap_limits *l = snapshot_limits(w->snapshot);
	int n = w->d != NULL && w->d->workers > 0 ? w->d->workers : 1;

	cache_limits(w->cache, l->cache_entry, l->cache_total / (size_t)n);
	return l->cache_entry == 0 || l->cache_total == 0 ? 0 :
	    l->cache_entry;
}

/* The Host's name as routing reads it: no port, no final dot. */
static void
key_host(const struct http_request *r, struct cache_key *k)
{
	const char *p = r->host;
	size_t n = r->host_len, i;

	k->host = p != NULL ? p : "";
	k->hostlen = 0;
	if (p == NULL)
		return;
	if (n > 0 && p[0] == '[') {
		for (i = 0; i < n && p[i] != ']'; i++)
			;
		n = i < n ? i + 1 : n;
	} else {
		for (i = n; i > 0; i--) {
			if (p[i - 1] == ':') {
				n = i - 1;
				break;
			}
		}
	}
	if (n > 0 && p[n - 1] == '.')
		n--;
	k->hostlen = n;
}

static void
key_of(const struct exchange *x, const struct http_cooked *ck,
    struct cache_key *k)
{
	key_host(x->head->req, k);
	k->tls = x->client->tls;
	k->port = x->client->port;
	k->path = ck->path;
	k->pathlen = ck->path_len;
	k->query = ck->query;
	k->querylen = ck->query_len;
}

int
cacheserve_find(struct exchange *x, const struct url_prefix *route,
    uint32_t queue, const struct http_cooked *ck, struct proto_frame *f,
    const void **body, size_t *blen)
{
	struct worker *w = x->w;
	const struct http_request *r = x->head->req;
	struct cache_entry *e;
	struct cache_key k;
	size_t len;
	int nm;

	/* Cheapest first: most requests meet an empty cache. */
	if (w->cache == NULL || (r->method_id != HTTP_METHOD_GET &&
	    r->method_id != HTTP_METHOD_HEAD) || x->head->upgrade ||
	    limits(w) == 0)
		return 0;
	if (w->cache->n > 0 && !cache_request_ok(r, 0)) {
		cache_miss(w->cache);
		return 0;
	}
	key_of(x, ck, &k);
	if ((e = cache_lookup(w->cache, &k, route, queue,
	    loop_now(w->loop))) == NULL)
		return 0;
	nm = cache_not_modified(e, r);
	if ((len = cache_head(w->cache, e, nm, loop_now(w->loop),
	    &f->payload)) == 0)
		return 0;
	f->length = (uint32_t)len;
	f->type = PROTO_RESPONSE;
	f->flags = 0;
	f->id = 0;
	*body = NULL;
	*blen = 0;
	if (!nm && r->method_id == HTTP_METHOD_GET)
		cache_body(e, body, blen);
	return 1;
}

void
cacheserve_begin(struct exchange *x, const struct exchange_resp *r)
{
	struct cache_field f[128];
	struct exchange_field ef;
	struct http_cooked ck;
	struct cache_key k;
	const struct http_request *req = x->head->req;
	uint32_t i;

	if (x->fill != NULL || !r->cache || r->status != 200 ||
	    r->nfields > sizeof(f) / sizeof(f[0]) || x->w->cache == NULL ||
	    x->route == NULL || x->head->upgrade || limits(x->w) == 0 ||
	    !cache_request_ok(req, 1))
		return;
	for (i = 0; i < r->nfields; i++) {
		exchange_resp_field(r, i, &ef);
		f[i] = (struct cache_field){ ef.name, ef.nlen, ef.value,
		    ef.vlen };
	}
	if (!cache_response_ok(x->w->cache, r->status, f, r->nfields))
		return;
	/* The cooked path again: the worker's scratch buffer has served
	 * other requests since this one was routed. */
	if (x->w->cook == NULL || http_path_cook(req->target, req->target_len,
	    x->w->cook, EXCHANGE_TARGET_MAX + 1, &ck) == HTTP_ERROR)
		return;
	key_of(x, &ck, &k);
	x->fill = cache_fill_begin(x->w->cache, &k, x->route, x->queue,
	    r->cache_ttl, loop_now(x->w->loop), f, r->nfields);
	if (x->fill != NULL && r->end)
		cacheserve_body(x, NULL, 0, 1);
}

void
cacheserve_body(struct exchange *x, const void *p, size_t n, int end)
{
	if (x->fill == NULL)
		return;
	if (n > 0 && cache_fill_body(x->w->cache, &x->fill, p, n) == -1)
		return;
	if (!end)
		return;
	cache_fill_end(x->w->cache, x->fill);
	x->fill = NULL;
}

void
cacheserve_abort(struct exchange *x)
{
	cache_fill_abort(x->fill);
	x->fill = NULL;
}

/* --- flushing, from the main thread ---------------------------------- */

/* One flush: each worker's mail drops its entries; the last to finish
 * posts the join back to the main thread, which answers. */
struct flush_join {
	struct mail		 mail;		/* to the main thread, last */
	atomic_int		 left;		/* workers still to flush */
	struct hsysd		*d;
	cacheserve_done_fn	 done;
	uint64_t		 cookie;
	uint32_t		 id;
};

struct flush_mail {
	struct mail		 mail;
	struct worker		*w;
	struct flush_join	*join;
	uint32_t		 queue;
	int			 whole;		/* no prefix: all the queue's */
	int			 recursive;
	struct url_prefix	 p;
};

static void
join_fn(struct mail *m)
{
	struct flush_join *j = container_of(m, struct flush_join, mail);

	j->done(j->d, j->cookie, j->id);
	free(j);
}

static void
flush_fn(struct mail *m)
{
	struct flush_mail *fm = container_of(m, struct flush_mail, mail);
	struct flush_join *j = fm->join;

	cache_flush(fm->w->cache, fm->queue, fm->whole ? NULL : &fm->p,
	    fm->recursive);
	free(fm);
	if (atomic_fetch_sub(&j->left, 1) == 1)
		mailbox_post(&j->d->mailbox, &j->mail);
}

int
cacheserve_post_flush(struct hsysd *d, uint32_t queue,
    const struct url_prefix *p, int recursive, cacheserve_done_fn done,
    uint64_t cookie, uint32_t id)
{
	struct flush_mail *fm[256];	/* hsysd runs 1 to 256 workers (main.c) */
	struct flush_join *j;
	int i, n = d->workers < 256 ? d->workers : 256;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((fm[i] = calloc(1, sizeof(*fm[i]))) != NULL)
			continue;
		while (i-- > 0)
			free(fm[i]);
		free(j);
		return -1;
	}
	j->mail.fn = join_fn;
	j->d = d;
	j->done = done;
	j->cookie = cookie;
	j->id = id;
	atomic_init(&j->left, n);
	for (i = 0; i < n; i++) {
		fm[i]->mail.fn = flush_fn;
		fm[i]->w = &d->worker[i];
		fm[i]->join = j;
		fm[i]->queue = queue;
		fm[i]->whole = p == NULL;
		fm[i]->recursive = recursive;
		if (p != NULL)
			fm[i]->p = *p;
		mailbox_post(&d->worker[i].mailbox, &fm[i]->mail);
	}
	return 0;
}
