/*
 * test_daemon_shared — objects every worker holds (daemon/shared.c): the
 * count of holders, the one free at the last release, and the swap on
 * every worker by mail, each releasing the object it had.
 */
#include <stdlib.h>

#include "common/err.h"
#include "common/util.h"
#include "daemon/hsysd.h"
#include "daemon/loop.h"
#include "daemon/mailbox.h"
#include "daemon/shared.h"
#include "daemon/worker.h"
#include "unit.h"

#define WORKERS	3

struct thing {
	struct shared	 ref;
	int		 id;
	int		*freed;
};

/* What each worker holds, as a snapshot would be: by index. */
static struct thing *held[WORKERS];

static void
thing_free(struct shared *s)
{
	struct thing *t = container_of(s, struct thing, ref);

	(*t->freed)++;
	free(t);
}

static struct thing *
thing_new(int id, int *freed)
{
	struct thing *t = calloc(1, sizeof(*t));

	t->id = id;
	t->freed = freed;
	shared_init(&t->ref, 1, thing_free);
	return t;
}

static struct shared *
swap(struct worker *w, struct shared *s)
{
	struct thing *old = held[w->index];

	held[w->index] = container_of(s, struct thing, ref);
	return old != NULL ? &old->ref : NULL;
}

static void
test_release(void)
{
	int freed = 0;
	struct thing *t = thing_new(1, &freed);

	shared_init(&t->ref, 2, thing_free);
	shared_release(&t->ref);
	CHECK(freed == 0);
	shared_release(&t->ref);
	CHECK(freed == 1);
	shared_release(NULL);			/* ignored */
}

static void
run_mail(struct hsysd *d)
{
	struct err e;
	int i;

	for (i = 0; i < d->workers; i++)
		loop_once(d->worker[i].loop, 0, &e);
}

static void
test_post(void)
{
	struct worker workers[WORKERS] = { { 0 } };
	struct hsysd d = { .worker = workers, .workers = WORKERS };
	int freed1 = 0, freed2 = 0, i, ok = 1;
	struct thing *a, *b;
	struct err e;

	for (i = 0; i < WORKERS; i++) {
		workers[i].index = i;
		workers[i].d = &d;
		if (loop_new(&workers[i].loop, &e) == -1 ||
		    mailbox_open(&workers[i].mailbox, workers[i].loop, &e) ==
		    -1)
			ok = 0;
	}
	CHECK(ok);
	a = thing_new(1, &freed1);
	shared_post(&d, &a->ref, swap);
	CHECK(atomic_load(&a->ref.refs) == WORKERS);
	CHECK(held[0] == NULL);			/* not before the mail runs */
	run_mail(&d);
	for (i = 0; i < WORKERS; i++)
		CHECK(held[i] == a);
	b = thing_new(2, &freed2);
	shared_post(&d, &b->ref, swap);
	run_mail(&d);
	CHECK(freed1 == 1);			/* every worker let a go */
	for (i = 0; i < WORKERS; i++)
		CHECK(held[i] == b);
	CHECK(freed2 == 0);
	for (i = 0; i < WORKERS; i++) {
		shared_release(&held[i]->ref);	/* as a worker stops */
		held[i] = NULL;
		mailbox_close(&workers[i].mailbox, workers[i].loop);
		loop_free(workers[i].loop);
	}
	CHECK(freed2 == 1);
}

int
main(void)
{
	RUN(test_release);
	RUN(test_post);
	return unit_done();
}
