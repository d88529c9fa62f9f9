/*
 * Unit tests of the event loop: timer order, re-arming later and earlier,
 * cancel, many timers, fd readiness, deferred work after a batch, no
 * event for an fd removed earlier in the same batch.
 */
#include <stdlib.h>
#include <unistd.h>

#include "common/err.h"
#include "common/util.h"
#include "daemon/loop.h"
#include "unit.h"

struct tick {
	struct loop_timer	t;
	int			id;
	uint64_t		fired_at;
};

static int order[64], norder;

static void
tick_fn(struct loop *l, struct loop_timer *t)
{
	struct tick *k = container_of(t, struct tick, t);

	k->fired_at = loop_now(l);
	order[norder++] = k->id;
}

static void
test_timer_order_and_rearm(void)
{
	struct tick a = { .t.fn = tick_fn, .id = 1 };
	struct tick b = { .t.fn = tick_fn, .id = 2 };
	struct tick c = { .t.fn = tick_fn, .id = 3 };
	struct loop *l;
	struct err e;
	uint64_t start;

	CHECK(loop_new(&l, &e) == 0);
	start = loop_now(l);
	norder = 0;
	loop_timer_set(l, &a.t, 30);
	loop_timer_set(l, &b.t, 10);
	loop_timer_set(l, &c.t, 20);
	loop_timer_set(l, &b.t, 40);	/* later: lazy */
	loop_timer_set(l, &c.t, 5);	/* earlier: moves up */
	while (norder < 3)
		CHECK(loop_once(l, 100, &e) == 0);
	CHECK(order[0] == 3 && order[1] == 1 && order[2] == 2);
	CHECK(b.fired_at - start >= 40);
	CHECK(a.fired_at - start >= 30);
	CHECK(b.t.slot == 0 && b.t.deadline == 0);
	loop_free(l);
}

static void
test_timer_cancel_and_many(void)
{
	struct tick *k = calloc(50, sizeof(*k));
	struct loop *l;
	struct err e;
	int i, sorted = 1;

	CHECK(loop_new(&l, &e) == 0);
	norder = 0;
	for (i = 0; i < 50; i++) {
		k[i].t.fn = tick_fn;
		k[i].id = i;
		loop_timer_set(l, &k[i].t, (uint64_t)(50 - i) % 7);
	}
	for (i = 0; i < 50; i += 2)
		loop_timer_cancel(l, &k[i].t);
	loop_timer_cancel(l, &k[0].t);		/* twice is harmless */
	for (i = 0; i < 20 && norder < 25; i++)
		CHECK(loop_once(l, 20, &e) == 0);
	CHECK(norder == 25);
	for (i = 0; i < norder; i++)
		if (order[i] % 2 == 0)
			sorted = 0;
	CHECK(sorted);		/* no cancelled timer fired */
	loop_free(l);
	free(k);
}

struct reader {
	struct loop_io		io;
	struct loop_defer	d;
	int			reads, freed;
};

static void
reader_free(struct loop_defer *d)
{
	container_of(d, struct reader, d)->freed++;
}

static void
reader_fn(struct loop *l, struct loop_io *io, unsigned rev)
{
	struct reader *r = container_of(io, struct reader, io);
	char buf[16];

	if (rev & LOOP_READ && read(io->fd, buf, sizeof(buf)) > 0)
		r->reads++;
	loop_io_remove(l, io);
	loop_defer(l, &r->d);
	CHECK(r->freed == 0);	/* not inside the callback */
}

static void
test_io_and_defer(void)
{
	struct reader r = { .io.fn = reader_fn, .d.fn = reader_free };
	struct loop *l;
	struct err e;
	int p[2];

	CHECK(pipe(p) == 0);
	CHECK(loop_new(&l, &e) == 0);
	r.io.fd = p[0];
	CHECK(loop_io_add(l, &r.io, LOOP_READ, &e) == 0);
	CHECK(loop_once(l, 0, &e) == 0 && r.reads == 0);
	CHECK(write(p[1], "x", 1) == 1);
	CHECK(loop_once(l, 1000, &e) == 0);
	CHECK(r.reads == 1 && r.freed == 1);
	CHECK(loop_io_add(l, &(struct loop_io){ .fd = -1 }, LOOP_READ, &e)
	    == -1);
	loop_free(l);
	close(p[0]);
	close(p[1]);
}

/* Two ready fds in one batch; whichever callback runs first removes the
 * other, whose pending event must then not be delivered. */
static struct reader *peer_of[2];

static void
remover_fn(struct loop *l, struct loop_io *io, unsigned rev)
{
	struct reader *r = container_of(io, struct reader, io);
	struct reader *other = peer_of[r == peer_of[0]];

	(void)rev;
	r->reads++;
	loop_io_remove(l, io);
	loop_io_remove(l, &other->io);
}

static void
test_removed_in_batch(void)
{
	struct reader a = { .io.fn = remover_fn }, b = { .io.fn = remover_fn };
	struct loop *l;
	struct err e;
	int p[2], q[2];

	CHECK(pipe(p) == 0 && pipe(q) == 0);
	CHECK(loop_new(&l, &e) == 0);
	peer_of[0] = &a;
	peer_of[1] = &b;
	a.io.fd = p[0];
	b.io.fd = q[0];
	CHECK(loop_io_add(l, &a.io, LOOP_READ, &e) == 0);
	CHECK(loop_io_add(l, &b.io, LOOP_READ, &e) == 0);
	CHECK(write(p[1], "x", 1) == 1 && write(q[1], "y", 1) == 1);
	CHECK(loop_once(l, 1000, &e) == 0);
	CHECK(a.reads + b.reads == 1);
	loop_free(l);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

/* The same work queued twice before it runs runs once, and the loop ends
 * (the deferred-flush cycle that hung a worker: a second link made the list
 * point at itself); queued again from its own run, it runs again. */
struct twice {
	struct loop_defer	d;
	struct loop		*l;
	int			runs, requeue;
};

static void
twice_fn(struct loop_defer *d)
{
	struct twice *t = container_of(d, struct twice, d);

	t->runs++;
	if (t->requeue-- > 0)
		loop_defer(t->l, &t->d);
}

static void
test_defer_twice(void)
{
	struct twice t = { .d.fn = twice_fn };
	struct reader r = { .d.fn = reader_free };
	struct err e;

	CHECK(loop_new(&t.l, &e) == 0);
	loop_defer(t.l, &t.d);
	loop_defer(t.l, &r.d);
	loop_defer(t.l, &t.d);
	loop_defer(t.l, &r.d);
	CHECK(loop_once(t.l, 0, &e) == 0);
	CHECK(t.runs == 1 && r.freed == 1);
	t.requeue = 2;
	loop_defer(t.l, &t.d);
	CHECK(loop_once(t.l, 0, &e) == 0);
	CHECK(t.runs == 4);
	loop_free(t.l);
}

int
main(void)
{
	RUN(test_timer_order_and_rearm);
	RUN(test_timer_cancel_and_many);
	RUN(test_io_and_defer);
	RUN(test_removed_in_batch);
	RUN(test_defer_twice);
	return unit_done();
}
