/*
 * route — a worker's view of routing: the current route table (shared,
 * immutable, swapped by mail), and for each queue the data channels of the
 * sessions that serve it, to pick one per request (round robin), and the
 * requests waiting for one (waitlist.h).
 */
#ifndef HSYS_DAEMON_ROUTE_H
#define HSYS_DAEMON_ROUTE_H

#include <stdint.h>

struct channel;
struct queue_stats;
struct qgate;
struct routes;
struct url_prefix;
struct url_request;
struct waiter;
struct worker;

/* Main thread: mail a new table (the worker takes over one reference), or
 * a change in who serves a queue. */
void	 route_post_table(struct worker *, struct routes *);
void	 route_post_serve(struct worker *, uint64_t session, uint32_t queue,
	    int serving);
/* Main thread: the requests waiting for a queue on that worker route
 * again (expire 0: the routes changed) or get 503 (expire 1: the queue's
 * grace period ended). Mail after the table that changed, if any. */
void	 route_post_wake(struct worker *, uint32_t queue, int expire);

/* Worker: the registration a request goes to: 0 with *prefix and
 * *queue, or -1 with the status to answer: 400 (no registration for that
 * host on this port: HTTP.sys's "Invalid Hostname") or 404 (the host is
 * known, the path is not). *prefix stays valid until the worker next
 * handles mail. */
int	 route_find(struct worker *, const struct url_request *,
	    const struct url_prefix **prefix, uint32_t *queue, int *status);
/* Worker: the counters of the queue route_find gave *prefix for, or
 * NULL (the daemon's own page). */
struct queue_stats *route_stats(struct worker *, const struct url_prefix *);
/* Worker: a channel serving the queue, or NULL (503). */
struct channel *route_channel(struct worker *, uint32_t queue);
/* Worker: the counters of the queue a prefix from route_find goes to. */
struct qgate *route_gate(struct worker *, const struct url_prefix *);
/* Worker: puts a request in the queue's waitlist until a channel serves
 * the queue here (its fn is called with GO), or `until` (EXPIRED). -1:
 * out of memory. */
int	 route_wait(struct worker *, uint32_t queue, struct waiter *,
	    uint64_t until);
/* Worker: a channel is closing; it serves nothing any more. */
void	 route_forget_channel(struct worker *, struct channel *);
void	 route_free(struct worker *);

#endif
