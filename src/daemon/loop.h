/*
 * loop — a worker's event loop: epoll for file descriptors, a min-heap of
 * timers, and one monotonic clock read per iteration (loop_now).
 *
 * Each worker thread owns one loop; nothing in it is shared or locked.
 * Callers embed `struct loop_io` and `struct loop_timer` in their own
 * objects (a connection, a listener) and get them back in callbacks with
 * container_of-style arithmetic, so the loop allocates nothing per event.
 *
 * Timers are cheap to push later: re-arming a timer to a later deadline only
 * stores the new deadline; the heap keeps the old key, and when it comes up
 * the loop re-inserts the timer at its real deadline instead of firing it.
 * An idle timer pushed forward on every request thus costs no heap work.
 */
#ifndef HSYS_DAEMON_LOOP_H
#define HSYS_DAEMON_LOOP_H

#include <stddef.h>
#include <stdint.h>

struct err;
struct loop;

#define LOOP_READ	0x1
#define LOOP_WRITE	0x2
#define LOOP_ERROR	0x4	/* hang-up or error, always reported */
#define LOOP_REMOVED	0x8000u	/* in loop_io.events: not watched any more */

struct loop_io {
	int	  fd;
	unsigned  events;	/* what is being watched */
	void	(*fn)(struct loop *, struct loop_io *, unsigned revents);
};

struct loop_timer {
	uint64_t  deadline;	/* ms on the loop's clock; 0: not armed */
	uint64_t  key;		/* the heap's key (<= deadline) */
	size_t	  slot;		/* index in the heap + 1; 0: not in it */
	void	(*fn)(struct loop *, struct loop_timer *);
};

/* Work to run after the current batch of events: an object whose io may
 * still be reported in this batch (a connection another callback closed) is
 * freed from here, never from inside a callback. */
struct loop_defer {
	struct loop_defer	 *next;
	void			(*fn)(struct loop_defer *);
	int			  queued;	/* loop's: on the list now */
};

int	 loop_new(struct loop **, struct err *);
void	 loop_free(struct loop *);

/* Watches fd for `events` (LOOP_READ | LOOP_WRITE), level-triggered. */
int	 loop_io_add(struct loop *, struct loop_io *, unsigned events,
	    struct err *);
int	 loop_io_change(struct loop *, struct loop_io *, unsigned events);
void	 loop_io_remove(struct loop *, struct loop_io *);

/* Arms (or re-arms) a timer to fire `ms` from now; cancel disarms it. */
void	 loop_timer_set(struct loop *, struct loop_timer *, uint64_t ms);
void	 loop_timer_cancel(struct loop *, struct loop_timer *);

/* Queues d to run once the current batch of events is handled, after
 * what was queued before it (also while the queue runs). Queuing d while it
 * waits to run changes nothing: it runs once (a second link would make the
 * list a cycle and the worker spin). */
void	 loop_defer(struct loop *, struct loop_defer *);

/* Milliseconds on a monotonic clock, read once per loop iteration. */
uint64_t loop_now(const struct loop *);
/* The same reading in microseconds (for latencies: free, and exact to
 * within one iteration). */
uint64_t loop_now_us(const struct loop *);
/* Re-reads the clock (for code that ran long). */
uint64_t loop_update_time(struct loop *);

/* Runs until loop_stop; returns 0, or -1 if epoll_wait fails. */
int	 loop_run(struct loop *, struct err *);
/* One iteration waiting at most `max_ms` (-1: until an event or timer). */
int	 loop_once(struct loop *, int max_ms, struct err *);
void	 loop_stop(struct loop *);

#endif
