/*
 * test_waitlist — the requests a worker holds for a queue with no process
 * there (daemon/waitlist.c), through waitlist.h on a real loop: first come
 * first served, each waiter called once and only when it leaves other
 * than by waitlist_remove, a waiter put back by its fn not called again
 * by the same end_all, deadlines in any order expiring alone and in
 * order, one timer for the earliest deadline and none for an empty list,
 * and a long list.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/util.h"
#include "daemon/loop.h"
#include "daemon/waitlist.h"
#include "unit.h"

/* A waiter and what happened to it; calls are numbered across waiters. */
struct req {
	struct waiter	 w;
	int		 id;
	int		 calls;
	enum wait_end	 how;
	int		 seq;		/* order of its (last) call */
	struct waitlist	*back;		/* its fn puts it back there, once */
	uint64_t	 back_until;
};

#define NORDER	64
static int nseq;
static int order[NORDER], norder;

static void
on_end(struct waiter *wt, enum wait_end how)
{
	struct req *r = container_of(wt, struct req, w);
	struct waitlist *back = r->back;

	r->calls++;
	r->how = how;
	r->seq = ++nseq;
	if (norder < NORDER)
		order[norder++] = r->id;
	if (back != NULL) {
		r->back = NULL;
		waitlist_add(back, &r->w, r->back_until);
	}
}

static void
reset(struct req *r, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].id = i;
		r[i].w.fn = on_end;
	}
	nseq = norder = 0;
}

/* Runs the loop until `calls` more calls were made or `ms` passed. */
static void
run_until(struct loop *l, int calls, uint64_t ms)
{
	struct err e;
	uint64_t end = loop_update_time(l) + ms;
	int want = nseq + calls;

	while (nseq < want && loop_update_time(l) < end)
		loop_once(l, 20, &e);
}

static int
in_order(const int *want, int n)
{
	int i;

	if (norder != n)
		return 0;
	for (i = 0; i < n; i++)
		if (order[i] != want[i])
			return 0;
	return 1;
}

static void
test_fifo_go(void)
{
	static const int want[] = { 0, 1, 2, 3, 4 };
	struct req r[5];
	struct loop *l;
	struct waitlist *wl;
	struct err e;
	uint64_t far;
	int i;

	CHECK(loop_new(&l, &e) == 0);
	CHECK((wl = waitlist_new(l)) != NULL);
	CHECK(wl->n == 0 && wl->head == NULL && wl->timer.slot == 0);
	waitlist_end_all(wl, WAIT_GO);	/* an empty list: nothing, no timer */
	CHECK(wl->n == 0 && wl->timer.slot == 0);
	reset(r, 5);
	far = loop_now(l) + 60000;
	for (i = 0; i < 5; i++)
		waitlist_add(wl, &r[i].w, far);
	CHECK(wl->n == 5 && r[0].w.wl == wl && r[4].w.wl == wl);
	CHECK(wl->timer.deadline != 0);		/* one timer for them all */
	waitlist_end_all(wl, WAIT_GO);
	CHECK(in_order(want, 5));		/* first come first served */
	for (i = 0; i < 5; i++)
		CHECK(r[i].calls == 1 && r[i].how == WAIT_GO &&
		    r[i].w.wl == NULL);
	CHECK(wl->n == 0 && wl->head == NULL && wl->tail == NULL);
	CHECK(wl->timer.slot == 0);		/* empty: the timer is off */
	waitlist_end_all(wl, WAIT_EXPIRED);	/* gone waiters are not called */
	CHECK(nseq == 5);
	waitlist_free(wl);
	loop_free(l);
}

static void
test_remove(void)
{
	struct req r[4];
	struct loop *l;
	struct waitlist *wl;
	struct err e;
	uint64_t far;
	int i;

	CHECK(loop_new(&l, &e) == 0);
	wl = waitlist_new(l);
	reset(r, 4);
	far = loop_now(l) + 60000;
	for (i = 0; i < 4; i++)
		waitlist_add(wl, &r[i].w, far);
	waitlist_remove(&r[1].w);		/* the middle */
	waitlist_remove(&r[3].w);		/* the tail */
	waitlist_remove(&r[3].w);		/* not waiting: nothing */
	CHECK(wl->n == 2 && wl->head == &r[0].w && wl->tail == &r[2].w);
	CHECK(r[0].w.next == &r[2].w && r[2].w.prev == &r[0].w);
	CHECK(r[1].w.wl == NULL && r[3].w.wl == NULL && nseq == 0);
	CHECK(wl->timer.slot != 0);		/* others wait: still armed */
	waitlist_remove(&r[0].w);		/* the head */
	waitlist_remove(&r[2].w);		/* the last one: the timer goes */
	CHECK(wl->n == 0 && wl->head == NULL && wl->tail == NULL);
	CHECK(wl->timer.slot == 0 && nseq == 0);
	waitlist_add(wl, &r[2].w, far);		/* back after leaving */
	waitlist_end_all(wl, WAIT_GO);
	CHECK(nseq == 1 && r[2].calls == 1 && r[1].calls == 0);
	waitlist_free(wl);
	loop_free(l);
}

static void
test_put_back(void)
{
	static const int first[] = { 0, 1, 2 }, again[] = { 0, 1, 2, 0 };
	struct req r[3];
	struct loop *l;
	struct waitlist *wl;
	struct err e;
	uint64_t far;
	int i;

	CHECK(loop_new(&l, &e) == 0);
	wl = waitlist_new(l);
	reset(r, 3);
	far = loop_now(l) + 60000;
	for (i = 0; i < 3; i++)
		waitlist_add(wl, &r[i].w, far);
	/* The first one's fn puts it back (still no route for it): it goes
	 * after the others, and this end_all does not call it again. */
	r[0].back = wl;
	r[0].back_until = far;
	waitlist_end_all(wl, WAIT_GO);
	CHECK(in_order(first, 3));
	CHECK(r[0].calls == 1 && r[0].w.wl == wl && wl->n == 1);
	CHECK(wl->head == &r[0].w && wl->tail == &r[0].w);
	CHECK(wl->timer.slot != 0);		/* it waits: armed again */
	waitlist_end_all(wl, WAIT_GO);		/* the next end_all does */
	CHECK(in_order(again, 4) && r[0].calls == 2 && wl->n == 0);
	waitlist_free(wl);
	loop_free(l);
}

static void
test_deadlines(void)
{
	static const int want[] = { 1, 2, 0 };
	struct req r[4];
	struct loop *l;
	struct waitlist *wl;
	struct err e;
	uint64_t now;

	CHECK(loop_new(&l, &e) == 0);
	wl = waitlist_new(l);
	reset(r, 4);
	now = loop_update_time(l);
	/* Deadlines out of order: each expires at its own, soonest first,
	 * whatever the order of arrival; a later one arriving does not
	 * delay the timer, an earlier one brings it forward. */
	waitlist_add(wl, &r[0].w, now + 300);
	CHECK(wl->timer.deadline != 0 && wl->timer.deadline <= now + 300);
	waitlist_add(wl, &r[3].w, now + 60000);
	CHECK(wl->timer.deadline <= now + 300);
	waitlist_add(wl, &r[1].w, now + 60);
	CHECK(wl->timer.deadline <= now + 60);
	waitlist_add(wl, &r[2].w, now + 150);
	run_until(l, 3, 5000);
	CHECK(in_order(want, 3));
	CHECK(r[0].how == WAIT_EXPIRED && r[1].how == WAIT_EXPIRED &&
	    r[2].how == WAIT_EXPIRED);
	CHECK(loop_now(l) >= now + 300);	/* none before its time */
	CHECK(r[3].calls == 0 && r[3].w.wl == wl && wl->n == 1);
	CHECK(wl->head == &r[3].w && wl->tail == &r[3].w);
	CHECK(wl->timer.slot != 0);		/* re-armed for the last one */
	/* Freed with a waiter in it: it leaves without a call. */
	waitlist_free(wl);
	CHECK(r[3].calls == 0 && r[3].w.wl == NULL);
	loop_free(l);
}

static void
test_expired_put_back(void)
{
	struct req r[2];
	struct loop *l;
	struct waitlist *wl;
	struct err e;
	uint64_t now;

	CHECK(loop_new(&l, &e) == 0);
	wl = waitlist_new(l);
	reset(r, 2);
	now = loop_update_time(l);
	/* One whose fn puts it back with a later deadline is called again at
	 * that deadline, not in the same pass. */
	r[0].back = wl;
	r[0].back_until = now + 200;
	waitlist_add(wl, &r[0].w, now + 20);
	waitlist_add(wl, &r[1].w, now + 60000);
	run_until(l, 1, 5000);
	CHECK(r[0].calls == 1 && r[0].w.wl == wl && wl->n == 2);
	CHECK(wl->head == &r[1].w && wl->tail == &r[0].w);
	run_until(l, 1, 5000);
	CHECK(r[0].calls == 2 && r[0].how == WAIT_EXPIRED);
	CHECK(loop_now(l) >= now + 200);
	CHECK(r[1].calls == 0 && wl->n == 1);
	waitlist_end_all(wl, WAIT_EXPIRED);	/* the queue's grace ended */
	CHECK(r[1].calls == 1 && r[1].how == WAIT_EXPIRED && wl->n == 0);
	CHECK(wl->timer.slot == 0);
	waitlist_free(wl);
	loop_free(l);
}

static void
test_long(void)
{
	enum { N = 20000 };
	struct req *r = calloc(N, sizeof(*r));
	struct loop *l;
	struct waitlist *wl;
	struct err e;
	uint64_t far;
	int i, ordered = 1;

	if (!CHECK(r != NULL))
		return;
	CHECK(loop_new(&l, &e) == 0);
	wl = waitlist_new(l);
	reset(r, N);
	far = loop_now(l) + 60000;
	for (i = 0; i < N; i++)
		waitlist_add(wl, &r[i].w, far + (uint64_t)(i % 7));
	CHECK(wl->n == N);
	for (i = 0; i < N; i += 2)		/* every other one leaves */
		waitlist_remove(&r[i].w);
	CHECK(wl->n == N / 2);
	waitlist_end_all(wl, WAIT_GO);
	for (i = 1; i < N; i += 2)
		if (r[i].calls != 1 || (i > 1 && r[i].seq != r[i - 2].seq + 1))
			ordered = 0;
	CHECK(ordered);				/* each once, in order */
	CHECK(nseq == N / 2 && wl->n == 0 && wl->timer.slot == 0);
	waitlist_free(wl);
	loop_free(l);
	free(r);
}

int
main(void)
{
	RUN(test_fifo_go);
	RUN(test_remove);
	RUN(test_put_back);
	RUN(test_deadlines);
	RUN(test_expired_put_back);
	RUN(test_long);
	return unit_done();
}
