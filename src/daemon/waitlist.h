/*
 * waitlist — requests a worker holds for a queue that has no process on
 * that worker: while an application restarts within its queue's grace
 * period (qgate.h), or until the channels of a process that just attached
 * reach the worker. One list per worker and queue, first come first
 * served, with one timer for the earliest deadline. Worker thread only.
 *
 * A waiter is embedded in its owner (a client connection); the list calls
 * its fn once when it leaves the list other than by waitlist_remove: GO
 * (try to route again: a process came, or the routes changed) or EXPIRED
 * (its deadline passed, or the queue's grace ended).
 */
#ifndef HSYS_DAEMON_WAITLIST_H
#define HSYS_DAEMON_WAITLIST_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/loop.h"

enum wait_end {
	WAIT_GO,
	WAIT_EXPIRED
};

struct waitlist;

struct waiter {
	struct waiter	*next, *prev;
	struct waitlist	*wl;		/* NULL: not waiting */
	uint64_t	 until;		/* loop_now() ms */
	void		(*fn)(struct waiter *, enum wait_end);
};

struct waitlist {
	struct loop		*loop;
	struct loop_timer	 timer;
	struct waiter		*head, *tail;
	size_t			 n;
};

struct waitlist	*waitlist_new(struct loop *);
/* The waiters still in it leave without a call (their owners are gone or
 * going: the worker is stopping). */
void		 waitlist_free(struct waitlist *);
void		 waitlist_add(struct waitlist *, struct waiter *,
		    uint64_t until);
/* Leaves the list it is in, if any, without a call. */
void		 waitlist_remove(struct waiter *);
/* Every waiter leaves with `how`, in order. A waiter that its fn puts back
 * in the same list is not called again by this call. */
void		 waitlist_end_all(struct waitlist *, enum wait_end how);

#endif
