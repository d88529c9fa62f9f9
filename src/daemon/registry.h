/*
 * registry — the URL prefixes registered by applications (main thread),
 * and what workers need of them: an immutable route table, shared by
 * reference and swapped by mail, and which sessions serve which queue.
 *
 * A prefix belongs to the queue it was added to and goes with it: when
 * the last session holding the queue ends (for an anonymous queue, when
 * its process dies), its prefixes are removed.
 */
#ifndef HSYS_DAEMON_REGISTRY_H
#define HSYS_DAEMON_REGISTRY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "url/url.h"

struct err;
struct hsysd;
struct queue;
struct queue_stats;
struct session;

/* What a worker routes with: prefixes[i] goes to queue queues[i], whose
 * counters are stats[i]. Queue REGISTRY_INTERNAL is the daemon's own
 * metrics page (metrics.c); its stats are NULL. */
struct routes {
	atomic_int		 refs;
	size_t			 n;
	struct url_prefix	*prefixes;
	uint32_t		*queues;
	struct queue_stats	**stats;
};

#define REGISTRY_INTERNAL	0	/* queue ids start at 1 */

void	routes_release(struct routes *);

/* PREFIX_ADD / PREFIX_REMOVE from a session; e->code carries the errno
 * (EINVAL, EACCES, EEXIST, EPROTO, EADDRINUSE, ENOENT). */
int	registry_add(struct hsysd *, struct session *, struct queue *,
	    const char *prefix, size_t len, struct err *);
int	registry_remove(struct hsysd *, struct queue *, const char *prefix,
	    size_t len, struct err *);
/* A queue is going away: its prefixes go with it. */
void	registry_drop_queue(struct hsysd *, struct queue *);
/* Tells every worker that a session now serves (or no longer serves) a
 * queue. */
void	registry_serve(struct hsysd *, struct session *, struct queue *,
	    int serving);

/* The daemon's own prefix (the metrics page), registered like an
 * application's: the same conflicts (EEXIST, EPROTO, EADDRINUSE). */
int	registry_add_internal(struct hsysd *, const char *prefix,
	    struct err *);
void	registry_remove_internal(struct hsysd *);
/* Every registration, for STATE: its text and queue (NULL: internal). */
void	registry_walk(struct hsysd *, void (*)(const char *text,
	    const struct url_prefix *, const struct queue *, void *), void *);

#endif
