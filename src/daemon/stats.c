/*
 * stats — the daemon's counters. See stats.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "daemon/stats.h"
#include "daemon/worker.h"

#define HOLDER		((uint64_t)1 << 32)
#define IN_FLIGHT	(HOLDER - 1)

const uint64_t stats_bucket_us[STATS_BUCKETS - 1] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000
};

struct worker_stats *
stats_new(void)
{
	void *p;

	/* Zeroed pages of its own, backed only where written. */
	p = mmap(NULL, sizeof(struct worker_stats), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void
stats_free(struct worker_stats *s)
{
	if (s != NULL)
		munmap(s, sizeof(*s));
}

void
stats_request(struct worker_stats *s, int status, uint64_t us)
{
	int b;

	for (b = 0; b < STATS_BUCKETS - 1 && us > stats_bucket_us[b]; b++)
		;
	stats_add(&s->requests, 1);
	stats_add(&s->latency_us, us);
	stats_add(&s->latency[b], 1);
	stats_add(&s->code[status >= 100 && status <= 599 ? status - 100 :
	    STATS_CODES - 1], 1);
}

void
stats_sum(struct worker *w, int workers, struct stats_total *t)
{
	struct worker_stats *s;
	int i, j;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < workers; i++) {
		if ((s = w[i].stats) == NULL)
			continue;
		t->accepted += stats_get(&s->accepted);
		t->closed += stats_get(&s->closed);
		t->handshake_failures += stats_get(&s->handshake_failures);
		t->bytes_in += stats_get(&s->bytes_in);
		t->bytes_out += stats_get(&s->bytes_out);
		t->requests += stats_get(&s->requests);
		t->latency_us += stats_get(&s->latency_us);
		for (j = 0; j < STATS_BUCKETS; j++)
			t->latency[j] += stats_get(&s->latency[j]);
		for (j = 0; j < STATS_CODES; j++)
			t->code[j] += stats_get(&s->code[j]);
		t->h2_accepted += stats_get(&s->h2_accepted);
		t->h2_closed += stats_get(&s->h2_closed);
		t->h2_streams += stats_get(&s->h2_streams);
		t->h2_resets += stats_get(&s->h2_resets);
		t->h2_requests += stats_get(&s->h2_requests);
	}
	/* Read in that order, closes never outrun accepts by much; but a
	 * reader racing the workers must not show a negative count. */
	if (t->closed > t->accepted)
		t->closed = t->accepted;
	if (t->h2_closed > t->h2_accepted)
		t->h2_closed = t->h2_accepted;
}

uint32_t
stats_port_open(struct worker *w, int workers, uint16_t port)
{
	uint32_t n = 0;
	int i;

	for (i = 0; i < workers; i++)
		if (w[i].stats != NULL)
			n += atomic_load_explicit(&w[i].stats->port_open[port],
			    memory_order_relaxed);
	return n;
}

struct queue_stats *
qstats_new(uint32_t id, const char *name)
{
	struct queue_stats *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	atomic_init(&q->hold, HOLDER);
	q->id = id;
	snprintf(q->name, sizeof(q->name), "%s", name ? name : "");
	return q;
}

static void
drop(struct queue_stats *q, uint64_t n)
{
	if (atomic_fetch_sub_explicit(&q->hold, n, memory_order_acq_rel) == n)
		free(q);
}

void
qstats_ref(struct queue_stats *q)
{
	if (q != NULL)
		atomic_fetch_add_explicit(&q->hold, HOLDER,
		    memory_order_relaxed);
}

void
qstats_unref(struct queue_stats *q)
{
	if (q != NULL)
		drop(q, HOLDER);
}

struct queue_stats *
qstats_begin(struct queue_stats *q)
{
	if (q != NULL)
		atomic_fetch_add_explicit(&q->hold, 1, memory_order_relaxed);
	return q;
}

void
qstats_end(struct queue_stats *q, int status)
{
	if (q == NULL)
		return;
	if (status == 503)
		atomic_fetch_add_explicit(&q->refused, 1,
		    memory_order_relaxed);
	drop(q, 1);
}

uint32_t
qstats_active(struct queue_stats *q)
{
	return (uint32_t)(atomic_load_explicit(&q->hold,
	    memory_order_relaxed) & IN_FLIGHT);
}
