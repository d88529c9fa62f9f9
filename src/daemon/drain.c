/*
 * drain — ending without failing a request. See drain.h.
 *
 * Each worker learns it drains by mail, then checks on a short timer of
 * its own loop whether it still has connections, and says so through an
 * atomic flag the main thread polls: no lock, and no connection state
 * read across threads.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "common/util.h"
#include "daemon/conn.h"
#include "daemon/drain.h"
#include "daemon/hsysd.h"
#include "daemon/log.h"
#include "daemon/worker.h"

#define DRAIN_CHECK_MS	25

struct drain_worker {
	struct mail		 mail;
	struct loop_timer	 check;
	struct worker		*w;
	atomic_int		 empty;
};

struct drain {
	struct loop_timer	 check;
	struct hsysd		*d;
	uint64_t		 deadline;
	struct drain_worker	*dw;	/* [workers] */
};

static void
worker_check(struct loop *l, struct loop_timer *t)
{
	struct drain_worker *dw = container_of(t, struct drain_worker, check);

	if (dw->w->conns == NULL)
		atomic_store(&dw->empty, 1);
	else
		loop_timer_set(l, t, DRAIN_CHECK_MS);
}

static void
worker_drain(struct mail *m)
{
	struct drain_worker *dw = container_of(m, struct drain_worker, mail);

	dw->w->draining = 1;
	conns_drain(dw->w);
	worker_check(dw->w->loop, &dw->check);
}

static void
main_check(struct loop *l, struct loop_timer *t)
{
	struct drain *dr = container_of(t, struct drain, check);
	int w;

	for (w = 0; w < dr->d->workers; w++)
		if (!atomic_load(&dr->dw[w].empty))
			break;
	if (w == dr->d->workers) {
		log_notice("drained: every connection is closed");
		loop_stop(l);
		return;
	}
	if (loop_now(l) >= dr->deadline) {
		log_notice("drain bound reached: closing the connections "
		    "still open");
		loop_stop(l);
		return;
	}
	loop_timer_set(l, t, DRAIN_CHECK_MS);
}

int
drain_start(struct hsysd *d, uint64_t bound_ms)
{
	struct drain *dr;
	int w;

	if (d->drain != NULL)
		return 0;
	if ((dr = calloc(1, sizeof(*dr))) == NULL ||
	    (dr->dw = calloc((size_t)d->workers, sizeof(*dr->dw))) == NULL) {
		free(dr);
		return -1;
	}
	dr->d = d;
	dr->deadline = loop_now(d->loop) + bound_ms;
	dr->check.fn = main_check;
	for (w = 0; w < d->workers; w++) {
		dr->dw[w].w = &d->worker[w];
		dr->dw[w].mail.fn = worker_drain;
		dr->dw[w].check.fn = worker_check;
		atomic_init(&dr->dw[w].empty, 0);
		mailbox_post(&d->worker[w].mailbox, &dr->dw[w].mail);
	}
	d->drain = dr;
	log_notice("draining: requests in flight may take up to %llu ms",
	    (unsigned long long)bound_ms);
	loop_timer_set(d->loop, &dr->check, DRAIN_CHECK_MS);
	return 0;
}

void
drain_free(struct hsysd *d)
{
	if (d->drain == NULL)
		return;
	free(d->drain->dw);
	free(d->drain);
	d->drain = NULL;
}
