/*
 * stats — the daemon's counters, kept off the request path's toes.
 *
 * Each worker has its own block of counters (struct worker_stats), which
 * only that worker writes, with relaxed atomic stores of load + n: plain
 * moves on the machines we run on, no lock prefix, no lock. Other threads
 * (the main thread answering STATE, a worker serving the metrics page)
 * read them with relaxed loads and add the workers up. A block is mapped
 * on its own pages, so no two workers' counters share a cache line, and
 * its per-port table costs memory only for the ports in use.
 *
 * A queue's counters (struct queue_stats) are shared by the workers that
 * route to it: one atomic add when a request is routed to the queue and
 * one when it ends. The block outlives its queue while requests or route
 * tables still point at it: one word counts both (holders in the high
 * half, requests in flight in the low half) and whoever brings it to zero
 * frees it.
 */
#ifndef HSYS_DAEMON_STATS_H
#define HSYS_DAEMON_STATS_H

#include <stdatomic.h>
#include <stdint.h>

/* Latency buckets, Prometheus's defaults from 1 ms to 10 s; a last one
 * for the rest (+Inf). Bounds in microseconds. */
#define STATS_BUCKETS		14
extern const uint64_t stats_bucket_us[STATS_BUCKETS - 1];

/* Status codes 100..599 each; [STATS_CODES - 1] for anything else. */
#define STATS_CODES		501

struct worker_stats {
	_Atomic uint64_t	accepted;	/* connections */
	_Atomic uint64_t	closed;
	_Atomic uint64_t	handshake_failures;
	_Atomic uint64_t	bytes_in;
	_Atomic uint64_t	bytes_out;
	_Atomic uint64_t	requests;	/* answered */
	_Atomic uint64_t	latency_us;	/* their sum */
	_Atomic uint64_t	latency[STATS_BUCKETS];
	_Atomic uint64_t	code[STATS_CODES];
	_Atomic uint64_t	h2_accepted;	/* connections that chose h2 */
	_Atomic uint64_t	h2_closed;
	_Atomic uint64_t	h2_streams;	/* streams the clients opened */
	_Atomic uint64_t	h2_resets;	/* streams reset, either side */
	_Atomic uint64_t	h2_requests;	/* answered over HTTP/2 */
	_Atomic uint32_t	port_open[65536];	/* connections by port */
};

struct queue_stats {
	_Atomic uint64_t	hold;		/* holders << 32 | in flight */
	_Atomic uint64_t	refused;	/* 503s served for it */
	uint32_t		id;
	char			name[256];	/* "" if anonymous */
};

/* The owner's increment: only the worker that owns the block calls it. */
static inline void
stats_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c,
	    memory_order_relaxed) + n, memory_order_relaxed);
}

static inline uint64_t
stats_get(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static inline void
stats_port(_Atomic uint32_t *c, int up)
{
	atomic_store_explicit(c, atomic_load_explicit(c,
	    memory_order_relaxed) + (up ? 1u : (uint32_t)-1),
	    memory_order_relaxed);
}

struct worker_stats *stats_new(void);
void	stats_free(struct worker_stats *);
/* A request was answered with `status`, `us` after its head arrived
 * (both read on the worker's loop clock: no clock read of its own). */
void	stats_request(struct worker_stats *, int status, uint64_t us);

/* Sums over every worker's block, for readers on any thread. */
struct stats_total {
	uint64_t	accepted, closed, handshake_failures;
	uint64_t	bytes_in, bytes_out, requests, latency_us;
	uint64_t	latency[STATS_BUCKETS];
	uint64_t	code[STATS_CODES];
	uint64_t	h2_accepted, h2_closed, h2_streams, h2_resets;
	uint64_t	h2_requests;
};
struct worker;
void	stats_sum(struct worker *, int workers, struct stats_total *);
uint32_t stats_port_open(struct worker *, int workers, uint16_t port);

struct queue_stats *qstats_new(uint32_t id, const char *name);
/* Holders: the queue itself, and each route table entry naming it. */
void	qstats_ref(struct queue_stats *);
void	qstats_unref(struct queue_stats *);
/* A request routed to the queue, and its end; NULL is ignored. */
struct queue_stats *qstats_begin(struct queue_stats *);
void	qstats_end(struct queue_stats *, int status);
uint32_t qstats_active(struct queue_stats *);

#endif
