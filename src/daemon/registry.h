/*
 * registry — the URL prefixes registered by applications (main thread),
 * and what workers need of them: a route per registration, mailed to
 * every worker as it comes and goes (route.h), and which sessions serve
 * which queue. Adding or removing one costs the same whatever the number
 * registered: a hash finds a prefix, each queue lists its own, and URL
 * reservations are read once per store generation (acl.h).
 *
 * A prefix belongs to the queue it was added to and goes with it: when
 * the last session holding the queue ends (for an anonymous queue, when
 * its process dies) and the queue's grace period is over, its prefixes are
 * removed. During the grace period a process of the queue's owner that
 * adds one of its prefixes to a queue of its own takes the prefix over
 * (docs/api.md, "Grace period").
 */
#ifndef HSYS_DAEMON_REGISTRY_H
#define HSYS_DAEMON_REGISTRY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "url/url.h"

struct err;
struct hsysd;
struct qgate;
struct queue;
struct queue_stats;
struct session;

#define REGISTRY_INTERNAL	0	/* queue ids start at 1; the daemon's
					 * own metrics page (metrics.c) */

/* PREFIX_ADD / PREFIX_REMOVE from a session; e->code carries the errno
 * (EINVAL, EACCES, EEXIST, EPROTO, EADDRINUSE, ENOENT, EDQUOT). A prefix
 * of a queue in its grace period may be taken over (docs/api.md): then
 * *from is that queue, whose waiting requests the caller routes again
 * (queue_reroute); else NULL. */
int	registry_add(struct hsysd *, struct session *, struct queue *,
	    const char *prefix, size_t len, struct queue **from,
	    struct err *);
int	registry_remove(struct hsysd *, struct queue *, const char *prefix,
	    size_t len, struct err *);
/* A queue is going away: its prefixes go with it. */
void	registry_drop_queue(struct hsysd *, struct queue *);
/* How many prefixes a queue has. */
size_t	registry_count(struct hsysd *, const struct queue *);
/* Tells every worker that a session now serves (or no longer serves) a
 * queue. */
void	registry_serve(struct hsysd *, struct session *, struct queue *,
	    int serving);

/* 1 when the reservations hsysd serves still let whoever registered p
 * listen on it; 0 when they do not any more (deleted after it was
 * registered: it serves on, as in HTTP.sys); -1 when unknown. */
int	registry_reserved(struct hsysd *, const struct url_prefix *);

/* The daemon's own prefix (the metrics page), registered like an
 * application's: the same conflicts (EEXIST, EPROTO, EADDRINUSE). */
int	registry_add_internal(struct hsysd *, const char *prefix,
	    struct err *);
void	registry_remove_internal(struct hsysd *);
/* At exit, after the queues: the index (every registration is gone). */
void	registry_free(struct hsysd *);
/* Every registration: its canonical text, prefix and queue (NULL: the
 * daemon's own). Stops at the first -1 fn returns, and returns it. */
int	registry_each(struct hsysd *, int (*)(const char *text,
	    const struct url_prefix *, struct queue *, void *), void *);

#endif
