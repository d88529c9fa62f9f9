/*
 * route — a worker's routing state. See route.h.
 */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "daemon/channel.h"
#include "daemon/log.h"
#include "daemon/registry.h"
#include "daemon/route.h"
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

struct table_mail {
	struct mail	 mail;
	struct worker	*w;
	struct routes	*routes;
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

static void
table_fn(struct mail *m)
{
	struct table_mail *tm = container_of(m, struct table_mail, mail);

	routes_release(tm->w->routes);
	tm->w->routes = tm->routes;
	free(tm);
}

void
route_post_table(struct worker *w, struct routes *r)
{
	struct table_mail *tm;

	if ((tm = calloc(1, sizeof(*tm))) == NULL) {
		routes_release(r);	/* this worker keeps its old table */
		return;
	}
	tm->mail.fn = table_fn;
	tm->w = w;
	tm->routes = r;
	mailbox_post(&w->mailbox, &tm->mail);
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

int
route_find(struct worker *w, const struct url_request *req,
    const struct url_prefix **prefix, uint32_t *queue, int *status)
{
	const struct routes *r = w->routes;
	struct url_request any;
	long best;
	size_t i;

	if (r == NULL || r->n == 0) {
		*status = 400;
		return -1;
	}
	best = url_prefix_best(r->prefixes, r->n, req);
	if (best >= 0) {
		*queue = r->queues[best];
		*prefix = &r->prefixes[best];
		return 0;
	}
	/* Is the host known on this port, whatever the path? */
	for (i = 0; i < r->n; i++) {
		any = *req;
		any.path = r->prefixes[i].path;
		any.pathlen = strlen(r->prefixes[i].path);
		if (url_prefix_matches(&r->prefixes[i], &any)) {
			*status = 404;
			return -1;
		}
	}
	*status = 400;
	return -1;
}

struct queue_stats *
route_stats(struct worker *w, const struct url_prefix *prefix)
{
	const struct routes *r = w->routes;

	return r->stats[prefix - r->prefixes];
}

struct channel *
route_channel(struct worker *w, uint32_t queue)
{
	struct wqueue *q = wqueue_get(w, queue, 0);

	if (q == NULL || q->n == 0)
		return NULL;
	return q->chans[q->next++ % q->n];
}

struct qgate *
route_gate(struct worker *w, const struct url_prefix *p)
{
	return w->routes->gates[p - w->routes->prefixes];
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

void
route_forget_channel(struct worker *w, struct channel *c)
{
	size_t i;

	for (i = 0; i < w->nwqueues; i++)
		wqueue_remove(&w->wqueues[i], c);
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
	routes_release(w->routes);
	w->routes = NULL;
}
