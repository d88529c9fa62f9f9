/*
 * qgate — a queue's admission counters, shared with the workers. See
 * qgate.h.
 */
#include <stdlib.h>

#include "daemon/qgate.h"

struct qgate *
qgate_new(uint32_t queue, uint32_t length, uint32_t grace_ms)
{
	struct qgate *g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	atomic_init(&g->refs, 1);
	atomic_init(&g->waiting, 0);
	atomic_init(&g->length, length);
	atomic_init(&g->grace_ms, grace_ms);
	atomic_init(&g->linger_until, 0);
	g->queue = queue;
	return g;
}

void
qgate_hold(struct qgate *g)
{
	atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
}

void
qgate_release(struct qgate *g)
{
	if (g != NULL && atomic_fetch_sub_explicit(&g->refs, 1,
	    memory_order_acq_rel) == 1)
		free(g);
}

int
qgate_enter(struct qgate *g)
{
	unsigned n;

	/* Optimistic: count first, undo when over; a racing request may be
	 * refused while another leaves, never admitted beyond the bound. */
	n = atomic_fetch_add_explicit(&g->waiting, 1, memory_order_relaxed);
	if (n >= atomic_load_explicit(&g->length, memory_order_relaxed)) {
		atomic_fetch_sub_explicit(&g->waiting, 1,
		    memory_order_relaxed);
		return -1;
	}
	qgate_hold(g);
	return 0;
}

void
qgate_leave(struct qgate *g)
{
	atomic_fetch_sub_explicit(&g->waiting, 1, memory_order_relaxed);
	qgate_release(g);
}

uint64_t
qgate_wait_until(const struct qgate *g, uint64_t now)
{
	uint64_t until = atomic_load(&g->linger_until);
	unsigned grace = atomic_load(&g->grace_ms);

	if (grace == 0)
		return 0;
	if (until == 0)
		return now + grace;
	return until > now ? until : 0;
}
