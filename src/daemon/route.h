/*
 * route — a worker's view of routing: its route table, and for each queue
 * the data channels of the sessions that serve it, to pick one per request
 * (round robin), and the requests waiting for one (waitlist.h).
 *
 * A route is one registration as workers see it: made by the main thread
 * (registry.c), immutable once posted, shared by every worker. Each worker
 * holds it from its add mail to its remove mail and keeps it in a table of
 * its own, updated by those mails one route at a time: adding a prefix
 * costs the same whatever the number registered. The mails are inside the
 * route, so posting one cannot fail.
 *
 * A worker's table hashes each route by its host key (scheme, port, host
 * class, and the host name or address) and by that key plus its path
 * (ASCII case folded, as url.h's matching compares it). A request's
 * lookup probes, class by class in precedence order, each '/' boundary of
 * its path: a few hash probes, never a walk over the prefixes.
 */
#ifndef HSYS_DAEMON_ROUTE_H
#define HSYS_DAEMON_ROUTE_H

#include <stdint.h>

struct channel;
struct queue_stats;
struct qgate;
struct hsysd;
struct route;
struct url_prefix;
struct url_request;
struct waiter;
struct worker;

/* Main thread: a route for prefix p to queue (REGISTRY_INTERNAL: the
 * daemon's own page, stats and gate NULL), holding a reference on stats
 * and gate; NULL when out of memory. Posted once with route_post_add, then
 * once with route_post_remove, after which the workers free it; one never
 * posted goes with route_discard. */
struct route *route_new(struct hsysd *, const struct url_prefix *p,
	    uint32_t queue, struct queue_stats *, struct qgate *);
void	 route_post_add(struct hsysd *, struct route *);
void	 route_post_remove(struct hsysd *, struct route *);
void	 route_discard(struct route *);
/* Worker: what its add mail does, at once (for tests without a loop). */
void	 route_adopt(struct worker *, struct route *);
/* Main thread: a change in who serves a queue. */
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
/* Worker: the prefix route_find gave, as url_prefix_format writes it
 * (formatted once, when the route was made); as long as *prefix. */
const char *route_prefix_text(struct worker *, const struct url_prefix *,
	    size_t *len);
/* Worker: a channel serving the queue, or NULL (503). */
struct channel *route_channel(struct worker *, uint32_t queue);
/* Worker: the counters of the queue a prefix from route_find goes to. */
struct qgate *route_gate(struct worker *, const struct url_prefix *);
/* Worker: puts a request in the queue's waitlist until a channel serves
 * the queue here (its fn is called with GO), or `until` (EXPIRED). -1:
 * out of memory. */
int	 route_wait(struct worker *, uint32_t queue, struct waiter *,
	    uint64_t until);
/* Worker: every route in its table (in no particular order); stops at the
 * first non-zero fn returns, and returns it. */
int	 route_each(struct worker *, int (*fn)(const struct url_prefix *,
	    uint32_t queue, struct queue_stats *, struct qgate *, void *),
	    void *);
/* Worker: a channel is closing; it serves nothing any more. */
void	 route_forget_channel(struct worker *, struct channel *);
void	 route_free(struct worker *);

#endif
