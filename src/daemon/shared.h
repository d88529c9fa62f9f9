/*
 * shared — an object every worker holds a reference to while it serves
 * with it (a snapshot of the configuration, a route): made on the main
 * thread with one reference per worker, each worker drops its own, the
 * last one frees it. And the one way to swap such an object in on every
 * worker: mail it to each, and each releases the one it held.
 *
 * Embed a struct shared in the object; its free callback gets it back
 * with container_of.
 */
#ifndef HSYS_DAEMON_SHARED_H
#define HSYS_DAEMON_SHARED_H

#include <stdatomic.h>

struct hsysd;
struct worker;

struct shared {
	atomic_int	 refs;
	void		(*free)(struct shared *);
};

/* refs references (one per worker that will hold it; 1 while only its
 * maker does). */
void	shared_init(struct shared *, int refs, void (*free)(struct shared *));
/* Drops one reference; the last frees. NULL is ignored. Any thread. */
void	shared_release(struct shared *);
/*
 * Main thread: s now has one reference per worker and is mailed to each;
 * on its own thread, swap(w, s) puts it in place and returns the object
 * it replaces (or NULL), which is released. A worker whose mail cannot be
 * allocated keeps the object it has (and s loses that reference).
 */
void	shared_post(struct hsysd *, struct shared *s,
	    struct shared *(*swap)(struct worker *, struct shared *));

#endif
