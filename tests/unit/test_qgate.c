/*
 * Unit tests of a queue's admission counters (qgate) and of the lists of
 * requests waiting for a process (waitlist): the length bound, counting
 * across threads, references, how long a request may wait, and the
 * waitlist's order, removal, put-back and deadlines on a real loop.
 */
#include <pthread.h>
#include <stdlib.h>

#include "common/err.h"
#include "common/util.h"
#include "daemon/loop.h"
#include "daemon/qgate.h"
#include "daemon/waitlist.h"
#include "unit.h"

static void
test_length(void)
{
	struct qgate *g = qgate_new(7, 3, 5000);
	int i;

	CHECK(g != NULL && g->queue == 7);
	for (i = 0; i < 3; i++)
		CHECK(qgate_enter(g) == 0);
	CHECK(qgate_enter(g) == -1);		/* the fourth: full */
	CHECK(atomic_load(&g->waiting) == 3);
	CHECK(atomic_load(&g->refs) == 4);	/* the owner's, three */
	qgate_leave(g);
	CHECK(qgate_enter(g) == 0);		/* a place freed */
	atomic_store(&g->length, 1);		/* lowered below the count */
	CHECK(qgate_enter(g) == -1);
	for (i = 0; i < 3; i++)
		qgate_leave(g);
	CHECK(atomic_load(&g->waiting) == 0 && atomic_load(&g->refs) == 1);
	CHECK(qgate_enter(g) == 0);
	qgate_release(g);		/* the owner goes first: still alive */
	CHECK(atomic_load(&g->refs) == 1);
	qgate_leave(g);			/* freed here (ASan would see a leak) */
	qgate_release(NULL);
}

#define THREADS	4
#define ROUNDS	20000

static void *
churn(void *arg)
{
	struct qgate *g = arg;
	long in = 0;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		if (qgate_enter(g) == 0) {
			in++;
			if (atomic_load(&g->waiting) > 10)
				abort();	/* never beyond the bound */
			qgate_leave(g);
		}
	}
	return (void *)in;
}

static void
test_threads(void)
{
	struct qgate *g = qgate_new(1, 10, 0);
	pthread_t t[THREADS];
	long total = 0;
	void *r;
	int i;

	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, churn, g);
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], &r);
		total += (long)r;
	}
	CHECK(total > 0);
	CHECK(atomic_load(&g->waiting) == 0 && atomic_load(&g->refs) == 1);
	qgate_release(g);
}

static void
test_wait_until(void)
{
	struct qgate *g = qgate_new(1, 10, 5000);

	/* Held by a process: at most the grace period from now. */
	CHECK(qgate_wait_until(g, 1000) == 6000);
	/* Lingering: until the grace period ends, then not at all. */
	atomic_store(&g->linger_until, 3000);
	CHECK(qgate_wait_until(g, 1000) == 3000);
	CHECK(qgate_wait_until(g, 3000) == 0);
	CHECK(qgate_wait_until(g, 9000) == 0);
	/* Grace 0: never. */
	atomic_store(&g->grace_ms, 0);
	atomic_store(&g->linger_until, 0);
	CHECK(qgate_wait_until(g, 1000) == 0);
	qgate_release(g);
}

struct req {
	struct waiter	 w;
	int		 id;
	int		 put_back;	/* re-added by its fn, once */
	struct waitlist	*wl;
};

static int ends[16], hows[16], nends;

static void
req_fn(struct waiter *w, enum wait_end how)
{
	struct req *r = container_of(w, struct req, w);

	ends[nends] = r->id;
	hows[nends++] = how;
	if (r->put_back) {
		r->put_back = 0;
		waitlist_add(r->wl, &r->w, r->w.until);
	}
}

static void
test_waitlist(void)
{
	struct req r[4] = {
		{ .w.fn = req_fn, .id = 1 }, { .w.fn = req_fn, .id = 2 },
		{ .w.fn = req_fn, .id = 3 }, { .w.fn = req_fn, .id = 4 },
	};
	struct waitlist *wl;
	struct loop *l;
	struct err e;
	uint64_t now;
	int i;

	if (!CHECK(loop_new(&l, &e) == 0))
		return;
	wl = waitlist_new(l);
	now = loop_now(l);
	for (i = 0; i < 4; i++) {
		r[i].wl = wl;
		waitlist_add(wl, &r[i].w, now + 60000);
	}
	CHECK(wl->n == 4 && wl->timer.deadline != 0);
	waitlist_remove(&r[1].w);		/* a client that left */
	waitlist_remove(&r[1].w);		/* twice: harmless */
	CHECK(wl->n == 3 && r[1].w.wl == NULL);
	r[0].put_back = 1;	/* routed again, still no process */
	nends = 0;
	waitlist_end_all(wl, WAIT_GO);
	CHECK(nends == 3 && ends[0] == 1 && ends[1] == 3 && ends[2] == 4);
	CHECK(hows[0] == WAIT_GO && hows[2] == WAIT_GO);
	CHECK(wl->n == 1 && wl->head == &r[0].w);	/* put back, once */
	waitlist_remove(&r[0].w);
	CHECK(wl->n == 0 && wl->timer.deadline == 0);	/* empty: no timer */

	/* Deadlines: the earlier expires first; the later stays. */
	nends = 0;
	now = loop_now(l);
	waitlist_add(wl, &r[2].w, now + 400);
	waitlist_add(wl, &r[3].w, now + 40);
	for (i = 0; i < 100 && nends == 0; i++)
		loop_once(l, 50, &e);
	CHECK(nends == 1 && ends[0] == 4 && hows[0] == WAIT_EXPIRED);
	CHECK(loop_now(l) - now >= 40);
	CHECK(wl->n == 1 && wl->timer.deadline != 0);
	for (i = 0; i < 100 && nends == 1; i++)
		loop_once(l, 50, &e);
	CHECK(nends == 2 && ends[1] == 3 && loop_now(l) - now >= 400);
	CHECK(wl->n == 0);

	/* Freed with waiters: they leave without a call. */
	waitlist_add(wl, &r[0].w, now + 60000);
	nends = 0;
	waitlist_free(wl);
	CHECK(nends == 0 && r[0].w.wl == NULL);
	loop_free(l);
}

int
main(void)
{
	RUN(test_length);
	RUN(test_threads);
	RUN(test_wait_until);
	RUN(test_waitlist);
	return unit_done();
}
