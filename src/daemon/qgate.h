/*
 * qgate — what a queue shares with the workers: how many of its requests
 * wait, how many may, and how long a request may wait for a process. The
 * main thread creates it with its queue; workers reach it through their
 * route table and count requests in and out with atomics, so admission
 * takes no lock on the request path.
 *
 * "Waiting" means routed to the queue and no final response started: with
 * hsysd pushing requests to processes, that is the requests held by the
 * daemon for the queue (waitlist.h) plus those a process was given and has
 * not begun to answer.
 *
 * Lifetime: a reference count. The queue holds one, each route table one
 * per prefix it routes to the queue, each waiting request one, so a gate
 * outlives its queue for as long as a worker may still touch it.
 */
#ifndef HSYS_DAEMON_QGATE_H
#define HSYS_DAEMON_QGATE_H

#include <stdatomic.h>
#include <stdint.h>

struct qgate {
	atomic_uint		 refs;
	atomic_uint		 waiting;
	atomic_uint		 length;	/* the bound on waiting */
	atomic_uint		 grace_ms;
	/* loop_now() ms when the queue's grace ends, while no process holds
	 * it; 0 while one does. */
	_Atomic uint64_t	 linger_until;
	uint32_t		 queue;		/* its id, for logs */
};

/* One reference, the caller's. */
struct qgate	*qgate_new(uint32_t queue, uint32_t length, uint32_t grace_ms);
void		 qgate_hold(struct qgate *);
void		 qgate_release(struct qgate *);

/* A request enters: 0 (counted, and it holds a reference), or -1 when the
 * queue is full. */
int		 qgate_enter(struct qgate *);
/* It leaves: uncounted, its reference dropped. */
void		 qgate_leave(struct qgate *);
/* A request that finds no process of the queue on its worker may wait
 * until the returned time (loop_now() ms); 0: it may not (grace 0, or the
 * queue's grace is over). While a process holds the queue, a request
 * waits at most the grace period for one to reach its worker. */
uint64_t	 qgate_wait_until(const struct qgate *, uint64_t now);

#endif
