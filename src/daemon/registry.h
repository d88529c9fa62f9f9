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
struct session;

/* What a worker routes with: prefixes[i] goes to queue queues[i]. */
struct routes {
	atomic_int		 refs;
	size_t			 n;
	struct url_prefix	*prefixes;
	uint32_t		*queues;
};

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
/* Every registration, as its canonical text and queue (handover.c). */
int	registry_each(struct hsysd *, int (*)(const char *prefix,
	    struct queue *, void *), void *);

#endif
